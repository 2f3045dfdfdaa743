"""What grading costs, measured in one run on this machine.

    .venv/bin/python benchmarks/grading.py [--students N]

Grades N copies of the complete sample and N blank (released, unanswered) notebooks with the
course's grading command, each with and without the sandbox, in fresh course directories. Prints
seconds per submission and the ratios that matter: sandbox vs no sandbox, complete vs blank.
Absolute times depend on the machine; the ratios are the result.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "samples")]
import build_samples  # noqa: E402
from course import grade_all, make_course, submit  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT


def run(kind: str, sandbox: bool, students: int) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course(Path(tmp) / "course", timeout=60)
        if not sandbox:
            with open(root / "nbgrader_config.py", "a") as f:
                f.write("\nc.SandboxedExecute.sandbox = False\n")
        nb = nbformat.read(build_samples.sample_path(f"sample-{kind}"), as_version=4)
        for i in range(students):
            submit(root, ASSIGNMENT, f"{kind}-{i:03d}", nb)
        start = time.perf_counter()
        result = grade_all(root, ASSIGNMENT)
        elapsed = time.perf_counter() - start
        assert result.returncode == 0 and f"Graded {students} of {students}" in result.stdout, result.stdout
        return elapsed / students


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    args = parser.parse_args()
    times = {}
    for kind in ("complete", "blank"):
        for sandbox in (True, False):
            times[kind, sandbox] = t = run(kind, sandbox, args.students)
            print(f"{kind:>8} notebooks, sandbox {'on ' if sandbox else 'off'}: {t:6.2f} s per submission "
                  "(whole pipeline: staging, autograde, feedback, export)", flush=True)
    print(f"sandbox cost, complete notebooks: {times['complete', True] / times['complete', False]:.2f}x")
    print(f"sandbox cost, blank notebooks:    {times['blank', True] / times['blank', False]:.2f}x")
    print(f"complete vs blank (sandboxed):    {times['complete', True] / times['blank', True]:.2f}x")


if __name__ == "__main__":
    main()

"""What grading costs, measured in one run on this machine.

    .venv/bin/python benchmarks/grading.py [--rounds N]

In one fresh course directory, autogrades the complete sample and a blank (released, unanswered)
notebook with ``nbgrader autograde`` (the step the grading command runs once per student), with
the sandbox on and off. The four configurations are interleaved, in a rotating order, for N
rounds, so background load on a shared machine hits them alike; medians are reported. Prints
seconds per submission and the ratios that matter: sandbox vs no sandbox, complete vs blank.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]
from mlops_concepts.class_grading.commands import nbgrader_env  # noqa: E402
from support import build_samples  # noqa: E402
from support.course import make_course, submit  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT
CONFIGS = [("complete", True), ("complete", False), ("blank", True), ("blank", False)]


def autograde(root: Path, student: str, sandbox: bool) -> float:
    cmd = [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--student", student, "--force"]
    if not sandbox:
        cmd.append("--SandboxedExecute.sandbox=False")
    start = time.perf_counter()
    result = subprocess.run(cmd, cwd=root, capture_output=True, text=True, env=nbgrader_env())
    elapsed = time.perf_counter() - start
    assert result.returncode == 0, result.stdout + result.stderr
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = make_course(Path(tmp) / "course", timeout=60)
        for kind in ("complete", "blank"):
            nb = nbformat.read(build_samples.sample_path(f"sample-{kind}"), as_version=4)
            submit(root, ASSIGNMENT, kind, nb)
        times: dict = {c: [] for c in CONFIGS}
        for r in range(args.rounds):
            order = CONFIGS[r % 4 :] + CONFIGS[: r % 4]
            for kind, sandbox in order:
                times[kind, sandbox].append(autograde(root, kind, sandbox))
    med = {c: statistics.median(v) for c, v in times.items()}
    for (kind, sandbox), t in med.items():
        print(
            f"{kind:>8} notebook, sandbox {'on ' if sandbox else 'off'}: {t:6.2f} s per submission "
            f"(median of {args.rounds} nbgrader autograde runs)"
        )
    print(f"sandbox cost, complete notebook: {med['complete', True] / med['complete', False]:.2f}x")
    print(f"sandbox cost, blank notebook:    {med['blank', True] / med['blank', False]:.2f}x")
    print(f"complete vs blank (sandboxed):   {med['complete', True] / med['blank', True]:.2f}x")


if __name__ == "__main__":
    main()

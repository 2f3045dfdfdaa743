"""Peak memory of a class run, with and without flooding students, measured in one run.

    .venv/bin/python benchmarks/flood_memory.py

Grades two classes with the instructor's command (``mlops-concepts grade``) in fresh course
directories, sampling the resident memory of every grading process (pipeline, nbgrader, kernel
launcher and sandbox) every 0.2 s:

* a quiet class: three honest students;
* the same three plus four floods (display-id updates, widget comm traffic, writes to the
  kernel's original stderr, thousands of extra cells), each well past the per-cell budget.

Prints the peak per kind of process for both classes and the ratio flood / quiet. The point is
that the ratio stays near 1: what a student sends is dropped as it arrives.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests")]
from test_trust_boundary import FLOOD_COMM, FLOOD_DISPLAY, FLOOD_STDERR, honest, with_cells  # noqa: E402

from support.cheats.chapter import Chapter  # noqa: E402
from support.cheats.runner import copy_course, run_pipeline  # noqa: E402
from support.course import ASSIGNMENTS, make_course, submit  # noqa: E402

MIB = 2**20


def main() -> None:
    assignment = ASSIGNMENTS[0]
    with tempfile.TemporaryDirectory() as tmp:
        base = make_course(Path(tmp) / "base")
        ch = Chapter(base, assignment)
        floods = {
            "flood-display": with_cells(ch, FLOOD_DISPLAY),
            "flood-comm": with_cells(ch, FLOOD_COMM),
            "flood-stderr": with_cells(ch, FLOOD_STDERR),
            "flood-cells": with_cells(ch, *["pass"] * 3000),
        }
        peaks = {}
        for name, extra in (("quiet", {}), ("flood", floods)):
            root = copy_course(base, Path(tmp) / name)
            for i in range(3):
                submit(root, assignment, f"honest-{i}", honest(ch))
            for student, nb in extra.items():
                submit(root, assignment, student, nb)
            result, peak, seconds = run_pipeline(root, assignment)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            peaks[name] = peak
            print(
                f"{name:>5}: {3 + len(extra)} students in {seconds:.0f} s; peak MiB "
                + ", ".join(f"{kind} {rss / MIB:.0f}" for kind, rss in sorted(peak.items())),
                flush=True,
            )
        for kind in sorted(peaks["quiet"]):
            quiet, flood = peaks["quiet"][kind], peaks["flood"].get(kind, 0)
            print(
                f"peak {kind:<9} flood / quiet = {flood / quiet:.2f}x "
                f"({flood / MIB:.0f} MiB vs {quiet / MIB:.0f} MiB)"
            )


if __name__ == "__main__":
    main()

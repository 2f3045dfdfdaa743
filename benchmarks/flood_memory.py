"""Peak memory of a class run, with and without flooding students, measured in one run.

    .venv/bin/python benchmarks/flood_memory.py

Grades three classes with the instructor's command (``mlops-concepts grade``) in fresh course
directories, sampling the resident memory of every grading process (pipeline, nbgrader, kernel
launcher and sandbox) every 0.2 s:

* a quiet class: three honest students;
* the same three plus seven floods (display-id updates, widget comm traffic, writes to the
  kernel's original stderr, thousands of extra cells; one 400 MB display message, one message of
  400 frames of 1 MB, a burst of 1000 messages of 1 MB), each well past the per-cell budget;
* the same flooded class with the message bounds lifted (``max_message_bytes`` and
  ``max_message_frames`` out of reach, ``receive_queue`` at ZeroMQ's default of 1000): the
  grader as it was before they existed (docs/security/kernel-messages.md).

Prints the peak per kind of process for each class and the ratios to the quiet one. The point is
that the bounded ratio stays near 1: what a student sends is dropped or refused as it arrives.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO / "tests"), str(REPO / "tests" / "integration")]
from test_huge_messages import BURST, HUGE_DISPLAY, MANY_FRAMES  # noqa: E402
from test_trust_boundary import FLOOD_COMM, FLOOD_DISPLAY, FLOOD_STDERR, honest, with_cells  # noqa: E402

from support.cheats.chapter import Chapter  # noqa: E402
from support.cheats.runner import copy_course, run_pipeline  # noqa: E402
from support.course import ASSIGNMENTS, make_course, submit  # noqa: E402

MIB = 2**20
#: The message bounds out of reach, and ZeroMQ's own receive queue: no bound but the budgets.
UNBOUNDED = (
    f"--SandboxedExecute.max_message_bytes={2**40}",
    f"--SandboxedExecute.max_message_frames={2**31}",
    "--SandboxedExecute.receive_queue=1000",
)


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
            "huge-display": with_cells(ch, HUGE_DISPLAY),
            "many-frames": with_cells(ch, MANY_FRAMES),
            "burst": with_cells(ch, BURST),
        }
        peaks = {}
        for name, extra, args in (("quiet", {}, ()), ("flood", floods, ()), ("unbounded", floods, UNBOUNDED)):
            root = copy_course(base, Path(tmp) / name)
            for i in range(3):
                submit(root, assignment, f"honest-{i}", honest(ch))
            for student, nb in extra.items():
                submit(root, assignment, student, nb)
            result, peak, seconds = run_pipeline(root, assignment, args=args)
            assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
            peaks[name] = peak
            print(
                f"{name:>9}: {3 + len(extra)} students in {seconds:.0f} s; peak MiB "
                + ", ".join(f"{kind} {rss / MIB:.0f}" for kind, rss in sorted(peak.items())),
                flush=True,
            )
        for kind in sorted(peaks["quiet"]):
            quiet = peaks["quiet"][kind]
            for name in ("flood", "unbounded"):
                flood = peaks[name].get(kind, 0)
                print(
                    f"peak {kind:<9} {name} / quiet = {flood / quiet:.2f}x "
                    f"({flood / MIB:.0f} MiB vs {quiet / MIB:.0f} MiB)"
                )


if __name__ == "__main__":
    main()

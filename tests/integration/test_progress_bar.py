"""`mlops-concepts grade` on a terminal: a progress bar with counts and time left for grading, and
one for feedback (which starts while other students are still graded), above one line per student.

The command runs in a pseudo-terminal with a window size, as in a terminal window; without a
terminal (a pipe, a log file, CI) it prints the per-student lines only, as the other tests see.
"""

from __future__ import annotations

import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios

import nbformat
import pytest

from support.course import ASSIGNMENTS, make_course, nbgrader_env, submit

pytestmark = [pytest.mark.slow]
ASSIGNMENT = ASSIGNMENTS[0]


def on_a_terminal(command: list[str], env: dict, cols: int = 110, rows: int = 30) -> str:
    """Run ``command`` in a pseudo-terminal of ``cols`` x ``rows``; return all it wrote."""
    controller, terminal = pty.openpty()
    fcntl.ioctl(terminal, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
    proc = subprocess.Popen(
        command, stdin=terminal, stdout=terminal, stderr=terminal, env=env, start_new_session=True
    )
    os.close(terminal)
    out = bytearray()
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the command has ended
            break
        if not chunk:
            break
        out.extend(chunk)
    os.close(controller)
    assert proc.wait(timeout=600) == 0, out.decode(errors="replace")[-3000:]
    return out.decode("utf-8", errors="replace")


def test_grading_and_feedback_show_bars_with_counts_and_time_left(tmp_path):
    root = make_course(tmp_path / "course", timeout=60)
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for student in ("ann", "bo", "cy"):
        submit(root, ASSIGNMENT, student, release)
    shown = on_a_terminal(
        [
            sys.executable,
            "-m",
            "mlops_concepts.class_grading.cli",
            "grade",
            ASSIGNMENT,
            "--root",
            str(root),
            "--jobs",
            "2",
        ],
        nbgrader_env(),
    )
    frames = re.split(r"[\r\n]|\x1b\[[0-9;]*[A-Za-z]", shown)
    grading = [f for f in frames if f.startswith("grading:")]
    feedback = [f for f in frames if f.startswith("feedback:")]
    # counts, and time left once a student is done: "1/3 [00:02<00:04, ...]"
    assert any(re.search(r"\b[12]/3 \[\d\d:\d\d<\d\d:\d\d", f) for f in grading), grading
    assert any(re.search(r"\b\d/[1-3] \[\d\d:\d\d<", f) for f in feedback), feedback
    for name in ("ann", "bo", "cy"):  # one line per student, above the bars
        assert re.search(rf"\[\d/3\] {name}: graded in \d+\.\d s", shown), shown[-3000:]
    assert "Graded 3 of 3" in shown

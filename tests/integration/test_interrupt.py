"""Ctrl-C during ``mlops-concepts grade``: everything stops at once, and what is left is consistent.

The real command, in a process of its own (Ctrl-C reaches its main thread, as on a terminal), on a
real course: ann is merged and has her feedback; slow's child is still running a cell
that sleeps 25 s when the instructor presses Ctrl-C.
"""

from __future__ import annotations

import secrets
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat

from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.contract.coursedir import gradebook_url
from support import build_samples  # noqa: E402
from support.course import before_first_answer, make_course, pids_mentioning, submit

ASSIGNMENT = build_samples.ASSIGNMENT
# Processes of the grader's kinds: nbgrader, the fork server and its children, sandbox, kernel.
WATCHED = ("ipykernel", "bwrap", "nbgrader", "mlops_concepts.class_grading")


def grade_until_ann_has_feedback(command: list[str], root: Path, env: dict) -> subprocess.Popen:
    """Start the grading ``command``, which Ctrl-C reaches as on a terminal; return it once ann's
    feedback is written."""
    # A shell that starts a job in the background makes it ignore SIGINT: not a terminal's.
    proc = subprocess.Popen(
        command,
        cwd=root,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    ann_feedback = root / "feedback" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    deadline = time.monotonic() + 180
    while not ann_feedback.exists():
        assert proc.poll() is None and time.monotonic() < deadline, "ann's feedback never came"
        time.sleep(0.1)
    return proc


def _has_marker(pid: int, marker: str | None) -> bool:
    """Whether the process's environment holds ``marker`` (always, without one): on a machine
    shared with other graders and test runs, only this run's processes are its business. A
    sandboxed kernel, whose environment is cleared, dies with its bwrap, which has the marker."""
    if marker is None:
        return True
    try:
        return marker.encode() in Path(f"/proc/{pid}/environ").read_bytes()
    except OSError:
        return False


def processes_left(before: set[int], within: float = 10.0, marker: str | None = None) -> dict[int, str]:
    """The grader's processes (of the ``WATCHED`` kinds, with ``marker`` in their environment) not
    in ``before`` still there after ``within`` seconds at most."""

    def left() -> dict[int, str]:
        return {
            pid: args
            for pid, args in pids_mentioning(*WATCHED).items()
            if pid not in before and _has_marker(pid, marker)
        }

    deadline = time.monotonic() + within
    while left() and time.monotonic() < deadline:
        time.sleep(0.1)
    return left()


def test_ctrl_c_stops_every_process_at_once_and_keeps_what_was_merged(tmp_path):
    from nbgrader.api import Gradebook, MissingEntry

    root = make_course(tmp_path / "course", timeout=120)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "ann", complete)
    submit(root, ASSIGNMENT, "slow", before_first_answer(complete, "import time\ntime.sleep(25)\n"))
    submitted = {p: p.read_bytes() for p in (root / "submitted").rglob("*") if p.is_file()}
    before = set(pids_mentioning(*WATCHED))
    command = [str(Path(sys.executable).parent / "mlops-concepts"), "grade", ASSIGNMENT, "--jobs", "2"]
    marker = f"MLOPS_TEST_RUN={secrets.token_hex(8)}"
    env = dict(nbgrader_env(), MLOPS_TEST_RUN=marker.split("=")[1])
    proc = grade_until_ann_has_feedback(command, root, env)
    time.sleep(1)  # slow's kernel is into its sleep
    assert proc.poll() is None
    proc.send_signal(signal.SIGINT)
    pressed = time.monotonic()
    out, _ = proc.communicate(timeout=60)
    assert time.monotonic() - pressed < 15, out  # not the rest of slow's sleep
    assert proc.returncode == 130, out
    assert "Interrupted" in out and "1 of 2 student(s) have their new grades" in out, out
    assert "Traceback" not in out and "slow: NOT GRADED" not in out, out
    # Every nbgrader process, sandbox and kernel of the run is gone.
    left = processes_left(before, marker=marker)
    assert not left, left
    # What was merged is whole: ann's grades, notebook and feedback; slow has nothing half done.
    assert (root / "autograded" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert not (root / "autograded" / "slow").exists()
    assert not (root / "feedback" / "slow").exists()
    with Gradebook(gradebook_url(root)) as gb:
        assert gb.find_submission(ASSIGNMENT, "ann").score > 0
        try:
            gb.find_submission(ASSIGNMENT, "slow")
            raise AssertionError("slow is in the gradebook")
        except MissingEntry:
            pass
    assert {p: p.read_bytes() for p in (root / "submitted").rglob("*") if p.is_file()} == submitted
    # Running the command again grades the class.
    again = subprocess.run(command, cwd=root, env=nbgrader_env(), capture_output=True, text=True, timeout=600)
    assert again.returncode == 0, again.stdout
    assert (root / "autograded" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert (root / "feedback" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()

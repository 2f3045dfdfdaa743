"""The per-student coordinator (mlops_concepts.class_grading.per_student), with steps that stand in for
nbgrader: one student per unit, merged as each finishes, then given feedback; a failing merge.

The real units, on real classes, are in test_unit.py, test_children.py, test_pipeline.py,
test_parallel.py (local jobs and a Dask cluster) and test_grade_bad_input.py.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from mlops_concepts.class_grading.per_student import LocalPool, grade_students
from mlops_concepts.class_grading.unit import StudentJob, StudentResult


class Progress:
    def __init__(self):
        self.seen, self.total, self.lock = [], 0, threading.Lock()

    def student(self, result: StudentResult) -> None:
        with self.lock:
            self.seen.append(result.student)

    def grow(self, more: int) -> None:
        self.total += more

    def hush(self) -> None:
        self.hushed = True


def job(student: str) -> StudentJob:
    return StudentJob(root="/nowhere", assignment="a1", student=student, main_url="")


class Steps:
    """Units and a merge that log what happened, in order. ``failing`` students are not graded;
    ``gate`` holds a student's autograde until an event is set."""

    def __init__(self, failing=(), refuse_merge=(), unmerged=(), gate=None, seconds=0.0):
        self.log, self.lock, self.seconds = [], threading.Lock(), seconds
        self.failing, self.refuse_merge, self.unmerged = set(failing), set(refuse_merge), set(unmerged)
        self.gate = gate or {}
        self.feedback_error = None

    def note(self, *event) -> None:
        with self.lock:
            self.log.append(event)

    def run(self, step: str, j: StudentJob) -> StudentResult:
        if step == "autograde":
            if j.student in self.gate:
                assert self.gate[j.student].wait(10), f"{j.student} waited in vain"
            self.note("autograde", j.student)
            time.sleep(self.seconds)
            failed = j.student in self.failing
            return StudentResult(j.student, not failed, "ValueError: no" if failed else "")
        self.note("feedback", j.student)
        if self.feedback_error:
            raise self.feedback_error
        return StudentResult(j.student, True)

    def merge(self, j: StudentJob) -> bool:
        self.note("merge", j.student)
        if j.student in self.refuse_merge:
            raise OSError("the gradebook is read-only")
        return j.student not in self.unmerged


def run(steps: Steps, students: list[str], jobs: int = 2):
    pool = LocalPool(jobs, run=steps.run)
    grading, writing = Progress(), Progress()
    try:
        outcome = grade_students(
            pool, [job(s) for s in students], merge=steps.merge, grading=grading, writing=writing
        )
    finally:
        pool.close()
    return outcome, grading, writing


def test_a_student_gets_their_feedback_while_another_is_still_autograding():
    feedback_of_ann = threading.Event()
    steps = Steps(gate={"cy": feedback_of_ann})
    real = steps.run

    def run_step(step, j):
        result = real(step, j)
        if step == "feedback" and j.student == "ann":
            feedback_of_ann.set()
        return result

    steps.run = run_step
    outcome, grading, writing = run(steps, ["ann", "cy"], jobs=2)
    order = steps.log
    assert order.index(("feedback", "ann")) < order.index(("autograde", "cy")), order
    for student in ("ann", "cy"):  # merged before their feedback, once
        assert order.index(("merge", student)) < order.index(("feedback", student)), order
        assert order.count(("merge", student)) == 1
    assert sorted(outcome.graded) == ["ann", "cy"] and not outcome.not_graded
    assert sorted(grading.seen) == ["ann", "cy"]
    assert sorted(writing.seen) == ["ann", "cy"] and writing.total == 2


def test_a_student_not_graded_is_named_never_merged_never_given_feedback_nor_retried():
    steps = Steps(failing={"bo"})
    outcome, grading, writing = run(steps, ["ann", "bo", "cy"])
    assert outcome.not_graded == {"bo": "ValueError: no"}
    assert sorted(outcome.graded) == ["ann", "cy"] and outcome.merged == {"ann", "cy"}
    assert ("merge", "bo") not in steps.log and ("feedback", "bo") not in steps.log
    assert steps.log.count(("autograde", "bo")) == 1  # one student, one child: nothing to regroup
    assert sorted(grading.seen) == ["ann", "bo", "cy"] and sorted(writing.seen) == ["ann", "cy"]


def test_feedback_that_fails_is_named_and_the_grade_stays():
    steps = Steps()
    real = steps.run

    def run_step(step, j):
        if step == "feedback" and j.student == "cy":
            return StudentResult("cy", False, "ValueError: no")
        return real(step, j)

    steps.run = run_step
    outcome, _, _ = run(steps, ["ann", "cy"])
    assert outcome.no_feedback == {"cy": "ValueError: no"}
    assert outcome.merged == {"ann", "cy"} and not outcome.not_graded


def test_a_student_the_merge_did_not_find_is_named_and_gets_no_feedback():
    steps = Steps(unmerged={"bo"})
    outcome, _, writing = run(steps, ["ann", "bo"])
    assert outcome.not_graded == {"bo": "its results were not found in its scratch gradebook"}
    assert sorted(outcome.graded) == ["ann"] and writing.seen == ["ann"]


def test_a_merge_that_fails_stops_everything_not_started():
    steps = Steps(refuse_merge={"s0"}, seconds=0.2)  # long enough to be cancelled before starting
    outcome, _, writing = run(steps, [f"s{k}" for k in range(4)], jobs=1)
    assert isinstance(outcome.merge_error, OSError)
    assert not writing.seen and not any(e[0] == "feedback" for e in steps.log)
    autograded = [e[1] for e in steps.log if e[0] == "autograde"]
    assert autograded[0] == "s0" and len(autograded) < 4, steps.log  # the rest were cancelled
    assert [e[1] for e in steps.log if e[0] == "merge"] == ["s0"]


def test_an_error_in_a_step_is_raised_not_swallowed():
    steps = Steps()
    steps.feedback_error = RuntimeError("feedback broke")
    with pytest.raises(RuntimeError, match="feedback broke"):
        run(steps, ["ann"])


def test_ctrl_c_stops_what_is_pending_and_says_who_was_merged():
    steps = Steps(seconds=0.05)
    real_merge = steps.merge

    def merge(j):
        if j.student == "s1":
            raise KeyboardInterrupt  # as if pressed just then
        return real_merge(j)

    steps.merge = merge
    outcome, _, _ = run(steps, [f"s{k}" for k in range(4)], jobs=1)
    assert outcome.interrupted and outcome.merged == {"s0"}
    assert not any(e[1] in ("s2", "s3") for e in steps.log if e[0] == "merge")


def test_a_merged_students_feedback_goes_before_the_next_students_autograde():
    """Their child waits for it, holding its memory: it never queues behind the whole class."""
    steps = Steps(seconds=0.2)
    outcome, _, _ = run(steps, [f"s{k}" for k in range(4)], jobs=1)
    order = steps.log
    assert order.index(("feedback", "s0")) < order.index(("autograde", "s2")), order
    assert outcome.merged == {"s0", "s1", "s2", "s3"} and not outcome.no_feedback


def _page(root, student: str):
    return root / "feedback" / student / "a1" / "nb.html"


def test_feedback_that_fails_is_written_again_once_and_a_cut_off_page_is_never_left(tmp_path):
    """bo's feedback fails once (its child died after writing half a page), cy's twice: bo's is
    written again and not named; cy's half page is removed, and cy is named."""
    for student in ("bo", "cy"):
        graded = tmp_path / ".grading" / "graded" / student / student / "a1"
        graded.mkdir(parents=True)
        (graded / "nb.ipynb").write_text("{}")
    steps = Steps()
    real = steps.run
    tries: dict[str, int] = {}

    def run_step(step, j):
        if step == "feedback":
            tries[j.student] = tries.get(j.student, 0) + 1
            _page(tmp_path, j.student).parent.mkdir(parents=True, exist_ok=True)
            if j.student == "cy" or tries[j.student] == 1:
                _page(tmp_path, j.student).write_text("<html><body>cut o")
                return StudentResult(j.student, False, "its grading process was killed by SIGKILL", died=True)
            _page(tmp_path, j.student).write_text("<html></html>")
        return real(step, j)

    steps.run = run_step
    pool = LocalPool(2, run=steps.run)
    grading, writing = Progress(), Progress()
    try:
        jobs = [StudentJob(str(tmp_path), "a1", s, "") for s in ("bo", "cy")]
        outcome = grade_students(pool, jobs, merge=steps.merge, grading=grading, writing=writing)
    finally:
        pool.close()
    assert tries == {"bo": 2, "cy": 2}  # once more each, never more
    assert outcome.no_feedback == {"cy": "its grading process was killed by SIGKILL"}
    assert _page(tmp_path, "bo").read_text() == "<html></html>"
    assert not _page(tmp_path, "cy").exists()
    assert outcome.merged == {"bo", "cy"} and writing.total == 4


def test_ctrl_c_during_a_merge_waits_for_its_end():
    from mlops_concepts.class_grading.interrupts import interrupts_deferred

    finished, before = [], signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            signal.raise_signal(signal.SIGINT)  # pressed in the middle
            finished.append(True)  # still runs to the end
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) == before  # restored


def test_a_student_whose_child_died_is_graded_once_more_and_named_if_it_dies_again():
    steps = Steps()
    real = steps.run
    tries: dict[str, int] = {}

    def run_step(step, j):
        if step == "autograde":
            tries[j.student] = tries.get(j.student, 0) + 1
            if j.student == "cy" or (j.student == "bo" and tries["bo"] == 1):
                return StudentResult(j.student, False, "its grading process was killed by SIGKILL", died=True)
            if j.student == "dee":  # an ordinary failure, with a reason: not tried again
                return StudentResult(j.student, False, "ValueError: no")
        return real(step, j)

    steps.run = run_step
    outcome, grading, _ = run(steps, ["ann", "bo", "cy", "dee"])
    assert tries == {"ann": 1, "bo": 2, "cy": 2, "dee": 1}
    assert outcome.merged == {"ann", "bo"}
    assert outcome.not_graded == {"cy": "its grading process was killed by SIGKILL", "dee": "ValueError: no"}
    assert grading.total == 2  # grown by the two second tries (the test's Progress starts at 0)

"""The coordinator of class grading (mlops_concepts.class_grading.schedule), with steps that stand in for
nbgrader: merges and feedback follow each batch as it finishes, retries, and a failing merge.

The real steps, on real classes, are in test_pipeline.py, test_parallel.py (local jobs and a Dask
cluster) and test_grade_bad_input.py.
"""

from __future__ import annotations

import signal
import threading
import time

import pytest

from mlops_concepts.class_grading.batches import Batch, Result
from mlops_concepts.class_grading.schedule import LocalPool, grade_batches


class Progress:
    def __init__(self):
        self.seen, self.total, self.lock = [], 0, threading.Lock()

    def student(self, result: Result) -> None:
        with self.lock:
            self.seen.append(result.student)

    def grow(self, more: int) -> None:
        self.total += more

    def hush(self) -> None:
        self.hushed = True


def batch(name: str, *students: str) -> Batch:
    return Batch(root="/nowhere", assignment="a1", name=name, students=list(students), main_url="")


class Steps:
    """Autograde, feedback and merge that log what happened, in order; ``unreached`` students are
    not reached by a batch of several (as when its nbgrader process dies)."""

    def __init__(self, unreached=(), refuse_merge=(), unmerged=(), gate=None, seconds=0.0):
        self.log, self.lock, self.seconds = [], threading.Lock(), seconds
        self.unreached, self.refuse_merge, self.unmerged = set(unreached), set(refuse_merge), set(unmerged)
        self.gate = gate or {}

    def note(self, *event) -> None:
        with self.lock:
            self.log.append(event)

    def autograde(self, b: Batch, on_done) -> list[Result]:
        if b.name in self.gate:
            assert self.gate[b.name].wait(10), f"{b.name} waited in vain"
        self.note("autograde", b.name, tuple(b.students))
        time.sleep(self.seconds)
        results = []
        for s in b.students:
            missed = s in self.unreached and len(b.students) > 1
            results.append(
                Result(
                    s,
                    not missed,
                    "its process stopped before reaching it" if missed else "",
                    batch=b.name,
                    again=missed,
                    reached=not missed,
                )
            )
        for r in results:
            on_done(r)
        return results

    def feedback(self, b: Batch, on_done) -> list[Result]:
        self.note("feedback", b.name, tuple(b.students))
        results = [Result(s, True, batch=b.name) for s in b.students]
        for r in results:
            on_done(r)
        return results

    def merge(self, b: Batch, students: list[str]) -> set[str]:
        self.note("merge", b.name, tuple(students))
        if b.name in self.refuse_merge:
            raise OSError("the gradebook is read-only")
        return set(students) - self.unmerged

    def retry(self, b: Batch, students: list[str]) -> Batch:
        return batch(f"{b.name}-retry", *students)


def run(steps: Steps, batches: list[Batch], jobs: int = 2):
    pool = LocalPool(jobs)
    grading, writing = Progress(), Progress()
    try:
        outcome = grade_batches(
            pool,
            batches,
            autograde=steps.autograde,
            feedback=steps.feedback,
            merge=steps.merge,
            retry=steps.retry,
            grading=grading,
            writing=writing,
        )
    finally:
        pool.close()
    return outcome, grading, writing


def test_a_batch_gets_its_feedback_while_another_is_still_autograding():
    feedback_of_b0 = threading.Event()
    steps = Steps(gate={"b1": feedback_of_b0})
    real_feedback = steps.feedback

    def feedback(b, on_done):
        results = real_feedback(b, on_done)
        if b.name == "b0":
            feedback_of_b0.set()
        return results

    steps.feedback = feedback
    outcome, grading, writing = run(steps, [batch("b0", "ann", "bo"), batch("b1", "cy")], jobs=2)
    order = [(e[0], e[1]) for e in steps.log]
    assert order.index(("feedback", "b0")) < order.index(("autograde", "b1")), order
    for name in ("b0", "b1"):  # merged before its feedback, once
        assert order.index(("merge", name)) < order.index(("feedback", name)), order
        assert order.count(("merge", name)) == 1
    assert sorted(outcome.graded) == ["ann", "bo", "cy"] and not outcome.not_graded
    assert sorted(writing.seen) == ["ann", "bo", "cy"] and writing.total == 3


def test_a_student_a_batch_never_reached_is_graded_again_alone():
    steps = Steps(unreached={"bo"})
    outcome, grading, _ = run(steps, [batch("b0", "ann", "bo")])
    assert ("autograde", "b0-retry", ("bo",)) in steps.log
    assert ("merge", "b0", ("ann",)) in steps.log and ("merge", "b0-retry", ("bo",)) in steps.log
    assert sorted(outcome.graded) == ["ann", "bo"] and outcome.graded["bo"].batch == "b0-retry"
    assert grading.total == 1  # one more to go through, alone


def test_a_student_alone_in_a_batch_is_not_retried_and_gets_no_feedback():
    steps = Steps()
    steps.unreached = {"bo"}
    original = steps.autograde

    def autograde(b, on_done):  # alone, and still not graded
        results = original(b, on_done)
        return [
            Result(r.student, r.student != "bo", "it took longer than 1800 s", batch=b.name) for r in results
        ]

    steps.autograde = autograde
    outcome, _, writing = run(steps, [batch("b0", "ann"), batch("b1", "bo")])
    assert outcome.not_graded == {"bo": "it took longer than 1800 s"}
    assert not any(e[0] == "autograde" and "retry" in e[1] for e in steps.log), steps.log
    assert writing.seen == ["ann"]


def scripted(steps: Steps, first: dict[str, Result]) -> None:
    """``steps`` autogrades batch b0 with the ``first`` results given (by student), then every
    retry fine."""

    def autograde(b, on_done):
        steps.note("autograde", b.name, tuple(b.students))
        results = [first[s] if b.name == "b0" else Result(s, True, batch=b.name) for s in b.students]
        for r in results:
            on_done(r)
        return results

    steps.autograde = autograde


def test_the_student_a_process_died_on_is_retried_alone_and_those_it_never_reached_together():
    steps = Steps()
    died = "its nbgrader process was killed by SIGKILL while grading it"
    scripted(
        steps,
        {
            "ann": Result("ann", True, batch="b0"),
            "bo": Result("bo", False, died, batch="b0", again=True),
            "cy": Result(
                "cy", False, "its process stopped before reaching it", batch="b0", again=True, reached=False
            ),
            "di": Result(
                "di", False, "its process stopped before reaching it", batch="b0", again=True, reached=False
            ),
        },
    )
    outcome, grading, _ = run(steps, [batch("b0", "ann", "bo", "cy", "di")])
    retried = sorted(e[2] for e in steps.log if e[0] == "autograde" and e[1] != "b0")
    assert retried == [("bo",), ("cy", "di")], steps.log
    assert sorted(outcome.graded) == ["ann", "bo", "cy", "di"] and not outcome.not_graded
    assert grading.total == 3


def test_a_student_past_their_time_in_a_batch_of_several_is_not_retried():
    steps = Steps()
    late = "it took longer than 1800 s"
    scripted(
        steps,
        {
            "ann": Result("ann", False, late, batch="b0"),
            "bo": Result(
                "bo", False, "its process stopped before reaching it", batch="b0", again=True, reached=False
            ),
        },
    )
    outcome, _, writing = run(steps, [batch("b0", "ann", "bo")])
    retried = [e[2] for e in steps.log if e[0] == "autograde" and e[1] != "b0"]
    assert retried == [("bo",)], steps.log  # ann had her whole time already
    assert outcome.not_graded == {"ann": late} and sorted(outcome.graded) == ["bo"]
    assert writing.seen == ["bo"]


def test_a_batch_that_reached_nobody_is_retried_one_student_at_a_time():
    steps = Steps()
    never = "nbgrader stopped before grading anyone (OSError: no space left on device)"
    scripted(
        steps,
        {s: Result(s, False, never, batch="b0", again=True, reached=False) for s in ("ann", "bo", "cy")},
    )
    outcome, _, _ = run(steps, [batch("b0", "ann", "bo", "cy")])
    retried = sorted(e[2] for e in steps.log if e[0] == "autograde" and e[1] != "b0")
    assert retried == [("ann",), ("bo",), ("cy",)], steps.log  # never the same batch again
    assert sorted(outcome.graded) == ["ann", "bo", "cy"]


def test_feedback_a_process_died_in_is_written_again_and_what_still_fails_is_named():
    steps = Steps()
    tries = []

    def feedback(b, on_done):
        steps.note("feedback", b.name, tuple(b.students))
        tries.append(tuple(b.students))
        first = len(tries) == 1
        results = []
        for s in b.students:
            if first and s == "bo":
                r = Result(
                    s, False, "its nbgrader process was killed while grading it", batch=b.name, again=True
                )
            elif first and s == "cy":
                r = Result(
                    s,
                    False,
                    "its process stopped before reaching it",
                    batch=b.name,
                    again=True,
                    reached=False,
                )
            elif s == "cy":  # fails again: alone now, so final
                r = Result(s, False, "ValueError: no", batch=b.name, again=True)
            else:
                r = Result(s, True, batch=b.name)
            on_done(r)
            results.append(r)
        return results

    steps.feedback = feedback
    outcome, _, writing = run(steps, [batch("b0", "ann", "bo", "cy")])
    assert sorted(tries) == [("ann", "bo", "cy"), ("bo",), ("cy",)]
    # The same graded folder: the batch keeps its name.
    assert all(e[1] == "b0" for e in steps.log if e[0] == "feedback")
    assert sorted(outcome.graded) == ["ann", "bo", "cy"] and not outcome.not_graded
    assert outcome.no_feedback == {"cy": "ValueError: no"}
    assert writing.total == 5


def test_a_student_the_merge_did_not_find_is_named_and_gets_no_feedback():
    steps = Steps(unmerged={"bo"})
    outcome, _, writing = run(steps, [batch("b0", "ann", "bo")])
    assert outcome.not_graded == {"bo": "its results were not found in its batch's gradebook"}
    assert sorted(outcome.graded) == ["ann"] and writing.seen == ["ann"]


def test_a_merge_that_fails_stops_everything_not_started():
    steps = Steps(refuse_merge={"b0"}, seconds=0.2)  # long enough to be cancelled before starting
    outcome, _, writing = run(steps, [batch(f"b{k}", f"s{k}") for k in range(4)], jobs=1)
    assert isinstance(outcome.merge_error, OSError)
    assert not writing.seen and not any(e[0] == "feedback" for e in steps.log)
    autograded = [e[1] for e in steps.log if e[0] == "autograde"]
    assert autograded[0] == "b0" and len(autograded) < 4, steps.log  # the rest were cancelled
    assert [e[1] for e in steps.log if e[0] == "merge"] == ["b0"]


def test_an_error_in_a_step_is_raised_not_swallowed():
    steps = Steps()

    def feedback(b, on_done):
        raise RuntimeError("feedback broke")

    steps.feedback = feedback
    with pytest.raises(RuntimeError, match="feedback broke"):
        run(steps, [batch("b0", "ann")])


def test_ctrl_c_stops_what_is_pending_and_says_who_was_merged():
    steps = Steps(seconds=0.05)
    real_merge = steps.merge

    def merge(b, students):
        if b.name == "b1":
            raise KeyboardInterrupt  # as if pressed just then
        return real_merge(b, students)

    steps.merge = merge
    outcome, _, _ = run(steps, [batch(f"b{k}", f"s{k}") for k in range(4)], jobs=1)
    assert outcome.interrupted and outcome.merged == {"s0"}
    assert not any(e[1] in ("b2", "b3") for e in steps.log if e[0] == "merge")


def test_ctrl_c_during_a_merge_waits_for_its_end():
    from mlops_concepts.class_grading.interrupts import interrupts_deferred

    finished, before = [], signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with interrupts_deferred():
            signal.raise_signal(signal.SIGINT)  # pressed in the middle
            finished.append(True)  # still runs to the end
    assert finished == [True]
    assert signal.getsignal(signal.SIGINT) == before  # restored

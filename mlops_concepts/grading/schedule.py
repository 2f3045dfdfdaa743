"""Batch by batch: autograde, merge, then write feedback, each batch as soon as it is ready.

A batch's feedback needs only its own students merged into the course gradebook, so it starts as
soon as that batch is merged, while other batches are still autograding: no core waits at a
barrier for the slowest batch. Merges stay in the calling thread, one at a time, so the course
gradebook still has one writer; feedback processes only read it, in short transactions.

The pools run a batch function (:func:`.batches.run_batch` or :func:`.batches.run_feedback`) on
this machine (threads, each driving one nbgrader process) or on a Dask cluster. The coordinator,
:func:`grade_batches`, takes every step as a function, so its logic is tested without nbgrader.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field

from . import forkserver
from .batches import Batch, Result


class LocalPool:
    """``jobs`` batches at once, each in a thread of this process."""

    def __init__(self, jobs: int):
        self.executor = concurrent.futures.ThreadPoolExecutor(max(1, jobs))

    def submit(self, function, batch: Batch, progress):
        return self.executor.submit(function, batch, progress.student)

    @staticmethod
    def first_done(futures) -> set:
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    @staticmethod
    def results(future, progress) -> list[Result]:
        return future.result()  # the batch reported each student as it finished

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        forkserver.close_all()


class DaskPool:
    """Batches sent to the workers of a Dask scheduler, which share the course directory."""

    def __init__(self, scheduler: str):
        from distributed import Client

        self.client = Client(scheduler, timeout="30s")

    def submit(self, function, batch: Batch, progress):
        return self.client.submit(function, batch, pure=False,
                                  key=f"mlops-{function.__name__}-{batch.name}-{batch.assignment}")

    @staticmethod
    def first_done(futures) -> set:
        from distributed import wait

        return wait(futures, return_when="FIRST_COMPLETED").done

    @staticmethod
    def results(future, progress) -> list[Result]:
        results = future.result()
        for result in results:
            progress.student(result)
        return results

    def close(self) -> None:
        self.client.close()


@dataclass
class Outcome:
    graded: dict[str, Result] = field(default_factory=dict)  # by student: the autograde result
    not_graded: dict[str, str] = field(default_factory=dict)  # by student: why
    no_feedback: dict[str, str] = field(default_factory=dict)  # graded, but no feedback: why
    merge_error: Exception | None = None


def _regroup(results: list[Result], again: list[str]) -> list[list[str]]:
    """The students to grade again, in batches: each one the process was grading when it died,
    alone; those it never reached, together, if it reached anyone (so every retry is smaller
    than its batch), else alone."""
    reached = {r.student for r in results if r.reached}
    unreached = [s for s in again if s not in reached]
    groups = [[s] for s in again if s in reached]
    if unreached and reached:
        groups.append(unreached)
    else:
        groups += [[s] for s in unreached]
    return groups


def grade_batches(pool, batches: list[Batch], *, autograde: Callable, feedback: Callable,
                  merge: Callable[[Batch, list[str]], set[str]],
                  retry: Callable[[Batch, list[str]], Batch], grading, writing) -> Outcome:
    """Autograde ``batches`` in ``pool``; merge each one as it finishes, then write its feedback.

    ``merge(batch, students)`` returns the students it merged. Students that a batch of several
    did not grade for a reason of the batch's (``Result.again``: its process died, or stopped
    early) are autograded once more in ``retry(batch, students)`` (see :func:`_regroup`), so one
    student cannot cost the others; feedback is written again for them in the same way. If a
    merge fails, nothing more starts and
    ``merge_error`` says why. ``grading`` and ``writing`` are the two progress reports.
    """
    outcome = Outcome()
    pending = {pool.submit(autograde, b, grading): (autograde, b) for b in batches}
    while pending:
        for future in pool.first_done(list(pending)):
            step, batch = pending.pop(future)
            if future.cancelled():
                continue
            if step is feedback:
                results = pool.results(future, writing)
                again = [r.student for r in results if r.again and len(batch.students) > 1]
                for result in results:
                    if result.ok:
                        outcome.no_feedback.pop(result.student, None)
                    elif result.student not in again:
                        outcome.no_feedback[result.student] = result.reason
                writing.grow(len(again))
                for members in _regroup(results, again):  # from the same graded folder
                    later = Batch(**{**vars(batch), "students": members})
                    pending[pool.submit(feedback, later, writing)] = (feedback, later)
                continue
            results = pool.results(future, grading)
            again = [r.student for r in results if r.again and len(batch.students) > 1]
            for result in results:
                if result.student in again:
                    continue
                if result.ok:
                    outcome.graded[result.student] = result
                else:
                    outcome.not_graded[result.student] = result.reason
            if outcome.merge_error:
                continue
            grading.grow(len(again))
            for members in _regroup(results, again):
                later = retry(batch, members)
                pending[pool.submit(autograde, later, grading)] = (autograde, later)
            ok = [r.student for r in results if r.ok]
            if not ok:
                continue
            try:
                merged = merge(batch, ok)
            except Exception as err:  # the course gradebook cannot be written: stop starting work
                outcome.merge_error = err
                for other in pending:
                    other.cancel()
                continue
            for student in ok:
                if student not in merged:
                    del outcome.graded[student]
                    outcome.not_graded[student] = "its results were not found in its batch's gradebook"
            members = [s for s in ok if s in merged]
            if members:
                writing.grow(len(members))
                done = Batch(**{**vars(batch), "students": members})
                pending[pool.submit(feedback, done, writing)] = (feedback, done)
    return outcome

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
from pathlib import Path

from . import forkserver
from .batches import Batch, Result, request_stop, running
from .interrupts import interrupts_deferred


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

    @staticmethod
    def stop() -> None:
        """Kill every nbgrader process of the run (with its kernels) and start no other."""
        running.stop()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        forkserver.close_all()
        running.reset()


class DaskPool:
    """Batches sent to the workers of a Dask scheduler, which share the course directory.

    With ``certs`` (a :func:`.dask_tls.make_certs` folder), over mutual TLS: see :mod:`.dask_tls`.
    """

    def __init__(self, scheduler: str, root: Path, certs: Path | None = None):
        from distributed import Client

        from .dask_tls import client_security

        self.client = Client(scheduler, timeout="30s", security=client_security(certs))
        self.root = root

    def submit(self, function, batch: Batch, progress):
        return self.client.submit(
            function, batch, pure=False, key=f"mlops-{function.__name__}-{batch.name}-{batch.assignment}"
        )

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

    def stop(self) -> None:
        """Stop the batches running on workers (pending ones are cancelled by the caller): they
        see the stop request in the shared course directory within a second, and kill their
        nbgrader processes; their results are not merged."""
        request_stop(self.root)

    def close(self) -> None:
        self.client.close()


@dataclass
class Outcome:
    graded: dict[str, Result] = field(default_factory=dict)  # by student: the autograde result
    not_graded: dict[str, str] = field(default_factory=dict)  # by student: why
    no_feedback: dict[str, str] = field(default_factory=dict)  # graded, but no feedback: why
    merged: set[str] = field(default_factory=set)  # in the course gradebook now
    interrupted: bool = False  # Ctrl-C: the rest was stopped
    merge_error: Exception | None = None


def _to_retry(batch: Batch, results: list[Result]) -> list[str]:
    """The students to grade (or write feedback for) once more apart from their batch: never
    from a batch of one, which was apart already."""
    return [r.student for r in results if r.again and len(batch.students) > 1]


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


def grade_batches(
    pool,
    batches: list[Batch],
    *,
    autograde: Callable,
    feedback: Callable,
    merge: Callable[[Batch, list[str]], set[str]],
    retry: Callable[[Batch, list[str]], Batch],
    grading,
    writing,
) -> Outcome:
    """Autograde ``batches`` in ``pool``; merge each one as it finishes, then write its feedback.

    ``merge(batch, students)`` returns the students it merged. Students that a batch of several
    did not grade for a reason of the batch's (``Result.again``: its process died, or stopped
    early) are autograded once more in ``retry(batch, students)`` (see :func:`_regroup`), so one
    student cannot cost the others; feedback is written again for them in the same way. If a
    merge fails, nothing more starts and ``merge_error`` says why. On Ctrl-C, every process is
    stopped and nothing more starts (``interrupted``); ``merged`` says who is in the gradebook.
    ``grading`` and ``writing`` are the two progress reports.
    """
    outcome = Outcome()
    pending = {}

    def start(step: Callable, batch: Batch) -> None:
        pending[pool.submit(step, batch, writing if step is feedback else grading)] = (step, batch)

    def feedback_done(batch: Batch, results: list[Result]) -> None:
        again = _to_retry(batch, results)
        for result in results:
            if result.ok:
                outcome.no_feedback.pop(result.student, None)
            elif result.student not in again:
                outcome.no_feedback[result.student] = result.reason
        writing.grow(len(again))
        for members in _regroup(results, again):  # from the same graded folder
            start(feedback, Batch(**{**vars(batch), "students": members}))

    def autograde_done(batch: Batch, results: list[Result]) -> None:
        again = _to_retry(batch, results)
        for result in results:
            if result.student in again:
                continue
            if result.ok:
                outcome.graded[result.student] = result
            else:
                outcome.not_graded[result.student] = result.reason
        if outcome.merge_error:
            return
        grading.grow(len(again))
        for members in _regroup(results, again):
            start(autograde, retry(batch, members))
        ok = [r.student for r in results if r.ok]
        if not ok:
            return
        try:
            with interrupts_deferred():
                merged = merge(batch, ok)
        except Exception as err:  # the course gradebook cannot be written: stop starting work
            outcome.merge_error = err
            for other in pending:
                other.cancel()
            return
        for student in ok:
            if student not in merged:
                del outcome.graded[student]
                outcome.not_graded[student] = "its results were not found in its batch's gradebook"
        members = [s for s in ok if s in merged]
        outcome.merged.update(members)
        if members:
            writing.grow(len(members))
            start(feedback, Batch(**{**vars(batch), "students": members}))

    try:
        for batch in batches:
            start(autograde, batch)
        while pending:
            for future in pool.first_done(list(pending)):
                step, batch = pending.pop(future)
                if future.cancelled():
                    continue
                if step is feedback:
                    feedback_done(batch, pool.results(future, writing))
                else:
                    autograde_done(batch, pool.results(future, grading))
    except KeyboardInterrupt:  # Ctrl-C: stop now; what is merged stays merged
        outcome.interrupted = True
        grading.hush()  # the students cut short now are not news
        writing.hush()
        for other in pending:
            other.cancel()
        pool.stop()
    return outcome

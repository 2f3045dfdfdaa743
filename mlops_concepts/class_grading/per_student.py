"""Prototype (issue 30): student by student: autograde, merge, then feedback, each as soon as ready.

Not wired into ``mlops-concepts grade`` yet (:mod:`.schedule` and :mod:`.batches` grade the
class): measured against the batches, this shape cost more per student on a loaded 2-core
machine (docs/performance.md), mostly the per-child start of ``generate_feedback``.

A student's feedback needs only that student merged into the course gradebook, so it starts as
soon as they are merged, while others are still autograding: no core waits at a barrier for the
slowest student. Merges stay in the calling thread, one at a time, so the course gradebook has
one writer; feedback children only read it, in short transactions.

Each step is a :mod:`.unit` that returns a :class:`.unit.StudentResult`; the pools run it in a
child (:mod:`.children`): forked on this machine, ``jobs`` at once, or as a task on a Dask
cluster. The coordinator, :func:`grade_students`, takes every step as a function, so its logic is
tested without nbgrader.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .children import request_stop, run_forked, run_subprocess, running
from .interrupts import interrupts_deferred
from .unit import StudentJob, StudentResult


class LocalPool:
    """``jobs`` students at once, each in a child forked from the run's forkserver, each followed
    by a thread of this process."""

    def __init__(self, jobs: int, run: Callable[[str, StudentJob], StudentResult] | None = None):
        self.executor = concurrent.futures.ThreadPoolExecutor(max(1, jobs))
        self.run = run

    def submit(self, step: str, job: StudentJob, progress):
        def unit() -> StudentResult:
            result = (self.run or run_forked)(step, job)
            progress.student(result)
            return result

        return self.executor.submit(unit)

    @staticmethod
    def first_done(futures) -> set:
        return concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED).done

    @staticmethod
    def result(future, progress) -> StudentResult:
        return future.result()  # reported as it finished

    @staticmethod
    def stop() -> None:
        """Kill every child of the run (with its kernels) and start no other."""
        running.stop()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        running.reset()


class DaskPool:
    """Students sent to the workers of a Dask scheduler, which share the course directory; each
    unit runs there as a subprocess (:func:`.children.run_subprocess`).

    With ``certs`` (a :func:`.dask_tls.make_certs` folder), over mutual TLS: see :mod:`.dask_tls`.
    """

    def __init__(self, scheduler: str, root: Path, certs: Path | None = None):
        from distributed import Client

        from .dask_tls import client_security

        self.client = Client(scheduler, timeout="30s", security=client_security(certs))
        self.root = root

    def submit(self, step: str, job: StudentJob, progress):
        return self.client.submit(
            run_subprocess, step, job, pure=False, key=f"mlops-{step}-{job.student}-{job.assignment}"
        )

    @staticmethod
    def first_done(futures) -> set:
        from distributed import wait

        return wait(futures, return_when="FIRST_COMPLETED").done

    @staticmethod
    def result(future, progress) -> StudentResult:
        result = future.result()
        progress.student(result)
        return result

    def stop(self) -> None:
        """Stop the units running on workers (pending ones are cancelled by the caller): they
        see the stop request in the shared course directory within a second, and kill their
        children; their results are not merged."""
        request_stop(self.root)

    def close(self) -> None:
        self.client.close()


@dataclass
class Outcome:
    graded: dict[str, StudentResult] = field(default_factory=dict)  # by student: the autograde result
    not_graded: dict[str, str] = field(default_factory=dict)  # by student: why
    no_feedback: dict[str, str] = field(default_factory=dict)  # graded, but no feedback: why
    merged: set[str] = field(default_factory=set)  # in the course gradebook now
    interrupted: bool = False  # Ctrl-C: the rest was stopped
    merge_error: Exception | None = None


def grade_students(
    pool,
    jobs: list[StudentJob],
    *,
    merge: Callable[[StudentJob], bool],
    grading,
    writing,
) -> Outcome:
    """Autograde every job in ``pool``; merge each student as they finish, then write their feedback.

    ``merge(job)`` says whether it merged the student. If a merge fails, nothing more starts and
    ``merge_error`` says why. On Ctrl-C, every child is stopped and nothing more starts
    (``interrupted``); ``merged`` says who is in the gradebook. ``grading`` and ``writing`` are
    the two progress reports.
    """
    outcome = Outcome()
    pending: dict = {}

    def start(step: str, job: StudentJob) -> None:
        pending[pool.submit(step, job, writing if step == "feedback" else grading)] = (step, job)

    def autograde_done(job: StudentJob, result: StudentResult) -> None:
        if not result.ok:
            outcome.not_graded[job.student] = result.reason
            return
        outcome.graded[job.student] = result
        try:
            with interrupts_deferred():
                merged = merge(job)
        except Exception as err:  # the course gradebook cannot be written: stop starting work
            outcome.merge_error = err
            for other in pending:
                other.cancel()
            return
        if not merged:
            del outcome.graded[job.student]
            outcome.not_graded[job.student] = "its results were not found in its scratch gradebook"
            return
        outcome.merged.add(job.student)
        writing.grow(1)
        start("feedback", job)

    try:
        for job in jobs:
            start("autograde", job)
        while pending:
            for future in pool.first_done(list(pending)):
                step, job = pending.pop(future)
                if future.cancelled():
                    continue
                if step == "feedback":
                    result = pool.result(future, writing)
                    if not result.ok:
                        outcome.no_feedback[job.student] = result.reason
                elif not outcome.merge_error:
                    autograde_done(job, pool.result(future, grading))
    except KeyboardInterrupt:  # Ctrl-C: stop now; what is merged stays merged
        outcome.interrupted = True
        grading.hush()  # the students cut short now are not news
        writing.hush()
        for other in pending:
            other.cancel()
        pool.stop()
    return outcome

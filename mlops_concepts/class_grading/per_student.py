"""A class, student by student: autograde, merge, then feedback, each as soon as ready.

A student's feedback needs only that student merged into the course gradebook, so it starts as
soon as they are merged, while others are still autograding: no core waits at a barrier for the
slowest student. Merges stay in the calling thread, one at a time, so the course gradebook has
one writer; feedback children only read it, in short transactions.

Each step is a :mod:`.unit` that returns a :class:`.unit.StudentResult`; the pools run it in a
child (:mod:`.children`): on this machine one forked child per student, ``jobs`` at once, which
writes the feedback too; on a Dask cluster one task per step. A student whose child died (killed,
out of memory) is graded once more from their submission; a feedback whose child died is
written again once, by a child of its own; a page cut off is never left. The
coordinator, :func:`grade_students`, takes every step as a function, so its logic is tested
without nbgrader.
"""

from __future__ import annotations

import concurrent.futures
import itertools
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from .children import Forked, request_stop, run_subprocess, running
from .interrupts import interrupts_deferred
from .unit import StudentJob, StudentResult, discard_feedback


class _Workers:
    """``n`` threads that take the most urgent work first: a merged student's feedback before
    the next student's autograde, so a child waiting for its feedback (memory held, nothing
    running) is never kept waiting behind the whole class."""

    FEEDBACK, AUTOGRADE, STOP = 0, 1, 2

    def __init__(self, n: int):
        self.queue: queue.PriorityQueue = queue.PriorityQueue()
        self.order = itertools.count()  # first come, first served within a priority
        self.threads = [threading.Thread(target=self._work, daemon=True) for _ in range(n)]
        for thread in self.threads:
            thread.start()

    def submit(self, priority: int, fn: Callable[[], StudentResult]) -> concurrent.futures.Future:
        future: concurrent.futures.Future = concurrent.futures.Future()
        self.queue.put((priority, next(self.order), future, fn))
        return future

    def _work(self) -> None:
        while True:
            _, _, future, fn = self.queue.get()
            if future is None:
                return
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn())
            except BaseException as err:
                future.set_exception(err)

    def shutdown(self) -> None:
        """Cancel what has not started, wait for what has."""
        while True:
            try:
                _, _, future, _ = self.queue.get_nowait()
            except queue.Empty:
                break
            if future is not None:
                future.cancel()
        for _ in self.threads:
            self.queue.put((self.STOP, next(self.order), None, None))
        for thread in self.threads:
            thread.join()


class LocalPool:
    """``jobs`` students at once, each in a child forked from the run's forkserver
    (:class:`.children.Forked`), each followed by a thread of this process. A student's child
    lives on after their autograde and writes their feedback once they are merged."""

    def __init__(self, jobs: int, run: Callable[[str, StudentJob], StudentResult] | None = None):
        self.workers = _Workers(max(1, jobs))
        self.run = run or self._forked
        self.lock = threading.Lock()
        self.live: dict[str, Forked] = {}  # by student: autograded, waiting for their merge

    def _forked(self, step: str, job: StudentJob) -> StudentResult:
        if step == "autograde":
            child = Forked(job)
            with self.lock:
                self.live[job.student] = child
            return child.autograde()
        with self.lock:
            child = self.live.pop(job.student, None) or Forked(job)
        return child.feedback()

    def submit(self, step: str, job: StudentJob, progress):
        def unit() -> StudentResult:
            result = self.run(step, job)
            progress.student(result)
            return result

        return self.workers.submit(_Workers.FEEDBACK if step == "feedback" else _Workers.AUTOGRADE, unit)

    def release(self, job: StudentJob) -> None:
        """The student will get no feedback from this run: their child may end."""
        with self.lock:
            child = self.live.pop(job.student, None)
        if child is not None:
            child.release()

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
        self.workers.shutdown()
        with self.lock:
            left, self.live = list(self.live.values()), {}
        for child in left:
            child.release()
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

    @staticmethod
    def release(job: StudentJob) -> None:
        """Each step on a worker is a subprocess of its own: nothing waits for the merge."""

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
    again: set[str] = set()  # students whose feedback failed once, and is written again
    regraded: set[str] = set()  # students whose child died while grading them, graded again

    def start(step: str, job: StudentJob) -> None:
        pending[pool.submit(step, job, writing if step == "feedback" else grading)] = (step, job)

    def autograde_done(job: StudentJob, result: StudentResult) -> None:
        if not result.ok:
            if result.died and job.student not in regraded:  # once more, from their submission
                regraded.add(job.student)
                grading.grow(1)
                start("autograde", job)
                return
            outcome.not_graded[job.student] = result.reason
            return
        outcome.graded[job.student] = result
        try:
            with interrupts_deferred():
                merged = merge(job)
        except Exception as err:  # the course gradebook cannot be written: stop starting work
            outcome.merge_error = err
            pool.release(job)
            for other in pending:
                other.cancel()
            return
        if not merged:
            pool.release(job)
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
                    if result.ok:
                        outcome.no_feedback.pop(job.student, None)
                        continue
                    # A page cut off (its process died midway) is never left for the student.
                    discard_feedback(Path(job.root), job)
                    outcome.no_feedback[job.student] = result.reason
                    if result.died and job.student not in again:  # once more, in a child of its own
                        again.add(job.student)
                        writing.grow(1)
                        start("feedback", job)
                elif not outcome.merge_error:
                    autograde_done(job, pool.result(future, grading))
                else:
                    pool.release(job)
    except KeyboardInterrupt:  # Ctrl-C: stop now; what is merged stays merged
        outcome.interrupted = True
        grading.hush()  # the students cut short now are not news
        writing.hush()
        for other in pending:
            other.cancel()
        pool.stop()
    return outcome

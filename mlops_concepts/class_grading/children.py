"""Where a student is graded: a child of their own, followed to its end or its deadline.

On this machine, each student is a child forked from the standard library's *forkserver*, which
imports nbgrader (with nbconvert, nbclient, SQLAlchemy and the course's plugins: about 1.3 s of
CPU) once per run and then forks every child already imported (:func:`context`). The child
autogrades the student, gives the parent the result, and, once the parent has merged it into
the course gradebook, writes the student's feedback itself (:class:`Forked`). On a Dask worker,
which is daemonic and may not fork children, each step runs as ``python -m
mlops_concepts.class_grading.children <step>`` instead, a subprocess that imports nbgrader itself
(:func:`run_subprocess`). Either way:

* the child makes itself the leader of a new process group first, so a child past the job's
  timeout is killed with everything it started (the student's kernel, its sandbox);
* the child's result comes back as a value (pickled through a pipe, or JSON on the
  subprocess's standard output); a child that dies without one is "not graded", with how it died;
* a stop request (Ctrl-C: :data:`running` locally, :func:`request_stop` on Dask) kills the child
  within ``STOP_POLL`` seconds.
"""

from __future__ import annotations

import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from .layout import JOBS
from .unit import STEPS, StudentJob, StudentResult, log_path

# What every child imports, imported once by the server: nbgrader, and the plugins the course's
# nbgrader_config.py imports (each child reads that file, and would import them all again). A
# module that fails to import here is skipped by the server, and imported (or fails, with the
# reason in the student's log) by the child.
PRELOAD = [
    "nbconvert.preprocessors",
    "nbgrader.preprocessors",
    "nbgrader.apps.nbgraderapp",
    "nbconvert.exporters.html",
    "pygments.lexers.python",  # loaded by name when the first feedback page is highlighted
    "sqlalchemy.dialects.sqlite",  # loaded by URL when the first gradebook opens
    "setproctitle",
    "mlops_concepts.class_grading.unit",
    "mlops_concepts.class_grading.gradebooks",
    "mlops_concepts.contract.submissions",
    "mlops_concepts.class_grading.children",
    *(
        f"mlops_concepts.nbgrader_plugins.{name}"
        for name in (
            "admission",
            "defuse",
            "execute",
            "export",
            "feedback",
            "metadata",
            "sanitize",
            "verdicts",
            "guard",
            "exchange",
        )
    ),
    *(f"mlops_concepts.assignment_plugins.{name}" for name in ("diagrams_release", "seal")),
    "mlops_concepts.class_grading.warm_up",  # last: it uses what the others imported
]


def context():
    """The multiprocessing context whose processes are forked from the preloaded server."""
    import multiprocessing

    # The server imports traitlets with the environment it starts with, and traitlets reads
    # this switch at import: without it, a course configuration that raises would be logged and
    # ignored in every child (see commands.nbgrader_env).
    os.environ["TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR"] = "1"
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def start() -> None:
    """Start the server now, if it is not running: it imports nbgrader while the caller goes on."""
    from multiprocessing import forkserver

    context()
    forkserver.ensure_running()


# Written by a grading run that was stopped (Ctrl-C) while its units ran on Dask workers, which
# this process cannot signal: each unit looks for it every STOP_POLL seconds and stops.
STOP_FILE = "stop-requested"
STOP_POLL = 1.0


def request_stop(root: Path) -> None:
    """Ask every unit of the run at ``root``, wherever it runs, to stop now."""
    (root / JOBS).mkdir(parents=True, exist_ok=True)
    (root / JOBS / STOP_FILE).touch()


def stop_requested(root: Path) -> bool:
    return (root / JOBS / STOP_FILE).exists()


def kill_group(pid: int) -> None:
    """Kill the child's process group (its kernels too), or the child alone if it has not made
    its group yet."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


class _Running:
    """Every child this process follows, to kill them all at once (the instructor pressed
    Ctrl-C). Once stopped, a child that starts is killed at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.pids: set[int] = set()
        self.stopped = False

    def add(self, pid: int) -> None:
        with self.lock:
            self.pids.add(pid)
            if self.stopped:
                kill_group(pid)

    def discard(self, pid: int) -> None:
        with self.lock:
            self.pids.discard(pid)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for pid in self.pids:
                kill_group(pid)

    def reset(self) -> None:
        with self.lock:
            self.stopped = False


running = _Running()


def _died(code: int | None) -> str:
    if code is not None and code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return f"ended with status {code} without a result"


def _follow(job: StudentJob, pid: int, ready: Callable[[float], bool]) -> str:
    """Wait until ``ready`` (polled at most ``STOP_POLL`` s at a time) or the job's deadline or a
    stop request; on either of the last two, kill the child's group and say why ("" if ready)."""
    deadline = time.monotonic() + job.timeout
    root = Path(job.root)
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            kill_group(pid)
            return f"it took longer than {job.timeout:.0f} s"
        if ready(min(left, STOP_POLL)):
            return ""
        if stop_requested(root):  # the run was stopped; this unit may be on another host
            kill_group(pid)
            return "the run was stopped"


def _in_child(job: StudentJob, conn, steps: tuple[str, ...]) -> None:
    """The forked child: its own group first (before any kernel starts), then each step, each
    after the parent's go (``True``) but the first. The go for feedback comes once the parent
    has merged the student; the same process writes it, with nbgrader and the course's plugins
    loaded already."""
    os.setpgid(0, 0)
    for i, step in enumerate(steps):
        try:
            go = i == 0 or conn.recv()
        except (EOFError, OSError):  # the run ended (or was stopped) before merging this student
            go = False
        if not go:
            break
        result = _step(step, job)
        conn.send(result)
        if not result.ok:
            break
    conn.close()
    # Nothing to free: the work is written (freeing nbgrader's modules one by one takes ~0.3 s).
    os._exit(0)


def _step(step: str, job: StudentJob) -> StudentResult:
    try:
        result = STEPS[step](job)
    except BaseException as err:  # a fault of ours: the student is "not graded", with why
        import traceback

        traceback.print_exc()
        why = f"the grader failed: {type(err).__name__}: {err}"[:400]
        result = StudentResult(job.student, False, why, log=log_path(step, job.student))
    sys.stdout.flush()
    sys.stderr.flush()
    return result


def _failed(job: StudentJob, step: str, why: str, started: float, died: bool = False) -> StudentResult:
    seconds = time.perf_counter() - started
    return StudentResult(job.student, False, why, seconds, [], log_path(step, job.student), died)


class Forked:
    """One student's child, forked from the run's forkserver. :meth:`autograde` starts it and
    waits for its autograde result; then :meth:`feedback` (the parent has merged the student:
    the same child writes their feedback) or :meth:`release` (it has not: the child ends).
    One child per student, not one per step: a second child would pay again for what the
    first has loaded (the course configuration, the plugins' caches, the student's files)."""

    def __init__(self, job: StudentJob):
        self.job = job
        self.child = None
        self.conn = None

    def _start(self, steps: tuple[str, ...]) -> None:
        ctx = context()
        self.conn, theirs = ctx.Pipe(duplex=True)
        name = f"grade-{self.job.student}"
        self.child = ctx.Process(target=_in_child, args=(self.job, theirs, steps), name=name)
        self.child.start()
        theirs.close()
        running.add(self.child.pid)

    def autograde(self) -> StudentResult:
        self._start(("autograde", "feedback"))
        result = self._result("autograde")
        if not result.ok:
            self.release()
        return result

    def feedback(self) -> StudentResult:
        """The feedback of the student this child autograded; without one (a second try after a
        child died writing it), in a new child that writes only the feedback."""
        if self.child is None:
            self._start(("feedback",))
        else:
            try:
                self.conn.send(True)
            except (OSError, ValueError):  # it is gone: _result says how it died
                pass
        result = self._result("feedback")
        self.release()
        return result

    def release(self) -> None:
        """End the child (it is sent nothing more) and anything left in its group."""
        if self.child is None:
            return
        child, self.child = self.child, None
        self.conn.close()  # a child waiting for its go sees the pipe end, and exits
        child.join(10)
        running.discard(child.pid)
        # What it started (the student's kernel) may live on in its group; killed by the group
        # only, as the child's own id may be reused by now.
        try:
            os.killpg(child.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if child.exitcode is None:
            child.join()

    def _result(self, step: str) -> StudentResult:
        started = time.perf_counter()
        why = _follow(self.job, self.child.pid, self.conn.poll)
        if not why:
            try:
                return self.conn.recv()
            except (EOFError, OSError):  # it died without a word
                self.child.join(10)
                why = f"its grading process was {_died(self.child.exitcode)}"
                self.release()
                return _failed(self.job, step, why, started, died=True)
        self.release()
        return _failed(self.job, step, why, started)


def run_subprocess(step: str, job: StudentJob) -> StudentResult:
    """Run the unit ``step`` for ``job`` as a subprocess of its own (on a Dask worker); its result."""
    from .commands import nbgrader_env

    started = time.perf_counter()
    if stop_requested(Path(job.root)):  # sent to a worker just before the run was stopped
        return StudentResult(job.student, False, "the run was stopped")
    # The worker's own environment (its PATH, its venv), not the one of the machine that sent it.
    job = dataclasses.replace(job, env=nbgrader_env())
    proc = subprocess.Popen(
        [sys.executable, "-m", __name__, step],
        cwd=job.root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        env=job.env,
        start_new_session=True,
    )
    proc.stdin.write(json.dumps(dataclasses.asdict(job)).encode())
    proc.stdin.close()
    out: list[bytes] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()), daemon=True)
    reader.start()

    def ready(wait: float) -> bool:
        reader.join(wait)
        return not reader.is_alive()

    why = _follow(job, proc.pid, ready)
    reader.join()
    code = proc.wait()
    if not why:
        try:
            said = json.loads(out[0])
            return StudentResult(**said)
        except (ValueError, TypeError, IndexError):
            return _failed(job, step, f"its grading process was {_died(code)}", started, died=True)
    return _failed(job, step, why, started)


def _main() -> None:
    """``python -m mlops_concepts.class_grading.children <step>``: the job as JSON on standard input,
    the result as JSON on standard output (the unit sends its own output to the student's log)."""
    job = json.loads(sys.stdin.buffer.read())
    job["nbgrader_args"] = tuple(job["nbgrader_args"])
    result_out = os.fdopen(os.dup(1), "w")
    try:
        result = STEPS[sys.argv[1]](StudentJob(**job))
    except BaseException as err:
        import traceback

        traceback.print_exc()
        result = StudentResult(job["student"], False, f"the grader failed: {type(err).__name__}: {err}"[:400])
    result_out.write(json.dumps(dataclasses.asdict(result)))
    result_out.close()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)  # nothing to free: the work is written


if __name__ == "__main__":
    _main()

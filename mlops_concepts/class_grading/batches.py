"""Autograde, then write feedback for, one batch of students in one nbgrader process each: the
unit of parallel work.

A batch is a folder of staged submissions (``.grading/staging/<batch>/<student>/<assignment>``).
:func:`run_batch` autogrades it against a private scratch gradebook (``.grading/jobs/<batch>/
gradebook.db``, a copy of one template seeded per run, see :mod:`mlops_concepts.class_grading.gradebooks`)
into the batch's own folder (``.grading/graded/<batch>``). After the pipeline has merged the
results into the course gradebook, :func:`run_feedback` writes the batch's feedback from it, and
:func:`publish` moves the notebooks into ``autograded/``. So any number of batches can run at once,
on this machine or on Dask workers that share the course directory; both functions take and
return plain data, so a Dask worker can run them as they are. On this machine, every nbgrader
process is forked from the run's fork server, nbgrader already imported (:mod:`.forkserver`).

nbgrader's output is read line by line as it comes and split into one log per student
(``.grading/logs/<student>.log``, and ``.grading/logs/feedback/<student>.log``, capped), never held
in memory; the lines are matched to students by the paths nbgrader prints, never printed to the
instructor's terminal.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..contract import cells
from ..contract.submissions import stage, stage_blank
from ..contract.untrusted import printable, quoted
from . import forkserver
from .commands import last_error
from .forkserver import nbgrader_env
from .gradebooks import seed
from .layout import GRADED, JOBS, LOGS, STAGING
from .preflight import ENV as PREFLIGHT_ENV
from .unit import replace_folder

MAX_LOG_BYTES = 2 * 2**20
NOTES = "staging-notes.json"  # what staging noted, by student, in the batch's job folder
# Written by a grading run that was stopped (Ctrl-C) while its batches ran on Dask workers, which
# this process cannot signal: each batch looks for it every STOP_POLL seconds and stops.
STOP_FILE = "stop-requested"
STOP_POLL = 1.0


def request_stop(root: Path) -> None:
    """Ask every batch of the run at ``root``, wherever it runs, to stop now."""
    (root / JOBS).mkdir(parents=True, exist_ok=True)
    (root / JOBS / STOP_FILE).touch()


def stop_requested(root: Path) -> bool:
    return (root / JOBS / STOP_FILE).exists()


@dataclass
class Batch:
    root: str
    assignment: str
    name: str
    students: list[str]
    main_url: str
    nbgrader_args: tuple[str, ...] = ()
    timeout: float = 1800.0  # for each student, from when nbgrader reaches them
    template: str = ""  # the scratch gradebook every batch starts from (gradebooks.seed_template)
    # Fork nbgrader from the grading run's fork server (forkserver.py), already imported: only
    # where the batch runs in the grading command's own process, not on a Dask worker.
    forked: bool = False


@dataclass
class Result:
    student: str
    ok: bool
    reason: str = ""
    seconds: float = 0.0
    batch: str = ""
    notes: list[str] = field(default_factory=list)
    # Not graded, but worth grading once more apart from the batch: its process died or never
    # reached the student, or nbgrader failed on them (grading them alone tells whether the
    # batch was to blame). A student past their own timeout has had their time: not again.
    again: bool = False
    reached: bool = True  # nbgrader started on this student


def scratch_url(root: Path, batch: str) -> str:
    return f"sqlite:///{root / JOBS / batch / 'gradebook.db'}"


class _Logs:
    """Per-student log files, each capped, filled from nbgrader's output as it streams."""

    def __init__(self, folder: Path, batch: Batch):
        self.folder = folder
        self.folder.mkdir(parents=True, exist_ok=True)
        self.students = set(batch.students)
        self.pattern = re.compile(r"[/\\]([^/\\]+)[/\\]" + re.escape(batch.assignment) + r"(?:[/\\]|$)")
        self.files: dict[str, object] = {}
        self.sizes: dict[str, int] = {}
        self.current: str | None = None
        self.preamble = open(self.folder / f"batch-{batch.name}.log", "wb")  # noqa: SIM115
        # Where the batch ran: on a Dask cluster, the worker's host and process.
        self.preamble.write(
            f"batch {batch.name} ({len(batch.students)} students) graded by "
            f"process {os.getpid()} on {socket.gethostname()}\n".encode()
        )

    def student_of(self, line: str) -> str | None:
        for match in self.pattern.finditer(line):
            if match.group(1) in self.students:
                return match.group(1)
        return None

    def write(self, raw: bytes) -> str | None:
        """Log one line; return the student whose section it starts, if it starts one."""
        text = raw.decode("utf-8", errors="replace")
        student = self.student_of(text)
        started = None
        if student and student != self.current:
            started, self.current = student, student
        if self.current is None:
            self.preamble.write(raw)
            return None
        out = self.files.get(self.current)
        if out is None:
            out = self.files[self.current] = open(self.folder / f"{self.current}.log", "wb")  # noqa: SIM115
            self.sizes[self.current] = 0
        if self.sizes[self.current] < MAX_LOG_BYTES:
            out.write(raw)
            self.sizes[self.current] += len(raw)
            if self.sizes[self.current] >= MAX_LOG_BYTES:
                out.write(b"\n[log truncated by the grader]\n")
        return started

    def preamble_text(self) -> str:
        """What nbgrader said before it reached any student (its start, its configuration)."""
        path = Path(self.preamble.name)
        return path.read_text(errors="replace") if path.exists() else ""

    def text(self, student: str) -> str:
        path = self.folder / f"{student}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def close(self) -> None:
        self.preamble.close()
        for out in self.files.values():
            out.close()


def _graded(root: Path, batch: Batch, student: str) -> bool:
    folder = root / GRADED / batch.name / student / batch.assignment
    # The release's notebooks, which staging always writes: nbgrader grades only those, and a
    # student's extra notebook (JupyterLab's <name>-Copy1.ipynb) is kept, not graded, not missed.
    wanted = [p.name for p in (root / "release" / batch.assignment).glob("*.ipynb")]
    return bool(wanted) and all(cells.was_run(folder / name) for name in wanted)


def _has_feedback(root: Path, batch: Batch, student: str) -> bool:
    graded = root / GRADED / batch.name / student / batch.assignment
    wanted = [p.stem for p in graded.glob("*.ipynb")]
    folder = root / "feedback" / student / batch.assignment
    return bool(wanted) and all((folder / f"{name}.html").exists() for name in wanted)


def nbgrader_later(root: Path, env: dict) -> subprocess.Popen:
    """An nbgrader process that imports nbgrader now and takes its arguments later, from
    :func:`_give` (see :mod:`.nbgrader_later`): the import overlaps what the batch does first."""
    return subprocess.Popen(
        [sys.executable, "-m", "mlops_concepts.class_grading.nbgrader_later"],
        cwd=root,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _give(proc: subprocess.Popen, args: list[str]) -> subprocess.Popen:
    """Hand an :func:`nbgrader_later` process its command line."""
    try:
        proc.stdin.write(json.dumps(args).encode() + b"\n")
        proc.stdin.close()
    except OSError:  # it died while importing: its output says why
        pass
    return proc


def _start(
    batch: Batch, args: list[str], extra_env: dict[str, str] | None = None, staged_first: bool = False
):
    """Start ``nbgrader <args>`` for the batch: forked from the fork server when the batch runs
    in the grading command's process, else in a new :func:`nbgrader_later` process.

    ``staged_first``: the batch is prepared (:func:`prepare`) first, by the forked child itself
    (the batches stage at once, on as many cores), or here while nbgrader imports.
    """
    root = Path(batch.root)
    if batch.forked:
        server = forkserver.server_for(root)
        try:
            return server.start(args, extra_env, prepare=vars(batch) if staged_first else None)
        except forkserver.ForkServerGone as gone:
            # A process of its own says why nbgrader cannot start, if it cannot, in the batch's
            # log; the instructor learns once why grading is slower.
            if server.first_loss():
                print(
                    f"  note: {printable(gone, 400)}; each batch starts nbgrader by itself "
                    f"from now on, which is slower (log: {LOGS}/forkserver.log)",
                    flush=True,
                )
    later = nbgrader_later(root, dict(nbgrader_env(), **(extra_env or {})))
    if staged_first:
        try:
            prepare(batch)
        except BaseException:
            _kill(later)
            later.wait()
            raise
    return _give(later, args)


def _kill(proc) -> None:
    """Kill an nbgrader process and everything it started (its kernels), if still there."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


class _Running:
    """Every nbgrader process a batch of this process is following, to stop them all at once
    (the instructor pressed Ctrl-C). Once stopped, a process that starts is stopped at once."""

    def __init__(self):
        self.lock = threading.Lock()
        self.procs: set = set()
        self.stopped = False

    def add(self, proc) -> None:
        with self.lock:
            self.procs.add(proc)
            if self.stopped:
                _kill(proc)

    def discard(self, proc) -> None:
        with self.lock:
            self.procs.discard(proc)

    def stop(self) -> None:
        with self.lock:
            self.stopped = True
            for proc in self.procs:
                _kill(proc)

    def reset(self) -> None:
        with self.lock:
            self.stopped = False


running = _Running()


def _killed(code: int | None) -> str:
    """How an nbgrader process that did not exit by itself ended, in words; "" if it did."""
    if code is None:  # a fork server's child that wrote no exit status
        return "killed"
    if code < 0:
        try:
            return f"killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"killed by signal {-code}"
    return ""


def _run(
    proc,
    batch: Batch,
    logs: _Logs,
    done: Callable[[str], bool],
    on_done: Callable[[Result], None] | None,
    notes: Callable[[str], list[str]] | None = None,
) -> list[Result]:
    """Follow the nbgrader process ``proc`` (from :func:`_start`) over the batch, splitting its
    output into per-student logs.

    A student is finished when the process moves on to the next one (or ends); ``done`` then
    says whether their files were written. Each student has ``batch.timeout`` seconds from when
    nbgrader reaches them (and nbgrader as long to reach the first): past it, the whole process
    group is killed, and that student alone is "not graded". A student the process did not finish
    for a reason of the batch's (it died, or stopped before reaching them) is marked ``again``.
    A stop request (:func:`request_stop`) kills the process within ``STOP_POLL`` seconds.
    """
    root = Path(batch.root)
    results: dict[str, Result] = {}
    started_at: dict[str, float] = {}

    def finish(student: str, reason: str = "", again: bool = False) -> None:
        if student in results:
            return
        # Cut short, a student is not graded even if nbgrader had written their notebook: it
        # writes a first copy before running it.
        ok = not reason and done(student)
        now = time.perf_counter()
        result = Result(
            student,
            ok,
            "" if ok else (reason or last_error(logs.text(student))),
            now - started_at.get(student, now),
            batch.name,
            notes(student) if notes else [],
            again=not ok and (again or not reason),
            reached=student in started_at,
        )
        results[student] = result
        if on_done:
            on_done(result)

    # (student being graded, when their time is up), replaced whole as each student starts.
    clock = [(None, time.monotonic() + batch.timeout)]
    timed_out: list = []  # the student (or None: nbgrader's start) whose time ran out
    ended = threading.Event()

    def watch() -> None:
        while True:
            student, deadline = clock[0]
            left = deadline - time.monotonic()
            if left <= 0:
                timed_out.append(student)
                _kill(proc)
                return
            if stop_requested(root):  # the run was stopped; its process may be on another host
                _kill(proc)
                return
            if ended.wait(min(left, STOP_POLL)):
                return

    watchdog = threading.Thread(target=watch, name=f"timeout-{batch.name}", daemon=True)
    watchdog.start()
    running.add(proc)
    previous = None
    try:
        for raw in proc.stdout:
            started = logs.write(raw)
            if started:
                started_at[started] = time.perf_counter()
                clock[0] = (started, time.monotonic() + batch.timeout)
                if previous:
                    finish(previous)
                previous = started
        killed = _killed(proc.wait())
    finally:
        running.discard(proc)
        ended.set()
        logs.close()
    watchdog.join()
    if timed_out and timed_out[0] is not None:
        finish(timed_out[0], f"it took longer than {batch.timeout:.0f} s")
    if (killed or timed_out) and previous:  # died in the middle of this student (if not finished)
        finish(previous, f"its nbgrader process was {killed or 'stopped'} while grading it", again=True)
    why = "its process stopped before reaching it"
    if not started_at:  # nbgrader itself did not reach anyone: say why
        why = (
            f"nbgrader did not reach it within {batch.timeout:.0f} s"
            if timed_out
            else f"nbgrader stopped before grading anyone ({last_error(logs.preamble_text())})"
        )
    for student in batch.students:
        if student in started_at:
            finish(student)
        else:
            finish(student, why, again=True)
    return [results[s] for s in batch.students]


def stage_batch(root: Path, batch: Batch) -> dict[str, list[str]]:
    """Stage each student of the batch into its folder; return what staging noted, by student.

    Never raises for one student: an unreadable submission is staged as the blank release.
    """
    release = root / "release" / batch.assignment
    notebooks = {p.stem: p for p in sorted(release.glob("*.ipynb"))}
    notes = {}
    for student in batch.students:
        target = root / STAGING / batch.name / student / batch.assignment
        try:
            staged = stage(root / "submitted" / student / batch.assignment, target, notebooks, student)
        except Exception as err:  # one unreadable submission must not stop the class
            staged = stage_blank(
                target, notebooks, student, f"the submission could not be read ({type(err).__name__})"
            )
        kept = [f"{quoted(x)} kept, not graded" for x in staged.extras]  # the feedback says it too
        notes[student] = [n.message for n in staged.notes] + kept
    return notes


def prepare(batch: Batch) -> None:
    """Stage the batch and seed its scratch gradebook, where its nbgrader process will look.

    What staging noted, by student, goes to the batch's job folder (:func:`_staging_notes`): the
    batch may be prepared in the process that grades it, not in the one that follows it.
    """
    root = Path(batch.root)
    folder = root / JOBS / batch.name
    notes = stage_batch(root, batch)
    seed(batch.main_url, Path(batch.template), folder / "gradebook.db", batch.assignment, batch.students)
    (folder / NOTES).write_text(json.dumps(notes))


def _staging_notes(root: Path, batch: Batch) -> Callable[[str], list[str]]:
    """A student's staging notes, read once from the batch's job folder when first asked for
    (none if the batch was never prepared)."""
    read: list[dict] = []

    def of(student: str) -> list[str]:
        if not read:
            try:
                read.append(json.loads((root / JOBS / batch.name / NOTES).read_text()))
            except (OSError, ValueError):
                read.append({})
        return read[0].get(student, [])

    return of


def run_batch(batch: Batch, on_done: Callable[[Result], None] | None = None) -> list[Result]:
    """Stage and autograde the batch; call ``on_done`` as each student finishes; return every result.

    The notebooks are written to the batch's own folder (``.grading/graded/<batch>``), which the
    feedback step reads; :func:`publish` moves them into ``autograded/`` when all is done.
    """
    root = Path(batch.root)
    if stop_requested(root):  # sent to a worker just before the run was stopped
        return [Result(s, False, "the run was stopped", batch=batch.name) for s in batch.students]
    folder = root / JOBS / batch.name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / NOTES).unlink(missing_ok=True)
    shutil.rmtree(root / GRADED / batch.name, ignore_errors=True)
    shutil.rmtree(root / STAGING / batch.name, ignore_errors=True)
    args = [
        "autograde",
        batch.assignment,
        "--force",
        f"--CourseDirectory.submitted_directory={STAGING}/{batch.name}",
        f"--CourseDirectory.autograded_directory={GRADED}/{batch.name}",
        f"--CourseDirectory.db_url={scratch_url(root, batch.name)}",
        *batch.nbgrader_args,
    ]
    if len(batch.students) == 1:
        args += ["--student", batch.students[0]]
    return _run(
        _start(batch, args, {PREFLIGHT_ENV: "checked"}, staged_first=True),
        batch,
        _Logs(root / LOGS, batch),
        lambda student: _graded(root, batch, student),
        on_done,
        _staging_notes(root, batch),
    )


def run_feedback(batch: Batch, on_done: Callable[[Result], None] | None = None) -> list[Result]:
    """Write the feedback of a graded batch, from the course gradebook (hand grades included).

    Only the batch's students are in its folder, so batches write feedback at once; they only
    read the gradebook.
    """
    root = Path(batch.root)
    args = [
        "generate_feedback",
        batch.assignment,
        "--force",
        f"--CourseDirectory.autograded_directory={GRADED}/{batch.name}",
    ]
    if len(batch.students) == 1:
        args += ["--student", batch.students[0]]
    # The URL goes by the environment (nbgrader_config.py reads it), not the command line,
    # where other users of the machine could read a password in it.
    proc = _start(batch, args, {"MLOPS_CONCEPTS_DB_URL": batch.main_url})
    results = _run(
        proc,
        batch,
        _Logs(root / LOGS / "feedback", batch),
        lambda student: _has_feedback(root, batch, student),
        on_done,
    )
    for result in results:
        if not result.ok:  # no page at all rather than one cut off, or one of older grades
            _discard_feedback(root, batch, result.student)
    return results


def _discard_feedback(root: Path, batch: Batch, student: str) -> None:
    graded = root / GRADED / batch.name / student / batch.assignment
    folder = root / "feedback" / student / batch.assignment
    for notebook in graded.glob("*.ipynb"):
        (folder / f"{notebook.stem}.html").unlink(missing_ok=True)


def publish(root: Path, batch: str, assignment: str, student: str) -> None:
    """Move a student's freshly graded notebooks into ``autograded/``, replacing the old ones."""
    replace_folder(root / GRADED / batch / student / assignment, root / "autograded" / student / assignment)

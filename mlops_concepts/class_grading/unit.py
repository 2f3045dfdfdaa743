"""One student, one child, one result: the unit of class grading.

:func:`autograde_one` stages one student's submission, seeds their own scratch gradebook and
runs ``nbgrader autograde --student <id>`` on it; :func:`feedback_one` writes their feedback from
the course gradebook once the grading run has merged them (so hand grades show as the
Formgrader has them). Each returns a :class:`StudentResult` (outcome, reason, notes, log path,
seconds): a value, not text to be read back from nbgrader's log. Everything the child prints
goes to the student's own log, so the log needs no splitting. :mod:`.per_student` coordinates
the units of a class; the ``.grading/`` folders have one subfolder per student.

Where a unit runs is :mod:`.children`'s business: on this machine in a child forked from a
process that has nbgrader imported already, on a Dask worker in a subprocess of its own (a
daemonic worker may not fork children). Either way the child leads its own process group, so a
student past their time is killed with their kernel, and nobody else is touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from .layout import GRADED, JOBS, LOGS, STAGING

MAX_LOG_BYTES = 2 * 2**20
PREFLIGHT_ENV = "MLOPS_CONCEPTS_PREFLIGHT"  # preflight.ENV, without importing nbgrader here


@dataclass
class StudentJob:
    """What a child needs to grade one student: plain data, so it pickles to a child or a worker."""

    root: str
    assignment: str
    student: str
    main_url: str
    nbgrader_args: tuple[str, ...] = ()
    timeout: float = 1800.0  # for the whole unit: staging, nbgrader, the student's kernel
    template: str = ""  # the scratch gradebook every student starts from (gradebooks.seed_template)
    env: dict[str, str] = field(default_factory=dict)  # nbgrader's environment (commands.nbgrader_env)


@dataclass
class StudentResult:
    student: str
    ok: bool
    reason: str = ""  # why not ok, in words
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what staging repaired or refused
    log: str = ""  # the unit's log, relative to the course directory
    died: bool = False  # its process ended without a result (killed): worth one more try


def scratch_url(root: Path, student: str) -> str:
    return f"sqlite:///{root / JOBS / student / 'gradebook.db'}"


def staged_folder(root: Path, student: str, assignment: str) -> Path:
    # One folder per student above nbgrader's own <student>/<assignment>: each nbgrader sees
    # one student's submission, and writes only that student's autograded copy.
    return root / STAGING / student / student / assignment


def graded_folder(root: Path, student: str, assignment: str) -> Path:
    return root / GRADED / student / student / assignment


def log_path(step: str, student: str) -> str:
    return f"{LOGS}/{student}.log" if step == "autograde" else f"{LOGS}/feedback/{student}.log"


def _enter(job: StudentJob, step: str) -> str:
    """In the child: the job's directory and environment; stdin closed, stdout and stderr to
    the student's log (truncated first). Returns the log's path."""
    os.chdir(job.root)
    os.environ.clear()
    os.environ.update(job.env)
    log = log_path(step, job.student)
    Path(log).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    devnull = os.open(os.devnull, os.O_RDONLY)
    sys.stdout.flush()
    sys.stderr.flush()
    os.dup2(devnull, 0)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    os.close(devnull)
    # Where it ran: on a Dask cluster, the worker's host.
    print(
        f"{step} of {job.student} in process {os.getpid()} (group {os.getpgid(0)}, "
        f"child of {os.getppid()}) on {socket.gethostname()}",
        flush=True,
    )
    try:
        from setproctitle import setproctitle

        setproctitle(f"nbgrader {step} {job.assignment} --student {job.student}")
    except ImportError:  # only ps and top would show less
        pass
    return log


def _nbgrader(args: list[str]) -> int:
    """Run ``nbgrader <args>`` in this process; its exit status."""
    from nbgrader.apps.nbgraderapp import NbGraderApp

    try:
        NbGraderApp.launch_instance(argv=args)
    except SystemExit as stop:
        if isinstance(stop.code, int) or stop.code is None:
            return stop.code or 0
        print(stop.code, file=sys.stderr)
        return 1
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
    return 0


def _cap_log(log: str) -> None:
    """A flooding kernel's output must not fill the disk: keep the first MAX_LOG_BYTES."""
    try:
        if os.path.getsize(log) > MAX_LOG_BYTES:
            with open(log, "r+b") as f:
                f.truncate(MAX_LOG_BYTES)
                f.seek(MAX_LOG_BYTES)
                f.write(b"\n[log truncated by the grader]\n")
    except OSError:
        pass


def _why(log: str, code: int) -> str:
    from .commands import last_error

    try:
        with open(log, "rb") as f:
            f.seek(max(0, os.path.getsize(log) - 64 * 1024))
            text = f.read().decode("utf-8", errors="replace")
    except OSError:
        text = ""
    return last_error(text) if text else f"nbgrader exited with status {code}"


def stage_one(job: StudentJob) -> list[str]:
    """Stage the student's submission; what staging noted. Never raises for the submission."""
    from ..contract.submissions import stage, stage_blank
    from ..contract.untrusted import quoted

    root = Path(job.root)
    release = root / "release" / job.assignment
    notebooks = {p.stem: p for p in sorted(release.glob("*.ipynb"))}
    target = staged_folder(root, job.student, job.assignment)
    shutil.rmtree(target.parent.parent, ignore_errors=True)
    try:
        staged = stage(root / "submitted" / job.student / job.assignment, target, notebooks, job.student)
    except Exception as err:  # one unreadable submission must not stop the class
        staged = stage_blank(
            target, notebooks, job.student, f"the submission could not be read ({type(err).__name__})"
        )
    kept = [f"{quoted(x)} kept, not graded" for x in staged.extras]  # the feedback says it too
    return [n.message for n in staged.notes] + kept


def autograde_one(job: StudentJob) -> StudentResult:
    """Stage, seed and autograde one student, in this (child) process."""
    from ..contract import cells
    from .gradebooks import seed

    started = time.perf_counter()
    log = _enter(job, "autograde")
    root = Path(job.root)
    shutil.rmtree(root / GRADED / job.student, ignore_errors=True)
    (root / JOBS / job.student).mkdir(parents=True, exist_ok=True)
    notes = stage_one(job)
    scratch = root / JOBS / job.student / "gradebook.db"
    seed(job.main_url, Path(job.template), scratch, job.assignment, [job.student])
    os.environ[PREFLIGHT_ENV] = "checked"
    code = _nbgrader(
        [
            "autograde",
            job.assignment,
            "--force",
            "--student",
            job.student,
            f"--CourseDirectory.submitted_directory={STAGING}/{job.student}",
            f"--CourseDirectory.autograded_directory={GRADED}/{job.student}",
            f"--CourseDirectory.db_url={scratch_url(root, job.student)}",
            *job.nbgrader_args,
        ]
    )
    _cap_log(log)
    folder = graded_folder(root, job.student, job.assignment)
    # The release's notebooks, which staging always writes: nbgrader grades only those, and a
    # student's extra notebook (JupyterLab's <name>-Copy1.ipynb) is kept, not graded, not missed.
    wanted = [p.name for p in (root / "release" / job.assignment).glob("*.ipynb")]
    ok = bool(wanted) and all(cells.was_run(folder / name) for name in wanted)
    reason = "" if ok else _why(log, code)
    return StudentResult(job.student, ok, reason, time.perf_counter() - started, notes, log)


def feedback_one(job: StudentJob) -> StudentResult:
    """Write one merged student's feedback from the course gradebook (hand grades included)."""
    started = time.perf_counter()
    log = _enter(job, "feedback")
    root = Path(job.root)
    # The URL goes by the environment (nbgrader_config.py reads it), not the command line,
    # where other users of the machine could read a password in it.
    os.environ["MLOPS_CONCEPTS_DB_URL"] = job.main_url
    code = _nbgrader(
        [
            "generate_feedback",
            job.assignment,
            "--force",
            "--student",
            job.student,
            f"--CourseDirectory.autograded_directory={GRADED}/{job.student}",
        ]
    )
    _cap_log(log)
    ok = has_feedback(root, job)
    if not ok:  # no page at all rather than one cut off
        discard_feedback(root, job)
    reason = "" if ok else _why(log, code)
    return StudentResult(job.student, ok, reason, time.perf_counter() - started, [], log)


def has_feedback(root: Path, job: StudentJob) -> bool:
    wanted = [p.stem for p in graded_folder(root, job.student, job.assignment).glob("*.ipynb")]
    folder = root / "feedback" / job.student / job.assignment
    return bool(wanted) and all((folder / f"{name}.html").exists() for name in wanted)


def discard_feedback(root: Path, job: StudentJob) -> None:
    folder = root / "feedback" / job.student / job.assignment
    for notebook in graded_folder(root, job.student, job.assignment).glob("*.ipynb"):
        (folder / f"{notebook.stem}.html").unlink(missing_ok=True)


def publish(root: Path, assignment: str, student: str) -> None:
    """Move a student's freshly graded notebooks into ``autograded/``, replacing the old ones."""
    replace_folder(graded_folder(root, student, assignment), root / "autograded" / student / assignment)


def replace_folder(source: Path, target: Path) -> None:
    """Put the folder ``source`` at ``target``; what was there is set aside first, then removed,
    so ``target`` is never a mix of old and new files."""
    target.parent.mkdir(parents=True, exist_ok=True)
    if os.path.lexists(target):
        old = target.with_name(f".{target.name}.old")
        shutil.rmtree(old, ignore_errors=True)
        os.replace(target, old)
        shutil.rmtree(old, ignore_errors=True)
    os.replace(source, target)


STEPS = {"autograde": autograde_one, "feedback": feedback_one}

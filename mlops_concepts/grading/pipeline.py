"""The course's one-command jobs: ``mlops-concepts demo`` and ``mlops-concepts grade``.

``grade`` is what an instructor runs on a class: it stages every submission (see
:mod:`mlops_concepts.grading.submissions`), autogrades each student in its own ``nbgrader
autograde`` process (so one broken or hostile submission cannot stop the others), writes feedback,
exports grades to CSV and prints a per-student summary and the items the class struggled with. It
exits 0 when it graded everyone it could, and lists anyone it could not.

``demo`` does the same on the sample submissions shipped in ``tests/samples/``, after building
``release/`` from ``source/``: the whole instructor workflow, with SQLite and no server.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from .submissions import Staged, stage, stage_blank
from .untrusted import printable

REPO = Path(__file__).resolve().parents[2]
DEFAULT_ASSIGNMENT = "01-introduction-to-mlops"
STAGING = ".grading/staging"
LOGS = ".grading/logs"


LOG_TAIL_BYTES = 64 * 1024


def _nbgrader(root: Path, *args: str, timeout: float | None = None, log: Path | None = None):
    """Run one nbgrader command; its output goes straight to ``log`` (never held in memory).

    Returns a CompletedProcess whose ``stdout`` is the last part of the log, enough to say why a
    run failed. On timeout the whole process group is killed, kernels included.
    """
    if log is None:
        log = root / LOGS / "nbgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "nbgrader", *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(cmd, cwd=root, stdout=out, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=nbgrader_env(), start_new_session=True)
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
        tail = f.read().decode("utf-8", errors="replace")
    return subprocess.CompletedProcess(cmd, code, tail, "")


def nbgrader_env() -> dict:
    """Environment for nbgrader subprocesses: it runs ``alembic`` by name, so our venv goes on PATH."""
    bindir = str(Path(sys.executable).parent)
    return dict(os.environ, PATH=os.pathsep.join([bindir, os.environ.get("PATH", "")]),
                PYTHONWARNINGS="ignore")


def _say(text: str) -> None:
    print(text, flush=True)


def release(root: Path, assignment: str) -> None:
    _say(f"==> Building release/{assignment} from source/{assignment}")
    result = _nbgrader(root, "generate_assignment", assignment, "--force")
    if result.returncode != 0:
        sys.exit(f"nbgrader generate_assignment failed:\n{result.stdout}{result.stderr}")


def _release_notebooks(root: Path, assignment: str) -> dict[str, Path]:
    folder = root / "release" / assignment
    notebooks = {p.stem: p for p in sorted(folder.glob("*.ipynb"))}
    if not notebooks:
        sys.exit(f"release/{assignment} has no notebook: run generate_assignment first")
    return notebooks


def _scores(root: Path, assignment: str, students: list[str]):
    from nbgrader.api import Gradebook, MissingEntry
    from traitlets.config import Config  # noqa: F401  (keeps nbgrader's config machinery loaded)

    db_url = _db_url(root)
    rows = {}
    items = {}
    with Gradebook(db_url) as gb:
        for student in students:
            try:
                sub = gb.find_submission(assignment, student)
            except MissingEntry:
                continue
            failed = []
            for nb in sub.notebooks:
                for grade in nb.grades:
                    if grade.auto_score is None or grade.cell.cell_type != "code":
                        continue
                    ok = grade.auto_score >= grade.max_score
                    passed, total = items.get(grade.name, (0, 0))
                    items[grade.name] = (passed + ok, total + 1)
                    if not ok:
                        failed.append(grade.name)
            rows[student] = (sub.score, sub.max_score, sub.needs_manual_grade, failed)
    return rows, items


def _db_url(root: Path) -> str:
    """The gradebook URL of the course at ``root``, read from its own nbgrader_config.py only."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    url = config.CourseDirectory.get("db_url")
    return url if isinstance(url, str) else f"sqlite:///{root / 'gradebook.db'}"


def grade(root: Path, assignment: str, timeout_per_student: float = 1800,
          nbgrader_args: tuple[str, ...] = ()) -> int:
    """Grade every submission of ``assignment`` under ``root/submitted``; return the exit code."""
    submitted = root / "submitted"
    students = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) \
        if submitted.is_dir() else []
    if not students:
        _say(f"No submissions of {assignment} in {submitted}.")
        return 0
    notebooks = _release_notebooks(root, assignment)
    staging = root / STAGING
    shutil.rmtree(staging, ignore_errors=True)

    _say(f"==> Grading {len(students)} submission(s) of {assignment} (sandboxed)")
    staged: dict[str, Staged] = {}
    not_graded: dict[str, str] = {}
    started = time.perf_counter()
    for i, student in enumerate(students, 1):
        t0 = time.perf_counter()
        try:
            info = stage(submitted / student / assignment, staging / student / assignment,
                         notebooks, student)
        except Exception as err:  # one unreadable submission must not stop the class
            info = stage_blank(staging / student / assignment, notebooks, student,
                               f"the submission could not be read ({type(err).__name__}: {err})")
        staged[student] = info
        log = root / LOGS / f"{student}.log"
        try:
            result = _nbgrader(root, "autograde", assignment, "--student", student, "--force",
                               f"--CourseDirectory.submitted_directory={STAGING}", *nbgrader_args,
                               timeout=timeout_per_student, log=log)
            ok = result.returncode == 0
            reason = _last_error(result.stdout + result.stderr)
        except subprocess.TimeoutExpired:
            ok, reason = False, f"grading took longer than {timeout_per_student:.0f} s"
        if not ok:
            not_graded[student] = reason
        status = "graded" if ok else "NOT GRADED"
        # Student names, notes and nbgrader's messages may carry text the student chose: escaped,
        # on one line each, so nothing printed here can be forged or recoloured by a submission.
        remarks = printable("; ".join(n.message for n in info.notes), 600)
        _say(f"  [{i}/{len(students)}] {printable(student)}: {status} in "
             f"{time.perf_counter() - t0:.1f} s" + (f" ({remarks})" if remarks else "")
             + ("" if ok else f": {printable(reason)} (log: {printable(log)})"))
    elapsed = time.perf_counter() - started

    _say("==> Writing feedback")
    result = _nbgrader(root, "generate_feedback", assignment, "--force", log=root / LOGS / "feedback.log")
    if result.returncode != 0:
        _say(f"  some feedback could not be written: see {root / LOGS / 'feedback.log'}")
    _say("==> Exporting grades to grades.csv")
    _nbgrader(root, "export", "--to", str(root / "grades.csv"), log=root / LOGS / "export.log")

    rows, items = _scores(root, assignment, students)
    _say("")
    _say(f"{'student':<24} {'score':>11}  notes")
    for student in students:
        if student in rows:
            score, max_score, manual, failed = rows[student]
            extra = []
            if failed:
                extra.append("missed " + ", ".join(failed))
            if manual:
                extra.append("reflection to grade by hand")
            _say(f"{printable(student):<24} {score:>5.1f} / {max_score:<4.1f} {'; '.join(extra)}")
        else:
            reason = printable(not_graded.get(student, "unknown"))
            _say(f"{printable(student):<24} {'-':>11}  not graded: {reason}")
    if items:
        hardest = sorted(items.items(), key=lambda kv: kv[1][0] / kv[1][1])[:5]
        _say("Items the class found hardest: " + ", ".join(
            f"{name} ({passed}/{total})" for name, (passed, total) in hardest))
    _say(f"Graded {len(students) - len(not_graded)} of {len(students)} in {elapsed:.1f} s "
         f"({elapsed / len(students):.1f} s per submission). Feedback: feedback/, grades: grades.csv")
    if not_graded:
        _say("Could not grade: " + ", ".join(f"{printable(s)} ({printable(r)})"
                                             for s, r in not_graded.items()))
    return 0


def _last_error(log: str) -> str:
    """The most telling error line of an nbgrader log: the exception itself, not the boilerplate."""
    lines = log.splitlines()
    for line in reversed(lines):
        match = re.search(r"\b(\w+(?:Error|Exception|Unavailable)): (.+)", line)
        if match:
            return f"{match.group(1)}: {match.group(2).strip()}"[:400]
    boiler = ("Please see", "There was an error processing")
    errors = [ln for ln in lines if "ERROR" in ln and not any(b in ln for b in boiler)]
    return errors[-1].strip()[:400] if errors else "nbgrader failed (see the log)"


def demo(root: Path, assignment: str, nbgrader_args: tuple[str, ...] = ()) -> int:
    release(root, assignment)
    samples = REPO / "tests" / "samples" / "submitted"
    _say(f"==> Copying the sample submissions from {samples.relative_to(REPO)} into submitted/")
    for student_dir in sorted(samples.iterdir()):
        dest = root / "submitted" / student_dir.name / assignment
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(student_dir / assignment, dest)
    return grade(root, assignment, nbgrader_args=nbgrader_args)


def check(root: Path, assignments: list[str]) -> int:
    """``mlops-concepts check``: print every authoring problem; exit 1 if there is any."""
    from ..authoring.lint import lint

    if not assignments:
        assignments = sorted(p.name for p in (root / "source").iterdir() if p.is_dir()) \
            if (root / "source").is_dir() else []
    if not assignments:
        _say(f"No chapters in {root / 'source'}.")
        return 1
    failed = 0
    for assignment in assignments:
        problems = lint(root, assignment)
        failed += bool(problems)
        _say(f"{assignment}: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        for problem in problems:
            _say(f"  {problem}")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="mlops-concepts", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, helptext in (("demo", "build release/, grade the sample submissions, export"),
                           ("grade", "grade every submission in submitted/, export")):
        p = sub.add_parser(name, help=helptext,
                           epilog="Other --Class.trait=value options are passed to nbgrader "
                                  "autograde, e.g. --SandboxedExecute.sandbox=False (trusted "
                                  "submissions only) or --Execute.timeout=120.")
        p.add_argument("assignment", nargs="?", default=DEFAULT_ASSIGNMENT)
        p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
    p = sub.add_parser("check", help="lint chapters against the authoring contract (no code runs)")
    p.add_argument("assignment", nargs="*", help="chapter ids (default: every chapter in source/)")
    p.add_argument("--root", type=Path, default=Path.cwd(), help="course directory")
    args, extra = parser.parse_known_args(argv)
    if args.command == "check":
        if extra:
            parser.error(f"unrecognised arguments: {' '.join(extra)}")
        return check(args.root.resolve(), args.assignment)
    bad = [a for a in extra if not re.fullmatch(r"--\w+\.\w+=.*", a)]
    if bad:
        parser.error(f"unrecognised arguments: {' '.join(bad)}")
    root = args.root.resolve()
    if not (root / "nbgrader_config.py").exists():
        parser.error(f"{root} is not a course directory (no nbgrader_config.py)")
    if args.command == "demo":
        return demo(root, args.assignment, tuple(extra))
    return grade(root, args.assignment, nbgrader_args=tuple(extra))


if __name__ == "__main__":
    sys.exit(main())

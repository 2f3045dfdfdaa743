"""Before grading anyone, grade the instructor's own solution: an environment fault is never a zero.

A course directory copied away from the package it was built with, a sandbox that cannot import the
course package, a broken kernel: each makes *every* student score 0, with nothing to tell the
instructor but low grades. So before a class is graded, the instructor's solution (``source/``'s
answer cells, put into the released notebook as a student would submit it) is autograded by the
same ``nbgrader autograde``, in the same sandbox, with the same settings and extra arguments. If
it does not earn every autograded point, nothing is graded: the command says why and exits 2.

It runs in scratch folders under ``.grading/preflight/`` with a scratch gradebook, so the course's
gradebook, ``submitted/``, ``autograded/`` and ``feedback/`` are never touched. A success is cached
against a fingerprint of everything it depends on (the chapter's source and release, the course
configuration, the course package's files, the Python and nbgrader that run it, the extra
arguments), so it costs one notebook run per chapter until one of those changes. The cache is the
user's (``~/.cache/mlops-concepts/preflight/``, or ``MLOPS_CONCEPTS_CACHE``); only successes are
kept.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..authoring.samples import solutions, submission
from .commands import last_error, nbgrader
from .gradebooks import seed, seed_template
from .layout import LOGS

FOLDER = ".grading/preflight"
# The solution's "student": a well-formed id that no exchange folder can produce for a real one
# (collect names students after their Unix user; this is not a valid one on any system we know).
STUDENT = "instructor-solution"
TIMEOUT = 900.0  # seconds for the whole solution notebook
# Set in the environment of the nbgrader processes that need no check of their own: "solution" for
# the check's own run, "checked" for the students of a grading run that has passed it.
ENV = "MLOPS_CONCEPTS_PREFLIGHT"
# The command-line options that change how a notebook runs and is graded; the others say where
# the course's folders and gradebook are, which the check replaces with scratch ones.
RELEVANT = ("--SandboxedExecute.", "--Execute.", "--ExecutePreprocessor.", "--GradeFromReports.")


def relevant_args(args) -> tuple[str, ...]:
    """The options of ``args`` that the solution must be graded with too."""
    return tuple(a for a in args if isinstance(a, str) and a.startswith(RELEVANT))


@dataclass
class Preflight:
    ok: bool
    reason: str = ""
    cached: bool = False
    log: str = ""


def _package_files() -> list[Path]:
    package = Path(__file__).resolve().parents[1]
    return sorted(p for p in package.rglob("*") if p.is_file() and "__pycache__" not in p.parts)


def fingerprint(root: Path, assignment: str, nbgrader_args: tuple[str, ...] = ()) -> str:
    """A digest of everything the solution's grade depends on."""
    import nbgrader as nbgrader_package

    digest = hashlib.sha256()

    def add(label: str, data: bytes) -> None:
        digest.update(f"{label}\0{len(data)}\0".encode())
        digest.update(data)

    # Course files by their place in the course, so that two copies of one course share a result;
    # the package by where it is, since which copy the grader and the sandbox import is what
    # breaks when a course moves (nbgrader_config.py puts the course directory first on the path).
    for path in [
        root / "nbgrader_config.py",
        *sorted((root / "source" / assignment).glob("*.ipynb")),
        *sorted((root / "release" / assignment).glob("*.ipynb")),
        *sorted(p for p in (root / "mlops_concepts").rglob("*.py") if p.is_file()),
    ]:
        add(str(path.relative_to(root)), path.read_bytes() if path.is_file() else b"(missing)")
    for path in _package_files():
        add(str(path), path.read_bytes())
    add("python", sys.executable.encode())
    # The sandbox itself: a run that finds no bubblewrap (another PATH) must not count as checked.
    add("bwrap", str(shutil.which("bwrap")).encode())
    add("nbgrader", nbgrader_package.__version__.encode())
    add("args", "\0".join(nbgrader_args).encode())
    for name in sorted(os.environ):
        if name.startswith("MLOPS_CONCEPTS_") and name not in ("MLOPS_CONCEPTS_CACHE", ENV):
            add(name, os.environ[name].encode())
    return digest.hexdigest()


def _cache(key: str) -> Path:
    """Where a success is remembered: per user, by fingerprint, shared by copies of a course."""
    base = os.environ.get("MLOPS_CONCEPTS_CACHE") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "mlops-concepts"
    )
    return Path(base) / "preflight" / key


def _autograded_shortfall(url: str, assignment: str) -> list[str]:
    """The autograded items of the solution that did not earn full marks (all of them if none)."""
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(url) as gb:
        try:
            sub = gb.find_submission(assignment, STUDENT)
        except MissingEntry:
            return ["(nothing was graded)"]
        short = []
        graded = 0
        for notebook in sub.notebooks:
            for grade in notebook.grades:
                if grade.cell_type != "code" or grade.auto_score is None:
                    continue  # a reflection, graded by hand
                graded += 1
                if grade.auto_score < grade.max_score:
                    short.append(f"{grade.name} ({grade.auto_score:g} of {grade.max_score:g})")
        return short if graded else ["(no autograded item was scored)"]


def check(root: Path, assignment: str, main_url: str, nbgrader_args: tuple[str, ...] = ()) -> Preflight:
    """Grade the instructor's solution of ``assignment`` as a student's; cached while unchanged."""
    nbgrader_args = relevant_args(nbgrader_args)
    key = fingerprint(root, assignment, nbgrader_args)
    cache = _cache(key)
    if cache.is_file():
        return Preflight(True, cached=True)
    work = root / FOLDER / assignment
    shutil.rmtree(work, ignore_errors=True)
    folder = work / "submitted" / STUDENT / assignment
    folder.mkdir(parents=True)
    nbformat.write(submission(root, assignment, solutions(root, assignment)), folder / f"{assignment}.ipynb")
    template, scratch = work / "template.db", work / "gradebook.db"
    seed_template(main_url, template, assignment)
    seed(main_url, template, scratch, assignment, [STUDENT])
    url = f"sqlite:///{scratch}"
    log = root / LOGS / f"preflight-{assignment}.log"
    try:
        result = nbgrader(
            root,
            "autograde",
            assignment,
            "--force",
            f"--student={STUDENT}",
            f"--CourseDirectory.submitted_directory={work.relative_to(root) / 'submitted'}",
            f"--CourseDirectory.autograded_directory={work.relative_to(root) / 'autograded'}",
            f"--CourseDirectory.db_url={url}",
            *nbgrader_args,
            timeout=TIMEOUT,
            log=log,
            env={ENV: "solution"},
        )
    except subprocess.TimeoutExpired:
        return Preflight(False, f"the solution was still being graded after {TIMEOUT:.0f} s", log=str(log))
    short = _autograded_shortfall(url, assignment)
    if result.returncode != 0 or short:
        why = last_error(result.stdout) if result.returncode != 0 else ""
        parts = [f"it scored less than full marks on {', '.join(short[:5])}" if short else ""]
        if len(short) > 5:
            parts[0] += f" and {len(short) - 5} more"
        if why:
            parts.append(f"nbgrader said: {why}")
        elif short:
            parts.append(_first_error(work, assignment))
        return Preflight(False, "; ".join(p for p in parts if p), log=str(log))
    try:
        cache.parent.mkdir(parents=True, exist_ok=True)
        cache.write_text(f"{assignment}\n")
    except OSError:
        pass  # no cache to write: the next run checks again
    shutil.rmtree(work, ignore_errors=True)
    return Preflight(True, log=str(log))


def _first_error(work: Path, assignment: str) -> str:
    """The error the graded solution met: an import error first (the environment's usual fault),
    else the first error a cell printed."""
    path = work / "autograded" / STUDENT / assignment / f"{assignment}.ipynb"
    if not path.is_file():
        return ""
    errors = [
        output
        for cell in nbformat.read(path, as_version=4).cells
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    imports = [e for e in errors if e.get("ename") in ("ModuleNotFoundError", "ImportError")]
    for error in imports or errors:
        return f"the first error was {error.get('ename')}: {error.get('evalue', '')[:300]}"
    return ""


def refusal_message(assignment: str, outcome: Preflight) -> str:
    return (
        f"REFUSED: the instructor's own solution of {assignment} does not earn full marks when "
        f"graded here ({outcome.reason}). Every student would be graded in this same environment, "
        "so nothing was graded and nothing was changed. Check that the course package the grader "
        "runs is installed where the sandbox can import it, and that nbgrader_config.py is this "
        f"course's (log: {outcome.log})."
    )

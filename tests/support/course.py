"""Build throwaway course directories and grade submissions in them, for the tests.

Every test that grades does it the way an instructor does: real ``nbgrader`` commands run by the
course's pipeline on a real course directory (a temporary copy of this repository's course files).
"""

from __future__ import annotations

import atexit
import copy
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.authoring.samples import solutions, submission  # noqa: F401 (tests use them from here)
from mlops_concepts.class_grading.commands import nbgrader_env

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENTS = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())


def has_lab(assignment: str) -> bool:
    """Whether a chapter has lab exercises (functions graded on hidden cases)."""
    return "cases={" in (REPO / "source" / assignment / f"{assignment}.ipynb").read_text()


#: Where the submission-robustness cases that do not depend on a chapter run: see :func:`runs_on`.
FIRST_CHAPTER = ASSIGNMENTS[0]


def runs_on(assignment: str, per_chapter: bool) -> bool:
    """Whether a submission-robustness case (hostile, broken or flooding submissions, trust
    boundary, plain nbgrader on unstaged folders) is graded on ``assignment``.

    Cases that break, fill or read a chapter's own cells (a loop or a crash in an answer, a
    missing answer cell, the printed history of its checks, an honest or a partial notebook)
    are graded on every chapter: what survives them depends on the chapter's cells and labs.
    Cases decided before the first cell runs or after the last one, the same way whatever the
    chapter holds (hostile files, links and names, modules planted for the launcher, output
    floods), are graded on the first chapter only: on the others they would run the same code
    again, at minutes of CI per chapter.
    """
    return per_chapter or assignment == FIRST_CHAPTER


def on_chapters(select):
    """Marker: generate a test only for the chapters ``select(assignment, params)`` accepts.

    ``params`` are the test's parameters (``{"case": ...}``). The pairs left out are deselected at
    collection time (tests/conftest.py), so they never show as skips: every skip in a run is real.
    """
    return pytest.mark.chapters(select)


#: The test runs on the first chapter only (what it checks does not depend on the chapter).
first_chapter_only = on_chapters(lambda assignment, params: runs_on(assignment, False))

#: The test runs on chapters with a lab only.
lab_chapters_only = on_chapters(lambda assignment, params: has_lab(assignment))


def per_chapter_cases(per_chapter: set[str], param: str = "case"):
    """The case in ``param`` runs on every chapter if it is in ``per_chapter``, else on the first."""
    return on_chapters(lambda assignment, params: runs_on(assignment, params.get(param) in per_chapter))


def per_chapter_case(per_chapter: set[str], case: str):
    """A test about one named case: every chapter if it is in ``per_chapter``, else the first."""
    return on_chapters(lambda assignment, params: runs_on(assignment, case in per_chapter))


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
    )


def make_course(root: Path, timeout: int = 20, assignments: list[str] = ASSIGNMENTS[:1]) -> Path:
    """A course directory with this repo's config and every chapter's source, and ``assignments``
    generated (released into the gradebook), by default the first chapter.

    ``nbgrader generate_assignment`` costs several seconds a chapter (every diagram is drawn), and
    some forty tests each want a fresh course: each set of ``assignments`` is generated once per
    test session, by the real command, into a template, and every course is a copy of it (its
    own files, its own gradebook) with its own cell ``timeout``. A gradebook chosen by the
    environment (``MLOPS_CONCEPTS_DB_URL``: a PostgreSQL server) is outside the folder, where no
    copy would reach: then the assignments are generated into the course itself, as before."""
    root.mkdir(parents=True, exist_ok=True)
    _write_config(root, timeout)
    if "MLOPS_CONCEPTS_DB_URL" in os.environ or not assignments:
        _generate(root, assignments)
        return root
    template = _generated(tuple(assignments), _settings())
    shutil.copytree(template, root, symlinks=True, dirs_exist_ok=True, ignore=_config_of(template))
    return root


def _settings() -> tuple:
    """The course's settings taken from the environment (a template serves only its own)."""
    return tuple(sorted((k, v) for k, v in os.environ.items() if k.startswith("MLOPS_CONCEPTS_")))


def _config_of(template: Path):
    """copytree's ``ignore``: the template's own nbgrader_config.py (each course has its own)."""
    return lambda folder, names: ["nbgrader_config.py"] if Path(folder) == template else []


def _generate(root: Path, assignments) -> None:
    """Every chapter's source into the course at ``root`` (its config written), ``assignments``
    generated by the real command."""
    shutil.copytree(REPO / "source", root / "source")
    for assignment in assignments:
        result = nbgrader(root, "generate_assignment", assignment, "--force")
        assert result.returncode == 0, result.stdout + result.stderr


def _write_config(root: Path, timeout: int) -> None:
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = {timeout}\n")


_TEMPLATES: dict[tuple, Path] = {}
_TEMPLATES_LOCK = threading.Lock()  # some tests make courses from several threads


def _generated(assignments: tuple[str, ...], settings: tuple) -> Path:
    """The session's course with ``assignments`` generated (never handed out: only copied)."""
    key = (assignments, settings)
    with _TEMPLATES_LOCK:
        if key not in _TEMPLATES:
            base = Path(tempfile.mkdtemp(prefix="mlops-course-template-"))
            atexit.register(shutil.rmtree, base, True)
            root = base / "course"
            root.mkdir()
            _write_config(root, 20)
            _generate(root, assignments)
            _TEMPLATES[key] = root
        return _TEMPLATES[key]


def notebook_path(root: Path, step: str, assignment: str) -> Path:
    return root / step / assignment / f"{assignment}.ipynb"


def cell_id(cell):
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def submit(root: Path, assignment: str, student: str, nb=None, files: dict[str, bytes] | None = None):
    folder = root / "submitted" / student / assignment
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    if nb is not None:
        nbformat.write(nb, folder / f"{assignment}.ipynb")
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return folder


def before_first_answer(nb, code: str):
    """A copy of the notebook with ``code`` run before the student's first answer (a loop, a
    pause)."""
    changed = copy.deepcopy(nb)
    answer = next(
        c for c in changed.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution")
    )
    answer.source = code + answer.source
    return changed


def pids_mentioning(*texts: str) -> dict[int, str]:
    """Processes (but this one) whose command line mentions any of ``texts``, with that line."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if any(text in cmdline for text in texts):
            found[int(entry.name)] = cmdline
    return found


def grade_all(
    root: Path, assignment: str, *extra: str, timeout: float | None = None
) -> subprocess.CompletedProcess:
    """Run the course's grading command (the same one the README gives instructors)."""
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_concepts.class_grading.cli",
            "grade",
            assignment,
            "--root",
            str(root),
            *extra,
        ],
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=timeout,
    )


def item_scores(root: Path, assignment: str, student: str) -> dict[str, float]:
    """Autograded score of every graded cell of one student's submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return {g.name: g.score for nb in sub.notebooks for g in nb.grades if g.cell.cell_type == "code"}


def max_scores(root: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(assignment, assignment)
        return {g.name: g.max_score for g in nb.grade_cells if g.cell_type == "code"}

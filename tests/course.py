"""Build throwaway course directories and grade submissions in them, for the tests.

Every test that grades does it the way an instructor does: real ``nbgrader`` commands run by the
course's pipeline on a real course directory (a temporary copy of this repository's course files).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import nbformat

from mlops_concepts.authoring.samples import solutions, submission  # noqa: F401 (tests use them from here)
from mlops_concepts.grading.pipeline import nbgrader_env

REPO = Path(__file__).resolve().parents[1]
ASSIGNMENTS = sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir())


def has_lab(assignment: str) -> bool:
    """Whether a chapter has lab exercises (functions graded on hidden cases)."""
    return "cases={" in (REPO / "source" / assignment / f"{assignment}.ipynb").read_text()


#: The chapters the submission-robustness suites (hostile, broken and flooding submissions,
#: staging, plain nbgrader on unstaged folders) run on: the first chapter, all answers and one
#: function on visible inputs, and the first chapter with a lab, functions on hidden cases.
#: What they test is the grader's handling of a submission, which the two kinds of chapter
#: cover; the chapter-specific suites (cheats, sandbox, release, notebooks, browser, demo) run
#: on every chapter. One class per module and chapter costs minutes, so not all four.
ROBUSTNESS_CHAPTERS = [ASSIGNMENTS[0], *[a for a in ASSIGNMENTS if has_lab(a)][:1]]


def nbgrader(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=root,
                          capture_output=True, text=True, env=nbgrader_env())


def make_course(root: Path, timeout: int = 20) -> Path:
    """A course directory with this repo's config and source, and its assignments generated."""
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(REPO / "nbgrader_config.py", root / "nbgrader_config.py")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.Execute.timeout = {timeout}\n")
    shutil.copytree(REPO / "source", root / "source")
    for assignment in ASSIGNMENTS:
        result = nbgrader(root, "generate_assignment", assignment, "--force")
        assert result.returncode == 0, result.stdout + result.stderr
    return root


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


def grade_all(root: Path, assignment: str) -> subprocess.CompletedProcess:
    """Run the course's grading command (the same one the README gives instructors)."""
    return subprocess.run(
        [sys.executable, "-m", "mlops_concepts.grading.pipeline", "grade", assignment,
         "--root", str(root)], capture_output=True, text=True, env=nbgrader_env(),
    )


def item_scores(root: Path, assignment: str, student: str) -> dict[str, float]:
    """Autograded score of every graded cell of one student's submission."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission(assignment, student)
        return {g.name: g.score for nb in sub.notebooks for g in nb.grades
                if g.cell.cell_type == "code"}


def max_scores(root: Path, assignment: str) -> dict[str, float]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        nb = gb.find_notebook(assignment, assignment)
        return {g.name: g.max_score for g in nb.grade_cells if g.cell_type == "code"}

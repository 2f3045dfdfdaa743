"""Student ids are untrusted: a refused one is listed, escaped, and never graded; the class is.

A class with two honest students, one whose notebook is corrupt, and folders whose names are not
acceptable ids (a leading control character, which used to make plain ``nbgrader autograde``
grade nobody; a newline; a leading ``-``; JavaScript; a ``+``). Graded both ways an instructor
can: ``mlops-concepts grade`` and plain ``nbgrader autograde``. Then the course option
``c.StudentIds.roster_only``, on and off.
"""

from __future__ import annotations

import csv
import subprocess
import sys

import nbformat
import pytest

from mlops_concepts.class_grading.commands import nbgrader_env
from support.cheats.runner import copy_course, tree_snapshot
from support.course import FIRST_CHAPTER, grade_all, nbgrader, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = FIRST_CHAPTER
GOOD = ["a-good", "c.good_2"]
CORRUPT = "b-corrupt"
BAD = {
    "\x01leading-control": "\\x01leading-control",
    "\x1b[2Jclear": "\\x1b[2Jclear",
    "new\nline": "new\\x0aline",
    "-rf": "-rf",
    'x";alert(1);x': 'x";alert(1);x',
    "jo+doe": "jo+doe",
}


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    from support.course import make_course

    return make_course(tmp_path_factory.mktemp("ids") / "course")


def _class(base, tmp_path):
    root = copy_course(base, tmp_path / "course")
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    for student in [*GOOD, *BAD]:
        submit(root, ASSIGNMENT, student, released)
    submit(root, ASSIGNMENT, CORRUPT, files={f"{ASSIGNMENT}.ipynb": b'{"cells": [ this is not JSON'})
    return root


def _autograde(root):
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--force"],
        cwd=root,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=600,
    )


def _gradebook(root) -> tuple[set[str], set[str]]:
    """(students in the gradebook, students with a submission of the assignment)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.id for s in gb.students}, {s.student.id for s in gb.find_assignment(ASSIGNMENT).submissions}


def _graded(root, student) -> bool:
    return (root / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


def _assert_bad_ids_listed_escaped(out: str) -> None:
    for shown in BAD.values():
        assert f"‹{shown}›" in out, (shown, out)
    for raw in ("\x01", "\x1b", "new\nline"):
        assert raw not in out, repr(raw)


def test_plain_autograde_grades_the_class_and_lists_what_it_refused(base, tmp_path):
    root = _class(base, tmp_path)
    before = tree_snapshot(root / "submitted")

    result = _autograde(root)
    out = result.stdout + result.stderr

    assert result.returncode == 1, out
    students, submissions = _gradebook(root)
    assert submissions == set(GOOD) and students == set(GOOD), out
    assert all(_graded(root, s) for s in GOOD)
    assert not any((root / "autograded" / s).exists() for s in [CORRUPT, *BAD])
    # The list comes at the end, after the class was graded: each one, escaped, with its reason
    # and what to do.
    summary = out[out.index("7 submission(s) were refused") :]
    _assert_bad_ids_listed_escaped(summary)
    assert f"‹{CORRUPT}›: this folder is not safe to grade" in summary
    assert f"grade it with `mlops-concepts grade {ASSIGNMENT}`" in summary
    assert "not a valid student id: it starts with '-'" in summary
    assert tree_snapshot(root / "submitted") == before  # submitted files are never modified


def test_mlops_concepts_grade_grades_the_class_and_lists_the_refused_ids(base, tmp_path):
    root = _class(base, tmp_path)

    result = grade_all(root, ASSIGNMENT)
    out = result.stdout + result.stderr

    assert result.returncode == 1, out
    students, submissions = _gradebook(root)
    assert submissions == {*GOOD, CORRUPT} and students == {*GOOD, CORRUPT}, out  # staged: a grade
    assert all(_graded(root, s) for s in [*GOOD, CORRUPT])
    assert f"{CORRUPT}: graded" in out
    _assert_bad_ids_listed_escaped(out)
    assert "Refused (not graded):" in out
    with open(root / "grades.csv", newline="") as f:
        assert {row["student_id"] for row in csv.DictReader(f)} == {*GOOD, CORRUPT}


@pytest.mark.parametrize("roster_only", [True, False])
def test_roster_only_grades_only_the_students_on_the_roster(base, tmp_path, roster_only):
    root = copy_course(base, tmp_path / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write(f"\nc.StudentIds.roster_only = {roster_only}\n")
    added = nbgrader(root, "db", "student", "add", "on-roster", "--first-name=On", "--last-name=Roster")
    assert added.returncode == 0, added.stdout + added.stderr
    released = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", 4)
    for student in ("on-roster", "off-roster"):
        submit(root, ASSIGNMENT, student, released)
    expected = {"on-roster"} if roster_only else {"on-roster", "off-roster"}

    plain = _autograde(root)
    out = plain.stdout + plain.stderr
    assert plain.returncode == (1 if roster_only else 0), out
    assert _gradebook(root)[1] == expected, out
    if roster_only:
        assert "‹off-roster›: not on the course's roster" in out
        assert not (root / "autograded" / "off-roster").exists()

    ours = grade_all(root, ASSIGNMENT)
    out = ours.stdout + ours.stderr
    assert ours.returncode == (1 if roster_only else 0), out
    students, submissions = _gradebook(root)
    assert submissions == expected and students == expected, out
    if roster_only:
        assert "‹off-roster›: not on the course's roster" in out

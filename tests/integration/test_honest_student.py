"""An honest student is always graded (issue 25, item 5), with both entry points.

JupyterLab's *Duplicate* writes ``<name>-Copy1.ipynb`` beside the assignment notebook, and the
Assignments tab submits it. Such extra notebooks are kept as they were sent, not graded, never
cost a grade, and the feedback of the assignment notebook says so (the name escaped in HTML).
And grading before ``nbgrader collect`` says that nothing has been collected, names the command,
counts what is waiting in the exchange, and exits 2 (nothing usable, nothing changed).
"""

from __future__ import annotations

import shutil
import subprocess
import sys

import nbformat
import pytest

from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.contract.folder_scan import fingerprint
from support.course import (
    ASSIGNMENTS,
    grade_all,
    item_scores,
    make_course,
    max_scores,
    nbgrader,
    solutions,
    submission,
    submit,
)

ASSIGNMENT = ASSIGNMENTS[0]
COPY = f"{ASSIGNMENT}-Copy1.ipynb"
HOSTILE = "<img src=x onerror=alert(1)>.ipynb"  # a name a student can give a notebook
KEPT = "was kept but not graded"


@pytest.fixture(scope="module")
def template(tmp_path_factory):
    return make_course(tmp_path_factory.mktemp("honest-template") / "course")


@pytest.fixture
def course(template, tmp_path):
    """A fresh copy of a generated course (its nbgrader_config.py finds its own folder)."""
    return shutil.copytree(template, tmp_path / "course", symlinks=True)


def _submit_class(root):
    """alice: complete, plus a blank duplicate and a notebook with a hostile name; bob: complete."""
    complete = submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT))
    blank = nbformat.writes(submission(root, ASSIGNMENT)).encode()  # graded, it would score 0
    submit(root, ASSIGNMENT, "alice", complete, files={COPY: blank, HOSTILE: blank})
    submit(root, ASSIGNMENT, "bob", complete)
    return fingerprint(root / "submitted")


def _feedback(root, student):
    return (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")


def _check_graded_and_noted(root, before):
    full = sum(max_scores(root, ASSIGNMENT).values())
    for student in ("alice", "bob"):
        assert sum(item_scores(root, ASSIGNMENT, student).values()) == full, student
    page = _feedback(root, "alice")
    assert f"‹{COPY}› {KEPT}" in page
    assert f"‹&lt;img src=x onerror=alert(1)&gt;.ipynb› {KEPT}" in page
    assert "<img src=x" not in page
    assert KEPT not in _feedback(root, "bob")
    assert not list((root / "feedback" / "alice" / ASSIGNMENT).glob("*Copy1*"))  # no page of its own
    assert fingerprint(root / "submitted") == before  # the copies are kept exactly as sent


def test_grade_grades_a_student_with_extra_notebooks_and_says_they_were_not_graded(course):
    before = _submit_class(course)
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "NOT GRADED" not in result.stdout and "Graded 2 of 2" in result.stdout, result.stdout
    alice = next(line for line in result.stdout.splitlines() if "] alice: graded" in line)
    assert f"‹{COPY}› kept, not graded" in alice, alice  # the instructor hears it too
    _check_graded_and_noted(course, before)


def test_plain_nbgrader_grades_them_too_and_its_feedback_says_the_same(course):
    before = _submit_class(course)
    for step in ("autograde", "generate_feedback"):
        result = nbgrader(course, step, ASSIGNMENT, "--force")
        assert result.returncode == 0, result.stdout + result.stderr
    _check_graded_and_noted(course, before)


def _as_student(root, tmp_path, student, *command):
    folder = tmp_path / f"home-{student}"
    folder.mkdir(exist_ok=True)
    exchange = ["--course", "mlops-concepts", f"--Exchange.root={root / '.exchange'}"]
    result = subprocess.run(
        [sys.executable, "-m", "nbgrader", *command, *exchange, f"--CourseDirectory.student_id={student}"],
        cwd=folder,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _grade(root, *ids):
    return subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "grade", *ids, "--root", str(root)],
        capture_output=True,
        text=True,
        env=nbgrader_env(),
    )


def test_grade_before_collect_names_the_missing_step_and_fails(course, tmp_path):
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 2, result.stdout + result.stderr
    assert f"Nothing has been collected for {ASSIGNMENT}" in result.stdout
    assert f"`nbgrader collect {ASSIGNMENT}`" in result.stdout
    assert "No student has submitted it" in result.stdout
    assert not (course / "grades.csv").exists() and not (course / ".grading").exists()

    assert nbgrader(course, "release_assignment", ASSIGNMENT, "--force").returncode == 0
    for student in ("ann", "ben"):
        _as_student(course, tmp_path, student, "fetch_assignment", ASSIGNMENT)
        _as_student(course, tmp_path, student, "submit", ASSIGNMENT)
    _as_student(course, tmp_path, "ann", "submit", ASSIGNMENT)  # collect takes her newest: one student
    assert len(list((course / ".exchange" / "mlops-concepts" / "inbound").iterdir())) == 3
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "2 student(s) have submitted it to the exchange" in result.stdout
    assert f"run `nbgrader collect {ASSIGNMENT}`" in result.stdout
    everything = _grade(course)  # no id: every released chapter
    assert everything.returncode == 2, everything.stdout + everything.stderr
    assert f"{ASSIGNMENT} (2 student(s))" in everything.stdout and "nbgrader collect" in everything.stdout

    # The step it names is the one missing: after it, the class is graded.
    assert nbgrader(course, "collect", ASSIGNMENT).returncode == 0
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Graded 2 of 2" in result.stdout

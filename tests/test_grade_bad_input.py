"""Bad input to ``mlops-concepts grade`` gets a clear message, a non-zero status, and loses nothing.

No student code runs in these tests: each case is refused before grading starts (an unknown
assignment, a gradebook that cannot be reached or is locked by another writer), or is a student
folder with no notebook, which is graded as blank with a note.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys

import nbformat
import pytest

from course import ASSIGNMENTS, make_course, nbgrader_env, submit
from mlops_concepts.grading.submissions import fingerprint

ASSIGNMENT = ASSIGNMENTS[0]


def grade(root, *args, env=None):
    return subprocess.run([sys.executable, "-m", "mlops_concepts.grading.pipeline", "grade", *args,
                           "--root", str(root)], capture_output=True, text=True,
                          env=env or nbgrader_env(), timeout=900)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("bad-input"))
    release = nbformat.read(root / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    submit(root, ASSIGNMENT, "alice", release)
    return root


def test_an_unknown_assignment_is_named_with_the_known_ones(course):
    before = fingerprint(course)
    result = grade(course, "no-such-chapter")
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Unknown assignment no-such-chapter" in result.stdout and ASSIGNMENT in result.stdout
    assert fingerprint(course) == before  # nothing written, gradebook included


def test_an_unreachable_gradebook_changes_nothing(course):
    before = fingerprint(course)
    env = dict(nbgrader_env(), MLOPS_CONCEPTS_DB_URL="postgresql://nobody@127.0.0.1:1/gradebook")
    result = grade(course, ASSIGNMENT, env=env)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "The course gradebook cannot be used" in result.stdout
    assert "Nothing was graded" in result.stdout and "Traceback" not in result.stdout
    assert fingerprint(course) == before
    assert not (course / "autograded" / "alice").exists()


def test_a_locked_gradebook_changes_nothing(course):
    """Another process (say the Formgrader, mid-write) holds the SQLite gradebook exclusively."""
    before = fingerprint(course)
    lock = sqlite3.connect(course / "gradebook.db", timeout=0)
    try:
        lock.execute("BEGIN EXCLUSIVE")
        result = grade(course, ASSIGNMENT)
    finally:
        lock.rollback()
        lock.close()
    assert result.returncode == 2, result.stdout + result.stderr
    assert "The course gradebook cannot be used" in result.stdout and "locked" in result.stdout
    assert fingerprint(course) == before


@pytest.mark.slow
def test_a_student_folder_without_a_notebook_is_graded_blank_with_a_note(course):
    folder = course / "submitted" / "bob" / ASSIGNMENT
    folder.mkdir(parents=True)
    (folder / "notes.txt").write_text("I forgot the notebook.\n")
    # No chapter named: every released chapter someone submitted is graded.
    result = grade(course, "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"submission(s) of {ASSIGNMENT}" in result.stdout
    line = next(ln for ln in result.stdout.splitlines() if "] bob:" in ln)
    assert "graded" in line and "missing from the submission" in line, line
    feedback = course / "feedback" / "bob" / ASSIGNMENT / f"{ASSIGNMENT}.html"
    assert "missing from the submission" in feedback.read_text()

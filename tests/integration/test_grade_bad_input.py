"""Bad input to ``mlops-concepts grade`` gets a clear message, a non-zero status, and loses nothing.

No student code runs in these tests: each case is refused before grading starts (an unknown
assignment, a gradebook that cannot be reached or is locked by another writer), or is a student
folder with no notebook, which is graded as blank with a note.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys

import nbformat
import pytest

from mlops_concepts.contract.folder_scan import fingerprint
from support.course import ASSIGNMENTS, make_course, nbgrader_env, submit

ASSIGNMENT = ASSIGNMENTS[0]


def grade(root, *args, env=None):
    return subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "grade", *args, "--root", str(root)],
        capture_output=True,
        text=True,
        env=env or nbgrader_env(),
        timeout=900,
    )


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


def test_a_dask_scheduler_that_cannot_be_reached_changes_nothing(course):
    """A wrong address is refused at once (a scheduler that is down, after the 30 s the client
    waits for it to come up): exit 2, with the reason, before anything is touched."""
    before = fingerprint(course)
    result = grade(course, ASSIGNMENT, "--scheduler", "udp://127.0.0.1:8786", "--insecure-scheduler")
    assert fingerprint(course) == before
    assert result.returncode == 2, result.stdout + result.stderr
    assert (
        "The Dask scheduler at udp://127.0.0.1:8786 cannot be reached (unknown address scheme"
        in result.stdout
        and "Nothing was graded" in result.stdout
    )


def test_a_scheduler_without_tls_is_refused_and_changes_nothing(course):
    """Anyone who reaches a plain scheduler runs code next to the keys: refused unless the
    instructor says --insecure-scheduler (docs/security/labs-and-dask.md)."""
    before = fingerprint(course)
    result = grade(course, ASSIGNMENT, "--scheduler", "tcp://127.0.0.1:8786")
    assert fingerprint(course) == before
    assert result.returncode == 2, result.stdout + result.stderr
    said = result.stdout + result.stderr
    assert "tcp:// scheduler" in said and "--insecure-scheduler" in said, said


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


def test_a_course_configuration_that_raises_grades_nobody(course):
    """traitlets only logs an error raised in nbgrader_config.py, and nbgrader then goes on with
    its defaults: student code unsandboxed on this machine, full marks for every test cell that
    does not raise. The grading command refuses, names the error, and changes nothing."""
    config = course / "nbgrader_config.py"
    original = config.read_text()
    config.write_text(original + '\nraise RuntimeError("a configuration broken on purpose")\n')
    try:
        before = fingerprint(course)
        result = grade(course, ASSIGNMENT)
        assert fingerprint(course) == before
    finally:
        config.write_text(original)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "does not load (RuntimeError: a configuration broken on purpose)" in result.stdout
    assert "Nothing was graded" in result.stdout and "Traceback" not in result.stdout + result.stderr


def test_a_course_package_that_fails_in_nbgrader_grades_nobody(course):
    """The configuration loads in the grading command, but the course package is broken where
    the nbgrader processes it starts import it (a broken copy at the course root, first on their
    path): nobody is graded, the reason is named, and nothing is written."""
    release = nbformat.read(course / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    submit(course, ASSIGNMENT, "mallory", release)
    shadow = course / "mlops_concepts"
    shadow.mkdir()
    (shadow / "__init__.py").write_text('raise ImportError("a course package broken on purpose")\n')

    def kept():
        return {
            path: digest
            for path, digest in fingerprint(course).items()
            if path.startswith(("autograded", "feedback", "gradebook.db"))
        }

    try:
        before = kept()
        result = grade(course, ASSIGNMENT)
        after = kept()
    finally:
        shutil.rmtree(shadow)
        shutil.rmtree(course / "submitted" / "mallory")
    # The instructor's solution is graded first, in the same environment: it fails there, so the
    # class is refused as a fault of the environment, never graded as zeros.
    assert result.returncode == 2, result.stdout + result.stderr
    assert "REFUSED: the instructor's own solution" in result.stdout
    assert "a course package broken on purpose" in result.stdout
    assert after == before  # no grade, notebook or feedback written, nobody's changed
    from nbgrader.api import Gradebook, MissingEntry

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb, pytest.raises(MissingEntry):
        gb.find_submission(ASSIGNMENT, "mallory")


def test_nbgrader_stops_on_a_configuration_error_as_the_grading_command_runs_it_and_as_typed(course):
    """The grading command runs nbgrader with TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR=1;
    typed by an instructor, nbgrader has the venv's guard (etc/jupyter/jupyter_config.py). Either
    way a configuration that raises stops it before it autogrades anyone with its defaults
    (test_config_guard.py shows those defaults)."""
    from mlops_concepts.class_grading.commands import nbgrader_env as grading_env

    config = course / "nbgrader_config.py"
    original = config.read_text()
    config.write_text(original + '\nraise RuntimeError("a configuration broken on purpose")\n')
    # A copy of the gradebook and a folder of its own, had nbgrader gone on with its defaults.
    shutil.copy(course / "gradebook.db", course / ".checked.db")
    command = [
        sys.executable,
        "-m",
        "nbgrader",
        "autograde",
        ASSIGNMENT,
        "--force",
        "--student",
        "alice",
        "--CourseDirectory.autograded_directory=.checked-autograde",
        "--CourseDirectory.db_url=sqlite:///.checked.db",
    ]
    typed_env = {
        k: v for k, v in grading_env().items() if k != "TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR"
    }
    try:
        runs = [
            subprocess.run(command, cwd=course, capture_output=True, text=True, env=env, timeout=600)
            for env in (grading_env(), typed_env)
        ]
    finally:
        config.write_text(original)
        shutil.rmtree(course / ".checked-autograde", ignore_errors=True)
        (course / ".checked.db").unlink(missing_ok=True)
    for run in runs:
        output = run.stdout + run.stderr
        assert run.returncode != 0 and "a configuration broken on purpose" in output, output
        assert "Autograding" not in output, output

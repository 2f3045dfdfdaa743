"""Plain ``nbgrader autograde`` and ``generate_feedback`` on submissions that were not staged.

nbgrader alone follows links, opens FIFOs and devices and copies whatever a submission holds into
``autograded/`` and ``feedback/``. The course's guards make both commands refuse such a folder
before anything of it is copied, with a message naming the safe command, ``mlops-concepts grade``:
autograde refuses it by name and grades the rest (``GuardedAutograde``, nbgrader_plugins/admission.py),
generate_feedback stops (its ``pre_convert_hook``). Every hostile folder of ``test_staging.CASES`` is tried.
"""

from __future__ import annotations

import os
import subprocess
import sys

import nbformat
import pytest

from mlops_concepts.class_grading.commands import nbgrader_env
from support.cheats.runner import copy_course, tree_snapshot
from support.course import first_chapter_only, nbgrader
from support.hostile import CASES, IS_ROOT, _honest

pytestmark = pytest.mark.slow


def _autograde(root, assignment, *args):
    # A timeout, because without the guard a FIFO hangs nbgrader and /dev/urandom never ends.
    return subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", assignment, "--force", *args],
        cwd=root,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=300,
    )


def _submissions_in_gradebook(root, assignment) -> set[str]:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        return {s.student.id for s in gb.find_assignment(assignment).submissions}


@first_chapter_only
@pytest.mark.parametrize("case", sorted(CASES))
def test_plain_autograde_refuses_an_unsafe_submission(course, tmp_path, case):
    if case == "character-device" and not IS_ROOT:
        pytest.skip("making a device file needs root (CI runs the tests as root)")
    base, assignment = course
    # The guard refuses a folder before nbgrader reads a cell of it: the same for every chapter.
    root = copy_course(base, tmp_path / "course")
    folder = root / "submitted" / case / assignment
    folder.mkdir(parents=True)
    CASES[case][0](root, assignment, folder)
    before = tree_snapshot(root / "submitted")
    gradebook = (root / "gradebook.db").read_bytes()[:100]

    if not any(p.endswith(".ipynb") for p in os.listdir(folder)):
        # nbgrader only looks at folders holding a *.ipynb: nothing at all is read or copied.
        result = _autograde(root, assignment)
        assert "No notebooks were matched" in result.stdout + result.stderr
    else:
        result = _autograde(root, assignment)
        out = result.stdout + result.stderr
        assert result.returncode != 0, out
        assert "REFUSED" in out and f"mlops-concepts grade {assignment}" in out, out
    assert not (root / "autograded" / case).exists()  # nothing of the student was copied
    assert case not in _submissions_in_gradebook(root, assignment)
    assert tree_snapshot(root / "submitted") == before
    for dirpath, _, filenames in os.walk(root / "autograded"):
        for name in filenames:
            assert gradebook not in open(os.path.join(dirpath, name), "rb").read()


@first_chapter_only
def test_plain_autograde_refuses_an_unsafe_submission_by_name_and_grades_the_rest(course, tmp_path):
    """The guard lets a clean submission through (so ``mlops-concepts grade``, which only feeds
    nbgrader clean staged copies, grades everyone); an unsafe one is refused by name before
    nbgrader starts, every other student is graded, and the command exits 1 at the end with the
    list and the safe command."""
    base, assignment = course
    root = copy_course(base, tmp_path / "course")
    for student in ("a-honest", "c-honest"):
        folder = root / "submitted" / student / assignment
        folder.mkdir(parents=True)
        _honest(root, assignment, folder)
    unsafe = root / "submitted" / "b-links" / assignment
    unsafe.mkdir(parents=True)
    _honest(root, assignment, unsafe)
    os.symlink(root / "gradebook.db", unsafe / "gradebook.db")

    result = _autograde(root, assignment)
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    summary = out[out.index("1 submission(s) were refused") :]
    assert "‹b-links›" in summary and "‹gradebook.db›" in summary, out
    assert f"`mlops-concepts grade {assignment}`" in summary, out
    assert (root / "autograded" / "a-honest" / assignment / f"{assignment}.ipynb").is_file()
    assert not (root / "autograded" / "b-links").exists()
    assert (root / "autograded" / "c-honest" / assignment / f"{assignment}.ipynb").is_file()
    assert _submissions_in_gradebook(root, assignment) == {"a-honest", "c-honest"}

    # generate_feedback refuses an autograded folder holding a link (left by an unguarded run).
    os.symlink(root / "gradebook.db", root / "autograded" / "a-honest" / assignment / "grades.db")
    feedback = nbgrader(root, "generate_feedback", assignment, "--force")
    out = feedback.stdout + feedback.stderr
    assert feedback.returncode != 0
    assert "REFUSED" in out and f"mlops-concepts grade {assignment}" in out, out
    assert not (root / "feedback" / "a-honest").exists()


def test_plain_autograde_writes_feedback_for_a_clean_class(course, tmp_path):
    """The feedback guard accepts what the guarded autograde wrote."""
    base, assignment = course
    root = copy_course(base, tmp_path / "course")
    folder = root / "submitted" / "honest" / assignment
    folder.mkdir(parents=True)
    _honest(root, assignment, folder)
    (folder / "notes.txt").write_text("my notes")
    result = _autograde(root, assignment)
    assert result.returncode == 0, result.stdout + result.stderr
    feedback = nbgrader(root, "generate_feedback", assignment, "--force")
    assert feedback.returncode == 0, feedback.stdout + feedback.stderr
    page = root / "feedback" / "honest" / assignment / f"{assignment}.html"
    assert "<html" in page.read_text().lower()
    assert (root / "feedback" / "honest" / assignment / "notes.txt").read_text() == "my notes"
    nbformat.read(root / "autograded" / "honest" / assignment / f"{assignment}.ipynb", 4)

"""Exam mode, end to end: one course setting, a release with no digest of any graded answer,
self-checks that confirm only the form, and grading exactly as in practice mode."""

from __future__ import annotations

import json
import shutil

import nbformat
import pytest
from nbclient import NotebookClient

from mlops_concepts.assignment_plugins.seal import sidecar_name
from support.course import REPO, grade_all, item_scores, make_course, nbgrader, notebook_path, submit

pytestmark = pytest.mark.slow

CHAPTER = "01-introduction-to-mlops"
SAMPLES = ("sample-complete", "sample-wrong")


@pytest.fixture(scope="module")
def exam_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("exam") / "course"
    make_course(root, assignments=[])
    with open(root / "nbgrader_config.py", "a") as f:
        f.write('\nc.SealAnswerKeys.mode = "exam"\n')  # the one setting

    result = nbgrader(root, "generate_assignment", CHAPTER, "--force")
    assert result.returncode == 0, result.stdout + result.stderr
    return root


def _run(folder, nb):
    NotebookClient(
        nb, timeout=120, allow_errors=False, resources={"metadata": {"path": str(folder)}}
    ).execute()
    return nb


def _test_cells(nb):
    return {
        c.metadata["nbgrader"]["grade_id"]: c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }


def test_the_exam_release_carries_no_digest_of_a_graded_answer(exam_course):
    folder = notebook_path(exam_course, "release", CHAPTER).parent
    side = json.loads((folder / sidecar_name(CHAPTER)).read_text())
    assert side["mode"] == "exam" and side["checks"]
    assert all("key" not in spec for spec in side["checks"].values())
    assert "sha256$" not in json.dumps(side)
    practice = json.loads((REPO / "release" / CHAPTER / sidecar_name(CHAPTER)).read_text())
    assert {g: {k: v for k, v in s.items() if k != "key"} for g, s in practice["checks"].items()} == side[
        "checks"
    ], "exam mode ships the same form data, only without keys"
    released = nbformat.read(notebook_path(exam_course, "release", CHAPTER), as_version=4)
    for gid, cell in _test_cells(released).items():
        assert cell.source.startswith(f'check("{gid}", ') and "key" not in cell.source


def test_exam_self_checks_confirm_the_form_never_the_answer(exam_course, tmp_path):
    folder = tmp_path / CHAPTER
    shutil.copytree(notebook_path(exam_course, "release", CHAPTER).parent, folder)
    blank = _run(folder, nbformat.read(folder / f"{CHAPTER}.ipynb", as_version=4))
    for gid, cell in _test_cells(blank).items():  # Run All reaches the end; blanks still fail
        assert [o.get("ename") for o in cell.outputs] == ["NotYet"], (gid, cell.outputs)
    said = {}
    for student in SAMPLES:
        nb = nbformat.read(
            REPO / "examples" / CHAPTER / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb", as_version=4
        )
        for cell in nb.cells:
            if cell.cell_type == "code":
                cell.outputs = []
        said[student] = {gid: _said(c) for gid, c in _test_cells(_run(folder, nb)).items()}
    right, wrong = said["sample-complete"], said["sample-wrong"]
    for gid, text in right.items():
        assert text.startswith("Saved. Exercise ") and text.count("\n") == 1, (gid, text)
    # A wrong answer of the right form reads exactly like a right one: nothing to guess from.
    same = [g for g in wrong if wrong[g] == right[g]]
    assert same, "the wrong sample gave no allowed-but-wrong answer"
    assert not any("Success" in text or "right yet" in text for text in wrong.values())


def _said(cell) -> str:
    """What a test cell showed: its printed text, or its error line(s) after "ERROR "."""
    return "".join(
        o.text if o.output_type == "stream" else "ERROR " + "".join(o.get("traceback", [])) + "\n"
        for o in cell.outputs
    )


def test_exam_grading_is_the_same_as_practice_grading(exam_course):
    expected = json.loads((REPO / "examples" / CHAPTER / "expected.json").read_text())
    for student in SAMPLES:
        nb = nbformat.read(
            REPO / "examples" / CHAPTER / "submitted" / student / CHAPTER / f"{CHAPTER}.ipynb", as_version=4
        )
        submit(exam_course, CHAPTER, student, nb)
    result = grade_all(exam_course, CHAPTER)
    assert result.returncode == 0, result.stdout + result.stderr
    autograded = _autograded(exam_course)
    for student in SAMPLES:
        scores = item_scores(exam_course, CHAPTER, student)
        got = {g: scores.get(g, 0) for g in autograded}
        assert got == {g: expected[student].get(g, 0) for g in autograded}, student


def _autograded(root):
    released = nbformat.read(notebook_path(root, "release", CHAPTER), as_version=4)
    return set(_test_cells(released))

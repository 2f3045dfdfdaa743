"""The authoring contract of a test cell, enforced at release and at grading.

A test cell holds exactly ``check("<its grade id>", <answer>, key=..., items=...)``. Anything else
is refused at release with a message that names the cell; and a test cell the grader cannot match
to a key scores 0 (it never falls back to nbgrader's "did not raise" rule, which the student's
kernel controls).
"""

from __future__ import annotations

import re
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook, new_output

from mlops_concepts.assignment_plugins.seal import seal_cell
from mlops_concepts.checks import REPORT_MIME, report_bundle
from mlops_concepts.contract import cells
from mlops_concepts.contract.calls import AuthoringError
from mlops_concepts.contract.exercises import read_check, report_code
from mlops_concepts.nbgrader_plugins.verdicts import GradeFromReports, answer_keys
from support.course import ASSIGNMENTS, REPO, nbgrader, notebook_path


def graded_cell(source: str, gid: str = "q1_1a"):
    return new_code_cell(
        source,
        metadata={
            "nbgrader": {
                "grade": True,
                "solution": False,
                "locked": True,
                "points": 1,
                "grade_id": gid,
                "schema_version": 3,
            }
        },
    )


BAD_TEST_CELLS = {
    "mistyped id": ('check("q1_1A", answer, key="c")', "names another question"),
    "id missing": ('check(answer, key="c")', "names another question"),
    "no key": ('check("q1_1a", answer)', "key="),
    "key not a literal": ('check("q1_1a", answer, key=secret)', "key="),
    "items not a literal": ('check("q1_1a", answer, key={"a": "b"}, items=names)', "items="),
    "two checks": ('check("q1_1a", answer, key="c")\ncheck("q1_1a", answer, key="c")', "exactly one"),
    "extra statement": ('x = 1\ncheck("q1_1a", answer, key="c")', "exactly one"),
    "hidden tests written by hand": (
        'check("q1_1a", answer, key="c")\n### BEGIN HIDDEN TESTS\ngrade("q1_1a", answer)\n'
        "### END HIDDEN TESTS",
        "hidden tests",
    ),
    "a grade() call": ('grade("q1_1a", answer)', "grade("),
    "no answer": ('check("q1_1a", key="c")', "answer"),
    "unknown keyword": ('check("q1_1a", answer, key="c", points=2)', "unknown keyword"),
    "title not a string": ('check("q1_1a", answer, key="c", title=name)', "title="),
    "choices not strings": ('check("q1_1a", answer, key="c", choices=[1, 2])', "choices="),
    "choices without the key": ('check("q1_1a", answer, key="c", choices=["a", "b"])', "choices="),
    "not python": ('check("q1_1a", answer, key="c"', "not valid Python"),
}


@pytest.mark.parametrize("case", sorted(BAD_TEST_CELLS))
def test_a_wrong_test_cell_is_refused_naming_the_cell(case):
    source, says = BAD_TEST_CELLS[case]
    cell = graded_cell(source)
    with pytest.raises(AuthoringError) as err:
        seal_cell(cell, "nb")
    assert "'q1_1a'" in str(err.value) and says in str(err.value), str(err.value)
    with pytest.raises(AuthoringError):
        answer_keys(new_notebook(cells=[cell]))


def test_a_right_test_cell_is_sealed_and_derives_its_report():
    cell = graded_cell('check(\n    "q1_1a",\n    role_for,\n    key={"x": "y"},\n    items=["x"],\n)')
    sealed = seal_cell(cell, "nb")
    assert '"y"' not in sealed and "sha256$" in sealed
    check = read_check(graded_cell(sealed))
    assert (check.grade_id, check.answer, check.items) == ("q1_1a", "role_for", ["x"])
    assert report_code(check) == (
        '__import__("mlops_concepts.checks", fromlist=["grade"]).grade("q1_1a", role_for, items=["x"])'
    )


def test_check_outside_a_test_cell_is_refused():
    cell = new_code_cell(
        'check("q1_1a", answer, key="c")',
        metadata={"nbgrader": {"grade": False, "solution": False, "locked": True, "grade_id": "cell-1"}},
    )
    with pytest.raises(AuthoringError, match="test cell"):
        seal_cell(cell, "nb")


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_test_cell_of_every_chapter_follows_the_contract(assignment):
    source = nbformat.read(notebook_path(REPO, "source", assignment), as_version=4)
    keys = answer_keys(source)
    tests = [
        c
        for c in source.cells
        if c.get("metadata", {}).get("nbgrader", {}).get("grade") and c.cell_type == "code"
    ]
    assert tests and set(keys) == {c.metadata.nbgrader.grade_id for c in tests}


def test_a_mistyped_id_is_refused_by_nbgrader_generate_assignment(tmp_path):
    """The release step (plain nbgrader, as the README gives it) refuses the typo and names the cell."""
    import shutil

    assignment = ASSIGNMENTS[0]
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", root)
    shutil.copytree(REPO / "source", root / "source")
    path = notebook_path(root, "source", assignment)
    nb = nbformat.read(path, as_version=4)
    cell = next(c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade"))
    gid = cell.metadata.nbgrader.grade_id
    cell.source = cell.source.replace(f'"{gid}"', f'"{gid}A"', 1)
    nbformat.write(nb, path)
    result = nbgrader(root, "generate_assignment", assignment, "--force")
    out = result.stdout + result.stderr
    assert result.returncode != 0, out
    assert f"test cell {gid!r}" in out and "names another question" in out, out[-3000:]
    assert not notebook_path(root, "release", assignment).exists()


def test_grading_fails_closed_on_a_test_cell_without_a_key(tmp_path):
    """A test cell added to the release by hand (no key in source/) earns nothing, whatever it printed."""
    source = new_notebook(cells=[graded_cell('check("q1", a, key="c")', "q1")])
    path = tmp_path / "source.ipynb"
    nbformat.write(source, path)
    right = new_output("display_data", data=report_bundle("q1", "c"))
    stray = graded_cell("print('I did not raise')", "q-stray")
    stray.outputs = [
        new_output("stream", name="stdout", text="I did not raise\n"),
        new_output("display_data", data=report_bundle("q-stray", "c")),
    ]
    known = graded_cell('check("q1", a, key="sha256$x$y")', "q1")
    known.outputs = [right]
    nb = new_notebook(cells=[known, stray])
    graded, _ = GradeFromReports(source_notebook=str(path)).preprocess(nb, {})
    assert graded.cells[0].outputs[0]["text"] == "This exercise: correct.\n"
    assert [o["ename"] for o in graded.cells[1].outputs] == ["UngradableTestCell"]
    assert not any(REPORT_MIME in o.get("data", {}) for o in graded.cells[1].outputs)
    assert re.search("no answer key", graded.cells[1].outputs[0]["evalue"])


@pytest.mark.parametrize("chapter", ASSIGNMENTS)
def test_every_chapter_has_its_sample_class_beside_it(chapter):
    """examples/<id>/: samples.py, a notebook per sample student, expected.json naming only real
    graded cells; the samples are exactly what the current release gives (rebuilt, compared)."""
    from mlops_concepts.authoring import samples

    assert chapter in samples.chapters(REPO), f"examples/{chapter}/samples.py is missing"
    declared = samples.load(REPO, chapter).SAMPLES
    expected = samples.expected(REPO, chapter)
    assert set(expected) == set(declared), "expected.json and SAMPLES name different students"
    release = nbformat.read(REPO / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    graded = {cells.grade_id(c) for c in release.cells if cells.is_test(c)}
    for student, points in expected.items():
        assert set(points) <= graded, (student, set(points) - graded)
    # The documented command, as a script: it says the committed notebooks are what the release gives.
    checked = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.authoring.samples", "--check", chapter],
        capture_output=True,
        text=True,
        cwd=REPO,
    )
    assert checked.returncode == 0 and "samples up to date" in checked.stdout, checked.stdout + checked.stderr


def test_keys_are_read_once_per_version_of_the_instructor_notebook(tmp_path):
    """Grading reads the instructor's keys once per process, but never a stale copy: an edited
    notebook (a corrected key) is read again, and no caller can change what the next one reads."""
    from mlops_concepts.contract.exercises import read_check
    from mlops_concepts.nbgrader_plugins.verdicts import instructor_keys

    chapter = ASSIGNMENTS[0]
    path = tmp_path / f"{chapter}.ipynb"
    nb = nbformat.read(notebook_path(REPO, "source", chapter), as_version=4)
    nbformat.write(nb, path)
    keys, forms = instructor_keys(str(path))
    assert keys == instructor_keys(str(path))[0] and forms
    keys.clear()  # a caller's copy, not the cache
    assert instructor_keys(str(path))[0]

    cell = next(c for c in nb.cells if cells.is_test(c) and 'key="c"' in c.source)
    gid = cells.grade_id(cell)
    cell.source = cell.source.replace('key="c"', 'key="d"')
    nbformat.write(nb, path)
    again = instructor_keys(str(path))[0]
    assert again[gid] != instructor_keys(str(notebook_path(REPO, "source", chapter)))[0][gid]
    assert '"d"' in again[gid]

    mapping = next(c for c in nb.cells if cells.is_test(c) and "key={" in c.source)
    read_check(mapping).key.clear()
    assert read_check(mapping).key

"""RebuildFromRelease: a submission is put back into the release's shape, keeping the student's work."""

import copy

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_concepts.nbgrader_plugins.sanitize import rebuild


def _meta(gid, **flags):
    return {"nbgrader": {"grade_id": gid, "grade": False, "solution": False, "locked": False, **flags}}


def release():
    return new_notebook(
        cells=[
            new_markdown_cell("# Title"),
            new_code_cell("import x", metadata=_meta("imports", locked=True)),
            new_markdown_cell("Lesson text"),
            new_code_cell("raise NotImplementedError()", metadata=_meta("q1_answer", solution=True)),
            new_code_cell("check('q1', a, key='h')", metadata=_meta("q1", grade=True, locked=True, points=1)),
        ]
    )


def sources(nb):
    return [c.source for c in nb.cells]


def test_untouched_submission_rebuilds_to_the_same_cells():
    rel = release()
    assert sources(rebuild(rel, copy.deepcopy(rel))) == sources(rel)


def test_answer_text_and_extra_cells_are_kept_in_place():
    rel = release()
    sub = copy.deepcopy(rel)
    sub.cells[3].source = "a = 1"
    sub.cells.insert(4, new_code_cell("helper = 2"))
    out = rebuild(rel, sub)
    assert sources(out) == [
        "# Title",
        "import x",
        "Lesson text",
        "a = 1",
        "helper = 2",
        "check('q1', a, key='h')",
    ]
    assert "nbgrader" not in out.cells[4].metadata


def test_deleted_moved_copied_and_retyped_cells_are_restored():
    rel = release()
    sub = copy.deepcopy(rel)
    test_cell = sub.cells.pop(4)
    copied = copy.deepcopy(test_cell)
    copied.source = "pass  # my own test"
    sub.cells.insert(0, copied)  # a copy of the test cell, edited, above everything
    sub.cells[4] = nbformat.v4.new_markdown_cell("a = 1", metadata=sub.cells[4].metadata)  # retyped
    del sub.cells[2]  # imports deleted
    out = rebuild(rel, sub)
    kinds = [(c.cell_type, c.metadata.get("nbgrader", {}).get("grade_id")) for c in out.cells]
    assert ("code", "q1") in kinds and ("code", "imports") in kinds
    assert out.cells[kinds.index(("code", "q1"))].source == "check('q1', a, key='h')"
    assert out.cells[kinds.index(("code", "q1_answer"))].source == "a = 1"
    assert sum(1 for k in kinds if k[1] == "q1") == 1


def test_edited_metadata_cannot_turn_a_student_cell_into_a_test():
    rel = release()
    sub = copy.deepcopy(rel)
    sub.cells.append(new_code_cell("grade('q1', 'x')", metadata=_meta("q9", grade=True, points=100)))
    sub.cells[3].metadata["nbgrader"].update(grade=True, points=100)
    out = rebuild(rel, sub)
    assert out.cells[3].metadata == rel.cells[3].metadata
    assert "nbgrader" not in out.cells[-1].metadata


def test_huge_attachments_of_extra_cells_are_dropped():
    rel = release()
    sub = copy.deepcopy(rel)
    cell = new_markdown_cell("![x](attachment:x.png)")
    cell["attachments"] = {"x.png": {"image/png": "A" * 2_000_000}}
    sub.cells.append(cell)
    out = rebuild(rel, sub, max_attachment_bytes=1_000_000)
    assert "attachments" not in out.cells[-1]


def test_an_answer_cell_whose_grade_id_was_edited_stays_the_answer_in_its_place():
    """A renamed grade id hides nothing: the cell (known by its notebook cell id) is still the
    student's answer, so a function it defines is not replaced by the released stub after it."""
    rel = release()
    sub = copy.deepcopy(rel)
    sub.cells[3].source = "def a():\n    return 1"
    sub.cells[3].metadata["nbgrader"]["grade_id"] = "my_own_answer"
    out = rebuild(rel, sub)
    assert sources(out) == [
        "# Title",
        "import x",
        "Lesson text",
        "def a():\n    return 1",
        "check('q1', a, key='h')",
    ]
    assert out.cells[3].metadata == rel.cells[3].metadata
    # A cell of another type, or with another cell id, is not taken for the answer.
    sub.cells[3].id = "something-else"
    out = rebuild(rel, sub)
    answer = next(c for c in out.cells if c.metadata.get("nbgrader", {}).get("grade_id") == "q1_answer")
    assert answer.source == "raise NotImplementedError()"
    assert "def a():\n    return 1" in sources(out)  # kept, as an extra cell of the student's

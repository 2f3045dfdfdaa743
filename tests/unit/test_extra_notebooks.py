"""Which submitted notebooks are extras (kept, not graded), and what waits in the exchange inbound.

The whole runs, through both entry points, are in tests/integration/test_honest_student.py.
"""

from __future__ import annotations

import nbformat
from nbformat.v4 import new_code_cell, new_notebook

from mlops_concepts.class_grading.uncollected import nothing_collected, waiting
from mlops_concepts.contract.submissions import extra_notebooks, problems, stage

A = "ch1"


def _release(tmp_path):
    cell = new_code_cell("x = 1", metadata={"nbgrader": {"grade_id": "q1", "solution": True}})
    path = tmp_path / "release" / A / f"{A}.ipynb"
    path.parent.mkdir(parents=True)
    nbformat.write(new_notebook(cells=[cell]), path)
    return {A: path}


def _submit(tmp_path, names, release):
    folder = tmp_path / "submitted" / "alice" / A
    folder.mkdir(parents=True)
    for name in names:
        (folder / name).write_bytes(release[A].read_bytes())
    return folder


def test_a_duplicate_beside_the_notebook_is_an_extra_and_needs_no_repair(tmp_path):
    release = _release(tmp_path)
    folder = _submit(tmp_path, [f"{A}.ipynb", f"{A}-Copy1.ipynb", "notes.ipynb"], release)
    assert extra_notebooks(folder, release) == [f"{A}-Copy1.ipynb", "notes.ipynb"]
    assert problems(folder, release) == []  # so plain nbgrader's guard lets the student through
    result = stage(folder, tmp_path / "staged" / A, release, "alice")
    assert result.notes == [] and (tmp_path / "staged" / A / f"{A}-Copy1.ipynb").is_file()


def test_a_duplicate_graded_in_place_of_a_missing_notebook_is_not_an_extra(tmp_path):
    release = _release(tmp_path)
    folder = _submit(tmp_path, [f"{A}-Copy1.ipynb"], release)
    assert extra_notebooks(folder, release) == []


def _course(tmp_path, exchange):
    (tmp_path / "nbgrader_config.py").write_text(
        f"c = get_config()\nc.CourseDirectory.course_id = 'c1'\nc.Exchange.root = {str(exchange)!r}\n"
    )


def test_waiting_counts_students_with_a_submission_of_that_assignment(tmp_path):
    inbound = tmp_path / "exchange" / "c1" / "inbound"
    _course(tmp_path, tmp_path / "exchange")
    assert waiting(tmp_path, A) == 0 and "No student has submitted it" in nothing_collected(tmp_path, A)
    inbound.mkdir(parents=True)
    for name in (
        f"ann+{A}+2026-12-07 10:00:00.000000 UTC+abc",
        f"ann+{A}+2026-12-07 11:00:00.000000 UTC+def",  # a second try: still one student
        f"ben+{A}+2026-12-07 10:00:00.000000 UTC",
        f"cy+{A}x+2026-12-07 10:00:00.000000 UTC",  # another assignment
    ):
        (inbound / name).mkdir()
    assert waiting(tmp_path, A) == 2
    message = nothing_collected(tmp_path, A)
    assert "2 student(s) have submitted it" in message and f"`nbgrader collect {A}`" in message


def test_an_unreadable_course_config_still_names_the_command(tmp_path):
    (tmp_path / "nbgrader_config.py").write_text("raise RuntimeError('broken')\n")
    assert waiting(tmp_path, A) is None
    assert f"`nbgrader collect {A}`" in nothing_collected(tmp_path, A)


def _preprocess(tmp_path):
    from traitlets.config import Config

    from mlops_concepts.nbgrader_plugins.feedback import NoteExtraNotebooks

    config = Config()
    config.CourseDirectory.root = str(tmp_path)
    nb = new_notebook(cells=[new_code_cell("x = 1")])
    resources = {"nbgrader": {"assignment": A, "student": "alice", "notebook": A}}
    return NoteExtraNotebooks(config=config).preprocess(nb, resources)[0]


def test_the_feedback_note_names_each_extra_notebook_escaped(tmp_path):
    release = _release(tmp_path)
    _submit(tmp_path, [f"{A}.ipynb", "<img src=x>-Copy1.ipynb"], release)
    note = _preprocess(tmp_path).cells[0].source
    assert "‹&lt;img src=x&gt;\\-Copy1\\.ipynb› was kept but not graded" in note, note


def test_a_failure_to_list_extras_never_stops_the_feedback(tmp_path, monkeypatch):
    from mlops_concepts.nbgrader_plugins import feedback

    release = _release(tmp_path)
    _submit(tmp_path, [f"{A}.ipynb", f"{A}-Copy1.ipynb"], release)

    def broken(*_):
        raise OSError("disk gone")

    monkeypatch.setattr(feedback, "extra_notebooks", broken)
    assert [c.source for c in _preprocess(tmp_path).cells] == ["x = 1"]

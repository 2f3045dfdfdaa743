"""The course gradebook's one writer (``mlops_concepts.class_grading.gradebooks``), on real nbgrader
gradebooks built with nbgrader's own API: no nbgrader process, no kernel.

A batch is graded against a scratch gradebook copied from a template (:func:`seed_template`,
:func:`seed`); :func:`merge` copies its results into the course gradebook, keeping hand grades.
"""

from __future__ import annotations

import datetime

import pytest
from nbgrader.api import Gradebook, MissingEntry

from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.class_grading.gradebooks import merge, seed, seed_template

A, NB = "a1", "lesson"
EARLY = datetime.datetime(2026, 11, 1, 9, 0)
LATE = datetime.datetime(2026, 11, 2, 9, 0)


def _definition(gb: Gradebook) -> dict:
    """What defines the assignment, by names, as a batch's nbgrader sees it."""
    a = gb.find_assignment(A)
    nb = a.notebooks[0]
    return {
        "assignment": (a.name, a.duedate, a.course_id),
        "notebook": (nb.name, nb.kernelspec),
        "grade": sorted((c.name, c.max_score, c.cell_type) for c in nb.grade_cells),
        "solution": sorted(c.name for c in nb.solution_cells),
        "task": sorted((c.name, c.max_score, c.cell_type) for c in nb.task_cells),
        "source": sorted((c.name, c.cell_type, c.locked, c.source, c.checksum) for c in nb.source_cells),
    }


@pytest.fixture
def course(tmp_path, monkeypatch):
    """A course gradebook: one notebook with an autograded item, a hand-graded answer and a task;
    ann submitted once, and her answer was graded by hand."""
    monkeypatch.setenv("PATH", nbgrader_env()["PATH"])  # a new gradebook runs alembic by name
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_assignment(A, duedate=LATE)
        gb.add_notebook(NB, A, kernelspec='{"name": "python3"}')
        gb.add_grade_cell("q1", NB, A, max_score=2, cell_type="code")
        gb.add_grade_cell("essay", NB, A, max_score=3, cell_type="markdown")
        gb.add_solution_cell("essay", NB, A)
        gb.add_solution_cell("q1_answer", NB, A)
        gb.add_task_cell("task", NB, A, max_score=1, cell_type="markdown")
        gb.add_source_cell("q1", NB, A, cell_type="code", locked=True, source="check()", checksum="c1")
        gb.add_source_cell("essay", NB, A, cell_type="markdown", locked=False, source="?", checksum="c2")
        for student in ("ann", "cid"):
            gb.add_student(student)
        gb.add_submission(A, "ann", timestamp=EARLY)
        essay = gb.find_grade("essay", NB, A, "ann")
        essay.manual_score = 2.5
        gb.find_comment("essay", NB, A, "ann").manual_comment = "well argued"
        gb.db.commit()
    return tmp_path, url


def _graded(tmp_path, url, results: dict) -> str:
    """A batch's scratch gradebook, as nbgrader autograde leaves it: ``results`` by student,
    (timestamp, auto score of q1, late penalty)."""
    template = tmp_path / "template.db"
    seed_template(url, template, A)
    scratch = tmp_path / "scratch.db"
    seed(url, template, scratch, A, list(results))
    with Gradebook(f"sqlite:///{scratch}") as gb:
        for student, (timestamp, score, penalty) in results.items():
            sub = gb.update_or_create_submission(A, student, timestamp=timestamp)
            gb.find_grade("q1", NB, A, student).auto_score = score
            gb.find_comment("q1_answer", NB, A, student).auto_comment = f"q1 scored {score}"
            sub.notebooks[0].late_submission_penalty = penalty
            gb.db.commit()
    return f"sqlite:///{scratch}"


def test_the_template_holds_the_assignment_as_the_course_gradebook_defines_it(course):
    tmp_path, url = course
    seed_template(url, tmp_path / "template.db", A)
    with Gradebook(url) as main, Gradebook(f"sqlite:///{tmp_path / 'template.db'}") as template:
        assert _definition(template) == _definition(main)
        assert len(_definition(main)["source"]) == 2 and len(_definition(main)["grade"]) == 2
        assert template.submission_dicts(A) == []  # the definition only: nobody's work
    with pytest.raises(MissingEntry):
        seed_template(url, tmp_path / "other.db", "no-such-assignment")


def test_a_merge_copies_auto_results_and_keeps_the_hand_grade_of_the_same_submission(course):
    tmp_path, url = course
    scratch = _graded(tmp_path, url, {"ann": (EARLY, 2.0, 0.0), "bob": (LATE, 0.0, 1.5)})
    assert merge(scratch, url, A, ["ann", "bob", "cid"]) == {"ann", "bob"}  # cid: no result
    with Gradebook(url) as gb:
        ann = gb.find_grade("essay", NB, A, "ann")
        assert (ann.manual_score, ann.needs_manual_grade) == (2.5, False)  # kept, not re-flagged
        assert gb.find_comment("essay", NB, A, "ann").manual_comment == "well argued"
        assert gb.find_grade("q1", NB, A, "ann").auto_score == 2.0
        assert gb.find_comment("q1_answer", NB, A, "ann").auto_comment == "q1 scored 2.0"
        bob = gb.find_grade("essay", NB, A, "bob")  # new: his essay waits for a hand grade
        assert (bob.manual_score, bob.needs_manual_grade) == (None, True)
        assert gb.find_grade("q1", NB, A, "bob").auto_score == 0.0
        assert gb.find_submission_notebook(NB, A, "bob").late_submission_penalty == 1.5
        assert gb.find_submission(A, "bob").timestamp == LATE
        with pytest.raises(MissingEntry):
            gb.find_submission(A, "cid")


def test_a_new_submission_keeps_the_old_hand_grade_but_asks_for_a_look_again(course):
    tmp_path, url = course
    merge(_graded(tmp_path, url, {"ann": (LATE, 0.0, 0.0)}), url, A, ["ann"])
    with Gradebook(url) as gb:
        essay = gb.find_grade("essay", NB, A, "ann")
        assert (essay.manual_score, essay.needs_manual_grade) == (2.5, True)
        assert gb.find_submission(A, "ann").timestamp == LATE
        assert gb.find_grade("q1", NB, A, "ann").auto_score == 0.0


def test_an_ill_formed_student_id_is_never_merged_into_the_course_gradebook(course):
    """The pipeline refuses such an id before grading; the merge refuses it again."""
    tmp_path, url = course
    bad = "x<script>alert(1)</script>"
    scratch = _graded(tmp_path, url, {"cid": (EARLY, 2.0, 0.0), bad: (EARLY, 2.0, 0.0)})
    assert merge(scratch, url, A, ["cid", bad]) == {"cid"}
    with Gradebook(url) as gb:
        assert {s.id for s in gb.students} == {"ann", "cid"}
        assert {s.student.id for s in gb.find_assignment(A).submissions} == {"ann", "cid"}

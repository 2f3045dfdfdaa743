"""The instructor's pipeline, end to end, on the sample submissions (real nbgrader, real sandbox)."""

import csv
import json
import sys
from pathlib import Path

import nbformat
import pytest

from course import REPO, grade_all, item_scores, make_course, max_scores, submit
from mlops_concepts.grading.calls import top_level_calls
from mlops_concepts.grading.submissions import fingerprint

sys.path.insert(0, str(REPO / "tests" / "samples"))
import build_samples  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("pipeline"))
    for student in build_samples.EXPECTED:
        nb = nbformat.read(build_samples.sample_path(student), as_version=4)
        submit(root, ASSIGNMENT, student, nb)
    before = fingerprint(root / "submitted")
    result = grade_all(root, ASSIGNMENT)
    return root, result, before


def test_samples_match_the_release():
    for student, nb in build_samples.samples().items():
        committed = json.loads(build_samples.sample_path(student).read_text())
        assert committed == json.loads(nbformat.writes(nb)), f"{student} is stale: run build_samples.py"


def test_grading_exits_zero_and_summarises_every_student(graded):
    root, result, _ = graded
    assert result.returncode == 0, result.stdout + result.stderr
    for student in build_samples.EXPECTED:
        assert student in result.stdout
    assert "Graded 5 of 5" in result.stdout


@pytest.mark.parametrize("student", sorted(build_samples.EXPECTED))
def test_each_sample_gets_exactly_its_expected_scores(graded, student):
    root, _, _ = graded
    maximum = max_scores(root, ASSIGNMENT)
    expected = {item: build_samples.EXPECTED[student].get(item, 0.0) for item in maximum}
    assert item_scores(root, ASSIGNMENT, student) == expected


def test_complete_gets_full_marks_and_blank_gets_zero(graded):
    root, _, _ = graded
    full = sum(max_scores(root, ASSIGNMENT).values())
    assert full >= 14
    assert sum(item_scores(root, ASSIGNMENT, "sample-complete").values()) == full
    assert sum(item_scores(root, ASSIGNMENT, "sample-blank").values()) == 0
    assert sum(item_scores(root, ASSIGNMENT, "sample-partial").values()) == 7


def test_grades_csv_has_every_student(graded):
    root, _, _ = graded
    rows = {r["student_id"]: r for r in csv.DictReader(open(root / "grades.csv"))}
    assert set(build_samples.EXPECTED) <= set(rows)
    assert float(rows["sample-complete"]["raw_score"]) == sum(max_scores(root, ASSIGNMENT).values())
    assert float(rows["sample-blank"]["raw_score"]) == 0.0


def _feedback(root: Path, student: str) -> str:
    return (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()


@pytest.mark.parametrize("student", sorted(build_samples.EXPECTED))
def test_feedback_is_written_and_leaks_no_hidden_test_or_key(graded, student):
    root, _, _ = graded
    html = _feedback(root, student)
    assert "HIDDEN TESTS" not in html and "grade(" not in html
    source = nbformat.read(root / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    for cell in source.cells:
        for call in top_level_calls(cell.source, ("check",)):
            key = call.kwargs["key"]
            assert f"key={json.dumps(key)}" not in html
            assert f"key={key!r}" not in html


def test_feedback_says_why_in_words(graded):
    root, _, _ = graded
    assert "correct" in _feedback(root, "sample-complete")
    partial = _feedback(root, "sample-partial")
    assert "Exercise 1.2 (b): not correct. Expected: a dict" in partial
    assert "Exercise 2.3 (b): the self-check could not run" in partial and "IndexError" in partial
    assert "# Self-check for Exercise 1.2 (b)" in partial
    cheater = _feedback(root, "sample-cheater")
    assert "plain str, int, float, bool, list and dict values" in cheater


def test_submitted_files_are_unchanged(graded):
    root, _, before = graded
    assert fingerprint(root / "submitted") == before

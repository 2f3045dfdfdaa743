"""The instructor's pipeline, end to end, on the sample submissions (real nbgrader, real sandbox).

The class is graded by ``mlops-concepts demo`` (what ``make demo`` runs), with no chapter named: every
chapter's sample class (``examples/<id>/``) in one throwaway course, then the checks below.
"""

import csv
import json
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.authoring import samples
from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.contract.calls import top_level_calls
from mlops_concepts.contract.folder_scan import fingerprint
from support import build_samples  # noqa: E402
from support.course import REPO, has_lab, item_scores, max_scores

ASSIGNMENT = build_samples.ASSIGNMENT


CHAPTERS = samples.chapters(REPO)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "course"
    before = {}
    for chapter in CHAPTERS:
        before.update(fingerprint(REPO / "examples" / chapter / "submitted"))
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "demo", "--course", str(root)],
        capture_output=True,
        text=True,
        env=nbgrader_env(),
    )
    return root, result, before


def test_the_demo_grades_every_chapters_sample_class_and_reports_it(graded):
    root, result, _ = graded
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert CHAPTERS and sorted(p.name for p in (root / "release").iterdir()) == CHAPTERS
    for chapter in CHAPTERS:
        expected = samples.expected(REPO, chapter)
        for student in expected:
            assert student in result.stdout
            maximum = max_scores(root, chapter)
            assert item_scores(root, chapter, student) == {
                item: expected[student].get(item, 0.0) for item in maximum
            }, (chapter, student)
        assert f"Graded {len(expected)} of {len(expected)}" in result.stdout
        assert (root / "reports" / f"{chapter}.html").is_file()


def test_complete_gets_full_marks_and_blank_gets_zero(graded):
    root, _, _ = graded
    full = sum(max_scores(root, ASSIGNMENT).values())
    assert full >= 14
    assert sum(item_scores(root, ASSIGNMENT, "sample-complete").values()) == full
    assert sum(item_scores(root, ASSIGNMENT, "sample-blank").values()) == 0
    assert sum(item_scores(root, ASSIGNMENT, "sample-partial").values()) == 7


def test_grades_csv_has_every_student_of_every_chapter(graded):
    root, _, _ = graded
    rows = list(csv.DictReader(open(root / "grades.csv")))
    for chapter in CHAPTERS:
        mine = {r["student_id"]: r for r in rows if r["assignment"] == chapter}
        assert set(samples.expected(REPO, chapter)) <= set(mine), chapter
        assert float(mine["sample-complete"]["raw_score"]) == sum(max_scores(root, chapter).values())
        assert float(mine["sample-blank"]["raw_score"]) == 0.0


def _feedback(root: Path, student: str, chapter: str = ASSIGNMENT) -> str:
    return (root / "feedback" / student / chapter / f"{chapter}.html").read_text()


@pytest.mark.parametrize("student", sorted(build_samples.EXPECTED))
def test_feedback_is_written_and_leaks_no_hidden_test_key_or_seed(graded, student):
    root, _, _ = graded
    for chapter in CHAPTERS:
        html = _feedback(root, student, chapter)
        assert "HIDDEN TESTS" not in html and "grade(" not in html
        source = nbformat.read(root / "source" / chapter / f"{chapter}.ipynb", as_version=4)
        for cell in source.cells:
            for call in top_level_calls(cell.source, ("check",)):
                if "cases" in call.kwargs:  # a lab: its hidden seed, and the call, never shown
                    seed = call.kwargs["cases"]["seed"]
                    assert f'"seed": {seed}' not in html and "grade_function" not in html
                    assert "grade_held" not in html
                    continue
                key = call.kwargs["key"]
                assert f"key={json.dumps(key)}" not in html
                assert f"key={key!r}" not in html


def test_lab_feedback_says_on_how_many_hidden_inputs_a_function_is_right(graded):
    root, _, _ = graded
    labs = [c for c in CHAPTERS if has_lab(c)]
    assert len(labs) == 3, labs
    for chapter in labs:
        assert re.search(
            r"right on \d+ of \d+ hidden inputs",
            _feedback(root, "sample-partial", chapter) + _feedback(root, "sample-wrong", chapter),
        ), chapter


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


def test_the_summary_names_only_items_somebody_missed(graded):
    """The hardest items, as the grading command prints them: each with how many got it right,
    and never an item every student got right."""
    _, result, _ = graded
    lines = [ln for ln in result.stdout.splitlines() if ln.startswith("Items the class found hardest: ")]
    assert len(lines) == len(CHAPTERS)
    for line in lines:
        counts = re.findall(r"\((\d+) of (\d+) right\)", line)
        assert counts and all(int(right) < int(total) for right, total in counts), line


def test_the_summary_names_exercises_by_title_never_by_grade_id(graded):
    """Issue 29 item 2: the instructor's terminal says "Exercise 1.2 (b)", as students read it;
    grade ids (q2_4a is Exercise 2.2 (a)) never show where a title serves."""
    _, result, _ = graded
    summary = [
        ln
        for ln in result.stdout.splitlines()
        if ln.startswith("Items the class found hardest: ") or " missed " in ln
    ]
    assert summary and any(ln.startswith("Items the class found hardest: ") for ln in summary)
    for line in summary:
        assert "Exercise " in line, line
        assert not re.search(r"\bq\d+_\d+[a-z]?\b", line), line

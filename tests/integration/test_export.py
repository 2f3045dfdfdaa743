"""``grades.csv`` is data, whichever command writes it (issue 25, item 3).

A course whose gradebook holds hostile student ids, names and emails (commas, quotes, line breaks,
formula prefixes, a tab, leading spaces) is exported by plain ``nbgrader export`` and by
``mlops-concepts grade``. Each file is parsed with :mod:`csv`: one row per student, every field
as the gradebook has it (with a ``'`` before a formula), no cell a spreadsheet would run, and
the scores still numbers.
"""

from __future__ import annotations

import csv

import pytest
from nbgrader.api import Gradebook

from mlops_concepts.contract.spreadsheet import FORMULA_PREFIXES
from mlops_concepts.nbgrader_plugins.export import COLUMNS
from support.course import (
    ASSIGNMENTS,
    grade_all,
    make_course,
    max_scores,
    nbgrader,
    solutions,
    submission,
    submit,
)

ASSIGNMENT = ASSIGNMENTS[0]
NUMBERS = ("raw_score", "late_submission_penalty", "score", "max_score")
TEXTS = ("assignment", "student_id", "last_name", "first_name", "email")

#: student id -> (first name, last name, email), as a gradebook can hold them (nbgrader's own
#: `db student add`, an old gradebook, a roster import).
HOSTILE = {
    "forged,2026-01-01,x,y,z,w,100.0,0.0,100.0,100.0": ("a", "b", "c@example.org"),
    "=cmd|' /C calc'!A0": ('=HYPERLINK("http://evil.example","click")', "+1", "-1@example.org"),
    "+1": ("@SUM(A1:A9)", "\tTab", "\r=1+1@example.org"),
    "-1": ('He said "hi"', "O'Brien, Jr.", "a,b@example.org"),
    "@SUM(1+1)": ("line\nbreak", "line\r\nbreak=", "  =1+2"),
    "\tTabbed": (" +leading space", "\n-1", "plain@example.org"),
    '"quoted",id': ("", "", ""),
    "new\nline,=1": ("=1", "=2", "=3"),
    "  =spaced": ("Zoë", "Ünïcode", "z@example.org"),
}
HONEST = "alice"


def _add_hostile_students(root) -> None:
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student_id, (first, last, email) in HOSTILE.items():
            gb.update_or_create_student(student_id, first_name=first, last_name=last, email=email)


def _expected(student_id: str) -> dict:
    first, last, email = HOSTILE.get(student_id, ("", "", ""))
    return {"student_id": student_id, "first_name": first, "last_name": last, "email": email}


def _unprefixed(text: str) -> str:
    return text[1:] if text.startswith("'") else text


def _read(path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == COLUMNS
        return list(reader)


def _check(rows: list[dict], students: set[str]) -> dict[str, dict]:
    """Every row whole and formula-safe; return the rows by (unprefixed) student id."""
    by_id = {}
    for row in rows:
        assert None not in row and None not in row.values(), row  # no field forged or lost
        for column, cell in row.items():
            first = cell.lstrip()[:1]
            assert cell[:1] not in FORMULA_PREFIXES and first not in FORMULA_PREFIXES, (column, cell)
        for column in NUMBERS:
            assert not row[column].startswith("'"), (column, row[column])
            float(row[column])  # a number a spreadsheet reads as one
        student = _unprefixed(row["student_id"])
        assert student not in by_id, f"two rows for {student!r}"
        by_id[student] = row
    assert set(by_id) == students
    for student, row in by_id.items():
        for column, value in _expected(student).items():
            cell = row[column]
            # Text that could start a formula gets one ' in front; any other is as it was.
            if value.lstrip()[:1] in FORMULA_PREFIXES or value[:1] in FORMULA_PREFIXES:
                assert cell == "'" + value, (column, cell, value)
            else:
                assert cell == value, (column, cell, value)
        assert row["assignment"] == ASSIGNMENT
    return by_id


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("export"))
    _add_hostile_students(root)
    submit(root, ASSIGNMENT, HONEST, submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT)))
    return root


def test_plain_nbgrader_export_writes_one_whole_formula_safe_row_per_student(course, tmp_path):
    out = tmp_path / "plain.csv"
    result = nbgrader(course, "export", "--to", str(out))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SafeCsvExportPlugin" in result.stdout + result.stderr  # the course's plugin, by config
    rows = _check(_read(out), set(HOSTILE))
    assert all(float(r["score"]) == 0.0 for r in rows.values())  # nobody here has a submission


def test_mlops_concepts_grade_writes_the_same_safe_grades_csv(course):
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    rows = _check(_read(course / "grades.csv"), set(HOSTILE) | {HONEST})
    autograded = sum(max_scores(course, ASSIGNMENT).values())  # the reflection is graded by hand
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert float(rows[HONEST]["max_score"]) == gb.find_assignment(ASSIGNMENT).max_score > autograded
    assert float(rows[HONEST]["score"]) == float(rows[HONEST]["raw_score"]) == autograded
    assert rows[HONEST]["timestamp"] == ""  # submitted by hand: no timestamp.txt
    # The same gradebook exported by plain nbgrader gives the same file.
    again = course / "again.csv"
    assert nbgrader(course, "export", "--to", str(again)).returncode == 0
    assert again.read_bytes() == (course / "grades.csv").read_bytes()


def test_nbgraders_options_still_choose_the_rows(course, tmp_path):
    out = tmp_path / "one.csv"
    result = nbgrader(course, "export", "--to", str(out), "--student=+1", f"--assignment={ASSIGNMENT}")
    assert result.returncode == 0, result.stdout + result.stderr
    assert [(r["assignment"], r["student_id"]) for r in _read(out)] == [(ASSIGNMENT, "'+1")]
    result = nbgrader(course, "export", "--to", str(out), "--assignment=no-such-chapter")
    assert result.returncode == 0 and _read(out) == []

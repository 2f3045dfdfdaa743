"""The linter's assessment rules (:mod:`mlops_concepts.authoring.assessment`): each rule refuses a
tiny notebook that breaks it, accepts one at its limit, and every real chapter passes."""

from __future__ import annotations

import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_concepts.authoring import assessment as A
from support.course import ASSIGNMENTS, REPO

LOCKED = {"nbgrader": {"grade": False, "solution": False, "locked": True, "schema_version": 3}}


def multiple_choice(cid: str, options: list[str], right: int):
    entries = "".join(f"        {o!r}: 'Think again about {cid}.',\n" for o in options)
    source = (
        f"MultipleChoice(\n    id={cid!r},\n    question='Which one?',\n    options={{\n{entries}    }},\n"
        f"    answer={options[right]!r},\n    hint='A hint.',\n    explanation='Why.',\n)"
    )
    return new_code_cell(source, metadata={"nbgrader": dict(LOCKED["nbgrader"], grade_id=cid)})


def answer_cell(gid: str, source: str):
    meta = {"grade": False, "solution": True, "locked": False, "grade_id": gid, "schema_version": 3}
    return new_code_cell(source, metadata={"nbgrader": meta})


def graded_cell(gid: str, source: str, tags: dict | None = None):
    meta = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 1,
        "grade_id": gid,
        "schema_version": 3,
    }
    metadata = {"nbgrader": meta}
    if tags:
        metadata[A.METADATA] = tags
    return new_code_cell(source, metadata=metadata)


def letter_exercise(n: int, parts: list[tuple[str, list[str], int]]):
    """Exercise ``n``: one Markdown cell listing each part's lettered options, its answer cell and
    one test cell per part (``parts``: variable, options, index of the right one)."""
    text = f"### Exercise {n}.1 — Letters ({len(parts)} points)\n\n"
    for var, options, _ in parts:
        text += f"Store your letter in `{var}`.\n\n" + "".join(
            f"- **{A.LETTERS[k]}.** {o}\n" for k, o in enumerate(options)
        )
        text += "\n"
    solution = "".join(f'{v} = "{A.LETTERS[r]}"\n' for v, _, r in parts)
    cells = [
        new_markdown_cell(text),
        answer_cell(f"q{n}_1_answer", f"### BEGIN SOLUTION\n{solution}### END SOLUTION"),
    ]
    for k, (var, _, right) in enumerate(parts):
        gid = f"q{n}_1{A.LETTERS[k]}"
        cells.append(graded_cell(gid, f'check("{gid}", {var}, key="{A.LETTERS[right]}")'))
    return cells


def options_of(i: int, lengths=(30, 30, 30, 30)) -> list[str]:
    """Four options of the given lengths that share no word with any lesson of these tests."""
    return [f"opt{i}{k}".ljust(n, "x") for k, n in enumerate(lengths)]


def chapter(rights: list[int], lengths=None, lesson: str = "A lesson.") -> nbformat.NotebookNode:
    """One multiple-choice checkpoint per entry of ``rights`` (the right option's position)."""
    nb = new_notebook(cells=[new_markdown_cell("# Title"), new_markdown_cell(f"## 1. Lesson\n\n{lesson}")])
    for i, right in enumerate(rights):
        nb.cells.append(
            multiple_choice(f"cp-{i}", options_of(i, lengths[i] if lengths else (30,) * 4), right)
        )
    return nb


def messages(nb) -> list[str]:
    return [str(p) for p in A.check_cues(A.choice_items(nb))]


def test_items_are_read_from_checkpoints_and_letter_questions():
    nb = chapter([2], lesson="Feature stores keep features.")
    nb.cells += letter_exercise(
        1, [("first", ["one", "two", "three"], 1), ("second", ["four", "five", "six", "seven"], 3)]
    )
    items = A.choice_items(nb)
    assert [(i.where, i.right, len(i.options)) for i in items] == [
        ("checkpoint 'cp-0'", 2, 4),
        ("exercise 'q1_1a'", 1, 3),
        ("exercise 'q1_1b'", 3, 4),
    ]
    assert items[1].options == ("one", "two", "three")
    assert (
        "Feature stores" in items[1].lesson and "Letters" not in items[1].lesson
    )  # the exercise is no lesson


def test_position_rule_refuses_more_than_40_percent_in_one_position():
    at_limit = chapter([1, 1, 1, 1, 0, 0, 0, 2, 2, 3])  # b holds 4/10
    assert messages(at_limit) == []
    over = chapter([1, 1, 1, 1, 1, 0, 0, 2, 2, 3])  # b holds 5/10
    problems = messages(over)
    assert any("option b is the right one in 5/10 (50%)" in p for p in problems), problems
    assert any("measures: 10 choice items; right answers by position a: 2, b: 5" in p for p in problems)


@pytest.mark.parametrize("cue, short, long", [("shortest", 20, 30), ("longest", 40, 30)])
def test_length_rule_refuses_the_right_option_shortest_or_longest_in_over_a_third(cue, short, long):
    rights = [0, 1, 2, 3] * 3  # positions are balanced: only the length cue is on trial

    def lengths(cued: int):
        return [
            tuple(short if (k == rights[i] and i < cued) else long for k in range(4))
            for i in range(len(rights))
        ]

    assert messages(chapter(rights, lengths(4))) == []  # 4/12 is a third: allowed
    problems = messages(chapter(rights, lengths(5)))
    assert any(f"the right option is the {cue} in 5/12" in p for p in problems), problems


def test_echo_rule_refuses_the_right_option_echoing_the_lesson_in_over_a_third():
    lesson = "Monitoring watches predictions continuously and triggers retraining."
    rights = [0, 1, 2, 3] * 3

    def nb(echoes: int):
        built = chapter(rights, lesson=lesson)
        for i, cell in enumerate(c for c in built.cells if c.cell_type == "code"):
            if i < echoes:
                right = A.choice_items(built)[i].options[rights[i]]
                cell.source = cell.source.replace(right, "monitoring watches predictions")
        return built

    assert messages(nb(4)) == []
    problems = messages(nb(5))
    assert any("shares the most words with the lesson in 5/12" in p for p in problems), problems
    assert any("checkpoint 'cp-4'" in p for p in problems)


def test_echo_ties_and_common_words_are_no_cue():
    item = A.ChoiceItem("x", ("the model drifts", "the model retrains", "which with"), 0, "The model drifts.")
    assert item.overlaps() == [2, 1, 0] and item.echo
    tie = A.ChoiceItem("x", ("model drifts", "drifts model"), 0, "The model drifts.")
    assert not tie.echo
    assert A.words("With which, the team's models") == ["team", "models"]


def test_a_small_chapter_is_counted_with_the_whole_course(tmp_path):
    for name, rights in {"01-a": [1, 1, 1], "02-b": [0, 2, 3] * 4}.items():
        (tmp_path / "source" / name).mkdir(parents=True)
        nbformat.write(chapter(rights), tmp_path / "source" / name / f"{name}.ipynb")
    small = nbformat.read(tmp_path / "source" / "01-a" / "01-a.ipynb", as_version=4)
    items, pooled = A.course_items(tmp_path, "01-a", small)
    assert pooled and len(items) == 15
    assert messages(small) != []  # alone, 3/3 in position b breaks the rule
    assert A.check(tmp_path, "01-a", small) == []  # 3/15 over the course does not


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_real_chapter_passes(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert [str(p) for p in A.check(REPO, assignment, nb)] == []
    assert len(A.choice_items(nb)) >= 5  # the rules have items to bite on


def test_the_check_command_refuses_a_cued_chapter_and_prints_the_measures(tmp_path):
    (tmp_path / "source" / "cued").mkdir(parents=True)
    nbformat.write(chapter([1] * 10), tmp_path / "source" / "cued" / "cued.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.grading.cli", "check", "--root", str(tmp_path), "cued"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "option b is the right one in 10/10 (100%)" in result.stdout
    assert "measures: 10 choice items" in result.stdout


def test_the_measures_are_printed_for_passing_chapters():
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.authoring.assessment"],
        cwd=REPO,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for assignment in ASSIGNMENTS:
        assert f"{assignment}: " in result.stdout
    assert "right answers by position" in result.stdout

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


def echo_chapter(echoing: list[int]) -> nbformat.NotebookNode:
    """Twelve balanced checkpoints; in those listed, the right option repeats the lesson's words."""
    lesson = "Monitoring watches predictions continuously and triggers retraining."
    rights = [0, 1, 2, 3] * 3  # positions and lengths give no cue: only the echo is on trial
    built = chapter(rights, lesson=lesson)
    for i, cell in enumerate(c for c in built.cells if c.cell_type == "code"):
        if i in echoing:
            right = A.choice_items(built)[i].options[rights[i]]
            cell.source = cell.source.replace(right, "monitoring watches predictions".ljust(30, "x"))
    return built


def test_echo_rule_refuses_a_single_item_whose_right_option_echoes_the_lesson():
    assert A.check_echo(A.choice_items(echo_chapter([]))) == []
    problems = [str(p) for p in A.check_echo(A.choice_items(echo_chapter([4])))]
    # one item in twelve is enough: the rule is per item, not a rate
    assert problems == [
        "checkpoint 'cp-4': the right option (a) shares strictly the most words with the lesson (words "
        "shared by option a: 3 (right), b: 0, c: 0, d: 0; the right one repeats monitoring, predictions, "
        "watches). Say the right option in the student's own terms, or bring a wrong one as close to "
        "the lesson's words"
    ]
    assert len(A.check_echo(A.choice_items(echo_chapter([0, 5, 9])))) == 3  # each item is named


def test_echo_rule_holds_for_graded_letter_questions():
    nb = chapter([], lesson="Monitoring watches predictions continuously.")
    nb.cells += letter_exercise(
        1, [("watch", ["It retrains nightly", "Monitoring watches predictions", "It logs requests"], 1)]
    )
    problems = [str(p) for p in A.check_echo(A.choice_items(nb))]
    assert len(problems) == 1 and problems[0].startswith("exercise 'q1_1a': the right option (b)"), problems
    tie = chapter([], lesson="Monitoring watches predictions continuously.")
    tie.cells += letter_exercise(
        1, [("watch", ["It watches monitoring predictions", "Monitoring watches predictions", "Logs"], 1)]
    )
    assert A.check_echo(A.choice_items(tie)) == []  # a wrong option as close to the lesson: no cue


def test_the_linter_refuses_a_chapter_with_one_echoing_item_and_names_it(tmp_path):
    (tmp_path / "source" / "echo").mkdir(parents=True)
    nbformat.write(echo_chapter([7]), tmp_path / "source" / "echo" / "echo.ipynb")
    nb = nbformat.read(tmp_path / "source" / "echo" / "echo.ipynb", as_version=4)
    problems = [str(p) for p in A.check(tmp_path, "echo", nb)]
    assert any(
        p.startswith("checkpoint 'cp-7': the right option (d) shares strictly the most") for p in problems
    )
    assert not any("cp-7" in p for p in [str(p) for p in A.check(tmp_path, "echo", echo_chapter([]))])
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "check", "--root", str(tmp_path), "echo"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "checkpoint 'cp-7': the right option (d) shares strictly the most words" in result.stdout
    assert "words shared by option a: 0, b: 0, c: 0, d: 3 (right)" in result.stdout


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
    assert A.check_cues(items, pooled) == []  # 3/15 over the course does not


def tagged_chapter(tags: dict[str, dict | None]) -> nbformat.NotebookNode:
    """Two objectives, and one graded letter part per entry of ``tags`` (grade id: its tag)."""
    intro = "# Title\n\n## Learning objectives\n\n1. **Define it**.\n2. **Apply it**.\n"
    nb = new_notebook(cells=[new_markdown_cell(intro), new_markdown_cell("### Exercise 1.1 — Parts")])
    nb.cells.append(answer_cell("q1_1_answer", '### BEGIN SOLUTION\nx = "a"\n### END SOLUTION'))
    for gid, tag in tags.items():
        nb.cells.append(graded_cell(gid, f'check("{gid}", x, key="a")', tag))
    return nb


RECALL_1 = {"objective": "1", "kind": "recall"}
APPLY_1 = {"objective": "1", "kind": "application"}
APPLY_2 = {"objective": "2", "kind": "application"}


def test_objectives_are_read_from_the_introduction():
    assert A.objectives(tagged_chapter({})) == ["1", "2"]


def test_every_objective_needs_two_graded_parts_one_an_application():
    good = tagged_chapter({"q1_1a": RECALL_1, "q1_1b": APPLY_1, "q1_1c": APPLY_2, "q1_1d": APPLY_2})
    assert A.check_objectives(good) == []
    one_part = tagged_chapter({"q1_1a": RECALL_1, "q1_1b": APPLY_1, "q1_1c": APPLY_2})
    assert [str(p) for p in A.check_objectives(one_part)] == [
        "objective 2: is assessed by 1 graded part(s), 1 of them an application: it needs at least 2, "
        "at least 1 an application"
    ]
    recall_only = tagged_chapter({"q1_1a": RECALL_1, "q1_1b": RECALL_1, "q1_1c": APPLY_2, "q1_1d": APPLY_2})
    assert any(
        "objective 1: is assessed by 2 graded part(s), 0 of them" in str(p)
        for p in A.check_objectives(recall_only)
    )


@pytest.mark.parametrize(
    "tag",
    [None, {"objective": "3", "kind": "recall"}, {"objective": "1", "kind": "scenario"}, {"kind": "recall"}],
)
def test_a_graded_part_without_a_valid_tag_is_refused(tag):
    nb = tagged_chapter(
        {"q1_1a": RECALL_1, "q1_1b": APPLY_1, "q1_1c": APPLY_2, "q1_1d": APPLY_2, "q1_1e": tag}
    )
    problems = [str(p) for p in A.check_objectives(nb)]
    assert any(p.startswith("cell 'q1_1e': tag the graded part") for p in problems), problems


def test_the_reflection_counts_as_a_graded_part():
    nb = tagged_chapter({"q1_1a": RECALL_1, "q1_1b": APPLY_1, "q1_1c": APPLY_2})
    meta = {"grade": True, "solution": True, "locked": False, "points": 2, "grade_id": "reflection"}
    nb.cells.append(new_markdown_cell("An answer.", metadata={"nbgrader": meta, A.METADATA: APPLY_2}))
    assert A.check_objectives(nb) == []


def classify(cid: str, buckets: list[str], items: dict[str, str]):
    entries = "".join(f"        {k!r}: ({v!r}, 'Why.'),\n" for k, v in items.items())
    source = (
        f"Classify(\n    id={cid!r},\n    question='Sort them.',\n    buckets={buckets!r},\n"
        f"    items={{\n{entries}    }},\n    hint='A hint.',\n    explanation='Why.',\n)"
    )
    return new_code_cell(source, metadata={"nbgrader": dict(LOCKED["nbgrader"], grade_id=cid)})


def dict_exercise(mapping: dict[str, str]):
    keys = {k: v for k, v in mapping.items()}
    return [
        new_markdown_cell("### Exercise 2.1 — Sort the cases (1 point)"),
        answer_cell("q2_1_answer", f"### BEGIN SOLUTION\nkind = {keys!r}\n### END SOLUTION"),
        graded_cell("q2_1a", f"check('q2_1a', kind, key={keys!r}, items={list(keys)!r})"),
    ]


def test_a_graded_sort_with_the_checkpoints_buckets_and_count_is_refused():
    cp = classify(
        "cp-2a",
        ["Data drift", "Concept drift"],
        {"Inputs move": "Data drift", "Rules change": "Concept drift"},
    )
    same = dict_exercise({"Shoppers get younger": "data drift", "Fraud tricks change": "concept drift"})
    nb = new_notebook(cells=[new_markdown_cell("## 2. Drift"), cp, *same])
    problems = [str(p) for p in A.check_fresh(nb)]
    assert problems == [
        "exercise 'q2_1a': repeats checkpoint 'cp-2a': the same buckets (concept drift, data drift) with the "
        "same number of items (2). Make the graded task a fresh one"
    ]
    more = dict_exercise(
        {
            "Shoppers get younger": "data drift",
            "Fraud tricks change": "concept drift",
            "New city": "data drift",
        }
    )
    assert A.check_fresh(new_notebook(cells=[new_markdown_cell("## 2. Drift"), cp, *more])) == []
    renamed = dict_exercise({"Shoppers get younger": "data", "Fraud tricks change": "concept"})
    assert A.check_fresh(new_notebook(cells=[new_markdown_cell("## 2. Drift"), cp, *renamed])) != []


def test_a_graded_letter_question_with_the_checkpoints_options_is_refused():
    options = ["The data moves away", "The rules of the world change", "The server is slow", "Nothing at all"]
    cp = multiple_choice("cp-2b", options, 1)
    reworded = [
        "The data moved away",
        "The world's rules change",
        "The server was slow",
        "Nothing at all here",
    ]
    nb = new_notebook(
        cells=[new_markdown_cell("## 2. Drift"), cp, *letter_exercise(2, [("why", reworded, 1)])]
    )
    problems = [str(p) for p in A.check_fresh(nb)]
    assert len(problems) == 1 and "repeats checkpoint 'cp-2b': the same options" in problems[0], problems
    fresh = ["A tax change", "A new city", "A younger crowd", "A server upgrade"]
    nb = new_notebook(cells=[new_markdown_cell("## 2. Drift"), cp, *letter_exercise(2, [("why", fresh, 1)])])
    assert A.check_fresh(nb) == []


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_real_chapter_passes(assignment):
    nb = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    assert [str(p) for p in A.check(REPO, assignment, nb)] == []
    assert len(A.choice_items(nb)) >= 5  # the rules have items to bite on


def test_the_check_command_refuses_a_cued_chapter_and_prints_the_measures(tmp_path):
    (tmp_path / "source" / "cued").mkdir(parents=True)
    nbformat.write(chapter([1] * 10), tmp_path / "source" / "cued" / "cued.ipynb")
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "check", "--root", str(tmp_path), "cued"],
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


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_the_release_shows_the_options_in_the_checked_order(assignment):
    """The rules check source/; students see release/: the options must keep their order there."""
    source = nbformat.read(REPO / "source" / assignment / f"{assignment}.ipynb", as_version=4)
    release = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)

    def shown(nb, sealed: bool):
        order = []
        for cell in nb.cells:
            if cell.cell_type == "markdown" and A._EXERCISE.search(cell.source):
                order += A._letter_groups(cell.source)
            for call in A._checkpoints(cell):
                if call.name == "MultipleChoice":
                    order.append(tuple(call.kwargs["options"]))
                    assert ("sealed" in call.kwargs) == sealed
        return order

    assert shown(release, sealed=True) == shown(source, sealed=False)
    assert len(shown(source, sealed=False)) == len(A.choice_items(source))

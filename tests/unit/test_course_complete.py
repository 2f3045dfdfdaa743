"""The whole course is there, and every chapter has everything chapter 1 has.

The course is the chapters of the chapter list (``mlops_concepts.chapters.CHAPTERS``), and
``source/`` holds exactly those. Each one must have, and this test names the chapter and the part
when one is missing:

* its notebook in ``source/`` and ``release/``, and a row in the README's chapter table;
* learning objectives, each assessed twice (a checkpoint and a graded item, in its table), with
  every reference in the table pointing at something that exists;
* every checkpoint kind; at least 6 graded exercises besides its lab; a reflection graded by hand;
  a diagram in every lesson, each one known to the course package (with its text alternative);
* a hands-on lab graded on hidden inputs (chapters 2 to 4);
* its sample class: complete, partial, wrong, blank and cheater, with the grades each must earn
  (the cheater none, the complete one everything that is autograded).

What is only *declared* here is run elsewhere, per chapter, with real parts: the validate pair
(``test_release``), the cheat corpus (``test_cheats``), the sandbox (``test_sandbox``), the
browser and accessibility tests (``tests/browser``), the demo (``test_pipeline``) and the
submission-robustness suites (``test_bad_submissions``, ``test_trust_boundary``, ``test_staging``,
``test_unstaged_submissions``) are parametrised over every chapter. In the robustness suites, the
cases that do not depend on a chapter's cells (hostile files, links, planted modules, floods)
are graded on the first chapter only (``course.runs_on``).
"""

from __future__ import annotations

import re

import nbformat
import pytest

from mlops_concepts.authoring import samples
from mlops_concepts.chapters import CHAPTERS
from mlops_concepts.checkpoints.sealing import KINDS
from mlops_concepts.contract import cells
from mlops_concepts.contract.calls import top_level_calls
from mlops_concepts.contract.exercises import graded_cells, read_check
from mlops_concepts.diagrams import DIAGRAMS
from mlops_concepts.report.chapter import objective_table
from support.course import ASSIGNMENTS, REPO

SAMPLE_CLASS = {"sample-complete", "sample-partial", "sample-wrong", "sample-blank", "sample-cheater"}
DIAGRAM = re.compile(r"<!--\s*diagram:\s*([A-Za-z0-9_]+)\s*-->")
CHECKPOINT_NUMBER = re.compile(r'question=\(?\s*"(\d+[a-z])\.')


def test_source_holds_exactly_the_chapters_of_the_chapter_list():
    assert ASSIGNMENTS == list(CHAPTERS), (
        f"in the list, not in source/: {sorted(set(CHAPTERS) - set(ASSIGNMENTS))}; "
        f"in source/, not in the list: {sorted(set(ASSIGNMENTS) - set(CHAPTERS))}"
    )


def _source(chapter):
    return nbformat.read(REPO / "source" / chapter / f"{chapter}.ipynb", as_version=4)


@pytest.fixture(scope="module", params=ASSIGNMENTS)
def chapter(request):
    return request.param


def test_released_and_linked_from_the_readme(chapter):
    assert (REPO / "release" / chapter / f"{chapter}.ipynb").is_file()
    rows = [
        line
        for line in (REPO / "README.md").read_text().splitlines()
        if line.startswith("|") and f"`{chapter}`" in line
    ]
    assert rows, f"README: no row for {chapter} in the chapter table"
    # Its Binder link, once the repository is named, is checked in test_binder.


def _checkpoints(nb) -> list[str]:
    """The checkpoint numbers students see ("2b"), from each checkpoint's question."""
    found = []
    for cell in nb.cells:
        if cell.cell_type == "code" and top_level_calls(cell.source, tuple(KINDS)):
            found += CHECKPOINT_NUMBER.findall(cell.source)
    return found


def test_every_objective_is_assessed_twice(chapter):
    nb = _source(chapter)
    table = objective_table(nb)
    assert table and len(table) >= 3, "the first cell needs the objectives table"
    header = next(line for line in nb.cells[0].source.splitlines() if line.startswith("| Objective"))
    columns = [c.strip().lower() for c in header.strip("|").split("|")]
    assert "checkpoints (ungraded)" in columns, columns
    points = columns.index("checkpoints (ungraded)")
    rows = [
        [c.strip() for c in line.strip("|").split("|")]
        for line in nb.cells[0].source.splitlines()
        if line.startswith("| ")
    ][1:]
    known = set(_checkpoints(nb))
    labels = {g.label.lower() for g in graded_cells(nb)} | {
        f"exercise {g.exercise}".lower() for g in graded_cells(nb) if g.exercise
    }
    for (objective, refs), row in zip(table, [r for r in rows if not set(r[0]) <= set("-:")], strict=True):
        listed = [c.strip() for c in row[points].split(",") if c.strip()]
        assert listed, f"{objective}: no checkpoint"
        assert set(listed) <= known, f"{objective}: unknown checkpoint(s) {set(listed) - known}"
        assert refs, f"{objective}: no graded item"
        for ref in refs:
            name = ref.lower() if ref.lower() == "reflection" else f"exercise {ref}".lower()
            assert name in labels or ref.lower() == "reflection", f"{objective}: unknown item {ref}"


def test_every_checkpoint_kind_six_exercises_a_reflection_and_a_diagram_per_lesson(chapter):
    nb = _source(chapter)
    kinds = {
        call.name
        for c in nb.cells
        if c.cell_type == "code"
        for call in top_level_calls(c.source, tuple(KINDS))
    }
    assert kinds == set(KINDS), f"missing checkpoint kinds: {set(KINDS) - kinds}"
    tests = [read_check(c) for c in nb.cells if cells.is_test(c)]
    lab_ids = {t.grade_id for t in tests if t.is_lab}
    exercises = {
        g.exercise
        for g in graded_cells(nb)
        if cells.is_test(g.cell) and cells.grade_id(g.cell) not in lab_ids and g.exercise
    }
    assert len(exercises) >= 6, f"only {len(exercises)} graded exercises besides the lab"
    manual = [
        c
        for c in nb.cells
        if c.cell_type == "markdown" and cells.is_answer(c) and cells.nbgrader_metadata(c).get("grade")
    ]
    assert [cells.grade_id(c) for c in manual] == ["reflection"]
    lesson, drawn = None, {}
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            h2 = re.search(r"^## (\d+)\. (.+)$", cell.source, re.MULTILINE)
            if h2:
                lesson = h2.group(0)
                drawn[lesson] = []
            if lesson:
                drawn[lesson] += DIAGRAM.findall(cell.source)
    assert len(drawn) >= 3, drawn
    for name, diagrams in drawn.items():
        assert diagrams, f"{name}: no diagram"
        assert set(diagrams) <= set(DIAGRAMS), f"{name}: unknown diagram(s)"
        for d in diagrams:
            assert DIAGRAMS[d].alt.strip() and DIAGRAMS[d].description.strip(), d


def test_chapters_after_the_first_have_a_lab_graded_on_hidden_inputs(chapter):
    if chapter == next(iter(CHAPTERS)):
        pytest.skip("chapter 1 teaches concepts only; its function exercise uses visible inputs")
    nb = _source(chapter)
    labs = [read_check(c) for c in nb.cells if cells.is_test(c) and read_check(c).is_lab]
    assert len(labs) >= 2, "a lab needs at least two test cells graded on hidden inputs"
    assert all(lab.cases.get("seed") for lab in labs)
    assert any(
        re.search(r"^## \d+\. Lab", c.source, re.MULTILINE) for c in nb.cells if c.cell_type == "markdown"
    ), "no '## N. Lab: ...' section"


def test_the_sample_class_is_complete_and_the_cheater_earns_nothing(chapter):
    assert chapter in samples.chapters(REPO)
    expected = samples.expected(REPO, chapter)
    assert set(expected) == SAMPLE_CLASS
    release = nbformat.read(REPO / "release" / chapter / f"{chapter}.ipynb", as_version=4)
    autograded = {
        cells.grade_id(c): float(cells.nbgrader_metadata(c).get("points", 0))
        for c in release.cells
        if cells.is_test(c)
    }
    assert not any(expected["sample-cheater"].get(g, 0) for g in autograded)
    assert not any(expected["sample-blank"].get(g, 0) for g in autograded)
    assert not any(expected["sample-wrong"].get(g, 0) for g in autograded)
    assert {g: expected["sample-complete"].get(g, 0) for g in autograded} == autograded
    partial = sum(expected["sample-partial"].get(g, 0) for g in autograded)
    assert 0 < partial < sum(autograded.values())

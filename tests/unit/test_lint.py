"""The chapter linter (``mlops-concepts check``): clean on every chapter, and each rule bites."""

from __future__ import annotations

import copy
import json
import subprocess
import sys

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from mlops_concepts.authoring import lint as L
from support.course import ASSIGNMENTS, REPO, notebook_path


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_chapter_is_clean(assignment):
    assert [str(p) for p in L.lint(REPO, assignment)] == []


def test_the_command_lints_every_chapter_and_exits_zero():
    result = subprocess.run(
        [sys.executable, "-m", "mlops_concepts.class_grading.cli", "check", "--root", str(REPO)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    for assignment in ASSIGNMENTS:
        assert f"{assignment}: ok" in result.stdout


@pytest.fixture(scope="module")
def chapter():
    return nbformat.read(notebook_path(REPO, "source", ASSIGNMENTS[0]), as_version=4)


def _first(nb, predicate):
    return next(c for c in nb.cells if predicate(c))


def _is_test(c):
    return c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")


def _broken(chapter, edit):
    nb = copy.deepcopy(chapter)
    edit(nb)
    return nb


def _typo(nb):
    cell = _first(nb, _is_test)
    gid = cell.metadata.nbgrader.grade_id
    cell.source = cell.source.replace(f'"{gid}"', f'"{gid}A"', 1)


def _missing_feedback(nb):
    """An extra option whose feedback is empty."""
    cell = _first(nb, lambda c: "MultipleChoice(" in c.source)
    start = cell.source.index("options={") + len("options={")
    cell.source = cell.source[:start] + '\n        "An option with no feedback": "",' + cell.source[start:]


def _no_alt(nb):
    nb.cells.insert(3, new_markdown_cell("![](attachment:picture.png)"))


def _diagram_code(nb):
    nb.cells.insert(3, new_code_cell("diagrams.show(diagrams.recap())"))


def _two_h1(nb):
    nb.cells.insert(3, new_markdown_cell("# A second title"))


def _skipped_level(nb):
    nb.cells.insert(3, new_markdown_cell("#### Too deep, straight after an H2"))


def _no_estimate(nb):
    for cell in nb.cells[:3]:
        cell.source = cell.source.replace("<!-- estimated-time -->", "")


def _typed_estimate(nb):
    for cell in nb.cells[:3]:
        cell.source = cell.source.replace("<!-- estimated-time -->", "**Estimated time:** about 45 minutes.")


def _duplicate_id(nb):
    tests = [c for c in nb.cells if _is_test(c)]
    tests[1].metadata.nbgrader.grade_id = tests[0].metadata.nbgrader.grade_id


RULES = {
    "mistyped id": (_typo, L.check_test_cells, "names another question"),
    "duplicate id": (_duplicate_id, L.check_test_cells, "used twice"),
    "option without feedback": (_missing_feedback, L.check_checkpoints, "MultipleChoice"),
    "image without alt": (_no_alt, L.check_images, "no alt text"),
    "static diagram in code": (_diagram_code, L.check_images, "diagram directive"),
    "two H1": (_two_h1, L.check_headings, "second H1"),
    "skipped heading level": (_skipped_level, L.check_headings, "jumps from H2 to H4"),
    "no estimated time": (_no_estimate, L.check_estimate, "<!-- estimated-time -->"),
    "estimated time typed by hand": (_typed_estimate, L.check_estimate, "computed at release"),
}


@pytest.mark.parametrize("rule", sorted(RULES))
def test_each_rule_reports_a_broken_chapter(chapter, rule):
    edit, check, says = RULES[rule]
    assert [p for p in check(chapter) if says in str(p)] == []  # clean before
    problems = [str(p) for p in check(_broken(chapter, edit))]
    assert any(says in p for p in problems), problems


def test_a_release_with_a_plaintext_key_is_reported(chapter):
    path = notebook_path(REPO, "release", ASSIGNMENTS[0])
    release = nbformat.read(path, as_version=4)
    sidecar = json.loads((path.parent / f".{ASSIGNMENTS[0]}.checks.json").read_text())
    assert L.check_release(release, sidecar) == []
    leaky = copy.deepcopy(release)
    cell = _first(leaky, _is_test)
    gid = cell.metadata.nbgrader.grade_id
    cell.source = f'check("{gid}", x, key="c")'
    problems = [str(p) for p in L.check_release(leaky, sidecar)]
    assert any("the check call shows key" in p for p in problems), problems
    plain = copy.deepcopy(sidecar)
    plain["checks"][gid]["key"] = "c"
    assert any("not sealed" in str(p) for p in L.check_release(release, plain))
    assert any("no entry in the release's sidecar" in str(p) for p in L.check_release(release, None))
    unsealed = copy.deepcopy(release)
    cp = _first(unsealed, lambda c: "MultipleChoice(" in c.source)
    cp.source = _first(chapter, lambda c: "MultipleChoice(" in c.source).source
    assert any("MultipleChoice is not sealed" in str(p) for p in L.check_release(unsealed, sidecar))

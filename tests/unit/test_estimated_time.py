"""The estimated time is computed from the content by one model and written at release."""

from __future__ import annotations

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_concepts.assignment_plugins import estimated_time as E
from support.course import REPO, notebook_path


def _chapter(words: int = 0, checkpoints: int = 0) -> nbformat.NotebookNode:
    cells = [new_markdown_cell("# Title\n\n<!-- estimated-time -->\n\n" + "word " * words)]
    cells += [new_code_cell('MultipleChoice("q", options={}, sealed="x")') for _ in range(checkpoints)]
    return new_notebook(cells=cells)


def test_reading_and_each_task_add_their_allowance():
    base = E.workload(_chapter(words=1000))
    assert base.words == 1001  # "Title" and the 1000 words; the directive is not read
    more = E.workload(_chapter(words=1000, checkpoints=4))
    assert more.checkpoints == 4
    added = sum(more.parts().values()) - sum(base.parts().values())
    assert added == pytest.approx(4 * E.ALLOWANCE["checkpoints"])


def test_the_estimate_is_rounded_to_five_minutes_and_never_zero():
    assert E.workload(_chapter(words=10)).minutes == E.ROUND_TO
    minutes = E.workload(_chapter(words=5000, checkpoints=3)).minutes
    assert minutes % E.ROUND_TO == 0
    assert minutes == E.ROUND_TO * round((5001 / E.READING_WPM + 4.5 + E.ALLOWANCE["set_up"]) / E.ROUND_TO)


def test_release_step_replaces_only_the_directive():
    nb = _chapter(words=400, checkpoints=2)
    nb.cells.append(new_markdown_cell("Text that mentions <!-- estimated-time --> inline stays."))
    out, _ = E.StateEstimatedTime().preprocess(nb, {})
    assert E.stated(E.estimate(nb)) in out.cells[0].source
    assert "<!-- estimated-time -->" not in out.cells[0].source
    assert out.cells[-1].source == "Text that mentions <!-- estimated-time --> inline stays."


@pytest.mark.parametrize("assignment", sorted(p.name for p in (REPO / "source").iterdir() if p.is_dir()))
def test_every_release_states_the_time_its_source_computes(assignment):
    source = nbformat.read(notebook_path(REPO, "source", assignment), as_version=4)
    release = nbformat.read(notebook_path(REPO, "release", assignment), as_version=4)
    intro = "\n".join(c.source for c in release.cells[:3] if c.cell_type == "markdown")
    assert E.stated(E.estimate(source)) in intro
    assert "estimated-time" not in intro

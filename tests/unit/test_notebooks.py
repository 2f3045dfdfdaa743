"""Every chapter notebook: runs clean, follows the anatomy, lints clean."""

import re
import subprocess
import sys

import nbformat
import pytest
from nbclient import NotebookClient

from mlops_concepts.assignment_plugins.diagrams_release import DIRECTIVE
from mlops_concepts.contract.calls import CHECKPOINT_KINDS, top_level_calls
from mlops_concepts.diagrams import DIAGRAMS
from support.course import REPO, cell_id

SOURCES = sorted((REPO / "source").glob("*/*.ipynb"))
ids = [p.parent.name for p in SOURCES]


@pytest.fixture(scope="module", params=SOURCES, ids=ids)
def executed(request, tmp_path_factory):
    nb = nbformat.read(request.param, as_version=4)
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        allow_errors=True,
        resources={"metadata": {"path": str(tmp_path_factory.mktemp("run"))}},
    ).execute()
    return nb


def _outputs(nb):
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            yield cell, out


def test_source_runs_top_to_bottom_without_error_or_stderr(executed):
    problems = [
        (cell_id(c), o.get("ename") or o.get("text", "")[:200])
        for c, o in _outputs(executed)
        if o.output_type == "error" or (o.output_type == "stream" and o.name == "stderr")
    ]
    assert problems == []


def test_every_self_check_says_success_on_the_solution(executed):
    tests = [
        c for c in executed.cells if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"
    ]
    assert len(tests) >= 6
    for cell in tests:
        text = "".join(o.get("text", "") for o in cell.outputs if o.output_type == "stream")
        assert text.startswith("Success!"), (cell_id(cell), text)


def test_diagrams_are_release_images_or_widgets(executed):
    """Static diagrams are ``<!-- diagram: NAME -->`` lines, drawn with alt text at release (see
    test_release.py), so nothing has to run; code cells that use ``diagrams.`` are interactive
    and show a widget."""
    asked = [
        name for c in executed.cells if c.cell_type == "markdown" for name in DIRECTIVE.findall(c.source)
    ]
    assert len(asked) >= 4 and set(asked) <= set(DIAGRAMS), asked
    for cell in [c for c in executed.cells if "diagrams." in c.source and c.cell_type == "code"]:
        kinds = {k for o in cell.outputs for k in o.get("data", {})}
        assert "application/vnd.jupyter.widget-view+json" in kinds, cell_id(cell)


@pytest.mark.parametrize("path", SOURCES, ids=ids)
def test_anatomy(path):
    nb = nbformat.read(path, as_version=4)
    headings = [
        (len(m.group(1)), m.group(2))
        for c in nb.cells
        if c.cell_type == "markdown"
        for m in re.finditer(r"^(#{1,6}) (.+)$", c.source, re.MULTILINE)
    ]
    assert [h for h in headings if h[0] == 1] and headings[0][0] == 1
    assert sum(1 for h in headings if h[0] == 1) == 1, "one H1 title"
    for (a, _), (b, title) in zip(headings, headings[1:], strict=False):
        assert b <= a + 1, f"heading level skipped before {title!r}"
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "markdown")
    assert "Learning objectives" in text or "learning objectives" in text
    assert "Summary" in text

    # Per lesson (H2 sections that hold exercises): >= 2 checkpoints and >= 2 graded exercises.
    lessons, current = {}, None
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            h2 = re.search(r"^## (.+)$", cell.source, re.MULTILINE)
            if h2:
                current = h2.group(1)
                lessons[current] = {"checkpoints": 0, "exercises": 0}
        elif current:
            meta = cell.metadata.get("nbgrader", {})
            lessons[current]["checkpoints"] += len(top_level_calls(cell.source, CHECKPOINT_KINDS))
            lessons[current]["exercises"] += bool(meta.get("solution") and cell.cell_type == "code")
    taught = {k: v for k, v in lessons.items() if v["exercises"]}
    assert len(taught) >= 3
    for lesson, counts in taught.items():
        assert counts["checkpoints"] >= 2 and counts["exercises"] >= 2, (lesson, counts)
    manual = [
        c
        for c in nb.cells
        if c.metadata.get("nbgrader", {}).get("solution")
        and c.metadata["nbgrader"].get("grade")
        and c.cell_type == "markdown"
    ]
    assert len(manual) == 1, "one manually graded reflection"


def test_source_notebooks_lint_clean():
    result = subprocess.run(
        [sys.executable, "-m", "nbqa", "ruff", *map(str, SOURCES)], capture_output=True, text=True, cwd=REPO
    )
    assert result.returncode == 0, result.stdout + result.stderr

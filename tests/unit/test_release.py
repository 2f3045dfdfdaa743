"""release/ is nbgrader's output, in sync with source/, gives no answer away, shows its diagrams."""

import ast
import base64
import json

import nbformat
import pytest

from mlops_concepts.answers import is_digest
from mlops_concepts.assignment_plugins.diagrams_release import DIRECTIVE, IN_WORDS
from mlops_concepts.assignment_plugins.seal import sidecar_name
from mlops_concepts.contract.calls import CHECKPOINT_KINDS, top_level_calls
from mlops_concepts.diagrams import DIAGRAMS, chapter1
from support.course import REPO, cell_id, nbgrader, notebook_path


def test_committed_release_is_what_nbgrader_generates(course):
    root, assignment = course
    fresh = json.loads(notebook_path(root, "release", assignment).read_text())
    committed = json.loads(notebook_path(REPO, "release", assignment).read_text())
    assert committed == fresh, "release/ is stale: run `make release` and commit it"
    side = sidecar_name(assignment)
    fresh_side = notebook_path(root, "release", assignment).parent / side
    committed_side = notebook_path(REPO, "release", assignment).parent / side
    assert committed_side.read_bytes() == fresh_side.read_bytes(), "stale sidecar: run `make release`"


def test_nbgrader_validate_passes_on_source(course):
    root, assignment = course
    result = nbgrader(root, "validate", str(notebook_path(root, "source", assignment)))
    assert result.returncode == 0 and "Success! Your notebook passes all the tests." in result.stdout, (
        result.stdout + result.stderr
    )


def test_nbgrader_validate_invert_passes_on_release(course):
    root, assignment = course
    result = nbgrader(root, "validate", "--invert", str(notebook_path(root, "release", assignment)))
    assert "Success! The notebook does not pass any tests." in result.stdout, result.stdout + result.stderr


def _code_cells(path):
    return [c for c in nbformat.read(path, as_version=4).cells if c.cell_type == "code"]


def test_release_has_no_solutions_and_no_hidden_tests(course):
    root, assignment = course
    text = notebook_path(REPO, "release", assignment).read_text()
    for marker in ("BEGIN SOLUTION", "END SOLUTION", "HIDDEN TESTS", "grade("):
        assert marker not in text
    source = nbformat.read(notebook_path(REPO, "source", assignment), as_version=4)
    release_sources = "\n".join(
        c.source for c in nbformat.read(notebook_path(REPO, "release", assignment), as_version=4).cells
    )
    for cell in source.cells:
        if not cell.metadata.get("nbgrader", {}).get("solution"):
            continue
        inside = cell.source.split("### BEGIN SOLUTION", 1)[1].split("### END SOLUTION", 1)[0]
        for line in inside.splitlines():
            line = line.strip()
            # Lines that carry an answer value (a string literal), not mere structure like "x = {".
            if '"' in line and not line.startswith("#"):
                assert line not in release_sources, f"solution line leaked into release: {line!r}"


def _sidecar(assignment):
    path = notebook_path(REPO, "release", assignment).parent / sidecar_name(assignment)
    return json.loads(path.read_text())


def test_release_test_cells_show_only_the_grade_id_and_the_answer(course):
    """check("q1_1a", mlops_definition): no key, items, title, choices or cases in sight."""
    root, assignment = course
    source = {cell_id(c): c for c in _code_cells(notebook_path(REPO, "source", assignment))}
    shown = 0
    for cell in _code_cells(notebook_path(REPO, "release", assignment)):
        if not cell.metadata.get("nbgrader", {}).get("grade") or cell.metadata["nbgrader"].get("solution"):
            continue
        shown += 1
        (call,) = top_level_calls(cell.source, ("check",))
        assert call.args[0] == cell_id(cell) and len(call.args) == 2 and not call.kwargs, cell.source
        authored = source[cell_id(cell)].source
        answer = ast.get_source_segment(authored, ast.parse(authored).body[0].value.args[1])
        assert cell.source == f'check("{cell_id(cell)}", {answer})'
        assert max(map(len, cell.source.splitlines())) <= 80, cell.source  # no sideways scrolling
    assert shown >= 6


def test_release_answer_keys_are_salted_digests_in_the_sidecar(course):
    root, assignment = course
    side = _sidecar(assignment)
    assert side["format"] == 1 and side["mode"] == "practice"
    tests = {
        cell_id(c)
        for c in _code_cells(notebook_path(REPO, "release", assignment))
        if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")
    }
    assert set(side["checks"]) == tests
    for gid, spec in side["checks"].items():
        key = spec["key"]
        assert spec["title"].startswith("Exercise "), gid
        if "cases" in spec:  # a lab: one digest per public example, no hidden seed
            assert isinstance(key, list) and key and all(map(is_digest, key)), gid
            assert "seed" not in spec["cases"], f"hidden seed in {gid}"
        else:
            assert is_digest(key), f"plain key in {gid}"
    assert len(tests) >= 6


def test_release_checkpoints_are_sealed_and_keep_no_feedback_text(course):
    root, assignment = course
    release_text = notebook_path(REPO, "release", assignment).read_text()
    secrets = []
    for cell in _code_cells(notebook_path(REPO, "source", assignment)):
        for call in top_level_calls(cell.source, CHECKPOINT_KINDS):
            secrets.append(call.kwargs["explanation"])
            for value in ("options", "items", "steps"):
                for why in (call.kwargs.get(value) or {}).values():
                    secrets.append(why if isinstance(why, str) else why[1])
    assert len(secrets) > 20
    for secret in secrets:
        assert json.dumps(secret)[1:-1] not in release_text, f"checkpoint text leaked: {secret[:60]}"
    sealed = 0
    for cell in _code_cells(notebook_path(REPO, "release", assignment)):
        for call in top_level_calls(cell.source, CHECKPOINT_KINDS):
            sealed += 1
            assert set(call.kwargs) & {"answer", "explanation"} == set()
            assert isinstance(call.kwargs["sealed"], str)
    assert sealed >= 6


def test_source_notebooks_are_committed_without_outputs():
    for path in (REPO / "source").glob("*/*.ipynb"):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (path, cell_id(cell))


@pytest.mark.parametrize("path", sorted((REPO / "source").glob("*/*.ipynb")), ids=lambda p: p.parent.name)
def test_source_code_cells_parse(path):
    for cell in _code_cells(path):
        ast.parse(cell.source)


def test_release_shows_each_diagram_as_an_image_with_alt_text_and_words():
    """Each ``<!-- diagram: NAME -->`` of source/ is, in release/, the picture and its words.

    Both come from the diagram's one entry in the registry: the cell keeps its id, holds a
    Markdown image whose alt text is the entry's, with the entry's PNG as a cell attachment, and
    the description in words under it. Nothing needs to run for a student to see it.
    """
    for path in sorted((REPO / "source").glob("*/*.ipynb")):
        assignment = path.parent.name
        source = nbformat.read(path, as_version=4)
        release = {
            c.id: c for c in nbformat.read(notebook_path(REPO, "release", assignment), as_version=4).cells
        }
        asked = [
            (c.id, name)
            for c in source.cells
            if c.cell_type == "markdown"
            for name in DIRECTIVE.findall(c.source)
        ]
        # One description per diagram: source/ has no hand-written one, and release/ no
        # diagram drawn by code (diagrams.show), which a fresh notebook would not show.
        assert not any("What the picture shows" in c.source for c in source.cells)
        assert not any("diagrams.show(" in c.source for c in release.values())
        if assignment == "01-introduction-to-mlops":
            assert [name for _, name in asked] == list(chapter1.DIAGRAMS)
        for cell_id_, name in asked:
            cell, diagram = release[cell_id_], DIAGRAMS[name]
            assert cell.cell_type == "markdown"
            assert f"![{diagram.alt}](attachment:{name}.png)" in cell.source
            assert f"{IN_WORDS} {diagram.details}" in cell.source
            assert "<!-- diagram:" not in cell.source
            png = base64.b64decode(cell.attachments[f"{name}.png"]["image/png"])
            assert png == diagram.png(), f"{name}.png in release/ is stale: run `make release`"

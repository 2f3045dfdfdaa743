"""``CheckCellMetadataOnce`` reaches exactly nbgrader's ``CheckCellMetadata`` verdicts.

It replaces nbgrader's check in every pipeline (nbgrader_config.py) only to check the schema once
per process: the same notebooks must pass, and the same ones fail with the same error class.
"""

from __future__ import annotations

import copy
import logging

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from nbgrader.nbgraderformat import MetadataValidator as NbgraderValidator
from nbgrader.nbgraderformat import SchemaTooNewError, SchemaTooOldError, ValidationError
from nbgrader.preprocessors import CheckCellMetadata

from mlops_concepts.nbgrader_plugins.metadata import CheckCellMetadataOnce, MetadataValidator
from support.course import ASSIGNMENTS, REPO


def _meta(**fields):
    base = {
        "grade": True,
        "solution": False,
        "locked": True,
        "points": 1,
        "grade_id": "t1",
        "schema_version": 3,
    }
    base.update(fields)
    return {k: v for k, v in base.items() if v is not ...}


def _cell(meta, kind="code"):
    cell = new_markdown_cell("text") if kind == "markdown" else new_code_cell("x = 1")
    cell.metadata["nbgrader"] = meta
    return cell


CELLS = {
    "valid test cell": _cell(_meta()),
    "valid answer cell": _cell(_meta(grade=False, solution=True, locked=False, points=...)),
    "no nbgrader metadata": new_code_cell("x = 1"),
    "points as text": _cell(_meta(points="one")),
    "grade as text": _cell(_meta(grade="yes")),
    "unknown key": _cell(_meta(extra=1)),
    "no grade_id": _cell(_meta(grade_id=...)),
    "empty grade_id": _cell(_meta(grade_id="")),
    "grade without points": _cell(_meta(points=...)),
    "schema too old": _cell(_meta(schema_version=2)),
    "schema too new": _cell(_meta(schema_version=4)),
    "no schema version": _cell(_meta(schema_version=...)),
    "markdown grade, not solution": _cell(_meta(), "markdown"),
    "task in a code cell": _cell(_meta(task=True, grade=False, locked=False)),
    "missing solution key": _cell(_meta(solution=...)),
}


def _verdict(validate, cells):
    try:
        validate(new_notebook(cells=copy.deepcopy(cells)))
    except (SchemaTooOldError, SchemaTooNewError, ValidationError) as err:
        return type(err).__name__, str(err)
    except Exception as err:  # nbgrader's own check raises KeyError on some malformed metadata
        return type(err).__name__, str(err)
    return "ok", ""


@pytest.mark.parametrize("name", sorted(CELLS))
def test_every_kind_of_cell_gets_nbgraders_verdict(name):
    cells = [CELLS[name]]
    ours = _verdict(MetadataValidator().validate_nb, cells)
    theirs = _verdict(NbgraderValidator().validate_nb, cells)
    assert ours == theirs


def test_the_cases_include_passes_and_each_kind_of_failure():
    verdicts = {_verdict(NbgraderValidator().validate_nb, [c])[0] for c in CELLS.values()}
    assert {"ok", "ValidationError", "SchemaTooOldError", "SchemaTooNewError"} <= verdicts


def test_duplicate_grade_ids_fail_in_both():
    cells = [_cell(_meta()), _cell(_meta())]
    ours = _verdict(MetadataValidator().validate_nb, cells)
    assert ours[0] == "ValidationError"
    assert _verdict(NbgraderValidator().validate_nb, cells) == ours


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_chapter_passes_both(assignment):
    nb = nbformat.read(REPO / "release" / assignment / f"{assignment}.ipynb", as_version=4)
    log = logging.getLogger("test")
    for check in (CheckCellMetadata(log=log), CheckCellMetadataOnce(log=log)):
        check.preprocess(copy.deepcopy(nb), {})


def test_the_preprocessor_raises_nbgraders_error_on_a_bad_notebook():
    nb = new_notebook(cells=[_cell(_meta(points="one"))])
    log = logging.getLogger("test")
    for check in (CheckCellMetadata(log=log), CheckCellMetadataOnce(log=log)):
        with pytest.raises(ValidationError, match="nbgrader metadata may be corrupted"):
            check.preprocess(copy.deepcopy(nb), {})

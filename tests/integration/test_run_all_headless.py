"""Run All reaches the end of every fresh release notebook, and each blank self-check still fails.

A headless run with nbclient's ``allow_errors=False``: nbclient stops at the first cell whose
execute reply is an error, exactly where JupyterLab's "Run All" stops. Blank answers must not
raise (a placeholder value, a function body that raises only when called), and a self-check that
says "Not yet." must publish an error output (what nbgrader's Validate scores 0) without raising.
"""

from __future__ import annotations

import shutil

import nbformat
from nbclient import NotebookClient

from support.course import cell_id, notebook_path


def _run_all(folder, name):
    nb = nbformat.read(folder / name, as_version=4)
    # CellExecutionError, naming the cell, if any cell's reply is an error.
    resources = {"metadata": {"path": str(folder)}}
    NotebookClient(nb, timeout=120, allow_errors=False, resources=resources).execute()
    return nb


def _is_test(cell):
    meta = cell.metadata.get("nbgrader", {})
    return meta.get("grade") and not meta.get("solution") and cell.cell_type == "code"


def test_run_all_reaches_the_last_cell_of_a_fresh_release(course, tmp_path):
    root, assignment = course
    folder = tmp_path / assignment
    shutil.copytree(notebook_path(root, "release", assignment).parent, folder)
    nb = _run_all(folder, f"{assignment}.ipynb")

    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[-1].execution_count is not None, "the last cell did not run"
    assert all(c.execution_count is not None for c in code)
    tests = [c for c in code if _is_test(c)]
    assert tests
    for cell in tests:
        errors = [o for o in cell.outputs if o.output_type == "error"]
        # One line, no traceback through the package: the self-check's own "Not yet." line.
        assert [o.ename for o in errors] == ["NotYet"], (cell_id(cell), cell.outputs)
        (line,) = errors[0].traceback
        assert line.startswith("Not yet. Exercise ") and "not answered yet" in line, (cell_id(cell), line)
        assert cell_id(cell) not in line and "sha256$" not in line
    # The progress bar after the last exercise rendered (a widget output, not an error).
    last = code[-1]
    assert last.outputs and not any(o.output_type == "error" for o in last.outputs), last.outputs

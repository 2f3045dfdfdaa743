"""Which cell is which: the one home of the course's nbgrader cell predicates (and one about a
whole notebook: was it run?).

Built on :mod:`nbgrader.utils` (``is_grade``, ``is_solution``, ``is_locked``), with one addition:
cells read from a submission may carry anything in their metadata (a student can edit it), so
every predicate first checks that the nbgrader metadata is a dict, and never raises.
"""

from __future__ import annotations

import json
from pathlib import Path

from nbgrader import utils


def nbgrader_metadata(cell) -> dict:
    """The cell's nbgrader metadata, or ``{}`` when it is missing or malformed."""
    meta = cell.get("metadata")
    meta = meta.get("nbgrader") if isinstance(meta, dict) else None
    return meta if isinstance(meta, dict) else {}


def _has_metadata(cell) -> bool:
    return bool(nbgrader_metadata(cell)) and hasattr(cell, "metadata")


def grade_id(cell) -> str | None:
    value = nbgrader_metadata(cell).get("grade_id")
    return value if isinstance(value, str) else None


def is_test(cell) -> bool:
    """An autograded test cell: code, graded, not an answer."""
    return (
        cell.get("cell_type") == "code"
        and _has_metadata(cell)
        and bool(utils.is_grade(cell))
        and not utils.is_solution(cell)
    )


def is_answer(cell) -> bool:
    """A cell the student writes in: a solution cell that is not locked."""
    return _has_metadata(cell) and bool(utils.is_solution(cell)) and not utils.is_locked(cell)


def is_locked(cell) -> bool:
    return _has_metadata(cell) and bool(utils.is_locked(cell))


def text_of(value) -> str:
    """A notebook text field (a cell's source, a stream's text, an output's data), which
    nbformat allows as a string or a list of strings; from a submission it may be anything, and
    anything else reads as ``""``."""
    if isinstance(value, list):
        return "".join(s for s in value if isinstance(s, str))
    return value if isinstance(value, str) else ""


def was_run(path: Path) -> bool:
    """Whether the notebook at ``path`` is one ``nbgrader autograde`` ran, not the first copy it
    writes before running it.

    ``autograde`` writes each notebook twice: cleaned (``ClearOutput``: no output and no
    execution count anywhere), then run. A process that dies between the two leaves the clean
    copy, which must not count as graded. A run notebook has an execution count or an output (the
    grader's note, for a cell it could not run) in some code cell, unless it has no code at all.
    """
    try:
        with open(path, "rb") as f:
            nb = json.load(f)
        code = [c for c in nb["cells"] if c.get("cell_type") == "code"]
    except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError):  # half written
        return False
    if not any(text_of(c.get("source")).strip() for c in code):
        return True  # nothing to run
    return any(c.get("execution_count") is not None or c.get("outputs") for c in code)

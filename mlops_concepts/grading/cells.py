"""Which cell is which: the one home of the course's nbgrader cell predicates.

Built on :mod:`nbgrader.utils` (``is_grade``, ``is_solution``, ``is_locked``), with one addition:
cells read from a submission may carry anything in their metadata (a student can edit it), so
every predicate first checks that the nbgrader metadata is a dict, and never raises.
"""

from __future__ import annotations

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
    return (cell.get("cell_type") == "code" and _has_metadata(cell)
            and bool(utils.is_grade(cell)) and not utils.is_solution(cell))


def is_answer(cell) -> bool:
    """A cell the student writes in: a solution cell that is not locked."""
    return _has_metadata(cell) and bool(utils.is_solution(cell)) and not utils.is_locked(cell)


def is_locked(cell) -> bool:
    return _has_metadata(cell) and bool(utils.is_locked(cell))

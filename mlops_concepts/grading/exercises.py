"""Read an exercise's test cell: the one place that parses and validates it.

An author writes each graded item once, as the only statement of a locked test cell::

    check("q1_1a", mlops_definition, key="c")                       # a whole answer
    check("q3_1a", role_kind, key={...}, items=["data engineer"])    # part of a dict or list

Everything else is derived from that one call:

* at release, :mod:`~mlops_concepts.grading.seal` replaces ``key`` by a salted digest (the
  student's self-check);
* at grading, the executor (:class:`~mlops_concepts.grading.execute.SandboxedExecute`) asks the
  kernel to report the answer with :func:`report_code`, a request derived from the visible call,
  so there is no hidden test code to write, to keep in sync, or to leak into feedback;
* :mod:`~mlops_concepts.grading.verdicts` compares that report with the key read from
  ``source/``, outside the kernel.

The question id must be the cell's nbgrader ``grade_id``: a mismatch is refused at release, and a
test cell that cannot be matched to a key is graded 0 (grading fails closed).
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from . import cells
from .calls import AuthoringError, nested_calls, strip_magics, top_level_calls


@dataclass(frozen=True)
class Check:
    """One test cell's ``check(question, answer, key=..., items=...)``."""

    grade_id: str
    answer: str  # the answer expression, as source text (e.g. "role_kind")
    key: object  # the plain answer (source/) or its digest (release/)
    items: list | None


def _fail(grade_id, message: str):
    raise AuthoringError(f"test cell {grade_id!r}: {message}")


def read_check(cell) -> Check:
    """Parse and validate a test cell; raise :class:`AuthoringError` naming the cell if it is wrong."""
    gid = cells.grade_id(cell)
    source = cell.get("source", "")
    if "BEGIN HIDDEN TESTS" in source or nested_calls(source, ("grade",)) or \
            top_level_calls(source, ("grade",)):
        _fail(gid, "write only check(...): the graded report is derived from it at grading time, "
                   "so a test cell holds no hidden tests and no grade(...) call")
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError as err:
        _fail(gid, f"is not valid Python ({err.msg}, line {err.lineno})")
    calls = top_level_calls(source, ("check",))
    if len(tree.body) != 1 or len(calls) != 1:
        _fail(gid, f"must hold exactly one statement, check({gid!r}, <answer>, key=...), "
                   f"and nothing else; it holds {len(tree.body)} statement(s)")
    call = calls[0]
    question = call.args[0] if call.args else call.kwargs.get("question")
    if question != gid:
        _fail(gid, f"check({question!r}, ...) names another question; the first argument must be "
                   f"the cell's grade id, check({gid!r}, ...)")
    answer_nodes = call.node.args[1:2] or [kw.value for kw in call.node.keywords if kw.arg == "answer"]
    if len(answer_nodes) != 1:
        _fail(gid, "check() needs the answer as its second argument")
    answer = ast.get_source_segment(strip_magics(source), answer_nodes[0])
    if "key" not in call.kwargs or not call.literal["key"]:
        _fail(gid, "check() needs key=<the right answer> as a plain literal")
    if not call.literal.get("items", True):
        _fail(gid, "items= must be a plain literal list")
    items = call.kwargs.get("items")
    if items is not None and not isinstance(items, list):
        _fail(gid, "items= must be a list")
    unknown = set(call.kwargs) - {"question", "answer", "key", "items"}
    if unknown:
        _fail(gid, f"check() got unknown keyword(s): {', '.join(sorted(unknown))}")
    return Check(gid, answer, call.kwargs["key"], items)


def report_code(check: Check) -> str:
    """The request the grader sends after running a test cell: report the answer, decide nothing.

    Public by design (it says no more than the visible check call), run without storing history.
    """
    items = "" if check.items is None else f", items={check.items!r}"
    return (f'__import__("mlops_concepts.checks", fromlist=["grade"])'
            f".grade({check.grade_id!r}, {check.answer}{items})")

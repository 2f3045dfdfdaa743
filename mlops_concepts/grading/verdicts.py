"""Decide autograded scores outside the student's kernel (an nbgrader preprocessor for ``autograde``).

nbgrader's own rule scores a test cell by whether it raised. That rule runs on whatever the
student's kernel says, and a kernel the student controls can say anything: an ``__eq__`` that is
always True, a shadowed ``isinstance``, a patched ``hashlib``, an input transformer that empties the
next cell. So here the kernel only *reports*: the hidden ``grade("q1", answer)`` call in each test
cell emits the canonical form of the answer (see :mod:`mlops_concepts.checks`). After execution,
this preprocessor compares each test cell's report with the key read from ``source/`` (which the
kernel never sees) and rewrites the cell's outputs into a verdict that nbgrader then scores:
a plain "Correct." (full points) or an error saying, in words, what was wrong (zero).

A cheat that fakes the report must therefore produce exactly the right answer's canonical form,
which is the same as knowing the answer.
"""

from __future__ import annotations

import json
import os

import nbformat
from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..answers import to_json
from ..checks import REPORT_MIME, answer_form
from .calls import AuthoringError, top_level_calls
from .coursedir import notebook_path

MAX_MESSAGE = 300


def is_autograder_test(cell) -> bool:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return bool(meta.get("grade")) and not meta.get("solution") and cell.get("cell_type") == "code"


def answer_keys(notebook) -> dict[str, str]:
    """Map each test cell's grade id to the canonical JSON its report must carry to earn points.

    Read from the instructor's notebook: the ``key=`` literal of the cell's ``check`` call,
    restricted to the ``items`` its hidden ``grade`` call reports.
    """
    keys = {}
    for cell in notebook.cells:
        if not is_autograder_test(cell):
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        checks = [c for c in top_level_calls(cell.source, ("check",)) if c.args[:1] == [grade_id]]
        grades = [c for c in top_level_calls(cell.source, ("grade",)) if c.args[:1] == [grade_id]]
        if not checks and not grades:
            continue  # a test cell of another kind: nbgrader's usual rule applies
        if len(checks) != 1 or len(grades) != 1:
            raise AuthoringError(
                f"test cell {grade_id!r} needs exactly one check({grade_id!r}, ...) "
                f"and one hidden grade({grade_id!r}, ...)"
            )
        check, report = checks[0], grades[0]
        if not check.literal.get("key") or not check.literal.get("items", True):
            raise AuthoringError(f"check({grade_id!r}): key= and items= must be literals")
        if check.kwargs.get("items") != report.kwargs.get("items"):
            raise AuthoringError(f"test cell {grade_id!r}: check() and grade() select different items")
        keys[grade_id] = to_json(answer_form(check.kwargs["key"], check.kwargs.get("items")))
    return keys


def _error(ename: str, message: str):
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "..."
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


def verdict(grade_id: str, outputs, expected: str):
    """The outputs that replace a test cell's own: what nbgrader will score, and the student read."""
    reports = []
    errors = []
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result"):
            payload = out.get("data", {}).get(REPORT_MIME)
            if isinstance(payload, dict) and payload.get("id") == grade_id:
                reports.append(payload)
        elif out.get("output_type") == "error":
            errors.append(f"{out.get('ename', 'Error')}: {out.get('evalue', '')}".strip())

    if not reports:
        why = f"it stopped with {errors[-1]}" if errors else "no answer was recorded"
        return _error("CheckDidNotRun", f"{grade_id}: the graded check could not run: {why}.")
    if len(reports) > 1:
        return _error("AnswerNotGradable", f"{grade_id}: more than one answer was recorded.")
    report = reports[0]
    if "error" in report:
        return _error("AnswerNotGradable", f"{grade_id}: {report['error']}.")
    try:
        given = to_json(report.get("value"))
    except (TypeError, ValueError):
        return _error("AnswerNotGradable", f"{grade_id}: the recorded answer is not plain data.")
    if given != expected:
        return _error("WrongAnswer", f"{grade_id}: not correct. Compare with the lesson and retry.")
    return new_output("stream", name="stdout", text=f"{grade_id}: correct.\n")


class GradeFromReports(NbGraderPreprocessor):
    """Turn every reporting test cell's outputs into a verdict decided outside the kernel."""

    source_notebook = Unicode(
        "",
        help="Instructor notebook to read keys from (default: found in the course directory).",
    ).tag(config=True)

    def _source_path(self, resources) -> str:
        return self.source_notebook or notebook_path(self, "source", resources)

    def preprocess(self, nb, resources):
        path = self._source_path(resources)
        if not os.path.exists(path):
            raise AuthoringError(f"cannot grade: the instructor notebook {path} is missing")
        keys = answer_keys(nbformat.read(path, as_version=4))
        for cell in nb.cells:
            if is_autograder_test(cell):
                grade_id = cell.metadata.nbgrader.get("grade_id")
                if grade_id in keys:
                    cell.outputs = [verdict(grade_id, cell.get("outputs", []), keys[grade_id])]
        return nb, resources


def dumps_key(keys: dict) -> str:
    """Keys as text, for debugging an assignment (never shipped to students)."""
    return json.dumps(keys, indent=1, sort_keys=True)

"""Decide autograded scores outside the student's kernel (an nbgrader preprocessor for ``autograde``).

nbgrader's own rule scores a test cell by whether it raised. That rule runs on whatever the
student's kernel says, and a kernel the student controls can say anything: an ``__eq__`` that is
always True, a shadowed ``isinstance``, a patched ``hashlib``, an input transformer that empties the
next cell. So here the kernel only *reports*: after each test cell, the grader asks it for the
canonical form of the answer (:func:`~mlops_concepts.grading.exercises.report_code`, which calls
:func:`mlops_concepts.checks.grade`). After execution,
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
from . import cells
from .calls import AuthoringError
from .coursedir import notebook_path
from .exercises import read_check

MAX_MESSAGE = 300


def is_autograder_test(cell) -> bool:
    return cells.is_test(cell)


def answer_keys(notebook) -> dict[str, str]:
    """Map each test cell's grade id to the canonical JSON its report must carry to earn points.

    Read from the instructor's notebook: the ``key=`` literal of the cell's ``check`` call,
    restricted to its ``items``. A test cell that is not a valid check cell raises
    :class:`AuthoringError` (the release step refuses the same cells).
    """
    keys = {}
    for cell in notebook.cells:
        if cells.is_test(cell):
            check = read_check(cell)
            keys[check.grade_id] = to_json(answer_form(check.key, check.items))
    return keys


def _error(ename: str, message: str):
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "..."
    return new_output("error", ename=ename, evalue=message, traceback=[f"{ename}: {message}"])


#: Where a test cell of an autograded notebook records what was given and how it was judged, for
#: the class report (``mlops-concepts report``): the canonical answer, never the key.
RECORD_KEY = "mlops_concepts"


def judge(grade_id: str, outputs, expected: str) -> tuple[dict, str | None]:
    """``(output, given)``: what replaces a test cell's outputs (what nbgrader scores and the
    student reads), and the canonical JSON of the answer given (None if none could be read)."""
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
        return _error("CheckDidNotRun", f"{grade_id}: the graded check could not run: {why}."), None
    if len(reports) > 1:
        return _error("AnswerNotGradable", f"{grade_id}: more than one answer was recorded."), None
    report = reports[0]
    if "error" in report:
        return _error("AnswerNotGradable", f"{grade_id}: {report['error']}."), None
    try:
        given = to_json(report.get("value"))
    except (TypeError, ValueError):
        return _error("AnswerNotGradable", f"{grade_id}: the recorded answer is not plain data."), None
    if given != expected:
        return _error("WrongAnswer", f"{grade_id}: not correct. Compare with the lesson and retry."), given
    return new_output("stream", name="stdout", text=f"{grade_id}: correct.\n"), given


def verdict(grade_id: str, outputs, expected: str):
    """The output that replaces a test cell's own (see :func:`judge`)."""
    return judge(grade_id, outputs, expected)[0]


class GradeFromReports(NbGraderPreprocessor):
    """Turn every test cell's outputs into a verdict decided outside the kernel.

    Fails closed: a test cell with no key in the instructor's notebook (an id that matches no
    check, a cell added to the release by hand) scores 0 with a message, never nbgrader's own
    "it did not raise" rule, which the student's kernel controls.
    """

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
            if not cells.is_test(cell):
                continue
            grade_id = cells.grade_id(cell)
            if grade_id in keys:
                output, given = judge(grade_id, cell.get("outputs", []), keys[grade_id])
                cell.outputs = [output]
                cell.metadata[RECORD_KEY] = {
                    "given": given, "outcome": "correct" if given == keys[grade_id] else
                    output.get("ename", "WrongAnswer")}
            else:
                self.log.error("Test cell %r has no answer key in %s: graded 0", grade_id, path)
                cell.outputs = [_error(
                    "UngradableTestCell",
                    f"{grade_id}: this test cell has no answer key, so it earns no points "
                    "(tell your instructor).")]
        return nb, resources


def dumps_key(keys: dict) -> str:
    """Keys as text, for debugging an assignment (never shipped to students)."""
    return json.dumps(keys, indent=1, sort_keys=True)

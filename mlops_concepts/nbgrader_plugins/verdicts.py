"""Decide autograded scores outside the student's kernel (an nbgrader preprocessor for ``autograde``).

nbgrader's own rule scores a test cell by whether it raised. That rule runs on whatever the
student's kernel says, and a kernel the student controls can say anything: an ``__eq__`` that is
always True, a shadowed ``isinstance``, a patched ``hashlib``, an input transformer that empties the
next cell. So here the kernel only *reports*: after each test cell, the grader asks it for the
canonical form of the answer (:func:`~mlops_concepts.contract.exercises.report_code`, which calls
:func:`mlops_concepts.checks.grade`). After execution,
this preprocessor compares each test cell's report with the key read from ``source/`` (which the
kernel never sees) and rewrites the cell's outputs into a verdict that nbgrader then scores:
"Exercise 1.2 (b): correct." (full points) or an error saying, in words a student reads in the
feedback, what was wrong and what form was expected, never the key (zero).

A cheat that fakes the report must therefore produce exactly the right answer's canonical form,
which is the same as knowing the answer.
"""

from __future__ import annotations

import json
import os
import re

from nbformat.v4 import new_output
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..answers import to_json
from ..checks import REPORT_MIME, answer_form
from ..contract import cells
from ..contract.calls import AuthoringError
from ..contract.coursedir import from_instructor_notebook, notebook_path
from ..contract.exercises import exercise_titles, listed_choices, read_check
from ..contract.labs import expected_outcomes, record, tally

MAX_MESSAGE = 300


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
            if check.is_lab:  # the instructor's function's results on the hidden cases
                keys[check.grade_id] = to_json({"cases": expected_outcomes(notebook, check)})
            else:
                keys[check.grade_id] = to_json(answer_form(check.key, check.items))
    return keys


def expected_forms(notebook) -> dict[str, str]:
    """Grade id -> what form of answer the exercise expects, in words, never the key itself."""
    choices = listed_choices(notebook)
    forms = {}
    for cell in notebook.cells:
        if cells.is_test(cell):
            check = read_check(cell)
            if check.is_lab:
                forms[check.grade_id] = (
                    "a function that gives the right result on every input "
                    "(it is called on hidden inputs, each a fresh copy)"
                )
                continue
            forms[check.grade_id] = describe_form(
                check.key, check.items, check.choices or choices.get(check.grade_id)
            )
    return forms


def describe_form(key, items=None, choices=None) -> str:
    """ "a dict mapping each of the listed texts to one of the listed values", and the like."""
    some = "one of the values the question lists" if choices else None
    if isinstance(key, dict):
        return "a dict mapping each of the listed texts to " + (some or "its value")
    if isinstance(key, (list, tuple)):
        n = len(key) if items is None else None
        size = f"a list of {n} value{'s' if n != 1 else ''}" if n is not None else "a list"
        return size + (f", each {some}" if some else " in the order the question asks for")
    if isinstance(key, bool):
        return "True or False"
    if isinstance(key, (int, float)):
        return "a number"
    if isinstance(key, str):
        return f"a str, {some}" if some else "a str"
    return "a plain value"


def _error(ename: str, message: str):
    """An error output: nbgrader scores it 0; the student reads ``message`` alone in feedback."""
    message = message if len(message) <= MAX_MESSAGE else message[:MAX_MESSAGE] + "..."
    return new_output("error", ename=ename, evalue=message, traceback=[message])


_UNDEFINED = re.compile(r"name '([A-Za-z_][A-Za-z0-9_]*)' is not defined")


def _not_answered(name: str | None, stubs) -> str:
    if name and any(re.search(rf"\b{re.escape(name)}\b", s) for s in stubs):
        return "not answered (the answer cell still raises NotImplementedError)."
    if stubs and not name:
        return "not answered (the answer cell still raises NotImplementedError)."
    what = f"`{name}` is not defined" if name else "the answer is not defined"
    return f"not answered ({what}: the answer cell must define it)."


#: Where a test cell of an autograded notebook records what was given and how it was judged, for
#: the class report (``mlops-concepts report``): the canonical answer, never the key.
RECORD_KEY = "mlops_concepts"


def judge(
    grade_id: str, outputs, expected: str, title: str | None = None, form: str | None = None, stubs=()
) -> tuple[dict, str | None]:
    """``(output, given)``: what replaces a test cell's outputs (what nbgrader scores and the
    student reads), and the canonical JSON of the answer given (None if none could be read).

    ``title`` names the exercise as students see it ("Exercise 1.2 (b)"), ``form`` says what form
    of answer was expected, ``stubs`` are the sources of answer cells that still raise
    ``NotImplementedError`` (to tell "not answered" from other errors). No ids, no digests.
    """
    name = title or "This exercise"
    expect = f" Expected: {form}." if form else ""
    reports = []
    errors = []
    for out in outputs:
        if out.get("output_type") in ("display_data", "execute_result"):
            payload = out.get("data", {}).get(REPORT_MIME)
            if isinstance(payload, dict) and payload.get("id") == grade_id:
                reports.append(payload)
        elif out.get("output_type") == "error":
            errors.append((str(out.get("ename", "Error")), str(out.get("evalue", ""))))

    if not reports:
        if errors and errors[-1][0] == "NotImplementedError":  # a stubbed function was called
            why = "not answered (the answer cell still raises NotImplementedError)."
        elif errors and errors[-1][0] == "NameError":
            m = _UNDEFINED.search(errors[-1][1])
            why = _not_answered(m.group(1) if m else None, stubs)
        elif errors:
            ename, evalue = errors[-1]
            why = f"the self-check could not run: it stopped with {f'{ename}: {evalue}'.strip()}."
        else:
            why = "no answer was recorded."
        return _error("CheckDidNotRun", f"{name}: {why}{expect}"), None
    if len(reports) > 1:
        return _error("AnswerNotGradable", f"{name}: more than one answer was recorded."), None
    report = reports[0]
    if "error" in report:
        # A lab's report comes from a call on the hidden inputs, and the student's code may have
        # written its text: say it in our own words (nothing the kernel sent reaches feedback).
        lab = _is_lab(expected)
        why = "your function could not be checked on the hidden inputs" if lab else report["error"]
        return _error("AnswerNotGradable", f"{name}: {why}.{expect}"), None
    try:
        given = to_json(report.get("value"))
    except (TypeError, ValueError):
        return _error("AnswerNotGradable", f"{name}: the answer is not plain data.{expect}"), None
    if given != expected:
        cases = _cases_right(report.get("value"), expected)
        if cases:
            return _error("WrongAnswer", f"{name}: {cases}{expect}"), given
        return _error("WrongAnswer", f"{name}: not correct.{expect}"), given
    return new_output("stream", name="stdout", text=f"{name}: correct.\n"), given


def _cases_right(value, expected: str) -> str | None:
    """For a lab function: "right on 3 of 5 hidden inputs. On some it raised KeyError." (or None)."""
    counted = tally(value, json.loads(expected))
    if counted is None:
        return None
    text = f"right on {counted.right} of {counted.total} hidden inputs."
    if counted.raised:  # built-in exceptions by name, any other as "an exception of its own"
        text += f" On some it raised {', '.join(counted.raised)}."
    elif counted.unreadable:  # why, in the kernel's words, could be anything: say what it means
        text += " Some results could not be read: return plain str, int, float, bool, list and dict values."
    return text


def _is_lab(expected: str) -> bool:
    """Whether ``expected`` is a lab's key: the reference function's outcomes on hidden cases."""
    try:
        key = json.loads(expected)
    except (TypeError, ValueError):
        return False
    return isinstance(key, dict) and list(key) == ["cases"] and isinstance(key["cases"], list)


def verdict(grade_id: str, outputs, expected: str):
    """The output that replaces a test cell's own (see :func:`judge`)."""
    return judge(grade_id, outputs, expected)[0]


def instructor_keys(path: str) -> tuple[dict[str, str], dict[str, str]]:
    """(:func:`answer_keys`, :func:`expected_forms`) of the instructor's notebook at ``path``,
    read once per version of the file (:func:`coursedir.from_instructor_notebook`)."""
    return from_instructor_notebook(path, _keys_and_forms)


def _keys_and_forms(notebook):
    return answer_keys(notebook), expected_forms(notebook)


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
        keys, forms = instructor_keys(path)
        titles = exercise_titles(nb)
        stubs = [
            c.get("source", "")
            for c in nb.cells
            if cells.is_answer(c)
            and any(
                o.get("output_type") == "error" and o.get("ename") == "NotImplementedError"
                for o in c.get("outputs", [])
            )
        ]
        for cell in nb.cells:
            if not cells.is_test(cell):
                continue
            grade_id = cells.grade_id(cell)
            if grade_id in keys:
                output, given = judge(
                    grade_id,
                    cell.get("outputs", []),
                    keys[grade_id],
                    title=_title(cell, titles),
                    form=forms.get(grade_id),
                    stubs=stubs,
                )
                cell.outputs = [output]
                cell.metadata[RECORD_KEY] = {
                    "given": _kept(given, keys[grade_id]),
                    "outcome": "correct" if given == keys[grade_id] else output.get("ename", "WrongAnswer"),
                }
            else:
                self.log.error("Test cell %r has no answer key in %s: graded 0", grade_id, path)
                cell.outputs = [
                    _error(
                        "UngradableTestCell",
                        f"{_title(cell, titles)}: this self-check has no answer key, so it earns no "
                        "points (tell your instructor).",
                    )
                ]
        return nb, resources


def _kept(given: str | None, expected: str) -> str | None:
    """What the autograded notebook keeps of the answer given: a lab function's results may be
    its hidden inputs (returned as they came), so of a lab only how it did (:func:`labs.record`)."""
    if given is None or not _is_lab(expected):
        return given
    summary = record(json.loads(given), json.loads(expected))
    return to_json(summary) if summary is not None else None


def _title(cell, titles: dict) -> str:
    """The exercise as students see it: the check call's ``title=`` (in the released, sealed
    cell), else the notebook's headings; never the grade id."""
    try:
        title = read_check(cell).title
    except AuthoringError:
        title = None
    return title or titles.get(cells.grade_id(cell)) or "This exercise"

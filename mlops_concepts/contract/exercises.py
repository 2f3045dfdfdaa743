"""Read an exercise's test cell: the one place that parses and validates it.

An author writes each graded item once, as the only statement of a locked test cell::

    check("q1_1a", mlops_definition, key="c")                       # a whole answer
    check("q3_1a", role_kind, key={...}, items=["data engineer"])    # part of a dict or list
    check("q1_1a", letter, key="c", choices=["a", "b", "c", "d"])    # allowed values, if not listed

At release, :mod:`~mlops_concepts.assignment_plugins.seal` shows the call as ``check("q1_1a", answer)``
and moves the rest into the notebook's sidecar, adding ``title="Exercise 1.1 (a)"`` (from the
exercise heading) and ``choices=[...]`` (the quoted values the exercise lists) when the author did
not write them. Both only shape what a student reads, never what is graded. A released cell is
therefore not read here: the grader takes each test cell's check from ``source/``
(:func:`source_checks`).

Everything else is derived from that one call:

* at release, :mod:`~mlops_concepts.assignment_plugins.seal` replaces ``key`` by a salted digest (the
  student's self-check);
* at grading, the executor (:class:`~mlops_concepts.nbgrader_plugins.execute.SandboxedExecute`) asks the
  kernel to report the answer with :func:`report_code`, a request derived from the visible call,
  so there is no hidden test code to write, to keep in sync, or to leak into feedback;
* :mod:`~mlops_concepts.nbgrader_plugins.verdicts` compares that report with the key read from
  ``source/``, outside the kernel.

The question id must be the cell's nbgrader ``grade_id``: a mismatch is refused at release, and a
test cell that cannot be matched to a key is graded 0 (grading fails closed).
"""

from __future__ import annotations

import ast
import copy
import functools
import json
import re
from dataclasses import dataclass

from ..answers import AnswerTypeError, is_digest, to_json
from . import cells
from .calls import AuthoringError, nested_calls, strip_magics, top_level_calls


@dataclass(frozen=True)
class Check:
    """One test cell's ``check(question, answer, key=..., items=...)``."""

    grade_id: str
    answer: str  # the answer expression, as source text (e.g. "role_kind")
    key: object  # the plain answer (source/) or its digest (release/)
    items: list | None
    title: str | None = None  # "Exercise 1.2 (b)": the exercise as students see it
    choices: list | None = None  # the allowed values (strings) the question lists
    cases: dict | None = None  # a lab: {"data": name, "count": n, "seed": hidden seed (source/)}

    @property
    def is_lab(self) -> bool:
        return self.cases is not None


def _fail(grade_id, message: str):
    raise AuthoringError(f"test cell {grade_id!r}: {message}")


def read_check(cell) -> Check:
    """Parse and validate a test cell; raise :class:`AuthoringError` naming the cell if it is wrong."""
    # Grading reads the same few dozen test cells for every student: parsed once per process
    # (errors are not cached, so a wrong cell is reported every time). A copy, so no caller can
    # change what the next one reads.
    return copy.deepcopy(_read_check(cells.grade_id(cell), cell.get("source", "")))


@functools.lru_cache(maxsize=4096)
def _read_check(gid, source: str) -> Check:
    if (
        "BEGIN HIDDEN TESTS" in source
        or nested_calls(source, ("grade",))
        or top_level_calls(source, ("grade",))
    ):
        _fail(
            gid,
            "write only check(...): the graded report is derived from it at grading time, "
            "so a test cell holds no hidden tests and no grade(...) call",
        )
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError as err:
        _fail(gid, f"is not valid Python ({err.msg}, line {err.lineno})")
    calls = top_level_calls(source, ("check",))
    if len(tree.body) != 1 or len(calls) != 1:
        _fail(
            gid,
            f"must hold exactly one statement, check({gid!r}, <answer>, key=...), "
            f"and nothing else; it holds {len(tree.body)} statement(s)",
        )
    call = calls[0]
    question = call.args[0] if call.args else call.kwargs.get("question")
    if question != gid:
        _fail(
            gid,
            f"check({question!r}, ...) names another question; the first argument must be "
            f"the cell's grade id, check({gid!r}, ...)",
        )
    answer_nodes = call.node.args[1:2] or [kw.value for kw in call.node.keywords if kw.arg == "answer"]
    if len(answer_nodes) != 1:
        _fail(gid, "check() needs the answer as its second argument")
    answer = ast.get_source_segment(strip_magics(source), answer_nodes[0])
    if "cases" in call.kwargs:
        return _read_lab_check(gid, answer, call)
    if "key" not in call.kwargs or not call.literal["key"]:
        _fail(gid, "check() needs key=<the right answer> as a plain literal")
    if not call.literal.get("items", True):
        _fail(gid, "items= must be a plain literal list")
    items = call.kwargs.get("items")
    if items is not None and not isinstance(items, list):
        _fail(gid, "items= must be a list")
    unknown = set(call.kwargs) - {"question", "answer", "key", "items", "title", "choices"}
    if unknown:
        _fail(gid, f"check() got unknown keyword(s): {', '.join(sorted(unknown))}")
    title = call.kwargs.get("title")
    if "title" in call.kwargs and (
        not call.literal["title"] or not isinstance(title, str) or not title.strip()
    ):
        _fail(gid, 'title= must be a plain string, e.g. title="Exercise 1.2 (b)"')
    choices = call.kwargs.get("choices")
    if "choices" in call.kwargs and (
        not call.literal["choices"]
        or not isinstance(choices, list)
        or not choices
        or not all(isinstance(c, str) for c in choices)
    ):
        _fail(gid, 'choices= must be a plain non-empty list of strings, e.g. choices=["a", "b"]')
    check = Check(gid, answer, call.kwargs["key"], items, title, choices)
    if choices is not None and not is_digest(check.key):
        _require_covered(check)
    return check


def source_checks(nb) -> dict[str, Check]:
    """Grade id -> the full check of each test cell of the instructor's notebook (``source/``).

    A released test cell shows only ``check(gid, answer)``: what the grader asks the kernel to
    report (the answer expression, ``items``, a lab's cases) comes from here, never from a cell
    a student's notebook carries.
    """
    return {cells.grade_id(c): read_check(c) for c in nb.cells if cells.is_test(c)}


def _read_lab_check(gid: str, answer: str, call) -> Check:
    """``check(gid, fn, cases={"data": name, "count": n, "seed": s})``: a lab function's check."""
    from ..labs import MAX_CASES, data

    spec = call.kwargs["cases"]
    if not call.literal["cases"] or not isinstance(spec, dict):
        _fail(gid, 'cases= must be a plain dict, e.g. cases={"data": "run_log", "count": 5, "seed": 2718}')
    unknown = set(spec) - {"data", "count", "seed"}
    if unknown:
        _fail(gid, f"cases= has unknown key(s): {', '.join(sorted(unknown))}")
    if spec.get("data") not in data():
        _fail(
            gid,
            f"cases= names lab data {spec.get('data')!r}, which no module of "
            f"mlops_concepts.labs defines (known: {', '.join(sorted(data())) or 'none'})",
        )
    count = spec.get("count", 3)
    if type(count) is not int or not 1 <= count <= MAX_CASES:
        _fail(gid, f'cases["count"] must be an int from 1 to {MAX_CASES}')
    if "seed" in spec and (type(spec["seed"]) is not int or spec["seed"] == 0):
        _fail(gid, 'cases["seed"] must be a non-zero int: seed 0 gives the public examples')
    if not answer.isidentifier():
        _fail(
            gid,
            f"a lab check names the function itself, check({gid!r}, <function name>, "
            "cases=...), not a call or an expression",
        )
    for word in ("items", "choices"):
        if word in call.kwargs:
            _fail(gid, f"a lab check takes no {word}=")
    key = call.kwargs.get("key")
    if "key" in call.kwargs and not (
        call.literal["key"] and isinstance(key, list) and all(is_digest(k) for k in key)
    ):
        _fail(
            gid,
            "a lab check takes no key=: the grader computes the right results with the "
            "solution's own function",
        )
    unknown = set(call.kwargs) - {"question", "answer", "key", "title", "cases"}
    if unknown:
        _fail(gid, f"check() got unknown keyword(s): {', '.join(sorted(unknown))}")
    title = call.kwargs.get("title")
    if "title" in call.kwargs and (not call.literal["title"] or not isinstance(title, str)):
        _fail(gid, 'title= must be a plain string, e.g. title="Exercise 1.2 (b)"')
    return Check(gid, answer, key, None, title, None, spec)


def _require_covered(check: Check) -> None:
    """``choices=`` must hold every value of the key: a right answer is never "not allowed"."""
    from ..checks import answer_form

    allowed = {to_json(answer_form(c)) for c in check.choices}
    for value in _values(check.key, check.items):
        try:
            ok = to_json(answer_form(value)) in allowed
        except AnswerTypeError:
            ok = False
        if not ok:
            _fail(
                check.grade_id,
                f"choices= does not hold {value!r}, a value of the key: a right "
                "answer would be called not allowed",
            )


def report_code(check: Check) -> str:
    """The request the grader sends after running a test cell: report the answer, decide nothing.

    Public by design (it says no more than the visible check call), run without storing history.
    """
    # The function is found by import, not by name, so a student's own variable called `grade`
    # cannot break the report of an honest answer. Literals as JSON (valid Python here).
    if check.is_lab:
        raise AuthoringError(
            f"test cell {check.grade_id!r}: a lab check is reported with its "
            "hidden cases (mlops_concepts.contract.labs.report_code)"
        )
    items = "" if check.items is None else f", items={json.dumps(check.items)}"
    return (
        f'__import__("mlops_concepts.checks", fromlist=["grade"])'
        f".grade({json.dumps(check.grade_id)}, {check.answer}{items})"
    )


# -- what the release adds to each check call: the exercise's title and its allowed values ------

_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.+?)\s*#*\s*$")
_POINTS = re.compile(r"\s*\(\s*\d+(?:\.\d+)?\s+points?\s*\)\s*$", re.IGNORECASE)
_EXERCISE = re.compile(r"^Exercise\s+(\d+(?:\.\d+)*)\b", re.IGNORECASE)
#: A value an exercise lists for the student to use: a quoted string in inline code, `"design"`.
_LISTED = re.compile(r'`"((?:[^"`\\]|\\.)*)"`')


_NAMED_EXERCISE = re.compile(r"^Exercise\s+(\d+(?:\.\d+)*)\s*(?:[—–:-]+\s*(.*))?$", re.IGNORECASE)


def _headings(cell) -> list[str]:
    """The headings of a Markdown cell the student cannot edit, points removed."""
    if cell.get("cell_type") != "markdown" or cells.nbgrader_metadata(cell).get("solution"):
        return []
    found = []
    for line in cell.get("source", "").splitlines():
        m = _HEADING.match(line)
        if m:
            found.append(_POINTS.sub("", m.group(1).strip()))
    return found


@dataclass
class _Exercise:
    heading: str  # "Exercise 1.2" (the heading, points and name removed) or another heading
    text: str  # the Markdown of the exercise, from its heading to its last test cell
    tests: list


def _exercises(nb) -> list[_Exercise]:
    """Test cells grouped under the last heading above them (read from locked Markdown only)."""
    groups: list[_Exercise] = []
    current = None
    for cell in nb.cells:
        if cell.get("cell_type") == "markdown":
            for head in _headings(cell):
                ex = _EXERCISE.match(head)
                current = _Exercise(f"Exercise {ex.group(1)}" if ex else head, "", [])
                groups.append(current)
            if current is not None and not cells.nbgrader_metadata(cell).get("solution"):
                current.text += cell.get("source", "") + "\n"
        elif cells.is_test(cell) and current is not None:
            current.tests.append(cell)
    return [g for g in groups if g.tests]


@dataclass
class GradedCell:
    """A graded cell (autograded or by hand) as students know it, from the headings above it."""

    cell: dict
    heading: str  # the heading it sits under, points removed: "Exercise 1.2 — Why MLOps?"
    exercise: str  # "1.2"; empty when the heading is not "Exercise N.M ..."
    name: str  # "Why MLOps?"; empty when the heading names none
    part: str  # "b"; empty when the cell is alone under its heading

    @property
    def label(self) -> str:
        """ "Exercise 1.2 (b)", or the heading up to a colon ("Reflection")."""
        base = f"Exercise {self.exercise}" if self.exercise else self.heading.split(":")[0].strip()
        return base + (f" ({self.part})" if self.part else "") if base else ""


def graded_cells(nb) -> list[GradedCell]:
    """Every graded cell, in order, with its heading and part.

    The part is the last letter of the grade id when every graded cell under the heading ends in
    a distinct lowercase letter (``q1_2a``, ``q1_2b``), else the cell's place under it.
    """
    groups: list[tuple[str, list]] = [("", [])]
    for cell in nb.cells:
        for head in _headings(cell):
            groups.append((head, []))
        if cells.nbgrader_metadata(cell).get("grade") and cells.grade_id(cell):
            groups[-1][1].append(cell)
    found = []
    for head, members in groups:
        ids = [cells.grade_id(c) for c in members]
        letters = [i[-1:] for i in ids]
        by_id = all(x.isalpha() and x.islower() for x in letters) and len(set(letters)) == len(ids)
        m = _NAMED_EXERCISE.match(head)
        for n, cell in enumerate(members):
            part = "" if len(members) == 1 else (letters[n] if by_id else "abcdefghijklmnopqrstuvwxyz"[n])
            found.append(
                GradedCell(cell, head, m.group(1) if m else "", (m.group(2) or "").strip() if m else "", part)
            )
    return found


def exercise_titles(nb) -> dict[str, str]:
    """Grade id -> the title students read: "Exercise 1.2 (b)", or "Exercise 2.1" alone."""
    return {cells.grade_id(g.cell): g.label for g in graded_cells(nb) if cells.is_test(g.cell) and g.label}


def _values(key, items) -> list:
    """The values of a plain key that a student picks from a list: what ``choices`` must cover."""
    if isinstance(key, dict):
        return [key[k] for k in (items if items is not None else key) if k in key]
    if isinstance(key, (list, tuple)):
        return [
            key[i]
            for i in (items if items is not None else range(len(key)))
            if isinstance(i, int) and -len(key) <= i < len(key)
        ]
    return [key]


def listed_choices(nb) -> dict[str, list[str]]:
    """Grade id -> the allowed values its exercise lists, for exercises whose text lists them.

    The quoted strings in inline code of the exercise (`"a"`, `"design"`), minus the dict keys
    its test cells name (those are what to map, not values to pick). Given only when they cover
    every value of every key of the exercise, so a right answer is never called "not allowed".
    """
    from ..checks import answer_form

    found = {}
    for ex in _exercises(nb):
        checks = [chk for chk in (read_check(c) for c in ex.tests) if not chk.is_lab]
        if not checks:
            continue
        names = set()
        for chk in checks:
            names.update(k for k in chk.items or [] if isinstance(k, str))
            if isinstance(chk.key, dict):
                names.update(chk.key)
        names = {answer_form(n) for n in names}
        listed = []
        for text in _LISTED.findall(ex.text):
            value = ast.literal_eval(f'"{text}"')
            if answer_form(value) not in names and value not in listed:
                listed.append(value)
        allowed = {answer_form(v) for v in listed}
        if listed and all(
            isinstance(v, str) and answer_form(v) in allowed
            for chk in checks
            for v in _values(chk.key, chk.items)
        ):
            for chk in checks:
                found[chk.grade_id] = listed
    return found

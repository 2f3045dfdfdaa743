"""Lab exercises on the grader's side: hidden cases, and the right results, outside the kernel.

A lab test cell in ``source/`` is ``check(gid, fn, cases={"data": ..., "count": n, "seed": s})``
(see :mod:`mlops_concepts.function_checks`). Here:

* :func:`hidden_cases` makes the cases from the seed that only ``source/`` holds;
* :func:`reference_function` takes the instructor's function from ``source/``: the autograded
  answer cell that defines it, run on its own in a fresh namespace of the grader's process. It is
  the author's trusted code; no student code ever runs here;
* :func:`expected_outcomes` calls it on fresh copies of each case: what the student's function
  must return. The release uses the same on the public seed to seal the self-check's digests;
  :mod:`~mlops_concepts.nbgrader_plugins.verdicts` uses it on the hidden seed to grade;
* :func:`hold_code` is the request the executor sends after the test cell: keep the student's
  function; :func:`report_code` the one it sends after the notebook's last cell: call that
  function on the hidden cases, in a shuffled order, and report each result's canonical form
  (see :mod:`~mlops_concepts.nbgrader_plugins.hidden_calls`: no student cell runs once they are in).
"""

from __future__ import annotations

import ast
import builtins
import copy
import json
import math
import random
from collections import Counter
from dataclasses import dataclass

from .. import labs
from ..answers import to_json
from ..function_checks import call_form
from . import cells
from .calls import AuthoringError


def cases_json(check, seed: int | None = None) -> str:
    """The cases of a lab check as JSON text: the public ones (seed 0) or the hidden ones."""
    spec = check.cases
    chosen = spec.get("seed", 0) if seed is None else seed
    try:
        made = labs.cases(spec["data"], spec.get("count", 3), chosen)
    except (KeyError, ValueError) as err:
        raise AuthoringError(f"test cell {check.grade_id!r}: {err}") from None
    text = json.dumps([list(c) for c in made], allow_nan=False)
    if json.loads(text) != [list(c) for c in made]:
        raise AuthoringError(
            f"test cell {check.grade_id!r}: lab data {spec['data']!r} is not "
            "plain JSON data (convert numpy values with .tolist() or float())"
        )
    return text


def hidden_cases(check) -> str:
    return cases_json(check)


def _defines(cell, name: str) -> bool:
    try:
        tree = ast.parse(cell.get("source", ""))
    except SyntaxError:
        return False
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


_REFERENCES: dict = {}


def reference_function(source_nb, check):
    """The instructor's function that ``check`` grades, from its answer cell in ``source/``."""
    name = check.answer
    if not name.isidentifier():
        raise AuthoringError(
            f"test cell {check.grade_id!r}: a lab check names the function itself, "
            f"check({check.grade_id!r}, {name.split('(')[0]}, cases=...)"
        )
    found = [c for c in source_nb.cells if cells.is_answer(c) and _defines(c, name)]
    if len(found) != 1:
        raise AuthoringError(
            f"test cell {check.grade_id!r}: {len(found)} autograded answer cells "
            f"define {name}(); exactly one must"
        )
    code = found[0].get("source", "")
    if (code, name) not in _REFERENCES:
        namespace = {"__name__": "mlops_concepts_reference"}
        try:
            exec(compile(code, f"<solution of {name}>", "exec"), namespace)  # the author's code
        except Exception as err:
            raise AuthoringError(
                f"the answer cell that defines {name}() must run on its own (its "
                f"imports inside it): it raised {type(err).__name__}: {err}"
            ) from None
        _REFERENCES[(code, name)] = namespace[name]
    return _REFERENCES[(code, name)]


_OUTCOMES: dict = {}


def expected_outcomes(source_nb, check, seed: int | None = None) -> list[dict]:
    """What the student's function must give on each case: the instructor's function's outcomes.

    Computed once per solution, data and seed in a process (the grader judges every student's
    notebook against the same outcomes); each caller gets its own copy.
    """
    function = reference_function(source_nb, check)
    key = (function, json.dumps(check.cases, sort_keys=True), seed)
    if key not in _OUTCOMES:
        outcomes = [call_form(function, args) for args in json.loads(cases_json(check, seed))]
        broken = [i for i, o in enumerate(outcomes) if "value" not in o]
        if broken:
            raise AuthoringError(
                f"test cell {check.grade_id!r}: the solution of {check.answer}() "
                f"fails on case {broken[0] + 1}: {outcomes[broken[0]]}"
            )
        _OUTCOMES[key] = outcomes
    return copy.deepcopy(_OUTCOMES[key])


def result_counts(outcomes: list[dict]) -> Counter:
    """How many cases give each distinct outcome, keyed by its canonical JSON text."""
    return Counter(json.dumps(o, sort_keys=True) for o in outcomes)


def orderings(outcomes: list[dict]) -> int:
    """In how many distinct orders the hidden cases' outcomes can come.

    The cases are called in a shuffled order, so a function that ignores its inputs (answers in
    turn from a list, counts its calls, replays the examples) and even knows how many of each
    outcome there are passes with a chance of one in this number. Six yes/no cases, three of
    each, give only 20; sixteen, eight of each, give 12,870.
    """
    counts = result_counts(outcomes)
    return math.factorial(len(outcomes)) // math.prod(math.factorial(c) for c in counts.values())


_KERNEL_MODULE = '__import__("mlops_concepts.function_checks", fromlist=["hold"])'


def hold_code(check) -> str:
    """The request sent right after a lab test cell: keep the function it grades, as it is now.

    No hidden input goes with it: those are sent by :func:`report_code`, after the last cell.
    """
    return f"{_KERNEL_MODULE}.hold({json.dumps(check.grade_id)}, {check.answer})"


def report_code(check, inputs_json: str) -> str:
    """The request sent once every cell of the notebook has run: the function :func:`hold_code`
    kept, called on the hidden cases in a shuffled order."""
    order = list(range(len(json.loads(inputs_json))))
    random.SystemRandom().shuffle(order)
    return (
        f"{_KERNEL_MODULE}.grade_held({json.dumps(check.grade_id)}, "
        f"{json.dumps(inputs_json)}, {json.dumps(order)})"
    )


def lab_checks(source_nb) -> dict:
    """Grade id -> the lab check of each lab test cell of the instructor's notebook."""
    from .exercises import read_check

    found = {}
    for cell in source_nb.cells:
        if cells.is_test(cell):
            check = read_check(cell)
            if check.cases is not None:
                found[check.grade_id] = check
    return found


@dataclass
class Tally:
    """How a lab function did on the hidden cases: what feedback and the class report say."""

    right: int
    total: int
    raised: list  # the exceptions it raised (see exception_shown), sorted, each once
    unreadable: list  # why results could not be read, in case order


def tally(value, expected) -> Tally | None:
    """Compare a lab report's ``{"cases": [...]}`` with the expected one, case by case (as
    canonical JSON, like the verdict); None if either is not a lab report of the same length."""
    if not (
        isinstance(value, dict)
        and isinstance(value.get("cases"), list)
        and isinstance(expected, dict)
        and isinstance(expected.get("cases"), list)
        and len(value["cases"]) == len(expected["cases"])
    ):
        return None
    got = value["cases"]
    right = sum(1 for g, w in zip(got, expected["cases"], strict=True) if to_json(g) == to_json(w))
    raised = sorted({exception_shown(g["raised"]) for g in got if isinstance(g, dict) and "raised" in g})
    unreadable = [g["error"] for g in got if isinstance(g, dict) and isinstance(g.get("error"), str)]
    return Tally(right, len(got), raised, unreadable)


OWN_EXCEPTION = "an exception of its own"


def exception_shown(name) -> str:
    """An exception a student's function raised, as feedback and records may name it.

    A built-in exception keeps its name. Any other name was made up by the student's code, so it
    can spell anything, the hidden inputs included (``type("x_3_1_4", (Exception,), {})``): it
    is shown as "an exception of its own".
    """
    found = getattr(builtins, name, None) if isinstance(name, str) and name.isidentifier() else None
    if isinstance(found, type) and issubclass(found, BaseException):
        return name
    return OWN_EXCEPTION


def record(value, expected) -> dict | None:
    """What an autograded notebook keeps of a lab report: how the function did, never what it
    returned (its results may be the hidden inputs, returned as they came). None if ``value`` is
    no lab report (see :func:`tally`)."""
    counted = tally(value, expected)
    if counted is None:
        return None
    return {"lab": {"right": counted.right, "total": counted.total, "raised": counted.raised}}

"""Self-checks and graded reports for lab exercises: a student's *function*, called on cases.

A lab's test cell in ``source/`` is, like every test cell, one call::

    check("q5_1a", pick_run, cases={"data": "run_log", "count": 5, "seed": 2718})

``cases`` names lab data (:mod:`mlops_concepts.labs`), how many cases, and a hidden seed. There
is no ``key``: the grader computes the right results by calling the instructor's own function
from ``source/`` on the same cases, outside the student's kernel
(:mod:`mlops_concepts.contract.labs`).

* At release the seed is removed and ``key`` becomes one salted digest per case of the *public*
  examples (seed 0), so :func:`check_function` can tell a student "right on 3 of 5 examples"
  without any result in plain text.
* At grading the kernel runs :func:`grade_function` with the hidden cases as JSON text. Each
  call gets freshly decoded arguments, in a shuffled order: a function that recognises its inputs
  by identity, counts its calls, or caches a result from one call to the next, gets wrong results.
  Only the canonical form of each result leaves the kernel, so an object that claims to equal
  anything is refused, as for every other answer.

Results are compared in :func:`result_form`: plain data, numpy scalars and arrays read as plain
numbers and lists, every number as a float to 6 significant digits, texts forgiven like other
answers (case, spaces, typographic apostrophes).
"""

from __future__ import annotations

import sys
from json import loads as _loads

from .answers import AnswerTypeError, canonical, digest, matches
from .checks import _forgive, not_yet

_type = type
_str = str
_int = int
_float = float
_bool = bool
_list = list
_tuple = tuple
_dict = dict
_len = len
_range = range
_callable = callable
_print = print
_enumerate = enumerate

#: Significant digits kept of every number a function returns.
DIGITS = 6


def _numpy_types():
    """The real numpy array and scalar types, if the student's kernel imported numpy."""
    np = sys.modules.get("numpy")
    if np is None or _type(np).__name__ != "module":
        return None, ()
    try:
        return np.ndarray, _tuple(
            t
            for t in (
                np.float64,
                np.float32,
                np.float16,
                np.int64,
                np.int32,
                np.int16,
                np.int8,
                np.uint64,
                np.uint32,
                np.uint16,
                np.uint8,
                np.bool_,
                np.str_,
            )
        )
    except AttributeError:
        return None, ()


def _plain(value, types, depth=0):
    """``value`` with numpy arrays and scalars (exact ``types``) read as plain lists and numbers."""
    if depth > 20:
        return value
    ndarray, scalars = types
    cls = _type(value)
    if ndarray is not None and cls is ndarray:
        return ndarray.tolist(value)
    if cls in scalars:
        return sys.modules["numpy"].generic.item(value)
    if cls is _list or cls is _tuple:
        return [_plain(cls.__getitem__(value, i), types, depth + 1) for i in _range(cls.__len__(value))]
    if cls is _dict:
        return {k: _plain(v, types, depth + 1) for k, v in _dict.items(value)}
    return value


def _normal(data):
    """Numbers as floats to :data:`DIGITS` significant digits; texts forgiven; -0.0 is 0.0."""
    cls = _type(data)
    if cls is _int or cls is _float:
        rounded = _float(f"{_float(data):.{DIGITS}g}")
        return 0.0 if rounded == 0 else rounded
    if cls is _list:
        return [_normal(v) for v in data]
    if cls is _dict:
        return {_forgive(k): _normal(v) for k, v in _dict.items(data)}
    return _forgive(data)


def result_form(value):
    """What is compared of one result: canonical plain data, numbers rounded, texts forgiven."""
    return _normal(canonical(_plain(value, _numpy_types())))


def call_form(function, args) -> dict:
    """``{"value": form}`` of ``function(*args)``, or what went wrong: ``{"raised": name}`` if it
    raised, ``{"error": why}`` if its result is not plain data."""
    try:
        result = function(*args)
    except (Exception, SystemExit) as err:  # an interrupt (a timeout) still stops the cell
        return {"raised": _type(err).__name__}
    try:
        return {"value": result_form(result)}
    except AnswerTypeError as err:
        return {"error": _str(err)}
    except Exception as err:  # a result that breaks when read is not a result
        return {"error": f"the result could not be read ({_type(err).__name__})"}


def case_salt(salt: str, index: int) -> str:
    return f"{salt}.{index}"


def seal_results(forms: list, salt: str) -> list[str]:
    """One digest per case, each salted with its position (release time, outside the kernel)."""
    return [digest(form, case_salt(salt, i)) for i, form in _enumerate(forms)]


def _describe(outcome: dict) -> str:
    if "raised" in outcome:
        return f"it raised {outcome['raised']}"
    if "error" in outcome:
        return outcome["error"]
    return "its result is not the right one"


def check_function(question: str, function, cases: dict, key, title=None, exam=False) -> None:
    """The student's self-check of a lab function on the public examples; prints, returns None."""
    from . import labs

    name = title if _type(title) is _str else "This exercise"
    if not _callable(function):
        not_yet(f"Not yet. {name}: the answer must be a function (a `def`), not {_type(function).__name__}.")
        return
    data, count = cases.get("data"), cases.get("count", 3)
    try:
        examples = labs.cases(data, count)
    except Exception as err:
        not_yet(f"Not yet. {name}: the examples could not be made ({err}).")
        return
    outcomes = [call_form(function, args) for args in examples]
    if any(o.get("raised") == "NotImplementedError" for o in outcomes):
        # One line, published as an error (Validate sees "not answered") without raising: no
        # traceback through this package, and Run All goes on.
        not_yet(
            f"Not yet. {name}: not answered yet. Write your function in the cell above in place "
            "of `raise NotImplementedError()`, run it, then run this check again."
        )
        return
    keys = key if _type(key) is _list else []
    right = [
        i
        for i, outcome in _enumerate(outcomes)
        if "value" in outcome and i < _len(keys) and matches(outcome["value"], keys[i])
    ]
    n = _len(outcomes)
    if not keys:  # the instructor's notebook (this function *is* the key), or exam mode
        failed = [i + 1 for i, o in _enumerate(outcomes) if "value" not in o]
        if failed:
            not_yet(
                f"Not yet. {name}: the function fails on example {failed[0]}: "
                f"{_describe(outcomes[failed[0] - 1])}."
            )
        elif exam:
            _print(
                f"Saved. {name}: your function runs on all {n} examples and returns plain "
                "values; it is marked on hidden inputs when graded (exam mode)."
            )
        else:
            _print(
                f"Success! {name}: the solution ran on all {n} examples; the grader takes its "
                "results as the key."
            )
        return
    if _len(right) == n:
        _print(
            f"Success! {name} is right on all {n} examples. When graded, your function is "
            "called on other, hidden inputs of the same kind."
        )
        return
    wrong = [i for i in _range(n) if i not in right]
    first = wrong[0]
    shown = ", ".join(_str(i + 1) for i in wrong[:5]) + ("..." if _len(wrong) > 5 else "")
    not_yet(
        f"Not yet. {name}: right on {_len(right)} of {n} examples. Wrong on example "
        f"{shown}: for example {first + 1}, {_describe(outcomes[first])}. Look at the inputs "
        f"with labs.cases({data!r}, {count})[{first}] and run your function on them."
    )


def report_payload(question: str, function, inputs_json: str, order) -> dict:
    """The graded report of a lab function: one outcome per hidden case, in the cases' order."""
    if not _callable(function):
        return {"id": question, "error": "the answer is not a function"}
    count = _len(_loads(inputs_json))
    outcomes: list = [None] * count
    for i in order:
        args = _loads(inputs_json)[i]  # decoded again for every call: fresh objects each time
        outcomes[i] = call_form(function, args)
    return {"id": question, "value": {"cases": outcomes}}


def grade_function(question: str, function, inputs_json: str, order) -> None:
    """Emit the outcomes of ``function`` on the hidden cases (called by the grader, never authored)."""
    from IPython.display import display

    from .checks import REPORT_MIME

    try:
        payload = report_payload(question, function, inputs_json, order)
    except Exception as err:  # a broken answer must still produce a report, not a traceback
        payload = {"id": question, "error": f"the function could not be checked ({_type(err).__name__})"}
    display({REPORT_MIME: payload, "text/plain": f"[{question}] results recorded for grading"}, raw=True)


#: The function each lab test cell graded, kept by :func:`hold` when that cell ran.
_HELD: dict = {}


def hold(question: str, function) -> None:
    """Keep the function a lab test cell grades, as it is when that cell runs (called by the
    grader right after the cell). The hidden inputs are sent only after the notebook's last
    cell (:mod:`mlops_concepts.nbgrader_plugins.hidden_calls`), and it is this function they go to, even
    if a later cell redefines the name."""
    _HELD[question] = function


def grade_held(question: str, inputs_json: str, order) -> None:
    """:func:`grade_function` on the function :func:`hold` kept for ``question``."""
    grade_function(question, _HELD.get(question), inputs_json, order)


__all__ = ["check_function", "grade_function", "grade_held", "hold", "result_form", "seal_results"]

"""Self-checks and graded reports for the "Let's practice!" exercises.

Every exercise has locked test cells of this shape (in ``source/``), one call, written once::

    check("q1", why_mlops, key="Monitoring of model performance")

* :func:`check` is the student's self-check. It prints ``Success!`` or ``Not yet.`` and never the
  answer. At release time nbgrader's ``SealAnswerKeys`` preprocessor replaces the plain ``key`` by a
  salted digest, so ``release/`` holds no answer in plain text.
* :func:`grade` decides nothing. While grading, after each test cell, the grader asks the kernel to
  call it (:func:`mlops_concepts.contract.exercises.report_code`, derived from the visible ``check``
  call): it only *emits* the student's answer, in canonical form, as a display output. The grade
  is decided outside the student's kernel by the ``GradeFromReports`` preprocessor, which compares
  that output with the key it reads from ``source/``. The expected answer therefore never enters
  the student's kernel, and an answer object that lies about itself cannot pass: only the exact
  plain value of the right answer produces the right report.

``items`` selects part of a dict or list answer, so one exercise can be split over several small
test cells for partial credit. ``title`` ("Exercise 1.2 (b)") and ``choices`` (the allowed values the
question lists) are added at release by ``SealAnswerKeys``; they only shape the messages a student
reads, never what is graded. The released cell is only ``check("q1", why_mlops)``: the digest,
``items``, ``title`` and ``choices`` are in the hidden sidecar beside the notebook, read by
:func:`_sidecar` (docs/grading.md, "Where keys live").

The self-check says which kind of "not yet" it is, without revealing the answer: not answered
yet, not an allowed value (naming the value the student gave), a missing or changed dict key or a
list too short (keys and positions are public in the question), or simply wrong.

A "Not yet." is published as an *error output* (:func:`not_yet`) without raising: nbgrader's
Validate counts the test cell as failed (it scores any error output 0), while the kernel's reply
stays "ok", so JupyterLab's "Run All" goes on to the end of the notebook. Two cases would still
raise, and are turned into the same one line when the package is imported in IPython:

* an answer *expression* that calls the student's function (``check("q2_3a", [next_phase(p) for
  p in ...])``) raises ``NotImplementedError`` while a stub is unanswered: :class:`DeferCheckAnswers`
  (an IPython AST transformer) hands such an expression to :func:`check` as a :class:`Deferred`,
  evaluated inside the check, so the cell itself does not raise. Only expressions are deferred,
  in a cell that is one ``check("<id>", ...)`` call; the visible call, and so the grader's report
  (:func:`mlops_concepts.contract.exercises.report_code`), are unchanged;
* a test cell run before its answer cell defines the answer raises ``NameError``;
  :func:`install_not_answered_hint` turns that into a one-line "not answered yet" error instead
  of a traceback.
"""

from __future__ import annotations

import ast
import difflib
import linecache
import sys
from json import dumps as _json_dumps

from .answers import MISSING, AnswerTypeError, canonical, is_digest, matches, restrict, to_json

_str = str
_type = type
_list = list
_dict = dict
_int = int

#: The MIME type of a graded report. The grader reads only outputs of this type from test cells.
REPORT_MIME = "application/vnd.mlops-concepts.report+json"

_print = print


#: Typographic apostrophes (an editor's "smart quotes", a text copied from a web page) read as '.
_APOSTROPHES = {0x2019: "'", 0x2018: "'", 0x02BC: "'", 0x2032: "'"}


def _forgive(data):
    """Lower-case and trim every text in canonical data, dict keys included; ’ reads as '.

    Exercises ask for lower-case strings from a given list; "ML engineer", " design" or
    "model’s" is the right idea with a slip of the keyboard, and costs nothing to accept. Applied
    identically to the answer and to the key, here and in the grader, so it never makes a wrong
    answer right.
    """
    if _type(data) is _str:
        return _str.lower(_str.strip(_str.translate(data, _APOSTROPHES)))
    if _type(data) is _list:
        return [_forgive(v) for v in data]
    if _type(data) is _dict:
        return {_forgive(k): _forgive(v) for k, v in _dict.items(data)}
    return data


def answer_form(answer, items=None):
    """What is compared: the canonical, forgiving form of ``answer``, restricted to ``items``.

    The one definition shared by the self-check, the graded report, the sealed key and the
    grader's key, so all four always agree.
    """
    return restrict(_forgive(canonical(answer)), _forgive(canonical(items)))


_answer_form = answer_form


def _quote(value) -> str:
    """A value the student gave, as they would write it in Python, cut short if long."""
    text = _json_dumps(value, ensure_ascii=False) if _type(value) is _str else repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _leaves(raw, form, items):
    """``(where, value, given)`` of each value that must be one of the allowed values.

    ``where`` names the dict key (as the question lists it) or list position (both public in
    the question), or is None for a whole answer; ``value`` is compared, ``given`` is shown (as
    the student wrote it). Values the answer lacks are skipped (they are reported as missing).
    """
    if _type(raw) is _dict:
        originals = {_forgive(k): k for k in raw}
        listed = {_forgive(k): k for k in canonical(items) or [] if _type(k) is _str}
        if items is not None:
            return [
                (listed.get(k, k), v, raw[originals[k]])
                for k, v in form["part"]
                if v != MISSING and k in originals
            ]
        return [(k, form[_forgive(k)], v) for k, v in raw.items()]
    if _type(raw) is _list:
        if items is not None:
            return [(i, v, raw[i]) for i, v in form["part"] if v != MISSING]
        return [(i, form[i], v) for i, v in enumerate(raw)]
    return [(None, form, raw)]


def _not_allowed(where, given, choices) -> str:
    listed = ", ".join(_quote(c) for c in choices)
    if where is None:
        return f"{_quote(given)} is not one of the allowed values ({listed})."
    place = (
        f"value number {where + 1} of your list" if _type(where) is _int else f"the value for {_quote(where)}"
    )
    return f"{place} is {_quote(given)}, which is not one of the allowed values ({listed})."


#: What a wrong answer of the right form is told (and, in exam mode, what is never said).
_GENERIC = "not right yet. Re-read the lesson and try again."


def _diagnose(answer, form, items, choices) -> str:
    """Why a wrong answer is wrong, in words that give nothing of the key away."""
    raw = canonical(answer)
    if items is not None:
        missing = [k for k, v in form["part"] if v == MISSING]
        if missing and _type(missing[0]) is _int:
            n = len(raw)
            return (
                f"your list has {n} value{'s' if n != 1 else ''}; the question asks for "
                f"more (this part checks value number {missing[0] + 1})."
            )
        if missing:
            listed = {_forgive(k): k for k in canonical(items) if _type(k) is _str}
            k = listed.get(missing[0], missing[0])
            close = difflib.get_close_matches(missing[0], [_forgive(g) for g in raw], n=1, cutoff=0.75)
            said = f"your dict has no key {_quote(k)}"
            if close:
                theirs = next(g for g in raw if _forgive(g) == close[0])
                return f"{said}, but it has {_quote(theirs)}: copy each key exactly as the question lists it."
            return f"{said}: copy each key exactly as the question lists it."
    leaves = _leaves(raw, form, items)
    for _where, value, given in leaves:
        if _type(value) is _str and value.startswith("<") and value.endswith(">"):
            return f"not answered yet: replace {_quote(given)} with your answer."
    if choices is not None:
        allowed = [_forgive(c) for c in choices]
        for where, value, given in leaves:
            if value not in allowed:
                return _not_allowed(where, given, choices)
    return _GENERIC


def check(question: str, answer, key=None, items=None, title=None, choices=None, cases=None) -> None:
    """Say whether ``answer`` is right, and if not what kind of wrong, never the right answer.

    ``key`` is the right answer (instructor version) or its salted digest (student version);
    ``title`` is the exercise as students see it ("Exercise 1.2 (b)"), ``choices`` the allowed
    values the question lists. Prints only (returns None), so the notebook shows no stray
    ``True``/``False`` output. With ``cases``, ``answer`` is a lab function checked on examples
    (:func:`mlops_concepts.function_checks.check_function`).
    """
    if key is None and cases is None:  # the released call, check(gid, answer): see _sidecar
        spec = _sidecar(question)
        if spec is None:
            not_yet(
                f"Not yet. {title if _type(title) is _str else 'This exercise'}: this self-check "
                "cannot find its data (a hidden file beside the notebook, "
                "`.<notebook>.checks.json`). Fetch the assignment again, or ask your instructor."
            )
            return
        key, items, cases = spec.get("key"), spec.get("items"), spec.get("cases")
        title, choices = spec.get("title", title), spec.get("choices", choices)
        if key is None:  # exam mode: the release holds no key, only the answer's form
            _check_form(question, answer, items, title, choices, cases)
            return
    if cases is not None:
        from .function_checks import check_function

        check_function(question, answer, cases, key, title)
        return
    name = title if _type(title) is _str else "This exercise"
    if _type(answer) is Deferred:
        answer, failed = _evaluate(answer, name)
        if failed:
            not_yet(failed)
            return
    try:
        form = _answer_form(answer, items)
    except AnswerTypeError as err:
        not_yet(f"Not yet. {name}: {err}.")
        return
    if is_digest(key):
        ok = matches(form, key)
    else:
        ok = to_json(form) == to_json(_answer_form(key, items))
    if ok:
        _print(f"Success! {name} is right.")
        return
    try:
        why = _diagnose(answer, form, items, choices)
    except Exception:  # the message is a courtesy: never let it hide the verdict
        why = _GENERIC
    not_yet(f"Not yet. {name}: {why}")


#: The largest sidecar read: a released one is a few KB.
_SIDECAR_MAX_BYTES = 1_000_000


def _sidecar(question: str):
    """The spec of ``question`` in a sidecar beside the notebook (the kernel's cwd), or None.

    ``SealAnswerKeys`` writes ``.<notebook>.checks.json`` at release: the sealed key, ``items``,
    ``title`` and ``choices`` of each test cell (a lab's public ``cases``), which the released
    cell does not show. Only the self-check reads it; the grader takes everything from source/.
    """
    import glob
    import json
    import os

    for path in sorted(glob.glob(os.path.join(glob.escape(os.getcwd()), ".*.checks.json"))):
        try:
            if os.path.getsize(path) > _SIDECAR_MAX_BYTES:
                continue
            with open(path, encoding="utf-8") as f:
                spec = json.load(f).get("checks", {}).get(question)
        except (OSError, ValueError, AttributeError):
            continue
        if _type(spec) is _dict:
            return spec
    return None


def _check_form(question, answer, items, title, choices, cases) -> None:
    """Exam mode: say whether the answer has the right form (defined, an allowed value, the
    listed keys, a function that runs), never whether it is right: that is graded later."""
    name = title if _type(title) is _str else "This exercise"
    if _type(answer) is Deferred:
        answer, failed = _evaluate(answer, name)
        if failed:
            not_yet(failed)
            return
    if cases is not None:
        from .function_checks import check_function

        check_function(question, answer, cases, None, title, exam=True)
        return
    try:
        form = _answer_form(answer, items)
        why = _diagnose(answer, form, items, choices)
    except AnswerTypeError as err:
        why = f"{err}."
    except Exception:  # the message is a courtesy: never let it hide the verdict
        why = _GENERIC
    if why != _GENERIC:
        not_yet(f"Not yet. {name}: {why}")
        return
    _print(f"Saved. {name} has the right form; it is marked when graded (exam mode).")


class NotYet(Exception):
    """The error name of a self-check that did not pass (what Validate and JupyterLab show)."""


def not_yet(line: str) -> None:
    """Publish ``line`` as an error output of the running cell, without raising.

    nbgrader's Validate scores a test cell with an error output 0, so a wrong or blank answer
    fails it; the cell's execute reply stays "ok", so Run All does not stop here. IPython's
    ``_showtraceback(etype, value, stb)`` is what it calls itself to publish an error (ipykernel
    sends it on iopub): private, checked in tests/unit/test_private_apis.py. Outside IPython the
    line is printed.
    """
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    show = getattr(shell, "_showtraceback", None)
    if show is None:
        _print(line)
        return
    show(NotYet, NotYet(line), [line])


class Deferred:
    """An answer expression not evaluated yet (made by :class:`DeferCheckAnswers`)."""

    __slots__ = ("thunk",)

    def __init__(self, thunk):
        self.thunk = thunk


def _evaluate(answer: Deferred, name: str):
    """``(value, None)``, or ``(None, message)`` when the expression raised: one line, no traceback."""
    try:
        return answer.thunk(), None
    except NameError as err:
        return None, not_answered_message(name, getattr(err, "name", None))
    except NotImplementedError:
        return None, (
            f"Not yet. {name}: not answered yet (a function it calls still raises "
            "NotImplementedError). Write your function in the cell above in place of "
            "`raise NotImplementedError()`, run it, then run this check again."
        )
    except Exception as err:  # the student's code failed: say how, in one line
        text = _str(err)
        text = text if len(text) <= 200 else text[:197] + "..."
        return None, f"Not yet. {name}: computing the answer raised {_type(err).__name__}: {text}"


#: How the deferred expression is built: found by import, like the grader's report, so a
#: student's own variable called ``Deferred`` cannot break it.
_DEFERRED = 'lambda thunk: __import__("mlops_concepts.checks", fromlist=["Deferred"]).Deferred(thunk)'


class DeferCheckAnswers(ast.NodeTransformer):
    """IPython AST transformer: in a cell that is one ``check("<id>", <expression>, ...)`` call,
    pass a non-trivial ``<expression>`` as a :class:`Deferred`, evaluated inside :func:`check`."""

    def visit_Module(self, node):
        if len(node.body) != 1 or not isinstance(node.body[0], ast.Expr):
            return node
        call = node.body[0].value
        if not (
            isinstance(call, ast.Call)
            and isinstance(call.func, ast.Name)
            and call.func.id == "check"
            and len(call.args) >= 2
            and isinstance(call.args[0], ast.Constant)
            and _type(call.args[0].value) is _str
            and not isinstance(call.args[1], (ast.Name, ast.Constant))
        ):
            return node
        wrap = ast.parse(_DEFERRED, mode="eval").body
        thunk = ast.Lambda(
            args=ast.arguments(posonlyargs=[], args=[], kwonlyargs=[], kw_defaults=[], defaults=[]),
            body=call.args[1],
        )
        call.args[1] = ast.copy_location(ast.Call(func=wrap, args=[thunk], keywords=[]), call.args[1])
        return ast.fix_missing_locations(node)


def install_deferred_answers(shell=None) -> bool:
    """Register :class:`DeferCheckAnswers` in the running IPython (once); False outside IPython."""
    if shell is None:
        ipython = sys.modules.get("IPython")
        shell = ipython.get_ipython() if ipython is not None else None
    transformers = getattr(shell, "ast_transformers", None)
    if transformers is None:
        return False
    if not any(_type(t).__name__ == "DeferCheckAnswers" for t in transformers):
        transformers.append(DeferCheckAnswers())
    return True


def _check_title(source: str):
    """The ``title=`` of the cell's one ``check(...)`` call, or None if it is not a check cell."""
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], ast.Expr):
        return None
    call = tree.body[0].value
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and call.func.id == "check"):
        return None
    for kw in call.keywords:
        if kw.arg == "title" and isinstance(kw.value, ast.Constant) and _type(kw.value.value) is _str:
            return kw.value.value
    first = call.args[0] if call.args else None
    if isinstance(first, ast.Constant) and _type(first.value) is _str:  # a released, short call
        title = (_sidecar(first.value) or {}).get("title")
        if _type(title) is _str:
            return title
    return "This exercise"


def not_answered_message(title: str, name) -> str:
    what = f"`{name}` is not defined" if name else "the answer is not defined"
    return (
        f"Not yet. {title}: not answered yet ({what}). Write your answer in the cell above, "
        "run it, then run this check again."
    )


def _not_answered(shell, etype, value, tb, tb_offset=None):
    """IPython handler for NameError: one line for a self-check cell, the usual traceback else."""
    frames = list(_walk(tb))
    cell = next((i for i, t in enumerate(frames) if t.tb_frame.f_code.co_name == "<module>"), None)
    title = None
    if cell is not None:
        filename = frames[cell].tb_frame.f_code.co_filename
        # Raised in the cell itself (a comprehension in it counts), not in a function it called.
        if all(t.tb_frame.f_code.co_filename == filename for t in frames[cell:]):
            title = _check_title("".join(linecache.getlines(filename)))
    if title is None:
        shell.showtraceback(running_compiled_code=True)
        return None
    message = not_answered_message(title, getattr(value, "name", None))
    # An error (not stderr, not a traceback): Validate and grading still see a failed cell.
    shell._showtraceback(etype, value, [message])
    return None


def _walk(tb):
    while tb is not None:
        yield tb
        tb = tb.tb_next


def install_not_answered_hint(shell=None) -> bool:
    """Register :func:`_not_answered` in the running IPython (once); False outside IPython."""
    if shell is None:
        ipython = sys.modules.get("IPython")  # not imported: not running in IPython
        shell = ipython.get_ipython() if ipython is not None else None
    if shell is None or not hasattr(shell, "set_custom_exc"):
        return False
    if getattr(shell, "custom_exceptions", ()) not in ((), (NameError,)):
        return False  # someone else's handler: leave it alone
    shell.set_custom_exc((NameError,), _not_answered)
    return True


def report_bundle(question: str, answer, items=None) -> dict:
    """The display data that :func:`grade` emits; separate so the grader's tests can build one."""
    try:
        payload = {"id": question, "value": _answer_form(answer, items)}
    except AnswerTypeError as err:
        payload = {"id": question, "error": str(err)}
    except Exception as err:  # a broken answer must still produce a report, not a traceback
        payload = {"id": question, "error": f"the answer could not be read ({type(err).__name__})"}
    return {REPORT_MIME: payload, "text/plain": f"[{question}] answer recorded for grading"}


def grade(question: str, answer, items=None) -> None:
    """Emit the canonical form of ``answer`` for the grader (called by the grader, never authored)."""
    from IPython.display import display

    display(report_bundle(question, answer, items), raw=True)


install_not_answered_hint()
install_deferred_answers()

"""Cheats that try to carry a lab's hidden inputs out to the student (issue 25, item 7).

The hidden inputs of a lab are the same for every student and every term: one student who gets
them into their feedback has them for everyone. Each cheat here wraps every lab function (after
its honest definition) so that, whenever it is called, it writes its arguments, as JSON, out of
the kernel in one more way. The written text always starts with :data:`MARK`, which the cheats'
own source never contains (it is put together at run time), so finding it in anything the
student receives means that something the function wrote got through.

* ``leak-later-cells``: keeps the arguments in a global; cells after the labs print them,
  display them, write them to files and to a widget. The function itself returns the honest
  results, so every item keeps its points.
* ``leak-during-call``: while it is called it prints them, writes them to stderr and to a file
  in its working folder, updates an earlier output by its display id, and shows them in a
  widget; honest results, every item keeps its points.
* ``leak-by-errors``: raises them: in the message of an exception that is no ``Exception``
  (which the grader's call does not catch), or in the name of an exception class of its own
  (which starts with :data:`NAME_MARK`).
* ``leak-by-forged-report``: on its first call, replaces the kernel's report of every later lab
  call with an "error" that carries the hidden inputs of that call.
"""

from __future__ import annotations

import html
import json

from mlops_concepts.contract.exercises import read_check
from mlops_concepts.contract.labs import hidden_cases

from .chapter import Chapter, cell_id

MARK = "LEAKED-HIDDEN-INPUT:"
_MARK_SOURCE = '"LEAKED-" + "HIDDEN-INPUT:"'  # how the cheats spell it: never the mark itself
NAME_MARK = "LEAKED_HIDDEN_INPUT_"  # how leak-by-errors' exception names start

PRELUDE = f"""
import json as _leak_json
from mlops_concepts import labs as _leak_labs
_LEAK_MARK = {_MARK_SOURCE}
_LEAKED = []
# The public examples are not worth leaking (the self-check calls the functions on them, and the
# chapter's cells on parts of them): whatever this cheat writes out is a hidden input.
_LEAK_PUBLIC = set()
for _d, _n in __SPECS__:
    for _c in _leak_labs.cases(_d, _n):
        _LEAK_PUBLIC |= {{_leak_json.dumps(list(_c))}} | {{_leak_json.dumps([_a]) for _a in _c}}
from IPython.display import display as _leak_display
_leak_display({{"text/plain": "a slot for later"}}, raw=True, display_id="leak-slot")
"""

LATER_CELLS = """
for _text in _LEAKED:
    print(_LEAK_MARK + _text)
    _leak_display({"text/plain": _LEAK_MARK + _text, "text/html": "<pre>" + _LEAK_MARK + _text + "</pre>"}, raw=True)
    with open("leaked-later.txt", "a") as _f:
        _f.write(_LEAK_MARK + _text + "\\n")
try:
    import ipywidgets
    if _LEAKED:
        _leak_display(ipywidgets.Textarea(value=_LEAK_MARK + "".join(_LEAKED)))
except Exception:
    pass
_LEAKED
"""

DURING = """
def _leak_now(text):
    import sys
    print(_LEAK_MARK + text)
    print(_LEAK_MARK + text, file=sys.stderr)
    with open("leaked-during.txt", "a") as f:
        f.write(_LEAK_MARK + text + "\\n")
    from IPython.display import update_display
    update_display({"text/plain": _LEAK_MARK + text}, raw=True, display_id="leak-slot")
    try:
        import ipywidgets
        _leak_display(ipywidgets.Text(value=_LEAK_MARK + text))
    except Exception:
        pass
"""

ERRORS = """
class _LeakStop(BaseException):
    pass

def _leak_raise(text):
    if sum(text.encode()) % 2:  # about half the cases each way
        raise _LeakStop(_LEAK_MARK + text)
    name = "LEAKED_" + "HIDDEN_INPUT_" + text.encode().hex()[:120]
    raise type(name, (Exception,), {})(_LEAK_MARK + text)
"""

FORGE = """
def _leak_forge(text):
    import sys
    checks = sys.modules["mlops_concepts.function_checks"]
    def forged(question, function, inputs_json, order):
        return {"id": question, "error": _LEAK_MARK + inputs_json}
    checks.report_payload = forged
"""


def _wrapper(f: str, body: str, honest_result: bool) -> str:
    call = f"_leak_real_{f}(*args)"
    return (
        f"_leak_real_{f} = {f}\n"
        f"def {f}(*args):\n"
        f"    _text = _leak_json.dumps(list(args))\n"
        f"    if _text not in _LEAK_PUBLIC:\n"
        f"        {body}\n"
        f"    return {call if honest_result else 'None'}\n"
    )


LEAKS = {
    # name: (extra prelude, what the wrapper does with _text, cells added at the end)
    "leak-later-cells": ("", "_LEAKED.append(_text)", [LATER_CELLS]),
    "leak-during-call": (DURING, "_leak_now(_text)", []),
    "leak-by-errors": (ERRORS, "_leak_raise(_text)", []),
    "leak-by-forged-report": (FORGE, "_leak_forge(_text)", []),
}

#: The cheats whose functions return the honest results: every item keeps its points.
HONEST_RESULTS = ("leak-later-cells", "leak-during-call")


def build(ch: Chapter, name: str):
    """The notebook of leak cheat ``name`` on chapter ``ch`` (None if the chapter has no lab)."""
    lab = ch.lab_tests()
    if not lab:
        return None
    extra, body, cells_at_end = LEAKS[name]
    texts = {}
    for i, (gid, answer) in enumerate(ch.answers.items()):
        specs = sorted({(ch.tests[t].lab["data"], ch.tests[t].lab.get("count", 3)) for t in lab})
        head = PRELUDE.replace("__SPECS__", repr(specs)) + extra
        texts[gid] = (head if i == 0 else "") + ch.honest(gid) + "\n"
        for f in answer.functions:
            if any(t in lab and ch.tests[t].expr == f for t in answer.tests):
                texts[gid] += _wrapper(f, body, name in HONEST_RESULTS)
    nb = ch.notebook(texts)
    from nbformat.v4 import new_code_cell

    nb.cells.extend(new_code_cell(code) for code in cells_at_end)
    return nb


def hidden_inputs(ch: Chapter) -> list[list]:
    """Every hidden case of the chapter's labs, as the grader makes them from ``source/``."""
    found = []
    for cell in ch.source.cells:
        if cell_id(cell) in ch.lab_tests():
            found += json.loads(hidden_cases(read_check(cell)))
    return found


def is_mark(text: str) -> bool:
    """Whether ``text`` (a needle found) is only one of the cheats' marks, in any escaping."""
    return any(
        text.startswith(mark) or mark in text and len(text) <= len(mark) + 8 for mark in (MARK, NAME_MARK)
    )


def needles(ch: Chapter) -> set[str]:
    """Texts that would show a hidden input: each case and each of its long arguments as JSON and
    as Python writes it, each also as it reads in HTML and inside a notebook's JSON, plus the mark.
    Texts that the public examples or the release also contain are left out (they prove nothing)."""
    from mlops_concepts import labs

    public = json.dumps([list(c) for t in ch.lab_tests() for c in labs.cases(**_public(ch, t))])
    release = json.dumps(ch.release)
    plain = {MARK, NAME_MARK}
    for case in hidden_inputs(ch):
        for value in (case, *case):
            for text in (json.dumps(value), repr(value), repr(tuple(value)) if value is case else ""):
                if len(text) >= 12 and text not in public and text not in release:
                    plain.add(text)
    out = set(plain)
    for text in plain:
        out |= {html.escape(text), html.escape(text, quote=False), json.dumps(text)[1:-1]}
    return out


def _public(ch: Chapter, test_id: str) -> dict:
    spec = ch.tests[test_id].lab
    return {"name": spec["data"], "count": spec.get("count", 3)}

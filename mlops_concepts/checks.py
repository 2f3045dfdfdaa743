"""Self-checks and graded reports for the "Let's practice!" exercises.

Every exercise has locked test cells of this shape (in ``source/``), one call, written once::

    check("q1", why_mlops, key="Monitoring of model performance")

* :func:`check` is the student's self-check. It prints ``Success!`` or ``Not yet.`` and never the
  answer. At release time nbgrader's ``SealAnswerKeys`` preprocessor replaces the plain ``key`` by a
  salted digest, so ``release/`` holds no answer in plain text.
* :func:`grade` decides nothing. While grading, after each test cell, the grader asks the kernel to
  call it (:func:`mlops_concepts.grading.exercises.report_code`, derived from the visible ``check``
  call): it only *emits* the student's answer, in canonical form, as a display output. The grade
  is decided outside the student's kernel by the ``GradeFromReports`` preprocessor, which compares
  that output with the key it reads from ``source/``. The expected answer therefore never enters
  the student's kernel, and an answer object that lies about itself cannot pass: only the exact
  plain value of the right answer produces the right report.

``items`` selects part of a dict or list answer, so one exercise can be split over several small
test cells for partial credit.
"""

from __future__ import annotations

from .answers import AnswerTypeError, canonical, is_digest, matches, restrict, to_json

_str = str
_type = type
_list = list
_dict = dict

#: The MIME type of a graded report. The grader reads only outputs of this type from test cells.
REPORT_MIME = "application/vnd.mlops-concepts.report+json"

_print = print


def _forgive(data):
    """Lower-case and trim every text in canonical data, dict keys included.

    Exercises ask for lower-case strings from a given list; "ML engineer" or " design" is the
    right idea with a slip of the keyboard, and costs nothing to accept. Applied identically to
    the answer and to the key, here and in the grader, so it never makes a wrong answer right.
    """
    if _type(data) is _str:
        return _str.lower(_str.strip(data))
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


def check(question: str, answer, key, items=None) -> None:
    """Say whether ``answer`` is right, without revealing the right answer.

    ``key`` is the right answer (instructor version) or its salted digest (student version).
    Prints only (returns None), so the notebook shows no stray ``True``/``False`` output.
    """
    try:
        form = _answer_form(answer, items)
    except AnswerTypeError as err:
        _print(f"Not yet. {question}: {err}.")
        return
    if is_digest(key):
        ok = matches(form, key)
    else:
        ok = to_json(form) == to_json(_answer_form(key, items))
    _print("Success!" if ok else f"Not yet. {question} is not right yet: check the allowed values "
           "in the question, re-read the lesson and try again.")


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

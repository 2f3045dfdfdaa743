"""Release-time sealing of answer keys (an nbgrader preprocessor for ``generate_assignment``).

Authors write plain answers in ``source/``: ``check("q1", x, key="...")`` (the only statement of
a locked test cell, see :mod:`~mlops_concepts.grading.exercises`) and checkpoints with
``answer=``/``feedback``/``explanation``. This preprocessor rewrites them before nbgrader saves the
cells to the gradebook and writes ``release/``:

* the ``key`` of every ``check`` call becomes a salted digest;
* every checkpoint call becomes its sealed form (``Kind.sealed_arguments``);
* every ``check`` call gets ``title="Exercise 1.2 (b)"`` (from the exercise heading and the part)
  and, when the exercise lists its allowed values, ``choices=[...]``, unless the author wrote them,
  so self-checks name the exercise as students see it and say when a value is not allowed;
* ``show_progress(...)`` becomes ``show_progress(expected=N)``, N the number of checkpoints in the
  notebook: the count is computed, never typed.

It runs *first* in ``GenerateAssignment.preprocessors`` so that the copy of each locked test cell
that nbgrader stores (and restores into submissions at grading time) is the sealed one too: the
plain key never enters a student's kernel, not even while grading.

Salts are pinned to the notebook and the question, so generating twice gives identical files and
the "release is in sync" test can compare bytes.
"""

from __future__ import annotations

import ast
import json

from nbgrader.preprocessors import NbGraderPreprocessor

from ..answers import AnswerTypeError, digest, is_digest, salt_for
from ..checkpoints.sealing import KINDS
from ..checks import answer_form
from . import cells
from .calls import (
    CHECKPOINT_KINDS,
    AuthoringError,
    format_call,
    nested_calls,
    offsets,
    replace_spans,
    strip_magics,
    top_level_calls,
)
from .exercises import exercise_titles, listed_choices, read_check

PROGRESS = "show_progress"


def sealed_check_key(notebook: str, question: str, key, items) -> str:
    """The digest that replaces ``key=`` in ``check(question, ..., key=..., items=...)``."""
    try:
        form = answer_form(key, items)
    except AnswerTypeError as err:
        raise AuthoringError(f"check({question!r}): the key is not a plain value: {err}") from None
    return digest(form, salt_for(notebook, question))


def _seal_checkpoints(source: str) -> str:
    spans = []
    for call in top_level_calls(source, CHECKPOINT_KINDS):
        if "sealed" in call.kwargs:
            continue
        if call.args or not all(call.literal.values()):
            raise AuthoringError(
                f"{call.name}(...) must use keyword arguments with plain literal values only"
            )
        sealed_kwargs = KINDS[call.name].sealed_arguments(**call.kwargs)
        start, end = offsets(source, call.node)
        spans.append((start, end, format_call(call.name, sealed_kwargs)))
    return replace_spans(source, spans)


def _literal(value) -> str:
    return json.dumps(value, ensure_ascii=False)  # a valid Python literal for str and list of str


def _added_keywords(source: str, call, extras: dict) -> list:
    """Spans that add ``keyword=value`` for each of ``extras`` the call does not have yet."""
    missing = {k: v for k, v in extras.items() if v is not None and k not in call.kwargs}
    if not missing:
        return []
    _, end = offsets(source, call.node)
    close = end - 1  # the call's ")"
    before = source[:close]
    line_start = before.rfind("\n") + 1
    if (
        before.endswith(("\n", " ", "\t"))
        and not before[line_start:].strip()
        and before[:line_start].rstrip().endswith(",")
    ):
        text = "".join(f"    {k}={_literal(v)},\n" for k, v in missing.items())  # one per line
        return [(line_start, line_start, text)]
    sep = " " if before.rstrip().endswith(",") else ", "
    text = sep + ", ".join(f"{k}={_literal(v)}" for k, v in missing.items())
    return [(len(before.rstrip()), len(before.rstrip()), text)]


def count_progress(source: str, checkpoints: int) -> str:
    """``show_progress(...)`` calls rewritten as ``show_progress(expected=<checkpoints>)``."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return source
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == PROGRESS:
            start, end = offsets(source, node)
            spans.append((start, end, f"{PROGRESS}(expected={checkpoints})"))
    return replace_spans(source, spans)


def count_checkpoints(nb) -> int:
    return sum(len(top_level_calls(c.source, CHECKPOINT_KINDS)) for c in nb.cells if c.cell_type == "code")


def seal_lab_check(source: str, check, notebook: str, source_nb, title: str | None) -> str:
    """A lab check as released: the hidden seed removed, and one digest per public example.

    The digests are of the instructor's function's results on the public cases (seed 0), so the
    student's self-check can say "right on 3 of 5 examples" and nothing more.
    """
    from ..function_checks import seal_results
    from .labs import expected_outcomes

    call = top_level_calls(source, ("check",))[0]
    public = {k: v for k, v in check.cases.items() if k != "seed"}
    outcomes = expected_outcomes(source_nb, check, seed=0)
    key = seal_results([o["value"] for o in outcomes], salt_for(notebook, check.grade_id))
    start, end = offsets(source, call.kwarg_node("cases"))
    extras = _added_keywords(source, call, {"key": key, "title": title})
    return replace_spans(source, [(start, end, _literal(public)), *extras])


def seal_cell(
    cell, notebook: str, title: str | None = None, choices: list | None = None, source_nb=None
) -> str:
    """The cell's source with every answer key in it sealed (idempotent on sealed code).

    A test cell is validated first (:func:`~mlops_concepts.grading.exercises.read_check`): a
    mistyped question id, a missing key or a stray statement is refused here, naming the cell,
    instead of being found out by a class that all got full marks. ``title`` and ``choices`` are
    added to a check call that has none of its own.
    """
    source = cell.source
    nested = nested_calls(source, ("check", *CHECKPOINT_KINDS))
    if nested:
        raise AuthoringError(
            f"{nested[0]}(...) must be a statement of its own at the top level of the cell "
            f"(not assigned, nested or inside a block), so its answer key can be sealed:\n{source}"
        )
    if cells.is_test(cell):
        check = read_check(cell)
        if check.is_lab:
            if check.key is not None:  # sealed already
                return source
            if source_nb is None:
                raise AuthoringError(
                    f"test cell {check.grade_id!r}: sealing a lab check needs the instructor's notebook"
                )
            return seal_lab_check(source, check, notebook, source_nb, title)
        if is_digest(check.key):
            return source
        call = top_level_calls(source, ("check",))[0]
        start, end = offsets(source, call.kwarg_node("key"))
        sealed = sealed_check_key(notebook, check.grade_id, check.key, check.items)
        extras = _added_keywords(source, call, {"title": title, "choices": choices})
        return replace_spans(source, [(start, end, repr(sealed)), *extras])
    if top_level_calls(source, ("check", "grade")):
        raise AuthoringError(
            "check(...) belongs in a locked, graded test cell of its own (nbgrader: "
            f"'Autograder tests'); this cell is not one:\n{source}"
        )
    return _seal_checkpoints(source)


class SealAnswerKeys(NbGraderPreprocessor):
    """Replace plain answer keys by salted digests and sealed texts in every code cell."""

    def preprocess(self, nb, resources):
        self.notebook = resources["nbgrader"]["notebook"]
        self.titles = exercise_titles(nb)
        self.choices = listed_choices(nb)
        self.checkpoints = count_checkpoints(nb)
        self.source_nb = nb
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            gid = cells.grade_id(cell)
            cell.source = seal_cell(
                cell, self.notebook, self.titles.get(gid), self.choices.get(gid), self.source_nb
            )
            if not cells.is_test(cell):
                cell.source = count_progress(cell.source, self.checkpoints)
            if top_level_calls(cell.source, CHECKPOINT_KINDS):
                # The sealed call is long and says nothing a student needs: show just the widget
                # (JupyterLab's "collapsed input"; the code stays readable on GitHub and in nbviewer).
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        return cell, resources

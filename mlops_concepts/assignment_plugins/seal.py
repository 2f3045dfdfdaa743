"""Release-time sealing of answer keys (an nbgrader preprocessor for ``generate_assignment``).

Authors write plain answers in ``source/``: ``check("q1", x, key="...")`` (the only statement of
a locked test cell, see :mod:`~mlops_concepts.contract.exercises`) and checkpoints with
``answer=``/``feedback``/``explanation``. This preprocessor rewrites them before nbgrader saves the
cells to the gradebook and writes ``release/``:

* every ``check`` call becomes the short ``check("q1_2b", answer)``; what its self-check needs
  goes into the notebook's *sidecar*, the hidden file ``.<notebook>.checks.json`` written beside
  the released notebook (:func:`sidecar`): the ``key`` as a salted digest, ``items``, the
  ``title`` "Exercise 1.2 (b)" (from the exercise heading and the part) and, when the exercise
  lists its allowed values, ``choices``, unless the author wrote them; a lab's public ``cases``
  and one digest per public example. Students read a short call; the grader reads ``source/``;
* every checkpoint call becomes its sealed form (``Kind.sealed_arguments``);
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
from traitlets import Enum

from ..answers import AnswerTypeError, digest, is_digest, salt_for
from ..checkpoints.sealing import KINDS
from ..checks import answer_form
from ..contract import cells
from ..contract.calls import (
    CHECKPOINT_KINDS,
    AuthoringError,
    format_call,
    nested_calls,
    offsets,
    replace_spans,
    strip_magics,
    top_level_calls,
)
from ..contract.exercises import exercise_titles, listed_choices, read_check

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


def lab_spec(check, notebook: str, source_nb, title: str | None) -> dict:
    """What a lab check's self-check needs: the public cases (no hidden seed) and one digest per
    public example, of the instructor's function's results on them (seed 0), so the student's
    self-check can say "right on 3 of 5 examples" and nothing more."""
    from ..contract.labs import expected_outcomes
    from ..function_checks import seal_results

    public = {k: v for k, v in check.cases.items() if k != "seed"}
    outcomes = expected_outcomes(source_nb, check, seed=0)
    key = seal_results([o["value"] for o in outcomes], salt_for(notebook, check.grade_id))
    return _spec(title=check.title or title, key=key, cases=public)


def _spec(**fields) -> dict:
    return {k: v for k, v in fields.items() if v is not None}


def short_call(source: str, check) -> str:
    """The released test cell: ``check("<grade id>", <answer expression>)``, nothing else."""
    call = top_level_calls(source, ("check",))[0]
    start, end = offsets(source, call.node)
    return replace_spans(source, [(start, end, f"check({_literal(check.grade_id)}, {check.answer})")])


def seal_cell(
    cell,
    notebook: str,
    title: str | None = None,
    choices: list | None = None,
    source_nb=None,
    specs: dict | None = None,
) -> str:
    """The cell's source with every answer key in it sealed.

    A test cell is validated first (:func:`~mlops_concepts.contract.exercises.read_check`): a
    mistyped question id, a missing key or a stray statement is refused here, naming the cell,
    instead of being found out by a class that all got full marks. With ``specs`` (a dict), a
    test cell becomes the short call ``check(gid, answer)`` and what its self-check needs (the
    sealed key, items, ``title`` and ``choices``, unless the author wrote them) goes into
    ``specs[gid]``, for the sidecar (:func:`sidecar_name`). Without, they are written into the
    call (the instructor's own tools, and tests).
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
            spec = lab_spec(check, notebook, source_nb, title)
        elif is_digest(check.key):
            return source
        else:
            spec = _spec(
                title=check.title or title,
                key=sealed_check_key(notebook, check.grade_id, check.key, check.items),
                items=check.items,
                choices=check.choices or choices,
            )
        if specs is not None:
            specs[check.grade_id] = spec
            return short_call(source, check)
        return _with_keywords(source, spec)
    if top_level_calls(source, ("check", "grade")):
        raise AuthoringError(
            "check(...) belongs in a locked, graded test cell of its own (nbgrader: "
            f"'Autograder tests'); this cell is not one:\n{source}"
        )
    return _seal_checkpoints(source)


def _with_keywords(source: str, spec: dict) -> str:
    """The check call with ``spec`` written into it: the key replaced, the rest added."""
    call = top_level_calls(source, ("check",))[0]
    spans = []
    for name in ("key", "cases"):
        node = call.kwarg_node(name)
        if node is not None and name in spec:
            start, end = offsets(source, node)
            spans.append((start, end, repr(spec[name]) if name == "key" else _literal(spec[name])))
    rest = {k: v for k, v in spec.items() if k in ("key", "title", "choices") and k not in call.kwargs}
    return replace_spans(source, [*spans, *_added_keywords(source, call, rest)])


#: The sidecar's format version, and the one mode so far: "practice" (keys are digests).
SIDECAR_FORMAT = 1


def sidecar_name(notebook: str) -> str:
    """The hidden file beside a released notebook that holds its self-checks' data."""
    return f".{notebook}.checks.json"


def sidecar(specs: dict, mode: str = "practice") -> bytes:
    """The sidecar's bytes: the same specs give the same bytes (the release is compared)."""
    data = {"format": SIDECAR_FORMAT, "mode": mode, "checks": specs}
    return (json.dumps(data, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode("utf-8")


#: What ships with a release: "practice" (the sidecar holds each self-check's digest: right or
#: wrong at once) or "exam" (no digest of any graded answer: the self-check confirms the form only).
MODES = ("practice", "exam")


def for_mode(specs: dict, mode: str) -> dict:
    """The specs as ``mode`` ships them: in exam mode, without any key (digest)."""
    if mode == "practice":
        return specs
    return {gid: {k: v for k, v in spec.items() if k != "key"} for gid, spec in specs.items()}


class SealAnswerKeys(NbGraderPreprocessor):
    """Replace plain answer keys by salted digests and sealed texts in every code cell."""

    mode = Enum(
        list(MODES),
        default_value="practice",
        help="practice: self-checks say right or wrong; exam: they confirm only the answer's form, "
        "and the release carries no digest of a graded answer (docs/grading.md).",
    ).tag(config=True)

    def preprocess(self, nb, resources):
        self.notebook = resources["nbgrader"]["notebook"]
        self.titles = exercise_titles(nb)
        self.choices = listed_choices(nb)
        self.checkpoints = count_checkpoints(nb)
        self.source_nb = nb
        self.specs = {}
        nb, resources = super().preprocess(nb, resources)
        # Written by nbconvert's FilesWriter beside the released notebook; nbgrader releases
        # (and students fetch) the whole folder, and the kernel's cwd is the notebook's folder.
        resources.setdefault("outputs", {})[sidecar_name(self.notebook)] = sidecar(
            for_mode(self.specs, self.mode), self.mode
        )
        return nb, resources

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            gid = cells.grade_id(cell)
            cell.source = seal_cell(
                cell, self.notebook, self.titles.get(gid), self.choices.get(gid), self.source_nb, self.specs
            )
            if not cells.is_test(cell):
                cell.source = count_progress(cell.source, self.checkpoints)
            if top_level_calls(cell.source, CHECKPOINT_KINDS):
                # The sealed call is long and says nothing a student needs: show just the widget
                # (JupyterLab's "collapsed input"; the code stays readable on GitHub and in nbviewer).
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        return cell, resources

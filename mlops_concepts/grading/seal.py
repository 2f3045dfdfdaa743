"""Release-time sealing of answer keys (an nbgrader preprocessor for ``generate_assignment``).

Authors write plain answers in ``source/``: ``check("q1", x, key="...")`` and checkpoints with
``answer=``/``feedback``/``explanation``. This preprocessor rewrites them before nbgrader saves the
cells to the gradebook and writes ``release/``:

* the ``key`` of every ``check`` call becomes a salted digest;
* every checkpoint call becomes its sealed form (``Kind.sealed_arguments``).

It runs *first* in ``GenerateAssignment.preprocessors`` so that the copy of each locked test cell
that nbgrader stores (and restores into submissions at grading time) is the sealed one too: the
plain key never enters a student's kernel, not even while grading.

Salts are pinned to the notebook and the question, so generating twice gives identical files and
the "release is in sync" test can compare bytes.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from ..answers import AnswerTypeError, digest, is_digest, salt_for
from ..checks import answer_form
from .calls import (
    CHECKPOINT_KINDS,
    AuthoringError,
    format_call,
    nested_calls,
    offsets,
    replace_spans,
    top_level_calls,
)


def sealed_check_key(notebook: str, question: str, key, items) -> str:
    """The digest that replaces ``key=`` in ``check(question, ..., key=..., items=...)``."""
    try:
        form = answer_form(key, items)
    except AnswerTypeError as err:
        raise AuthoringError(f"check({question!r}): the key is not a plain value: {err}") from None
    return digest(form, salt_for(notebook, question))


def seal_source(source: str, notebook: str) -> str:
    """Return ``source`` with every answer key in it sealed (idempotent on sealed code)."""
    nested = nested_calls(source, ("check", *CHECKPOINT_KINDS))
    if nested:
        raise AuthoringError(
            f"{nested[0]}(...) must be a statement of its own at the top level of the cell "
            f"(not assigned, nested or inside a block), so its answer key can be sealed:\n{source}"
        )
    spans = []
    for call in top_level_calls(source, ("check",)):
        node = call.kwarg_node("key")
        if node is None:
            raise AuthoringError(f"check() without key= in:\n{source}")
        question = call.args[0] if call.args else call.kwargs.get("question")
        if not isinstance(question, str):
            raise AuthoringError(f"check() needs a literal question id as first argument:\n{source}")
        if not (call.literal["key"] and call.literal.get("items", True)):
            raise AuthoringError(f"check({question!r}): key= and items= must be plain literals")
        if is_digest(call.kwargs["key"]):
            continue
        sealed = sealed_check_key(notebook, question, call.kwargs["key"], call.kwargs.get("items"))
        start, end = offsets(source, node)
        spans.append((start, end, repr(sealed)))

    for call in top_level_calls(source, CHECKPOINT_KINDS):
        if "sealed" in call.kwargs:
            continue
        if call.args or not all(call.literal.values()):
            raise AuthoringError(
                f"{call.name}(...) must use keyword arguments with plain literal values only"
            )
        from .. import checkpoints

        kind = getattr(checkpoints, call.name)
        sealed_kwargs = kind.sealed_arguments(**call.kwargs)
        start, end = offsets(source, call.node)
        spans.append((start, end, format_call(call.name, sealed_kwargs)))
    return replace_spans(source, spans)


class SealAnswerKeys(NbGraderPreprocessor):
    """Replace plain answer keys by salted digests and sealed texts in every code cell."""

    def preprocess(self, nb, resources):
        self.notebook = resources["nbgrader"]["notebook"]
        return super().preprocess(nb, resources)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code":
            cell.source = seal_source(cell.source, self.notebook)
            if top_level_calls(cell.source, CHECKPOINT_KINDS):
                # The sealed call is long and says nothing a student needs: show just the widget
                # (JupyterLab's "collapsed input"; the code stays readable on GitHub and in nbviewer).
                cell.metadata.setdefault("jupyter", {})["source_hidden"] = True
        return cell, resources

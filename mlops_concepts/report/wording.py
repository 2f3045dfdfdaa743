"""Students' answers as they wrote them, and the answers they never touched.

The grader compares canonical answers: lower-cased, trimmed, typographic apostrophes read as '
(:func:`mlops_concepts.checks.answer_form`), and that is the form the autograded notebook records.
To show a wrong answer in the student's own wording, the report reads the string literals of the
student's answer cells (parsed with :mod:`ast`, never run) and maps each canonical text back to
the first literal that reads as it. Answers that differ only by case, spaces or apostrophes are
still counted as one (they are one canonical answer); they are shown as the first student wrote it.
"""

from __future__ import annotations

import ast
import re

from ..checks import answer_form
from ..contract import cells

MAX_SOURCE = 200_000  # characters of one answer cell parsed (a longer one keeps canonical words)
#: The release's answer cells start as "<letter>", "<phase>", ...: such a value is untouched.
PLACEHOLDER = re.compile(r"<[a-z][a-z0-9 _-]{0,40}>")


def is_placeholder(value) -> bool:
    return isinstance(value, str) and PLACEHOLDER.fullmatch(value) is not None


def wording_of(nb) -> dict[str, str]:
    """Canonical text -> the student's text, from the string literals of the answer cells."""
    out: dict[str, str] = {}
    for cell in nb.cells:
        source = cell.get("source", "")
        if cell.get("cell_type") != "code" or not cells.is_answer(cell) or len(source) > MAX_SOURCE:
            continue
        try:
            tree = ast.parse(source)
        except (SyntaxError, ValueError, RecursionError):
            continue  # not Python: the canonical words are shown
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                try:
                    canonical = answer_form(node.value)
                except Exception:  # answer_form refuses nothing a literal holds; be sure
                    continue
                if isinstance(canonical, str):
                    out.setdefault(canonical, node.value.strip())
    return out


def as_written(value, wording: dict[str, str]):
    """``value`` (canonical data) with each text as the student wrote it, when known."""
    if isinstance(value, str):
        return wording.get(value, value)
    if isinstance(value, list):
        return [as_written(v, wording) for v in value]
    if isinstance(value, dict):
        return {as_written(k, wording): as_written(v, wording) for k, v in value.items()}
    return value

"""Find the course's own calls (``check``, ``grade``, checkpoints) in notebook cells.

Both the release step (sealing answer keys) and the grading step (reading the expected answers)
need to read these calls from cell source *without running it*, so this is done with :mod:`ast`
and :func:`ast.literal_eval`: instructor-written literals are data, never code to execute.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

from ..checkpoints.sealing import KINDS

#: The names a checkpoint cell calls (one registry: :data:`mlops_concepts.checkpoints.sealing.KINDS`).
CHECKPOINT_KINDS = tuple(KINDS)


class AuthoringError(ValueError):
    """A source notebook breaks a rule the grading pipeline depends on; the message says which."""


@dataclass
class Call:
    """One top-level call statement ``name(args..., key=value, ...)`` found in a cell."""

    name: str
    args: list  # literal positional args, or the source text of a non-literal one
    kwargs: dict  # keyword -> literal value (or source text when not a literal)
    literal: dict  # keyword -> True when the value is a literal
    node: ast.Call
    statement: ast.stmt

    def kwarg_node(self, keyword: str) -> ast.expr | None:
        for kw in self.node.keywords:
            if kw.arg == keyword:
                return kw.value
        return None


def strip_magics(source: str) -> str:
    """Blank out IPython magics and shell escapes so :func:`ast.parse` can read the rest."""
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines())


def _value(node: ast.expr, source: str):
    try:
        return ast.literal_eval(node), True
    except (ValueError, SyntaxError, TypeError):
        return ast.get_source_segment(source, node), False


def top_level_calls(source: str, names) -> list[Call]:
    """All top-level expression statements in ``source`` that call one of ``names``."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return []
    found = []
    for stmt in tree.body:
        if not (isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call)):
            continue
        call = stmt.value
        if not (isinstance(call.func, ast.Name) and call.func.id in names):
            continue
        args = [_value(a, source)[0] for a in call.args]
        kwargs, literal = {}, {}
        for kw in call.keywords:
            if kw.arg is None:
                raise AuthoringError(f"{call.func.id}(**...) cannot be read before running the cell")
            kwargs[kw.arg], literal[kw.arg] = _value(kw.value, source)
        found.append(Call(call.func.id, args, kwargs, literal, call, stmt))
    return found


def nested_calls(source: str, names) -> list[str]:
    """Names of calls to ``names`` that are NOT top-level statements (so cannot be rewritten)."""
    try:
        tree = ast.parse(strip_magics(source))
    except SyntaxError:
        return []
    top = {id(s.value) for s in tree.body if isinstance(s, ast.Expr)}
    return [
        node.func.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Name)
        and node.func.id in names
        and id(node) not in top
    ]


def offsets(source: str, node: ast.AST) -> tuple[int, int]:
    """Character offsets of ``node`` in ``source`` (ast gives lines and columns)."""
    lines = source.splitlines(keepends=True)
    start = sum(len(line) for line in lines[: node.lineno - 1]) + _col(lines, node.lineno, node.col_offset)
    end = sum(len(line) for line in lines[: node.end_lineno - 1]) + _col(
        lines, node.end_lineno, node.end_col_offset
    )
    return start, end


def _col(lines, lineno, byte_col):
    # ast columns count UTF-8 bytes; convert to characters for non-ASCII lines.
    line = lines[lineno - 1] if lineno - 1 < len(lines) else ""
    return len(line.encode("utf-8")[:byte_col].decode("utf-8", errors="ignore"))


def replace_spans(source: str, spans) -> str:
    """Replace ``(start, end, text)`` spans, applied from the end so offsets stay valid."""
    for start, end, text in sorted(spans, reverse=True):
        source = source[:start] + text + source[end:]
    return source


def format_call(name: str, kwargs: dict, indent: str = "    ") -> str:
    """Write ``name(k=v, ...)`` one argument per line, values as Python literals."""
    body = "".join(f"{indent}{key}={value!r},\n" for key, value in kwargs.items())
    return f"{name}(\n{body})"

"""Read a submitted notebook without trusting it: what can be mended is, with a note saying so.

Bytes that are not UTF-8 and lone surrogates become U+FFFD; JSON nested too deeply, or not a
notebook, is refused; malformed cells and attachments are dropped, invalid metadata reset, outputs
cleared. And a ``timestamp.txt`` that nbgrader could not read is named. Used by staging
(:mod:`.submissions`), which decides what is graded.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id as random_cell_id

from . import cells, folder_scan
from .folder_scan import Note, read_regular
from .untrusted import printable, quoted

_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
MAX_JSON_DEPTH = 64  # a notebook is about 6 deep; deeper JSON crashes recursive readers
MAX_TIMESTAMP_BYTES = 1024
_SURROGATE = re.compile("[\ud800-\udfff]")


def timestamp_problem(data: bytes) -> str | None:
    """Why nbgrader could not use this ``timestamp.txt`` (None: it can)."""
    from nbgrader.utils import parse_utc

    if len(data) > MAX_TIMESTAMP_BYTES:
        return "is too long to be a date"
    try:
        text = data.decode("utf-8").strip()
    except UnicodeDecodeError:
        return "is not UTF-8 text"
    if not text:
        return None  # nbgrader reads an empty timestamp as "no time given"
    try:
        parse_utc(text)
    except Exception:  # dateutil raises ValueError, OverflowError, ...: any of them stops nbgrader
        return "is not a date nbgrader can read"
    return None


class _TooDeep(Exception):
    pass


def _fix_strings(value, depth: int, fixed: list):
    """``value`` with lone surrogates replaced by U+FFFD; raises _TooDeep past MAX_JSON_DEPTH."""
    if depth > MAX_JSON_DEPTH:
        raise _TooDeep
    if isinstance(value, str):
        if _SURROGATE.search(value) is None:
            return value
        fixed.append(1)
        return _SURROGATE.sub("\N{REPLACEMENT CHARACTER}", value)
    if isinstance(value, list):
        return [_fix_strings(v, depth + 1, fixed) for v in value]
    if isinstance(value, dict):
        return {
            _fix_strings(k, depth + 1, fixed): _fix_strings(v, depth + 1, fixed) for k, v in value.items()
        }
    return value


def read_notebook(path: Path, notes: list[Note], shown: str | None = None):
    """Parse a submitted notebook leniently. Returns a NotebookNode, or None with a note."""
    shown = shown or quoted(path.name)
    try:
        raw = read_regular(path, folder_scan.MAX_NOTEBOOK_BYTES)
    except OSError as err:
        notes.append(Note("not graded", f"{shown} could not be read ({printable(err)})"))
        return None
    if not raw.strip():
        notes.append(Note("not graded", f"{shown} is empty"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        notes.append(
            Note(
                "repaired",
                f"{shown} contained bytes that are not UTF-8; "
                "they were replaced by \N{REPLACEMENT CHARACTER}",
            )
        )
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        notes.append(
            Note(
                "not graded",
                f"{shown} is not valid notebook JSON (it may be "
                f"truncated or corrupt): {err.msg} at line {err.lineno}",
            )
        )
        return None
    except RecursionError:
        notes.append(Note("not graded", f"{shown} is JSON nested too deeply to be a notebook"))
        return None
    except ValueError as err:  # e.g. a number too long to convert
        notes.append(Note("not graded", f"{shown} is not valid notebook JSON ({printable(err, 120)})"))
        return None
    fixed: list = []
    try:
        data = _fix_strings(data, 0, fixed)
    except (_TooDeep, RecursionError):
        notes.append(
            Note(
                "not graded",
                f"{shown} is JSON nested over {MAX_JSON_DEPTH} levels deep, too deeply to be a notebook",
            )
        )
        return None
    if fixed:
        notes.append(
            Note(
                "repaired",
                f"{shown} contained {len(fixed)} text(s) with lone "
                "surrogates (half a character); they were replaced by "
                "\N{REPLACEMENT CHARACTER}",
            )
        )
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        notes.append(Note("not graded", f"{shown} is JSON but not a notebook (no cell list)"))
        return None
    return _mend(data, shown, notes)


def _attachments(value, name: str, notes: list[Note]) -> dict | None:
    """The well-formed, non-empty attachments of a cell; the others are dropped with a note."""
    if value is None:
        return None
    if not isinstance(value, dict):
        notes.append(Note("repaired", f"malformed attachments of a cell of {name} were dropped"))
        return None
    kept = {}
    for key, bundle in value.items():
        ok = (
            isinstance(bundle, dict)
            and bundle
            and all(
                isinstance(mime, str)
                and "/" in mime
                and data
                and (
                    isinstance(data, str)
                    or (isinstance(data, list) and all(isinstance(d, str) for d in data))
                )
                for mime, data in bundle.items()
            )
        )
        if ok:
            kept[key] = {
                mime: data if isinstance(data, str) else "".join(data) for mime, data in bundle.items()
            }
        else:
            notes.append(
                Note(
                    "repaired",
                    f"the attachment {quoted(key)} of a cell of {name} was "
                    "malformed or empty and was dropped",
                )
            )
    return kept or None


def _mend(data: dict, name: str, notes: list[Note]):
    cells, dropped = [], 0
    for cell in data["cells"]:
        if not isinstance(cell, dict) or cell.get("cell_type") not in ("code", "markdown", "raw"):
            dropped += 1
            continue
        source = cell.get("source", "")
        if isinstance(source, list):
            source = "".join(s for s in source if isinstance(s, str))
        if not isinstance(source, str):
            dropped += 1
            continue
        metadata = cell.get("metadata") if isinstance(cell.get("metadata"), dict) else {}
        kind = cell["cell_type"]
        new = _fresh_cell(kind, source, metadata)
        if kind != "code":
            attachments = _attachments(cell.get("attachments"), name, notes)
            if attachments:
                new["attachments"] = attachments
        cell_id = cell.get("id")
        if isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id):
            new["id"] = cell_id  # keeps the link to the released cell it came from
        cells.append(new)
    if dropped:
        notes.append(Note("repaired", f"{dropped} malformed cell(s) of {name} were ignored"))
    metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    nb = _notebook(cells, metadata)
    if not _valid(nb):  # find what the schema refuses, and reset only that
        if not _valid(_notebook([], nb.metadata)):
            nb.metadata = {}
            notes.append(Note("repaired", f"the notebook metadata of {name} was invalid and was reset"))
        reset = 0
        for cell in nb.cells:
            if not _valid(_notebook([cell], {})):
                cell.metadata = {}
                reset += 1
        if reset:
            notes.append(
                Note("repaired", f"the metadata of {reset} cell(s) of {name} was invalid and was reset")
            )
    return nb


def _fresh_cell(kind: str, source: str, metadata: dict):
    """A cell as ``nbformat.v4.new_*_cell`` makes it, without checking it against the schema.

    Those check each cell on its own, with a slow validator, and raise on metadata the schema
    refuses; :func:`_mend` checks the whole notebook once, and resets what is invalid instead.
    """
    cell = {"id": random_cell_id(), "cell_type": kind, "metadata": metadata, "source": source}
    if kind == "code":
        cell.update(execution_count=None, outputs=[])
    return nbformat.from_dict(cell)


def _notebook(cells: list, metadata: dict):
    """A notebook as ``nbformat.v4.new_notebook`` makes it, not yet checked (see :func:`_fresh_cell`)."""
    return nbformat.from_dict(
        {"nbformat": 4, "nbformat_minor": nbformat.v4.nbformat_minor, "metadata": metadata, "cells": cells}
    )


def _valid(nb) -> bool:
    try:
        nbformat.validate(nb)
    except (nbformat.ValidationError, RecursionError):
        return False
    return True


def grade_ids(nb) -> set:
    return {gid for gid in map(cells.grade_id, nb.cells) if gid}

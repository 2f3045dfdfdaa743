"""Read what students submitted, without trusting it and without changing it.

Before nbgrader sees a submission, :func:`stage` copies it into a staging folder and repairs what
can be repaired there. The files in ``submitted/`` are only ever read. Every repair and every
refusal is recorded as a :class:`Note`, which the pipeline prints and also puts at the top of the
notebook that gets graded, so the student's feedback says what happened:

* a missing, empty, unreadable, truncated, oversized or too deeply nested notebook is graded as
  the blank release (score 0), with the reason;
* a notebook saved under another name is graded under the expected name;
* any other notebook (JupyterLab's ``<name>-Copy1.ipynb``) is kept as it is, not graded, and
  never costs a grade; :func:`extra_notebooks` names them for the feedback;
* bytes that are not UTF-8 and lone surrogates (half an emoji) are replaced by U+FFFD, and the
  notebook is graded;
* malformed cells and malformed or empty attachments are dropped; outputs are cleared (they are
  recomputed anyway);
* a ``timestamp.txt`` that is not a date is dropped (valid ones are kept);
* nothing that :func:`scan` finds unsafe is read or copied: symbolic links (never followed, even
  when the submission folder itself, or the student's folder, is one), hard links (a file with
  more than one name may be the gradebook or a peer's work), FIFOs, devices and sockets (never
  opened), folders named like notebooks, names with control characters or bytes that are not
  UTF-8, and anything over the size and count limits. So a submission cannot smuggle the
  gradebook, the instructor's notebook or another student's work into its own working folder, nor
  make the grader read ``/dev/urandom`` forever.

:func:`scan` is also what plain ``nbgrader autograde`` runs first (see
:mod:`mlops_concepts.nbgrader_plugins.guard`): the two entry points share one definition of "unsafe".
Every student-chosen name in a note goes through :func:`~mlops_concepts.contract.untrusted.quoted`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
from nbformat.corpus.words import generate_corpus_id as random_cell_id

from . import cells
from .untrusted import printable, quoted

_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_OTHER_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # everything copied from one submission
MAX_ENTRIES = 2000  # files and folders in one submission
MAX_FOLDER_DEPTH = 16
MAX_JSON_DEPTH = 64  # a notebook is about 6 deep; deeper JSON crashes recursive readers
MAX_TIMESTAMP_BYTES = 1024
TIMESTAMP = "timestamp.txt"
_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclass
class Note:
    level: str  # "repaired" or "not graded"
    message: str


@dataclass
class Staged:
    student: str
    notes: list[Note] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)  # notebooks kept, not graded (feedback says so)

    @property
    def graded_as_blank(self) -> bool:
        return any(n.level == "not graded" for n in self.notes)


# -- one look at a submission folder, without following anything --------------------------------


@dataclass
class Scan:
    """What :func:`scan` found: the regular files and folders that are safe to read, and notes."""

    folder: Path
    files: dict[str, int] = field(default_factory=dict)  # relative path -> size
    dirs: list[str] = field(default_factory=list)  # relative paths, parents first
    notes: list[Note] = field(default_factory=list)
    refused: set[str] = field(default_factory=set)  # relative paths left out, with a note

    @property
    def safe(self) -> bool:
        return not self.notes

    def refuse(self, rel: str, message: str, level: str = "repaired") -> None:
        self.refused.add(rel)
        self.notes.append(Note(level, message))


def safe_name(name: str) -> bool:
    """A name shown as it is: valid UTF-8, no control, format or separator character, no ``\\``."""
    try:
        encoded = name.encode("utf-8")
    except UnicodeEncodeError:  # bytes that were not UTF-8 (surrogate-escaped by os.listdir)
        return False
    return 0 < len(encoded) <= 255 and printable(name, limit=255) == name


_KINDS = {
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFSOCK: "a socket",
}


def _kind(mode: int) -> str:
    return _KINDS.get(stat.S_IFMT(mode), "a special file")


def scan(folder: Path, limits: bool = True) -> Scan:
    """Look at ``folder`` (``<student>/<assignment>``) with ``lstat`` only: nothing is followed,
    opened or read. Links, hard links, special files, odd names and (with ``limits``) what is over
    a size or count limit are left out of ``files`` with a note; an empty result with a "not
    graded" note means nothing is usable.
    """
    result = Scan(folder)
    notes = result.notes
    for level, path in (("student", folder.parent), ("submission", folder)):
        try:
            st = os.lstat(path)
        except OSError:
            notes.append(Note("not graded", "the submission folder is missing or unreadable"))
            return result
        if stat.S_ISLNK(st.st_mode):
            result.refuse(
                "",
                f"the {level} folder {quoted(path.name)} is a symbolic link; nothing it points to was read",
                "not graded",
            )
            return result
        if not stat.S_ISDIR(st.st_mode):
            result.refuse(
                "",
                f"the {level} folder {quoted(path.name)} is {_kind(st.st_mode)}, "
                "not a folder; it was not read",
                "not graded",
            )
            return result
    entries = total = 0
    pending = [("", 0)]
    while pending:
        rel_dir, depth = pending.pop(0)
        try:
            with os.scandir(folder / rel_dir if rel_dir else folder) as it:
                children = sorted(it, key=lambda e: e.name)
        except OSError as err:
            notes.append(
                Note(
                    "repaired",
                    f"the folder {quoted(rel_dir or '.')} could not be listed "
                    f"({type(err).__name__}); it was not copied",
                )
            )
            continue
        for entry in children:
            entries += 1
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            shown = quoted(rel)
            if limits and entries > MAX_ENTRIES:
                notes.append(
                    Note(
                        "repaired",
                        f"the submission has over {MAX_ENTRIES} files and "
                        f"folders; {shown} and what follows were not copied",
                    )
                )
                return result
            st = entry.stat(follow_symlinks=False)
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                result.refuse(rel, f"{shown} is a symbolic link; it was not followed or copied")
            elif not (stat.S_ISDIR(mode) or stat.S_ISREG(mode)):
                result.refuse(rel, f"{shown} is {_kind(mode)}; it was not opened or copied")
            elif not safe_name(entry.name):
                result.refuse(
                    rel,
                    f"{shown} has a name with control characters or bytes that "
                    "are not UTF-8; it was not copied",
                )
            elif stat.S_ISDIR(mode):
                if entry.name.endswith(".ipynb"):
                    result.refuse(rel, f"{shown} is a folder named like a notebook; it was ignored")
                elif limits and depth + 1 > MAX_FOLDER_DEPTH:
                    result.refuse(
                        rel, f"{shown} is nested over {MAX_FOLDER_DEPTH} folders deep; it was not copied"
                    )
                else:
                    result.dirs.append(rel)
                    pending.append((rel, depth + 1))
            elif st.st_nlink > 1:
                result.refuse(
                    rel,
                    f"{shown} is a hard link (the same file has another name, "
                    "maybe outside the submission); it was not read or copied",
                )
            else:
                limit = (
                    MAX_NOTEBOOK_BYTES if (not rel_dir and rel.endswith(".ipynb")) else MAX_OTHER_FILE_BYTES
                )
                if not limits:
                    result.files[rel] = st.st_size
                elif st.st_size > limit:
                    result.refuse(
                        rel,
                        f"{shown} is {st.st_size // 2**20} MiB, over the "
                        f"{limit // 2**20} MiB limit; it was not read or copied",
                    )
                elif total + st.st_size > MAX_TOTAL_BYTES:
                    result.refuse(
                        rel, f"the submission is over {MAX_TOTAL_BYTES // 2**20} MiB; {shown} was not copied"
                    )
                else:
                    total += st.st_size
                    result.files[rel] = st.st_size
    return result


def read_regular(path: Path, max_bytes: int) -> bytes:
    """The bytes of ``path`` if it is still a regular file with one name (checked on the open file
    itself, so a file swapped for a link or a FIFO after :func:`scan` is not read)."""
    fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            raise OSError(f"{_kind(st.st_mode)} or a hard link, not read")
        chunks, size = [], 0
        while size <= max_bytes:
            chunk = os.read(fd, min(1 << 20, max_bytes + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
        if size > max_bytes:
            raise OSError(f"over {max_bytes} bytes")
        return b"".join(chunks)
    finally:
        os.close(fd)


def _copy_regular(src: Path, dst: Path, max_bytes: int) -> None:
    data = read_regular(src, max_bytes)
    st = os.lstat(src)
    dst.write_bytes(data)
    os.chmod(dst, (stat.S_IMODE(st.st_mode) & 0o755) | 0o600)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


# -- notebooks and the timestamp ----------------------------------------------------------------


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


def _read_notebook(path: Path, notes: list[Note], shown: str | None = None):
    """Parse a submitted notebook leniently. Returns a NotebookNode, or None with a note."""
    shown = shown or quoted(path.name)
    try:
        raw = read_regular(path, MAX_NOTEBOOK_BYTES)
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


def _grade_ids(nb) -> set:
    return {gid for gid in map(cells.grade_id, nb.cells) if gid}


_MARKDOWN = re.compile(r"([\\`*_{}\[\]()#+\-.!|~])")


def _markdown_text(text: str) -> str:
    """``text`` shown literally in a Markdown cell (no links, emphasis, HTML or maths from it)."""
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("$", "&#36;")
    return _MARKDOWN.sub(r"\\\1", text)


def note_cell(notes: list[Note]):
    lines = ["**Note from the grader.** Your submission was graded, with these remarks:", ""]
    lines += [f"- {n.level}: {_markdown_text(n.message)}" for n in notes]
    lines += ["", "Your submitted files were kept exactly as you sent them."]
    return nbformat.v4.new_markdown_cell("\n".join(lines))


# -- staging -----------------------------------------------------------------------------------


@dataclass
class _Plan:
    """What staging a submission would do: used by :func:`stage` and by :func:`problems`."""

    scan: Scan
    copies: list[str] = field(default_factory=list)  # relative paths of files copied as they are
    notebooks: dict[str, object] = field(default_factory=dict)  # name -> NotebookNode or None
    extras: list[str] = field(default_factory=list)  # notebooks not of the release: kept, not graded


def _plan(submitted: Path, release_notebooks: dict[str, Path]) -> _Plan:
    found = scan(submitted)
    plan = _Plan(found)
    notes = found.notes
    if not found.files and not found.dirs and not notes:
        notes.append(Note("not graded", "the submission folder is empty"))
    candidates: dict[str, str] = {}  # notebook name without .ipynb -> relative path
    for rel in found.files:
        if "/" not in rel and rel.endswith(".ipynb"):
            candidates[rel[: -len(".ipynb")]] = rel
        elif rel == TIMESTAMP:
            try:
                problem = timestamp_problem(read_regular(submitted / rel, MAX_TIMESTAMP_BYTES))
            except OSError:
                problem = "is too long or could not be read"
            if problem:
                notes.append(
                    Note(
                        "repaired",
                        f"{TIMESTAMP} {problem}; it was dropped, so no submission time is recorded",
                    )
                )
            else:
                plan.copies.append(rel)
        else:
            plan.copies.append(rel)

    for name, release_path in release_notebooks.items():
        rel = candidates.pop(name, None)
        if rel is None and candidates:
            # A renamed notebook: take the one that shares the most cells with the release.
            wanted = _grade_ids(nbformat.read(release_path, as_version=4))
            scored = []
            for other, other_rel in candidates.items():
                candidate = _read_notebook(submitted / other_rel, [])
                overlap = len(_grade_ids(candidate) & wanted) if candidate is not None else -1
                scored.append((overlap, other))
            overlap, other = max(scored)
            if overlap > 0:
                rel = candidates.pop(other)
                notes.append(Note("repaired", f"{quoted(rel)} was graded as {name}.ipynb"))
        own_notes: list[Note] = []
        nb = _read_notebook(submitted / rel, own_notes) if rel is not None else None
        if rel is None and (f"{name}.ipynb" in found.refused or "" in found.refused):
            own_notes.append(
                Note("not graded", f"{name}.ipynb was not read (see above), so it counts as missing")
            )
        elif rel is None:
            own_notes.append(Note("not graded", f"{name}.ipynb is missing from the submission"))
        notes.extend(own_notes)
        if nb is None:
            notes.append(Note("not graded", f"{name}.ipynb was graded as the blank release (score 0)"))
        plan.notebooks[name] = nb
    plan.extras = sorted(candidates.values())
    plan.copies.extend(plan.extras)  # other notebooks: kept as they are, not graded
    return plan


def problems(submitted: Path, release_notebooks: dict[str, Path]) -> list[Note]:
    """What :func:`stage` would have to repair or refuse in ``submitted`` (empty: nothing)."""
    return _plan(submitted, release_notebooks).scan.notes


def extra_notebooks(submitted: Path, release_notebooks: dict[str, Path]) -> list[str]:
    """The notebooks of ``submitted`` that are not graded: not named like a notebook of the
    release, nor taken for a renamed one (JupyterLab's *Duplicate* writes ``<name>-Copy1.ipynb``).
    They are kept as they are (nbgrader grades only the release's names) and never cost a grade."""
    return _plan(submitted, release_notebooks).extras


def stage(submitted: Path, staged: Path, release_notebooks: dict[str, Path], student: str) -> Staged:
    """Copy one student's submission folder into ``staged`` (a fresh folder), repairing it there.

    ``release_notebooks`` maps each notebook name of the assignment (without ``.ipynb``) to its
    released version, used to recognise a renamed notebook and to stand in for a missing one.
    Never raises on anything a student can submit: as a last resort the blank release is staged.
    """
    try:
        return _stage(submitted, staged, release_notebooks, student)
    except Exception as err:  # a case no rule above foresaw: the student still gets graded
        return stage_blank(
            staged, release_notebooks, student, f"the submission could not be read ({type(err).__name__})"
        )


def _stage(submitted: Path, staged: Path, release_notebooks: dict[str, Path], student: str) -> Staged:
    plan = _plan(submitted, release_notebooks)
    result = Staged(student, plan.scan.notes, plan.extras)
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True)
    for rel in plan.scan.dirs:
        (staged / rel).mkdir(parents=True, exist_ok=True)
    for rel in plan.copies:
        try:
            _copy_regular(submitted / rel, staged / rel, MAX_NOTEBOOK_BYTES)
        except OSError as err:
            result.notes.append(Note("repaired", f"{quoted(rel)} could not be copied ({printable(err)})"))
    for name, nb in plan.notebooks.items():
        if nb is None:
            nb = nbformat.read(release_notebooks[name], as_version=4)
        if result.notes:
            nb.cells.insert(0, note_cell(result.notes))
        nbformat.write(nb, staged / f"{name}.ipynb")
    # What nbgrader gets must pass the guard of plain nbgrader (guard.py), which the pipeline's
    # nbgrader runs too: a refusal there would stop the class's feedback. Rewriting can make a
    # notebook grow past the limit (a minified one, indented), or add one entry too many.
    left = problems(staged, release_notebooks)
    if left:
        return stage_blank(
            staged,
            release_notebooks,
            student,
            "the repaired submission still could not be graded: " + "; ".join(n.message for n in left[:3]),
        )
    return result


def stage_blank(staged: Path, release_notebooks: dict[str, Path], student: str, reason: str) -> Staged:
    """Stage the blank release in place of a submission that could not be staged at all."""
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True, exist_ok=True)
    result = Staged(
        student, [Note("not graded", reason), Note("not graded", "graded as the blank release (score 0)")]
    )
    for name, release_path in release_notebooks.items():
        nb = nbformat.read(release_path, as_version=4)
        nb.cells.insert(0, note_cell(result.notes))
        nbformat.write(nb, staged / f"{name}.ipynb")
    return result


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (links not followed): proof that grading changed nothing."""
    import hashlib

    prints = {}
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            path = Path(root, name)
            mode = os.lstat(path).st_mode
            if stat.S_ISLNK(mode):
                prints[str(path.relative_to(folder))] = "link:" + os.readlink(path)
            elif not stat.S_ISREG(mode):  # a FIFO or a device: never opened
                prints[str(path.relative_to(folder))] = f"special:{stat.S_IFMT(mode):o}"
            else:
                prints[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints

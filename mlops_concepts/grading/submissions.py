"""Read what students submitted, without trusting it and without changing it.

Before nbgrader sees a submission, :func:`stage` copies it into a staging folder and repairs what
can be repaired there. The files in ``submitted/`` are only ever read. Every repair and every
refusal is recorded as a :class:`Note`, which the pipeline prints and also puts at the top of the
notebook that gets graded, so the student's feedback says what happened:

* a missing, empty, unreadable, truncated or oversized notebook is graded as the blank release
  (score 0), with the reason;
* a notebook saved under another name is graded under the expected name;
* bytes that are not UTF-8 are replaced, and the notebook is graded;
* malformed cells are dropped or mended; outputs are cleared (they are recomputed anyway);
* symbolic links, oversized files and special files are not copied, so a submission cannot smuggle
  the gradebook or another student's folder into its own working folder.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

_CELL_ID = re.compile(r"[a-zA-Z0-9_-]{1,64}")
MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_OTHER_FILE_BYTES = 10 * 1024 * 1024


@dataclass
class Note:
    level: str  # "repaired" or "not graded"
    message: str


@dataclass
class Staged:
    student: str
    notes: list[Note] = field(default_factory=list)

    @property
    def graded_as_blank(self) -> bool:
        return any(n.level == "not graded" for n in self.notes)


def _read_notebook(path: Path, notes: list[Note]):
    """Parse a submitted notebook leniently. Returns a NotebookNode, or None with a note."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        notes.append(Note("not graded", f"{path.name} is {size // 2**20} MiB, over the "
                                        f"{MAX_NOTEBOOK_BYTES // 2**20} MiB limit"))
        return None
    raw = path.read_bytes()
    if not raw.strip():
        notes.append(Note("not graded", f"{path.name} is empty"))
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("utf-8", errors="replace")
        notes.append(Note("repaired", f"{path.name} contained bytes that are not UTF-8; "
                                      "they were replaced by \N{REPLACEMENT CHARACTER}"))
    try:
        data = json.loads(text)
    except json.JSONDecodeError as err:
        notes.append(Note("not graded", f"{path.name} is not valid notebook JSON (it may be "
                                        f"truncated or corrupt): {err.msg} at line {err.lineno}"))
        return None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        notes.append(Note("not graded", f"{path.name} is JSON but not a notebook (no cell list)"))
        return None
    return _mend(data, path.name, notes)


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
        if kind == "code":
            new = nbformat.v4.new_code_cell(source, metadata=metadata)
        elif kind == "markdown":
            new = nbformat.v4.new_markdown_cell(source, metadata=metadata)
            if isinstance(cell.get("attachments"), dict):
                new["attachments"] = cell["attachments"]
        else:
            new = nbformat.v4.new_raw_cell(source, metadata=metadata)
        cell_id = cell.get("id")
        if isinstance(cell_id, str) and _CELL_ID.fullmatch(cell_id):
            new["id"] = cell_id  # keeps the link to the released cell it came from
        cells.append(new)
    if dropped:
        notes.append(Note("repaired", f"{dropped} malformed cell(s) of {name} were ignored"))
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata = data.get("metadata") if isinstance(data.get("metadata"), dict) else {}
    try:
        nbformat.validate(nb)
    except nbformat.ValidationError:
        nb.metadata = {}
        notes.append(Note("repaired", f"the notebook metadata of {name} was invalid and was reset"))
    return nb


def _grade_ids(nb) -> set:
    return {c.get("metadata", {}).get("nbgrader", {}).get("grade_id") for c in nb.cells} - {None}


def _note_cell(notes: list[Note]):
    lines = ["**Note from the grader.** Your submission was graded, with these remarks:", ""]
    lines += [f"- {n.level}: {n.message}" for n in notes]
    lines += ["", "Your submitted files were kept exactly as you sent them."]
    return nbformat.v4.new_markdown_cell("\n".join(lines))


def stage(submitted: Path, staged: Path, release_notebooks: dict[str, Path], student: str) -> Staged:
    """Copy one student's submission folder into ``staged`` (a fresh folder), repairing it there.

    ``release_notebooks`` maps each notebook name of the assignment (without ``.ipynb``) to its
    released version, used to recognise a renamed notebook and to stand in for a missing one.
    """
    result = Staged(student)
    notes = result.notes
    staged.mkdir(parents=True, exist_ok=True)
    entries = sorted(submitted.iterdir()) if submitted.is_dir() else []
    if not entries:
        notes.append(Note("not graded", "the submission folder is empty"))

    notebooks: dict[str, Path] = {}
    for entry in entries:
        if entry.is_symlink():
            notes.append(Note("repaired", f"{entry.name} is a symbolic link and was not copied"))
        elif entry.is_dir():
            _copy_tree(entry, staged / entry.name, notes)
        elif not entry.is_file():
            notes.append(Note("repaired", f"{entry.name} is not a regular file and was not copied"))
        elif entry.suffix == ".ipynb":
            notebooks[entry.stem] = entry
        elif entry.stat().st_size > MAX_OTHER_FILE_BYTES:
            notes.append(Note("repaired", f"{entry.name} is over {MAX_OTHER_FILE_BYTES // 2**20} MiB "
                                          "and was not copied"))
        else:
            shutil.copy2(entry, staged / entry.name)

    for name, release_path in release_notebooks.items():
        release = nbformat.read(release_path, as_version=4)
        path = notebooks.pop(name, None)
        if path is None and notebooks:
            # A renamed notebook: take the one that shares the most cells with the release.
            wanted = _grade_ids(release)
            scored = []
            for other, other_path in notebooks.items():
                candidate = _read_notebook(other_path, [])
                overlap = len(_grade_ids(candidate) & wanted) if candidate is not None else -1
                scored.append((overlap, other))
            overlap, other = max(scored)
            if overlap > 0:
                path = notebooks.pop(other)
                notes.append(Note("repaired", f"{path.name} was graded as {name}.ipynb"))
        own_notes: list[Note] = []
        nb = _read_notebook(path, own_notes) if path is not None else None
        if path is None:
            own_notes.append(Note("not graded", f"{name}.ipynb is missing from the submission"))
        notes.extend(own_notes)
        if nb is None:
            nb = release
            notes.append(Note("not graded", f"{name}.ipynb was graded as the blank release (score 0)"))
        if notes:
            nb.cells.insert(0, _note_cell(notes))
        nbformat.write(nb, staged / f"{name}.ipynb")
    for leftover in notebooks.values():
        shutil.copy2(leftover, staged / leftover.name)
    return result


def stage_blank(staged: Path, release_notebooks: dict[str, Path], student: str, reason: str) -> Staged:
    """Stage the blank release in place of a submission that could not be staged at all."""
    shutil.rmtree(staged, ignore_errors=True)
    staged.mkdir(parents=True, exist_ok=True)
    result = Staged(student, [Note("not graded", reason),
                              Note("not graded", "graded as the blank release (score 0)")])
    for name, release_path in release_notebooks.items():
        nb = nbformat.read(release_path, as_version=4)
        nb.cells.insert(0, _note_cell(result.notes))
        nbformat.write(nb, staged / f"{name}.ipynb")
    return result


def _copy_tree(src: Path, dst: Path, notes: list[Note]) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for entry in sorted(src.iterdir()):
        if entry.is_symlink() or not (entry.is_file() or entry.is_dir()):
            notes.append(Note("repaired", f"{entry} is a link or special file and was not copied"))
        elif entry.is_dir():
            _copy_tree(entry, dst / entry.name, notes)
        elif entry.stat().st_size > MAX_OTHER_FILE_BYTES:
            notes.append(Note("repaired", f"{entry.name} is too large and was not copied"))
        else:
            shutil.copy2(entry, dst / entry.name)


def fingerprint(folder: Path) -> dict[str, str]:
    """SHA-256 of every file under ``folder`` (links not followed): proof that grading changed nothing."""
    import hashlib

    prints = {}
    for root, _dirs, files in os.walk(folder):
        for name in sorted(files):
            path = Path(root, name)
            if path.is_symlink():
                prints[str(path.relative_to(folder))] = "link:" + os.readlink(path)
            else:
                prints[str(path.relative_to(folder))] = hashlib.sha256(path.read_bytes()).hexdigest()
    return prints

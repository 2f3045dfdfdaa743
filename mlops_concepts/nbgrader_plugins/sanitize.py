"""Put a submitted notebook back into the shape of the released one before it is graded.

A student controls every byte of the notebook they submit: they can delete, copy, move or retype
the locked test cells, edit their nbgrader metadata, or paste a test cell above its answer.
nbgrader's own defences (``OverwriteCells``, ``DeduplicateIds``, ``add_missing_cells``) each cover
part of this, and a combination of them can crash the grading of that student (for example, a
deleted answer cell *and* its test cell). ``RebuildFromRelease`` instead rebuilds the notebook from
the released one, taking from the submission only what the student owns:

* every cell of the release, in release order, with the release's cell type and nbgrader
  metadata; locked cells keep the release's source (nbgrader's ``OverwriteCells`` then restores
  the hidden tests from the gradebook);
* the student's text of each answer cell (the first cell carrying that answer's id; if none
  does, a cell of the same type whose notebook cell id is the answer cell's, so an answer whose
  nbgrader metadata the student edited is still theirs, and still in its place);
* the student's own extra cells, after the release cell they followed, with any nbgrader metadata
  removed so they can neither score nor pose as a test. Oversized attachments are dropped.

Extra cells are bounded: past ``max_extra_cells`` cells or ``max_extra_bytes`` of source, the rest
are dropped and a note says so, so ten thousand pasted cells cannot make one notebook take the
grader's time and memory.
"""

from __future__ import annotations

import copy
import os
import re

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer

from ..contract import cells as kinds
from ..contract.calls import AuthoringError
from ..contract.coursedir import notebook_path

_grade_id = kinds.grade_id
MAX_EXTRA_CELLS = 200
MAX_EXTRA_BYTES = 2_000_000


_ATTACHMENT_REF = re.compile(r"attachment:([^\s)\"'>]+)")


def _fit_attachments(cell, max_bytes: int, log=None) -> None:
    """Keep a cell's attachments if small enough, and defuse references to any it lacks.

    nbconvert refuses to render a Markdown cell that refers to a missing attachment, which would
    cost the student their feedback; such references become inert text instead.
    """
    attachments = cell.get("attachments")
    if attachments is not None and (not isinstance(attachments, dict) or len(str(attachments)) > max_bytes):
        if log:
            log.warning("Dropping %d bytes of attachments", len(str(attachments)))
        del cell["attachments"]
    present = set(cell.get("attachments") or {})
    cell["source"] = _ATTACHMENT_REF.sub(
        lambda m: m.group(0) if m.group(1) in present else f"removed-attachment:{m.group(1)}",
        kinds.text_of(cell.get("source")),
    )


def rebuild(
    release,
    submitted,
    max_attachment_bytes: int = 1_000_000,
    log=None,
    max_extra_cells: int = MAX_EXTRA_CELLS,
    max_extra_bytes: int = MAX_EXTRA_BYTES,
):
    """Merge the student's answers and extra cells into a copy of ``release``."""
    release_ids = [_grade_id(c) for c in release.cells]
    known = {g for g in release_ids if g}
    # Cells of the release that nbgrader does not track (lesson text): recognised by cell id and
    # unchanged text, so they are not mistaken for the student's own cells and doubled.
    untracked = {c.get("id"): kinds.text_of(c.get("source")) for c in release.cells if not _grade_id(c)}
    answers = {}
    extras_after = {}  # release grade id (or None for "before everything") -> [cells]
    previous = None
    kept = kept_bytes = dropped = 0
    for cell in submitted.cells:
        gid = _grade_id(cell)
        if gid in known:
            if gid not in answers:
                answers[gid] = cell
                previous = gid
                continue
            if log:
                log.warning("Dropping a copy of cell %r", gid)
            continue
        if cell.get("id") in untracked and kinds.text_of(cell.get("source")) == untracked[cell.get("id")]:
            continue
        extra = copy.deepcopy(cell)
        extra.get("metadata", {}).pop("nbgrader", None)
        if extra.get("cell_type") == "markdown":
            _fit_attachments(extra, max_attachment_bytes, log)
        else:
            extra.pop("attachments", None)
            extra["source"] = kinds.text_of(extra.get("source"))
        if extra.get("cell_type") not in ("code", "markdown", "raw"):
            continue
        size = len(extra["source"]) + len(str(extra.get("attachments") or ""))
        if kept >= max_extra_cells or kept_bytes + size > max_extra_bytes:
            dropped += 1
            continue
        kept, kept_bytes = kept + 1, kept_bytes + size
        extras_after.setdefault(previous, []).append(extra)

    # An answer cell whose nbgrader metadata was edited (a renamed grade id) is still the
    # student's answer: found by its notebook cell id, if no cell carries the answer's grade id.
    for cell in release.cells:
        gid = _grade_id(cell)
        if not (gid and kinds.is_answer(cell)) or gid in answers or not cell.get("id"):
            continue
        for group in extras_after.values():
            found = next(
                (
                    e
                    for e in group
                    if e.get("id") == cell.get("id") and e.get("cell_type") == cell.get("cell_type")
                ),
                None,
            )
            if found is not None:
                group.remove(found)
                answers[gid] = found
                break

    cells = list(extras_after.get(None, []))
    for cell in release.cells:
        gid = _grade_id(cell)
        new = copy.deepcopy(cell)
        if gid and kinds.is_answer(cell) and gid in answers:
            new["source"] = kinds.text_of(answers[gid].get("source"))
            if new.get("cell_type") == "markdown":  # a written answer may carry an image
                if isinstance(answers[gid].get("attachments"), dict):
                    new["attachments"] = copy.deepcopy(answers[gid]["attachments"])
                _fit_attachments(new, max_attachment_bytes, log)
        cells.append(new)
        if gid:
            cells.extend(extras_after.get(gid, []))
    if dropped:
        if log:
            log.warning("Dropping %d extra cells over the limit", dropped)
        cells.insert(
            0,
            nbformat.v4.new_markdown_cell(
                f"**Note from the grader.** {dropped} of your own extra cells were not graded: a "
                f"notebook may add at most {max_extra_cells} cells and {max_extra_bytes // 1_000_000} MB "
                "of text to the assignment."
            ),
        )
    result = copy.deepcopy(release)
    result.cells = cells
    return result


class RebuildFromRelease(NbGraderPreprocessor):
    """Sanitizing step for ``autograde``: see the module docstring."""

    max_attachment_bytes = Integer(1_000_000, help="Larger attachments of extra cells are dropped.").tag(
        config=True
    )
    max_extra_cells = Integer(MAX_EXTRA_CELLS, help="Extra cells kept per notebook.").tag(config=True)
    max_extra_bytes = Integer(MAX_EXTRA_BYTES, help="Source text of extra cells kept per notebook.").tag(
        config=True
    )

    def preprocess(self, nb, resources):
        path = notebook_path(self, "release", resources)
        if not os.path.exists(path):
            raise AuthoringError(
                f"cannot grade: the released notebook {path} is missing; "
                "run nbgrader generate_assignment first"
            )
        release = nbformat.read(path, as_version=4)
        return rebuild(
            release, nb, self.max_attachment_bytes, self.log, self.max_extra_cells, self.max_extra_bytes
        ), resources

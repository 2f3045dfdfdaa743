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
* nothing that :func:`.folder_scan.scan` finds unsafe is read or copied: symbolic links (never followed, even
  when the submission folder itself, or the student's folder, is one), hard links (a file with
  more than one name may be the gradebook or a peer's work), FIFOs, devices and sockets (never
  opened), folders named like notebooks, names with control characters or bytes that are not
  UTF-8, and anything over the size and count limits. So a submission cannot smuggle the
  gradebook, the instructor's notebook or another student's work into its own working folder, nor
  make the grader read ``/dev/urandom`` forever.

Reading is split by concern: :mod:`.folder_scan` looks at the folder without following anything,
:mod:`.notebook_repair` reads and mends one notebook, and this module decides what is graded.
:func:`.folder_scan.scan` is also what plain ``nbgrader autograde`` runs first (see
:mod:`mlops_concepts.nbgrader_plugins.guard`): the two entry points share one definition of "unsafe".
Every student-chosen name in a note goes through :func:`~mlops_concepts.contract.untrusted.quoted`.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from . import folder_scan
from .folder_scan import Note, Scan, copy_regular, read_regular, scan
from .notebook_repair import MAX_TIMESTAMP_BYTES, grade_ids, read_notebook, timestamp_problem
from .untrusted import printable, quoted

TIMESTAMP = "timestamp.txt"


@dataclass
@dataclass
class Staged:
    student: str
    notes: list[Note] = field(default_factory=list)
    extras: list[str] = field(default_factory=list)  # notebooks kept, not graded (feedback says so)

    @property
    def graded_as_blank(self) -> bool:
        return any(n.level == "not graded" for n in self.notes)


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
            wanted = grade_ids(nbformat.read(release_path, as_version=4))
            scored = []
            for other, other_rel in candidates.items():
                candidate = read_notebook(submitted / other_rel, [])
                overlap = len(grade_ids(candidate) & wanted) if candidate is not None else -1
                scored.append((overlap, other))
            overlap, other = max(scored)
            if overlap > 0:
                rel = candidates.pop(other)
                notes.append(Note("repaired", f"{quoted(rel)} was graded as {name}.ipynb"))
        own_notes: list[Note] = []
        nb = read_notebook(submitted / rel, own_notes) if rel is not None else None
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
            copy_regular(submitted / rel, staged / rel, folder_scan.MAX_NOTEBOOK_BYTES)
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

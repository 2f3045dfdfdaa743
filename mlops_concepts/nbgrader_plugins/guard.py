"""Plain ``nbgrader autograde`` and ``generate_feedback`` refuse what they cannot handle safely.

nbgrader copies every file of a submission with :func:`shutil.copy`, following links, and reads
every notebook as it is: a link to the gradebook or to the instructor's notebook is copied into
``autograded/`` and then ``feedback/``, a link to ``/dev/urandom`` fills the disk, a FIFO hangs
the run, and a malformed ``timestamp.txt`` or notebook ends the student "not graded".
``mlops-concepts grade`` first stages every submission (:func:`..submissions.stage`), so nbgrader
only ever sees clean copies. The hooks below, set in ``nbgrader_config.py`` as the
``pre_convert_hook`` of ``Autograde`` and ``GenerateFeedback``, run before nbgrader copies or reads
anything of a student, and make the plain commands refuse any folder that staging would have had
to change, naming the safe command.

nbgrader catches every :class:`Exception` a hook raises (and only logs it), so the refusal is a
:class:`SystemExit`: the nbgrader command stops at that student with status 1 and the message,
before anything of that student is copied. Students it processed before are graded as usual.
(The Formgrader runs nbgrader inside the Jupyter server, catching everything: it shows the message as
the error of that one student.)

For ``autograde`` this hook is the second line: :class:`.admission.GuardedAutograde` already
refuses such a folder by name before nbgrader starts, and grades the rest of the class. The hook
still stops the command if a folder changed after that check.
"""

from __future__ import annotations

from pathlib import Path

from ..contract import cells
from ..contract.folder_scan import Note, scan
from ..contract.submissions import problems
from ..contract.untrusted import quoted

SAFE_COMMAND = "mlops-concepts grade {assignment}"


class SubmissionRefused(SystemExit):
    """Stops the nbgrader command (nbgrader's converters swallow any ``Exception`` of a hook)."""


def _refuse(what: str, folder: Path, notes, assignment: str) -> None:
    details = "; ".join(f"{n.level}: {n.message}" for n in notes[:5])
    more = f" (and {len(notes) - 5} more)" if len(notes) > 5 else ""
    command = SAFE_COMMAND.format(assignment=assignment)
    message = (
        f"REFUSED: nbgrader {what} of student {quoted(folder.parent.name)}, assignment "
        f"{quoted(assignment)}: this folder is not safe to grade as it is ({details}{more}). "
        f"Nothing of this student was copied or graded. Grade the class with "
        f"`{command}`, which stages every submission safely first (see README.md)."
    )
    raise SubmissionRefused(message)  # Python prints it; the Formgrader shows it as the error


def _folder(notebooks) -> Path | None:
    # nbgrader runs the hook from the course directory, with the notebooks of one student.
    return Path(notebooks[0]).absolute().parent if notebooks else None


def refuse_unstaged(assignment=None, student=None, notebooks=(), **_):
    """``Autograde.pre_convert_hook``: refuse a submission that :func:`stage` would change."""
    folder = _folder(notebooks)
    if folder is None:
        return
    release = Path.cwd() / "release" / folder.name
    release_notebooks = {p.stem: p for p in sorted(release.glob("*.ipynb"))}
    notes = problems(folder, release_notebooks)
    if notes:
        _refuse("autograde", folder, notes, folder.name)


def refuse_unsafe_autograded(assignment=None, student=None, notebooks=(), **_):
    """``GenerateFeedback.pre_convert_hook``: refuse an ``autograded/`` folder holding links,
    hard links, special files or odd names (left there by an older, unguarded autograde), or a
    notebook that was never run (an ``autograde`` stopped in the middle of this student)."""
    folder = _folder(notebooks)
    if folder is None:
        return
    notes = scan(folder, limits=False).notes  # nbgrader wrote these files: only kinds and names
    if not notes:
        notes = [
            Note(
                "not graded",
                f"{quoted(Path(n).name)} was never run: the autograde of this "
                "student stopped before it ran the notebook",
            )
            for n in notebooks
            if not cells.was_run(Path(n))
        ]
    if notes:
        _refuse("generate_feedback", folder, notes, folder.name)

"""Plain ``nbgrader autograde`` decides, before it grades anyone, whom it may grade.

nbgrader swallows every exception of a ``pre_convert_hook`` (it only logs it), so a hook can let a
student through or stop the whole command (``SystemExit``), never skip one student: one corrupt
submission used to leave every later student ungraded. And a student folder whose name nbgrader
cannot parse back (a newline in it) stopped the command before it graded anybody.

:class:`GuardedAutograde` is nbgrader's ``Autograde`` converter with one step added: after
nbgrader has listed the submissions, and before it copies or reads any of them, each one is
checked with the course's rules,

* the student id (:func:`.identity.refusal`: the pattern, and the roster when the course sets
  ``c.StudentIds.roster_only``), and
* the folder (:func:`.submissions.problems`: what ``mlops-concepts grade`` would have to repair by
  staging it: links, special files, odd names, malformed notebooks or timestamps).

A refused submission is left out by name (nothing of it is copied, nothing reaches the gradebook),
the rest of the class is graded, and at the end the command lists each refused one, escaped, with
its reason and what to do, and exits with status 1.

:func:`install` makes ``nbgrader autograde`` (the command, and the Formgrader's "autograde"
button, which runs the same application) use it; ``nbgrader_config.py`` calls it. Before it
lists anyone, it also grades the instructor's solution (the module named by
``GuardedAutograde.solution_check``, :mod:`mlops_concepts.class_grading.preflight` by default) and
refuses the whole run, exit 2, when that does not earn full marks.
"""

from __future__ import annotations

import importlib
import os
import re
import sys
from pathlib import Path

from nbgrader.apps import autogradeapp
from nbgrader.converters import Autograde
from nbgrader.converters.base import NbGraderException
from traitlets import Unicode

from ..contract.identity import StudentIds, refusal, roster
from ..contract.submissions import problems
from ..contract.untrusted import printable, quoted

SAFE_COMMAND = "mlops-concepts grade {assignment}"
MAX_NOTES = 5


class GuardedAutograde(Autograde):
    """``Autograde`` that refuses, by name, the submissions the course will not grade as they are."""

    # Named, not imported: the solution check runs nbgrader itself, so it belongs to the class
    # command's layer, above the plugins (docs/architecture.md); nbgrader names hooks the same way.
    solution_check = Unicode(
        "mlops_concepts.class_grading.preflight",
        help="Module that grades the instructor's solution before anyone (check, relevant_args, "
        "refusal_message, ENV, STUDENT).",
    ).tag(config=True)

    def init_notebooks(self) -> None:
        super().init_notebooks()
        preflight = importlib.import_module(self.solution_check)
        self._preflight(preflight)
        # nbgrader parses (assignment, student) back out of each folder path with ``.*``, which
        # does not match a newline: read them here the same way, but across newlines.
        pattern = re.compile(
            self._format_source("(?P<assignment_id>.*)", "(?P<student_id>.*)", escape=True), re.DOTALL
        )
        ids = StudentIds(parent=self)
        listed = roster(self.coursedir.db_url) if ids.roster_only else None
        if listed is not None and os.environ.get(preflight.ENV) == "solution":
            listed = {*listed, preflight.STUDENT}  # the grader's own check of the solution
        self.refused: dict[str, tuple[str, str, str]] = {}  # path: (student, assignment, reason)
        for path in sorted(self.assignments):
            found = pattern.fullmatch(path)
            student, assignment = (found["student_id"], found["assignment_id"]) if found else (path, "")
            reason = refusal(student, listed) if found else "nbgrader cannot read this folder's name"
            if reason is None:
                reason = self._unsafe(Path(path), assignment)
            if reason:
                self.refused[path] = (student, assignment, reason)
                del self.assignments[path]
                self.log.error(
                    "REFUSED: student %s: %s", quoted(student), printable(reason, 600, backslashes=False)
                )

    def _preflight(self, preflight) -> None:
        """Grade the instructor's solution of each assignment first (``solution_check``): an
        environment that cannot give it full marks would give every student a zero. Skipped in
        the check's own run, and in the batches of ``mlops-concepts grade``, which checked."""
        if os.environ.get(preflight.ENV):
            return
        root = Path(self.coursedir.root)
        args = preflight.relevant_args(sys.argv[1:])
        for assignment in sorted({Path(path).name for path in self.assignments}):
            outcome = preflight.check(root, assignment, self.coursedir.db_url, args)
            if not outcome.ok:
                self.log.error(preflight.refusal_message(assignment, outcome))
                # Before anything of a student is copied; the Formgrader catches it too.
                raise SystemExit(2)

    def _unsafe(self, folder: Path, assignment: str) -> str | None:
        release = Path(self.coursedir.format_path(self.coursedir.release_directory, ".", assignment))
        notes = problems(folder, {p.stem: p for p in sorted(release.glob("*.ipynb"))})
        if not notes:
            return None
        details = "; ".join(f"{n.level}: {n.message}" for n in notes[:MAX_NOTES])
        more = f" (and {len(notes) - MAX_NOTES} more)" if len(notes) > MAX_NOTES else ""
        return f"this folder is not safe to grade as it is ({details}{more})"

    def convert_notebooks(self) -> None:
        try:
            super().convert_notebooks()
        finally:
            # Also when nbgrader itself failed on some student: the list is what the instructor
            # acts on.
            if getattr(self, "refused", None):
                self.log.error(self.summary())
        if getattr(self, "refused", None):
            raise NbGraderException(self.summary())

    def summary(self) -> str:
        lines = [f"{len(self.refused)} submission(s) were refused and not graded (the others went on):"]
        for student, assignment, reason in self.refused.values():
            if reason.startswith("this folder"):
                todo = f"grade it with `{SAFE_COMMAND.format(assignment=printable(assignment))}`"
            else:
                todo = "never graded under this name (see docs/security/identity.md)"
            lines.append(f"  {quoted(student)}: {printable(reason, 600, backslashes=False)}; {todo}")
        return "\n".join(lines)


def install() -> None:
    """Make ``nbgrader autograde`` use :class:`GuardedAutograde`.

    nbgrader's ``AutogradeApp.start`` builds its converter from the name ``Autograde`` in its own
    module, and offers no option to choose another class: rebinding that name is the one way in
    (checked by tests/unit/test_admission.py against the installed nbgrader).
    """
    autogradeapp.Autograde = GuardedAutograde

"""Which student ids the course accepts: one rule wherever an id enters.

An id is whatever a student names a folder in the exchange's inbound (``<id>+<assignment>+<time>``)
or in ``submitted/``, so it is untrusted input. It ends up in the gradebook, in Formgrader pages
(HTML and JavaScript), in CSV files and in terminal lines. Rather than escape it correctly in every
one of those places, ids are refused at the door unless they are plain:

* letters, digits, ``.``, ``_`` and ``-`` only (every JupyterHub user name the local and PAM
  authenticators create passes), ASCII only, so no look-alike characters;
* 1 to :data:`MAX_LENGTH` characters;
* no leading ``-`` (an option to a command) or ``.`` (a hidden file, ``.`` and ``..``);
* never ``+``, which nbgrader uses to separate the parts of an inbound folder name.

When the course sets ``c.StudentIds.roster_only = True`` in ``nbgrader_config.py`` (a course option
that ``new-course`` writes), an id must also be on the roster: nbgrader's own student table in the
gradebook. Without it, every well-formed id is accepted, as plain nbgrader does.

The rule is applied where ids enter: ``mlops-concepts grade`` (:mod:`.pipeline`), plain ``nbgrader
autograde`` (:mod:`.admission`), the merge into the course gradebook (:mod:`.gradebooks`) and
``nbgrader collect`` (:mod:`.exchange`).

A refused id is listed for the instructor through :func:`~mlops_concepts.contract.untrusted.quoted`,
and never reaches the gradebook or any page.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from traitlets import Bool
from traitlets.config import Configurable

MAX_LENGTH = 64

_WELL_FORMED = re.compile(r"[A-Za-z0-9_][A-Za-z0-9._-]*")


def problem_with(student_id: object) -> str | None:
    """Why ``student_id`` is refused by the pattern, or None when it is well formed."""
    if not isinstance(student_id, str):
        return "it is not text"
    if not student_id:
        return "it is empty"
    if len(student_id) > MAX_LENGTH:
        return f"it is longer than {MAX_LENGTH} characters"
    if student_id[0] in "-.":
        return f"it starts with {student_id[0]!r}"
    if "+" in student_id:
        return "it contains '+', which separates the parts of an exchange folder name"
    if not _WELL_FORMED.fullmatch(student_id):
        return "it contains characters other than letters, digits, '.', '_' and '-'"
    return None


def is_well_formed(student_id: object) -> bool:
    return problem_with(student_id) is None


def refusal(student_id: object, roster: Iterable[str] | None = None) -> str | None:
    """Why the course refuses ``student_id``, or None when it accepts it.

    ``roster`` is the set of ids on the course's roster when the course accepts only those (the
    ``roster_only`` option), else None.
    """
    problem = problem_with(student_id)
    if problem:
        return f"not a valid student id: {problem}"
    if roster is not None and student_id not in (roster if isinstance(roster, set) else set(roster)):
        return "not on the course's roster (nbgrader db student add, or import the roster)"
    return None


class StudentIds(Configurable):
    """The course's option for ids: ``c.StudentIds.roster_only`` in ``nbgrader_config.py``."""

    roster_only = Bool(
        False,
        help="Grade only students on the roster (nbgrader's student table: `nbgrader db student "
        "add` or `nbgrader db student import`). Without it, every well-formed id is accepted.",
    ).tag(config=True)


def roster(db_url: str) -> set[str]:
    """The ids in the student table of the gradebook at ``db_url``."""
    from nbgrader.api import Gradebook, Student

    with Gradebook(db_url) as gb:
        return {row[0] for row in gb.db.query(Student.id)}


def refusals(student_ids: Iterable[str], db_url: str, roster_only: bool) -> dict[str, str]:
    """Each refused id of ``student_ids`` with the reason; the gradebook is read only when
    ``roster_only`` and only once."""
    ids = list(student_ids)
    listed = roster(db_url) if roster_only and ids else None
    found = {student: refusal(student, listed) for student in ids}
    return {student: reason for student, reason in found.items() if reason}

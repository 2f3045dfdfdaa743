"""What to tell an instructor who grades before collecting: ``nbgrader collect`` comes first.

``mlops-concepts grade <id>`` grades what is in ``submitted/``, where ``nbgrader collect <id>``
copies the submissions from the exchange's inbound folder. Run before that step, it used to say
"No submissions" and exit 0, as if the class had nothing to grade. :func:`nothing_collected` says
that nothing has been collected, names the command, and counts the students whose submissions
are waiting in the inbound folder (``<student>+<assignment>+<time>[+<random>]``, nbgrader's
names). Nothing there is opened or followed: the names are only listed.
"""

from __future__ import annotations

import fnmatch
import os
from pathlib import Path

from ..contract.coursedir import CourseConfigError, course_config
from ..contract.untrusted import printable

DEFAULT_EXCHANGE = "/srv/nbgrader/exchange"  # nbgrader's Exchange.root when the course sets none


def inbound_folder(root: Path) -> Path | None:
    """The exchange's inbound folder of the course at ``root`` (None: its config does not load)."""
    try:
        config = course_config(root)
    except CourseConfigError:
        return None
    exchange = config.Exchange.get("root", DEFAULT_EXCHANGE)
    course_id = config.CourseDirectory.get("course_id", "")
    if not isinstance(exchange, str) or not isinstance(course_id, str) or not course_id:
        return None
    return Path(exchange) / course_id / "inbound"


def waiting(root: Path, assignment: str) -> int | None:
    """How many students have a submission of ``assignment`` in the inbound folder (None: the
    folder cannot be read). Several submissions of one student count once: collect takes the
    newest."""
    folder = inbound_folder(root)
    if folder is None:
        return None
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0  # nobody has submitted anything yet
    except OSError:
        return None
    pattern = f"*+{glob_escape(assignment)}+*"
    return len({name.split("+")[0] for name in names if fnmatch.fnmatchcase(name, pattern)})


def glob_escape(text: str) -> str:
    """``text`` matched literally by :mod:`fnmatch` (an assignment id with ``[`` or ``*``)."""
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def nothing_collected(root: Path, assignment: str) -> str:
    """The message for a grading run that finds no submission of ``assignment`` in ``submitted/``."""
    shown = printable(assignment)
    command = f"nbgrader collect {shown}"
    count = waiting(root, assignment)
    lead = (
        f"Nothing has been collected for {shown}: {root / 'submitted'} holds no submission of it. "
        "Nothing was graded."
    )
    if count:
        return (
            f"{lead} {count} student(s) have submitted it to the exchange: run `{command}` in "
            f"{root}, then this command again."
        )
    if count == 0:
        return (
            f"{lead} No student has submitted it to the exchange ({inbound_folder(root)}) yet. "
            f"Once they have, run `{command}` in {root}, then this command again."
        )
    return f"{lead} Collect the submissions first: run `{command}` in {root}, then this command again."


def nothing_collected_anywhere(root: Path) -> str:
    """The message for ``mlops-concepts grade`` without ids when ``submitted/`` holds no
    submission of any released chapter."""
    release = root / "release"
    released = sorted(p.name for p in release.iterdir() if p.is_dir()) if release.is_dir() else []
    if not released:
        return f"No chapter has been released in {release}: there is nothing to collect or grade."
    counts = {a: waiting(root, a) for a in released}
    ready = [f"{printable(a)} ({n} student(s))" for a, n in counts.items() if n]
    lead = (
        f"Nothing has been collected: {root / 'submitted'} holds no submission of any released "
        "chapter. Nothing was graded."
    )
    if ready:
        return (
            f"{lead} Waiting in the exchange: {', '.join(ready)}. Run `nbgrader collect <id>` "
            f"for each in {root}, then this command again."
        )
    return (
        f"{lead} Once students have submitted, run `nbgrader collect <id>` in {root}, "
        "then this command again."
    )

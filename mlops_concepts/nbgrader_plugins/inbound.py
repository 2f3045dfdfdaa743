"""Read the exchange's inbound folder: which submissions to collect, and which to skip and why.

Every entry of ``<exchange>/<course>/inbound`` was made by a student, so every part of it is
untrusted: its name (``<id>+<assignment>+<timestamp>[+<random>]``), the id and timestamp in that
name, what kind of file it is and who owns it. nbgrader's collect stops the whole class at the
first name or timestamp it cannot parse, and only warns when a submission named after one student
is owned by another. Here each entry is judged on its own: a bad one is skipped with the reason,
for the instructor to see, and the others are collected.

An entry is collected as student X only when X passes :func:`.identity.refusal` and, when
``check_owner`` is on (nbgrader's ``CollectApp.check_owner``, on by default), it is owned by the
Unix user X or by the user running collect (who could have written it anyway: this is the case
where students are not Unix users of their own, e.g. tests or one shared account).
"""

from __future__ import annotations

import os
import pwd
import stat
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from nbgrader.utils import parse_utc

from ..contract.folder_scan import read_regular
from ..contract.identity import refusal


@dataclass(frozen=True)
class Skipped:
    filename: str
    reason: str


def _owner_refusal(student_id: str, uid: int, me: int) -> str | None:
    if uid == me:
        return None
    try:
        named = pwd.getpwnam(student_id).pw_uid
    except KeyError:
        named = None
    if named == uid:
        return None
    try:
        owner = pwd.getpwuid(uid).pw_name
    except KeyError:
        owner = f"uid {uid}"
    if named is None:
        return f"there is no Unix user of that name, and it is owned by {owner}"
    return f"it is owned by {owner}, not by that student: submitted in someone else's name"


def _parse_time(text: str) -> datetime:
    when = parse_utc(text)  # naive UTC, as nbgrader compares it with the due date
    if not isinstance(when, datetime):
        raise ValueError("not a date")
    return when


def existing_timestamp(folder: str) -> datetime | None:
    """When an already collected submission was made (its ``timestamp.txt``, written by the
    student's submit), or None when that is missing or not a date: then any new one is newer.

    nbgrader's own reader stops the whole collect on a bad one (and crashes on some)."""
    try:
        text = read_regular(os.path.join(folder, "timestamp.txt"), 1000).decode()
        return _parse_time(text.strip())
    except (OSError, ValueError, OverflowError, TypeError, LookupError):
        return None


def judge(inbound: str, filename: str, assignment: str, check_owner: bool, me: int, roster=None):
    """The record nbgrader's collect expects for one inbound entry, or why it is skipped.

    ``roster``: the ids the course accepts, when it accepts only those (``roster_only``).
    """
    parts = filename.split("+")
    if len(parts) not in (3, 4) or parts[1] != assignment or not all(parts[:3]):
        return Skipped(filename, "its name is not <id>+<assignment>+<timestamp>[+<random>]")
    student_id, _, timestamp = parts[:3]
    why = refusal(student_id, roster)
    if why:
        return Skipped(filename, f"the student id is refused: {why}")
    try:
        when = _parse_time(timestamp)
    except (ValueError, OverflowError, TypeError, LookupError):
        return Skipped(filename, "its timestamp is not a date and time")
    try:
        st = os.lstat(os.path.join(inbound, filename))
    except OSError as err:
        return Skipped(filename, f"it cannot be read ({err.strerror})")
    if stat.S_ISLNK(st.st_mode):
        return Skipped(filename, "it is a symbolic link (nothing it points to was read)")
    if not stat.S_ISDIR(st.st_mode):
        return Skipped(filename, "it is not a folder")
    if check_owner:
        why = _owner_refusal(student_id, st.st_uid, me)
        if why:
            return Skipped(filename, why)
    return {"username": student_id, "filename": filename, "timestamp": when}


def read_inbound(inbound: str, assignment: str, student: str = "", check_owner: bool = True, roster=None):
    """(records, skipped) for ``assignment``: every entry whose name mentions it, judged.

    ``student`` (nbgrader's ``--student``) limits both to the entries named after that id.
    """
    me = os.geteuid()
    records, skipped = [], []
    with os.scandir(inbound) as it:
        names = sorted(entry.name for entry in it)
    for filename in names:
        if f"+{assignment}+" not in filename:
            continue  # another assignment's (nbgrader's own pattern: *+<assignment>+*)
        if student and not filename.startswith(f"{student}+{assignment}+"):
            continue
        verdict = judge(inbound, filename, assignment, check_owner, me, roster)
        (skipped if isinstance(verdict, Skipped) else records).append(verdict)
    return records, skipped


def latest(records: list[dict], duedate: datetime | None, before_duedate: bool) -> list[dict]:
    """One record per student: the newest, or with ``before_duedate`` the newest on time (else the
    newest), as nbgrader's collect chooses."""
    by_student = defaultdict(list)
    for record in records:
        by_student[record["username"]].append(record)
    chosen = []
    for group in by_student.values():
        group.sort(key=lambda r: r["timestamp"], reverse=True)
        on_time = [r for r in group if duedate is not None and before_duedate and r["timestamp"] <= duedate]
        chosen.append((on_time or group)[0])
    return chosen

"""The exchange's folders, their owners and modes: create them right, refuse them when wrong.

nbgrader's default exchange is a folder tree every student writes into::

    <root>/                      1777  anyone may create a course folder; the sticky bit stops
                                       anyone but its owner from renaming or deleting one
    <root>/<course>/             0755  the instructor's: nobody else adds, renames or removes
    <root>/<course>/outbound/    0755  released assignments: everyone reads, only the instructor writes
    <root>/<course>/inbound/     3733  students create their submission folder in it but cannot
                                       list it (so cannot find another's); sticky: nobody renames
                                       or deletes another's folder; set-group-id: submissions get
                                       the instructor's group
    <root>/<course>/feedback/    0711  feedback files, found by a secret name: not listable

nbgrader's ``release_assignment`` makes the root 0777 without the sticky bit: any student can then
rename the course folder away and put their own in its place (classmates fetch the attacker's
notebook and submit into the attacker's inbound). Its inbound has no sticky bit either.

:func:`create` makes the tree above (``mlops-concepts exchange-setup``, and the course's
``release_assignment`` / ``release_feedback`` plugins for folders that are missing);
:func:`problems` lists what lets a student replace or read another's folder, each with the
command that fixes it, and :func:`require_safe` refuses an exchange that has any (the course's
``collect`` and ``release`` plugins in ``nbgrader_config.py`` call it before touching anything).

Existing folders are never changed silently: the instructor is told the exact ``chmod``/``chown``.
"""

from __future__ import annotations

import os
import pwd
import shlex
import stat
from dataclasses import dataclass

from ..contract.untrusted import printable

ROOT_MODE = 0o1777
COURSE_MODE = 0o755
OUTBOUND_MODE = 0o755
INBOUND_MODE = 0o3733
FEEDBACK_MODE = 0o711
# nbgrader's groupshared set-up: instructors share a group that may write everywhere.
GROUPSHARED_EXTRA = {"course": 0o2020, "outbound": 0o2020, "inbound": 0o040, "feedback": 0o2060}


class UnsafeExchange(Exception):
    """The exchange lets a student replace or read another's folder; the message says how to fix it."""


@dataclass(frozen=True)
class Problem:
    path: str
    what: str
    fix: str  # one shell command

    def __str__(self) -> str:
        return f"{printable(self.path)}: {self.what}\n    fix: {self.fix}"


def folders(root: str, course_id: str) -> dict[str, str]:
    course = os.path.join(root, course_id)
    return {
        "course": course,
        "outbound": os.path.join(course, "outbound"),
        "inbound": os.path.join(course, "inbound"),
        "feedback": os.path.join(course, "feedback"),
    }


def expected_modes(groupshared: bool = False) -> dict[str, int]:
    modes = {
        "course": COURSE_MODE,
        "outbound": OUTBOUND_MODE,
        "inbound": INBOUND_MODE,
        "feedback": FEEDBACK_MODE,
    }
    if groupshared:
        modes = {k: m | GROUPSHARED_EXTRA[k] for k, m in modes.items()}
    return modes


def _user(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _q(path: str) -> str:
    return printable(shlex.quote(path), limit=1000)


def _ancestors(root: str) -> list[str]:
    """Every folder above ``root``, as written and as resolved: renaming any of them moves the exchange."""
    seen: list[str] = []
    for path in (os.path.abspath(root), os.path.realpath(root)):
        parent = os.path.dirname(path)
        while True:
            if parent not in seen:
                seen.append(parent)
            if parent == os.path.dirname(parent):
                break
            parent = os.path.dirname(parent)
    return seen


def problems(
    root: str, course_id: str, owner: int | None = None, groupshared: bool = False, missing_ok: bool = False
) -> list[Problem]:
    """What lets someone but ``owner`` (default: this process's user) or root replace or read a
    folder of the exchange, each with its fix. Missing course folders are not problems: the
    course's release creates them right."""
    owner = os.geteuid() if owner is None else owner
    trusted = {0, owner}
    who = _user(owner)
    found: list[Problem] = []
    group_ok = 0o020 if groupshared else 0

    for path in _ancestors(root):
        try:
            st = os.lstat(path)
        except OSError:
            continue  # below a missing folder: reported for the root itself
        if stat.S_ISLNK(st.st_mode):
            continue  # a link's own mode means nothing; what it points to is checked too
        if st.st_uid not in trusted:
            found.append(
                Problem(
                    path,
                    f"a folder above the exchange owned by {_user(st.st_uid)}, who could move it",
                    f"chown root {_q(path)}",
                )
            )
        if st.st_mode & 0o022 & ~group_ok and not st.st_mode & stat.S_ISVTX:
            found.append(
                Problem(
                    path,
                    "a folder above the exchange that others can write (no sticky bit): "
                    "they can rename the exchange away",
                    f"chmod go-w {_q(path)}",
                )
            )

    real_root = os.path.realpath(root)
    try:
        st = os.stat(real_root)
    except OSError:
        if missing_ok:
            return found
        return [
            Problem(
                root, "the exchange does not exist", f"mlops-concepts exchange-setup --exchange {_q(root)}"
            )
        ]
    if not stat.S_ISDIR(st.st_mode):
        return [
            Problem(
                root,
                "the exchange is not a folder",
                f"rm {_q(root)} && mlops-concepts exchange-setup --exchange {_q(root)}",
            )
        ]
    if st.st_uid not in trusted:
        found.append(
            Problem(
                real_root,
                f"the exchange is owned by {_user(st.st_uid)}, not by root or {who}",
                f"chown root {_q(real_root)}",
            )
        )
    if st.st_mode & 0o022 and not st.st_mode & stat.S_ISVTX:
        found.append(
            Problem(
                real_root,
                f"mode {stat.S_IMODE(st.st_mode):04o}: "
                "anyone can rename or delete a course folder (no sticky bit)",
                f"chmod {ROOT_MODE:o} {_q(real_root)}",
            )
        )

    modes = expected_modes(groupshared)
    for name, path in folders(real_root, course_id).items():
        try:
            st = os.lstat(path)
        except FileNotFoundError:
            continue
        want = modes[name]
        fix_mode = f"chmod {want:04o} {_q(path)}"
        if stat.S_ISLNK(st.st_mode) or not stat.S_ISDIR(st.st_mode):
            found.append(
                Problem(
                    path,
                    "not a folder (a link or a file someone put there)",
                    f"mv {_q(path)} {_q(path + '.suspect')}",
                )
            )
            continue
        if st.st_uid not in trusted:
            # Someone else made it, e.g. a student before the first release: never reuse it.
            found.append(
                Problem(
                    path,
                    f"owned by {_user(st.st_uid)}, not by {who}: someone else created it",
                    f"mv {_q(path)} {_q(path + '.suspect')}  # then release again",
                )
            )
            continue
        mode = stat.S_IMODE(st.st_mode)
        if mode & 0o022 & ~want:
            found.append(
                Problem(path, f"mode {mode:04o}: others can add, rename or delete what is in it", fix_mode)
            )
        elif name in ("inbound", "feedback") and mode & 0o044 & ~want:
            found.append(
                Problem(path, f"mode {mode:04o}: others can list it and open what they find", fix_mode)
            )
        elif name == "inbound" and not mode & stat.S_ISVTX:
            found.append(
                Problem(
                    path,
                    f"mode {mode:04o}: a student can rename or delete another's submission (no sticky bit)",
                    fix_mode,
                )
            )
    return found


def message(found: list[Problem], root: str) -> str:
    lines = [
        f"Refusing to use the exchange {printable(root)}: a student could replace or read others' folders."
    ]
    lines += [str(p) for p in found]
    lines.append(
        "Or create a new exchange right: mlops-concepts exchange-setup (see docs/security/exchange.md)."
    )
    return "\n".join(lines)


def require_safe(root: str, course_id: str, groupshared: bool = False, missing_ok: bool = False) -> None:
    found = problems(root, course_id, groupshared=groupshared, missing_ok=missing_ok)
    if found:
        raise UnsafeExchange(message(found, root))


def _make(path: str, mode: int, uid: int, gid: int, made: list[str]) -> None:
    try:
        os.mkdir(path, 0o700)  # closed until it has its owner and mode
    except FileExistsError:
        return
    if os.geteuid() == 0 and (uid, gid) != (0, 0):
        os.chown(path, uid, gid)
    os.chmod(path, mode)  # after chown, which clears the set-group-id bit
    made.append(path)


def create(
    root: str, course_id: str, owner: int | None = None, group: int | None = None, groupshared: bool = False
) -> list[str]:
    """Make the exchange's missing folders with the right owner and modes; return those made.

    The root belongs to whoever creates it (root, when an administrator runs this for a shared
    ``/srv/nbgrader/exchange``); the course folders to ``owner`` (default: this process's user).
    Existing folders are left alone: :func:`require_safe` says what is wrong with them.
    """
    owner = os.geteuid() if owner is None else owner
    group = pwd.getpwuid(owner).pw_gid if group is None else group
    made: list[str] = []
    parent = os.path.dirname(os.path.abspath(root))
    os.makedirs(parent, exist_ok=True)
    _make(root, ROOT_MODE, 0, 0, made)  # never chowned: root's when root makes it, else the maker's
    modes = expected_modes(groupshared)
    for name, path in folders(root, course_id).items():
        _make(path, modes[name], owner, group, made)
    return made


def configured_root(course_dir) -> str:
    """The exchange the course's ``nbgrader_config.py`` names (``c.Exchange.root``)."""
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course_dir)).load_config()
    if "root" not in config.Exchange:
        raise SystemExit(f"{printable(course_dir)}/nbgrader_config.py sets no Exchange.root: pass --exchange")
    return str(config.Exchange.root)


def cli(args, extra) -> int:
    """``mlops-concepts exchange-setup``: create the exchange right (or ``--check`` it)."""
    if extra:
        raise SystemExit(f"unrecognised arguments: {' '.join(extra)}")
    root = args.exchange or configured_root(args.root.resolve())
    try:
        owner = pwd.getpwnam(args.owner).pw_uid if args.owner else os.geteuid()
    except KeyError:
        raise SystemExit(f"no Unix user {printable(args.owner)}") from None
    if args.check:
        found = problems(root, args.course_id, owner)
        print(message(found, root) if found else f"{printable(root)}: safe")
        return 1 if found else 0
    found = problems(root, args.course_id, owner, missing_ok=True)
    if not found:
        for path in create(root, args.course_id, owner):
            print(f"created {printable(path)} ({stat.S_IMODE(os.lstat(path).st_mode):04o})")
        found = problems(root, args.course_id, owner)
    if found:
        print(message(found, root))
        return 1
    print(f"{printable(root)}: safe for course {printable(args.course_id)}")
    return 0

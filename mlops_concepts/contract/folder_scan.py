"""One look at a submission folder, without following, opening or trusting anything in it.

:func:`scan` lists what is safe to read (regular files with one name, folders) and notes what is
not: links, hard links, FIFOs, devices and sockets, names with control characters or bytes that are
not UTF-8, and anything over the size and count limits below. :func:`read_regular` reads one file
only if it is still such a file when opened. Staging (:mod:`.submissions`), plain ``nbgrader
autograde``'s guard and ``nbgrader collect`` (the exchange plugin) all judge with these.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass, field
from pathlib import Path

from .untrusted import printable, quoted

MAX_NOTEBOOK_BYTES = 50 * 1024 * 1024
MAX_OTHER_FILE_BYTES = 10 * 1024 * 1024
MAX_TOTAL_BYTES = 200 * 1024 * 1024  # everything copied from one submission
MAX_ENTRIES = 2000  # files and folders in one submission
MAX_FOLDER_DEPTH = 16


@dataclass
@dataclass
class Note:
    level: str  # "repaired" or "not graded"
    message: str


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


def copy_regular(src: Path, dst: Path, max_bytes: int) -> None:
    data = read_regular(src, max_bytes)
    st = os.lstat(src)
    dst.write_bytes(data)
    os.chmod(dst, (stat.S_IMODE(st.st_mode) & 0o755) | 0o600)
    os.utime(dst, ns=(st.st_atime_ns, st.st_mtime_ns))


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

"""Hostile submission folders, shared by the staging tests and the whole-run tests.

Each case makes one kind of folder a student can submit (links, special files, malformed
notebooks); ``CASES`` says what its notes must contain and whether it is graded as blank.
"""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import nbformat

IS_ROOT = os.geteuid() == 0


def _honest(root, assignment, folder):
    nbformat.write(
        nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", 4),
        folder / f"{assignment}.ipynb",
    )


def _run_copy(root, assignment, folder):
    """The released notebook as autograde leaves it: run (here, one cell's execution count)."""
    nb = nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", 4)
    next(c for c in nb.cells if c.cell_type == "code" and c.source.strip()).execution_count = 1
    nbformat.write(nb, folder / f"{assignment}.ipynb")


def _deep(root, assignment, folder):
    (folder / f"{assignment}.ipynb").write_text(
        '{"cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + ', "nbformat": 4}'
    )


def _deep_but_parsable(root, assignment, folder):
    """Deep enough to crash recursive readers later (jsonschema, deepcopy), not json.loads."""
    (folder / f"{assignment}.ipynb").write_text(
        '{"cells": [], "metadata": {"a": ' + "[" * 600 + "]" * 600 + '}, "nbformat": 4}'
    )


def _json_edit(root, assignment, folder, edit):
    nb = json.loads(nbformat.writes(nbformat.read(root / "release" / assignment / f"{assignment}.ipynb", 4)))
    text = edit(nb)
    (folder / f"{assignment}.ipynb").write_text(text if isinstance(text, str) else json.dumps(nb))


def _surrogate(root, assignment, folder):
    def edit(nb):
        nb["cells"].append(
            {
                "cell_type": "code",
                "source": "# SURROGATE",
                "metadata": {},
                "outputs": [],
                "execution_count": None,
            }
        )
        return json.dumps(nb).replace("SURROGATE", "\\ud83d")

    _json_edit(root, assignment, folder, edit)


def _attachments(bundle):
    def make(root, assignment, folder):
        def edit(nb):
            nb["cells"].append(
                {
                    "cell_type": "markdown",
                    "source": "![s](attachment:s.png)",
                    "metadata": {},
                    "attachments": bundle,
                }
            )

        _json_edit(root, assignment, folder, edit)

    return make


def _scratch_cell_metadata(metadata):
    """The release plus a student's own code cell carrying ``metadata``."""

    def make(root, assignment, folder):
        def edit(nb):
            nb["cells"].append(
                {
                    "cell_type": "code",
                    "source": "# my scratch work",
                    "metadata": metadata,
                    "outputs": [],
                    "execution_count": None,
                }
            )

        _json_edit(root, assignment, folder, edit)

    return make


def _notebook_metadata(root, assignment, folder):
    def edit(nb):
        nb["metadata"]["kernelspec"] = "python3"  # the schema wants an object

    _json_edit(root, assignment, folder, edit)


def _with(extra):
    """An honest notebook plus whatever ``extra(root, assignment, folder)`` plants."""

    def make(root, assignment, folder):
        _honest(root, assignment, folder)
        extra(root, assignment, folder)

    return make


def _relink(target):
    """The submission folder replaced by a symbolic link to ``target(root, assignment)``."""

    def make(root, assignment, folder):
        folder.rmdir()
        os.symlink(target(root, assignment), folder)

    return make


def _peer(root, assignment):
    peer = root / "peer-work" / assignment
    peer.mkdir(parents=True, exist_ok=True)
    _honest(root, assignment, peer)
    return peer


def _student_folder_link(root, assignment, folder):
    student = folder.parent
    folder.rmdir()
    student.rmdir()
    os.symlink(_peer(root, assignment).parent, student)


def _mknod(root, assignment, folder):
    os.mknod(folder / "urandom", stat.S_IFCHR | 0o600, os.makedev(1, 9))


# name -> (how the folder is made, a text its notes must contain, graded as blank?)
CASES = {
    "folder-links-to-source": (_relink(lambda r, a: r / "source" / a), "is a symbolic link", True),
    "folder-links-to-peer": (_relink(_peer), "is a symbolic link", True),
    "student-folder-links-to-peer": (_student_folder_link, "is a symbolic link", True),
    "notebook-links-to-source": (
        lambda r, a, f: os.symlink(r / "source" / a / f"{a}.ipynb", f / f"{a}.ipynb"),
        "symbolic link",
        True,
    ),
    "notebook-hard-links-to-source": (
        lambda r, a, f: os.link(r / "source" / a / f"{a}.ipynb", f / f"{a}.ipynb"),
        "hard link",
        True,
    ),
    "link-to-urandom": (
        _with(lambda r, a, f: os.symlink("/dev/urandom", f / "random.bin")),
        "symbolic link",
        False,
    ),
    "link-to-gradebook": (
        _with(lambda r, a, f: os.symlink(r / "gradebook.db", f / "grades.db")),
        "symbolic link",
        False,
    ),
    "hard-link-to-gradebook": (
        _with(lambda r, a, f: os.link(r / "gradebook.db", f / "grades.db")),
        "hard link",
        False,
    ),
    "fifo": (_with(lambda r, a, f: os.mkfifo(f / "pipe")), "FIFO", False),
    "fifo-as-notebook": (lambda r, a, f: os.mkfifo(f / f"{a}.ipynb"), "FIFO", True),
    "character-device": (_with(_mknod), "character device", False),
    "malformed-timestamp": (
        _with(lambda r, a, f: (f / "timestamp.txt").write_text("next tuesday?")),
        "timestamp.txt",
        False,
    ),
    "overflowing-timestamp": (
        _with(lambda r, a, f: (f / "timestamp.txt").write_text("9" * 40)),
        "timestamp.txt",
        False,
    ),
    "folder-named-like-notebook": (
        lambda r, a, f: (f / f"{a}.ipynb").mkdir(),
        "folder named like a notebook",
        True,
    ),
    "control-characters-in-names": (
        _with(
            lambda r, a, f: [
                (f / n).write_text("x")
                for n in ("evil\nAutograding complete: 16 of 16.txt", "\x1b[2Jclear.txt", "rtl\u202etxt.exe")
            ]
        ),
        "control characters",
        False,
    ),
    "non-utf8-name": (
        _with(
            lambda r, a, f: Path(os.fsdecode(os.path.join(os.fsencode(f), b"caf\xe9.txt"))).write_bytes(b"x")
        ),
        "not UTF-8",
        False,
    ),
    "lone-surrogate": (_surrogate, "lone surrogates", False),
    "malformed-attachment": (_attachments({"s.png": 5}), "malformed or empty", False),
    "empty-attachment": (_attachments({"s.png": {}}), "malformed or empty", False),
    # Metadata the notebook schema refuses is reset, and the work in the notebook is graded.
    "invalid-cell-metadata": (
        _scratch_cell_metadata({"collapsed": "yes", "tags": "todo"}),
        "metadata of 1 cell(s)",
        False,
    ),
    "invalid-notebook-metadata": (_notebook_metadata, "notebook metadata", False),
    "deep-json": (_deep, "nested too deeply", True),
    "deep-but-parsable-json": (_deep_but_parsable, "nested over", True),
    "huge-number": (
        lambda r, a, f: (f / f"{a}.ipynb").write_text('{"cells": [], "metadata": {"n": ' + "9" * 5000 + "}}"),
        "not valid notebook JSON",
        True,
    ),
}

"""``mlops-concepts new-course DIR``: a complete course directory for one class.

It holds what the installed package carries (:mod:`.shipped`): ``nbgrader_config.py``, which finds
everything from its own folder and imports the installed package, and every chapter's ``source/``,
each lab check with a hidden seed of this course's own (:mod:`.seeds`). Then an empty gradebook
(the roster: ``nbgrader db student import``) and the exchange the configuration names, with safe
modes (``mlops-concepts exchange-setup``).

The folder is built under a temporary name beside ``DIR`` and renamed into place, so a ``DIR``
that is not empty (or appears meanwhile) is refused with nothing changed. It is readable by its
owner only: it holds every answer key and the hidden seeds.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import tempfile
from pathlib import Path

from ..contract.untrusted import printable
from ..course import shipped

#: A course id names the course's folder in the exchange, which every student's commands use.
COURSE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class Refused(Exception):
    """DIR cannot become a course directory; nothing was changed."""


def _config(folder: Path, course_id: str | None) -> None:
    """The shipped configuration, and this class's own course id after it, if one was given
    (classes that share an exchange need one each)."""
    text = shipped.CONFIG.read_text()
    if course_id is not None:
        text += (
            "\n# This class's course id (mlops-concepts new-course --course-id): its folder in the\n"
            "# exchange; students' nbgrader_config.py names it too.\n"
            f"c.CourseDirectory.course_id = {course_id!r}\n"
        )
    (folder / "nbgrader_config.py").write_text(text)


def _source(folder: Path) -> dict[str, dict[str, int]]:
    """Copy every chapter's source into ``folder``, with new hidden seeds; return them."""
    import nbformat

    from ..course.seeds import reseed

    seeds = {}
    for chapter in shipped.chapters():
        src = shipped.SOURCE / chapter
        dst = folder / "source" / chapter
        shutil.copytree(src, dst, ignore=shutil.ignore_patterns(".ipynb_checkpoints", "__pycache__"))
        path = dst / f"{chapter}.ipynb"
        nb = nbformat.read(path, as_version=4)
        seeds[chapter] = reseed(nb)
        nbformat.write(nb, path)
    return seeds


def _place(built: Path, target: Path) -> None:
    """Rename ``built`` to ``target``: only onto nothing or an empty folder (atomic either way)."""
    try:
        os.rename(built, target)
    except OSError as err:  # ENOTEMPTY / EEXIST / ENOTDIR: something is there
        raise Refused(f"{printable(target)} is not empty: choose a new or empty folder") from err


def create(target: Path, course_id: str | None = None) -> dict[str, dict[str, int]]:
    """Make the course directory ``target``; return the new hidden seeds by chapter and grade id."""
    if course_id is not None and not COURSE_ID.fullmatch(course_id):
        raise Refused(
            f"the course id {printable(course_id)} may hold only letters, digits, '.', '_' and '-' "
            "(64 at most, starting with a letter or digit)"
        )
    if target.is_symlink() or (target.exists() and (not target.is_dir() or any(target.iterdir()))):
        raise Refused(f"{printable(target)} is not empty: choose a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    built = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))  # mode 0700
    try:
        _config(built, course_id)
        seeds = _source(built)
        _place(built, target)
    except BaseException:
        shutil.rmtree(built, ignore_errors=True)
        raise
    return seeds


def _gradebook(root: Path) -> None:
    """Create the course's gradebook (no students yet), by nbgrader itself with the course's
    configuration: this also proves the configuration loads."""
    from .commands import nbgrader

    result = nbgrader(root, "db", "student", "list")  # opening it creates it
    if result.returncode != 0:
        raise Refused(f"nbgrader could not create the gradebook:\n{result.stdout}")


def cli(args, extra) -> int:
    """``mlops-concepts new-course DIR``."""
    if extra:
        raise SystemExit(f"unrecognised arguments: {' '.join(extra)}")
    from ..contract.coursedir import course_config
    from ..nbgrader_plugins.exchange_setup import cli as exchange_cli

    target = Path(os.path.abspath(args.folder))
    try:
        seeds = create(target, args.course_id)
    except Refused as err:
        print(f"Refused: {err}", flush=True)
        return 2
    print(f"Created the course directory {printable(target)} (readable by you only)", flush=True)
    print(
        f"  source/: {len(seeds)} chapters; "
        f"{sum(map(len, seeds.values()))} lab checks with hidden seeds of this course's own",
        flush=True,
    )
    try:
        _gradebook(target)
    except Refused as err:
        print(str(err), flush=True)
        return 1
    print("  gradebook: created, no students yet (nbgrader db student import roster.csv)", flush=True)
    course_id = course_config(target).CourseDirectory.course_id  # the exchange's course folder
    code = exchange_cli(
        argparse.Namespace(root=target, exchange=None, course_id=course_id, owner=None, check=False), []
    )
    if code == 0:
        print(f"Next: cd {printable(target)} && nbgrader generate_assignment <chapter>", flush=True)
    return code

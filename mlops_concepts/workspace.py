"""Where learners work: folders of their own, outside the repository, that no command overwrites.

``release/`` holds the student versions of the chapters, tracked by git and rewritten by ``make
release``. Nobody works in it:

* a **self-learner** (``make lab``) works on a personal copy of each chapter, copied from
  ``release/`` once: a file already in the copy is never replaced, so answers and checkpoint
  progress survive ``make release``, ``git pull`` and ``make lab`` itself;
* a **student of a class** (``make student``) works in a home folder of their own, where the
  Assignments tab fetches, validates and submits; it holds a student's ``nbgrader_config.py`` (the
  course id, the exchange and where fetched chapters go), never the course's ``source/``.

Run as ``python -m mlops_concepts.workspace learner|student ...`` (the Makefile does); see
docs/students.md.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from pathlib import Path

from mlops_concepts.contract.untrusted import printable

# First line of the nbgrader_config.py this module writes: a file without it is the student's own
# and is left alone.
MARKER = "# Written by `make student` (mlops_concepts.workspace), and rewritten by it."
# What a release folder may hold that is not the chapter: never copied.
SKIP = {".ipynb_checkpoints", "__pycache__", ".mlops-progress.json"}


class WorkspaceError(Exception):
    """Bad input (a chapter that does not exist, a folder that is a file): said plainly, exit 2."""


def chapters(release: Path) -> list[str]:
    """The chapter ids in ``release``: folders that hold ``<id>/<id>.ipynb``."""
    if not release.is_dir():
        raise WorkspaceError(f"no release folder at {printable(release)}")
    return sorted(p.name for p in release.iterdir() if p.is_dir() and (p / f"{p.name}.ipynb").is_file())


def _copy_absent(src: Path, dst: Path) -> bool:
    """Copy ``src`` to ``dst`` only if ``dst`` does not exist; True when copied.

    The file is created with O_EXCL, so even a learner's file that appears meanwhile is never
    replaced, and written under a temporary name first, so an interrupted copy never leaves half a
    notebook where the next run would keep it.
    """
    if dst.exists() or dst.is_symlink():
        return False
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(f".{dst.name}.copying-{os.getpid()}")
    with open(src, "rb") as f_in, open(tmp, "xb") as f_out:
        shutil.copyfileobj(f_in, f_out)
    try:
        os.link(tmp, dst)  # fails if dst exists: never replaces
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links: exclusive create, written in place
        with open(tmp, "rb") as f_in, open(dst, "xb") as f_out:
            shutil.copyfileobj(f_in, f_out)
    finally:
        tmp.unlink()
    return True


def copy_missing(release: Path, into: Path, only: list[str] | None = None) -> list[Path]:
    """Copy into ``into/<id>/`` every file of ``release/<id>/`` that the copy lacks; return them.

    Files already in ``into`` (the learner's work) are kept as they are, whatever ``release`` holds.
    """
    known = chapters(release)
    wanted = known if not only else only
    for name in wanted:
        if name not in known:
            raise WorkspaceError(
                f"no chapter {printable(name)} in {printable(release)} (chapters: {', '.join(known)})"
            )
    if into.exists() and not into.is_dir():
        raise WorkspaceError(f"{printable(into)} is not a folder")
    copied = []
    for name in wanted:
        for src in sorted((release / name).rglob("*")):
            rel = src.relative_to(release)
            if SKIP & set(rel.parts) or src.is_symlink() or not src.is_file():
                continue
            if _copy_absent(src, into / rel):
                copied.append(into / rel)
    return copied


def student_config(home: Path, exchange: Path, course_id: str, student_id: str | None = None) -> Path:
    """Write the student's ``home/nbgrader_config.py``; return its path.

    nbgrader's Assignments tab reads it from the server's root (the home), and ``nbgrader submit``
    from the folder it runs in. ``Exchange.assignment_dir`` is the home itself: the tab fetches
    into the folder the server shows, wherever the server process was started. The submission
    cache (what feedback is matched against) lives in the home too, so one folder holds the
    student's whole state. A config the student wrote themselves (no MARKER) is left alone.
    """
    home.mkdir(parents=True, exist_ok=True)
    path = home / "nbgrader_config.py"
    if path.exists() and not path.read_text(errors="replace").startswith(MARKER):
        raise WorkspaceError(f"{printable(path)} is not one `make student` wrote: left as it is")
    lines = [
        MARKER,
        "c = get_config()  # noqa: F821",
        f"c.CourseDirectory.course_id = {course_id!r}",
        f"c.Exchange.root = {str(exchange.resolve())!r}",
        f"c.Exchange.assignment_dir = {str(home.resolve())!r}",
        f"c.Exchange.cache = {str(home.resolve() / '.nbgrader-cache')!r}",
    ]
    if student_id:
        lines.append(f"c.CourseDirectory.student_id = {student_id!r}")
    text = "\n".join(lines) + "\n"
    if not path.exists() or path.read_text() != text:
        tmp = path.with_name(f".nbgrader_config.py.{os.getpid()}")
        tmp.write_text(text)
        tmp.replace(path)
    return path


def say(line: str) -> None:
    """A message for the person at the terminal (stdout is the path the Makefile reads)."""
    print(line, file=sys.stderr)


def _learner(args) -> int:
    release, into = Path(args.release), Path(args.into).expanduser()
    known = chapters(release)
    chapter = args.chapter or (known[0] if known else "")
    if chapter not in known:
        raise WorkspaceError(
            f"no chapter {printable(chapter)} in {printable(release)} (chapters: {', '.join(known)})"
        )
    # Every chapter, so that the file browser shows the whole course; the one asked for opens.
    copied = copy_missing(release, into)
    notebook = into / chapter / f"{chapter}.ipynb"
    if copied:
        say(f"Copied {len(copied)} file(s) from {printable(release)} into {printable(into)}")
    say(f"Your copy (kept between sessions; `make release` never touches it): {printable(notebook)}")
    print(notebook.resolve())
    return 0


def _student(args) -> int:
    home, exchange = Path(args.home).expanduser(), Path(args.exchange).expanduser()
    student_config(home, exchange, args.course_id, args.student or None)
    say(f"Student home: {printable(home)}")
    say(f"Course {printable(args.course_id)}, exchange {printable(exchange)}")
    if not (exchange / args.course_id / "outbound").is_dir():
        say("Nothing released to this exchange yet: the Assignments tab lists a chapter once the")
        say("instructor runs `nbgrader release_assignment <id>`.")
    print(home.resolve())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mlops_concepts.workspace", description=__doc__.split("\n")[0]
    )
    sub = parser.add_subparsers(dest="command", required=True)
    learner = sub.add_parser(
        "learner", help="copy the chapters a self-learner lacks; print the notebook to open"
    )
    learner.add_argument("--release", default="release", help="the course's release/ folder")
    learner.add_argument("--into", required=True, help="the learner's folder (created if missing)")
    learner.add_argument("--chapter", default="", help="the chapter to open (default: the first)")
    student = sub.add_parser("student", help="set up a student's home folder; print its path")
    student.add_argument("--home", required=True)
    student.add_argument("--exchange", required=True)
    student.add_argument("--course-id", required=True)
    student.add_argument("--student", default="", help="the student id (default: the user's name)")
    args = parser.parse_args(argv)
    try:
        return _learner(args) if args.command == "learner" else _student(args)
    except (WorkspaceError, OSError) as err:
        print(f"error: {printable(str(err), limit=400, backslashes=False)}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

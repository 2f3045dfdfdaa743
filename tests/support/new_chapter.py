"""A throw-away chapter 5, added the way docs/authoring.md says ("Adding a chapter").

:func:`add_chapter_five` copies the course package and the course's files into a temporary folder
and adds exactly what a new chapter adds there, and nothing else:

* its source folder, ``source/05-throwaway-chapter/`` (chapter 2's notebook, pointed at chapter
  5's own diagrams and lab data, so that it is a whole, lint-clean chapter);
* its package folder, ``mlops_concepts/chapters/chapter5/`` (``diagrams`` and ``lab``);
* its entry in the chapter list, ``mlops_concepts.chapters.CHAPTERS``.

The copy runs in processes of its own (``PYTHONPATH`` puts it before the installed package), so
the tests see what a course with chapter 5 sees: discovery, the linter, the release.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from mlops_concepts.class_grading.commands import nbgrader_env

from .course import REPO

CHAPTER = "05-throwaway-chapter"
FOLDER = "chapter5"
#: The chapter the throw-away one is made from.
MODEL = "02-design-and-development"
MODEL_FOLDER = "chapter2"
#: Chapter 5's diagrams say so in their alt text, so a test can tell them from chapter 2's.
ALT_MARK = "Chapter five's copy: "

DIAGRAMS_PY = f'''"""Chapter 5's diagrams: chapter 2's, renamed (a throw-away chapter for the tests)."""

from dataclasses import replace

from ..{MODEL_FOLDER}.diagrams import DIAGRAMS as MODEL

DIAGRAMS = {{
    f"five_{{name}}": replace(d, name=f"five_{{name}}", alt={ALT_MARK!r} + d.alt) for name, d in MODEL.items()
}}
'''

LAB_PY = f'''"""Chapter 5's lab data: chapter 2's generators under names of its own."""

from ..{MODEL_FOLDER}.lab import describe_comparison, run_log, run_log_ties

DATA = {{"five_run_log": run_log, "five_run_log_ties": run_log_ties}}
__all__ = ["DATA", "describe_comparison"]
'''


@dataclass
class NewChapter:
    package: Path  # the folder that holds the copied mlops_concepts/
    course: Path  # the course directory: nbgrader_config.py, source/

    def env(self) -> dict:
        return dict(nbgrader_env(), PYTHONPATH=str(self.package))

    def python(self, code: str, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-c", code],
            cwd=self.course,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def nbgrader(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "nbgrader", *args],
            cwd=self.course,
            env=self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
        )


def _chapter_five_notebook(text: str) -> str:
    """Chapter 2's source notebook (its JSON text), pointed at chapter 5's diagrams and lab."""
    text = re.sub(r"(<!--\s*diagram:\s*)([A-Za-z0-9_]+)", r"\1five_\2", text)
    text = re.sub(r'\\"(run_log(?:_ties)?)\\"', r'\\"five_\1\\"', text)
    return text.replace(
        f"mlops_concepts.chapters.{MODEL_FOLDER}.lab", f"mlops_concepts.chapters.{FOLDER}.lab"
    )


def add_chapter_five(tmp: Path, listed: bool = True) -> NewChapter:
    """A copy of the package and course with chapter 5 added (``listed=False``: without its
    chapter-list entry, which must make it invisible)."""
    package = tmp / "package"
    shutil.copytree(
        REPO / "mlops_concepts",
        package / "mlops_concepts",
        symlinks=True,
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    chapters = package / "mlops_concepts" / "chapters"
    (chapters / FOLDER).mkdir()
    (chapters / FOLDER / "__init__.py").write_text('"""Chapter 5, a throw-away chapter for the tests."""\n')
    (chapters / FOLDER / "diagrams.py").write_text(DIAGRAMS_PY)
    (chapters / FOLDER / "lab.py").write_text(LAB_PY)
    if listed:
        listing = (chapters / "__init__.py").read_text()
        last = re.search(r'^    "04-[^"]+": "chapter4",\n', listing, re.M)
        assert last, "the chapter list's last entry moved: update tests/support/new_chapter.py"
        listing = listing[: last.end()] + f'    "{CHAPTER}": "{FOLDER}",\n' + listing[last.end() :]
        (chapters / "__init__.py").write_text(listing)

    course = tmp / "course"
    course.mkdir()
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(REPO / "source", course / "source")
    model = (REPO / "source" / MODEL / f"{MODEL}.ipynb").read_text()
    (course / "source" / CHAPTER).mkdir()
    (course / "source" / CHAPTER / f"{CHAPTER}.ipynb").write_text(_chapter_five_notebook(model))
    assert not os.path.exists(course / "release")
    return NewChapter(package, course)

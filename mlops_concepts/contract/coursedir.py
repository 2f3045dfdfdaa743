"""Where an nbgrader preprocessor finds the instructor's and the released notebook."""

from __future__ import annotations

import copy
import functools
import os

import nbformat
from nbgrader.coursedir import CourseDirectory

from .untrusted import printable


def assignment_folder(preprocessor, step: str, resources, student: str = ".") -> str:
    """The folder of the assignment being processed in course step ``step`` ("source",
    "release", or "submitted" with the ``student``)."""
    parent = preprocessor.parent
    coursedir = CourseDirectory(parent=parent) if parent else CourseDirectory(config=preprocessor.config)
    folder_name = getattr(coursedir, f"{step}_directory")
    return coursedir.format_path(folder_name, student, resources["nbgrader"]["assignment"])


def notebook_path(preprocessor, step: str, resources) -> str:
    """Path of the notebook being processed, in course step ``step`` ("source" or "release")."""
    folder = assignment_folder(preprocessor, step, resources)
    return os.path.join(folder, resources["nbgrader"]["notebook"] + ".ipynb")


def from_instructor_notebook(path: str, derive):
    """``derive(notebook)`` for the instructor's notebook at ``path``, computed once per version
    of the file in this process, not once per student.

    Reading and parsing the notebook, its checks and a lab's reference results is the same work
    for every student of a batch. The file's size and modification time are part of the key, so
    an edited notebook is read again; each caller gets its own copy of the result.
    """
    info = os.stat(path)
    return copy.deepcopy(_derived(derive, path, info.st_mtime_ns, info.st_size))


@functools.lru_cache(maxsize=32)
def _derived(derive, path: str, mtime_ns: int, size: int):
    return derive(nbformat.read(path, as_version=4))


class CourseConfigError(Exception):
    """The course's nbgrader_config.py raised while it loaded: nothing may be graded with it."""


def course_config(root):
    """The configuration in the course's own ``nbgrader_config.py`` at ``root``, and only that.

    Raises :class:`CourseConfigError`, naming the file and the error, when the file does not load.
    """
    from pathlib import Path

    from traitlets.config.loader import PyFileConfigLoader

    try:
        return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    except Exception as err:
        raise CourseConfigError(
            f"The course configuration {Path(root) / 'nbgrader_config.py'} does "
            f"not load ({type(err).__name__}: {printable(err, 300)})"
        ) from err


def gradebook_url(root, config=None) -> str:
    """The gradebook URL of the course at ``root``, read from its own nbgrader_config.py only
    (or from ``config``, already read by :func:`course_config`).

    Raises :class:`CourseConfigError`, naming the file and the error, when the file does not load.
    """
    from pathlib import Path

    config = course_config(root) if config is None else config
    url = config.CourseDirectory.get("db_url")
    return url if isinstance(url, str) else f"sqlite:///{Path(root) / 'gradebook.db'}"

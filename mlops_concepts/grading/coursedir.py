"""Where an nbgrader preprocessor finds the instructor's and the released notebook."""

from __future__ import annotations

import os

from nbgrader.coursedir import CourseDirectory


def notebook_path(preprocessor, step: str, resources) -> str:
    """Path of the notebook being processed, in course step ``step`` ("source" or "release")."""
    parent = preprocessor.parent
    coursedir = CourseDirectory(parent=parent) if parent else CourseDirectory(config=preprocessor.config)
    folder_name = getattr(coursedir, f"{step}_directory")
    folder = coursedir.format_path(folder_name, ".", resources["nbgrader"]["assignment"])
    return os.path.join(folder, resources["nbgrader"]["notebook"] + ".ipynb")

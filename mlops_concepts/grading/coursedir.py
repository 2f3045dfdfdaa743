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


def gradebook_url(root) -> str:
    """The gradebook URL of the course at ``root``, read from its own nbgrader_config.py only."""
    from pathlib import Path

    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    url = config.CourseDirectory.get("db_url")
    return url if isinstance(url, str) else f"sqlite:///{Path(root) / 'gradebook.db'}"

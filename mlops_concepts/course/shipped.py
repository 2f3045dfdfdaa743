"""The course files the installed package carries, laid out as in the repository.

In the repository, ``files/`` holds symbolic links to the repository's own ``nbgrader_config.py``,
``source/`` and ``examples/`` (one copy of each); a wheel carries the files they point to
(``[tool.setuptools.package-data]`` in pyproject.toml). So the commands that need them
(``new-course``, ``demo``) work the same from a clone and from a wheel, and never look for the
repository through the package's own path.
"""

from __future__ import annotations

from pathlib import Path

#: Laid out like the repository: nbgrader_config.py, source/<id>/, examples/<id>/.
FILES = Path(__file__).parent / "files"
CONFIG = FILES / "nbgrader_config.py"
SOURCE = FILES / "source"


def chapters() -> list[str]:
    """Every chapter the package carries, in order."""
    return sorted(p.name for p in SOURCE.iterdir() if (p / f"{p.name}.ipynb").is_file())

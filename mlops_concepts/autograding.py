"""Whether this kernel is being autograded, where nothing is clicked and nothing is looked at."""

from __future__ import annotations

import os


def autograding() -> bool:
    """True while nbgrader autogrades the notebook (it sets ``NBGRADER_EXECUTION``; the sandbox
    passes it on). Checkpoints, the progress bar and the diagram explorer then show their text
    form only: no widget is built or drawn, so grading a class does not pay for them."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"

"""Whether this kernel is being autograded, where nothing is clicked and nothing is looked at."""

from __future__ import annotations

import importlib
import os


def autograding() -> bool:
    """True while nbgrader autogrades the notebook (it sets ``NBGRADER_EXECUTION``; the sandbox
    passes it on). Checkpoints, the progress bar and the diagram explorer then show their text
    form only: no widget is built or drawn, so grading a class does not pay for them."""
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


class OnFirstUse:
    """A module imported when one of its names is first used, not when this package is imported.

    A grading kernel never builds a widget (see :func:`autograding`), but importing the package
    imported ipywidgets anyway: about a tenth of a second of CPU in every student's kernel.
    """

    def __init__(self, name: str):
        self._name = name

    def __getattr__(self, attr: str):
        return getattr(importlib.import_module(self._name), attr)


#: ipywidgets, for the checkpoints and the progress bar.
ipywidgets = OnFirstUse("ipywidgets")

"""`nbgrader collect` run outside a course directory says so.

Run from a folder without ``nbgrader_config.py``, nbgrader reads no course configuration, looks for
its default exchange (``/srv/nbgrader/exchange``) and says "Unwritable directory, please contact
your instructor", a message meant for students that sends the instructor nowhere. The course
package installs ``<prefix>/etc/jupyter/nbgrader_config.json`` (see pyproject.toml), which makes
this class nbgrader's collect wherever nothing else is configured; a course's own
``nbgrader_config.py`` replaces it with the course's collect. So it only ever runs where no course
configured one: with no ``nbgrader_config.py`` in the course root it explains what is wrong, and
otherwise it is the course's safe collect (:class:`.exchange.SafeExchangeCollect`). That matters on
a hub, where this file and the hub's ``nbgrader_config.py`` sit in one folder and a JSON file
there is read after the Python one: there it would otherwise replace the collect of the course
configuration that the hub's file loads for the instructor's Formgrader.
"""

from __future__ import annotations

from pathlib import Path

from mlops_concepts.contract.untrusted import printable
from mlops_concepts.nbgrader_plugins.exchange import SafeExchangeCollect


def explanation(root: str) -> str:
    return (
        f"No nbgrader_config.py in {printable(root)}: this is not a course directory. "
        "`nbgrader collect` runs in the course directory (the folder with nbgrader_config.py, "
        "source/ and the gradebook): cd there first, or add --CourseDirectory.root=<course directory>."
    )


class CollectInCourse(SafeExchangeCollect):
    def start(self):
        root = self.coursedir.root
        if not (Path(root) / "nbgrader_config.py").is_file():
            self.fail(explanation(root))
        return super().start()

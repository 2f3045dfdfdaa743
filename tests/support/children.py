"""What a student's grading child writes first in its log, and waiting for its process group to end
(shared by tests/integration/test_unit.py and test_children.py)."""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

# The first line of a child's log: "<step> of <student> in process <pid> (group <pgid>, child of <ppid>)".
LINE = re.compile(r"^(\w+) of (\S+) in process (\d+) \(group (\d+), child of (\d+)\)")


def first_line(path: Path) -> tuple[str, str, int, int, int]:
    step, student, pid, group, parent = LINE.match(path.read_text(errors="replace")).groups()
    return step, student, int(pid), int(group), int(parent)


def group_gone(pgid: int, within: float = 10.0) -> bool:
    """Whether process group ``pgid`` is gone within ``within`` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def send_compiled_templates(conn) -> None:
    """Run in a child forked from the grading forkserver: how many feedback templates it starts with."""
    from mlops_concepts.nbgrader_plugins.feedback import COMPILED_TEMPLATES

    conn.send(len(COMPILED_TEMPLATES))
    conn.close()

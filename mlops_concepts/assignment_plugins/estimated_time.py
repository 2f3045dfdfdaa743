"""A chapter's estimated time, computed from its content by one model, and written at release.

Authors never type a time. The introduction holds the directive ``<!-- estimated-time -->`` on a
line of its own; at release :class:`StateEstimatedTime` replaces it with
``**Estimated time:** about N minutes.``, where N is :func:`estimate` of the instructor's notebook.
``mlops-concepts check`` prints the same estimate with its parts.

The model (docs/authoring.md, "Estimated time"): a student reads the lesson's words at
:data:`READING_WPM` and spends a fixed allowance on each thing they do. The allowances were set
from what each task asks of a student, except the lab function's, the one constant fitted: it
makes the model give chapter 1, as it stood at commit 2bd8d1c, the 80 minutes of the careful
read-through done as a student for the assessment review (issue 27). The same model, unchanged,
gives that commit's other chapters 102, 109 and 119 minutes against the review's 110, 105 and 135:
within 12%, and never more than 5 minutes to the nearest five. To recalibrate against a new timed
read-through, change :data:`ALLOWANCE` and say so in CHANGELOG.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from nbgrader.preprocessors import NbGraderPreprocessor

from ..contract import cells
from ..contract.calls import CHECKPOINT_KINDS, top_level_calls

#: Words a minute for reading technical prose with care (the rate docs/authoring.md always used).
READING_WPM = 200

#: Minutes for each thing a student does, beyond reading the words around it.
ALLOWANCE = {
    "checkpoints": 1.5,  # read the question, choose or drag, Check, read the feedback
    "exercises": 2.5,  # an answer cell: write the values, run it, run its self-checks
    "lab_functions": 10.0,  # write and debug a short function (the fitted constant)
    "reflections": 8.0,  # a few sentences in the student's own words
    "diagrams": 1.0,  # look at the picture and its description
    "set_up": 5.0,  # open the notebook, run the imports, find one's way
}

#: Estimates are stated to the nearest 5 minutes: the model is not more precise than that.
ROUND_TO = 5

DIRECTIVE = re.compile(r"^[ \t]*<!--[ \t]*estimated-time[ \t]*-->[ \t]*$", re.MULTILINE)
_DIAGRAM = re.compile(r"<!--\s*diagram:\s*\w+\s*-->")
_COMMENT = re.compile(r"<!--.*?-->", re.DOTALL)
_WORD = re.compile(r"[A-Za-z0-9][\w'’-]*")
_FUNCTION_SOLUTION = re.compile(r"^[ \t]+### BEGIN SOLUTION", re.MULTILINE)


@dataclass(frozen=True)
class Workload:
    """What a student reads and does in one chapter notebook."""

    words: int = 0
    checkpoints: int = 0
    exercises: int = 0
    lab_functions: int = 0
    reflections: int = 0
    diagrams: int = 0
    set_up: int = 1

    def parts(self) -> dict[str, float]:
        """Minutes per part of the workload, before calibration."""
        minutes = {"reading": self.words / READING_WPM}
        for field in fields(self):
            if field.name in ALLOWANCE:
                minutes[field.name] = getattr(self, field.name) * ALLOWANCE[field.name]
        return minutes

    @property
    def minutes(self) -> int:
        """The estimate, rounded to :data:`ROUND_TO` minutes."""
        raw = sum(self.parts().values())
        return max(ROUND_TO, ROUND_TO * round(raw / ROUND_TO))

    def summary(self) -> str:
        parts = ", ".join(f"{name.replace('_', ' ')} {value:.0f}" for name, value in self.parts().items())
        return f"about {self.minutes} minutes ({parts})"


def workload(nb) -> Workload:
    """Count what a student reads and does in the instructor's notebook ``nb``."""
    counts = {field.name: 0 for field in fields(Workload) if field.name != "set_up"}
    for cell in nb.cells:
        source = cells.text_of(cell.get("source"))
        solution = bool(cells.nbgrader_metadata(cell).get("solution"))
        if cell.get("cell_type") == "markdown":
            if solution:
                counts["reflections"] += 1
                continue
            counts["diagrams"] += len(_DIAGRAM.findall(source))
            counts["words"] += len(_WORD.findall(_COMMENT.sub(" ", source)))
        elif cell.get("cell_type") == "code":
            if solution and not cells.is_test(cell):
                kind = "lab_functions" if _FUNCTION_SOLUTION.search(source) else "exercises"
                counts[kind] += 1
            elif not cells.is_test(cell):
                counts["checkpoints"] += len(top_level_calls(source, CHECKPOINT_KINDS))
    return Workload(**counts)


def estimate(nb) -> int:
    return workload(nb).minutes


def stated(minutes: int) -> str:
    return f"**Estimated time:** about {minutes} minutes."


class StateEstimatedTime(NbGraderPreprocessor):
    """Release step: the ``<!-- estimated-time -->`` line becomes the computed estimate."""

    def preprocess(self, nb, resources):
        line = stated(estimate(nb))
        for cell in nb.cells:
            if cell.get("cell_type") == "markdown" and DIRECTIVE.search(cells.text_of(cell.source)):
                cell.source = DIRECTIVE.sub(line, cells.text_of(cell.source))
        return nb, resources

"""The values a class report is made of: the graded items, the students, the class.

Plain data, filled by :mod:`.data` and read by everything else; nothing here reads a file.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

#: Outcomes recorded by GradeFromReports (see mlops_concepts/nbgrader_plugins/verdicts.py).
CORRECT = "correct"
WRONG = "WrongAnswer"
OUTCOME_WORDS = {
    "WrongAnswer": "wrong answer",
    "AnswerNotGradable": "answer could not be read",
    "CheckDidNotRun": "no answer (the check could not run)",
}
ALL = "all"
UNLINKED = "Not linked to an objective"
MAX_SHOWN = 500  # characters of one wrong answer shown
MAX_PART = 90  # characters of one item name or value inside it
TOP_WRONG = 3  # wrong answers listed per item
LOW_FACILITY = 0.4  # marked red: hard
LOW_DISCRIMINATION = 0.2  # marked red: does not separate
#: Fewer graded students than this and the page warns that discrimination means little: with n
#: students, an item that does not separate at all (r = 0) is measured anywhere within ±noise(n)
#: (95% of the time; ±0.36 at 30, ±0.88 at 5), so a good item (0.3) and a flawed one (0) cannot
#: be told apart. 30 is the usual minimum for classical item analysis.
MIN_FOR_DISCRIMINATION = 30


def noise(n: int) -> float:
    """Half-width of the 95% band of r measured on n students when the true r is 0 (Fisher's z)."""
    return math.tanh(1.96 / math.sqrt(n - 3)) if n > 3 else 1.0


ASSIGNMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


class ReportError(Exception):
    """Input the report cannot use; the message says what is wrong and what to do."""


@dataclass
class Item:
    """One graded cell, as the students know it."""

    notebook: str
    grade_id: str  # internal: used in the CSV (for re-import), never as a label in the HTML
    label: str  # "Exercise 1.2 (b)" or "Reflection"
    title: str  # "Exercise 1.2 (b) — Why MLOps?"
    max_points: float
    auto: bool  # a code test cell (autograded) rather than a hand-graded answer
    exercise: str = ""  # "1.2" (empty when the heading is not "Exercise N.M — ...")
    part: str = ""  # "b" (empty when the exercise has one graded cell)
    heading: str = ""  # the heading text the cell sits under, points removed
    objective: str = ALL

    @property
    def key(self) -> tuple[str, str]:
        return (self.notebook, self.grade_id)


@dataclass
class Student:
    """One graded student: a score per item (None: still to be graded by hand) and the records."""

    name: str
    scores: dict[tuple[str, str], float | None]
    records: dict[tuple[str, str], dict] = field(default_factory=dict)
    wording: dict[str, str] = field(default_factory=dict)  # canonical text -> as written

    @property
    def total(self) -> float:
        return sum(s for s in self.scores.values() if s is not None)

    def pending(self) -> list[tuple[str, str]]:
        return [k for k, s in self.scores.items() if s is None]


@dataclass
class ClassData:
    assignment: str
    items: list[Item]
    students: list[Student]
    not_graded: dict[str, str]  # student -> why
    objectives: list[str]  # in table order ("all" when the chapter has no table)
    keys: dict[tuple[str, str], str] = field(default_factory=dict)  # canonical keys (never shown)
    wording: dict[str, str] = field(default_factory=dict)  # canonical -> as the release words it

    @property
    def max_total(self) -> float:
        return sum(i.max_points for i in self.items)


def fmt(x: float | None, digits: int = 2) -> str:
    """A statistic as the report writes it: fixed decimals, "n/a" when undefined."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def points(x: float) -> str:
    return f"{x:g}"

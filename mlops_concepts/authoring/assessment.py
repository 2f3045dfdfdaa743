"""Assessment rules of the chapter linter: no cue gives a choice item away, and the graded parts
assess every learning objective with fresh tasks.

Called once from :func:`mlops_concepts.authoring.lint.lint`. Every measure is printed in the
problem it raises; ``python -m mlops_concepts.authoring.assessment [<id>...]`` prints them for
chapters that pass too.

**Choice items** are multiple-choice checkpoints (``MultipleChoice(options=..., answer=...)``)
and graded letter questions (a Markdown list ``- **a.** ...`` answered by a test cell
``check(..., key="a")``). Over a chapter's items, or the course's whole set when the chapter has
fewer than :data:`MIN_ITEMS`:

* **position**: no option position holds more than :data:`MAX_POSITION_SHARE` of the right answers;
* **length**: the right option is the shortest (in characters, strictly) in at most
  :data:`MAX_LENGTH_SHARE` of the items, and the longest in at most that share too;
* **echo**: the right option is the one sharing the most words with the lesson (its distinct
  words of four letters or more, minus common words, that also occur in the Markdown of its
  lesson before the item; ties do not count) in at most :data:`MAX_ECHO_SHARE` of the items.

**Graded parts** (test cells and manually graded cells) carry cell metadata
``"mlops_concepts": {"objective": "<id>", "kind": "recall" | "application"}``, the id being the
objective's number in the chapter's "Learning objectives" list. Every objective is assessed by at
least two graded parts, at least one of them an application. And no graded exercise repeats a
checkpoint's task: the same buckets (its allowed values, lower case) with the same number of
items as a ``Classify``, or the same options as a ``MultipleChoice`` or the same steps as an
``Order``.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import nbformat

from ..grading import cells
from ..grading.calls import AuthoringError, top_level_calls
from ..grading.exercises import read_check

MIN_ITEMS = 10
MAX_POSITION_SHARE = Fraction(2, 5)
MAX_LENGTH_SHARE = Fraction(1, 3)
MAX_ECHO_SHARE = Fraction(1, 3)
KINDS = ("recall", "application")
METADATA = "mlops_concepts"
LETTERS = "abcdefghijklmnopqrstuvwxyz"

_LETTER_OPTION = re.compile(r"^\s*[-*]\s+\*\*([a-z])\.\*\*\s+(.+?)\s*$")
_H2 = re.compile(r"^##\s", re.MULTILINE)
_EXERCISE = re.compile(r"^###\s+Exercise\b", re.MULTILINE)
_OBJECTIVES = re.compile(r"^##\s+Learning objectives\s*$(.*?)(?=^##\s|\Z)", re.MULTILINE | re.DOTALL)
_OBJECTIVE = re.compile(r"^\s*(\d+)\.\s", re.MULTILINE)
_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
_POSSESSIVE = re.compile(r"['’]s$")
_ALLOWED = re.compile(r'^\s*[-*]\s+`"([^"`]+)"`', re.MULTILINE)
#: Words too common to be an echo of the lesson (four letters or more only: shorter ones never count).
_COMMON = frozenset(
    """
    about after also because been before being both could does each every from have into
    itself just like make makes many more most much must only other over same should since some
    such than that their them then there these they this those through very what when where
    which while will with would your
    """.split()
)


@dataclass(frozen=True)
class Problem:
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class ChoiceItem:
    """One choice item: its options in the order students see them, and the right one."""

    where: str  # "checkpoint 'cp-1a-mlops-focus'" or "exercise 'q1_1a'"
    options: tuple[str, ...]
    right: int
    lesson: str  # the Markdown of its lesson before it

    def overlaps(self) -> list[int]:
        lesson = set(words(self.lesson))
        return [len(set(words(o)) & lesson) for o in self.options]

    def _lengths(self) -> tuple[int, list[int]]:
        lengths = [len(o) for o in self.options]
        return lengths.pop(self.right), lengths

    @property
    def shortest(self) -> bool:
        """The right option is strictly shorter than every other (options of one length give no cue)."""
        mine, others = self._lengths()
        return all(mine < n for n in others)

    @property
    def longest(self) -> bool:
        mine, others = self._lengths()
        return all(mine > n for n in others)

    @property
    def echo(self) -> bool:
        """The right option shares strictly more lesson words than every other option."""
        counts = self.overlaps()
        mine = counts.pop(self.right)
        return all(mine > c for c in counts)


def words(text: str) -> list[str]:
    """The content words of ``text``: lower case, four letters or more, not common."""
    found = (_POSSESSIVE.sub("", w) for w in _WORD.findall(text.lower()))
    return [w for w in found if len(w) >= 4 and w not in _COMMON]


def _source(cell) -> str:
    return cells.text_of(cell.get("source"))


def _lesson_markdown(cell) -> bool:
    """Markdown that teaches (not an exercise, whose options and scenario are not the lesson)."""
    return cell.cell_type == "markdown" and not _EXERCISE.search(_source(cell))


def _letter_groups(text: str) -> list[tuple[str, ...]]:
    """Each run of ``- **a.** ...`` lines, as the options' texts in order."""
    groups, run = [], []
    for line in text.splitlines():
        match = _LETTER_OPTION.match(line)
        if match and match.group(1) == LETTERS[len(run)]:
            run.append(match.group(2))
            continue
        if run:
            groups.append(tuple(run))
        run = [match.group(2)] if match and match.group(1) == "a" else []
    if run:
        groups.append(tuple(run))
    return groups


def _checkpoints(cell):
    if cell.cell_type != "code":
        return []
    try:
        return top_level_calls(_source(cell), ("MultipleChoice", "Classify", "Order"))
    except AuthoringError:
        return []  # lint.check_checkpoints reports it


def _check(cell):
    if not cells.is_test(cell):
        return None
    try:
        return read_check(cell)
    except AuthoringError:
        return None  # lint.check_test_cells reports it


def choice_items(nb) -> list[ChoiceItem]:
    """The chapter's multiple-choice checkpoints and graded letter questions, in order."""
    items, lesson, pending = [], [], []
    for cell in nb.cells:
        source = _source(cell)
        if cell.cell_type == "markdown":
            if _H2.search(source):
                lesson = []
            if _EXERCISE.search(source):
                pending = _letter_groups(source)
            elif _lesson_markdown(cell):
                lesson.append(source)
            continue
        for call in _checkpoints(cell):
            options = call.kwargs.get("options")
            answer = call.kwargs.get("answer")
            if call.name == "MultipleChoice" and isinstance(options, dict) and answer in options:
                keys = tuple(options)
                where = f"checkpoint {call.kwargs.get('id')!r}"
                items.append(ChoiceItem(where, keys, keys.index(answer), "\n".join(lesson)))
        check = _check(cell)
        if check and check.items is None and isinstance(check.key, str) and pending:
            options = pending.pop(0)
            index = LETTERS.find(check.key.strip().lower())
            if len(check.key.strip()) == 1 and 0 <= index < len(options):
                items.append(ChoiceItem(f"exercise {check.grade_id!r}", options, index, "\n".join(lesson)))
    return items


def _share(n: int, total: int) -> str:
    return f"{n}/{total} ({100 * n / total:.0f}%)" if total else "0/0"


def cue_measures(items: list[ChoiceItem]) -> dict:
    """The measures the cue rules limit, over ``items``."""
    return {
        "items": len(items),
        "positions": Counter(i.right for i in items),
        "shortest": [i for i in items if i.shortest],
        "longest": [i for i in items if i.longest],
        "echo": [i for i in items if i.echo],
    }


def describe(measures: dict) -> str:
    total = measures["items"]
    positions = ", ".join(f"{LETTERS[p]}: {n}" for p, n in sorted(measures["positions"].items()))
    return (
        f"{total} choice items; right answers by position {positions or 'none'}; right option "
        f"shortest in {_share(len(measures['shortest']), total)}, longest in "
        f"{_share(len(measures['longest']), total)}, top echo of the lesson in "
        f"{_share(len(measures['echo']), total)}"
    )


def _names(items: list[ChoiceItem]) -> str:
    return ", ".join(i.where for i in items)


def check_cues(items: list[ChoiceItem], pooled: bool = False) -> list[Problem]:
    """The position, length and echo rules over ``items`` (the course's set when ``pooled``)."""
    if not items:
        return []
    m = cue_measures(items)
    total = m["items"]
    where = "choice items" + (" (the course's whole set: the chapter has few)" if pooled else "")
    problems = []
    for position, n in sorted(m["positions"].items()):
        if Fraction(n, total) > MAX_POSITION_SHARE:
            problems.append(
                Problem(
                    where,
                    f"option {LETTERS[position]} is the right one in "
                    f"{_share(n, total)} of the items (at most {float(MAX_POSITION_SHARE):.0%}): move "
                    "the right option elsewhere in some of them",
                )
            )
    limits = {"shortest": MAX_LENGTH_SHARE, "longest": MAX_LENGTH_SHARE, "echo": MAX_ECHO_SHARE}
    for cue, limit in limits.items():
        hits = m[cue]
        if Fraction(len(hits), total) > limit:
            what = "shares the most words with the lesson" if cue == "echo" else f"is the {cue}"
            problems.append(
                Problem(
                    where,
                    f"the right option {what} in {_share(len(hits), total)} of the items (at most "
                    f"{float(limit):.0%}): {_names(hits)}. Rewrite some options so that this is no cue",
                )
            )
    if problems:
        problems.append(Problem(where, "measures: " + describe(m)))
    return problems


def _chapters(root: Path):
    for path in sorted((root / "source").glob("*/*.ipynb")):
        if path.stem == path.parent.name:
            yield path.stem, nbformat.read(path, as_version=4)


def course_items(root: Path, assignment: str, nb) -> tuple[list[ChoiceItem], bool]:
    """The items the cue rules count for ``assignment``: its own, or the course's whole set when it
    has fewer than :data:`MIN_ITEMS` (a rate over a handful of items says nothing)."""
    items = choice_items(nb)
    if len(items) >= MIN_ITEMS:
        return items, False
    pooled = list(items)
    for name, other in _chapters(root):
        if name != assignment:
            pooled += [
                ChoiceItem(f"{name}: {i.where}", i.options, i.right, i.lesson) for i in choice_items(other)
            ]
    return pooled, True


def check(root: Path, assignment: str, nb) -> list[Problem]:
    """Every assessment rule on chapter ``assignment`` (its source notebook ``nb``)."""
    items, pooled = course_items(root, assignment, nb)
    return check_cues(items, pooled)


def main(argv: list[str]) -> int:
    """Print the measures of every chapter (or those named), and their problems."""
    root = Path.cwd()
    failed = 0
    for name, nb in _chapters(root):
        if argv and name not in argv:
            continue
        items, pooled = course_items(root, name, nb)
        problems = check(root, name, nb)
        failed += bool(problems)
        print(f"{name}: {describe(cue_measures(choice_items(nb)))}")
        if pooled:
            print(f"  counted over the course's whole set: {describe(cue_measures(items))}")
        for problem in problems:
            print(f"  {problem}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

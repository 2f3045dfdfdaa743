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

and, for every item of the chapter on its own (a rule per item, not a rate):

* **echo**: the right option is never the one sharing strictly the most words with the lesson
  (its distinct words of four letters or more, minus common words, that also occur in the
  Markdown of its lesson before the item). A student who picks the option that sounds most like
  the text must not score by it; a tie gives no cue.

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

from ..contract import cells
from ..contract.calls import AuthoringError, top_level_calls
from ..contract.exercises import read_check

MIN_ITEMS = 10
MAX_POSITION_SHARE = Fraction(2, 5)
MAX_LENGTH_SHARE = Fraction(1, 3)
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

    def shared(self, option: int) -> list[str]:
        """The lesson's words that option ``option`` repeats, sorted."""
        return sorted(set(words(self.options[option])) & set(words(self.lesson)))

    def overlaps(self) -> list[int]:
        return [len(self.shared(k)) for k in range(len(self.options))]

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
    for cue in ("shortest", "longest"):
        hits = m[cue]
        if Fraction(len(hits), total) > MAX_LENGTH_SHARE:
            problems.append(
                Problem(
                    where,
                    f"the right option is the {cue} in {_share(len(hits), total)} of the items (at "
                    f"most {float(MAX_LENGTH_SHARE):.0%}): {_names(hits)}. Rewrite some options so "
                    "that this is no cue",
                )
            )
    if problems:
        problems.append(Problem(where, "measures: " + describe(m)))
    return problems


def check_echo(items: list[ChoiceItem]) -> list[Problem]:
    """The echo rule, item by item: the right option never repeats the lesson strictly the most."""
    problems = []
    for item in items:
        if not item.echo:
            continue
        counts = ", ".join(
            f"{LETTERS[k]}: {n}" + (" (right)" if k == item.right else "")
            for k, n in enumerate(item.overlaps())
        )
        problems.append(
            Problem(
                item.where,
                f"the right option ({LETTERS[item.right]}) shares strictly the most words with the "
                f"lesson (words shared by option {counts}; the right one repeats "
                f"{', '.join(item.shared(item.right))}). Say the right option in the student's own "
                "terms, or bring a wrong one as close to the lesson's words",
            )
        )
    return problems


def objectives(nb) -> list[str]:
    """The ids ("1", "2", ...) of the numbered list under the intro's "## Learning objectives"."""
    for cell in nb.cells[:3]:
        match = _OBJECTIVES.search(_source(cell)) if cell.cell_type == "markdown" else None
        if match:
            return _OBJECTIVE.findall(match.group(1))
    return []


def _graded(cell) -> bool:
    """A graded part: an autograder test cell or a manually graded answer (the reflection)."""
    return bool(cells.nbgrader_metadata(cell).get("grade"))


def _tag(cell) -> dict:
    tag = cell.get("metadata", {}).get(METADATA)
    return tag if isinstance(tag, dict) else {}


def check_objectives(nb) -> list[Problem]:
    """Every graded part is tagged; every objective has two graded parts, one an application."""
    ids, problems = objectives(nb), []
    if not ids:
        return [
            Problem("introduction", "list the learning objectives, numbered, under '## Learning objectives'")
        ]
    parts = {i: Counter() for i in ids}
    for cell in nb.cells:
        if not _graded(cell):
            continue
        where = f"cell {cells.grade_id(cell)!r}"
        tag = _tag(cell)
        objective, kind = str(tag.get("objective", "")), tag.get("kind")
        if objective not in parts or kind not in KINDS:
            problems.append(
                Problem(
                    where,
                    f'tag the graded part: metadata "{METADATA}": {{"objective": one of {ids}, '
                    f'"kind": "recall" or "application"}} (it has {tag or "none"})',
                )
            )
            continue
        parts[objective][kind] += 1
    for objective, kinds in parts.items():
        total = sum(kinds.values())
        if total < 2 or not kinds["application"]:
            problems.append(
                Problem(
                    f"objective {objective}",
                    f"is assessed by {total} graded part(s), {kinds['application']} of them an "
                    "application: it needs at least 2, at least 1 an application",
                )
            )
    return problems


def _norm(text: str) -> str:
    return " ".join(_WORD.findall(str(text).lower()))


@dataclass(frozen=True)
class Task:
    """What a task asks for, as the freshness rule compares it."""

    where: str
    buckets: frozenset = frozenset()  # Classify buckets, or a graded dict's allowed values
    count: int = 0  # items to sort
    options: frozenset = frozenset()  # MultipleChoice options, Order steps, letter options, a list


def checkpoint_tasks(nb) -> list[Task]:
    tasks = []
    for cell in nb.cells:
        for call in _checkpoints(cell):
            kw, where = call.kwargs, f"checkpoint {call.kwargs.get('id')!r}"
            if call.name == "Classify" and isinstance(kw.get("items"), dict):
                buckets = frozenset(_norm(b) for b in kw.get("buckets") or ())
                tasks.append(Task(where, buckets=buckets, count=len(kw["items"])))
            elif isinstance(kw.get("options" if call.name == "MultipleChoice" else "steps"), dict):
                values = kw["options" if call.name == "MultipleChoice" else "steps"]
                tasks.append(Task(where, options=frozenset(_norm(o) for o in values)))
    return tasks


def exercise_tasks(nb) -> list[Task]:
    """Each graded exercise's tasks: its letter questions, and its dict or list answer."""
    tasks, text, keys, order, first = [], None, {}, [], None

    def close():
        if first is None:
            return
        if keys:
            tasks.append(Task(first, buckets=frozenset(_norm(v) for v in keys.values()), count=len(keys)))
        if order:
            tasks.append(Task(first, options=frozenset(_norm(o) for o in order)))

    for cell in nb.cells:
        source = _source(cell)
        if cell.cell_type == "markdown" and (_EXERCISE.search(source) or _H2.search(source)):
            close()
            text, keys, order, first = source, {}, [], None
            for group in _letter_groups(source) if _EXERCISE.search(source) else ():
                tasks.append(
                    Task(
                        f"the exercise {source.splitlines()[0].lstrip('# ')!r}",
                        options=frozenset(map(_norm, group)),
                    )
                )
            continue
        check = _check(cell)
        if check is None or check.is_lab or text is None:
            continue
        first = first or f"exercise {check.grade_id!r}"
        if isinstance(check.key, dict):
            keys.update(check.key)
        elif isinstance(check.key, list):
            order = check.key
    close()
    return tasks


def _same_bucket(a: str, b: str) -> bool:
    """One bucket under two names: the words of one hold all the words of the other
    ("compliance" and "compliance and regulation")."""
    x, y = set(a.split()), set(b.split())
    return x <= y or y <= x


def _same_option(a: str, b: str) -> bool:
    """One option in other words: at least half of their content words are shared."""
    x, y = set(words(a)), set(words(b))
    return bool(x | y) and len(x & y) >= len(x | y) / 2


def _same(mine: frozenset, theirs: frozenset, alike) -> bool:
    """Both sets hold the same number of entries, each of mine alike to a different one of theirs."""
    if not mine or len(mine) != len(theirs):
        return False
    left = set(theirs)
    for entry in sorted(mine):
        match = next((t for t in sorted(left) if alike(entry, t)), None)
        if match is None:
            return False
        left.discard(match)
    return True


def check_fresh(nb) -> list[Problem]:
    """No graded exercise repeats a checkpoint's task."""
    problems, checkpoints = [], checkpoint_tasks(nb)
    for task in exercise_tasks(nb):
        for cp in checkpoints:
            same_sort = _same(task.buckets, cp.buckets, _same_bucket) and task.count == cp.count
            same_options = _same(task.options, cp.options, _same_option)
            if same_sort or same_options:
                buckets = ", ".join(sorted(task.buckets))
                what = (
                    f"the same buckets ({buckets}) with the same number of items ({task.count})"
                    if same_sort
                    else "the same options"
                )
                problems.append(
                    Problem(task.where, f"repeats {cp.where}: {what}. Make the graded task a fresh one")
                )
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
    return check_cues(items, pooled) + check_echo(choice_items(nb)) + check_objectives(nb) + check_fresh(nb)


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

"""``mlops-concepts report <id>``: what the class struggles with (item analysis), as HTML and CSV.

Learning platforms show quiz statistics per question; this does the same for a graded chapter:

* the **score distribution** of the class;
* each graded item's **facility** (mean score / maximum: the share of the points the class earned)
  and **discrimination** (the point-biserial, i.e. Pearson, correlation of the item score with the
  rest-of-test total, the "corrected item-total correlation"; "n/a" when fewer than 3 students have
  a score or either side does not vary), by the title the students read ("Exercise 1.2 (b)"),
  never by internal id;
* the **most common wrong answers** of each item, from the canonical answers that
  :class:`~mlops_concepts.grading.verdicts.GradeFromReports` records in each test cell of the
  autograded notebook (``cell.metadata[RECORD_KEY]``). For dict and list parts only the entries
  the student got wrong are shown: the report never shows the key beyond what a student gave;
* the same, grouped by **learning objective** (the objective table of the chapter's first cell;
  a chapter without one is grouped under "all");
* who still needs **hand grading**, and who **could not be graded**.

Everything below :func:`write_report` is pure: it reads the gradebook and the autograded
notebooks, never writes to either. Output files are written to a temporary name and renamed, so a
failed run leaves an earlier report untouched. Every student-derived string is escaped in the HTML
(``html.escape``) and defused in the CSV (no cell can start a spreadsheet formula).
"""

from __future__ import annotations

import base64
import csv
import html
import io
import json
import math
import os
import re
import statistics
import sys
import tempfile
import textwrap
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import nbformat

from . import cells
from .coursedir import CourseConfigError, gradebook_url
from .exercises import graded_cells
from .labs import Tally, tally
from .spreadsheet import csv_cell
from .untrusted import printable
from .verdicts import RECORD_KEY, answer_keys

#: Outcomes recorded by GradeFromReports (see verdicts.py).
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
ASSIGNMENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
DISCRIMINATION_DEFINITION = (
    "Discrimination is the point-biserial correlation (Pearson's r) between the item score and "
    "the rest-of-test total: each student's total over all other items, so the item is not "
    "correlated with itself. It runs from -1 to 1: above 0.3 the item separates students who did "
    "well overall from those who did not; near 0 or below it does not (a flawed item, an "
    "ambiguous question, or a key to re-check). It is n/a when fewer than 3 students have a "
    "score for the item or when the item score or the rest total is the same for everyone."
)
FACILITY_DEFINITION = (
    "Facility is the mean score on an item divided by its maximum: the share of the points the "
    "class earned (for a 1-point item, the share of students who got it right). Low facility "
    "means the class found the item hard."
)


class ReportError(Exception):
    """Input the report cannot use; the message says what is wrong and what to do."""


# --- the data ----------------------------------------------------------------------------------


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

    @property
    def max_total(self) -> float:
        return sum(i.max_points for i in self.items)


@dataclass
class ItemStats:
    item: Item
    n: int  # students with a score
    mean: float | None
    facility: float | None
    discrimination: float | None
    n_wrong: int  # wrong answers (a readable answer that is not the key)
    n_unreadable: int  # no answer, or an answer that could not be read
    pending: int  # still to be graded by hand
    wrong: list[tuple[tuple[str, ...], int]]  # (wrong entries, how many), most frequent first


# --- statistics ---------------------------------------------------------------------------------


def point_biserial(item_scores: list[float], rest_totals: list[float]) -> float | None:
    """Pearson's r of item score against rest-of-test total; None when it is not defined.

    For a right/wrong item this is the point-biserial correlation. None (shown "n/a") when fewer
    than 3 students, or when either list has no variance (r would be 0/0).
    """
    if len(item_scores) != len(rest_totals) or len(item_scores) < 3:
        return None
    if len(set(item_scores)) < 2 or len(set(rest_totals)) < 2:
        return None
    mx, my = statistics.fmean(item_scores), statistics.fmean(rest_totals)
    sxy = sum((x - mx) * (y - my) for x, y in zip(item_scores, rest_totals, strict=True))
    sxx = sum((x - mx) ** 2 for x in item_scores)
    syy = sum((y - my) ** 2 for y in rest_totals)
    if sxx <= 0 or syy <= 0:
        return None
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def _value_text(value, limit: int = MAX_SHOWN) -> str:
    if isinstance(value, dict) and value == {"missing": True}:
        return "(missing)"
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    return text if len(text) <= limit else text[:limit] + "…"


def _entry(name, value) -> str:
    return f"{_value_text(name, MAX_PART)} → {_value_text(value, MAX_PART)}"


def _shorten(text: str, limit: int = MAX_SHOWN) -> str:
    return printable(text, limit)  # one line, control characters escaped, shortened


def wrong_entries(given: str, key: str | None) -> tuple[str, ...]:
    """The part of a wrong canonical answer worth showing: the student's words, never the key's.

    A part of a dict or list answer (``{"part": [[item, value], ...]}``) gives only the entries
    that differ from the key, each as ``item → value``; a whole dict gives its wrong, missing or
    extra entries; anything else is one entry, the answer as given. Every entry is on one line,
    control characters escaped, shortened.
    """
    try:
        value = json.loads(given)
    except (TypeError, ValueError):
        return (_shorten(str(given)),)
    try:
        expected = json.loads(key) if key is not None else None
    except (TypeError, ValueError):
        expected = None
    counted = tally(value, expected)
    if counted is None and isinstance(value, dict) and isinstance(value.get("lab"), dict):
        lab = value["lab"]  # what labs.record kept
        raised = lab.get("raised") if isinstance(lab.get("raised"), list) else []
        counted = Tally(lab.get("right"), lab.get("total"), raised, [])
    if counted is not None:  # a lab function: how it did, not its results
        raised = f"; raised {', '.join(map(str, counted.raised))}" if counted.raised else ""
        return (_shorten(f"right on {counted.right} of {counted.total} hidden inputs{raised}"),)
    if _is_part(value) and _is_part(expected):
        right = {json.dumps(k): v for k, v in expected["part"]}
        shown = [
            _entry(k, v) for k, v in value["part"] if json.dumps(k) not in right or right[json.dumps(k)] != v
        ]
    elif isinstance(value, dict) and isinstance(expected, dict):
        shown = [_entry(k, v) for k, v in value.items() if k not in expected or expected[k] != v]
        shown += [_entry(k, {"missing": True}) for k in expected if k not in value]
    elif _is_part(value):  # no key to compare with: show the parts as given
        shown = [_entry(k, v) for k, v in value["part"]]
    else:
        shown = []
    return tuple(_shorten(e) for e in shown) or (_shorten(_value_text(value)),)


def readable_wrong(given: str, key: str | None) -> str:
    """:func:`wrong_entries` on one line, entries separated by "; " (for the CSV and the terminal)."""
    return "; ".join(wrong_entries(given, key))


def _is_part(value) -> bool:
    return (
        isinstance(value, dict)
        and set(value) == {"part"}
        and isinstance(value["part"], list)
        and all(isinstance(p, list) and len(p) == 2 for p in value["part"])
    )


def item_stats(data: ClassData) -> list[ItemStats]:
    """Facility, discrimination and common wrong answers of every item, in notebook order."""
    out = []
    for item in data.items:
        scored = [s for s in data.students if s.scores.get(item.key) is not None]
        xs = [s.scores[item.key] for s in scored]
        rest = [s.total - s.scores[item.key] for s in scored]
        mean = statistics.fmean(xs) if xs else None
        facility = mean / item.max_points if xs and item.max_points else None
        wrong: Counter = Counter()
        n_wrong = n_unreadable = 0
        for s in scored:
            record = s.records.get(item.key)
            if s.scores[item.key] >= item.max_points or not isinstance(record, dict):
                continue  # the gradebook's score is the truth; the record only says why
            if record.get("outcome") == WRONG and isinstance(record.get("given"), str):
                n_wrong += 1
                wrong[wrong_entries(record["given"], data.keys.get(item.key))] += 1
            elif record.get("outcome") in OUTCOME_WORDS:
                n_unreadable += 1
        out.append(
            ItemStats(
                item=item,
                n=len(xs),
                mean=mean,
                facility=facility,
                discrimination=point_biserial(xs, rest),
                n_wrong=n_wrong,
                n_unreadable=n_unreadable,
                pending=sum(1 for s in data.students if item.key in s.scores and s.scores[item.key] is None),
                wrong=sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WRONG],
            )
        )
    return out


@dataclass
class ObjectiveStats:
    name: str
    items: list[ItemStats]
    facility: float | None  # points earned / points possible, over the objective's items
    wrong: list[tuple[str, tuple[str, ...], int]]  # (item label, wrong entries, how many)


def objective_stats(data: ClassData, stats: list[ItemStats]) -> list[ObjectiveStats]:
    out = []
    names = list(data.objectives) + ([UNLINKED] if any(s.item.objective == UNLINKED for s in stats) else [])
    for name in names:
        mine = [s for s in stats if s.item.objective == name]
        earned = sum(s.mean * s.n for s in mine if s.mean is not None)
        possible = sum(s.item.max_points * s.n for s in mine)
        wrong = sorted(((s.item.label, text, n) for s in mine for text, n in s.wrong), key=lambda t: -t[2])[
            : TOP_WRONG + 2
        ]
        out.append(ObjectiveStats(name, mine, earned / possible if possible else None, wrong))
    return out


# --- reading the chapter ------------------------------------------------------------------------


def item_titles(nb, notebook: str = "") -> list[Item]:
    """Every graded cell of a release (or source) notebook with the title students read
    (:func:`~mlops_concepts.grading.exercises.graded_cells`: the same titles as their feedback)."""
    items = []
    for n, g in enumerate(graded_cells(nb), 1):
        meta = cells.nbgrader_metadata(g.cell)
        label = g.label or f"Graded cell {n}" + (f" ({g.part})" if g.part else "")
        if g.exercise:
            title = f"{label} — {g.name}" if g.name else label
        else:
            title = (g.heading + (f" ({g.part})" if g.part else "")) if g.heading else label
        items.append(
            Item(
                notebook=notebook,
                grade_id=cells.grade_id(g.cell) or "",
                label=label,
                title=title,
                max_points=float(meta.get("points", 0) or 0),
                auto=cells.is_test(g.cell),
                exercise=g.exercise,
                part=g.part,
                heading=g.heading,
            )
        )
    return items


def _plain(text: str) -> str:
    """Markdown table cell text without emphasis or code marks."""
    return re.sub(r"[*_`]+", "", text).strip()


def objective_table(nb) -> list[tuple[str, list[str]]] | None:
    """``[(objective, [exercise references])]`` from the first cell's objective table, or None.

    The table has an "Objective" column first and a "Graded exercises" column whose cells list
    references such as ``1.1 (a)``, ``1.2`` or ``reflection``, separated by commas.
    """
    if not nb.cells or nb.cells[0].cell_type != "markdown":
        return None
    rows = [line.strip() for line in nb.cells[0].source.splitlines() if line.strip().startswith("|")]
    if len(rows) < 3:
        return None
    split = [[c.strip() for c in row.strip("|").split("|")] for row in rows]
    header = [c.lower() for c in split[0]]
    if not header or "objective" not in header[0]:
        return None
    graded = next((i for i, h in enumerate(header) if "graded" in h and "ungraded" not in h), None)
    if graded is None:
        return None
    table = []
    for row in split[1:]:
        if all(re.fullmatch(r":?-{3,}:?", c) for c in row if c):
            continue  # the separator row
        if len(row) <= graded or not _plain(row[0]):
            continue
        refs = [_plain(r) for r in row[graded].split(",") if _plain(r)]
        table.append((_plain(row[0]), refs))
    return table or None


_REF = re.compile(r"^(?:exercise\s+)?(\d+(?:\.\d+)*)\s*(?:\(\s*([a-z])\s*\))?$", re.IGNORECASE)


def assign_objectives(items: list[Item], table) -> list[str]:
    """Set each item's objective from the table; return the objectives in table order."""
    if not table:
        for item in items:
            item.objective = ALL
        return [ALL]
    for item in items:
        item.objective = UNLINKED
    for objective, refs in table:
        for ref in refs:
            m = _REF.match(ref)
            for item in items:
                if item.objective != UNLINKED:
                    continue
                if m:
                    hit = item.exercise == m.group(1) and (not m.group(2) or item.part == m.group(2).lower())
                else:  # a word, such as "reflection": the heading it starts
                    hit = item.heading.lower().startswith(ref.lower())
                if hit:
                    item.objective = objective
    return [objective for objective, _ in table]


# --- reading the course -------------------------------------------------------------------------


def _shown_url(url: str) -> str:
    try:
        from sqlalchemy.engine import make_url

        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return re.sub(r"//[^@/]*@", "//***@", url)


def _read_only(url: str) -> str:
    """A SQLite URL opened read-only (the report must never change the gradebook)."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database or parsed.database == ":memory:":
        return url
    path = Path(parsed.database)
    if not path.is_file():
        raise ReportError(
            f"there is no gradebook at {path}: grade the assignment first (mlops-concepts grade <id>)"
        )
    return f"sqlite:///file:{path.resolve()}?mode=ro&uri=true"


def _open_gradebook(url: str):
    """An nbgrader Gradebook, or a ReportError saying why the gradebook cannot be read."""
    from nbgrader.api import Gradebook
    from sqlalchemy import create_engine, inspect
    from sqlalchemy.exc import SQLAlchemyError

    shown = _shown_url(url)
    try:
        ro = _read_only(url)
        engine = create_engine(ro, future=True)
        try:
            tables = set(inspect(engine).get_table_names())
        finally:
            engine.dispose()
    except ReportError:
        raise
    except (SQLAlchemyError, OSError, ValueError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise ReportError(f"cannot read the gradebook at {shown}: {first}") from None
    except ModuleNotFoundError as err:
        raise ReportError(
            f"cannot read the gradebook at {shown}: the database driver is not "
            f'installed ({err.name}; for PostgreSQL: pip install -e ".[postgres]")'
        ) from None
    if not {"assignment", "submitted_assignment", "grade"} <= tables:
        raise ReportError(
            f"the gradebook at {shown} holds no nbgrader grades: grade the "
            "assignment first (mlops-concepts grade <id>)"
        )
    try:
        return Gradebook(ro)
    except SQLAlchemyError as err:
        raise ReportError(f"cannot read the gradebook at {shown}: {str(err).splitlines()[0]}") from None


def _chapter_notebook(root: Path, assignment: str, notebook: str):
    for step in ("release", "source"):
        path = root / step / assignment / f"{notebook}.ipynb"
        if path.is_file():
            return nbformat.read(path, as_version=4)
    return None


def _records(path: Path) -> dict[str, dict]:
    """grade id -> record, from the test cells of one autograded notebook ({} if unreadable)."""
    try:
        if path.is_symlink() or not path.is_file():
            return {}
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an autograded notebook we cannot read only loses the "why", not the scores
        return {}
    out = {}
    for cell in nb.cells:
        record = cell.get("metadata", {}).get(RECORD_KEY)
        if cells.is_test(cell) and isinstance(record, dict):
            out[cells.grade_id(cell) or ""] = dict(record)
    return out


def _source_keys(root: Path, assignment: str, notebook: str) -> dict[str, str]:
    """Canonical answer keys (only to tell a student's wrong entries from right ones)."""
    path = root / "source" / assignment / f"{notebook}.ipynb"
    if not path.is_file():
        return {}
    try:
        return answer_keys(nbformat.read(path, as_version=4))
    except Exception:  # without keys, wrong answers are shown whole: still the student's words
        return {}


def _known_assignments(root: Path, gb) -> list[str]:
    names = {a.name for a in gb.assignments}
    for step in ("source", "release"):
        if (root / step).is_dir():
            names |= {p.name for p in (root / step).iterdir() if p.is_dir()}
    return sorted(names)


def load_class(root: Path, assignment: str, url: str | None = None) -> ClassData:
    """Everything the report needs, read from the gradebook and the autograded notebooks."""
    from nbgrader.api import MissingEntry

    if not ASSIGNMENT_ID.fullmatch(assignment or ""):
        raise ReportError(f"{printable(assignment)!r} is not an assignment id")
    gb = _open_gradebook(url or gradebook_url(root))
    try:
        try:
            record = gb.find_assignment(assignment)
        except MissingEntry:
            known = _known_assignments(root, gb)
            hint = f"known assignments: {', '.join(known)}" if known else "the course has none yet"
            if (root / "source" / assignment).is_dir():
                raise ReportError(
                    f"{assignment} has not been graded yet: no graded submissions "
                    f"(run mlops-concepts grade {assignment})"
                ) from None
            raise ReportError(f"unknown assignment {assignment!r} ({hint})") from None
        items: list[Item] = []
        keys: dict[tuple[str, str], str] = {}
        objectives: list[str] = []
        notebooks = sorted(nb.name for nb in record.notebooks)
        for name in notebooks:
            gradebook_cells = {c.name: c for c in gb.find_notebook(name, assignment).grade_cells}
            chapter = _chapter_notebook(root, assignment, name)
            titled = item_titles(chapter, name) if chapter is not None else []
            titled = [i for i in titled if i.grade_id in gradebook_cells]
            for n, gid in enumerate(sorted(set(gradebook_cells) - {i.grade_id for i in titled}), 1):
                cell = gradebook_cells[gid]  # a cell the chapter no longer has: numbered, not named
                titled.append(
                    Item(
                        name,
                        gid,
                        f"Graded cell {len(titled) + n}",
                        f"Graded cell {len(titled) + n}",
                        float(cell.max_score),
                        cell.cell_type == "code",
                    )
                )
            for item in titled:
                item.max_points = float(gradebook_cells[item.grade_id].max_score)
                if len(notebooks) > 1:
                    item.label, item.title = f"{name}: {item.label}", f"{name}: {item.title}"
            table = objective_table(chapter) if chapter is not None else None
            for objective in assign_objectives(titled, table):
                if objective not in objectives:
                    objectives.append(objective)
            items += titled
            keys.update({(name, gid): key for gid, key in _source_keys(root, assignment, name).items()})

        students: list[Student] = []
        not_graded: dict[str, str] = {}
        for sub in sorted(gb.assignment_submissions(assignment), key=lambda s: s.student.id):
            name = sub.student.id
            folder = root / "autograded" / name / assignment
            if not folder.is_dir() or folder.is_symlink():
                not_graded[name] = (
                    "autograding failed: there is no autograded notebook (see "
                    f".grading/logs/{printable(name)}.log)"
                )
                continue
            scores: dict[tuple[str, str], float | None] = {}
            records: dict[tuple[str, str], dict] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    key = (nb.name, grade.name)
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    scores[key] = None if pending else float(grade.score)
                for gid, rec in _records(folder / f"{nb.name}.ipynb").items():
                    records[(nb.name, gid)] = rec
            students.append(Student(name, scores, records))
    finally:
        gb.close()
    graded = {s.name for s in students}
    submitted = root / "submitted"
    if submitted.is_dir():
        for folder in sorted(submitted.iterdir()):
            if folder.name not in graded and folder.name not in not_graded and (folder / assignment).is_dir():
                not_graded[folder.name] = f"submitted but not graded (run mlops-concepts grade {assignment})"
    if not students:
        extra = f"; {len(not_graded)} submitted but not graded" if not_graded else ""
        raise ReportError(
            f"no graded submissions of {assignment} yet{extra}: run mlops-concepts grade {assignment} first"
        )
    return ClassData(assignment, items, students, not_graded, objectives, keys)


# --- plots --------------------------------------------------------------------------------------


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fig(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    return Figure(figsize=(width, height), layout="constrained")


def _mpl_text(text: str) -> str:
    return text.replace("$", r"\$")  # no mathtext from a title


def _points(x: float) -> str:
    return f"{x:g}"


def score_plot(data: ClassData) -> tuple[str, str]:
    """(base64 PNG, alt text) of the distribution of total scores."""
    totals = [s.total for s in data.students]
    top = data.max_total
    fig = _fig(7.5, 3.4)
    ax = fig.add_subplot()
    nbins = int(math.ceil(top)) + 1 if top <= 40 else 20
    edges = [i - 0.5 for i in range(nbins + 1)] if top <= 40 else [top * i / nbins for i in range(nbins + 1)]
    counts, _, _ = ax.hist(totals, bins=edges, color="#3b6ea8", edgecolor="white")
    ax.set_xlabel(f"total score (out of {_points(top)} points)")
    ax.set_ylabel("students")
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.xaxis.get_major_locator().set_params(integer=True)
    mean, median = statistics.fmean(totals), statistics.median(totals)
    ax.axvline(mean, color="#c0392b", linestyle="--", linewidth=1.5, label=f"mean {mean:.1f}")
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(f"Total scores of {len(totals)} graded student(s)")
    ax.spines[["top", "right"]].set_visible(False)
    spread = Counter(totals)
    if len(spread) <= 12:
        words = "; ".join(f"{n} scored {_points(v)}" for v, n in sorted(spread.items()))
    else:
        q = statistics.quantiles(totals, n=4)
        words = f"quartiles {q[0]:.1f}, {q[1]:.1f} and {q[2]:.1f}"
    alt = (
        f"Histogram of the total scores of {len(totals)} graded students, out of "
        f"{_points(top)} points: {words}. Mean {mean:.1f}, median {_points(median)}."
    )
    return _png(fig), alt


def _fmt(x: float | None, digits: int = 2) -> str:
    return "n/a" if x is None else f"{x:.{digits}f}"


def items_plot(stats: list[ItemStats]) -> tuple[str, str]:
    """(base64 PNG, alt text): facility and discrimination of every item, side by side."""
    labels = [_mpl_text(s.item.label) for s in stats]
    rows = list(range(len(stats)))
    fig = _fig(8.5, 0.9 + 0.32 * len(stats))
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1])
    fac = [s.facility if s.facility is not None else 0 for s in stats]
    left.barh(rows, fac, color=["#c0392b" if f < LOW_FACILITY else "#3b6ea8" for f in fac])
    left.set_xlim(0, 1)
    left.set_xlabel("facility (share of points earned)")
    left.set_yticks(rows, labels)
    left.invert_yaxis()
    left.set_title("Facility: low = hard")
    disc = [s.discrimination for s in stats]
    right.barh(
        rows,
        [d if d is not None else 0 for d in disc],
        color=["#c0392b" if d is not None and d < LOW_DISCRIMINATION else "#2e8b57" for d in disc],
    )
    for row, d in zip(rows, disc, strict=True):
        if d is None:
            right.text(0.02, row, "n/a", va="center", ha="left", fontsize=8, color="#555")
    right.axvline(0, color="#333", linewidth=0.8)
    right.set_xlim(-1, 1)
    right.set_xticks([-1, -0.5, 0, 0.5, 1])
    right.set_xlabel("discrimination (r with rest of test)")
    right.set_title("Discrimination: low = does not separate")
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#ddd", linewidth=0.6)
        ax.set_axisbelow(True)
    ranked = sorted((s for s in stats if s.facility is not None), key=lambda s: s.facility)
    hard = ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in ranked[:3])
    easy = ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in ranked[::-1][:3])
    low = [s for s in stats if s.discrimination is not None and s.discrimination < LOW_DISCRIMINATION]
    na = sum(1 for s in stats if s.discrimination is None)
    alt = (
        f"Two bar charts of the {len(stats)} graded items in notebook order. Left, facility "
        f"from 0 to 1: hardest {hard}; easiest {easy}. Right, discrimination from -1 to 1: "
        + (
            f"{len(low)} item(s) below {LOW_DISCRIMINATION} ("
            f"{', '.join(s.item.label for s in low[:5])}{', ...' if len(low) > 5 else ''})"
            if low
            else f"no item below {LOW_DISCRIMINATION}"
        )
        + (f"; {na} item(s) n/a" if na else "")
        + ". The table below gives every number."
    )
    return _png(fig), alt


def objectives_plot(objectives: list[ObjectiveStats]) -> tuple[str, str]:
    shown = [o for o in objectives if o.facility is not None]
    fig = _fig(7.5, 0.9 + 0.45 * max(1, len(shown)))
    ax = fig.add_subplot()
    rows = list(range(len(shown)))
    ax.barh(
        rows,
        [o.facility for o in shown],
        color=["#c0392b" if o.facility < LOW_FACILITY else "#3b6ea8" for o in shown],
    )
    ax.set_yticks(rows, [_mpl_text(textwrap.fill(o.name, 34)) for o in shown])
    ax.invert_yaxis()
    ax.set_xlim(0, 1)
    ax.set_xlabel("facility (share of the objective's points earned)")
    for row, o in zip(rows, shown, strict=True):
        ax.text(min(o.facility + 0.01, 0.9), row, f"{o.facility:.2f}", va="center", fontsize=9)
    ax.spines[["top", "right"]].set_visible(False)
    ax.set_title("Facility by learning objective")
    alt = (
        "Bar chart of facility by learning objective, from 0 to 1: "
        + "; ".join(f"{o.name} {o.facility:.2f}" for o in shown)
        + "."
    )
    return _png(fig), alt


# --- HTML and CSV -------------------------------------------------------------------------------

CSS = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",sans-serif;
 color:#1d1d1f;background:#fff;margin:0}
main{max-width:1040px;margin:0 auto;padding:24px 28px 48px}
h1{font-size:1.7em;margin:.2em 0}
h2{margin-top:1.8em;border-bottom:2px solid #e3e6ea;padding-bottom:.2em}
h3{margin-bottom:.3em}
a{color:#1f5fa0}
.meta{color:#555;margin-top:0}
nav{margin:0 0 8px;color:#555}
.cards{display:flex;flex-wrap:wrap;gap:12px;margin:18px 0;padding:0;list-style:none}
.cards li{border:1px solid #e3e6ea;border-radius:8px;padding:10px 16px;min-width:140px}
.cards b{display:block;font-size:1.5em}
figure{margin:12px 0}
img{max-width:100%;height:auto}
figcaption,.note{color:#555;font-size:.92em}
table{border-collapse:collapse;width:100%;margin:8px 0 16px;font-size:.93em}
caption{text-align:left;font-weight:600;padding:4px 0}
th,td{border-bottom:1px solid #e3e6ea;padding:6px 8px;text-align:left;vertical-align:top}
thead th{background:#f4f6f8;border-bottom:2px solid #cfd5dc;white-space:nowrap}
tbody th{font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.low{color:#a02a1e;font-weight:700}
.wrong-answers tbody th{width:30%}
ul.wrong{margin:0;padding-left:1.1em}
ul.wrong li{overflow-wrap:anywhere}
.student{font-family:ui-monospace,"DejaVu Sans Mono",monospace;overflow-wrap:anywhere}
dl dt{font-weight:600}
dl dd{margin:0 0 .6em 0}
"""


def _e(text) -> str:
    return html.escape(str(text), quote=True)


def _entries(entries: tuple[str, ...]) -> str:
    return '<ul class="wrong">' + "".join(f"<li>{_e(e)}</li>" for e in entries) + "</ul>"


def _num(x, cls: str = "") -> str:
    return f'<td class="num{cls}">{x}</td>'


def _item_row(s: ItemStats, with_objective: bool) -> str:
    low = " low" if s.facility is not None and s.facility < LOW_FACILITY else ""
    return (
        f'<tr><th scope="row">{_e(s.item.title)}</th>'
        + (f"<td>{_e(s.item.objective)}</td>" if with_objective else "")
        + _num(_points(s.item.max_points))
        + _num(s.n)
        + _num(_fmt(s.mean))
        + _num(_fmt(s.facility), low)
        + _num(_fmt(s.discrimination))
        + _num(s.n_wrong)
        + _num(s.n_unreadable)
        + _num(s.pending)
        + "</tr>"
    )


def _th(text: str, num: bool = True, title: str = "") -> str:
    tip = f' title="{_e(title)}"' if title else ""
    cls = ' class="num"' if num else ""
    return f'<th scope="col"{cls}{tip}>{text}</th>'


ITEM_HEAD = (
    _th("max", title="maximum points")
    + _th("n", title="students with a score")
    + _th("mean")
    + _th("facility")
    + _th("discr.", title="discrimination")
    + _th("wrong", title="answers read and not right")
    + _th("no answer", title="checks that could not run or answers that could not be read")
    + _th("by hand", title="answers still to be graded by hand")
)


def _wrong_table(rows: list[tuple[str, list[tuple[tuple[str, ...], int]]]], caption: str) -> str:
    """One row per (item, wrong answer); the item named once, on its first row."""
    body = []
    for title, wrong in rows:
        for i, (entries, n) in enumerate(wrong):
            head = f'<th scope="row" rowspan="{len(wrong)}">{_e(title)}</th>' if i == 0 else ""
            body.append(f"<tr>{head}{_num(n)}<td>{_entries(entries)}</td></tr>")
    return (
        f'<table class="wrong-answers"><caption>{_e(caption)}</caption><thead><tr>'
        + _th("item", num=False)
        + _th("students")
        + _th("wrong answer (only the wrong entries)", num=False)
        + "</tr></thead><tbody>"
        + "".join(body)
        + "</tbody></table>"
    )


def render_html(data: ClassData, stats: list[ItemStats], generated: str | None = None) -> str:
    """The whole report as one self-contained HTML page (no external resource of any kind)."""
    generated = generated or datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    objectives = objective_stats(data, stats)
    totals = [s.total for s in data.students]
    pending = [(s, s.pending()) for s in data.students if s.pending()]
    by_key = {i.key: i for i in data.items}
    score_png, score_alt = score_plot(data)
    items_png, items_alt = items_plot(stats)
    with_wrong = [(s.item.title, s.wrong) for s in stats if s.wrong]
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'; '
        "img-src data:; style-src 'unsafe-inline'\">",
        f"<title>Class report: {_e(data.assignment)}</title><style>{CSS}</style></head><body><main>",
        f"<h1>Class report: {_e(data.assignment)}</h1>",
        f'<p class="meta">Generated {_e(generated)} from the gradebook and the autograded '
        "notebooks (<code>mlops-concepts report</code>).</p>",
        '<ul class="cards">',
        f"<li>graded<b>{len(data.students)}</b></li>",
        f"<li>mean score<b>{statistics.fmean(totals):.1f} / {_points(data.max_total)}</b></li>",
        f"<li>median<b>{_points(statistics.median(totals))}</b></li>",
        f'<li>to grade by hand<b><a href="#hand">{len(pending)}</a></b></li>',
        f'<li>could not be graded<b><a href="#not-graded">{len(data.not_graded)}</a></b></li>',
        "</ul>",
        '<nav><a href="#scores">Scores</a> · <a href="#items">Items</a> · '
        '<a href="#wrong">Wrong answers</a> · <a href="#objectives">By objective</a> · '
        '<a href="#hand">Hand grading</a> · <a href="#not-graded">Not graded</a> · '
        '<a href="#definitions">Definitions</a></nav>',
        '<h2 id="scores">Score distribution</h2>',
        f'<figure><img src="data:image/png;base64,{score_png}" alt="{_e(score_alt)}">'
        + (
            "<figcaption>Answers still to be graded by hand count as 0 in these totals.</figcaption>"
            if pending
            else ""
        )
        + "</figure>",
        '<h2 id="items">Items: facility and discrimination</h2>',
        f'<figure><img src="data:image/png;base64,{items_png}" alt="{_e(items_alt)}">'
        f"<figcaption>Facility below {LOW_FACILITY:.2f} and discrimination below "
        f"{LOW_DISCRIMINATION:.2f} in red. Definitions at the "
        '<a href="#definitions">end of the page</a>.</figcaption></figure>',
        "<table><caption>Every graded item, in notebook order</caption><thead><tr>"
        + _th("item", num=False)
        + _th("objective", num=False)
        + ITEM_HEAD
        + "</tr></thead><tbody>",
        *(_item_row(s, True) for s in stats),
        "</tbody></table>",
        '<h2 id="wrong">Most common wrong answers</h2>',
        (
            _wrong_table(with_wrong, f"Up to {TOP_WRONG} per item, most frequent first")
            if with_wrong
            else "<p>No wrong answers were recorded.</p>"
        ),
        '<h2 id="objectives">By learning objective</h2>',
    ]
    if len(objectives) > 1:
        obj_png, obj_alt = objectives_plot(objectives)
        parts.append(f'<figure><img src="data:image/png;base64,{obj_png}" alt="{_e(obj_alt)}"></figure>')
    elif objectives and objectives[0].name == ALL:
        parts.append(
            '<p class="note">This chapter has no objective table in its first cell, so '
            "every item is grouped under &ldquo;all&rdquo;.</p>"
        )
    for o in objectives:
        parts += [
            f"<h3>{_e(o.name)}</h3>",
            f"<p>Facility {_fmt(o.facility)} over {len(o.items)} item(s).</p>",
        ]
        if o.items:
            parts += [
                "<table><thead><tr>" + _th("item", num=False) + ITEM_HEAD + "</tr></thead><tbody>",
                *(_item_row(s, False) for s in o.items),
                "</tbody></table>",
            ]
        if o.wrong:
            grouped: dict[str, list] = {}
            for label, entries, n in o.wrong:
                grouped.setdefault(label, []).append((entries, n))
            parts.append(_wrong_table(list(grouped.items()), f"Most common wrong answers: {o.name}"))
    parts.append('<h2 id="hand">Still to grade by hand</h2>')
    if pending:
        parts.append(
            "<table><thead><tr>"
            + _th("student", num=False)
            + _th("answers to grade", num=False)
            + "</tr></thead><tbody>"
            + "".join(
                f'<tr><td class="student">{_e(printable(s.name))}</td><td>'
                + _e(", ".join(by_key[k].title if k in by_key else "a graded cell" for k in keys))
                + "</td></tr>"
                for s, keys in pending
            )
            + '</tbody></table><p class="note">Grade them in the Formgrader, then run '
            "<code>nbgrader generate_feedback " + _e(data.assignment) + " --force</code>."
            "</p>"
        )
    else:
        parts.append("<p>Nobody: every answer has a score.</p>")
    parts.append('<h2 id="not-graded">Could not be graded</h2>')
    if data.not_graded:
        parts.append(
            "<table><thead><tr>"
            + _th("student", num=False)
            + _th("why", num=False)
            + "</tr></thead><tbody>"
            + "".join(
                f'<tr><td class="student">{_e(printable(name))}</td><td>{_e(printable(why, 400))}</td></tr>'
                for name, why in sorted(data.not_graded.items())
            )
            + "</tbody></table>"
        )
    else:
        parts.append("<p>Nobody: every submission was graded.</p>")
    parts += [
        '<h2 id="definitions">Definitions</h2><dl>',
        f"<dt>Facility</dt><dd>{_e(FACILITY_DEFINITION)}</dd>",
        f"<dt>Discrimination</dt><dd>{_e(DISCRIMINATION_DEFINITION)}</dd>",
        "<dt>Wrong, no answer</dt><dd>&ldquo;Wrong&rdquo; counts answers that were read and "
        "are not right; &ldquo;no answer&rdquo; counts checks that could not run (nothing "
        "answered, or the code stopped) and answers that could not be read (not plain "
        "data). Wrong answers show only the entries a student got wrong, in the student's "
        "own words, lower-cased and trimmed as the grader compares them.</dd>",
        "<dt>Objectives</dt><dd>From the table of learning objectives in the chapter's "
        "first cell. An objective's facility is the share of its items' points the class "
        "earned.</dd></dl>",
        "</main></body></html>",
    ]
    return "\n".join(parts)


CSV_COLUMNS = [
    "assignment",
    "notebook",
    "item_id",
    "title",
    "objective",
    "max_points",
    "n",
    "mean",
    "facility",
    "discrimination",
    "top_wrong_answer",
    "top_wrong_count",
    "n_wrong",
    "n_no_answer",
    "n_to_grade_by_hand",
]


def _csv_number(x: float) -> Decimal:
    # Three decimals, as in the HTML, but a number: a negative discrimination is not text that
    # could start a formula, so csv_cell leaves it as it is (no ' in front).
    return Decimal(_fmt(x, 3))


def csv_rows(data: ClassData, stats: list[ItemStats]) -> list[dict]:
    rows = []
    for s in stats:
        top, count = ("; ".join(s.wrong[0][0]), s.wrong[0][1]) if s.wrong else ("", 0)
        rows.append(
            {
                "assignment": data.assignment,
                "notebook": s.item.notebook,
                "item_id": s.item.grade_id,
                "title": s.item.title,
                "objective": s.item.objective,
                "max_points": _points(s.item.max_points),
                "n": s.n,
                "mean": _csv_number(s.mean) if s.mean is not None else "",
                "facility": _csv_number(s.facility) if s.facility is not None else "",
                "discrimination": _csv_number(s.discrimination) if s.discrimination is not None else "n/a",
                "top_wrong_answer": top,
                "top_wrong_count": count,
                "n_wrong": s.n_wrong,
                "n_no_answer": s.n_unreadable,
                "n_to_grade_by_hand": s.pending,
            }
        )
    return rows


def _write_atomically(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_dir():
        raise ReportError(f"{path} is a folder; give a file name")
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_report(data: ClassData, html_path: Path, csv_path: Path) -> list[ItemStats]:
    """Write the HTML report and the per-item CSV (each replaced only once it is complete)."""
    stats = item_stats(data)
    page = render_html(data, stats)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(data, stats):
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    for path in (html_path, csv_path):
        if path.is_dir():
            raise ReportError(f"{path} is a folder; give a file name")
    _write_atomically(html_path, page)
    _write_atomically(csv_path, buf.getvalue())
    return stats


def report(root: Path, assignment: str, out: Path | None = None, csv_out: Path | None = None) -> int:
    """``mlops-concepts report``: write the files and say where; 1 with a message on bad input."""
    root = root.resolve()
    try:
        if not (root / "nbgrader_config.py").is_file():
            raise ReportError(f"{root} is not a course directory (no nbgrader_config.py)")
        data = load_class(root, assignment)
        html_path = out or root / "reports" / f"{assignment}.html"
        csv_path = csv_out or root / "reports" / f"{assignment}-items.csv"
        stats = write_report(data, html_path, csv_path)
    except (ReportError, CourseConfigError) as err:
        print(f"mlops-concepts report: {err}", file=sys.stderr, flush=True)
        return 1
    except OSError as err:
        print(f"mlops-concepts report: cannot write the report: {err}", file=sys.stderr, flush=True)
        return 1
    # Items still being graded by hand would rank by their blanks alone: left out of this line.
    hardest = sorted(
        (s for s in stats if s.facility is not None and not s.pending), key=lambda s: s.facility
    )[:3]
    print(
        f"Class report of {assignment}: {len(data.students)} graded, "
        f"{sum(1 for s in data.students if s.pending())} to grade by hand, "
        f"{len(data.not_graded)} could not be graded."
    )
    if hardest:
        print("Hardest items: " + ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in hardest))
    print(f"Wrote {html_path} and {csv_path}")
    return 0


def cli(args, extra: list[str]) -> int:
    """The ``report`` subcommand, called from :func:`mlops_concepts.grading.cli.main`."""
    if extra:
        print(f"mlops-concepts report: unrecognised arguments: {' '.join(extra)}", file=sys.stderr)
        return 2
    root = args.root.resolve()
    assignments = args.assignment or sorted(
        {p.name for p in (root / "autograded").glob("*/*") if p.is_dir()}
        & {p.name for p in (root / "release").glob("*") if p.is_dir()}
    )
    if not assignments:
        print(f"mlops-concepts report: nothing graded yet in {root / 'autograded'}", file=sys.stderr)
        return 1
    if len(assignments) > 1 and (args.out or args.csv):
        print(
            "mlops-concepts report: --out and --csv name one chapter's files: give one chapter id",
            file=sys.stderr,
        )
        return 2
    return max(report(root, a, args.out, args.csv) for a in assignments)

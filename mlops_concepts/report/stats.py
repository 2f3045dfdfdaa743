"""Item analysis: each item's facility and discrimination, and the class's common wrong answers.

Pure functions of a :class:`~.model.ClassData`; the definitions the page states are here too, next
to the code that computes what they define.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import Counter
from dataclasses import dataclass

from ..contract.labs import Tally, tally
from ..contract.untrusted import printable
from .model import MAX_PART, MAX_SHOWN, OUTCOME_WORDS, TOP_WRONG, UNLINKED, WRONG, ClassData, Item
from .wording import as_written, is_placeholder

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


def wrong_entries(given: str, key: str | None, wording: dict[str, str] | None = None) -> tuple[str, ...]:
    """The part of a wrong canonical answer worth showing: the student's words, never the key's.

    A part of a dict or list answer (``{"part": [[item, value], ...]}``) gives only the entries
    that differ from the key, each as ``item → value``; a whole dict gives its wrong, missing or
    extra entries; anything else is one entry, the answer as given. Entries whose value is still
    the release's ``<...>`` placeholder are left out: ``()`` means nothing was answered. Texts are
    shown as the student wrote them when ``wording`` (:func:`.wording.wording_of`) knows them.
    Every entry is on one line, control characters escaped, shortened.
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
    if is_placeholder(value):
        return ()
    if _is_part(value) and _is_part(expected):
        right = {json.dumps(k): v for k, v in expected["part"]}
        pairs = [(k, v) for k, v in value["part"] if json.dumps(k) not in right or right[json.dumps(k)] != v]
    elif isinstance(value, dict) and isinstance(expected, dict):
        pairs = [(k, v) for k, v in value.items() if k not in expected or expected[k] != v]
        pairs += [(k, {"missing": True}) for k in expected if k not in value]
    elif _is_part(value):  # no key to compare with: show the parts as given
        pairs = list(value["part"])
    else:
        return (_shorten(_value_text(as_written(value, wording or {}))),)
    answered = [(k, v) for k, v in pairs if not is_placeholder(v)]
    if pairs and not answered:
        return ()  # every wrong entry is an untouched placeholder
    shown = [_entry(as_written(k, wording or {}), as_written(v, wording or {})) for k, v in answered]
    return tuple(_shorten(e) for e in shown) or (_shorten(_value_text(as_written(value, wording or {}))),)


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
        shown: dict[tuple[str, ...], tuple[str, ...]] = {}
        n_wrong = n_unreadable = 0
        for s in scored:
            record = s.records.get(item.key)
            if s.scores[item.key] >= item.max_points or not isinstance(record, dict):
                continue  # the gradebook's score is the truth; the record only says why
            if record.get("outcome") == WRONG and isinstance(record.get("given"), str):
                key = data.keys.get(item.key)
                # Counted by canonical form (as graded); shown as the first student wrote it.
                canonical = wrong_entries(record["given"], key)
                if not canonical:  # only untouched placeholders: not answered
                    n_unreadable += 1
                    continue
                n_wrong += 1
                wrong[canonical] += 1
                shown.setdefault(canonical, wrong_entries(record["given"], key, data.wording | s.wording))
            elif record.get("outcome") in OUTCOME_WORDS:
                n_unreadable += 1
        ranked = sorted(wrong.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP_WRONG]
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
                wrong=[(shown[c], n) for c, n in ranked],
            )
        )
    return out


@dataclass
class ObjectiveStats:
    name: str
    items: list[ItemStats]
    facility: float | None  # points earned / points possible, over the objective's items


def objective_stats(data: ClassData, stats: list[ItemStats]) -> list[ObjectiveStats]:
    out = []
    names = list(data.objectives) + ([UNLINKED] if any(s.item.objective == UNLINKED for s in stats) else [])
    for name in names:
        mine = [s for s in stats if s.item.objective == name]
        earned = sum(s.mean * s.n for s in mine if s.mean is not None)
        possible = sum(s.item.max_points * s.n for s in mine)
        out.append(ObjectiveStats(name, mine, earned / possible if possible else None))
    return out

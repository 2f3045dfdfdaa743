"""What the chapter says about its graded items: their titles, and the objective each assesses.

Read from a release (or source) notebook: the titles students read in their feedback, and the
table of learning objectives in the chapter's first cell.
"""

from __future__ import annotations

import re

from ..contract import cells
from ..contract.exercises import graded_cells
from .model import ALL, UNLINKED, Item


def item_titles(nb, notebook: str = "") -> list[Item]:
    """Every graded cell of a release (or source) notebook with the title students read
    (:func:`~mlops_concepts.contract.exercises.graded_cells`: the same titles as their feedback)."""
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

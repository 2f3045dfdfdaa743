"""The per-item CSV: one row per graded item, every cell safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

from ..contract.spreadsheet import csv_cell
from .model import ClassData, fmt, points
from .stats import ItemStats

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
    return Decimal(fmt(x, 3))


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
                "max_points": points(s.item.max_points),
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


def csv_text(data: ClassData, stats: list[ItemStats]) -> str:
    """The CSV file's text (CRLF line ends, as RFC 4180 and spreadsheets expect)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=CSV_COLUMNS, lineterminator="\r\n")
    writer.writeheader()
    for row in csv_rows(data, stats):
        writer.writerow({k: csv_cell(v) for k, v in row.items()})
    return buf.getvalue()

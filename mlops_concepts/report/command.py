"""``mlops-concepts report <id>``: write a chapter's class report (HTML and CSV) and say where.

Output files are written to a temporary name and renamed, so a failed run leaves an earlier
report untouched; the gradebook and the notebooks are only read (:mod:`.data`).
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from ..contract.coursedir import CourseConfigError
from .csv_table import csv_text
from .data import load_class
from .html_page import render_html
from .model import MIN_FOR_DISCRIMINATION, ClassData, ReportError, noise
from .stats import ItemStats, item_stats


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
    table = csv_text(data, stats)
    for path in (html_path, csv_path):
        if path.is_dir():
            raise ReportError(f"{path} is a folder; give a file name")
    _write_atomically(html_path, page)
    _write_atomically(csv_path, table)
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
    n = len(data.students)
    if n < MIN_FOR_DISCRIMINATION:
        print(
            f"Small class: with {n} graded students, an item's discrimination is noise "
            f"(anywhere within ±{noise(n):.2f} for an item that separates nobody); the report says so."
        )
    if hardest:
        print("Hardest items: " + ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in hardest))
    print(f"Wrote {html_path} and {csv_path}")
    return 0


def cli(args, extra: list[str]) -> int:
    """The ``report`` subcommand, called from :func:`mlops_concepts.class_grading.cli.main`."""
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

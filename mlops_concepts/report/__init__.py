"""``mlops-concepts report <id>``: what the class struggles with (item analysis), as HTML and CSV.

Learning platforms show quiz statistics per question; this does the same for a graded chapter:

* the **score distribution** of the class;
* each graded item's **facility** (mean score / maximum: the share of the points the class earned)
  and **discrimination** (the point-biserial, i.e. Pearson, correlation of the item score with the
  rest-of-test total, the "corrected item-total correlation"; "n/a" when fewer than 3 students have
  a score or either side does not vary), by the title the students read ("Exercise 1.2 (b)"),
  never by internal id;
* the **most common wrong answers** of each item, from the canonical answers that
  :class:`~mlops_concepts.nbgrader_plugins.verdicts.GradeFromReports` records in each test cell of the
  autograded notebook (``cell.metadata[RECORD_KEY]``). For dict and list parts only the entries
  the student got wrong are shown: the report never shows the key beyond what a student gave;
* each **learning objective**'s facility (the objective table of the chapter's first cell;
  a chapter without one is grouped under "all"), each wrong answer listed once, under its item;
* a warning at the top when the class is too small for discrimination to mean anything
  (:data:`.model.MIN_FOR_DISCRIMINATION`);
* who still needs **hand grading**, and who **could not be graded**.

Everything but :mod:`.command` is pure: it reads the gradebook and the autograded notebooks,
never writes to either. Output files are written to a temporary name and renamed, so a failed run
leaves an earlier report untouched. Every student-derived string is escaped in the HTML (a Jinja2
template with autoescape on) and defused in the CSV (no cell can start a spreadsheet formula).

The package, one concern per module (each imports only modules above it in this list, and the
grading package's shared contract: cells, verdicts, exercises, labs, untrusted, spreadsheet, coursedir):

* :mod:`.model`: the values (items, students, the class) and the report's thresholds;
* :mod:`.chapter`: item titles and objectives, from the chapter notebook;
* :mod:`.wording`: answers as the students wrote them, and untouched placeholders;
* :mod:`.data`: the gradebook and the autograded notebooks, read into a :class:`.model.ClassData`;
* :mod:`.stats`: facility, discrimination, common wrong answers;
* :mod:`.plots`: the two PNG plots and their alt text;
* :mod:`.html_page` (with ``templates/``) and :mod:`.csv_table`: the two files;
* :mod:`.command`: the ``mlops-concepts report`` command.
"""

from __future__ import annotations

from .chapter import assign_objectives, item_titles, objective_table
from .command import cli, report, write_report
from .csv_table import CSV_COLUMNS, csv_rows
from .data import load_class
from .html_page import render_html
from .model import (
    ALL,
    CORRECT,
    LOW_DISCRIMINATION,
    LOW_FACILITY,
    MAX_PART,
    MAX_SHOWN,
    MIN_FOR_DISCRIMINATION,
    TOP_WRONG,
    UNLINKED,
    WRONG,
    ClassData,
    Item,
    ReportError,
    Student,
)
from .stats import (
    ItemStats,
    ObjectiveStats,
    item_stats,
    objective_stats,
    point_biserial,
    readable_wrong,
    wrong_entries,
)

__all__ = [
    "ALL",
    "CORRECT",
    "CSV_COLUMNS",
    "LOW_DISCRIMINATION",
    "LOW_FACILITY",
    "MAX_PART",
    "MAX_SHOWN",
    "MIN_FOR_DISCRIMINATION",
    "TOP_WRONG",
    "UNLINKED",
    "WRONG",
    "ClassData",
    "Item",
    "ItemStats",
    "ObjectiveStats",
    "ReportError",
    "Student",
    "assign_objectives",
    "cli",
    "csv_rows",
    "item_stats",
    "item_titles",
    "load_class",
    "objective_stats",
    "objective_table",
    "point_biserial",
    "readable_wrong",
    "render_html",
    "report",
    "wrong_entries",
    "write_report",
]

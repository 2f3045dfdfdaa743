"""``grades.csv`` as data: nbgrader's CSV export, with every row written by the :mod:`csv` module.

nbgrader's ``CsvExportPlugin`` joins each row's fields with commas, unquoted: a student id, a name
or an email holding a comma, a quote or a line break forges columns or whole rows (an id with
commas once added a row with full marks), and one starting with ``=`` becomes a spreadsheet
formula. :class:`SafeCsvExportPlugin` writes the same columns and the same rows (one per student
of the gradebook and assignment, 0 for a student who did not submit), quoted by :mod:`csv`, each
text cell made :func:`~.spreadsheet.csv_safe`, numbers left as numbers. Both entry points use it:
plain ``nbgrader export`` through ``c.ExportApp.plugin_class`` in ``nbgrader_config.py``, and
``mlops-concepts grade`` through :func:`.gradebooks.export`. The file is written to a temporary
name and renamed, so a failed export leaves the previous ``grades.csv`` whole.
"""

from __future__ import annotations

import csv
import os
import stat
import tempfile
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import CsvExportPlugin

from ..contract.spreadsheet import csv_cell

COLUMNS = [
    "assignment",
    "duedate",
    "timestamp",
    "student_id",
    "last_name",
    "first_name",
    "email",
    "raw_score",
    "late_submission_penalty",
    "score",
    "max_score",
]


def grade_rows(gradebook: Gradebook, assignments=(), students=()):
    """nbgrader's export rows, as values (text, numbers, dates): one per assignment and student."""
    for assignment in gradebook.assignments:
        if assignments and assignment.name not in assignments:
            continue
        for student in gradebook.students:
            if students and student.id not in students:
                continue
            row = {
                "assignment": assignment.name,
                "duedate": assignment.duedate,
                "student_id": student.id,
                "last_name": student.last_name,
                "first_name": student.first_name,
                "email": student.email,
                "max_score": assignment.max_score,
            }
            try:
                submission = gradebook.find_submission(assignment.name, student.id)
            except MissingEntry:  # did not submit: 0, as nbgrader's own export has it
                row.update(timestamp=None, raw_score=0.0, late_submission_penalty=0.0, score=0.0)
            else:
                penalty = submission.late_submission_penalty
                row.update(
                    timestamp=submission.timestamp,
                    raw_score=submission.score,
                    late_submission_penalty=penalty,
                    score=max(0.0, submission.score - penalty),
                )
            yield row


def _cell(value):
    # Dates are written as nbgrader wrote them (str), then like any text; numbers stay numbers.
    return csv_cell(str(value) if hasattr(value, "isoformat") else value)


class SafeCsvExportPlugin(CsvExportPlugin):
    """nbgrader's CSV export (same columns, rows and options), quoted and formula-safe."""

    def export(self, gradebook: Gradebook) -> None:
        dest = Path(self.to or "grades.csv")
        assignments = [str(a) for a in self.assignment]
        students = [str(s) for s in self.student]
        self.log.info("Exporting grades to %s", dest)
        if assignments:
            self.log.info("Exporting only assignments: %s", assignments)
        if students:
            self.log.info("Exporting only students: %s", students)
        # An existing grades.csv keeps its permissions; a new one gets the usual rw-r--r--.
        mode = stat.S_IMODE(dest.stat().st_mode) if dest.is_file() else 0o644
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", dir=dest.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
                writer = csv.DictWriter(f, fieldnames=COLUMNS, lineterminator="\r\n")
                writer.writeheader()
                for row in grade_rows(gradebook, assignments, students):
                    writer.writerow({k: _cell(v) for k, v in row.items()})
            os.chmod(tmp, mode)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

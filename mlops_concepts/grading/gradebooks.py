"""One writer for the course gradebook, however many graders run at once.

SQLite allows one writer at a time, and two nbgrader processes that both read then write the
same file can fail with "database is locked" at once, whatever the timeout. So parallel graders
never share the course gradebook. Each batch of students is autograded against a private scratch
gradebook (SQLite, in ``.grading/``) seeded with the assignment's definition; when the batch is
done, :func:`merge` copies its results into the course gradebook, from the one pipeline process.
The course gradebook may be SQLite or PostgreSQL: the results are the same.

Merging is also where hand grades are kept. nbgrader's own autograde re-flags every hand-graded
cell as "needs manual grade" when it grades the same submission again. Here a grade the
instructor gave by hand is kept, and stays done, as long as the submission is the same one (same
timestamp); a new submission keeps the old hand grade but asks for a look again.
"""

from __future__ import annotations

import shutil
import warnings
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from sqlalchemy.exc import SAWarning


def _new_gradebook(url: str, like: Gradebook) -> None:
    """Create an empty gradebook at ``url`` with the schema version of ``like``.

    nbgrader stamps a new gradebook by running ``alembic heads`` in a subprocess, about a second
    each time; the course gradebook already knows the version.
    """
    from nbgrader.api import Base
    from sqlalchemy import create_engine, text

    version = like.db.execute(text("SELECT version_num FROM alembic_version")).scalar()
    engine = create_engine(url)
    try:
        Base.metadata.create_all(bind=engine)
        with engine.begin() as conn:
            conn.execute(text("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)"))
            conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": version})
    finally:
        engine.dispose()


def seed_template(main_url: str, template: Path, assignment: str) -> None:
    """Write the definition of ``assignment`` into a new SQLite gradebook at ``template``.

    Done once per grading run; each batch then starts from a copy (:func:`seed`).
    """
    template.unlink(missing_ok=True)
    url = f"sqlite:///{template}"
    with Gradebook(main_url) as main:
        _new_gradebook(url, main)
        with Gradebook(url) as scratch:
            a = main.find_assignment(assignment)
            scratch.update_or_create_assignment(assignment, duedate=a.duedate, course_id=a.course_id)
            for nb in a.notebooks:
                scratch.update_or_create_notebook(nb.name, assignment, kernelspec=nb.kernelspec)
                for cell in nb.grade_cells:
                    scratch.update_or_create_grade_cell(cell.name, nb.name, assignment,
                                                        max_score=cell.max_score, cell_type=cell.cell_type)
                for cell in nb.solution_cells:
                    scratch.update_or_create_solution_cell(cell.name, nb.name, assignment)
                for cell in nb.task_cells:
                    scratch.update_or_create_task_cell(cell.name, nb.name, assignment,
                                                       max_score=cell.max_score, cell_type=cell.cell_type)
                for cell in nb.source_cells:
                    scratch.update_or_create_source_cell(cell.name, nb.name, assignment,
                                                         cell_type=cell.cell_type, locked=cell.locked,
                                                         source=cell.source, checksum=cell.checksum)


def seed(main_url: str, template: Path, scratch: Path, assignment: str, students: list[str]) -> None:
    """A batch's scratch gradebook: a copy of the template, plus the students and their extensions."""
    shutil.copyfile(template, scratch)
    with Gradebook(main_url) as main, Gradebook(f"sqlite:///{scratch}") as gb:
        for student in students:
            gb.update_or_create_student(student)
            try:
                extension = main.find_submission(assignment, student).extension
            except MissingEntry:
                continue
            if extension is not None:
                gb.update_or_create_submission(assignment, student, extension=extension)


def merge(scratch_url: str, main_url: str, assignment: str, students: list[str]) -> set[str]:
    """Copy students' autograded results from a batch's scratch gradebook into the course gradebook.

    Returns the students merged; one the scratch gradebook has no result for is left unchanged.
    Each student is committed on its own, so a failure later on loses nothing already merged.
    """
    results = {}
    with Gradebook(scratch_url) as scratch:
        for student in students:
            try:
                done = scratch.find_submission(assignment, student)
            except MissingEntry:
                continue
            results[student] = (done.timestamp, {
                nb.name: {
                    "penalty": nb.late_submission_penalty,
                    "grades": {g.name: g.auto_score for g in nb.grades},
                    "comments": {c.name: c.auto_comment for c in nb.comments},
                }
                for nb in done.notebooks
            })
    with Gradebook(main_url) as main, warnings.catch_warnings():
        # nbgrader's update_or_create_submission makes SQLAlchemy warn about its own autoflush;
        # harmless, and not for the instructor's terminal.
        warnings.simplefilter("ignore", SAWarning)
        for student, (timestamp, notebooks) in results.items():
            _merge_one(main, assignment, student, timestamp, notebooks)
    return set(results)


def _merge_one(main: Gradebook, assignment: str, student: str, timestamp, notebooks: dict) -> None:
    main.update_or_create_student(student)
    try:
        before = main.find_submission(assignment, student).timestamp
        known = True
    except MissingEntry:
        before, known = None, False
    same_submission = known and before == timestamp
    sub = main.update_or_create_submission(assignment, student, timestamp=timestamp)
    for nb in sub.notebooks:
        result = notebooks.get(nb.name)
        if result is None:
            continue
        nb.late_submission_penalty = result["penalty"]
        for grade in nb.grades:
            grade.auto_score = result["grades"].get(grade.name)
            hand_graded = grade.manual_score is not None
            grade.needs_manual_grade = (grade.auto_score is None and not hand_graded) or (
                hand_graded and not same_submission)
        for comment in nb.comments:
            comment.auto_comment = result["comments"].get(comment.name)
    main.db.commit()


def export(main_url: str, to: Path) -> None:
    """``grades.csv``: nbgrader's own CSV export, written from this process (no extra nbgrader run)."""
    from nbgrader.plugins import CsvExportPlugin

    with Gradebook(main_url) as gb:
        CsvExportPlugin(to=str(to)).export(gb)

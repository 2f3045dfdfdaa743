"""One writer for the course gradebook, however many graders run at once.

SQLite allows one writer at a time, and two nbgrader processes that both read then write the
same file can fail with "database is locked" at once, whatever the timeout. So parallel graders
never share the course gradebook. Each student is autograded against a private scratch
gradebook (SQLite, in ``.grading/``) seeded with the assignment's definition; when they are
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

from nbgrader.api import (
    Assignment,
    BaseCell,
    Comment,
    Grade,
    Gradebook,
    MissingEntry,
    Notebook,
    SubmittedAssignment,
    SubmittedNotebook,
)
from sqlalchemy.exc import SAWarning

from ..contract.identity import is_well_formed


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

    Done once per grading run; each student then starts from a copy (:func:`seed`). The rows are
    copied as they are, in one transaction (through nbgrader's objects, with a commit per cell,
    this took about half a second before any student could be graded).
    """
    from sqlalchemy import create_engine

    template.unlink(missing_ok=True)
    url = f"sqlite:///{template}"
    with Gradebook(main_url) as main:
        _new_gradebook(url, main)
        rows = _definition(main, assignment)
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            for table, values in rows:
                if values:
                    conn.execute(table.insert(), values)
    finally:
        engine.dispose()


def _definition(gb: Gradebook, assignment: str) -> list[tuple]:
    """The rows that define ``assignment`` (its course, notebooks and cells), as ``(table,
    rows)`` pairs, each table after the ones it refers to."""
    from nbgrader.api import Base
    from sqlalchemy import select

    tables = Base.metadata.tables
    conn = gb.db.connection()

    def rows(name: str, column: str, values) -> list[dict]:
        table = tables[name]
        return [
            dict(row)
            for row in conn.execute(select(table).where(table.c[column].in_(list(values)))).mappings()
        ]

    assignments = rows("assignment", "name", [assignment])
    if not assignments:
        raise MissingEntry(f"no assignment {assignment} in the gradebook")
    notebooks = rows("notebook", "assignment_id", [a["id"] for a in assignments])
    cells = rows("base_cell", "notebook_id", [n["id"] for n in notebooks])
    ids = [c["id"] for c in cells]
    order = [
        ("course", rows("course", "id", [a["course_id"] for a in assignments])),
        ("assignment", assignments),
        ("notebook", notebooks),
        ("base_cell", cells),
        *((name, rows(name, "id", ids)) for name in ("grade_cells", "solution_cells", "task_cells")),
        ("source_cell", rows("source_cell", "notebook_id", [n["id"] for n in notebooks])),
    ]
    return [(tables[name], values) for name, values in order]


def seed(main_url: str, template: Path, scratch: Path, assignment: str, students: list[str]) -> None:
    """A student's scratch gradebook: a copy of the template, plus the students and their extensions."""
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
    """Copy students' autograded results from a scratch gradebook into the course gradebook.

    Returns the students merged; one the scratch gradebook has no result for is left unchanged.
    Each student is committed on its own, so a failure later on loses nothing already merged.
    An ill-formed id (:mod:`.identity`; the pipeline refuses it before grading) is never merged.
    """
    with Gradebook(scratch_url) as scratch:
        results = _results(scratch, assignment, set(filter(is_well_formed, students)))
    with Gradebook(main_url) as main, warnings.catch_warnings():
        # nbgrader's update_or_create_submission makes SQLAlchemy warn about its own autoflush;
        # harmless, and not for the instructor's terminal.
        warnings.simplefilter("ignore", SAWarning)
        for student in students:
            if student in results:
                _merge_one(main, assignment, student, *results[student])
    return set(results)


def _results(gb: Gradebook, assignment: str, students: set[str]) -> dict[str, tuple]:
    """Each student's submission timestamp and, by notebook, its late penalty, auto scores and
    auto comments (by cell name): a few queries for them all.

    (A grade's or a comment's name is its cell's: read through nbgrader's objects, it costs a
    query per grade, which made merging eight students take half a second.)
    """
    results: dict[str, tuple] = {}
    notebooks: dict[str, dict] = {}  # by submitted notebook id
    rows = (
        gb.db.query(
            SubmittedNotebook.id,
            SubmittedAssignment.student_id,
            SubmittedAssignment.timestamp,
            Notebook.name,
            SubmittedNotebook.late_submission_penalty,
        )
        .select_from(SubmittedNotebook)
        .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
        .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
        .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
        .filter(Assignment.name == assignment)
    )
    for nb_id, student, timestamp, name, penalty in rows:
        if student in students:
            result = notebooks[nb_id] = {"penalty": penalty, "grades": {}, "comments": {}}
            results.setdefault(student, (timestamp, {}))[1][name] = result
    for kind, column, what in (
        (Grade, Grade.auto_score, "grades"),
        (Comment, Comment.auto_comment, "comments"),
    ):
        for nb_id, cell, value in (
            gb.db.query(kind.notebook_id, BaseCell.name, column)
            .join(BaseCell, kind.cell_id == BaseCell.id)
            .filter(kind.notebook_id.in_(list(notebooks)))
        ):
            notebooks[nb_id][what][cell] = value
    return results


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
        if result is not None:
            nb.late_submission_penalty = result["penalty"]
    # Each grade and comment with its notebook's and its cell's names, in two queries.
    for kind in (Grade, Comment):
        for item, notebook, cell in (
            main.db.query(kind, Notebook.name, BaseCell.name)
            .join(SubmittedNotebook, kind.notebook_id == SubmittedNotebook.id)
            .join(Notebook, SubmittedNotebook.notebook_id == Notebook.id)
            .join(BaseCell, kind.cell_id == BaseCell.id)
            .filter(SubmittedNotebook.assignment_id == sub.id)
        ):
            result = notebooks.get(notebook)
            if result is None:
                continue
            if kind is Comment:
                item.auto_comment = result["comments"].get(cell)
                continue
            item.auto_score = result["grades"].get(cell)
            hand_graded = item.manual_score is not None
            item.needs_manual_grade = (item.auto_score is None and not hand_graded) or (
                hand_graded and not same_submission
            )
    main.db.commit()


def export(main_url: str, to: Path) -> None:
    """``grades.csv``: the course's CSV export (what plain ``nbgrader export`` runs too), written
    from this process (no extra nbgrader run)."""
    from ..nbgrader_plugins.export import SafeCsvExportPlugin

    with Gradebook(main_url) as gb:
        SafeCsvExportPlugin(to=str(to)).export(gb)

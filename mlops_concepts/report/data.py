"""Reading a graded class into values: the gradebook's scores, the records that say why.

Never writes: the gradebook is opened read-only (SQLite) and only queried (any other database),
and the autograded notebooks are only read.
"""

from __future__ import annotations

import re
from pathlib import Path

import nbformat

from ..contract import cells
from ..contract.coursedir import gradebook_url
from ..contract.untrusted import printable
from ..nbgrader_plugins.verdicts import RECORD_KEY, answer_keys
from .chapter import assign_objectives, item_titles, objective_table
from .model import ASSIGNMENT_ID, ClassData, Item, ReportError, Student
from .wording import wording_of


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


def _autograded(path: Path) -> tuple[dict[str, dict], dict[str, str]]:
    """(grade id -> record, canonical text -> as written) of one autograded notebook.

    The records are what the test cells kept; the wording is read from the answer cells
    (:func:`.wording.wording_of`). ({}, {}) if the notebook cannot be read.
    """
    try:
        if path.is_symlink() or not path.is_file():
            return {}, {}
        nb = nbformat.read(path, as_version=4)
    except Exception:  # an autograded notebook we cannot read only loses the "why", not the scores
        return {}, {}
    out = {}
    for cell in nb.cells:
        record = cell.get("metadata", {}).get(RECORD_KEY)
        if cells.is_test(cell) and isinstance(record, dict):
            out[cells.grade_id(cell) or ""] = dict(record)
    return out, wording_of(nb)


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
        release_wording: dict[str, str] = {}
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
            if chapter is not None:  # the question's own words, for entries a student left out
                release_wording = wording_of(chapter) | release_wording
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
            wording: dict[str, str] = {}
            for nb in sub.notebooks:
                for grade in nb.grades:
                    key = (nb.name, grade.name)
                    pending = grade.needs_manual_grade and grade.manual_score is None
                    scores[key] = None if pending else float(grade.score)
                kept, written = _autograded(folder / f"{nb.name}.ipynb")
                records.update({(nb.name, gid): rec for gid, rec in kept.items()})
                wording = written | wording
            students.append(Student(name, scores, records, wording))
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
    return ClassData(assignment, items, students, not_graded, objectives, keys, release_wording)

"""A course directory of its own, from the wheel: ``mlops-concepts new-course`` in a fresh venv.

The wheel is built from this checkout and installed non-editable, with the locked dependencies,
into a fresh venv; every command runs from that venv, in folders outside the repository. The
instructor's own solution, submitted as a student, earns full marks under both entry points
(``mlops-concepts grade`` and plain ``nbgrader autograde``), and the grading kernel imports the
very package copy the grader runs. Two new courses get hidden lab inputs of their own.
"""

from __future__ import annotations

import csv
import json
import os
import re
import secrets
import shlex
import stat
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.authoring.samples import solutions, submission
from mlops_concepts.contract import cells
from mlops_concepts.contract.exercises import read_check
from mlops_concepts.contract.labs import cases_json
from support import wheel_course
from support.classroom import Student
from support.course import ASSIGNMENTS, REPO, has_lab, item_scores, max_scores, submit

pytestmark = pytest.mark.slow

LAB_CHAPTER = next(a for a in ASSIGNMENTS if has_lab(a))


@pytest.fixture(scope="module")
def venv(tmp_path_factory):
    return wheel_course.build(tmp_path_factory.mktemp("wheel"))


@pytest.fixture(scope="module")
def outside(tmp_path_factory):
    folder = tmp_path_factory.mktemp("classes")
    assert REPO not in folder.parents
    return folder


@pytest.fixture(scope="module")
def course(venv, outside):
    root = outside / "spring"
    made = venv.run("mlops-concepts", "new-course", str(root), cwd=outside)
    assert made.returncode == 0, made.stdout + made.stderr
    return root


def _tree(root):
    return {
        str(p.relative_to(root)): (p.stat().st_mode, p.stat().st_mtime_ns, p.stat().st_size)
        for p in sorted(root.rglob("*"))
    }


def _lab_checks(root, chapter):
    nb = nbformat.read(root / "source" / chapter / f"{chapter}.ipynb", as_version=4)
    return {c.grade_id: c for c in map(read_check, filter(cells.is_test, nb.cells)) if c.cases is not None}


def _probed(nb, marker):
    """The solution, with a first answer that also says which package the kernel imported and
    whether it is the grader's own copy (the marker file the test put there)."""
    first = next(c for c in nb.cells if cells.is_answer(c) and c.cell_type == "code")
    first.source = (
        "import mlops_concepts as _m, os as _os\n"
        "print('PACKAGE', _m.__file__, _os.path.exists(_os.path.join(_os.path.dirname(_m.__file__), "
        f"{marker!r})))\n" + first.source
    )
    return nb


def _printed(root, student, chapter):
    nb = nbformat.read(root / "autograded" / student / chapter / f"{chapter}.ipynb", as_version=4)
    return "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))


def test_the_wheel_carries_the_course_and_nothing_of_the_checkout(venv, outside):
    where = venv.run("python", "-c", "import mlops_concepts; print(mlops_concepts.__file__)", cwd=outside)
    assert where.stdout.strip().startswith(str(venv.prefix / "lib")), where.stdout + where.stderr
    files = venv.prefix / "lib"
    (shipped,) = files.glob("python3*/site-packages/mlops_concepts/course/files")
    assert not any(p.is_symlink() for p in [shipped, *shipped.rglob("*")])
    assert sorted(p.name for p in (shipped / "source").iterdir()) == ASSIGNMENTS
    assert (shipped / "nbgrader_config.py").read_bytes() == (REPO / "nbgrader_config.py").read_bytes()
    for chapter in ASSIGNMENTS:
        assert (shipped / "examples" / chapter / "expected.json").is_file()


def test_new_course_makes_a_private_complete_course_and_refuses_a_non_empty_folder(venv, course, outside):
    assert stat.S_IMODE(course.stat().st_mode) == 0o700  # it holds every answer key
    assert sorted(p.name for p in (course / "source").iterdir()) == ASSIGNMENTS
    assert (course / "nbgrader_config.py").is_file() and (course / "gradebook.db").is_file()
    roster = venv.run("nbgrader", "db", "student", "list", cwd=course)
    assert "There are 0 students in the database" in roster.stdout, roster.stdout + roster.stderr
    safe = venv.run("mlops-concepts", "exchange-setup", "--check", cwd=course)
    assert safe.returncode == 0 and ": safe" in safe.stdout, safe.stdout + safe.stderr
    lint = venv.run("mlops-concepts", "check", cwd=course)
    assert lint.returncode == 0 and lint.stdout.count(": ok") == len(ASSIGNMENTS), lint.stdout + lint.stderr

    before = _tree(course)
    again = venv.run("mlops-concepts", "new-course", str(course), cwd=outside)
    assert again.returncode == 2 and "is not empty" in again.stdout, again.stdout + again.stderr
    assert _tree(course) == before
    assert sorted(p.name for p in outside.iterdir()) == [course.name]  # no temporary folder left


def test_the_solution_earns_full_marks_from_the_wheel_under_both_entry_points(venv, course):
    chapter = LAB_CHAPTER
    released = venv.run("nbgrader", "generate_assignment", chapter, cwd=course)
    assert released.returncode == 0, released.stdout + released.stderr
    # A file only the grader's copy of the package has: the kernel must see exactly that copy.
    (package,) = venv.prefix.glob("lib/python3*/site-packages/mlops_concepts")
    marker = f"marker-{secrets.token_hex(4)}"
    (package / marker).write_text("")
    try:
        answer = _probed(submission(course, chapter, solutions(course, chapter)), marker)
        submit(course, chapter, "alice", answer)
        graded = venv.run("mlops-concepts", "grade", chapter, cwd=course)
        assert graded.returncode == 0, graded.stdout + graded.stderr
        submit(course, chapter, "bob", answer)
        plain = venv.run("nbgrader", "autograde", chapter, "--student", "bob", cwd=course)
        assert plain.returncode == 0, plain.stdout + plain.stderr
    finally:
        (package / marker).unlink()
    full = max_scores(course, chapter)
    for student in ("alice", "bob"):
        assert item_scores(course, student=student, assignment=chapter) == full, student
        printed = _printed(course, student, chapter)
        assert "PACKAGE /run/course-package/mlops_concepts/__init__.py True" in printed


def test_each_new_course_has_hidden_lab_inputs_of_its_own(venv, course, outside):
    other = outside / "autumn"
    made = venv.run("mlops-concepts", "new-course", str(other), cwd=outside)
    assert made.returncode == 0, made.stdout + made.stderr
    compared = 0
    for chapter in ASSIGNMENTS:
        public, ours, theirs = (_lab_checks(r, chapter) for r in (REPO, course, other))
        assert public.keys() == ours.keys() == theirs.keys()
        for gid in public:
            seeds = {c[gid].cases["seed"] for c in (public, ours, theirs)}
            inputs = {cases_json(c[gid]) for c in (public, ours, theirs)}
            assert len(seeds) == 3 and len(inputs) == 3, (chapter, gid)
            compared += 1
    assert compared > 0
    lint = venv.run("mlops-concepts", "check", cwd=other)
    assert lint.returncode == 0, lint.stdout + lint.stderr
    # The released notebook does not depend on the seeds: students of every class get the same one.
    for root in (course, other):
        source = json.loads((root / "source" / LAB_CHAPTER / f"{LAB_CHAPTER}.ipynb").read_text())
        public = json.loads((REPO / "source" / LAB_CHAPTER / f"{LAB_CHAPTER}.ipynb").read_text())
        differ = [a for a, b in zip(source["cells"], public["cells"], strict=True) if a != b]
        assert differ and all('"seed"' in "".join(c["source"]) for c in differ)


def test_demo_runs_from_the_wheel(venv, outside):
    demo = venv.run("mlops-concepts", "demo", ASSIGNMENTS[0], "--course", str(outside / "demo"), cwd=outside)
    assert demo.returncode == 0, demo.stdout + demo.stderr
    assert (outside / "demo" / "grades.csv").is_file()
    assert os.listdir(outside / "demo" / "feedback")


# -- docs/teaching.md, as pasted ---------------------------------------------------------------------

TEACHING = REPO / "docs" / "teaching.md"
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.MULTILINE | re.DOTALL)


def test_teach_it_works_as_pasted(venv, tmp_path):
    """Every ``sh`` block of docs/teaching.md, in order, from a folder outside the repository,
    with the wheel's venv first on PATH; the ``csv`` block is the roster the doc tells the
    instructor to save. Right before ``nbgrader collect``, the roster's students fetch, answer
    (the first with the solution, the others wrongly) and submit through the course's exchange;
    after ``release_feedback`` each fetches their feedback. Every block must exit 0."""
    blocks = FENCE.findall(TEACHING.read_text())
    (roster,) = [body for lang, body in blocks if lang == "csv"]
    commands = [body for lang, body in blocks if lang == "sh"]
    (chapter,) = set(re.findall(r"nbgrader generate_assignment (\S+)", TEACHING.read_text()))
    ids = [line.split(",")[0] for line in roster.splitlines()[1:]]
    start = tmp_path / "instructor"
    start.mkdir()
    where = tmp_path / "cwd"  # each block starts where the one before ended (`cd` carries over)
    where.write_text(str(start))
    students, ran = {}, []
    for block in commands:
        cwd = Path(where.read_text().strip())
        if "db student import" in block:
            (cwd / "roster.csv").write_text(roster)
        if "nbgrader collect" in block:
            for name in ids:
                student = Student(name, tmp_path / "students" / name, cwd / ".exchange")
                student.fetch(chapter)
                student.work(chapter, "sample-complete" if not students else "sample-wrong")
                student.submit(chapter)
                students[name] = student
        done = venv.run(f"{block}\npwd > {shlex.quote(str(where))}", cwd=cwd, shell=True)
        assert done.returncode == 0, f"{block}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        ran.append(block)
        if "release_feedback" in block:
            for student in students.values():
                assert student.fetch_feedback(chapter)
    assert len(ran) >= 6 and students
    course = Path(where.read_text().strip())
    assert course.parent == start and (course / "nbgrader_config.py").is_file()
    with open(course / "grades.csv", newline="") as f:
        exported = {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == chapter}
    assert set(exported) == set(ids) and exported[ids[0]]["last_name"] == "Lovelace"
    assert item_scores(course, chapter, ids[0]) == max_scores(course, chapter)
    assert item_scores(course, chapter, ids[1]) != max_scores(course, chapter)
    assert (course / "reports" / f"{chapter}.html").is_file()

"""What the commands of :mod:`.cli` do: ``mlops-concepts grade``, ``demo`` and ``check``.

``grade`` is what an instructor runs on a class. Each student is graded by a child of their own
(:mod:`.children`; ``--jobs N`` students at once, default the CPU count, or on the workers of a
Dask cluster with ``--scheduler``), which stages their submission, autogrades it against a
private scratch gradebook and returns the result as a value (:mod:`.unit`). This one process
merges each student into the course gradebook as soon as they are autograded
(:mod:`.gradebooks`: keeps hand grades), then the same child writes their feedback, while other
students are still being graded (:mod:`.per_student`). Then it exports grades to CSV and prints
a per-student summary and the items the class struggled with. A student whose child dies, or
who is still being graded after ``timeout_per_student``, is not graded (named, with why), and
the others are.
It exits 0 when every student got a grade, 1 when some could not be graded at all or their
folder's name is refused as a student id (:mod:`.identity`; listed), 2 when the assignment, the
gradebook, the course configuration, the Dask scheduler or the grading environment (the
instructor's solution graded first, :mod:`.preflight`) is not usable, or nothing has been
collected for the assignment yet (it names ``nbgrader collect <id>`` and counts the submissions
waiting in the exchange): nothing is changed then.

``demo`` does the same on the sample submissions shipped in ``tests/support/build_samples.py``, in a throwaway
course directory (``.demo-course/``) built from ``source/``: the whole instructor workflow, with
SQLite and no server, never touching a real class.
"""

from __future__ import annotations

import os
import shutil
import sys
import threading
import time
from pathlib import Path

from ..authoring.samples import EXAMPLES, chapters
from ..contract import cells
from ..contract.coursedir import CourseConfigError, course_config, gradebook_url
from ..contract.identity import StudentIds, refusals
from ..contract.untrusted import printable, quoted
from ..course import shipped
from ..nbgrader_plugins.sandbox import compile_package
from . import children, preflight
from .commands import nbgrader, nbgrader_env
from .gradebooks import export, merge, seed_template
from .layout import DEMO_COURSE, INTERRUPTED
from .per_student import DaskPool, LocalPool, grade_students
from .uncollected import nothing_collected
from .unit import GRADED, JOBS, LOGS, STAGING, StudentJob, StudentResult, publish, scratch_url


def _say(text: str) -> None:
    print(text, flush=True)


def release(root: Path, assignment: str) -> None:
    _say(f"==> Building release/{assignment} from source/{assignment}")
    result = nbgrader(root, "generate_assignment", assignment, "--force")
    if result.returncode != 0:
        sys.exit(f"nbgrader generate_assignment failed:\n{result.stdout}{result.stderr}")


def _release_notebooks(root: Path, assignment: str) -> dict[str, Path]:
    folder = root / "release" / assignment
    notebooks = {p.stem: p for p in sorted(folder.glob("*.ipynb"))}
    if not notebooks:
        sys.exit(f"release/{assignment} has no notebook: run generate_assignment first")
    return notebooks


def _scores(root: Path, assignment: str, students: list[str], notebooks: dict[str, Path]):
    """Each student's score, and how many got each autograded item right: two queries in all.

    Items are named by the exercise titles students read ("Exercise 1.2 (b)"), not by grade ids
    (an id is kept only for a test cell under no exercise heading).

    (Walking each submission's notebooks and grades through nbgrader's objects costs a query per
    grade: a second or more at the end of every run of a class.) Items come in the order of the
    released ``notebooks``.
    """
    import nbformat
    from nbgrader.api import Assignment, Grade, Gradebook, GradeCell, SubmittedAssignment, SubmittedNotebook

    from ..contract.exercises import exercise_titles

    position, titles = {}, {}
    for path in notebooks.values():
        nb = nbformat.read(path, as_version=4)
        titles.update(exercise_titles(nb))
        for gid in map(cells.grade_id, nb.cells):
            if gid:
                position.setdefault(gid, len(position))
    wanted = set(students)
    with Gradebook(gradebook_url(root)) as gb:
        subs = {d["student"]: d for d in gb.submission_dicts(assignment) if d["student"] in wanted}
        graded = (
            gb.db.query(SubmittedAssignment.student_id, GradeCell.name, Grade.auto_score, GradeCell.max_score)
            .select_from(Grade)
            .join(SubmittedNotebook, Grade.notebook_id == SubmittedNotebook.id)
            .join(SubmittedAssignment, SubmittedNotebook.assignment_id == SubmittedAssignment.id)
            .join(Assignment, SubmittedAssignment.assignment_id == Assignment.id)
            .join(GradeCell, Grade.cell_id == GradeCell.id)
            .filter(
                Assignment.name == assignment, GradeCell.cell_type == "code", Grade.auto_score.isnot(None)
            )
            .all()
        )
    graded.sort(key=lambda g: (position.get(g[1], len(position)), g[1]))
    items: dict[str, tuple[int, int]] = {}
    failed: dict[str, list[str]] = {student: [] for student in subs}
    for student, name, auto_score, max_score in graded:
        if student not in subs:
            continue
        ok = auto_score >= max_score
        passed, total = items.get(name, (0, 0))
        items[name] = (passed + ok, total + 1)
        if not ok:
            failed[student].append(titles.get(name, name))
    rows = {
        student: (d["score"], d["max_score"], d["needs_manual_grade"], failed[student])
        for student, d in subs.items()
    }
    return rows, {titles.get(name, name): counts for name, counts in items.items()}


class _Progress:
    """One line per student (stdout, thread-safe) and a bar with counts and time left (stderr,
    only on a terminal)."""

    def __init__(self, total: int, what: str, every_line: bool = True, position: int = 0):
        from tqdm import tqdm

        self.total, self.done, self.every_line, self.hushed = total, 0, every_line, False
        self.what = what
        self.lock = threading.Lock()
        self.bar = tqdm(
            total=total,
            desc=what,
            unit="student",
            file=sys.stderr,
            disable=None,
            leave=False,
            dynamic_ncols=True,
            position=position,
        )

    def grow(self, more: int) -> None:
        """More students to go through (merged, ready for feedback; or feedback written again)."""
        if more:
            with self.lock:
                self.total += more
                if self.total == more:  # the first work: time (and time left) counts from now
                    self.bar.reset(total=self.total)
                else:
                    self.bar.total = self.total
                    self.bar.refresh()

    def hush(self) -> None:
        """Report nothing more (the run was interrupted)."""
        with self.lock:
            self.hushed = True

    def student(self, result: StudentResult) -> None:
        with self.lock:
            if self.hushed:
                return
            self.done += 1
            # Student names, notes and nbgrader's messages may carry text the student chose:
            # escaped, on one line each, so nothing printed here can be forged or recoloured.
            # Notes quote student text already (untrusted.quoted): escape controls, not backslashes.
            remarks = printable("; ".join(result.notes), 600, backslashes=False)
            self.bar.update(1)
            if result.ok and not self.every_line:
                return
            status = (
                ("graded" if result.ok else "NOT GRADED")
                if self.what == "grading"
                else ("feedback written" if result.ok else "NO FEEDBACK")
            )
            log = Path(LOGS) / ("" if self.what == "grading" else self.what) / f"{result.student}.log"
            line = (
                f"  [{self.done}/{self.total}] {printable(result.student)}: {status} in "
                f"{result.seconds:.1f} s"
                + (f" ({remarks})" if remarks else "")
                + ("" if result.ok else f": {printable(result.reason, 600)} (log: {printable(log)})")
            )
            self.bar.write(line, file=sys.stdout)
            sys.stdout.flush()

    def close(self) -> None:
        self.bar.close()


def grade(
    root: Path,
    assignment: str,
    timeout_per_student: float = 1800,
    nbgrader_args: tuple[str, ...] = (),
    jobs: int | None = None,
    scheduler: str | None = None,
    dask_certs: Path | None = None,
) -> int:
    """Grade every submission of ``assignment`` under ``root/submitted``; return the exit code.

    0: every student got a grade (0 for a broken submission is a grade); 1: some could not be
    graded at all, or were refused by :mod:`.identity` (they are listed); 2: the assignment,
    the gradebook or the grading environment is not usable, or nothing has been collected for it
    (``nbgrader collect`` comes first).
    """
    if not (root / "release" / assignment).is_dir():
        known = (
            sorted(p.name for p in (root / "release").iterdir() if p.is_dir())
            if (root / "release").is_dir()
            else []
        )
        _say(
            f"Unknown assignment {printable(assignment)}: there is no release/{printable(assignment)} "
            f"in {root}. Known: {', '.join(known) or 'none (run nbgrader generate_assignment)'}."
        )
        return 2
    submitted = root / "submitted"
    # lexists: a student whose assignment "folder" is a link, a file or a FIFO is still a student;
    # staging gives them a note and a blank grade instead of silently skipping them.
    students = (
        sorted(p.name for p in submitted.iterdir() if os.path.lexists(p / assignment))
        if submitted.is_dir()
        else []
    )
    if not students:  # nbgrader collect not run yet: not "nothing to grade" (see uncollected.py)
        _say(nothing_collected(root, assignment))
        return 2
    released = _release_notebooks(root, assignment)  # exits when the release has no notebook
    try:
        config = course_config(root)
        main_url = gradebook_url(root, config)
    except CourseConfigError as err:
        _say(
            f"{err}. Nothing was graded and nothing was changed: without it there is no sandbox "
            "and no verdicts. Fix it and run the command again."
        )
        return 2
    try:
        _check_gradebook(main_url, assignment)
        # Ids are folder names a student chose: a refused one is never staged, graded or merged.
        refused = refusals(students, main_url, StudentIds(config=config).roster_only)
    except Exception as err:
        _say(
            f"The course gradebook cannot be used ({printable(err, 300)}). Nothing was graded "
            "and nothing was changed. Fix the gradebook (nbgrader_config.py, "
            "MLOPS_CONCEPTS_DB_URL) and run the command again."
        )
        return 2
    if refused:
        _say(f"Refused {len(refused)} submission folder(s), never graded under these names:")
        for student, reason in refused.items():
            _say(f"  {quoted(student)}: {reason}")
        students = [s for s in students if s not in refused]
        if not students:
            _say("Nothing else to grade.")
            return 1
    jobs = jobs or os.cpu_count() or 1
    try:
        pool = DaskPool(scheduler, root, dask_certs) if scheduler else LocalPool(jobs)
    except Exception as err:  # an address that is wrong, or a scheduler that is not running
        _say(
            f"The Dask scheduler at {printable(scheduler)} cannot be reached ({printable(err, 300)}). "
            "Nothing was graded and nothing was changed."
        )
        return 2
    compile_package()  # before any grading process or kernel imports the package
    ready = preflight.check(root, assignment, main_url, nbgrader_args)
    if not ready.ok:
        pool.close()
        _say(preflight.refusal_message(assignment, ready))
        return 2
    where = f"on the Dask cluster at {scheduler}" if scheduler else f"with {min(jobs, len(students))} job(s)"
    _say(f"==> Grading {len(students)} submission(s) of {assignment} (sandboxed) {where}")
    started = time.perf_counter()
    template = root / JOBS / "template.db"
    env = nbgrader_env()
    units = [
        StudentJob(
            str(root), assignment, student, main_url, nbgrader_args, timeout_per_student, str(template), env
        )
        for student in students
    ]

    def merge_one(job: StudentJob) -> bool:
        return job.student in merge(scratch_url(root, job.student), main_url, assignment, [job.student])

    grading = _Progress(len(students), "grading")
    writing = _Progress(0, "feedback", every_line=False, position=1)
    try:
        if not scheduler:
            children.start()  # imports nbgrader while the run gets ready
        for folder in (STAGING, JOBS, GRADED):
            shutil.rmtree(root / folder, ignore_errors=True)
        (root / JOBS).mkdir(parents=True, exist_ok=True)
        seed_template(main_url, template, assignment)
        outcome = grade_students(pool, units, merge=merge_one, grading=grading, writing=writing)
    finally:
        pool.close()
        writing.close()
        grading.close()
    elapsed = time.perf_counter() - started
    if outcome.interrupted:
        # The students already in the gradebook get their notebooks in autograded/ too, so the
        # Formgrader shows what was graded; the others keep what they had.
        done = [r for r in outcome.graded.values() if r.student in outcome.merged]
        for r in done:
            publish(root, assignment, r.student)
        _say(
            f"Interrupted: grading stopped after {elapsed:.1f} s. {len(done)} of {len(students)} "
            "student(s) have their new grades in the gradebook (some perhaps without feedback); "
            "nothing else changed. Run the command again to grade the class (hand grades are "
            "kept)."
        )
        return INTERRUPTED
    if outcome.merge_error:
        _say(
            f"The course gradebook could not be written ({printable(outcome.merge_error, 300)}). "
            f"The autograded results are kept in {GRADED}; fix the gradebook and run the command "
            "again."
        )
        return 2
    not_graded = outcome.not_graded
    # The graded notebooks replace the old ones in autograded/ once every feedback is written.
    for r in outcome.graded.values():
        publish(root, assignment, r.student)
    _say("==> Exporting grades to grades.csv")
    export(main_url, root / "grades.csv")

    rows, items = _scores(root, assignment, students, released)
    _say("")
    _say(f"{'student':<24} {'score':>11}  notes")
    for student in students:
        if student in rows and student not in not_graded:
            score, max_score, manual, failed = rows[student]
            extra = []
            if failed:
                extra.append("missed " + ", ".join(map(printable, failed)))
            if manual:
                extra.append("reflection to grade by hand")
            _say(f"{printable(student):<24} {score:>5.1f} / {max_score:<4.1f} {'; '.join(extra)}")
        else:
            reason = printable(not_graded.get(student, "unknown"), 600)
            _say(f"{printable(student):<24} {'-':>11}  not graded: {reason}")
    if items:
        missed = {name: counts for name, counts in items.items() if counts[0] < counts[1]}
        hardest = sorted(missed.items(), key=lambda kv: kv[1][0] / kv[1][1])[:5]
        _say(
            "Items the class found hardest: "
            + ", ".join(f"{printable(name)} ({passed} of {total} right)" for name, (passed, total) in hardest)
            if hardest
            else "Every student got every autograded item right."
        )
    _say(
        f"Graded {len(students) - len(not_graded)} of {len(students)} in {elapsed:.1f} s "
        f"({elapsed / len(students):.1f} s per submission). Feedback: feedback/, grades: grades.csv"
    )
    if outcome.no_feedback:
        _say(
            "Graded, but no feedback was written for: "
            + ", ".join(
                f"{printable(s)} ({printable(r, 600)})" for s, r in sorted(outcome.no_feedback.items())
            )
            + f" (logs: {LOGS}/feedback/). Write it with nbgrader generate_feedback {assignment}."
        )
    if not_graded:
        _say(
            "Could not grade: "
            + ", ".join(f"{printable(s)} ({printable(r, 600)})" for s, r in not_graded.items())
        )
    if refused:
        _say("Refused (not graded): " + ", ".join(f"{quoted(s)} ({r})" for s, r in refused.items()))
    return 1 if not_graded or refused else 0


def _check_gradebook(url: str, assignment: str) -> None:
    """Fail early, before any work, if the course gradebook cannot be read or lacks the assignment."""
    from nbgrader.api import Gradebook

    with Gradebook(url) as gb:
        gb.find_assignment(assignment)


def demo(assignments: list[str], nbgrader_args: tuple[str, ...] = (), course: Path | None = None) -> int:
    """Grade the sample class of each chapter (default: every chapter that has one) in one
    throwaway course directory, never the real one."""
    files = shipped.FILES  # what the installed package carries: from a clone or a wheel alike
    assignments = assignments or chapters(files)
    missing = [a for a in assignments if not (files / EXAMPLES / a / "submitted").is_dir()]
    if not assignments or missing:
        _say(
            f"No sample class for {', '.join(missing) or 'any chapter'} (examples/<id>/submitted): "
            "see docs/authoring.md"
        )
        return 2
    course = course or Path.cwd() / DEMO_COURSE
    shutil.rmtree(course, ignore_errors=True)
    course.mkdir(parents=True)
    shutil.copy(shipped.CONFIG, course / "nbgrader_config.py")
    _say(f"==> A throwaway course for the demo: {course}")
    env_url = os.environ.pop("MLOPS_CONCEPTS_DB_URL", None)  # the demo's gradebook is its own
    code = 0
    try:
        for assignment in assignments:
            shutil.copytree(shipped.SOURCE / assignment, course / "source" / assignment)
            children.start()  # imports nbgrader while the chapter is released
            release(course, assignment)
            samples = files / EXAMPLES / assignment / "submitted"
            _say(f"==> Copying the sample submissions from {samples.relative_to(files)}")
            for student_dir in sorted(samples.iterdir()):
                shutil.copytree(
                    student_dir / assignment, course / "submitted" / student_dir.name / assignment
                )
            graded = grade(course, assignment, nbgrader_args=nbgrader_args)
            if graded == INTERRUPTED:
                return graded
            if graded == 0:
                from ..report.command import report

                _say("==> Writing the class report")
                report(course, assignment)
            code = max(code, graded)
    finally:
        if env_url is not None:
            os.environ["MLOPS_CONCEPTS_DB_URL"] = env_url
    _say(f"Demo course: {course} (feedback/, grades.csv, reports/, gradebook.db)")
    return code


def with_submissions(root: Path) -> list[str]:
    """Released assignments that someone submitted (what ``grade`` with no id grades)."""
    released = (
        sorted(p.name for p in (root / "release").iterdir() if p.is_dir())
        if (root / "release").is_dir()
        else []
    )
    submitted = root / "submitted"
    return [
        a for a in released if submitted.is_dir() and any(os.path.lexists(s / a) for s in submitted.iterdir())
    ]


def check(root: Path, assignments: list[str]) -> int:
    """``mlops-concepts check``: print every authoring problem; exit 1 if there is any."""
    from ..authoring.lint import lint, measures

    if not assignments:
        assignments = (
            sorted(p.name for p in (root / "source").iterdir() if p.is_dir())
            if (root / "source").is_dir()
            else []
        )
    if not assignments:
        _say(
            f"No chapters in {printable(root / 'source')}: run it in a course directory "
            "(mlops-concepts new-course DIR makes one), or pass --root."
        )
        return 1
    failed = 0
    for assignment in assignments:
        problems = lint(root, assignment)
        failed += bool(problems)
        _say(f"{assignment}: " + ("ok" if not problems else f"{len(problems)} problem(s)"))
        for problem in problems:
            _say(f"  {problem}")
        for measure in measures(root, assignment):
            _say(f"  {measure}")
    return 1 if failed else 0

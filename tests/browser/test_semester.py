"""The instructor's semester, end to end, with the real parts and one class of three students.

release_assignment -> three students fetch_assignment and submit through the exchange (each with
a home and a submission cache of their own, see ``classroom.py``) -> collect -> ``mlops-concepts
grade`` -> the real Formgrader, served by JupyterLab whose root is the course directory (as
``make formgrader`` starts it), in Debian's chromium: ada's reflection gets a hand score and a
comment -> ``mlops-concepts grade`` again (the hand grade is kept and not flagged again) ->
generate_feedback -> release_feedback -> every student fetch_feedback, and ada sees hers in the
Assignments tab of her own JupyterLab -> nbgrader export.

Each stage is a module fixture that builds on the one before, so a failure names its stage and
the tests after it error instead of checking half a semester. The exchange is a folder in the
test's temporary directory, given to the course by ``MLOPS_CONCEPTS_EXCHANGE``.

Run:  .venv/bin/pytest tests/browser/test_semester.py -q    (about 10-15 minutes on 2 busy cores)
"""

from __future__ import annotations

import csv
import re
import sys
import urllib.parse
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.classroom import BIN, REPO, Student, browser_helpers, clean_env, environ, run, show
from support.course import item_scores, make_course, max_scores

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ASSIGNMENT = "01-introduction-to-mlops"
CLASS = {"ada": "sample-complete", "bob": "sample-partial", "cy": "sample-wrong"}
HAND = "ada"
HAND_SCORE = 1.5  # of the reflection's 2 points: a fraction, so rounding would show
COMMENT = "Good link between monitoring and retraining. Next time name one concrete drift metric."
NEEDS_HAND = "reflection to grade by hand"


# -- the stages ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("semester")
    root = make_course(tmp / "course")  # nbgrader_config.py and source/ copied, generate_assignment
    exchange = tmp / "exchange"
    env = clean_env(MLOPS_CONCEPTS_EXCHANGE=str(exchange))
    students = {}
    for name in CLASS:
        (tmp / "home" / name).mkdir(parents=True)
        students[name] = Student(name, tmp / "home" / name, exchange)
    return SimpleNamespace(root=root, exchange=exchange, env=env, students=students)


def instructor(course, *cmd: str, timeout: float = 1800):
    return run(list(cmd), cwd=course.root, env=course.env, timeout=timeout)


def gradebook(course):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{course.root / 'gradebook.db'}")


def reflection(course, student: str):
    """(manual_score, needs_manual_grade, manual_comment, auto_score) of a student's reflection."""
    with gradebook(course) as gb:
        grade = gb.find_grade("reflection", ASSIGNMENT, ASSIGNMENT, student)
        comment = gb.find_comment("reflection", ASSIGNMENT, ASSIGNMENT, student)
        return grade.manual_score, grade.needs_manual_grade, comment.manual_comment, grade.auto_score


def summary_line(stdout: str, student: str) -> str:
    lines = [ln for ln in stdout.splitlines() if re.match(rf"{student}\s+\d", ln)]
    assert len(lines) == 1, stdout
    return lines[0]


def csv_rows(path: Path) -> dict[str, dict[str, str]]:
    with open(path, newline="") as f:
        return {row["student_id"]: row for row in csv.DictReader(f) if row["assignment"] == ASSIGNMENT}


@pytest.fixture(scope="module")
def collected(course):
    done = instructor(course, BIN / "nbgrader", "release_assignment", ASSIGNMENT)
    assert done.returncode == 0, show(done)
    for name, sample in CLASS.items():
        student = course.students[name]
        student.fetch(ASSIGNMENT)
        student.work(ASSIGNMENT, sample)
        student.submit(ASSIGNMENT)
    done = instructor(course, BIN / "nbgrader", "collect", ASSIGNMENT)
    assert done.returncode == 0, show(done)
    return done


@pytest.fixture(scope="module")
def graded(course, collected):
    done = instructor(course, BIN / "mlops-concepts", "grade", ASSIGNMENT)
    assert done.returncode == 0, show(done)
    return done


@pytest.fixture(scope="module")
def hand_graded(course, graded, chromium_browser):
    """ada's reflection scored and commented in the real Formgrader; what the page showed after."""
    lab = browser_helpers()
    with gradebook(course) as gb:
        submission_id = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, HAND).id
    # As `make formgrader` serves it: the server root is the course directory itself.
    with (
        environ(MLOPS_CONCEPTS_EXCHANGE=str(course.exchange), MLOPS_CONCEPTS_DB_URL=None),
        lab.running_lab(course.root, cwd=course.root) as (base_url, token),
    ):
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
        try:  # the session's one Playwright (tests/conftest.py)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base_url}lab?token={token}")  # logs in: auth and _xsrf cookies
            # The Formgrader's own list of the class first: it works, and lists every student.
            page.goto(f"{base_url}formgrader/manage_students")
            for name in CLASS:
                page.locator("td", has_text=re.compile(rf"^\s*{name}\s*$")).first.wait_for()
            assert "encountered an error" not in page.content()

            page.goto(f"{base_url}formgrader/submissions/{submission_id}/")
            score = page.locator("input.score#reflection")
            score.wait_for()
            assert "encountered an error" not in page.content()
            with page.expect_response(
                lambda r: "/formgrader/api/grade/" in r.url and r.request.method == "PUT"
            ) as saved_score:
                score.fill(str(HAND_SCORE))
                score.press("Tab")  # "change" saves, as the grader leaving the field does
            assert saved_score.value.ok, saved_score.value.status
            comment = page.locator("textarea.comment#reflection-comment")
            with page.expect_response(
                lambda r: "/formgrader/api/comment/" in r.url and r.request.method == "PUT"
            ) as saved_comment:
                comment.fill(COMMENT)
                comment.press("Tab")
            assert saved_comment.value.ok, saved_comment.value.status
            # What the Formgrader shows when the grader comes back to the submission.
            page.reload()
            score.wait_for()
            page.wait_for_function("() => document.querySelector('#reflection-comment').value !== ''")
            shown = SimpleNamespace(
                score=score.input_value(),
                comment=comment.input_value(),
                flagged="needs_manual_grade" in (score.get_attribute("class") or ""),
            )
        finally:
            context.close()
    return shown


@pytest.fixture(scope="module")
def regraded(course, hand_graded):
    done = instructor(course, BIN / "mlops-concepts", "grade", ASSIGNMENT)
    assert done.returncode == 0, show(done)
    return done


@pytest.fixture(scope="module")
def feedback(course, regraded):
    """generate_feedback, release_feedback, and each student's fetch_feedback: {student: html}."""
    for cmd in (("generate_feedback", ASSIGNMENT, "--force"), ("release_feedback", ASSIGNMENT)):
        done = instructor(course, BIN / "nbgrader", *cmd)
        assert done.returncode == 0, show(done)
    fetched = {}
    for name, student in course.students.items():
        (html,) = student.fetch_feedback(ASSIGNMENT)
        fetched[name] = html
    return fetched


@pytest.fixture(scope="module")
def exported(course, feedback):
    out = course.root / "export.csv"
    done = instructor(course, BIN / "nbgrader", "export", "--to", str(out))
    assert done.returncode == 0, show(done)
    return csv_rows(out)


def auto_total(course, student: str) -> float:
    return sum(item_scores(course.root, ASSIGNMENT, student).values())


# -- what each stage proves ------------------------------------------------------------------------


def test_every_student_submits_through_the_exchange_and_collect_finds_them(course, collected):
    inbound = course.exchange / "mlops-concepts" / "inbound"
    assert sorted(p.name.split("+")[0] for p in inbound.iterdir()) == sorted(CLASS)
    for name, student in course.students.items():
        (cached,) = student.submissions(ASSIGNMENT)
        folder = course.root / "submitted" / name / ASSIGNMENT
        assert (folder / f"{ASSIGNMENT}.ipynb").read_bytes() == student.notebook(ASSIGNMENT).read_bytes()
        # collect keeps the timestamp and secret release_feedback and fetch_feedback match on
        assert (folder / "timestamp.txt").read_text() == cached.name.split("+")[2]
        assert (folder / "submission_secret.txt").read_text() == (
            cached / "submission_secret.txt"
        ).read_text()


def test_grade_scores_the_class_and_asks_for_the_written_reflection(course, graded):
    out = graded.stdout
    assert "Graded 3 of 3" in out, out
    full = sum(max_scores(course.root, ASSIGNMENT).values())
    assert full >= 14
    assert auto_total(course, "ada") == full  # the complete sample: every exercise right
    assert 0 < auto_total(course, "bob") < full
    assert auto_total(course, "cy") == 0
    assert NEEDS_HAND in summary_line(out, HAND), out
    manual, flagged, _, _ = reflection(course, HAND)
    assert manual is None and flagged


def test_the_formgrader_saves_the_hand_grade_and_comment(course, hand_graded):
    manual, flagged, comment, _ = reflection(course, HAND)
    assert manual == HAND_SCORE
    assert not flagged
    assert comment == COMMENT
    assert float(hand_graded.score) == HAND_SCORE and hand_graded.comment == COMMENT
    assert not hand_graded.flagged
    # nobody else was touched
    for name in set(CLASS) - {HAND}:
        assert reflection(course, name)[0] is None


def test_grading_again_keeps_the_hand_grade_and_does_not_flag_it(course, graded, regraded):
    manual, flagged, comment, _ = reflection(course, HAND)
    assert (manual, flagged, comment) == (HAND_SCORE, False, COMMENT)
    out = regraded.stdout
    assert "Graded 3 of 3" in out, out
    line = summary_line(out, HAND)
    assert NEEDS_HAND not in line, line
    total = auto_total(course, HAND) + HAND_SCORE
    assert re.search(rf"\b{total:.1f} /", line), line
    # the others are as they were after the first run (their flags included)
    for name in set(CLASS) - {HAND}:
        assert summary_line(out, name) == summary_line(graded.stdout, name)
    # and the export `grade` writes carries the hand grade
    rows = csv_rows(course.root / "grades.csv")
    assert float(rows[HAND]["raw_score"]) == total, rows[HAND]


def test_each_student_fetches_their_own_feedback_with_the_hand_grade(course, feedback):
    html = feedback[HAND].read_text()
    assert COMMENT in html
    assert re.search(rf'href="#reflection">[^<]*</a> \(Score: {HAND_SCORE} / 2\.0\)', html), re.findall(
        r'href="#reflection">.{0,80}', html
    )
    total = auto_total(course, HAND) + HAND_SCORE
    assert f"(Score: {total} / " in html
    for name in set(CLASS) - {HAND}:
        assert COMMENT not in feedback[name].read_text()
    # each got the feedback of their own submission (timestamp folder = their submission's)
    for name, student in course.students.items():
        (cached,) = student.submissions(ASSIGNMENT)
        assert feedback[name].parent.name == cached.name.split("+")[2]


def test_the_student_sees_the_feedback_in_the_assignments_tab(course, feedback, chromium_browser):
    """ada's own JupyterLab (root: her home, the student settings `make lab` uses)."""
    lab = browser_helpers()
    student = course.students[HAND]
    with (
        environ(
            JUPYTER_CONFIG_PATH=str(REPO / "etc" / "student-lab"),
            HOME=str(student.home),
            MLOPS_CONCEPTS_EXCHANGE=None,
            MLOPS_CONCEPTS_DB_URL=None,
        ),
        lab.running_lab(student.home) as (base_url, token),
    ):
        context = chromium_browser.new_context(viewport={"width": 1280, "height": 900})
        try:  # the session's one Playwright (tests/conftest.py)
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"{base_url}lab?reset&token={token}")
            page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
            page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel").get_by_text(
                "Assignment List", exact=True
            ).click()
            submitted = page.locator("#submitted_assignments_list")
            view = submitted.get_by_text("(view feedback)")
            view.wait_for()
            text = submitted.inner_text()
            assert ASSIGNMENT in text, text
            # Following the link shows the fetched feedback in the file browser...
            view.click()
            item = page.locator(".jp-DirListing-item", has_text=f"{ASSIGNMENT}.html")
            item.wait_for()
            # ...and the page itself, served by her server, carries the comment and the score.
            rel = feedback[HAND].relative_to(student.home).as_posix()
            page.goto(f"{base_url}files/{urllib.parse.quote(rel)}", referer=f"{base_url}lab")
            page.get_by_text(COMMENT).wait_for()
            assert f"Score: {HAND_SCORE} / 2.0" in page.locator("body").inner_text()
        finally:
            context.close()


def test_the_export_carries_the_hand_grade(course, exported):
    assert sorted(exported) == sorted(CLASS)
    total = auto_total(course, HAND) + HAND_SCORE
    assert float(exported[HAND]["raw_score"]) == total, exported[HAND]
    for name in set(CLASS) - {HAND}:
        assert float(exported[name]["raw_score"]) == auto_total(course, name), exported[name]


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

"""A class on a real JupyterHub: an instructor and two students who are Unix users of this machine.

The set-up is docs/deploy.md's, run as pasted (``support.hub``): the doc's shell blocks run as
root with the system's ``python3``: the course installed from this repository, not editable,
into a venv every user can read; configurable-http-proxy from npm into it; the users, made by the
doc's ``useradd`` and given passwords by ``chpasswd``; the instructor's course; the exchange by
``mlops-concepts exchange-setup``; and JupyterHub from PyPI with ``etc/jupyterhub/jupyterhub_config.py``
(the local process spawner, PAM logins), on free ports of 127.0.0.1. The settings block's values,
the passwords and the ports are the test's.

In chromium, each student logs in with their Unix password, fetches chapter 1 in the Assignments
tab, answers (their notebook saved through their own server; A types the reflection in
JupyterLab) and submits; the instructor runs the doc's "Teaching on it" commands as their Unix
user, grades a reflection by hand in their Formgrader and releases feedback; each student fetches
and opens their own feedback. Then, as the Unix users: no student can read another's work, the
instructor's course, or the inbound.

Needs root (real Unix users); skips elsewhere, fails under CI. About 7-13 minutes on 2 busy cores.
"""

from __future__ import annotations

import json
import re
import secrets
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlops_concepts.authoring.samples import sample_path
from support.classroom import show
from support.course import ASSIGNMENTS
from support.hub import (
    class_users,
    doc_block,
    explained,
    log_in,
    login_refused,
    open_assignments,
    run_as_root,
    running_hub,
    settings,
    setup_blocks,
)
from support.screens import screenshot_dir

pytestmark = [pytest.mark.slow, pytest.mark.browser]

REPO = Path(__file__).resolve().parents[2]
ASSIGNMENT = ASSIGNMENTS[0]
COURSE_ID = "mlops-concepts"
SAMPLES = {"A": "sample-complete", "B": "sample-partial"}
HAND_SCORE = 1.5  # of the reflection's 2 points
COMMENT = "Hub feedback: good link between monitoring and retraining."
STUB = "YOUR ANSWER HERE"  # what a released written answer holds (nbgrader's ClearSolutions.text_stub)
# Student A types this reflection into their notebook in JupyterLab; their other answers are saved
# whole (a sample submission) through their server.
TYPED = "A startup's data scientist also deploys the model; an enterprise has an ML engineer for it."


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0, show(done)
    return done


def _teaching() -> list[str]:
    """The doc's "Teaching on it" commands, cut at its comments (the students' and the Formgrader's
    turns): the instructor's terminal session, one part at a time."""
    parts, current = [], []
    for line in doc_block("hub-test", "teach").splitlines():
        if line.startswith("#"):
            parts.append("\n".join(current))
            current = []
        else:
            current.append(line)
    assert not current, "the teaching block ends with the students' turn"
    assert ASSIGNMENT in parts[0], "the doc teaches another chapter than the test checks"
    return parts


@pytest.fixture(scope="module")
def cls(shared_dir):
    """The doc's set-up, as root: environment, proxy, users, course, exchange."""
    roles = {"I": "instructor", "A": "student A", "B": "student B"}
    with class_users(roles) as (names, made):
        paths = SimpleNamespace(
            env=shared_dir / "env", exchange=shared_dir / "exchange", hub=shared_dir / "hub"
        )
        setup = settings(
            ENV=str(paths.env),
            EXCHANGE=str(paths.exchange),
            HUB=str(paths.hub),
            INSTRUCTOR=names["I"],
            STUDENTS=f"{names['A']} {names['B']}",
        )
        passwords = {role: secrets.token_urlsafe(16) for role in roles}
        typed = "".join(f"{names[role]}:{passwords[role]}\n" for role in roles)  # into chpasswd
        steps = setup_blocks()
        users = [label for label, _ in steps].index("users")
        run_as_root(setup, *[text for _, text in steps[:users]])
        run_as_root(setup, steps[users][1], stdin=typed)
        run_as_root(setup, *[text for _, text in steps[users + 1 :]])
        teacher = made("I")
        students = {"A": made("A"), "B": made("B")}
        course = teacher.home / "course"
        # A terminal in the instructor's server: the environment the hub gives it.
        env = teacher.env(
            paths.env / "bin" / "python",
            MLOPS_CONCEPTS_EXCHANGE=str(paths.exchange),
            MLOPS_CONCEPTS_COURSE_DIR=str(course),
        )
        teaching = _teaching()
        cd = teaching[0].splitlines()[0]

        def instructor(part: int):
            script = "set -eu\n" + ("" if part == 0 else cd + "\n") + teaching[part]
            return teacher.run(["/bin/bash", "-c", script], cwd=teacher.home, env=env, timeout=1800)

        ok(instructor(0))  # generate and release chapter 1
        yield SimpleNamespace(
            teacher=teacher,
            students=students,
            passwords={teacher.name: passwords["I"], **{s.name: passwords[k] for k, s in students.items()}},
            course=course,
            exchange=paths.exchange,
            setup=setup,
            instructor=instructor,
            inbound=paths.exchange / COURSE_ID / "inbound",
        )


@pytest.fixture(scope="module")
def hub(cls, shared_dir):
    uids = {cls.teacher.uid, *(s.uid for s in cls.students.values())}
    with running_hub(cls.setup, shared_dir / "jupyterhub.log", uids) as hub:
        yield hub


def _save_notebook(page, user: str, rel: str, notebook: dict) -> None:
    """Save ``notebook`` at ``rel`` through the user's own server, as their JupyterLab does."""
    status = page.evaluate(
        """async ([url, nb]) => {
            const xsrf = decodeURIComponent((document.cookie.match(/_xsrf=([^;]+)/) || [])[1] || '');
            const r = await fetch(url, {method: 'PUT', credentials: 'same-origin',
                headers: {'X-XSRFToken': xsrf, 'Content-Type': 'application/json'},
                body: JSON.stringify({type: 'notebook', format: 'json', content: nb})});
            return r.status;
        }""",
        [f"/user/{user}/api/contents/{rel}", notebook],
    )
    assert status in (200, 201), status


def _answers(key: str) -> dict:
    """The notebook a student saves: their sample's answers; A's reflection left to type."""
    notebook = json.loads(sample_path(REPO, ASSIGNMENT, SAMPLES[key]).read_text())
    if key == "A":
        (cell,) = [c for c in notebook["cells"] if _grade_id(c) == "reflection"]
        cell["source"] = STUB
    return notebook


def _grade_id(cell: dict) -> str | None:
    return cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")


def _type_reflection(page, hub, user: str, notebook: Path) -> None:
    """Open the notebook in JupyterLab, write the reflection into its answer cell, save (Ctrl+S)."""
    page.goto(f"{hub.url}/user/{user}/lab/tree/{ASSIGNMENT}/{ASSIGNMENT}.ipynb")
    paragraphs = page.locator(".jp-MarkdownCell .jp-RenderedMarkdown p")
    answer = paragraphs.filter(has_text=re.compile(rf"^\s*{STUB}\s*$"))  # not the instructions
    page.locator(".jp-NotebookPanel .jp-Notebook-cell").first.wait_for()
    # The notebook is ready when its kernel is (the status bar says Idle): not before.
    page.locator("#jp-main-statusbar").get_by_text("Idle").first.wait_for(timeout=120_000)
    answer.scroll_into_view_if_needed()
    answer.dblclick()  # a rendered Markdown cell opens its editor on a double click
    editor = page.locator(".jp-Cell.jp-mod-active.jp-MarkdownCell .cm-content")
    editor.wait_for()
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(TYPED)
    page.keyboard.press("Control+S")
    deadline = time.monotonic() + 30
    while TYPED not in notebook.read_text():
        assert time.monotonic() < deadline, "JupyterLab did not save the typed reflection"
        time.sleep(0.5)


@pytest.fixture(scope="module")
def submitted(cls, hub, chromium_browser):
    """Each student, in the browser: log in, fetch in the Assignments tab, answer, submit."""
    for key, student in cls.students.items():
        context, page = log_in(chromium_browser, hub, student.name, cls.passwords[student.name])
        try:
            with explained(page, hub):
                open_assignments(page)
                released = page.locator("#released_assignments_list")
                released.get_by_role("button", name="Fetch").click()
                fetched = page.locator("#fetched_assignments_list")
                fetched.get_by_text(ASSIGNMENT).first.wait_for()
                notebook = student.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
                assert notebook.is_file(), "the Assignments tab fetched outside the student's home"
                _save_notebook(page, student.name, f"{ASSIGNMENT}/{ASSIGNMENT}.ipynb", _answers(key))
                if key == "A":
                    _type_reflection(page, hub, student.name, notebook)
                    open_assignments(page)
                    fetched = page.locator("#fetched_assignments_list")
                fetched.get_by_role("button", name="Submit").click()
                page.locator("#submitted_assignments_list").get_by_text(ASSIGNMENT).first.wait_for()
        finally:
            context.close()
    return True


def _gradebook(cls):
    from nbgrader.api import Gradebook

    return Gradebook(f"sqlite:///{cls.course / 'gradebook.db'}")


@pytest.fixture(scope="module")
def graded(cls, submitted):
    return ok(cls.instructor(1))  # collect, then mlops-concepts grade


def _saves(response, what: str) -> bool:
    return f"/formgrader/api/{what}/" in response.url and response.request.method == "PUT"


@pytest.fixture(scope="module")
def hand_graded(cls, hub, graded, chromium_browser):
    """Student A's reflection scored and commented in the instructor's own Formgrader on the hub."""
    a = cls.students["A"].name
    with _gradebook(cls) as gb:
        submission_id = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, a).id
    context, page = log_in(chromium_browser, hub, cls.teacher.name, cls.passwords[cls.teacher.name])
    try:
        with explained(page, hub):
            # Fill the score only once the page's script has loaded the grades and comments: it
            # redraws the fields then, and a value typed before that is lost without a save.
            with page.expect_response(lambda r: "/formgrader/api/comments?" in r.url):
                page.goto(f"{hub.url}/user/{cls.teacher.name}/formgrader/submissions/{submission_id}/")
            score = page.locator("input.score#reflection")
            score.wait_for()
            with page.expect_response(lambda r: _saves(r, "grade")) as r:
                score.fill(str(HAND_SCORE))
                score.press("Tab")
            assert r.value.ok, r.value.status
            comment = page.locator("textarea.comment#reflection-comment")
            with page.expect_response(lambda r: _saves(r, "comment")) as r:
                comment.fill(COMMENT)
                comment.press("Tab")
            assert r.value.ok, r.value.status
    finally:
        context.close()
    ok(cls.instructor(2))  # generate and release feedback
    return True


@pytest.fixture(scope="module")
def feedback(cls, hub, hand_graded, chromium_browser):
    """Each student, in the browser: Fetch Feedback in the Assignments tab, then open the page."""
    shown = {}
    for key, student in cls.students.items():
        context, page = log_in(chromium_browser, hub, student.name, cls.passwords[student.name])
        try:
            with explained(page, hub):
                open_assignments(page)
                listing = page.locator("#submitted_assignments_list")
                listing.get_by_role("button", name="Fetch Feedback").click()
                listing.get_by_text("(view feedback)").first.wait_for()
                (html,) = sorted((student.home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
                rel = html.relative_to(student.home).as_posix()
                page.goto(f"{hub.url}/user/{student.name}/files/{rel}")
                page.get_by_text(ASSIGNMENT).first.wait_for()
                shown[key] = page.locator("body").inner_text()
                if key == "A":
                    page.get_by_text(COMMENT).scroll_into_view_if_needed()
                    out = screenshot_dir() / "hub-feedback.png"
                    out.parent.mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(out))
                # Their browser session reads their own files through their server, and not the
                # other student's, whatever the URL.
                own = page.goto(f"{hub.url}/user/{student.name}/api/contents/{ASSIGNMENT}")
                shown[f"{key} own"] = (own.status, page.content())
                other = cls.students["B" if key == "A" else "A"].name
                theirs = page.goto(f"{hub.url}/user/{other}/api/contents/{ASSIGNMENT}")
                shown[f"{key} other"] = (theirs.status, page.content())
        finally:
            context.close()
    return shown


def test_students_fetch_and_submit_through_their_assignments_tab(cls, submitted):
    entries = [p for p in cls.inbound.iterdir()]
    for student in cls.students.values():
        mine = [p for p in entries if p.name.startswith(student.name + "+")]
        assert len(mine) == 1, entries
        assert mine[0].stat().st_uid == student.uid  # made by the student's own process


def test_logins_are_the_users_unix_passwords(cls, hub, chromium_browser):
    """PAM checks each user's own password: student A's name with B's password is turned away."""
    a, b = cls.students["A"], cls.students["B"]
    assert login_refused(chromium_browser, hub, a.name, cls.passwords[b.name])
    assert login_refused(chromium_browser, hub, a.name, "")


def test_the_instructor_collects_and_grades_as_their_own_user(cls, graded):
    out = graded.stdout
    assert "Graded 2 of 2" in out, out
    for key, student in cls.students.items():
        path = cls.course / "submitted" / student.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
        cells = json.loads(path.read_text())["cells"]
        if key == "A":
            (reflection,) = [c for c in cells if _grade_id(c) == "reflection"]
            assert "".join(reflection["source"]).strip() == TYPED
            cells = [c for c in cells if c is not reflection]
        saved = [c for c in _answers(key)["cells"] if key == "B" or _grade_id(c) != "reflection"]
        assert cells == saved, "not the answers the student saved"
        assert (cls.course / "gradebook.db").stat().st_uid == cls.teacher.uid
    with _gradebook(cls) as gb:
        a = gb.find_submission(ASSIGNMENT, cls.students["A"].name).score
        b = gb.find_submission(ASSIGNMENT, cls.students["B"].name).score
    assert a > b > 0, (a, b)  # the complete answers beat the partial ones: grading really ran


def test_the_hand_grade_reaches_only_its_student(cls, feedback):
    assert COMMENT in feedback["A"], feedback["A"][:2000]
    assert f"Score: {HAND_SCORE} / 2.0" in feedback["A"]
    assert COMMENT not in feedback["B"]
    assert cls.students["B"].name in feedback["B"] or ASSIGNMENT in feedback["B"]
    notebook = f"{ASSIGNMENT}.ipynb"
    for key in ("A", "B"):
        status, content = feedback[f"{key} own"]
        assert status == 200 and notebook in content, (status, content[:500])
        status, content = feedback[f"{key} other"]
        assert status == 403 and notebook not in content, (status, content[:500])


def test_no_student_can_read_another_student_the_course_or_the_inbound(cls, feedback):
    a, b = cls.students["A"], cls.students["B"]
    theirs = f"{a.home}/{ASSIGNMENT}/{ASSIGNMENT}.ipynb"
    attempts = {
        "read another student's notebook": f"cat {theirs}",
        "list another student's home": f"ls {a.home}",
        "read another student's feedback": f"cat {a.home}/{ASSIGNMENT}/feedback/*/{ASSIGNMENT}.html",
        "list the instructor's course": f"ls {cls.course}",
        "read the answer key": f"cat {cls.course}/source/{ASSIGNMENT}/{ASSIGNMENT}.ipynb",
        "read the gradebook": f"cat {cls.course}/gradebook.db",
        "list the inbound": f"ls {cls.inbound}",
        "read a submission in the inbound": f"cat {cls.inbound}/{a.name}+*/{ASSIGNMENT}.ipynb",
        "list the feedback exchange": f"ls {cls.exchange}/{COURSE_ID}/feedback",
    }
    for what, script in attempts.items():
        done = b.run(["/bin/sh", "-c", script])
        assert done.returncode != 0 and not done.stdout, f"student B could {what}\n{show(done)}"
    # ...while each can still read their own work (the attempts failed for the right reason).
    assert a.run(["cat", theirs]).returncode == 0


if __name__ == "__main__":
    sys.exit(pytest.main([__file__, "-q"]))

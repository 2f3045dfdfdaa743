"""Browser test: hostile student ids, names and e-mail addresses do nothing in the real Formgrader.

``nbgrader db student add`` accepts any text as an id, a name or an e-mail address (the course
refuses bad ids where submissions enter, not in nbgrader's own commands), and nbgrader's
Formgrader puts them into HTML text, HTML attributes and JavaScript strings. The strings below
break out of each of those: in nbgrader's pages as they are, they run the attack of
``support.formgrader_page`` (write a file through the contents API, change the title, add an
element, open a dialog). Served by a real JupyterLab with nbgrader's Formgrader and this course's
server extension (mlops_concepts/nbgrader_plugins/formgrader_pages.py), in Debian's chromium, every page
that shows them runs nothing, and the gradebook is unchanged.

Run:  .venv/bin/pytest tests/browser/test_formgrader_ids.py -q
"""

from __future__ import annotations

import sys
import time
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "tests"))  # the course helpers, when run from another directory

from support.course import grade_all, make_course, nbgrader, solutions, submit  # noqa: E402
from support.formgrader_page import ATTACK, ATTACK_ATTR, FILE, MARKER, TITLE, open_page, settle  # noqa: E402

ASSIGNMENT = "01-introduction-to-mlops"
STUDENT = "alice"  # a real student, graded, whose names were then changed by hand

# Each breaks out of one context nbgrader's pages put gradebook text in.
IN_SCRIPT = f"</script><script>{ATTACK}</script>"
IN_JS_STRING = f'";{ATTACK};"'
IN_HTML = f'<img src=x onerror="{ATTACK_ATTR}">'
IN_ATTRIBUTE = f'" autofocus onfocus="{ATTACK_ATTR}" x="'
HOSTILE_IDS = [IN_JS_STRING, IN_SCRIPT, IN_HTML]
# (Words around each: traitlets takes the quotes off a command-line value that starts and ends
# with one.)
NAMES = {
    "--first-name": f"Eve {IN_SCRIPT}{IN_HTML} Eve",
    "--last-name": f"Mal {IN_JS_STRING}{IN_ATTRIBUTE} Mal",
    "--email": f"eve {IN_HTML}{IN_ATTRIBUTE}@example.com",
}

STATE_JS = f"""() => ({{
    title: document.title,
    marker: !!document.getElementById('{MARKER}'),
    // the attack as code (as a JSON string, its quotes are escaped: \\u0027)
    scripts_with_payload: [...document.scripts].filter(
        s => s.textContent.includes("alert('{MARKER}')")).length,
    handlers: [...document.querySelectorAll('*')].filter(
        el => [...el.attributes].some(a => /^on/i.test(a.name) && a.value.includes('{MARKER}'))).length,
    text: document.body ? document.body.textContent : '',  // hidden names too
}})"""


def _gradebook_state(course: Path):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        students = sorted((s.id, s.first_name, s.last_name, s.email) for s in gb.students)
        grades = sorted(
            (g.id, g.manual_score, g.extra_credit)
            for sub in gb.find_assignment(ASSIGNMENT).submissions
            for nb in sub.notebooks
            for g in nb.grades
        )
        comments = sorted(
            (c.id, c.manual_comment)
            for sub in gb.find_assignment(ASSIGNMENT).submissions
            for nb in sub.notebooks
            for c in nb.comments
        )
        submission = gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT).id
    return (students, grades, comments), submission


@pytest.fixture(scope="module")
def hostile_course(tmp_path_factory):
    root = tmp_path_factory.mktemp("formgrader-ids")
    course = make_course(root / "course")
    submit(course, ASSIGNMENT, STUDENT, solutions(course, ASSIGNMENT))
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    for student in [STUDENT, *HOSTILE_IDS]:
        args = [f"{flag}={value}" for flag, value in NAMES.items()]
        added = nbgrader(course, "db", "student", "add", student, *args)
        assert added.returncode == 0, added.stdout + added.stderr
    state, submission = _gradebook_state(course)
    assert {row[0] for row in state[0]} == {STUDENT, *HOSTILE_IDS}
    assert {row[1:] for row in state[0]} == {tuple(NAMES.values())}
    return root, course, state, submission


@pytest.fixture(scope="module")
def server(hostile_course, lab_launcher):
    root, course, _, _ = hostile_course
    with lab_launcher(root, cwd=course) as (base_url, token):
        yield base_url, token


def _pages(submission: str) -> list[tuple[str, str]]:
    """(path under /formgrader/, text the page must show once loaded) for every page that shows
    a student's id, names or e-mail address."""
    quote = lambda text: urllib.parse.quote(text, safe="")  # noqa: E731
    pages = [
        ("manage_students", STUDENT),
        (f"manage_submissions/{ASSIGNMENT}", "Submission"),
        (f"gradebook/{ASSIGNMENT}/{ASSIGNMENT}", "Submission"),
        (f"submissions/{submission}/", "Submission"),
        (f"manage_students/{STUDENT}", ASSIGNMENT),
    ]
    for student in HOSTILE_IDS:
        pages.append((f"manage_students/{quote(student)}", student))
        pages.append((f"manage_students/{quote(student)}/{ASSIGNMENT}", ASSIGNMENT))
    return pages


def _assert_inert(page, root: Path, where: str) -> dict:
    state = page.evaluate(STATE_JS)
    assert not (root / FILE).exists(), f"{where}: the payload wrote a file through the contents API"
    assert MARKER not in state["title"], (where, state["title"])
    assert not state["marker"], f"{where}: the payload added an element"
    assert page.dialogs == [], f"{where}: the payload opened a dialog: {page.dialogs}"
    assert state["scripts_with_payload"] == 0 and state["handlers"] == 0, (where, state)
    return state


def test_formgrader_pages_show_hostile_gradebook_strings_as_text(browser, server, hostile_course):
    base_url, token = server
    root, course, before, submission = hostile_course
    context, page = open_page(browser, f"{base_url}lab?token={token}")  # sets the auth cookies
    try:
        for path, expected in _pages(submission):
            page.goto(f"{base_url}formgrader/{path}")
            page.get_by_text(expected, exact=False).first.wait_for(timeout=30_000)
            settle(page)
            state = _assert_inert(page, root, path)
            if path == "manage_students":  # the names and addresses are there, as text
                for value in NAMES.values():
                    assert value in state["text"], (path, value)
            if path.startswith("manage_students/") and path.count("/") == 1:
                student = urllib.parse.unquote(path.split("/")[1])
                assert student in state["text"], (path, student)  # the id, as text
            if path.startswith("submissions/"):
                assert NAMES["--last-name"] in state["text"] and NAMES["--first-name"] in state["text"]
                assert page.locator("input.score").count() >= 1  # the page still works
        assert _gradebook_state(course)[0] == before, "a page changed the gradebook"
        # The one nbgrader script that gave gradebook text to jQuery as HTML is served fixed.
        script = page.request.get(f"{base_url}formgrader/static/js/manage_students_notebook_submissions.js")
        assert script.ok and 'this.$name.text(name + " (file missing)")' in script.text()

        # Control: the same attack, run on purpose in the page, does all the checks look for.
        page.evaluate(f"() => {{ {ATTACK} }}")
        deadline = time.monotonic() + 15
        while not (root / FILE).exists() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert (root / FILE).exists(), "control: the attack could not write its file"
        (root / FILE).unlink()
        assert page.title() == TITLE and page.dialogs == [MARKER]
    finally:
        context.close()

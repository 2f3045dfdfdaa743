"""Browser test: a hostile submission does nothing in the real Formgrader, nor in its feedback page.

A student's reflection (the written answer ``reflection``) and the outputs of their code carry
payloads that, if they ran, would (a) write a file through the Jupyter server's contents API with
the instructor's ``_xsrf`` cookie, (b) change ``document.title``, (c) add a marker element and
(d) open a dialog. The submission is graded with the course's pipeline (real nbgrader, sandboxed),
then a real JupyterLab server, whose root contains the course directory, serves nbgrader's
Formgrader; Debian's chromium opens the submission's page and the student's feedback page.

Each check is paired with a positive control: the same payload, run on purpose in the same page,
does write the file and change the page, so the checks would see an attack that worked.

Takes formgrader-hostile-submission.png (the reflection as the grader sees it; `make screenshots`
writes it into docs/screenshots/).
Run:  .venv/bin/pytest tests/browser/test_formgrader_xss.py -q
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

from support.course import grade_all, make_course, submission, submit  # noqa: E402
from support.formgrader_page import ATTACK, ATTACK_ATTR, FILE, MARKER, TITLE, open_page, settle  # noqa: E402

ASSIGNMENT = "01-introduction-to-mlops"
STUDENT = "mallory"

REFLECTION = "\n\n".join(
    [
        "My reflection: **MLOps** brings data scientists, engineers and operations together.",
        f'It matters <img src=x onerror="{ATTACK_ATTR}"> because models decay in production.',
        f'<svg onload="{ATTACK_ATTR}"><circle r="4"/></svg>',
        f"<script>{ATTACK}</script>",
        f'<details open ontoggle="{ATTACK_ATTR}"><summary>more</summary>hidden</details>',
        f"[a harmless-looking link](javascript:{ATTACK.replace(')', '%29')})",
        f'<iframe srcdoc="&lt;script&gt;parent.{ATTACK_ATTR.replace("document.", "parent.document.")}'
        '&lt;/script&gt;"></iframe>',
        "- monitoring\n- retraining\n- **collaboration**",
        "End of my reflection.",
    ]
)

ANSWER = f"""\
mlops_definition = "A"
mlops_origin = "B"
from IPython.display import display
display({{"text/html": {f'<img src=x onerror="{ATTACK_ATTR}"><b>bold output</b>'!r}}}, raw=True)
display({{"application/javascript": {ATTACK!r}, "text/plain": "js"}}, raw=True)
display({{"image/svg+xml": {f'<svg xmlns="http://www.w3.org/2000/svg" onload="{ATTACK_ATTR}"/>'!r}}},
        raw=True)
display({{"image/png": {f'AAAA" onerror="{ATTACK_ATTR}'!r}}}, raw=True)
display({{"text/markdown": {f'<img src=x onerror="{ATTACK_ATTR}">'!r}}}, raw=True)
print({f"<script>{ATTACK}</script>"!r})
"""

# JavaScript: what the attack would have changed.
STATE_JS = f"""() => ({{
    title: document.title,
    marker: !!document.getElementById('{MARKER}'),
    scripts_with_payload: [...document.scripts].filter(s => s.textContent.includes('{MARKER}')).length,
    // event handlers in what the student wrote or printed (the page's own are not counted),
    // and any anywhere that carries the payload
    handlers: [...document.querySelectorAll('.text_cell_render *, .output_subarea *, *')].filter(
        el => [...el.attributes].some(a => /^on/i.test(a.name) && (a.value.includes('{MARKER}')
              || el.closest('.text_cell_render, .output_subarea')))).map(el => el.outerHTML.slice(0, 120)),
    js_links: [...document.querySelectorAll('a[href], iframe, object, embed')].filter(
        el => /^\\s*(javascript|data|vbscript):/i.test(el.getAttribute('href') || el.getAttribute('src')
              || '') || el.tagName !== 'A').length,
}})"""


@pytest.fixture(scope="module")
def graded_course(tmp_path_factory):
    """A server root holding a course in which ``mallory``'s hostile submission is graded."""
    root = tmp_path_factory.mktemp("formgrader-root")
    course = make_course(root / "course")
    nb = submission(course, ASSIGNMENT, {"reflection": REFLECTION, "q1_1_answer": ANSWER})
    submit(course, ASSIGNMENT, STUDENT, nb)
    result = grade_all(course, ASSIGNMENT)
    assert result.returncode == 0 and f"{STUDENT}: graded" in result.stdout, result.stdout + result.stderr
    return root, course


@pytest.fixture(scope="module")
def server(graded_course, lab_launcher):
    root, course = graded_course
    with lab_launcher(root, cwd=course) as (base_url, token):
        yield base_url, token


def submission_id(course: Path) -> str:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        return gb.find_submission_notebook(ASSIGNMENT, ASSIGNMENT, STUDENT).id


def assert_untouched(page, root: Path, title: str) -> None:
    state = page.evaluate(STATE_JS)
    assert not (root / FILE).exists(), "the payload wrote a file through the contents API"
    assert state["title"] == title and MARKER not in state["title"], state
    assert not state["marker"], "the payload added an element to the page"
    assert page.dialogs == [], f"the payload opened a dialog: {page.dialogs}"
    assert state["scripts_with_payload"] == 0 and state["handlers"] == [], state
    assert state["js_links"] == 0, state


def positive_control(page, root: Path, writes_file: bool = True) -> None:
    """The same attack, run on purpose in the page, works: so the checks above can see it."""
    page.evaluate(f"() => {{ {ATTACK} }}")
    deadline = time.monotonic() + 15

    def written() -> bool:  # the server may create the file before it has written its content
        return (root / FILE).exists() and (root / FILE).read_text() == MARKER

    while writes_file and not written() and time.monotonic() < deadline:
        time.sleep(0.2)
    if writes_file:
        assert (root / FILE).read_text() == MARKER, "control: the attack could not write its file"
        (root / FILE).unlink()
    assert page.title() == TITLE and page.locator(f"#{MARKER}").count() == 1
    assert page.dialogs == [MARKER]


def test_formgrader_shows_hostile_submission_inert(browser, server, graded_course, lab_target):
    base_url, token = server
    root, course = graded_course
    # log in with the token (sets the auth and _xsrf cookies), then open the submission
    context, page = open_page(browser, f"{base_url}lab?token={token}")
    try:
        page.goto(f"{base_url}formgrader/submissions/{submission_id(course)}/")
        reflection = page.locator(".nbgrader_cell", has_text="My reflection:")
        reflection.wait_for(timeout=60_000)
        settle(page)
        title = page.title()
        assert title == ASSIGNMENT, title  # nbgrader's own title for the page
        assert_untouched(page, root, title)

        # The student's words and harmless formatting are all there, as text.
        text = reflection.inner_text()
        for part in (
            "My reflection:",
            "because models decay in production.",
            "End of my reflection.",
            "monitoring",
            "a harmless-looking link",
        ):
            assert part in text, part
        assert reflection.locator("strong", has_text="MLOps").count() == 1
        assert reflection.locator("li").count() == 3
        assert page.locator(".output_html b", has_text="bold output").count() == 1
        assert page.locator("text=output not shown").count() >= 1  # why the JS output is missing
        # The page still works: the grader can score the reflection.
        assert page.locator("input.score#reflection").count() == 1

        reflection.scroll_into_view_if_needed()
        lab_target.screenshots.mkdir(parents=True, exist_ok=True)
        page.mouse.move(0, 0)
        reflection.screenshot(
            path=str(lab_target.screenshots / "formgrader-hostile-submission.png"),
            animations="disabled",
            caret="hide",
        )

        positive_control(page, root)
    finally:
        context.close()


def test_feedback_page_is_inert(browser, server, graded_course):
    base_url, token = server
    root, course = graded_course
    rel = f"course/feedback/{STUDENT}/{ASSIGNMENT}/{ASSIGNMENT}.html"
    assert (root / rel).is_file()
    # As a student opens it from JupyterLab: served by the Jupyter server, on its origin.
    context, page = open_page(browser, f"{base_url}lab?token={token}")
    try:
        # (the server wants a same-origin Referer on /files/, as a link in JupyterLab sends)
        page.goto(f"{base_url}files/{urllib.parse.quote(rel)}", referer=f"{base_url}lab")
        page.get_by_text("End of my reflection.").wait_for(timeout=30_000)
        settle(page)
        title = page.title()
        assert title == ASSIGNMENT, title
        assert_untouched(page, root, title)
        assert "My reflection:" in page.content()
        # /files/ pages are sandboxed by the server (no same-origin requests, no dialogs), so
        # the control shows only what an attack could still do there: change the page.
        page.evaluate(
            f"() => {{ document.title='{TITLE}'; var m=document.createElement('div');"
            f" m.id='{MARKER}'; document.body.appendChild(m); }}"
        )
        assert page.title() == TITLE and page.locator(f"#{MARKER}").count() == 1
    finally:
        context.close()


def test_feedback_file_is_inert_when_opened_directly(browser, graded_course):
    """Downloaded and opened from disk (file://), the feedback page runs nothing either."""
    root, course = graded_course
    path = course / "feedback" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.html"
    context, page = open_page(browser, path.as_uri())
    try:
        page.get_by_text("End of my reflection.").wait_for(timeout=30_000)
        settle(page)
        assert_untouched(page, root, ASSIGNMENT)
        page.evaluate(f"() => {{ alert('{MARKER}') }}")  # control: a dialog would be recorded
        assert page.dialogs == [MARKER]
    finally:
        context.close()

"""A student of a class, on one machine: `make student`, driven in Debian's chromium.

The instructor (a throwaway course directory) releases chapter 1 to a temporary exchange. The
student's JupyterLab is started by the real ``make student`` (the student's home is
``$HOME/mlops-concepts-student``, its default): in the Assignments tab the student fetches the
chapter, opens the notebook from the tab's link, answers one exercise in the notebook, saves,
validates in the tab (the dialog reports on the answered notebook), and submits. The instructor's
``nbgrader collect`` then holds the answer; the instructor grades (``mlops-concepts grade``) and
releases feedback; the student's tab fetches it, and one click on "view feedback" (or Tab and
Enter) shows the feedback page in our sandboxed viewer (labextension/).

Each stage is a module fixture that builds on the one before, as in test_semester.py.

Run:  .venv/bin/pytest tests/browser/test_student_class.py -q    (about 3-5 minutes)
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

from support.classroom import BIN, REPO, browser_helpers, clean_env, run, show, wait_until_serving
from support.course import make_course
from support.screens import screenshot_dir

pytestmark = [pytest.mark.slow, pytest.mark.browser]

ASSIGNMENT = "01-introduction-to-mlops"
STUDENT = "ada"
# The exercise the student answers: a function, so that its checks fail until it is answered.
UNANSWERED = "def next_phase(phase: str) -> str:"
ANSWER = (
    "def next_phase(phase: str) -> str:\n"
    '    phases = ["design", "development", "deployment"]\n'
    "    return phases[(phases.index(phase) + 1) % len(phases)]\n"
)


@pytest.fixture(scope="module")
def klass(tmp_path_factory):
    """The instructor's course with chapter 1 released, and the student's (empty) HOME."""
    tmp = tmp_path_factory.mktemp("student-class")
    root = make_course(tmp / "course")
    exchange = tmp / "exchange"
    env = clean_env(MLOPS_CONCEPTS_EXCHANGE=str(exchange))
    done = run([BIN / "nbgrader", "release_assignment", ASSIGNMENT], cwd=root, env=env)
    assert done.returncode == 0, show(done)
    home = tmp / "home"
    home.mkdir()
    return SimpleNamespace(root=root, exchange=exchange, env=env, home=home, tmp=tmp)


def instructor(klass, *cmd) -> subprocess.CompletedProcess:
    done = run(list(cmd), cwd=klass.root, env=klass.env)
    assert done.returncode == 0, show(done)
    return done


@pytest.fixture(scope="module")
def server(klass):
    """`make student`, as a student runs it: yields (base_url, token, student home)."""
    lab = browser_helpers()
    state = klass.tmp / "lab-state"
    dirs = {n: state / n for n in ("runtime", "config", "data", "settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir(parents=True)
    for plugin, values in lab.LAB_SETTINGS.items():
        path = dirs["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = clean_env(
        HOME=str(klass.home),
        USER=STUDENT,
        LOGNAME=STUDENT,
        MLOPS_CONCEPTS_EXCHANGE=str(klass.exchange),
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="0",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    port, token = lab.free_port(), os.urandom(16).hex()
    args = (
        f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token} --LabApp.news_url= "
        "--ServerApp.shutdown_no_activity_timeout=900 --MappingKernelManager.cull_idle_timeout=900"
    )
    log_path = state / "server.log"
    log = open(log_path, "wb")
    proc = subprocess.Popen(
        ["make", "--no-print-directory", "student", f"STUDENT={STUDENT}", f"LAB_ARGS={args}"],
        cwd=REPO,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}/"

    def status():
        req = urllib.request.Request(f"{base}api/status", headers={"Authorization": f"token {token}"})
        with urllib.request.urlopen(req, timeout=5) as resp:
            return resp.status

    try:
        wait_until_serving(status, proc, log_path, 120)
        yield SimpleNamespace(
            base=base, token=token, home=klass.home / "mlops-concepts-student", log=log_path
        )
    finally:
        try:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
                ),
                timeout=5,
            ).close()
            proc.wait(timeout=20)
        except Exception:  # noqa: BLE001 - still stopped below
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # make and its jupyter: our own process group
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()
        for pid in lab.pids_mentioning(str(dirs["runtime"])):  # kernels, in sessions of their own
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass


@pytest.fixture(scope="module")
def page(server, chromium_browser):
    context = chromium_browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    pg = context.new_page()
    try:
        pg.goto(f"{server.base}lab?reset&token={server.token}")
        pg.locator(".jp-LauncherCard, .jp-NotebookPanel").first.wait_for()
        yield pg
    finally:
        context.close()


def assignments_tab(page):
    """Open (or show again) nbgrader's Assignments tab and wait until its lists are loaded."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
    page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel").get_by_text(
        "Assignment List", exact=True
    ).click()
    tab = page.locator("#assignments")
    tab.wait_for()
    for name in ("released", "fetched", "submitted"):
        page.wait_for_function(
            f"() => getComputedStyle(document.getElementById('{name}_assignments_list_loading')).display"
            " === 'none'"
        )
    return tab


def refresh(page) -> None:
    page.locator("#refresh_assignments_list").click()
    page.wait_for_timeout(500)
    for name in ("released", "fetched", "submitted"):
        page.wait_for_function(
            f"() => getComputedStyle(document.getElementById('{name}_assignments_list_loading')).display"
            " === 'none'"
        )


def wait_for_file(path: Path, text: str, timeout: float = 30) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.is_file() and text in (content := path.read_text(errors="replace")):
            return content
        time.sleep(0.25)
    pytest.fail(f"{path} never held {text!r}")


@pytest.fixture(scope="module")
def submitted(server, page, klass):
    """The student's hour in the browser: fetch, open from the tab, answer, save, validate, submit."""
    seen = SimpleNamespace()
    assignments_tab(page)
    released = page.locator("#released_assignments_list")
    released.locator(".list_item", has_text=ASSIGNMENT).get_by_role("button", name="Fetch").click()
    fetched = page.locator("#fetched_assignments_list")
    row = fetched.locator(".list_item", has_text=ASSIGNMENT).first
    row.wait_for()
    seen.fetched_to = server.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    seen.fetched_exists = seen.fetched_to.is_file()
    # The notebook's link sits in the assignment's collapsed row: open it, then follow the link.
    link = fetched.locator(".item_name a", has_text=ASSIGNMENT).last
    if not link.is_visible():
        fetched.locator("a", has_text=ASSIGNMENT).first.click()
    link.wait_for(state="visible")
    link.click()
    panel = page.locator(".jp-NotebookPanel:visible")
    panel.wait_for()
    cell = panel.locator(".jp-CodeCell", has_text=UNANSWERED).first
    cell.scroll_into_view_if_needed()
    editor = cell.locator(".cm-content")
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.insert_text(ANSWER)
    page.keyboard.press("Control+S")
    seen.saved = wait_for_file(seen.fetched_to, "% len(phases)")
    # Validate, in the Assignments tab, the notebook as saved.
    tab = assignments_tab(page)
    button = tab.locator("#fetched_assignments_list").get_by_role("button", name="Validate").first
    if not button.is_visible():
        fetched.locator("a", has_text=ASSIGNMENT).first.click()
    button.click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("Validation Results").wait_for(timeout=180_000)
    seen.validation = dialog.inner_text()
    dialog.get_by_role("button", name="Ok").click()
    # Submit.
    tab.locator("#fetched_assignments_list .list_item", has_text=ASSIGNMENT).first.get_by_role(
        "button", name="Submit"
    ).first.click()
    page.locator("#submitted_assignments_list .list_item", has_text=ASSIGNMENT).first.wait_for(timeout=60_000)
    # Before any feedback is released, the submission says so (labextension/).
    # (Waited for briefly, so that without it only the test about it fails.)
    note = page.locator("#submitted_assignments_list .mlops-NoFeedback")
    try:
        note.first.wait_for(timeout=10_000)
    except PlaywrightTimeoutError:
        pass
    seen.no_feedback_yet = note.all_inner_texts()
    out = screenshot_dir()
    out.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(out / "student-submit.png"), animations="disabled", caret="hide")
    seen.collected = instructor(klass, BIN / "nbgrader", "collect", ASSIGNMENT)
    return seen


def test_the_tab_fetches_into_the_servers_root_which_holds_no_source(server, submitted):
    assert submitted.fetched_exists, "the fetched notebook is not in the student's home"
    contents = sorted(p.name for p in server.home.iterdir() if not p.name.startswith("."))
    assert contents == sorted([ASSIGNMENT, "nbgrader_config.py"]), contents
    # what the server shows at its root is that home: no source/, no gradebook
    req = urllib.request.Request(
        f"{server.base}api/contents", headers={"Authorization": f"token {server.token}"}
    )
    with urllib.request.urlopen(req, timeout=10) as resp:
        shown = sorted(item["name"] for item in json.loads(resp.read())["content"])
    assert shown == contents, shown


def test_validate_reports_on_the_answered_notebook(submitted):
    text = submitted.validation
    # The student answered only the function: its checks pass, so Validate read the answered
    # notebook, not the fetched copy (where they fail). Every exercise left blank still fails,
    # by its title, and so does the reflection, still "YOUR ANSWER HERE".
    assert "next_phase" not in text, text
    assert 'check("q1_1a", mlops_definition)' in text, text
    assert "Not yet. Exercise 1.1 (a): not answered yet" in text, text
    assert "YOUR ANSWER HERE" in text, text


def test_collect_holds_the_answer(klass, submitted):
    got = klass.root / "submitted" / STUDENT / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert got.is_file(), show(submitted.collected)
    assert "% len(phases)" in got.read_text()


AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# What our extension (labextension/) adds: the tab's "view feedback" links, made keyboard
# operable, and the feedback viewer (nbgrader's own tab is not ours to fix).
AXE_SCOPE = {"include": [["#submitted_assignments_list a[role=button]"], [".mlops-FeedbackViewer"]]}
VIEWER = ".mlops-FeedbackViewer:visible"
CURRENT_TAB = ".lm-TabBar-tab.lm-mod-current"


def feedback_shown(page) -> SimpleNamespace:
    """The feedback viewer once its page has rendered: the iframe's attributes and its text."""
    viewer = page.locator(VIEWER)
    viewer.wait_for()
    frame = page.frame_locator(f"{VIEWER} iframe")
    frame.locator("body").get_by_text("Score:").first.wait_for()
    iframe = viewer.locator("iframe")
    return SimpleNamespace(
        viewers=page.locator(".mlops-FeedbackViewer").count(),
        sandbox=iframe.get_attribute("sandbox"),
        src=iframe.get_attribute("src"),
        title=iframe.get_attribute("title"),
        tab=page.locator(f"#jp-main-dock-panel {CURRENT_TAB} .lm-TabBar-tabLabel").inner_text(),
        text=frame.locator("body").inner_text(),
    )


def run_axe(page):
    from axe_playwright_python.sync_playwright import Axe

    return Axe().run(page, context=AXE_SCOPE, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})


@pytest.fixture(scope="module")
def feedback(klass, submitted, page, server):
    graded = instructor(klass, BIN / "mlops-concepts", "grade", ASSIGNMENT)
    instructor(klass, BIN / "nbgrader", "generate_feedback", ASSIGNMENT, "--force")
    instructor(klass, BIN / "nbgrader", "release_feedback", ASSIGNMENT)
    seen = SimpleNamespace(graded=graded)
    assignments_tab(page)
    refresh(page)
    submitted_list = page.locator("#submitted_assignments_list")
    seen.notes_once_released = submitted_list.locator(".mlops-NoFeedback").count()
    seen.available = submitted_list.get_by_text("(feedback available to fetch)").count()
    fetch = submitted_list.get_by_role("button", name="Fetch Feedback").first
    fetch.click()
    view = submitted_list.get_by_text("(view feedback)")
    view.wait_for(timeout=60_000)
    seen.fetched = sorted((server.home / ASSIGNMENT / "feedback").glob(f"*/{ASSIGNMENT}.html"))
    # One click opens the feedback page itself.
    view.click()
    seen.clicked = feedback_shown(page)
    out = screenshot_dir()
    out.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)
    page.screenshot(path=str(out / "student-feedback.png"), animations="disabled", caret="hide")
    # The page's own links (its table of contents) still work inside the sandbox.
    frame = page.frame_locator(f"{VIEWER} iframe")
    link = frame.get_by_role("link", name="Written response")
    name = link.get_attribute("href").removeprefix("#")
    target = frame.locator(f"[id='{name}'], a[name='{name}']").first
    seen.before_link = target.evaluate("e => e.getBoundingClientRect().top")
    link.click()
    page.wait_for_timeout(500)
    seen.after_link_top = target.evaluate("e => e.getBoundingClientRect().top")
    seen.after_link = frame.locator("body").inner_text()
    seen.url_after_link = page.locator(f"{VIEWER} iframe").element_handle().content_frame().url
    assignments_tab(page)
    page.locator(VIEWER).wait_for(state="hidden")
    seen.axe_tab = run_axe(page)
    # By keyboard alone: Tab from the tab's last button reaches the link; Enter opens the page.
    fetch = submitted_list.get_by_role("button", name="Fetch Feedback").first
    fetch.focus()
    page.keyboard.press("Tab")
    seen.focused = page.evaluate("() => document.activeElement.textContent")
    page.keyboard.press("Enter")
    seen.by_keyboard = feedback_shown(page)
    seen.axe_viewer = run_axe(page)
    return seen


def axe_report(results) -> str:
    return "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['html'][:160]}" for n in v["nodes"][:5])
        for v in results.response["violations"]
    )


def test_the_feedback_reaches_the_students_home(klass, feedback):
    assert "Graded 1 of 1" in feedback.graded.stdout, feedback.graded.stdout
    (html,) = feedback.fetched
    text = html.read_text()
    assert "next_phase" in text and "Score:" in text


def test_the_tab_says_when_there_is_no_feedback_yet(submitted, feedback):
    assert submitted.no_feedback_yet == [
        " (no feedback yet: after your instructor releases it, Fetch Feedback)"
    ], submitted.no_feedback_yet
    # once released (and the list refreshed), nbgrader's own words replace the note
    assert feedback.available == 1
    assert feedback.notes_once_released == 0


def test_one_click_on_view_feedback_shows_the_feedback_page_with_the_score(feedback):
    shown = feedback.clicked
    assert shown.viewers == 1
    assert "Score:" in shown.text and "next_phase" in shown.text, shown.text[:500]
    assert shown.tab == f"Feedback: {ASSIGNMENT}"
    assert shown.title.startswith("Feedback: ") and shown.title.endswith(f"{ASSIGNMENT}.html")


def test_links_inside_the_feedback_page_still_work(feedback):
    # its table of contents scrolls within the page (without our <base>, it would load the Lab)
    assert feedback.before_link > 900  # below the fold, then scrolled to the top of the frame
    assert abs(feedback.after_link_top) < 50, feedback.after_link_top
    assert feedback.url_after_link.startswith("about:srcdoc#"), feedback.url_after_link
    assert "Score:" in feedback.after_link


def test_the_feedback_page_is_fully_sandboxed(feedback):
    # sandbox="": no scripts, an opaque origin; and the page is not one of the server's URLs.
    assert feedback.clicked.sandbox == ""
    assert not feedback.clicked.src


def test_view_feedback_works_by_keyboard_alone(feedback):
    assert feedback.focused.strip() == "(view feedback)", feedback.focused
    assert "Score:" in feedback.by_keyboard.text
    # the page already open is shown again, not opened a second time
    assert feedback.by_keyboard.viewers == 1


def test_axe_finds_no_violation_in_what_the_extension_adds(feedback):
    for results in (feedback.axe_tab, feedback.axe_viewer):
        assert results.response["passes"], "axe checked nothing"
        assert not results.response["violations"], axe_report(results)

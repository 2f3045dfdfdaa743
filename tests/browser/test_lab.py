"""Browser smoke test: a student opens the chapter notebook in JupyterLab and works through it.

One notebook is opened once per module (fixture ``notebook``) and run with Run → Run All Cells;
the tests then look at what a student sees. The notebook is ``MLOPS_BROWSER_NOTEBOOK`` (default:
the release notebook of chapter 1); the README screenshots go to ``docs/screenshots/``.

Run:  .venv/bin/pytest tests/browser -x -q
"""

from __future__ import annotations

import json
import re
import time
import urllib.parse
import urllib.request

import pytest

pytestmark = pytest.mark.browser

RUN_TIMEOUT = 120_000  # ms: from Run All to the last cell's output
FEEDBACK = re.compile(r"\b(Correct|Not quite)\b")


# ---------------------------------------------------------------------------------------------
# helpers


def api(base_url: str, token: str, path: str):
    req = urllib.request.Request(base_url + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def wait_for_idle_kernel(base_url: str, token: str, path: str, timeout: float = 60) -> None:
    """Wait until the server says the notebook's kernel is started and idle."""
    deadline = time.monotonic() + timeout
    state = None
    while time.monotonic() < deadline:
        for session in api(base_url, token, "api/sessions"):
            if session.get("path") == path and session.get("kernel"):
                state = session["kernel"].get("execution_state")
                if state == "idle":
                    return
        time.sleep(0.25)
    pytest.fail(f"the kernel of {path} is not idle after {timeout}s (last state: {state})")


def click_menu(page, *labels: str) -> None:
    """Open a main-menu entry and click through its (sub)menu items by their labels."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text(labels[0], exact=True).click()
    for label in labels[1:]:
        menu = page.locator(".lm-Menu").last
        menu.locator(".lm-Menu-itemLabel").get_by_text(label, exact=True).click()


def scroller(page):
    """The notebook's scrolling element."""
    return page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first


def scroll_to(page, locator, block: str = "start") -> None:
    locator.evaluate(f"el => el.scrollIntoView({{block: '{block}'}})")
    page.wait_for_timeout(300)  # let layout settle (images, widgets resizing)


def shot(page, out, name: str, **kwargs) -> None:
    out.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(out / name), animations="disabled", caret="hide", **kwargs)


# JavaScript: where each H2 lesson starts and the first diagram (image or SVG) inside it.
LESSON_DIAGRAMS_JS = """
() => {
  const nb = document.querySelector('.jp-NotebookPanel .jp-Notebook');
  const h2s = [...nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown h2')];
  const pics = [...nb.querySelectorAll(
      '.jp-RenderedImage img, .jp-RenderedSVG svg, .jp-RenderedMarkdown img, '
      + '.jp-RenderedHTMLCommon > svg')]
    .filter(el => el.getBoundingClientRect().width >= 100);
  const after = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  return h2s.map((h2, i) => {
    const next = h2s[i + 1];
    const pic = pics.find(p => after(h2, p) && (!next || after(p, next)));
    return {title: h2.textContent.replace(/¶$/, '').trim(), h2: i,
            pic: pic ? pics.indexOf(pic) : -1};
  });
}
"""
PICS_SELECTOR = (
    ".jp-NotebookPanel .jp-Notebook :is(.jp-RenderedImage img, .jp-RenderedSVG svg, "
    ".jp-RenderedMarkdown img, .jp-RenderedHTMLCommon > svg)"
)


# ---------------------------------------------------------------------------------------------
# fixture: the notebook, opened and run once for the whole module


@pytest.fixture(scope="module")
def notebook(lab_server, lab_target, page):
    base_url, token, root = lab_server
    rel = lab_target.notebook
    if not (root / rel).is_file():
        lab_target.skip_or_fail(f"notebook {rel} is not in the course folder")

    page.goto(f"{base_url}lab/tree/{urllib.parse.quote(rel)}?reset&token={token}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_for_idle_kernel(base_url, token, rel)

    # Room for the notebook: fold the file browser away (click its active sidebar tab).
    left = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if left.count():
        left.first.click()

    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Run", "Run All Cells")

    # Real outputs, not the execution indicator (it says "idle" before the kernel connects).
    page.locator(".jp-OutputArea-output button.widget-button").first.wait_for(timeout=RUN_TIMEOUT)
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                   .some(p => p.textContent.includes('[*]'))""",
        timeout=RUN_TIMEOUT,
    )
    wait_for_idle_kernel(base_url, token, rel)
    page.wait_for_load_state("networkidle")  # images referenced by markdown cells
    return page


# ---------------------------------------------------------------------------------------------
# tests


def test_nbgrader_extension_is_active(notebook):
    page = notebook
    # nbgrader 0.9.5's lab extension adds a "Validate" button to every notebook's toolbar ...
    validate = page.locator(".jp-NotebookPanel-toolbar .validate-button")
    assert validate.is_visible(), "no nbgrader Validate button in the notebook toolbar"
    assert validate.inner_text().strip() == "Validate"
    # ... and an "Nbgrader" main menu with the student's and instructor's pages.
    click_menu(page, "Nbgrader")
    items = page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    print(f"Nbgrader menu: {items}")
    assert "Assignment List" in items or "Assignments" in items, items


def test_every_cell_ran_and_no_widget_failed(notebook):
    page = notebook
    body = page.locator(".jp-NotebookPanel .jp-Notebook").inner_text()
    assert "Error displaying widget" not in body
    assert "Error displaying widget" not in page.content()
    assert page.locator(".jp-OutputArea-output .widget-radio-box").count() >= 1
    # every image (matplotlib output or markdown picture) loaded
    broken = page.evaluate(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook img')]
                 .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src)"""
    )
    assert not broken, f"broken images: {broken}"
    # widget buttons show their whole label (ipywidgets cuts long ones with an ellipsis)
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.jp-NotebookPanel button.widget-button')]
                 .filter(b => b.scrollWidth > b.clientWidth + 1).map(b => b.textContent)"""
    )
    assert not clipped, f"clipped widget button labels: {clipped}"
    assert not [e for e in page.console_errors if "widget" in e.lower()], page.console_errors


def test_checkpoint_gives_feedback(notebook, lab_target):
    page = notebook
    checkpoint = (
        page.locator(".jp-OutputArea-output")
        .filter(has=page.locator(".widget-radio-box"))
        .filter(has=page.locator("button.widget-button", has_text=re.compile(r"^\s*Check\s*$")))
        .first
    )
    scroll_to(page, checkpoint, "center")
    before = checkpoint.inner_text()
    assert not FEEDBACK.search(before), f"feedback shown before answering: {before!r}"

    checkpoint.locator(".widget-radio-box input[type=radio]").first.check()
    checkpoint.locator("button.widget-button", has_text=re.compile(r"^\s*Check\s*$")).click()

    feedback = checkpoint.locator(".widget-html, .widget-htmlmath").filter(has_text=FEEDBACK)
    feedback.first.wait_for(timeout=15_000)
    text = feedback.first.inner_text().strip()
    if "Not quite" in text:
        assert len(text) > len("Not quite.") + 10, f"no explanation with the feedback: {text!r}"
    assert "Error displaying widget" not in checkpoint.inner_text()

    # The picture: the checkpoint's whole cell (its code and the answered widget), or, in a
    # tall cell, the widget with as much of the cell above it as fits.
    cell = checkpoint.locator(
        "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]"
    )
    view = scroller(page).bounding_box()
    pad = 12
    fits = cell.bounding_box()["height"] + 2 * pad <= view["height"]
    scroll_to(page, cell if fits else checkpoint, "center" if fits else "end")
    box = cell.bounding_box()
    top = max(view["y"], box["y"] - pad)
    bottom = min(view["y"] + view["height"], box["y"] + box["height"] + pad)
    clip = {"x": view["x"], "y": top, "width": view["width"], "height": bottom - top}
    shot(page, lab_target.screenshots, "checkpoint-feedback.png", clip=clip)


def test_readme_screenshots(notebook, lab_target):
    page = notebook
    out = lab_target.screenshots
    for old in out.glob("lesson-*.png"):
        old.unlink()

    scroller(page).evaluate("el => el.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    h1 = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h1").first
    assert h1.is_visible(), "the notebook has no visible title (H1) at the top"
    shot(page, out, "notebook-top.png")

    lessons = page.evaluate(LESSON_DIAGRAMS_JS)
    with_diagram = [lesson for lesson in lessons if lesson["pic"] >= 0]
    assert with_diagram, f"no H2 section has a diagram: {lessons}"
    h2s = page.locator(".jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown h2")
    pics = page.locator(PICS_SELECTOR)
    view = scroller(page).bounding_box()
    for n, lesson in enumerate(with_diagram, start=1):
        h2, pic = h2s.nth(lesson["h2"]), pics.nth(lesson["pic"])
        scroll_to(page, h2, "start")
        pic_box = pic.bounding_box()
        if pic_box["y"] + pic_box["height"] > view["y"] + view["height"]:
            # heading and diagram do not fit together: show the whole diagram instead
            fits = pic_box["height"] <= view["height"]
            scroll_to(page, pic, "end" if fits else "start")
        assert pic.is_visible()
        shot(page, out, f"lesson-{n}.png")
        print(f"lesson-{n}.png: {lesson['title']}")

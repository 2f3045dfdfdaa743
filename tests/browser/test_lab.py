"""Browser smoke test: a student opens the chapter notebook in JupyterLab and works through it.

Each chapter's release notebook (or ``MLOPS_BROWSER_NOTEBOOK``) is opened once by the fixture
``notebook``, which records the images a student sees before any
cell runs, and then runs it with Run > Run All Cells, which reaches the last cell. The tests then check
what a student sees, answer one checkpoint, and write the screenshots to
``docs/screenshots/<id>/`` (``MLOPS_BROWSER_SCREENSHOTS``): notebook-top.png, checkpoint-feedback.png
and lesson-<N>.png, one per numbered lesson (H2 "N. ..."), showing its first diagram.

Run:  .venv/bin/pytest tests/browser -x -q      (see conftest.py for the environment variables)
"""

from __future__ import annotations

import json
import re
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]

RUN_TIMEOUT = 120_000  # ms: from Run All to the last cell's output
FEEDBACK = re.compile(r"\b(Correct|Not quite)\b")
# A blank exercise's self-check: one "Not yet." line (an error output that does not stop Run All).
EXPECTED_ERRORS = re.compile(r"^\s*Not yet\. Exercise \d")
LESSON_NUMBER = re.compile(r"^(?:Lesson\s+)?(\d+)\b")  # "1. What is MLOps?", "Lesson 1: ..."

# JavaScript: widget labels wider than their box, which ipywidgets cuts off with an ellipsis.
CLIPPED_LABELS_JS = """
() => [...document.querySelectorAll([
    '.jp-NotebookPanel button.widget-button', '.jp-NotebookPanel .widget-toggle-button',
    '.jp-NotebookPanel .widget-label', '.jp-NotebookPanel .widget-radio-box label'].join(','))]
  .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
  .map(el => el.textContent.trim())
"""


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


def wait_until_settled(page, base_url: str, token: str, path: str) -> None:
    """Wait until no cell is queued or running ("[*]") and the kernel is idle."""
    page.wait_for_function(
        """() => ![...document.querySelectorAll('.jp-NotebookPanel .jp-InputPrompt')]
                   .some(p => p.textContent.includes('[*]'))""",
        timeout=RUN_TIMEOUT,
    )
    wait_for_idle_kernel(base_url, token, path)


def run_cells_left_over(page) -> int:
    """Run, one by one, each code cell that has not run (prompt "[ ]:"); return how many."""
    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt")
    ran = 0
    for i in range(prompts.count()):
        prompt = prompts.nth(i)
        if re.search(r"\[\d+\]", prompt.inner_text()):
            continue
        prompt.click()  # selects the cell in command mode
        page.keyboard.press("Control+Enter")  # run it, stay on it
        expect(prompt).to_have_text(re.compile(r"\[\d+\]"), timeout=RUN_TIMEOUT)
        ran += 1
    return ran


def click_menu(page, *labels: str) -> None:
    """Open a main-menu entry and click through its (sub)menu items by their labels."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text(labels[0], exact=True).click()
    for label in labels[1:]:
        menu = page.locator(".lm-Menu").last
        menu.locator(".lm-Menu-itemLabel").get_by_text(label, exact=True).click()


def scroller(page):
    """The notebook's scrolling element."""
    return page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first


def cell_of(locator):
    """The notebook cell (``.jp-Cell``) that holds ``locator``."""
    return locator.locator(
        "xpath=ancestor::div[contains(concat(' ', normalize-space(@class), ' '), ' jp-Cell ')][1]"
    )


def clip_to(view: dict, box: dict, pad: int, top_pad: int | None = None) -> dict:
    """A screenshot clip: ``box`` grown by ``pad``, within the notebook's ``view``, full width."""
    top = max(view["y"], box["y"] - (pad if top_pad is None else top_pad))
    bottom = min(view["y"] + view["height"], box["y"] + box["height"] + pad)
    return {"x": view["x"], "y": top, "width": view["width"], "height": bottom - top}


def scroll_to(page, locator, block: str = "start") -> None:
    locator.evaluate(f"el => el.scrollIntoView({{block: '{block}'}})")
    page.wait_for_timeout(300)  # let layout settle (images, widgets resizing)


def shot(page, out, name: str, **kwargs) -> None:
    out.mkdir(parents=True, exist_ok=True)
    page.mouse.move(0, 0)  # no hover highlight in the picture
    page.screenshot(path=str(out / name), animations="disabled", caret="hide", **kwargs)


PICS_SELECTOR = (
    ".jp-NotebookPanel .jp-Notebook :is(.jp-RenderedImage img, .jp-RenderedSVG svg, "
    ".jp-RenderedMarkdown img, .jp-RenderedHTMLCommon > svg)"
)

# JavaScript: each H2 section and the first diagram in it, as indexes into the H2s and into all
# elements matching PICS_SELECTOR (document order, as Playwright's nth() counts them).
LESSON_DIAGRAMS_JS = """
(picsSelector) => {
  const nb = document.querySelector('.jp-NotebookPanel .jp-Notebook');
  const h2s = [...nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown h2')];
  const all = [...document.querySelectorAll(picsSelector)];
  const pics = all.filter(el => el.getBoundingClientRect().width >= 100);  // no icons
  const after = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  return h2s.map((h2, i) => {
    const next = h2s[i + 1];
    const pic = pics.find(p => after(h2, p) && (!next || after(p, next)));
    return {title: h2.textContent.replace(/¶$/, '').trim(), h2: i, pic: all.indexOf(pic)};
  });
}
"""


# The notebook's Markdown images (``![alt](attachment:...)``) as the file holds them.
MARKDOWN_IMAGE = re.compile(r"!\[([^\]]*)\]\(attachment:[^)]+\)")

# JavaScript: every image in the notebook, with its alt attribute (null when it has none). Images
# with the ``hidden`` attribute are never shown nor read out: the checkpoints' helper is one (a 1x1
# data: GIF whose onload sets the checkpoint up; see mlops_concepts/checkpoints.py).
IMAGES_JS = """
() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook img')]
  .filter(i => !i.hidden).map(i => ({
  alt: i.getAttribute('alt'), loaded: i.complete && i.naturalWidth > 0,
  markdown: !!i.closest('.jp-RenderedMarkdown'), src: i.src.slice(0, 40)}))
"""


def markdown_image_alts(path) -> list[str]:
    """The alt texts of the Markdown images in the notebook file at ``path``, in order."""
    cells = json.loads(path.read_text())["cells"]
    return [
        alt
        for c in cells
        if c["cell_type"] == "markdown"
        for alt in MARKDOWN_IMAGE.findall("".join(c["source"]))
    ]


# ---------------------------------------------------------------------------------------------
# fixture: the notebook, opened and run once for the whole module


@pytest.fixture(scope="module")
def notebook(browser, lab_server, chapter_target, page):
    base_url, token, root = lab_server
    rel = chapter_target.notebook
    if not (root / rel).is_file():
        chapter_target.skip_or_fail(f"notebook {rel} is not in the course folder")

    page.goto(f"{base_url}lab/tree/{urllib.parse.quote(rel)}?reset&token={token}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_for_idle_kernel(base_url, token, rel)

    # Room for the notebook: fold the file browser away (click its active sidebar tab).
    left = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if left.count():
        left.first.click()

    # What a student sees on opening the notebook, before running anything: the diagrams are
    # Markdown images, so they must already be there, each with its alt text.
    expected = markdown_image_alts(root / rel)
    page.wait_for_function(
        """(n) => { const imgs = [...document.querySelectorAll(
                      '.jp-NotebookPanel .jp-RenderedMarkdown img')];
                    return imgs.length >= n && imgs.every(i => i.complete); }""",
        arg=len(expected),
        timeout=60_000,
    )
    page.before_run = SimpleNamespace(
        expected_alts=expected,
        images=page.evaluate(IMAGES_JS),
        prompts=page.locator(
            ".jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt"
        ).all_inner_texts(),
    )

    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Run", "Run All Cells")

    # Real outputs, not the execution indicator (it says "idle" before the kernel connects).
    page.locator(".jp-OutputArea-output button.widget-button").first.wait_for(timeout=RUN_TIMEOUT)
    wait_until_settled(page, base_url, token, rel)

    # Run All reaches the end of a fresh notebook (tests/browser/test_run_all.py proves it with
    # Restart & Run All); any cell left over would be run one at a time, like a student would.
    run_cells_left_over(page)
    wait_until_settled(page, base_url, token, rel)
    page.wait_for_load_state("networkidle")  # images referenced by markdown cells
    return page


# ---------------------------------------------------------------------------------------------
# tests


def test_students_get_nbgrader_without_the_instructors_pages(notebook, lab_server):
    """JupyterLab as students get it (``make lab``, Binder: etc/student-lab) has nbgrader's
    student side (Validate, the Assignments page) and nothing of the instructor's."""
    page = notebook
    base_url, token, _ = lab_server
    # nbgrader 0.9's lab extension adds a "Validate" button to every notebook's toolbar ...
    validate = page.locator(".jp-NotebookPanel-toolbar .validate-button")
    assert validate.is_visible(), "no nbgrader Validate button in the notebook toolbar"
    assert validate.inner_text().strip() == "Validate"
    # ... and an "Nbgrader" main menu with the student's page only.
    click_menu(page, "Nbgrader")
    items = page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel").all_inner_texts()
    page.keyboard.press("Escape")
    print(f"Nbgrader menu: {items}")
    assert "Assignment List" in items or "Assignments" in items, items
    assert not {"Formgrader", "Course List", "Courses"} & set(items), items
    # No "Create Assignment" panel in the side bars, and no Formgrader behind the menus either.
    tabs = page.locator(".jp-SideBar .lm-TabBar-tab").all()
    titles = [(t.get_attribute("title") or "") + " " + t.inner_text() for t in tabs]
    assert titles and not any("Create Assignment" in t for t in titles), titles
    request = urllib.request.Request(base_url + "formgrader", headers={"Authorization": f"token {token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 404


def test_every_diagram_shows_with_alt_text_before_any_cell_runs(notebook):
    """A fresh notebook shows its diagrams, each with a real alt attribute, before any cell runs.

    JupyterLab drops an ``alt`` given in an output's metadata, so diagrams drawn by code had none
    (and showed nothing until run); Markdown images keep theirs.
    """
    before = notebook.before_run
    assert before.prompts and not any(re.search(r"\[\d+\]", p) for p in before.prompts), (
        "a code cell had run before the images were checked"
    )
    # Every chapter has diagrams; chapter 1 has five static ones (the sixth is interactive).
    assert len(before.expected_alts) >= 5 and all(before.expected_alts), before.expected_alts
    images = [i for i in before.images if i["markdown"]]
    assert [i["alt"] for i in images] == before.expected_alts
    missing = [i["src"] for i in before.images if not (i["alt"] or "").strip()]
    assert not missing, f"images without alt text: {missing}"
    broken = [i["alt"][:60] for i in images if not i["loaded"]]
    assert not broken, f"images that did not load: {broken}"


def test_every_cell_ran_and_no_widget_failed(notebook):
    page = notebook
    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt")
    not_run = [t for t in prompts.all_inner_texts() if not re.search(r"\[\d+\]", t)]
    assert not not_run, f"{len(not_run)} code cells did not run"

    assert "Error displaying widget" not in page.locator(".jp-NotebookPanel").inner_text()
    assert "Error displaying widget" not in page.content()
    assert page.locator(".jp-OutputArea-output .widget-radio-box").count() >= 1

    # Only the blank exercises' self-checks show an error: their one "Not yet." line. Anything
    # else is a broken lesson cell.
    errors = page.locator(
        ".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
    ).all_inner_texts()
    unexpected = [e for e in errors if not EXPECTED_ERRORS.search(e)]
    assert not unexpected, "unexpected errors:\n" + "\n---\n".join(e[-600:] for e in unexpected)

    # Every image (diagram PNG or Markdown picture) loaded.
    broken = page.evaluate(
        """() => [...document.querySelectorAll('.jp-NotebookPanel .jp-Notebook img')]
                 .filter(i => !i.complete || i.naturalWidth === 0).map(i => i.src.slice(0, 80))"""
    )
    assert not broken, f"broken images: {broken}"
    # ... and has alt text: the diagrams' and the lifecycle explorer's drawing alike.
    no_alt = [i["src"] for i in page.evaluate(IMAGES_JS) if not (i["alt"] or "").strip()]
    assert not no_alt, f"images without alt text after running: {no_alt}"

    # Widget labels show in full (ipywidgets cuts buttons and descriptions with an ellipsis).
    clipped = page.evaluate(CLIPPED_LABELS_JS)
    assert not clipped, f"clipped widget labels: {clipped}"
    widget_errors = [e for e in page.console_errors if "widget" in e.lower()]
    assert not widget_errors, widget_errors


def test_checkpoint_gives_feedback(notebook, chapter_target):
    page = notebook
    # The first multiple-choice checkpoint: one group of options (a classify has one per item).
    candidates = (
        page.locator(".jp-OutputArea-output")
        .filter(has=page.locator(".widget-radio-box"))
        .filter(has=page.locator("button.widget-button", has_text=re.compile(r"^\s*Check\s*$")))
    )
    checkpoint = next(c for c in candidates.all() if c.locator(".widget-radio-box").count() == 1)
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

    # The picture: the answered widget with its output prompt, not the (sealed) code above it.
    child = checkpoint.locator("xpath=..")  # .jp-OutputArea-child: prompt + output
    scroll_to(page, child, "center")
    clip = clip_to(scroller(page).bounding_box(), child.bounding_box(), pad=12, top_pad=4)
    shot(page, chapter_target.screenshots, "checkpoint-feedback.png", clip=clip)


def test_readme_screenshots(notebook, chapter_target):
    page = notebook
    out = chapter_target.screenshots
    for old in out.glob("lesson-*.png"):
        old.unlink()

    scroller(page).evaluate("el => el.scrollTo(0, 0)")
    page.wait_for_timeout(300)
    h1 = page.locator(".jp-NotebookPanel .jp-RenderedMarkdown h1").first
    assert h1.is_visible(), "the notebook has no visible title (H1) at the top"
    # The title cell (title, objectives), with JupyterLab's menu and toolbar above it.
    box = cell_of(h1).bounding_box()
    height = min(page.viewport_size["height"], box["y"] + box["height"] + 16)
    clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": height}
    shot(page, out, "notebook-top.png", clip=clip)

    # One picture per numbered lesson ("## 1. What is MLOps?"): its heading and first diagram.
    lessons = page.evaluate(LESSON_DIAGRAMS_JS, PICS_SELECTOR)
    numbered = [(LESSON_NUMBER.match(s["title"]), s) for s in lessons]
    numbered = [(int(m.group(1)), s) for m, s in numbered if m]
    assert numbered, f"no numbered lesson (H2) in {[s['title'] for s in lessons]}"
    missing = [s["title"] for _, s in numbered if s["pic"] < 0]
    assert not missing, f"lessons without a diagram: {missing}"

    h2s = page.locator(".jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown h2")
    pics = page.locator(PICS_SELECTOR)
    view = scroller(page).bounding_box()
    for n, lesson in numbered:
        h2, pic = h2s.nth(lesson["h2"]), pics.nth(lesson["pic"])
        scroll_to(page, h2, "start")
        box = pic.bounding_box()
        bottom = view["y"] + view["height"]
        if box["y"] + box["height"] + 16 <= bottom:
            # heading and diagram fit: stop the picture under the diagram
            bottom = box["y"] + box["height"] + 16
        else:
            # they do not: the whole diagram, with what comes just before it
            if box["height"] + 16 <= view["height"]:
                scroll_to(page, pic, "end")
                scroller(page).evaluate("el => el.scrollBy(0, 16)")  # a margin below it
                page.wait_for_timeout(200)
            else:
                scroll_to(page, pic, "start")
        assert pic.is_visible()
        clip = {"x": 0, "y": 0, "width": page.viewport_size["width"], "height": bottom}
        shot(page, out, f"lesson-{n}.png", clip=clip)
        print(f"lesson-{n}.png: {lesson['title']}")


def test_lifecycle_explorer_follows_the_students_choice(notebook, chapter_target):
    """The interactive lifecycle: clicking a phase redraws the diagram with that phase highlighted."""
    if "explore_lifecycle(" not in (REPO / chapter_target.notebook).read_text():
        pytest.skip("this chapter has no lifecycle explorer")
    page = notebook
    explorer = (
        page.locator(".jp-OutputArea-output")
        .filter(has=page.locator(".widget-toggle-button", has_text="Development"))
        .first
    )
    scroll_to(page, explorer, "start")
    image = explorer.locator("img").first
    image.wait_for(timeout=15_000)
    before = image.get_attribute("src")
    explorer.locator(".widget-toggle-button", has_text="Development").click()
    expect(explorer).to_contain_text("development", ignore_case=True, timeout=15_000)
    page.wait_for_function(
        "([el, old]) => el.querySelector('img') && el.querySelector('img').src !== old",
        arg=[explorer.element_handle(), before],
        timeout=15_000,
    )
    # The picture and its words are two outputs of one redraw: wait for the words too.
    expect(explorer).to_contain_text("highlighted", ignore_case=True, timeout=15_000)
    alt = explorer.locator("img").first.get_attribute("alt") or ""
    assert "development phase highlighted" in alt, alt
    assert "Error displaying widget" not in explorer.inner_text()
    child = explorer.locator("xpath=..")
    clip = clip_to(scroller(page).bounding_box(), child.bounding_box(), pad=12, top_pad=4)
    shot(page, chapter_target.screenshots, "lifecycle-explorer.png", clip=clip)

"""Restart Kernel and Run All, in real JupyterLab, reaches the last cell of a fresh notebook.

The notebook recommends it; it used to stop at Exercise 1.1 (``raise NotImplementedError()``).
Blank answers now run (placeholders; function stubs raise only when called), and each self-check
of a blank answer shows one "Not yet." line, as an error output that does not stop Run All.
Chapter 1 has an answer *expression* calling a stub (``check("q2_3a", [next_phase(p) ...])``),
chapter 4 has lab functions; the picture is docs/screenshots/run-all.png (``make screenshots``).
"""

from __future__ import annotations

import re
import urllib.parse

import pytest
from playwright.sync_api import expect
from test_lab import (
    RUN_TIMEOUT,
    click_menu,
    scroll_to,
    scroller,
    shot,
    wait_for_idle_kernel,
    wait_until_settled,
)

from support.course import ASSIGNMENTS

pytestmark = pytest.mark.browser

CHAPTERS = ASSIGNMENTS  # every chapter, in JupyterLab as headless (test_run_all_headless.py)
ERRORS = ".jp-NotebookPanel .jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"


# JavaScript: mark each code cell whose code is one check("...", ...) call (a self-check), and
# list those whose editor is wider than its box.
MARK_TEST_CELLS_JS = """
() => {
  const found = [...document.querySelectorAll('.jp-NotebookPanel .jp-CodeCell')].filter(
    c => /^check\\("[^"]+",/.test((c.querySelector('.cm-content') || {}).textContent || ''));
  found.forEach(c => c.setAttribute('data-self-check', ''));
  const wide = found.map(c => c.querySelector('.cm-scroller'))
    .filter(s => s && s.scrollWidth > s.clientWidth + 1).map(s => s.textContent.slice(0, 80));
  return {cells: found.length, wide};
}
"""


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_restart_and_run_all_reaches_the_last_cell(chapter, lab_server, lab_target, page):
    base_url, token, root = lab_server
    rel = f"release/{chapter}/{chapter}.ipynb"
    if not (root / rel).is_file():
        lab_target.skip_or_fail(f"notebook {rel} is not in the course folder")
    page.goto(f"{base_url}lab/tree/{urllib.parse.quote(rel)}?reset&token={token}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    wait_for_idle_kernel(base_url, token, rel)
    left = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current")
    if left.count():
        left.first.click()  # fold the file browser away: room for the notebook

    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog button.jp-mod-accept").click()  # "Confirm Kernel Restart"
    prompts = page.locator(".jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt")
    # JupyterLab stops Run All at the first cell whose reply is an error: the last cell runs only
    # if none before it failed.
    expect(prompts.last).to_have_text(re.compile(r"\[\d+\]"), timeout=RUN_TIMEOUT)
    wait_until_settled(page, base_url, token, rel)
    not_run = [t for t in prompts.all_inner_texts() if not re.search(r"\[\d+\]", t)]
    assert not not_run, f"{len(not_run)} code cells did not run"

    # The last cell is the progress bar, drawn.
    last = page.locator(".jp-NotebookPanel .jp-CodeCell").last
    expect(last.locator(".widget-label", has_text="checkpoints done")).to_have_count(1)

    # Every error shown is a blank exercise's one-line self-check: no traceback, no id, no key.
    errors = page.locator(ERRORS).all_inner_texts()
    assert errors, "the blank exercises' self-checks show nothing"
    for text in errors:
        line = text.strip()
        assert re.match(r"^Not yet\. Exercise \d+\.\d+( \([a-z]\))?: not answered yet", line), line
        assert "\n" not in line and "Traceback" not in line and "sha256$" not in line, line
        assert not re.search(r"\bq\d+_\d+[a-z]?\b", line), line

    # The self-check cells: short calls that fit the width (axe: no scrollable-region-focusable).
    marked = page.evaluate(MARK_TEST_CELLS_JS)
    assert marked["cells"] >= 3, marked
    assert not marked["wide"], f"self-check cells that scroll sideways: {marked['wide']}"
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(
        page,
        context={"include": [["[data-self-check]"]]},
        options={
            "runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]},
            # JupyterLab's own: every cell's CodeMirror editor is an unnamed textbox, in any
            # notebook; nothing the course writes can name it.
            "rules": {"aria-input-field-name": {"enabled": False}},
        },
    )
    violations = [(v["id"], [n["target"] for n in v["nodes"][:3]]) for v in results.response["violations"]]
    assert not violations, violations
    assert results.response["passes"], "axe checked nothing"
    # It ran, and no test cell scrolls (a region that does not scroll makes the rule inapplicable).
    ran = {r["id"] for r in results.response["passes"] + results.response["inapplicable"]}
    assert "scrollable-region-focusable" in ran, sorted(ran)

    if chapter == CHAPTERS[0]:
        # The picture: the last exercises of the chapter, each self-check a short call and one line.
        scroll_to(page, page.locator(ERRORS).last, block="center")
        view = scroller(page).bounding_box()
        shot(page, lab_target.screenshots, "run-all.png", clip=view)

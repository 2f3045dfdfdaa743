"""Checkpoints in the real client: keyboard only, axe-core, progress across restarts, layout, pictures.

The module opens a copy of the chapter's release notebook with every answer cell filled in with the
instructor's solution (``tests/support/course.py``), in a folder of its own so that its progress file is
its own, and runs every cell. Which checkpoints there are, and their right answers, are read from
the notebook itself: each checkpoint cell's sealed arguments are loaded here with the course
package, which recovers the answer the same way "Show answer" does. Nothing about the chapter's
text is written into these tests.

Run:  .venv/bin/pytest tests/browser -x -q
"""

from __future__ import annotations

import ast
import json
import re
import shutil
import urllib.parse
from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import expect

from mlops_concepts import progress
from mlops_concepts.checkpoints import Classify, MultipleChoice, Order
from support.course import cell_id, solutions

pytestmark = pytest.mark.browser

REPO = Path(__file__).resolve().parents[2]
RUN_TIMEOUT = 180_000  # ms
KINDS = {"MultipleChoice": MultipleChoice, "Classify": Classify, "Order": Order}
SHORTCUT_KEYS = ["ArrowDown", "b", "a", "x", "m"]  # move, insert below/above, cut, to Markdown
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
# The course's own content: rendered Markdown and what the cells output (checkpoints included).
AXE_SCOPE = {
    "include": [[".jp-NotebookPanel .jp-MarkdownOutput"], [".jp-NotebookPanel .jp-OutputArea-output"]]
}

# JavaScript: the notebook as a student sees it (cells, their kinds, the active one) and focus.
NOTEBOOK_STATE_JS = """
() => {
  const nb = document.querySelector('.jp-NotebookPanel .jp-Notebook');
  const cells = [...nb.querySelectorAll('.jp-WindowedPanel-viewport > .jp-Cell')];
  return {
    count: cells.length,
    kinds: cells.map(c => c.classList.contains('jp-CodeCell') ? 'code'
                         : c.classList.contains('jp-MarkdownCell') ? 'markdown' : 'raw'),
    active: cells.findIndex(c => c.classList.contains('jp-mod-active')),
    editMode: nb.classList.contains('jp-mod-editMode'),
  };
}
"""
FOCUS_IN_JS = "(el) => el.contains(document.activeElement)"
FOCUSED_JS = """() => { const a = document.activeElement;
  return {tag: a.tagName, type: a.type || '', text: (a.closest('label') || a).textContent.trim(),
          group: a.closest('[role=radiogroup]') ? a.closest('[role=radiogroup]')
                   .getAttribute('aria-labelledby') : null}; }"""


# ---------------------------------------------------------------------------------------------
# what the notebook holds


def checkpoints_in(path: Path) -> list[dict]:
    """Each checkpoint cell: its index among the cells, its kind, and the checkpoint itself."""
    found = []
    for index, cell in enumerate(nbformat.read(path, as_version=4).cells):
        if cell.cell_type != "code":
            continue
        for node in ast.walk(ast.parse(cell.source)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in KINDS:
                kwargs = {k.arg: ast.literal_eval(k.value) for k in node.keywords}
                found.append({"cell": index, "kind": node.func.id, "cp": KINDS[node.func.id](**kwargs)})
    return found


def filled_notebook(release: Path, source: Path, out: Path) -> None:
    """The release notebook with every answer cell holding the instructor's solution."""
    answers = solutions(source.parents[2], source.parent.name)
    nb = nbformat.read(release, as_version=4)
    for cell in nb.cells:
        if cell_id(cell) in answers:
            cell.source = answers[cell_id(cell)]
    nbformat.write(nb, out)


# ---------------------------------------------------------------------------------------------
# browser helpers


def api(base_url, token, path):
    import urllib.request

    req = urllib.request.Request(base_url + path, headers={"Authorization": f"token {token}"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        return json.loads(resp.read())


def wait_until_settled(page, base_url, token, rel, timeout=RUN_TIMEOUT):
    """No cell queued or running ("[*]"/"[ ]" after a run), and the server says the kernel idles."""
    page.wait_for_function(
        """() => { const p = [...document.querySelectorAll(
                     '.jp-NotebookPanel .jp-CodeCell .jp-InputArea .jp-InputPrompt')];
                   return p.length && p.every(x => /\\[\\d+\\]/.test(x.textContent)); }""",
        timeout=timeout,
    )
    page.wait_for_function("() => true")
    import time

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        states = [
            s["kernel"]["execution_state"]
            for s in api(base_url, token, "api/sessions")
            if s.get("path") == rel and s.get("kernel")
        ]
        if states == ["idle"]:
            return
        time.sleep(0.25)
    pytest.fail(f"the kernel of {rel} did not become idle")


def click_menu(page, *labels):
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text(labels[0], exact=True).click()
    for label in labels[1:]:
        page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel").get_by_text(label, exact=True).click()


def cell(page, index):
    return page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").nth(index)


def box_of(page, checkpoint):
    return cell(page, checkpoint["cell"]).locator(".mlops-checkpoint").first


def notebook_state(page):
    return page.evaluate(NOTEBOOK_STATE_JS)


def set_file_browser(page, open_: bool) -> None:
    tab = page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab[data-id='filebrowser']")
    is_open = "lm-mod-current" in (tab.get_attribute("class") or "")
    if is_open != open_:
        tab.click()
    expect(page.locator("#filebrowser")).to_be_visible() if open_ else expect(
        page.locator("#filebrowser")
    ).to_be_hidden()
    page.wait_for_timeout(400)  # the notebook re-lays out


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:40]


# ---------------------------------------------------------------------------------------------
# fixture: the filled notebook, opened and run once


@pytest.fixture(scope="module")
def chapter(browser, lab_server, chapter_target):
    base_url, token, root = lab_server
    release = root / chapter_target.notebook
    if not release.is_file():
        chapter_target.skip_or_fail(f"notebook {chapter_target.notebook} is not in the course folder")
    name = release.parent.name
    source = REPO / "source" / name / release.name
    if not source.is_file():
        chapter_target.skip_or_fail(f"no instructor version {source} to take the solutions from")
    folder = root / "filled" / name  # its own folder: its own progress file
    shutil.copytree(release.parent, folder)
    filled_notebook(release, source, folder / release.name)
    rel = f"filled/{name}/{release.name}"

    progress.use_store(None)  # loading the checkpoints here must not write anything
    checkpoints = checkpoints_in(folder / release.name)
    assert {c["kind"] for c in checkpoints} == set(KINDS), "the chapter lacks a kind of checkpoint"

    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    page = context.new_page()
    page.goto(f"{base_url}lab/tree/{urllib.parse.quote(rel)}?reset&token={token}")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.wait_for_function("() => document.querySelector('.jp-NotebookPanel .jp-Notebook .jp-InputPrompt')")
    import time

    deadline = time.monotonic() + 60  # the kernel must be up before Run All
    while (
        not any(s.get("path") == rel and s.get("kernel") for s in api(base_url, token, "api/sessions"))
        and time.monotonic() < deadline
    ):
        time.sleep(0.25)
    set_file_browser(page, False)
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Run", "Run All Cells")
    expect(page.locator(".mlops-checkpoint")).to_have_count(len(checkpoints), timeout=RUN_TIMEOUT)
    wait_until_settled(page, base_url, token, rel)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(500)
    try:
        yield dict(
            page=page,
            checkpoints=checkpoints,
            folder=folder,
            rel=rel,
            base_url=base_url,
            token=token,
            out=chapter_target.screenshots,
        )
    finally:
        context.close()
        progress.reset()


# ---------------------------------------------------------------------------------------------
# (a) keyboard only


def press_shortcut_keys(page, box, where: str) -> None:
    """Type the notebook's command-mode shortcuts with focus in the checkpoint: nothing happens."""
    before = notebook_state(page)
    focused = page.evaluate(FOCUSED_JS)
    for key in SHORTCUT_KEYS:
        if key == "ArrowDown" and focused["type"] == "radio":
            continue  # in a radio group ArrowDown moves the choice; pressed separately below
        page.keyboard.press(key)
    page.wait_for_timeout(300)
    after = notebook_state(page)
    assert after == before, f"a shortcut changed the notebook ({where}): {before} -> {after}"
    assert box.evaluate(FOCUS_IN_JS), f"focus left the checkpoint ({where})"
    assert page.evaluate(FOCUSED_JS) == focused, f"the keys moved the focus ({where})"


def tab_to_radio_group(page, box, group_index: int) -> dict:
    """Tab until focus is in the ``group_index``-th radio group of ``box``."""
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(FOCUSED_JS)
        if focused["type"] == "radio" and box.evaluate(FOCUS_IN_JS):
            inside = box.locator("[role=radiogroup]").nth(group_index).evaluate(FOCUS_IN_JS)
            if inside:
                return focused
    pytest.fail(f"Tab never reached radio group {group_index} of the checkpoint")


def choose_with_arrows(page, box, group_index: int, choice: int) -> None:
    """In the focused radio group (nothing chosen yet): Space picks the first, arrows move on."""
    page.keyboard.press("Space")
    page.wait_for_timeout(150)  # each choice goes to the kernel and back before the next key
    for _ in range(choice):
        page.keyboard.press("ArrowRight")
        page.wait_for_timeout(150)
    checked = box.locator("[role=radiogroup]").nth(group_index).locator("input:checked")
    expect(checked).to_have_count(1)
    assert (
        checked.evaluate("el => [...el.closest('[role=radiogroup]').querySelectorAll('input')].indexOf(el)")
        == choice
    )


def right_picks(cp) -> list[int]:
    """The index of the right choice in each radio group of ``cp``, in the order shown."""
    solution = cp._solution()
    if isinstance(cp, MultipleChoice):
        return [cp.options.index(solution)]
    if isinstance(cp, Classify):
        return [cp.buckets.index(solution[item]) for item in cp.items]
    return [solution.index(step) for step in cp.steps]  # position n is choice n - 1


def answer_by_keyboard(page, checkpoint) -> None:
    cp, box = checkpoint["cp"], box_of(page, checkpoint)
    box.scroll_into_view_if_needed()
    box.locator(".mlops-question").click()  # sets where Tab starts; focuses nothing inside
    picks = right_picks(cp)
    for group, pick in enumerate(picks):
        tab_to_radio_group(page, box, group)
        choose_with_arrows(page, box, group, pick)
        press_shortcut_keys(page, box, f"radio group {group}")
        # ArrowDown in a radio group moves the choice (and only that); ArrowUp moves it back.
        before = notebook_state(page)
        page.keyboard.press("ArrowDown")
        page.wait_for_timeout(150)
        page.keyboard.press("ArrowUp")
        page.wait_for_timeout(300)
        assert notebook_state(page) == before
        checked = box.locator("[role=radiogroup]").nth(group).locator("input:checked")
        assert (
            checked.evaluate(
                "el => [...el.closest('[role=radiogroup]').querySelectorAll('input')].indexOf(el)"
            )
            == pick
        )
    for _ in range(10):  # on to Check
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_JS)["text"] == "Check":
            break
    assert page.evaluate(FOCUSED_JS)["text"] == "Check", page.evaluate(FOCUSED_JS)
    press_shortcut_keys(page, box, "the Check button")
    page.keyboard.press("Enter")
    expect(box.locator("[role=status]")).to_contain_text("Correct", timeout=15_000)
    press_shortcut_keys(page, box, "the Check button, after checking")
    page.keyboard.press("Tab")  # Hint, pressed with Space
    assert page.evaluate(FOCUSED_JS)["text"] == "Hint"
    page.keyboard.press("Space")
    expect(box).to_contain_text("Hint:")
    press_shortcut_keys(page, box, "the Hint button")


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_of_checkpoint_works_by_keyboard_alone(chapter, kind):
    page = chapter["page"]
    checkpoint = next(c for c in chapter["checkpoints"] if c["kind"] == kind)
    box = box_of(page, checkpoint)
    # The helper ran: shortcuts are off inside the box, every group is named.
    assert box.get_attribute("data-lm-suppress-shortcuts") == "true"
    groups = box.locator("[role=radiogroup]")
    expected = {
        "MultipleChoice": 1,
        "Classify": len(getattr(checkpoint["cp"], "items", [])),
        "Order": len(getattr(checkpoint["cp"], "steps", [])),
    }[kind]
    expect(groups).to_have_count(expected)
    for i in range(groups.count()):
        label_id = groups.nth(i).get_attribute("aria-labelledby")
        name = page.locator(f"[id='{label_id}']").inner_text().strip()
        cp = checkpoint["cp"]
        want = (
            cp.question if kind == "MultipleChoice" else (cp.items[i] if kind == "Classify" else cp.steps[i])
        )
        assert want in name, f"group {i} is named {name!r}, not by {want!r}"
    answer_by_keyboard(page, checkpoint)
    # What the kernel got: the right answer, registered as solved in the progress file.
    saved = json.loads((chapter["folder"] / progress.STORE_NAME).read_text())
    assert saved["solved"].get(checkpoint["cp"].id) is True


def test_the_lifecycle_explorer_works_by_keyboard_alone(chapter):
    """The explorer's phase buttons: Tab reaches them, Space or Enter picks a phase, and no key
    typed there becomes a notebook shortcut."""
    if "explore_lifecycle(" not in (chapter["folder"] / Path(chapter["rel"]).name).read_text():
        pytest.skip("this chapter has no lifecycle explorer")
    page = chapter["page"]
    explorer = (
        page.locator(".jp-NotebookPanel .mlops-keys")
        .filter(has=page.locator(".widget-toggle-button", has_text="Development"))
        .first
    )
    explorer.scroll_into_view_if_needed()
    expect(explorer).to_have_attribute("data-lm-suppress-shortcuts", "true", timeout=15_000)
    image = explorer.locator("img[alt]").first
    explorer.locator(".widget-toggle-button", has_text="All").focus()
    for _ in range(3):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_JS)["text"] == "Development":
            break
    assert page.evaluate(FOCUSED_JS)["text"] == "Development", page.evaluate(FOCUSED_JS)
    press_shortcut_keys(page, explorer, "the explorer's Development button")
    page.keyboard.press("Space")
    expect(image).to_have_attribute("alt", re.compile("development phase highlighted"), timeout=15_000)
    page.keyboard.press("Tab")
    assert page.evaluate(FOCUSED_JS)["text"] == "Deployment"
    page.keyboard.press("Enter")
    expect(image).to_have_attribute("alt", re.compile("deployment phase highlighted"), timeout=15_000)
    press_shortcut_keys(page, explorer, "the explorer's Deployment button")


@pytest.mark.parametrize("kind", ["Classify", "Order"])
def test_a_first_miss_counts_and_the_second_names(chapter, kind):
    """Issue 27 item 2, as a student meets it: the first wrong Check says how many are misplaced
    and shows the hint, and names no item or step; the second wrong Check names them."""
    page = chapter["page"]
    checkpoint = [c for c in chapter["checkpoints"] if c["kind"] == kind][-1]
    cp, box = checkpoint["cp"], box_of(page, checkpoint)
    box.scroll_into_view_if_needed()
    box.get_by_role("button", name="Try again").click()
    picks = right_picks(cp)
    labels = cp.items if kind == "Classify" else cp.steps
    if kind == "Classify":  # one item in another bucket
        picks[0] = (picks[0] + 1) % len(cp.buckets)
        misplaced, count = [labels[0]], f"1 of {len(labels)} items are not in the right bucket yet"
    else:  # the first two steps swap places
        picks[0], picks[1] = picks[1], picks[0]
        misplaced, count = labels[:2], f"2 of {len(labels)} steps are not in the right place yet"
    status = box.locator("[role=status]")
    click_answer(page, checkpoint, picks)
    expect(status).to_contain_text("Not quite", timeout=15_000)
    first = status.inner_text()
    assert count in first, first
    assert cp.hint in first, first
    rest = first.replace(cp.hint, "")  # a hint that names an item is the author's, not this code's
    assert not [label for label in labels if label in rest], f"the first miss names: {first}"
    expect(box.get_by_role("button", name="Show answer")).to_be_hidden()
    box.get_by_role("button", name="Check").click()  # the same answer, checked again
    expect(status).to_contain_text(misplaced[0], timeout=15_000)
    second = status.inner_text()
    assert all(label in second for label in misplaced), second
    expect(box.get_by_role("button", name="Show answer")).to_be_visible()
    box.get_by_role("button", name="Try again").click()
    reveal_and_check(page, checkpoint)


def focus_first_radio(page, box) -> None:
    box.scroll_into_view_if_needed()
    box.locator(".mlops-question").click()  # sets where Tab starts; focuses nothing inside
    tab_to_radio_group(page, box, 0)


def test_esc_ctrl_s_and_shift_enter_work_inside_a_checkpoint(chapter):
    """Issue 29 item 3: with focus in a checkpoint, Esc returns to the notebook in command mode,
    Ctrl+S saves, Shift+Enter runs the cell and moves on; letters and arrows still do nothing."""
    page = chapter["page"]
    checkpoint = [c for c in chapter["checkpoints"] if c["kind"] == "MultipleChoice"][-1]
    index, box = checkpoint["cell"], box_of(page, checkpoint)
    path = chapter["folder"] / Path(chapter["rel"]).name

    # Esc: the focus goes to the checkpoint's cell, and the notebook's own keys work again.
    focus_first_radio(page, box)
    press_shortcut_keys(page, box, "before Esc")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    assert not box.evaluate(FOCUS_IN_JS), "Esc left the focus in the checkpoint"
    state = notebook_state(page)
    assert state["active"] == index and not state["editMode"], state
    assert cell(page, index).evaluate("el => el === document.activeElement")
    page.keyboard.press("ArrowDown")  # a command-mode shortcut: select the next cell
    expect(page.locator(".jp-NotebookPanel .jp-Cell.jp-mod-active")).to_have_count(1)
    page.wait_for_function(f"() => ({NOTEBOOK_STATE_JS.strip()})().active === {index + 1}", timeout=5_000)

    # Ctrl+S: the notebook is saved (it never was: the run's outputs reach the file only now),
    # and the focus stays where it was.
    focus_first_radio(page, box)
    before = path.read_text()
    assert "Checkpoint: " not in before  # the filled notebook was written without outputs
    page.keyboard.press("Control+s")
    deadline = page.evaluate("Date.now()") + 15_000
    while "Checkpoint: " not in path.read_text() and page.evaluate("Date.now()") < deadline:
        page.wait_for_timeout(200)
    saved = path.read_text()
    assert "Checkpoint: " in saved, "Ctrl+S in a checkpoint did not save the notebook"
    assert box.evaluate(FOCUS_IN_JS), "Ctrl+S moved the focus out of the checkpoint"
    press_shortcut_keys(page, box, "after Ctrl+S")  # still suppressed after the one keydown
    # What was saved holds no feedback or explanation in plain text (no widget state either).
    cp = checkpoint["cp"]
    secrets = [cp._explanation(cp._solution()), *cp._option_feedback.values()]
    assert not [t for t in secrets if t in saved]
    assert "application/vnd.jupyter.widget-state+json" not in saved

    # Shift+Enter: the cell runs again (its checkpoint is drawn anew) and the next cell is selected.
    box.evaluate("el => el.setAttribute('data-before-run', '')")
    focus_first_radio(page, box)
    page.keyboard.press("Shift+Enter")
    fresh = cell(page, index).locator(".mlops-checkpoint:not([data-before-run])")
    expect(fresh.locator("button.widget-button").first).to_be_visible(timeout=30_000)
    expect(cell(page, index).locator("[data-before-run]")).to_have_count(0)
    assert notebook_state(page)["active"] == index + 1
    assert "Error displaying widget" not in cell(page, index).inner_text()


# ---------------------------------------------------------------------------------------------
# (b) axe-core


def test_axe_finds_no_wcag_a_or_aa_violation_in_the_course_content(chapter):
    from axe_playwright_python.sync_playwright import Axe

    page = chapter["page"]
    # Every checkpoint answered (so feedback and explanations are part of what axe checks), and
    # every hint shown.
    for checkpoint in chapter["checkpoints"]:
        box = box_of(page, checkpoint)
        if "Correct" not in box.inner_text():
            reveal_and_check(page, checkpoint)
        if "Hint:" not in box.inner_text():
            box.get_by_role("button", name="Hint").click()
    assert page.locator(".jp-NotebookPanel .jp-MarkdownOutput").count() > 10
    results = Axe().run(page, context=AXE_SCOPE, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response["violations"]
    report = "\n".join(
        f"{v['id']} ({v['impact']}): {v['help']}\n"
        + "\n".join(f"    {n['target']}: {n['html'][:160]}" for n in v["nodes"][:5])
        for v in violations
    )
    assert results.response["passes"], "axe checked nothing"
    assert not violations, f"axe-core found WCAG 2.1 A/AA violations:\n{report}"


def click_answer(page, checkpoint, picks) -> None:
    """Answer with the mouse: choice ``picks[i]`` in radio group i, then Check."""
    box = box_of(page, checkpoint)
    groups = box.locator("[role=radiogroup]")
    for i, pick in enumerate(picks):
        groups.nth(i).locator("input[type=radio]").nth(pick).check()
    box.get_by_role("button", name="Check").click()


def reveal_and_check(page, checkpoint) -> None:
    """Answer with the mouse: the right choice in every group, then Check."""
    click_answer(page, checkpoint, right_picks(checkpoint["cp"]))
    expect(box_of(page, checkpoint).locator("[role=status]")).to_contain_text("Correct", timeout=15_000)


# ---------------------------------------------------------------------------------------------
# (c) progress survives "Restart Kernel and Run All"


def progress_label(page):
    return page.locator(".jp-OutputArea-output .widget-label", has_text="checkpoints done")


def test_progress_survives_restart_kernel_and_run_all(chapter):
    page = chapter["page"]
    first = chapter["checkpoints"][0]
    if "Correct" not in box_of(page, first).inner_text():
        reveal_and_check(page, first)
    saved = json.loads((chapter["folder"] / progress.STORE_NAME).read_text())["solved"]
    ids = {c["cp"].id for c in chapter["checkpoints"]}
    done = len(ids & set(saved))
    assert done >= 1
    label = progress_label(page)
    expect(label).to_have_count(1)
    total = int(re.search(r"of (\d+)", label.inner_text()).group(1))
    expect(label).to_have_text(f"{done} of {total} checkpoints done")

    # Mark what is on the page now, so that only a display drawn after the restart counts.
    page.evaluate(
        "() => document.querySelectorAll('.jp-OutputArea-output *')"
        ".forEach(el => el.setAttribute('data-before-restart', ''))"
    )
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog button.jp-mod-accept").click()  # "Confirm Kernel Restart"
    # The old outputs go first, then the cells run again from a fresh kernel.
    expect(page.locator(".jp-Notebook [role=status]")).to_have_count(0, timeout=RUN_TIMEOUT)
    expect(page.locator(".mlops-checkpoint")).to_have_count(len(chapter["checkpoints"]), timeout=RUN_TIMEOUT)
    fresh = page.locator(
        ".jp-OutputArea-output .widget-label:not([data-before-restart])", has_text="checkpoints done"
    )
    expect(fresh).to_have_text(f"{done} of {total} checkpoints done", timeout=RUN_TIMEOUT)
    wait_until_settled(page, chapter["base_url"], chapter["token"], chapter["rel"])
    expect(fresh).to_have_text(f"{done} of {total} checkpoints done")
    assert not page.locator(".jp-OutputArea-output [data-before-restart]").count()
    assert done < total or total == len(ids)


# ---------------------------------------------------------------------------------------------
# (d) 800 px with the file browser open, (e) a picture of every lesson at 1280 and 800 px

OVERFLOW_JS = """
(box) => {
  const view = document.querySelector('.jp-NotebookPanel .jp-WindowedPanel-outer')
                       .getBoundingClientRect();
  const r = box.getBoundingClientRect();
  const wide = [box, ...box.querySelectorAll('*')]
    .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1
                  && getComputedStyle(el).overflowX !== 'visible')
    .map(el => el.className || el.tagName);
  return {boxScroll: box.scrollWidth, boxClient: box.clientWidth, right: r.right,
          viewRight: view.right, scrolled: wide,
          outputScroll: box.closest('.jp-OutputArea-output').scrollWidth,
          outputClient: box.closest('.jp-OutputArea-output').clientWidth};
}
"""


def test_no_checkpoint_overflows_at_800px_with_the_file_browser_open(chapter):
    page = chapter["page"]
    page.set_viewport_size({"width": 800, "height": 900})
    try:
        set_file_browser(page, True)
        assert page.locator("#filebrowser").bounding_box()["width"] > 150
        for checkpoint in chapter["checkpoints"]:
            box = box_of(page, checkpoint)
            box.scroll_into_view_if_needed()
            m = box.evaluate(OVERFLOW_JS)
            where = f"{checkpoint['cp'].id}: {m}"
            assert m["boxScroll"] <= m["boxClient"] + 1, where
            assert m["outputScroll"] <= m["outputClient"] + 1, where
            assert m["right"] <= m["viewRight"] + 1, where
            assert not m["scrolled"], where
            # Labels are never cut off with an ellipsis either.
            clipped = box.evaluate("""b => [...b.querySelectorAll('label, button')]
                .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 1)
                .map(el => el.textContent.trim())""")
            assert not clipped, f"{checkpoint['cp'].id}: cut-off labels {clipped}"
    finally:
        set_file_browser(page, False)
        page.set_viewport_size({"width": 1280, "height": 900})


LESSONS_JS = """
() => {
  const nb = document.querySelector('.jp-NotebookPanel .jp-Notebook');
  const h2s = [...nb.querySelectorAll('.jp-MarkdownCell .jp-RenderedMarkdown h2')];
  const boxes = [...nb.querySelectorAll('.mlops-checkpoint')];
  const after = (a, b) => !!(a.compareDocumentPosition(b) & Node.DOCUMENT_POSITION_FOLLOWING);
  return h2s.map((h2, i) => ({
    title: h2.textContent.replace(/¶$/, '').trim(),
    box: boxes.findIndex(b => after(h2, b) && (!h2s[i + 1] || after(b, h2s[i + 1]))),
  }));
}
"""


@pytest.mark.parametrize("width", [1280, 800])
def test_screenshots_of_every_lesson(chapter, width):
    """One picture per H2 section: its first checkpoint (heading above) if it has any, else its start."""
    page = chapter["page"]
    out = chapter["out"]
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob(f"section-*-{width}.png"):
        old.unlink()
    page.set_viewport_size({"width": width, "height": 900})
    try:
        if width == 800:
            set_file_browser(page, True)
        lessons = page.evaluate(LESSONS_JS)
        assert len(lessons) >= 3
        assert "Error displaying widget" not in page.locator(".jp-NotebookPanel").inner_text()
        h2s = page.locator(".jp-NotebookPanel .jp-MarkdownCell .jp-RenderedMarkdown h2")
        boxes = page.locator(".jp-NotebookPanel .mlops-checkpoint")
        for n, lesson in enumerate(lessons, start=1):
            target = boxes.nth(lesson["box"]) if lesson["box"] >= 0 else h2s.nth(n - 1)
            # The first checkpoint (with the heading above it) at the top of the notebook.
            target.evaluate("el => el.scrollIntoView({block: 'start'})")
            if lesson["box"] >= 0:
                page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first.evaluate(
                    "el => el.scrollBy(0, -60)"
                )
            page.wait_for_timeout(300)
            page.mouse.move(0, 0)
            name = f"section-{n:02d}-{slug(lesson['title'])}-{width}.png"
            page.screenshot(path=str(out / name), animations="disabled", caret="hide")
            print(name)
        assert len(list(out.glob(f"section-*-{width}.png"))) == len(lessons)
    finally:
        if width == 800:
            set_file_browser(page, False)
        page.set_viewport_size({"width": 1280, "height": 900})


# ---------------------------------------------------------------------------------------------
# (f) answered checkpoints stay answered: restart, run all, reload (issue 29 item 4)
# Last in the module: it reloads the page.

WIDGET_ERROR = "Error displaying widget"


def save_notebook(page, path: Path) -> None:
    """Ctrl+S in the notebook; wait until the file on disk has changed."""
    before = path.stat().st_mtime_ns
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    page.keyboard.press("Control+s")
    for _ in range(75):
        if path.stat().st_mtime_ns != before:
            break
        page.wait_for_timeout(200)
    assert path.stat().st_mtime_ns != before, "the notebook was not saved"
    page.wait_for_timeout(500)


def run_all_after_restart(page, chapter) -> None:
    page.locator(".jp-NotebookPanel .jp-Notebook").first.click(position={"x": 5, "y": 5})
    click_menu(page, "Kernel", "Restart Kernel and Run All Cells…")
    page.locator(".jp-Dialog button.jp-mod-accept").click()
    expect(page.locator(".mlops-checkpoint")).to_have_count(len(chapter["checkpoints"]), timeout=RUN_TIMEOUT)
    wait_until_settled(page, chapter["base_url"], chapter["token"], chapter["rel"])


def reload_notebook(page, chapter) -> None:
    page.once("dialog", lambda d: d.accept())  # "leave the page?" if the notebook is unsaved
    page.reload()
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(timeout=60_000)
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(3_000)  # the widget manager restores what the kernel holds


def checked_picks(box) -> list[int]:
    return box.locator("[role=radiogroup]").evaluate_all(
        "gs => gs.map(g => [...g.querySelectorAll('input')].findIndex(i => i.checked))"
    )


def assert_solved_ones_show_solved(page, chapter, solved: set[str]) -> None:
    for checkpoint in chapter["checkpoints"]:
        box = box_of(page, checkpoint)
        expect(box.locator("button.widget-button").first).to_be_visible(timeout=30_000)
        status = box.locator("[role=status]")
        if checkpoint["cp"].id in solved:
            expect(status).to_contain_text("Solved", timeout=15_000)
            expect(box.locator("[role=radiogroup]")).to_have_count(len(right_picks(checkpoint["cp"])))
            assert checked_picks(box) == right_picks(checkpoint["cp"]), checkpoint["cp"].id
        else:
            assert "Solved:" not in box.inner_text()
            assert set(checked_picks(box)) == {-1}, checkpoint["cp"].id


def test_solved_checkpoints_stay_solved_and_a_reload_shows_no_widget_error(chapter):
    page, path = chapter["page"], chapter["folder"] / Path(chapter["rel"]).name
    first = chapter["checkpoints"][0]
    if "Correct" not in box_of(page, first).inner_text():
        reveal_and_check(page, first)
    store = chapter["folder"] / progress.STORE_NAME
    assert first["cp"].id in json.loads(store.read_text())["solved"]
    # Earlier tests solved most checkpoints. What survives a restart is this file: keep one
    # checkpoint of each kind in it, so that the others must come back blank.
    solved = {next(c for c in chapter["checkpoints"] if c["kind"] == k)["cp"].id for k in KINDS}
    store.write_text(json.dumps({"version": 1, "solved": dict.fromkeys(sorted(solved), True)}))
    ids = {c["cp"].id for c in chapter["checkpoints"]}
    assert ids - solved, "the chapter needs an unsolved checkpoint for this test"

    # 1. Saved while the first kernel ran, then "Restart Kernel and Run All": every solved
    #    checkpoint shows as solved with its answer, the others are blank.
    save_notebook(page, path)
    run_all_after_restart(page, chapter)
    assert_solved_ones_show_solved(page, chapter, solved & ids)

    # 2. A reload now: the file still holds the views of the first kernel, which is gone. No
    #    widget error; each checkpoint shows its text form, which says to run the cell.
    reload_notebook(page, chapter)
    panel = page.locator(".jp-NotebookPanel")
    expect(panel).to_contain_text("Run this cell in JupyterLab to answer interactively")
    assert WIDGET_ERROR not in panel.inner_text()

    # 3. Saved with the running kernel, then reloaded: the live checkpoints come back as widgets.
    run_all_after_restart(page, chapter)
    save_notebook(page, path)
    reload_notebook(page, chapter)
    expect(page.locator(".mlops-checkpoint")).to_have_count(len(chapter["checkpoints"]), timeout=30_000)
    assert_solved_ones_show_solved(page, chapter, solved & ids)
    assert WIDGET_ERROR not in panel.inner_text()

    # The picture: the first solved checkpoint, as it came back.
    box = box_of(page, next(c for c in chapter["checkpoints"] if c["cp"].id in solved))
    box.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.locator(".jp-NotebookPanel .jp-WindowedPanel-outer").first.evaluate("el => el.scrollBy(0, -60)")
    page.mouse.move(0, 0)
    out = chapter["out"]
    target = out.parent if out.name.startswith("01-") else out  # docs/screenshots/ holds chapter 1's
    target.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target / "checkpoint-restored.png"), animations="disabled", caret="hide")

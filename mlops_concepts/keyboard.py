"""Widgets that keep their keys: the keyboard helper of checkpoints and the diagram explorer.

JupyterLab reads keys typed anywhere in a notebook as notebook shortcuts (``b`` inserts a cell,
ArrowDown selects the next one) unless the focus is in a text field, and standard ipywidgets cannot
change that: only their text fields keep keys to themselves. So a widget group that students use
by keyboard gets the class :data:`KEYS_CLASS` and carries :data:`HELPER_HTML` in one of its HTML
widgets. Once shown in the browser, the helper marks the group's controls with
``data-lm-suppress-shortcuts`` (Lumino then ignores key bindings while one of them has the focus),
gives each radio group ``role="radiogroup"`` with its name and a shared ``name`` (one Tab stop,
arrow keys move the choice), and lets long labels wrap at narrow widths. Where it does not run
(other front ends, static HTML) the widgets still work; only these extras are missing.
"""

from __future__ import annotations

import html

#: Class of the outer box of a checkpoint (or any other widget group that keeps its keys): the
#: helper below and its style rules look for it.
KEYS_CLASS = "mlops-keys"

# The helper's script, run by the browser once the question is on the page (an image's onload
# handler: ipywidgets' HTML widget sets innerHTML, where <script> never runs). It finds its
# checkpoint box, waiting briefly if the box is still being assembled, and
#   * marks it and every focusable element in it with data-lm-suppress-shortcuts: Lumino, which
#     dispatches JupyterLab's key bindings, walks up from the focused element and stops at the
#     first element with that attribute before testing it against a binding's selector, so no key
#     typed inside the checkpoint becomes a notebook shortcut (the attribute must be on the focused
#     element itself: the notebook's selectors end in ":focus"). Tab still moves on: it is not a
#     Lumino binding;
#   * makes each radio group a real one: role="radiogroup", named by its description (the item or
#     the step) or, when it has none, by the question; and one shared name for its radios, so that
#     Tab stops once per group and the arrow keys move the choice within it.
# A MutationObserver repeats both when ipywidgets adds or rebuilds controls.
#   * gives back the three keys a notebook user relies on (issue 29 item 3): Esc moves the focus to
#     the checkpoint's cell, which puts the notebook in command mode (JupyterLab's own Esc binding
#     only leaves edit mode, so there is nothing to hand on); Ctrl+S (Cmd+S) and Shift+Enter are
#     handed to JupyterLab's own bindings (save; run the cell and select the next one) by lifting
#     the attribute from the focused element up to the box for this one keydown: the box's listener
#     runs before Lumino's, which listens on the document as the event bubbles. Every other key
#     stays suppressed.
HELPER_JS = """
function setUp(tries) {
  var box = img.closest('.BOX');
  if (!box) { if (tries < 100) setTimeout(setUp, 50, tries + 1); return; }
  box.setAttribute('data-lm-suppress-shortcuts', 'true');
  var uid = function () { return 'mlops-' + Math.random().toString(36).slice(2, 10); };
  var label = function () {
    box.querySelectorAll('button, input, select, textarea, [tabindex]').forEach(function (el) {
      el.setAttribute('data-lm-suppress-shortcuts', 'true');
    });
    var question = box.querySelector('.mlops-question');
    box.querySelectorAll('.widget-radio').forEach(function (radio) {
      var group = radio.querySelector('.widget-radio-box');
      if (!group) return;
      var own = radio.querySelector(':scope > .widget-label');
      var name = own && own.textContent.trim() ? own : question;
      if (name) { name.id = name.id || uid(); group.setAttribute('aria-labelledby', name.id); }
      group.setAttribute('role', 'radiogroup');
      group.dataset.name = group.dataset.name || uid();
      group.querySelectorAll('input[type=radio]').forEach(function (r) { r.name = group.dataset.name; });
    });
  };
  label();
  new MutationObserver(label).observe(box, {childList: true, subtree: true});
  box.addEventListener('keydown', function (e) {
    var cell = box.closest('.jp-Cell');
    var mods = e.altKey || e.ctrlKey || e.metaKey;
    if (e.key === 'Escape' && !mods && !e.shiftKey) {
      if (cell) { e.preventDefault(); cell.focus({preventScroll: true}); }
      return;
    }
    var save = (e.ctrlKey || e.metaKey) && !e.altKey && !e.shiftKey && e.key.toLowerCase() === 's';
    var run = e.key === 'Enter' && e.shiftKey && !mods;
    if (!save && !run) return;
    if (run && cell) cell.focus({preventScroll: true});
    var lifted = [];
    for (var el = e.target; el && el !== box.parentElement; el = el.parentElement) {
      if (el.hasAttribute('data-lm-suppress-shortcuts')) {
        el.removeAttribute('data-lm-suppress-shortcuts');
        lifted.push(el);
      }
    }
    setTimeout(function () {
      lifted.forEach(function (el) { el.setAttribute('data-lm-suppress-shortcuts', 'true'); });
    }, 0);
  });
}
setUp(0);
""".replace("BOX", KEYS_CLASS)

# Style rules for checkpoints only (every selector starts at the checkpoint box): labels and
# choices wrap instead of being cut off or pushing the box wider than the notebook, a row's label
# sits above its choices, and the keyboard focus is clearly visible.
HELPER_CSS = """
.BOX { min-width: 0; }
.BOX .widget-radio { display: flex; flex-direction: column; align-items: stretch;
  width: auto; max-width: 100%; margin: 4px 0; }
.BOX .widget-radio > .widget-label { width: auto; max-width: 100%; height: auto;
  white-space: normal; overflow: visible; line-height: 1.4; font-weight: bold; }
.BOX .widget-radio-box { flex-wrap: wrap; margin: 0 !important; max-width: 100%; }
.BOX .widget-radio-box label { display: flex; flex-direction: row-reverse;
  justify-content: flex-end; align-items: flex-start; height: auto; line-height: 1.4;
  white-space: normal; padding: 3px 0; }
.BOX .widget-radio-box input { flex: none; float: none; height: 1.4em; margin: 0 8px 0 1px; }
.BOX .widget-radio-box-horizontal label { margin-right: 1.5em; }
.BOX .widget-html, .BOX .widget-html-content { line-height: 1.4; white-space: normal;
  overflow-wrap: anywhere; }
.BOX .widget-html-content p { margin: 4px 0; }
.BOX :focus-visible { outline: 2px solid var(--jp-brand-color1, #1976d2); outline-offset: 1px; }
""".replace("BOX", KEYS_CLASS)

# A 1x1 transparent GIF, so the image "loads" without any request.
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="

#: The helper, appended to an HTML widget inside the box: style rules and a hidden image whose
#: onload runs the script with ``img`` bound to itself (no network, no global names).
HELPER_HTML = (
    "<style>"
    + " ".join(HELPER_CSS.split())
    + "</style>"
    + f'<img hidden alt="" src="{_PIXEL}" onload="'
    + html.escape("(function (img) {" + " ".join(HELPER_JS.split()) + "})(this);", quote=True)
    + '">'
)

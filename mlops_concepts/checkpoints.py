"""Ungraded checkpoints: small widget quizzes with instant feedback.

Three kinds mirror the course's exercise kinds: :class:`MultipleChoice`, :class:`Classify` (put
items into buckets) and :class:`Order` (put steps in order). Each gives feedback that says *why*
for every option, item or step, a hint, an explanation once the answer is right, a way to try
again, and "Show answer" after two wrong attempts. They are built only from standard ipywidgets
(RadioButtons, Button, HTML), and they show a plain-text version wherever widgets cannot render
(GitHub, nbconvert HTML).

Keyboard and screen readers
---------------------------
Every answer is a group of radio buttons: one group for a multiple-choice question (named by the
question), one per item for Classify (the buckets are its choices, the item names it) and one per
step for Order (its position is the choice, the step names it). Tab reaches a group, the arrow keys
or Space choose, Tab goes on to Check, Hint, Try again and Show answer, and Space or Enter presses
them.

JupyterLab reads keys typed anywhere in a notebook as notebook shortcuts (``b`` inserts a cell,
ArrowDown selects the next one) unless the focus is in a text field, and standard ipywidgets cannot
change that: only their text fields keep keys to themselves. So each checkpoint carries a small
helper (:data:`_HELPER_HTML`, in its question's HTML widget) that, once shown in the browser, marks
the checkpoint's controls with ``data-lm-suppress-shortcuts`` (Lumino then ignores key bindings
while one of them has the focus), gives each radio group ``role="radiogroup"`` with its name and a shared
``name`` (one Tab stop, arrow keys move the choice), and lets long labels wrap at narrow widths.
Where it does not run (other front ends, static HTML) the widgets still work; only these extras
are missing.

Two equivalent forms
--------------------
The instructor writes the *source form*, with plain answers, feedback and explanation::

    MultipleChoice(id="cp-x", question="...", options={"A": "why A", "B": "why B"},
                   answer="A", hint="...", explanation="...")

Students get the *sealed form*, written by the release preprocessor from
``MultipleChoice.sealed_arguments(**source_kwargs)``::

    MultipleChoice(id="cp-x", question="...", options=["A", "B"], hint="...", sealed="...")

``sealed`` is base64 of one JSON object holding only salted digests (:func:`answers.digest`) of the
answer and texts sealed with :func:`answers.seal`, so no answer, feedback or explanation is in
plain sight. A source-form checkpoint is built by sealing its arguments and then loading the sealed
form, so both forms run exactly the same code and behave identically.

What is sealed with which key (salt = ``salt_for(id)``):

* MultipleChoice: digest of the answer; each option's feedback under ``("feedback", option)``;
  the explanation under ``("explanation", answer)``.
* Classify: per item, digest of ``[item, bucket]``; each item's why under ``("why", item)``; the
  explanation under ``("explanation", {item: bucket, ...})``.
* Order: digest of the whole correct list of steps and, per position, of ``[position, step]``;
  each step's why under ``("why", step)``; the explanation under ``("explanation", [steps...])``.

"Show answer" recovers the answer by trying the public options, buckets or steps against the
digests (the spaces are tiny), so the student's kernel never needs the plain answer key. This keeps
answers out of sight; it is not meant to stop a student who reads this module.
"""

from __future__ import annotations

import base64
import binascii
import html
import inspect
import json

import ipywidgets as widgets

from . import progress
from .answers import digest, matches, salt_for, seal, to_json, unseal
from .autograding import autograding

__all__ = ["Classify", "MultipleChoice", "Order", "PLACEHOLDER"]

#: Reserved text, once the "nothing chosen" entry of the dropdowns; no option, bucket or step may
#: use it, so that checkpoints written for earlier versions mean the same thing everywhere.
PLACEHOLDER = "— choose —"

#: Version of the sealed JSON layout, so a future change can still read old releases.
SEALED_VERSION = 1

#: Longest option, bucket or step. Labels wrap at narrow widths, but a choice longer than a line of
#: a notebook at about 800 px is hard to read next to the others.
MAX_CHOICE_CHARS = 100

#: Longest Classify item: the item names its row of buckets and is read before each choice.
MAX_ITEM_CHARS = 80

#: How many wrong checks before "Show answer" appears: enough to make the student think first.
REVEAL_AFTER = 2

_INTERACTIVE_NOTE = "(Open this notebook in JupyterLab to answer interactively.)"
_RIGHT = "✔"
_WRONG = "✘"

# Words and symbol carry the meaning; the colour (a JupyterLab theme variable, so it follows light
# and dark themes, and is simply ignored elsewhere) only reinforces it.
_RIGHT_STYLE = "color: var(--jp-success-color1, inherit)"
_WRONG_STYLE = "color: var(--jp-error-color1, inherit)"

#: Class of every checkpoint's outer box: the helper below and its style rules look for it.
BOX_CLASS = "mlops-checkpoint"

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
_HELPER_JS = """
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
}
setUp(0);
""".replace("BOX", BOX_CLASS)

# Style rules for checkpoints only (every selector starts at the checkpoint box): labels and
# choices wrap instead of being cut off or pushing the box wider than the notebook, a row's label
# sits above its choices, and the keyboard focus is clearly visible.
_HELPER_CSS = """
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
""".replace("BOX", BOX_CLASS)

# A 1x1 transparent GIF, so the image "loads" without any request.
_PIXEL = "data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw=="

#: The helper, appended to each checkpoint's question widget: style rules and a hidden image whose
#: onload runs the script with ``img`` bound to itself (no network, no global names).
_HELPER_HTML = (
    "<style>" + " ".join(_HELPER_CSS.split()) + "</style>"
    + f'<img hidden alt="" src="{_PIXEL}" onload="'
    + html.escape("(function (img) {" + " ".join(_HELPER_JS.split()) + "})(this);", quote=True)
    + '">'
)


# --------------------------------------------------------------------------------------------
# Validation and packing helpers
# --------------------------------------------------------------------------------------------


def _esc(text: str) -> str:
    """Escape for the HTML widgets; quotes stay readable, they are never inside attributes."""
    return html.escape(text, quote=False)


def _text(value, what: str) -> str:
    """A required, non-blank plain string (authors' typos should fail loudly, not render oddly)."""
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{what} must be a non-empty string, got {value!r}")
    return value


def _label(value, what: str, limit: int) -> str:
    """An option, bucket, item or step: a short one-line text that is not the placeholder."""
    value = _text(value, what)
    if value != value.strip() or "\n" in value:
        raise ValueError(f"{what} {value!r} must be one line with no leading or trailing spaces")
    if value == PLACEHOLDER:
        raise ValueError(f"{what} {value!r} is a reserved placeholder text; use another text")
    if len(value) > limit:
        raise ValueError(
            f"{what} {value!r} is {len(value)} characters long; keep it to {limit} so it is not "
            "cut off at notebook width (move the detail into the feedback instead)"
        )
    return value


def _labels(values, what: str, limit: int, minimum: int) -> list[str]:
    """The public list of a sealed form: unique labels, in display order."""
    if not isinstance(values, (list, tuple)):
        raise ValueError(f"{what}s must be a list of strings, got {type(values).__name__}")
    out = [_label(v, what, limit) for v in values]
    if len(out) < minimum:
        raise ValueError(f"a checkpoint needs at least {minimum} {what}s, got {len(out)}")
    seen = set()
    for v in out:
        if v in seen:
            raise ValueError(f"{what} {v!r} appears twice")
        seen.add(v)
    return out


def _id(value) -> str:
    value = _text(value, "id")
    if value != value.strip():
        raise ValueError(f"id {value!r} must have no leading or trailing spaces")
    return value


def _pack(payload: dict) -> str:
    """One opaque string for the ``sealed`` keyword: base64 of canonical JSON."""
    return base64.urlsafe_b64encode(to_json(payload).encode("utf-8")).decode("ascii")


def _unpack(blob, kind: str, fields: dict) -> dict:
    """Read a ``sealed`` string back, checking that it was made for this kind of checkpoint.

    ``fields`` maps each expected key to its type (``str`` or ``list`` of str).
    """
    try:
        data = json.loads(base64.urlsafe_b64decode(blob.encode("ascii")).decode("utf-8"))
    except (AttributeError, ValueError, UnicodeError, binascii.Error):
        data = None
    if not isinstance(data, dict):
        raise ValueError("sealed is not a valid sealed checkpoint string (was it edited or cut?)")
    if data.get("kind") != kind:
        raise ValueError(f"sealed was made for a {data.get('kind')!r} checkpoint, not {kind!r}")
    if data.get("version") != SEALED_VERSION:
        raise ValueError(f"sealed has version {data.get('version')!r}; expected {SEALED_VERSION}")
    for key, typ in fields.items():
        value = data.get(key)
        ok = isinstance(value, typ)
        if ok and typ is list:
            ok = all(isinstance(v, str) for v in value)
        if not ok:
            raise ValueError(f"sealed is missing a valid {key!r} entry (was it edited?)")
    return data


def _unseal_all(blobs: list, salt: str, tag: str, labels: list[str], what: str) -> list[str]:
    """Unseal one text per public label; a mismatch means the release was edited by hand."""
    if len(blobs) != len(labels):
        raise ValueError(
            f"sealed holds {len(blobs)} {what} texts but there are {len(labels)} {what}s; "
            f"the {what}s do not match the sealed data (edited after release?)"
        )
    try:
        return [unseal(blob, salt, tag, label) for blob, label in zip(blobs, labels, strict=True)]
    except ValueError:
        raise ValueError(
            f"the {what}s do not match the sealed data (was one renamed after release?)"
        ) from None


def _no_mixing(sealed, **source_only) -> None:
    """The sealed form must not also carry source-only answers: that would defeat sealing."""
    given = [name for name, value in source_only.items() if value is not None]
    if sealed is not None and given:
        raise ValueError(
            f"give either the source form (with {', '.join(given)}) or the sealed form "
            "(with sealed=...), not both"
        )


def _filter_bundle(bundle: dict, include=None, exclude=None) -> dict:
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def _p(*parts: str) -> str:
    return "<p>" + " ".join(parts) + "</p>"


def _verdict(right: bool, words: str) -> str:
    symbol, style = (_RIGHT, _RIGHT_STYLE) if right else (_WRONG, _WRONG_STYLE)
    return f'<strong style="{style}">{symbol} {_esc(words)}</strong>'


def _feedback_html(*paragraphs: str) -> str:
    # role="status" lets screen readers announce the new feedback without moving focus.
    return '<div role="status" style="line-height: 1.5">' + "".join(paragraphs) + "</div>"


# --------------------------------------------------------------------------------------------
# The shared machinery
# --------------------------------------------------------------------------------------------


class _Checkpoint:
    """Widgets, buttons, attempts, progress and text rendering shared by the three kinds.

    Subclasses provide ``_load`` (read the sealed form), ``_controls`` (answer widgets),
    ``_read`` (current answer or a message why it is incomplete), ``_judge`` (feedback for an
    answer), ``_show`` (put an answer into the controls), ``_reveal_html`` and ``_text_body``.
    """

    _kind = ""

    #: Keywords only the source form may carry (never written into a student's notebook).
    _source_only: tuple[str, ...] = ("explanation",)

    def _init(self, given: dict) -> None:
        """Shared constructor: normalise to the sealed form, load it, build widgets, register."""
        self._prepare(self._normalize(given))
        self.solved = False
        self.revealed = False
        self.attempts = 0
        self.wrong_attempts = 0
        self.widget = None
        if not autograding():
            self._build()
        progress.register(self.id)

    def _prepare(self, kwargs: dict) -> None:
        """Check and load sealed-form arguments; builds no widget and registers nothing."""
        self.id = _id(kwargs["id"])
        self.question = _text(kwargs["question"], "question")
        self.hint = _text(kwargs["hint"], "hint")
        self._salt = salt_for(self.id)
        self._load(kwargs)

    @classmethod
    def _normalize(cls, given: dict) -> dict:
        """Sealed-form keyword arguments from either form (sealing the source form)."""
        sealed = given.get("sealed")
        if sealed is None:
            return cls._seal_source(**{k: v for k, v in given.items() if k != "sealed"})
        _no_mixing(sealed, **{k: given.get(k) for k in cls._source_only})
        return {k: v for k, v in given.items() if k not in cls._source_only}

    # -- sealing ---------------------------------------------------------------------------

    @classmethod
    def sealed_arguments(cls, **kwargs) -> dict:
        """Return the sealed-form keyword arguments for a checkpoint given in source form.

        The release preprocessor writes them back as ``Kind(**returned)``; every value is a plain
        str or list of str, so ``repr()`` writes valid Python. The result is loaded once before it
        is returned, so a release can never hold a checkpoint that fails to open. Sealed-form
        arguments are checked and returned as they are, so sealing twice is harmless.
        """
        inspect.signature(cls).bind(**kwargs)  # unknown or missing keywords: TypeError, as a call
        sealed_kwargs = cls._normalize(kwargs)
        cls.__new__(cls)._prepare(sealed_kwargs)  # no widgets, no progress registration
        return sealed_kwargs

    @classmethod
    def _seal_source(cls, **kwargs) -> dict:  # pragma: no cover - overridden
        raise NotImplementedError

    # -- widgets ---------------------------------------------------------------------------

    def _build(self) -> None:
        # Each widget gets its own Layout: a shared Layout is one model; hiding one would hide all.
        self.question_html = widgets.HTML(
            value=self._question_html(),
            tooltip="Checkpoint question",
            layout=widgets.Layout(width="auto"),
        )
        self.check_button = widgets.Button(
            description="Check",
            tooltip="Check your answer",
            button_style="primary",
            layout=widgets.Layout(width="auto"),
        )
        self.hint_button = widgets.Button(
            description="Hint", tooltip="Show or hide a hint", layout=widgets.Layout(width="auto")
        )
        self.retry_button = widgets.Button(
            description="Try again",
            tooltip="Clear your answer and the feedback, and answer again",
            layout=widgets.Layout(width="auto"),
        )
        self.reveal_button = widgets.Button(
            description="Show answer",
            tooltip="Show the right answer and the explanation",
            layout=widgets.Layout(width="auto", display="none"),
        )
        self.hint_box = widgets.HTML(value="", tooltip="Hint", layout=widgets.Layout(width="auto"))
        self.feedback = widgets.HTML(
            value="", tooltip="Feedback on your answer", layout=widgets.Layout(width="auto")
        )
        self.check_button.on_click(lambda _b: self.check())
        self.hint_button.on_click(lambda _b: self.toggle_hint())
        self.retry_button.on_click(lambda _b: self.retry())
        self.reveal_button.on_click(lambda _b: self.reveal())
        buttons = widgets.HBox(
            [self.check_button, self.hint_button, self.retry_button, self.reveal_button],
            layout=widgets.Layout(width="auto", flex_flow="row wrap"),
        )
        self.widget = widgets.VBox(
            [self.question_html, *self._controls(), buttons, self.hint_box, self.feedback],
            layout=widgets.Layout(
                width="auto",
                max_width="800px",
                border="1px solid var(--jp-border-color2, #ccc)",
                padding="4px 8px",
                margin="4px 0",
            ),
        )
        self.widget.add_class(BOX_CLASS)

    def _question_html(self) -> str:
        # The class lets the helper name a multiple-choice group by its question.
        question = _esc(self.question)
        return f'<p class="mlops-question"><strong>Checkpoint:</strong> {question}</p>' + _HELPER_HTML

    # -- behaviour -------------------------------------------------------------------------

    def check(self) -> bool:
        """Judge the current answer and show feedback. Returns True when it is right.

        An incomplete answer only gets a message saying what is missing; it is not counted as an
        attempt, so a slip of the mouse does not bring "Show answer" closer.
        """
        if self.check_button.disabled:  # after "Show answer", until "Try again"
            return False
        answer, problem = self._read()
        if problem is not None:
            self.feedback.value = _feedback_html(_p(_esc(problem)))
            return False
        self.attempts += 1
        right, body = self._judge(answer)
        if right:
            self._mark_solved()
        else:
            self.wrong_attempts += 1
            if self.wrong_attempts >= REVEAL_AFTER:
                self.reveal_button.layout.display = None
        self.feedback.value = _feedback_html(body)
        return right

    def toggle_hint(self) -> None:
        """Show the hint, or hide it again (the button says which)."""
        if self.hint_box.value:
            self.hint_box.value = ""
            self.hint_button.description = "Hint"
        else:
            self.hint_box.value = _p("<strong>Hint:</strong>", _esc(self.hint))
            self.hint_button.description = "Hide hint"

    def retry(self) -> None:
        """Clear the answer and the feedback. Solved stays solved; "Show answer" stays earned."""
        self._show(None)
        self.feedback.value = ""
        self.check_button.disabled = False

    def reveal(self) -> None:
        """Show the right answer, its feedback and the explanation (giving up is allowed).

        The controls are set to the answer, and Check is disabled until "Try again", so the
        checkpoint counts as solved only when the student enters the answer themselves.
        """
        solution = self._solution()
        self.revealed = True
        self._show(solution)
        self.check_button.disabled = True
        self.feedback.value = _feedback_html(
            self._reveal_html(solution),
            _p("Click <strong>Try again</strong> to answer it yourself."),
        )

    def _mark_solved(self) -> None:
        if not self.solved:
            self.solved = True
            progress.mark_solved(self.id)

    def _explanation(self, solution) -> str:
        """The explanation can only be unsealed with the right answer as (part of) its key."""
        return unseal(self._data["explanation"], self._salt, "explanation", solution)

    def _explanation_html(self, solution) -> str:
        return _p("<strong>Explanation:</strong>", _esc(self._explanation(solution)))

    # -- text rendering --------------------------------------------------------------------

    def to_text(self) -> str:
        """The plain-text form, for places where widgets cannot show (GitHub, nbconvert HTML)."""
        lines = [f"Checkpoint: {self.question}", *self._text_body(), f"Hint: {self.hint}"]
        lines.append(_INTERACTIVE_NOTE)
        return "\n".join(lines)

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The container widget's own bundle, with the text form as its "text/plain"."""
        bundle = dict(self.widget._repr_mimebundle_() or {}) if self.widget is not None else {}
        bundle["text/plain"] = self.to_text()
        return _filter_bundle(bundle, include, exclude)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.id!r}>"


# --------------------------------------------------------------------------------------------
# Multiple choice
# --------------------------------------------------------------------------------------------


class MultipleChoice(_Checkpoint):
    """One right option among several; every option has its own feedback saying why.

    Source form: ``options`` is a dict ``{option: feedback}`` plus ``answer`` and ``explanation``.
    Sealed form: ``options`` is the list of options and ``sealed`` carries the rest.
    """

    _kind = "MultipleChoice"
    _source_only = ("answer", "explanation")

    def __init__(
        self,
        *,
        id: str,
        question: str,
        options,
        hint: str,
        answer: str | None = None,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                options=options,
                hint=hint,
                answer=answer,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, options, hint, answer=None, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        if not isinstance(options, dict):
            raise ValueError(
                "options must be a dict {option: feedback} in the source form, so that every "
                "option has feedback saying why it is right or wrong"
            )
        labels = _labels(list(options), "option", MAX_CHOICE_CHARS, 2)
        for label in labels:
            _text(options[label], f"the feedback for option {label!r}")
        if answer is None:
            raise ValueError("answer is missing: name the right option (or give sealed=...)")
        if answer not in options:
            raise ValueError(f"answer {answer!r} is not one of the options {labels!r}")
        _text(explanation, "explanation")
        salt = salt_for(id)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "answer": digest(answer, salt),
            "feedback": [seal(options[o], salt, "feedback", o) for o in labels],
            "explanation": seal(explanation, salt, "explanation", answer),
        }
        return {
            "id": id,
            "question": question,
            "options": labels,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.options = _labels(kwargs["options"], "option", MAX_CHOICE_CHARS, 2)
        self._data = _unpack(
            kwargs["sealed"], self._kind, {"answer": str, "feedback": list, "explanation": str}
        )
        texts = _unseal_all(self._data["feedback"], self._salt, "feedback", self.options, "option")
        self._option_feedback = dict(zip(self.options, texts, strict=True))
        self._solution()  # fails now, not at "Show answer", if options and digest disagree

    def _solution(self) -> str:
        right = [o for o in self.options if matches(o, self._data["answer"])]
        if len(right) != 1:
            raise ValueError(
                f"the options do not match the sealed answer of checkpoint {self.id!r} "
                "(was an option or the id changed after release?)"
            )
        return right[0]

    def _controls(self) -> list:
        # No description: the group is named by the question (see the helper), and the options
        # get the whole width of the box.
        self.choices = widgets.RadioButtons(
            options=list(self.options),
            value=None,
            tooltip="Choose one answer",
            layout=widgets.Layout(width="auto", max_width="100%"),
        )
        return [self.choices]

    def _read(self):
        if self.choices.value is None:
            return None, "Choose an answer first, then click Check."
        return self.choices.value, None

    def _judge(self, choice):
        why = _esc(self._option_feedback[choice])
        if matches(choice, self._data["answer"]):
            return True, _p(_verdict(True, "Correct."), why) + self._explanation_html(choice)
        return False, _p(_verdict(False, "Not quite."), why)

    def _show(self, solution) -> None:
        self.choices.value = solution

    def _reveal_html(self, solution) -> str:
        return (
            _p("The right answer is:", f"<strong>{_esc(solution)}</strong>.")
            + _p(_esc(self._option_feedback[solution]))
            + self._explanation_html(solution)
        )

    def _text_body(self) -> list[str]:
        return [f"  ( ) {o}" for o in self.options]


# --------------------------------------------------------------------------------------------
# Classify
# --------------------------------------------------------------------------------------------


class Classify(_Checkpoint):
    """Put each item into the right bucket; every item has a why shown when it is misplaced.

    Source form: ``items`` is a dict ``{item: (bucket, why)}`` plus ``explanation``.
    Sealed form: ``items`` is the list of items and ``sealed`` carries the rest.
    """

    _kind = "Classify"

    def __init__(
        self,
        *,
        id: str,
        question: str,
        buckets,
        items,
        hint: str,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                buckets=buckets,
                items=items,
                hint=hint,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, buckets, items, hint, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        bucket_list = _labels(buckets, "bucket", MAX_CHOICE_CHARS, 2)
        if not isinstance(items, dict):
            raise ValueError(
                "items must be a dict {item: (bucket, why)} in the source form, so that every "
                "item has its bucket and a why"
            )
        labels = _labels(list(items), "item", MAX_ITEM_CHARS, 1)
        mapping = {}
        whys = []
        for item in labels:
            value = items[item]
            if not isinstance(value, (tuple, list)) or len(value) != 2:
                raise ValueError(f"item {item!r} must map to a pair (bucket, why), got {value!r}")
            bucket, why = value
            if bucket not in bucket_list:
                raise ValueError(
                    f"item {item!r} is put in {bucket!r}, which is not one of the buckets "
                    f"{bucket_list!r}"
                )
            mapping[item] = bucket
            whys.append(_text(why, f"the why for item {item!r}"))
        _text(explanation, "explanation")
        salt = salt_for(id)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "placement": [digest([item, mapping[item]], salt) for item in labels],
            "why": [seal(why, salt, "why", item) for item, why in zip(labels, whys, strict=True)],
            "explanation": seal(explanation, salt, "explanation", mapping),
        }
        return {
            "id": id,
            "question": question,
            "buckets": bucket_list,
            "items": labels,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.buckets = _labels(kwargs["buckets"], "bucket", MAX_CHOICE_CHARS, 2)
        self.items = _labels(kwargs["items"], "item", MAX_ITEM_CHARS, 1)
        self._data = _unpack(
            kwargs["sealed"], self._kind, {"placement": list, "why": list, "explanation": str}
        )
        if len(self._data["placement"]) != len(self.items):
            raise ValueError("the items do not match the sealed data (edited after release?)")
        texts = _unseal_all(self._data["why"], self._salt, "why", self.items, "item")
        self._why = dict(zip(self.items, texts, strict=True))
        self._solution()

    def _placed_right(self, index: int, bucket: str) -> bool:
        return matches([self.items[index], bucket], self._data["placement"][index])

    def _solution(self) -> dict:
        mapping = {}
        for i, item in enumerate(self.items):
            right = [b for b in self.buckets if self._placed_right(i, b)]
            if len(right) != 1:
                raise ValueError(
                    f"item {item!r} does not match the sealed answer of checkpoint {self.id!r} "
                    "(was an item, a bucket or the id changed after release?)"
                )
            mapping[item] = right[0]
        return mapping

    def _controls(self) -> list:
        # One radio group per item, named by the item, with the buckets as its choices.
        self.groups = [
            widgets.RadioButtons(
                options=list(self.buckets),
                value=None,
                description=item,
                orientation="horizontal",
                tooltip=f"Choose the bucket for: {item}",
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto", max_width="100%"),
            )
            for item in self.items
        ]
        buckets = " · ".join(_esc(b) for b in self.buckets)
        self.buckets_html = widgets.HTML(
            value=_p("<strong>Buckets:</strong>", buckets),
            tooltip="The buckets to choose from",
            layout=widgets.Layout(width="auto"),
        )
        return [self.buckets_html, *self.groups]

    def _read(self):
        chosen = [g.value for g in self.groups]
        missing = sum(1 for c in chosen if c is None)
        if missing:
            return None, (
                f"Choose a bucket for every item first ({missing} of {len(chosen)} "
                "not chosen yet), then click Check."
            )
        return chosen, None

    def _judge(self, chosen):
        placed = [self._placed_right(i, b) for i, b in enumerate(chosen)]
        n, good = len(placed), sum(placed)
        if good == n:
            mapping = dict(zip(self.items, chosen, strict=True))
            return True, (
                _p(_verdict(True, f"Correct: all {n} items are in the right bucket."))
                + self._explanation_html(mapping)
                + self._why_list(mapping)
            )
        lines = [
            f"<li>{_verdict(False, item)}: {_esc(self._why[item])}</li>"
            for item, ok in zip(self.items, placed, strict=True)
            if not ok
        ]
        return False, (
            _p(_verdict(False, f"Not quite: {good} of {n} items are in the right bucket."))
            + _p("Have another look at these:")
            + "<ul>"
            + "".join(lines)
            + "</ul>"
        )

    def _why_list(self, mapping: dict) -> str:
        rows = [
            f"<li><strong>{_esc(item)}</strong> → {_esc(mapping[item])}: {_esc(self._why[item])}"
            "</li>"
            for item in self.items
        ]
        return "<ul>" + "".join(rows) + "</ul>"

    def _show(self, solution) -> None:
        for item, group in zip(self.items, self.groups, strict=True):
            group.value = None if solution is None else solution[item]

    def _reveal_html(self, solution) -> str:
        return (
            _p("The right buckets are:")
            + self._why_list(solution)
            + self._explanation_html(solution)
        )

    def _text_body(self) -> list[str]:
        return [f"  Buckets: {' | '.join(self.buckets)}"] + [f"  [ ] {item}" for item in self.items]


# --------------------------------------------------------------------------------------------
# Order
# --------------------------------------------------------------------------------------------


def _display_order(checkpoint_id: str, steps: list[str]) -> list[str]:
    """A deterministic shuffle of ``steps`` that is never their correct order (for 2+ steps).

    Sorting by salted digests gives the same order on every run and machine (unlike ``random``,
    whose algorithms may change between Python versions). If that happens to be the correct order,
    rotating it by one fixes that: a rotation of distinct items is never the identity.
    """
    salt = salt_for(checkpoint_id, "display-order")
    order = sorted(steps, key=lambda step: digest(step, salt))
    if order == list(steps) and len(order) > 1:
        order = order[1:] + order[:1]
    return order


class Order(_Checkpoint):
    """Put steps in order; each position is marked right or wrong, with the why of its step.

    Source form: ``steps`` is a dict ``{step: why}`` written in the correct order, plus
    ``explanation``. Sealed form: ``steps`` is the list in a fixed shuffled display order. Both
    show the steps in that shuffled order, never in the correct one.
    """

    _kind = "Order"

    def __init__(
        self,
        *,
        id: str,
        question: str,
        steps,
        hint: str,
        explanation: str | None = None,
        sealed: str | None = None,
    ):
        self._init(
            dict(
                id=id,
                question=question,
                steps=steps,
                hint=hint,
                explanation=explanation,
                sealed=sealed,
            )
        )

    @classmethod
    def _seal_source(cls, *, id, question, steps, hint, explanation=None) -> dict:
        id = _id(id)
        _text(question, "question")
        _text(hint, "hint")
        if not isinstance(steps, dict):
            raise ValueError(
                "steps must be a dict {step: why} in the correct order in the source form, so "
                "that every step has a why"
            )
        correct = _labels(list(steps), "step", MAX_CHOICE_CHARS, 2)
        for step in correct:
            _text(steps[step], f"the why for step {step!r}")
        _text(explanation, "explanation")
        salt = salt_for(id)
        shown = _display_order(id, correct)
        payload = {
            "kind": cls._kind,
            "version": SEALED_VERSION,
            "sequence": digest(correct, salt),
            "positions": [digest([i, step], salt) for i, step in enumerate(correct, start=1)],
            "why": [seal(steps[step], salt, "why", step) for step in shown],
            "explanation": seal(explanation, salt, "explanation", correct),
        }
        return {
            "id": id,
            "question": question,
            "steps": shown,
            "hint": hint,
            "sealed": _pack(payload),
        }

    def _load(self, kwargs: dict) -> None:
        self.steps = _labels(kwargs["steps"], "step", MAX_CHOICE_CHARS, 2)
        self._data = _unpack(
            kwargs["sealed"],
            self._kind,
            {"sequence": str, "positions": list, "why": list, "explanation": str},
        )
        if len(self._data["positions"]) != len(self.steps):
            raise ValueError("the steps do not match the sealed data (edited after release?)")
        texts = _unseal_all(self._data["why"], self._salt, "why", self.steps, "step")
        self._why = dict(zip(self.steps, texts, strict=True))
        self._solution()

    def _at_right_place(self, position: int, step: str) -> bool:
        return matches([position, step], self._data["positions"][position - 1])

    def _solution(self) -> list[str]:
        """Recover the order position by position (n² digests, not n! permutations)."""
        sequence = []
        for position in range(1, len(self.steps) + 1):
            right = [s for s in self.steps if self._at_right_place(position, s)]
            if len(right) != 1:
                sequence = None
                break
            sequence.append(right[0])
        if sequence is None or not matches(sequence, self._data["sequence"]):
            raise ValueError(
                f"the steps do not match the sealed answer of checkpoint {self.id!r} "
                "(was a step or the id changed after release?)"
            )
        return sequence

    def _controls(self) -> list:
        # One radio group per step (in the shuffled display order), named by the step, with the
        # positions 1..n as its choices.
        positions = [(str(n), n) for n in range(1, len(self.steps) + 1)]
        self.groups = [
            widgets.RadioButtons(
                options=positions,
                value=None,
                description=step,
                orientation="horizontal",
                tooltip=f"Choose the position of: {step}",
                style={"description_width": "initial"},
                layout=widgets.Layout(width="auto", max_width="100%"),
            )
            for step in self.steps
        ]
        self.steps_html = widgets.HTML(
            value=_p(
                f"Give each step its position, from 1 (first) to {len(self.steps)} (last)."
            ),
            tooltip="How to answer",
            layout=widgets.Layout(width="auto"),
        )
        return [self.steps_html, *self.groups]

    def _read(self):
        """The steps in the order of the positions chosen, or what to fix first."""
        chosen = [g.value for g in self.groups]
        missing = sum(1 for c in chosen if c is None)
        if missing:
            return None, (
                f"Choose a position for every step first ({missing} of {len(chosen)} "
                "not chosen yet), then click Check."
            )
        for position in range(1, len(self.steps) + 1):
            where = [f"“{s}”" for s, c in zip(self.steps, chosen, strict=True) if c == position]
            if len(where) > 1:
                return None, (
                    f"Use each position once: {' and '.join(where)} are both at position "
                    f"{position}."
                )
        return [step for _, step in sorted(zip(chosen, self.steps, strict=True))], None

    def _judge(self, chosen):
        placed = [self._at_right_place(i, s) for i, s in enumerate(chosen, start=1)]
        n, good = len(placed), sum(placed)
        if good == n and matches(chosen, self._data["sequence"]):
            return True, (
                _p(_verdict(True, f"Correct: all {n} steps are in the right order."))
                + self._explanation_html(chosen)
                + self._why_list(chosen)
            )
        rows = []
        for position, (step, ok) in enumerate(zip(chosen, placed, strict=True), start=1):
            if ok:
                rows.append(f"<li>{_verdict(True, f'Step {position}')}: {_esc(step)}</li>")
            else:
                rows.append(
                    f"<li>{_verdict(False, f'Step {position}')}: {_esc(step)} — "
                    f"{_esc(self._why[step])}</li>"
                )
        return False, (
            _p(_verdict(False, f"Not quite: {good} of {n} steps are in the right place."))
            + "<ul>"
            + "".join(rows)
            + "</ul>"
        )

    def _why_list(self, sequence: list[str]) -> str:
        rows = [
            f"<li><strong>{_esc(step)}</strong>: {_esc(self._why[step])}</li>" for step in sequence
        ]
        return "<ol>" + "".join(rows) + "</ol>"

    def _show(self, solution) -> None:
        for step, group in zip(self.steps, self.groups, strict=True):
            group.value = None if solution is None else solution.index(step) + 1

    def _reveal_html(self, solution) -> str:
        return (
            _p("The right order is:") + self._why_list(solution) + self._explanation_html(solution)
        )

    def _text_body(self) -> list[str]:
        lines = ["  Steps, in no particular order:"]
        lines += [f"  - {step}" for step in self.steps]
        lines += [f"  Step {i}: ____" for i in range(1, len(self.steps) + 1)]
        return lines

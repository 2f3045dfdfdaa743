"""Ungraded checkpoints: small widget quizzes with instant feedback.

Three kinds mirror the course's exercise kinds: :class:`MultipleChoice`, :class:`Classify` (put
items into buckets) and :class:`Order` (put steps in order). Each gives feedback that says *why*
for every option, item or step, a hint, an explanation once the answer is right, a way to try
again, and "Show answer" after two wrong attempts. A first wrong Classify or Order says only how
many are misplaced, with the hint; the misplaced items or steps are named from the second miss
(with two buckets, naming them at once would give the answer away). They are built only from
standard ipywidgets (RadioButtons, Button, HTML), and they show a plain-text version wherever
widgets cannot render (GitHub, nbconvert HTML).

Keyboard and screen readers
---------------------------
Every answer is a group of radio buttons: one group for a multiple-choice question (named by the
question), one per item for Classify (the buckets are its choices, the item names it) and one per
step for Order (its position is the choice, the step names it). Tab reaches a group, the arrow keys
or Space choose, Tab goes on to Check, Hint, Try again and Show answer, and Space or Enter presses
them.

Each checkpoint's question carries the keyboard helper of :mod:`mlops_concepts.keyboard`, so keys
typed in it never become notebook shortcuts, and each radio group is named and one Tab stop.

The forms, sealing and loading are in :mod:`mlops_concepts.checkpoints.sealing`; this module adds
the widgets.
"""

from __future__ import annotations

import html

from .. import progress
from ..answers import matches
from ..autograding import autograding
from ..autograding import ipywidgets as widgets
from ..keyboard import HELPER_HTML as _HELPER_HTML
from ..keyboard import KEYS_CLASS
from ..progress import widget_bundle
from .sealing import (
    PLACEHOLDER,
    ClassifySpec,
    MultipleChoiceSpec,
    OrderSpec,
    Sealed,
)

__all__ = ["Classify", "MultipleChoice", "Order", "PLACEHOLDER"]

#: Class of every checkpoint's outer box.
BOX_CLASS = "mlops-checkpoint"

#: How many wrong checks before "Show answer" appears: enough to make the student think first.
REVEAL_AFTER = 2

#: Which wrong check of a Classify or Order first names the misplaced items or steps. Before it,
#: feedback says only how many are misplaced, with the hint: with two buckets, naming the
#: misplaced items on the first miss *is* the answer.
NAME_AFTER = 2

_RIGHT = "✔"

_WRONG = "✘"

# Words and symbol carry the meaning; the colour (a JupyterLab theme variable, so it follows light
# and dark themes, and is simply ignored elsewhere) only reinforces it.
_RIGHT_STYLE = "color: var(--jp-success-color1, inherit)"

_WRONG_STYLE = "color: var(--jp-error-color1, inherit)"


def _esc(text: str) -> str:
    """Escape for the HTML widgets; quotes stay readable, they are never inside attributes."""
    return html.escape(text, quote=False)


def _p(*parts: str) -> str:
    return "<p>" + " ".join(parts) + "</p>"


def _verdict(right: bool, words: str) -> str:
    symbol, style = (_RIGHT, _RIGHT_STYLE) if right else (_WRONG, _WRONG_STYLE)
    return f'<strong style="{style}">{symbol} {_esc(words)}</strong>'


def _feedback_html(*paragraphs: str) -> str:
    # role="status" lets screen readers announce the new feedback without moving focus.
    return '<div role="status" style="line-height: 1.5">' + "".join(paragraphs) + "</div>"


class _Checkpoint(Sealed):
    """Widgets, buttons, attempts, progress and text rendering shared by the three kinds.

    Subclasses provide ``_load`` (read the sealed form), ``_controls`` (answer widgets),
    ``_read`` (current answer or a message why it is incomplete), ``_judge`` (feedback for an
    answer), ``_show`` (put an answer into the controls), ``_reveal_html`` and ``_text_body``.
    """

    def _init(self, given: dict) -> None:
        """Shared constructor: normalise to the sealed form, load it, build widgets, register."""
        super()._init(given)
        self.solved = False
        self.revealed = False
        self.attempts = 0
        self.wrong_attempts = 0
        self.widget = None
        if not autograding():
            self._build()
        progress.register(self.id)
        if progress.is_solved(self.id) and self.widget is not None:
            self._show_solved_earlier()

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
        self.widget.add_class(KEYS_CLASS)  # the keyboard helper's box

    def _question_html(self) -> str:
        # The class lets the helper name a multiple-choice group by its question.
        question = _esc(self.question)
        return f'<p class="mlops-question"><strong>Checkpoint:</strong> {question}</p>' + _HELPER_HTML

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

    def _names_misplaced(self) -> bool:
        """Whether the miss being judged may name what is misplaced (see :data:`NAME_AFTER`).

        Called by ``_judge`` before the miss is counted. Misses are never reset (not by "Try
        again" either), so after "Show answer", which needs two misses, every miss names.
        """
        return self.wrong_attempts + 1 >= NAME_AFTER

    def _count_only_html(self, wrong: int, total: int, what: str) -> str:
        """A first miss: how many are misplaced and a nudge toward the idea, never which ones."""
        return (
            _p(_verdict(False, f"Not quite: {wrong} of {total} {what}."))
            + _p("<strong>Think about this:</strong>", _esc(self.hint))
            + _p(
                "Change what you are least sure of and click <strong>Check</strong> again; if it "
                "is still not right, the feedback then names what to look at."
            )
        )

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

    def _show_solved_earlier(self) -> None:
        """Show a checkpoint solved before (this kernel, or one before a restart) as solved.

        Only *that* it was solved is kept (see :mod:`mlops_concepts.progress`), never the answer:
        the right answer is recovered from the sealed digests, as "Show answer" does, so nothing
        beside the notebook holds an answer in plain text.
        """
        solution = self._solution()
        self.solved = True
        self._show(solution)
        self.feedback.value = _feedback_html(
            _p(_verdict(True, "Solved: you answered this checkpoint correctly earlier.")),
            self._explanation_html(solution),
            _p("Click <strong>Try again</strong> to answer it once more."),
        )

    def _mark_solved(self) -> None:
        if not self.solved:
            self.solved = True
            progress.mark_solved(self.id)

    def _explanation_html(self, solution) -> str:
        return _p("<strong>Explanation:</strong>", _esc(self._explanation(solution)))

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The container widget's own bundle, with the text form as its "text/plain"."""
        return widget_bundle(self.widget, self.to_text(), include, exclude)


class MultipleChoice(_Checkpoint, MultipleChoiceSpec):
    """One right option among several; every option has its own feedback saying why. (the widget)."""

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


class Classify(_Checkpoint, ClassifySpec):
    """Put each item into the right bucket; every item has a why shown when it is misplaced. (the widget)."""

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
        if not self._names_misplaced():
            return False, self._count_only_html(n - good, n, "items are not in the right bucket yet")
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
            f"<li><strong>{_esc(item)}</strong> → {_esc(mapping[item])}: {_esc(self._why[item])}</li>"
            for item in self.items
        ]
        return "<ul>" + "".join(rows) + "</ul>"

    def _show(self, solution) -> None:
        for item, group in zip(self.items, self.groups, strict=True):
            group.value = None if solution is None else solution[item]

    def _reveal_html(self, solution) -> str:
        return _p("The right buckets are:") + self._why_list(solution) + self._explanation_html(solution)


class Order(_Checkpoint, OrderSpec):
    """Put steps in order; each position is marked right or wrong, with the why of its step. (the widget)."""

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
            value=_p(f"Give each step its position, from 1 (first) to {len(self.steps)} (last)."),
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
                    f"Use each position once: {' and '.join(where)} are both at position {position}."
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
        if not self._names_misplaced():
            return False, self._count_only_html(n - good, n, "steps are not in the right place yet")
        rows = []
        for position, (step, ok) in enumerate(zip(chosen, placed, strict=True), start=1):
            if ok:
                rows.append(f"<li>{_verdict(True, f'Step {position}')}: {_esc(step)}</li>")
            else:
                rows.append(
                    f"<li>{_verdict(False, f'Step {position}')}: {_esc(step)} — {_esc(self._why[step])}</li>"
                )
        return False, (
            _p(_verdict(False, f"Not quite: {good} of {n} steps are in the right place."))
            + "<ul>"
            + "".join(rows)
            + "</ul>"
        )

    def _why_list(self, sequence: list[str]) -> str:
        rows = [f"<li><strong>{_esc(step)}</strong>: {_esc(self._why[step])}</li>" for step in sequence]
        return "<ol>" + "".join(rows) + "</ol>"

    def _show(self, solution) -> None:
        for step, group in zip(self.steps, self.groups, strict=True):
            group.value = None if solution is None else solution.index(step) + 1

    def _reveal_html(self, solution) -> str:
        return _p("The right order is:") + self._why_list(solution) + self._explanation_html(solution)

"""The checkpoint widgets, driven from Python: set a control's value, then click a button.

The same behaviour is expected from the source form (what the instructor writes) and the sealed
form (what students get), so most tests run on both, and one test compares them answer by answer.
"""

from __future__ import annotations

import ast
import base64
import itertools
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import pytest

from mlops_concepts import progress
from mlops_concepts.checkpoints import (
    _HELPER_HTML,
    BOX_CLASS,
    MAX_CHOICE_CHARS,
    PLACEHOLDER,
    Classify,
    MultipleChoice,
    Order,
    _display_order,
)

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"

MC = dict(
    id="cp-test-mlops-definition",
    question="What is MLOps?",
    options={
        "A set of practices to deploy and maintain ML models": "Right: MLOps is about practices "
        "that carry a model from design to a reliable service.",
        "A Python library for training models": "MLOps is not a tool you install; libraries help "
        "but the practices come first.",
        "Another name for data science": "Data science builds models; MLOps keeps them useful in production.",
    },
    answer="A set of practices to deploy and maintain ML models",
    hint="Think about what happens after a model is trained.",
    explanation="MLOps combines ML, DevOps and data engineering practices across the lifecycle.",
)

CLASSIFY = dict(
    id="cp-test-tasks-to-phases",
    question="In which phase does each task belong?",
    buckets=["Design", "Development", "Deployment"],
    items={
        "Define key metrics": ("Design", "Success has to be measurable before any model exists."),
        "Train a model": ("Development", "Training is where experiments turn data into a model."),
        "Monitor predictions": ("Deployment", "Only a running service has live predictions."),
    },
    hint="Ask: does the task need a model yet, or a running service?",
    explanation="Design decides what to build, development builds it, deployment runs it.",
)

ORDER = dict(
    id="cp-test-lifecycle-order",
    question="Put the MLOps lifecycle phases in order.",
    steps={
        "Design": "Everything starts from the business need and its metrics.",
        "Development": "Models are built once the goal is clear.",
        "Deployment": "Only a finished model can be put in production.",
    },
    hint="You cannot run what you have not built.",
    explanation="Design, then development, then deployment; monitoring feeds back into design.",
)

SOURCES = {"mc": (MultipleChoice, MC), "classify": (Classify, CLASSIFY), "order": (Order, ORDER)}
RIGHT_MC = MC["answer"]
WRONG_MC = [o for o in MC["options"] if o != RIGHT_MC]
CORRECT_STEPS = list(ORDER["steps"])


@pytest.fixture(autouse=True)
def _fresh_progress(tmp_path):
    # Solving a checkpoint saves progress: keep that file out of the repository.
    progress.reset()
    progress.use_store(tmp_path / progress.STORE_NAME)
    yield
    progress.reset()


@pytest.fixture(params=["source", "sealed"])
def form(request):
    """Build checkpoints from the source form or from the sealed form."""

    def build(kind, source):
        if request.param == "source":
            return kind(**source)
        return kind(**kind.sealed_arguments(**source))

    return build


def secrets_of(source) -> list[str]:
    """Every text that must not appear in plain sight in the sealed form."""
    texts = [source["explanation"]]
    if "options" in source:
        texts += list(source["options"].values())
    if "items" in source:
        texts += [why for _, why in source["items"].values()]
    if "steps" in source:
        texts += list(source["steps"].values())
    return texts


def answer_classify(cp, mapping):
    for item, group in zip(cp.items, cp.groups, strict=True):
        group.value = mapping[item]
    cp.check_button.click()


def positions_for(cp, sequence):
    """The position each of ``cp.steps`` (display order) gets when the answer is ``sequence``."""
    return [sequence.index(step) + 1 for step in cp.steps]


def answer_order(cp, sequence):
    for group, position in zip(cp.groups, positions_for(cp, sequence), strict=True):
        group.value = position
    cp.check_button.click()


def right_mapping():
    return {item: bucket for item, (bucket, _) in CLASSIFY["items"].items()}


# --------------------------------------------------------------------------------------------
# Multiple choice
# --------------------------------------------------------------------------------------------


def test_mc_starts_unanswered(form):
    cp = form(MultipleChoice, MC)
    assert cp.choices.value is None
    assert list(cp.choices.options) == list(MC["options"])
    assert isinstance(cp.choices, widgets.RadioButtons)
    # No description: the helper names the group by the question, shown just above it.
    assert cp.choices.description == "" and cp.choices.tooltip
    assert cp.feedback.value == ""
    assert not cp.solved and cp.attempts == 0
    assert cp.reveal_button.layout.display == "none"


def test_mc_right_answer_solves_and_explains(form):
    cp = form(MultipleChoice, MC)
    cp.choices.value = RIGHT_MC
    cp.check_button.click()
    assert cp.solved
    assert cp.attempts == 1
    assert "✔ Correct." in cp.feedback.value
    assert MC["options"][RIGHT_MC] in cp.feedback.value
    assert MC["explanation"] in cp.feedback.value


@pytest.mark.parametrize("option", WRONG_MC)
def test_mc_each_wrong_option_gets_its_own_feedback(form, option):
    cp = form(MultipleChoice, MC)
    cp.choices.value = option
    cp.check_button.click()
    assert not cp.solved
    assert "✘ Not quite." in cp.feedback.value
    assert MC["options"][option] in cp.feedback.value
    for other, text in MC["options"].items():
        if other != option:
            assert text not in cp.feedback.value
    assert MC["explanation"] not in cp.feedback.value


def test_mc_check_without_choice_is_not_an_attempt(form):
    cp = form(MultipleChoice, MC)
    cp.check_button.click()
    assert cp.attempts == 0
    assert "Choose an answer first" in cp.feedback.value


def test_hint_button_shows_and_hides_the_hint(form):
    cp = form(MultipleChoice, MC)
    assert MC["hint"] not in cp.hint_box.value
    cp.hint_button.click()
    assert MC["hint"] in cp.hint_box.value
    assert cp.hint_button.description == "Hide hint"
    cp.hint_button.click()
    assert cp.hint_box.value == ""
    assert cp.hint_button.description == "Hint"


def test_mc_retry_clears_selection_and_feedback(form):
    cp = form(MultipleChoice, MC)
    cp.choices.value = WRONG_MC[0]
    cp.check_button.click()
    cp.retry_button.click()
    assert cp.choices.value is None
    assert cp.feedback.value == ""
    cp.choices.value = RIGHT_MC
    cp.check_button.click()
    assert cp.solved
    cp.retry_button.click()
    assert cp.solved, "trying again after solving must not undo the progress"


def test_mc_show_answer_after_two_wrong_attempts(form):
    cp = form(MultipleChoice, MC)
    cp.choices.value = WRONG_MC[0]
    cp.check_button.click()
    assert cp.reveal_button.layout.display == "none"
    cp.choices.value = WRONG_MC[1]
    cp.check_button.click()
    assert cp.reveal_button.layout.display != "none"
    cp.reveal_button.click()
    assert cp.choices.value == RIGHT_MC
    assert RIGHT_MC in cp.feedback.value
    assert MC["explanation"] in cp.feedback.value
    assert not cp.solved and cp.revealed
    # Check is off until the student tries again and enters the answer themselves.
    assert cp.check_button.disabled
    cp.check_button.click()  # as a disabled button in the browser: nothing happens
    assert not cp.solved and cp.attempts == 2
    cp.retry_button.click()
    assert not cp.check_button.disabled and cp.choices.value is None
    assert cp.reveal_button.layout.display != "none"
    cp.choices.value = RIGHT_MC
    cp.check_button.click()
    assert cp.solved


# --------------------------------------------------------------------------------------------
# Classify
# --------------------------------------------------------------------------------------------


def test_classify_has_one_radio_group_per_item_with_the_buckets_as_choices(form):
    cp = form(Classify, CLASSIFY)
    assert [g.description for g in cp.groups] == list(CLASSIFY["items"])
    for item, g in zip(CLASSIFY["items"], cp.groups, strict=True):
        assert isinstance(g, widgets.RadioButtons)  # keys stay in it (see the browser test)
        assert list(g.options) == CLASSIFY["buckets"]
        assert g.value is None
        assert g.orientation == "horizontal"
        assert item in g.tooltip
        assert g.style.description_width == "initial"  # long item texts are not cut off
        assert g.layout.width == "auto"


def test_classify_all_right_solves_and_explains(form):
    cp = form(Classify, CLASSIFY)
    answer_classify(cp, right_mapping())
    assert cp.solved
    assert "✔ Correct" in cp.feedback.value
    assert "3 items" in cp.feedback.value
    assert CLASSIFY["explanation"] in cp.feedback.value
    for _, why in CLASSIFY["items"].values():
        assert why in cp.feedback.value


def test_classify_second_miss_lists_each_misplaced_item_with_its_why(form):
    cp = form(Classify, CLASSIFY)
    mapping = right_mapping()
    mapping["Train a model"] = "Deployment"
    mapping["Monitor predictions"] = "Design"
    answer_classify(cp, mapping)
    answer_classify(cp, mapping)  # the first miss names nothing (see below)
    text = cp.feedback.value
    assert not cp.solved
    assert "1 of 3" in text
    assert "✘ Train a model" in text and CLASSIFY["items"]["Train a model"][1] in text
    assert "✘ Monitor predictions" in text
    assert CLASSIFY["items"]["Monitor predictions"][1] in text
    assert CLASSIFY["items"]["Define key metrics"][1] not in text
    assert CLASSIFY["explanation"] not in text


def test_classify_incomplete_answer_is_not_an_attempt(form):
    cp = form(Classify, CLASSIFY)
    cp.groups[0].value = "Design"
    cp.check_button.click()
    assert cp.attempts == 0
    assert "2 of 3 not chosen" in cp.feedback.value


def test_classify_retry_and_show_answer(form):
    cp = form(Classify, CLASSIFY)
    wrong = {item: "Deployment" for item in CLASSIFY["items"]}
    answer_classify(cp, wrong)
    answer_classify(cp, wrong)
    assert cp.attempts == 2 and cp.reveal_button.layout.display != "none"
    cp.reveal_button.click()
    assert [g.value for g in cp.groups] == [right_mapping()[i] for i in cp.items]
    assert CLASSIFY["explanation"] in cp.feedback.value
    cp.retry_button.click()
    assert all(g.value is None for g in cp.groups)
    assert cp.feedback.value == ""


# --------------------------------------------------------------------------------------------
# Order
# --------------------------------------------------------------------------------------------


def test_order_shows_steps_shuffled_never_in_the_right_order(form):
    cp = form(Order, ORDER)
    assert sorted(cp.steps) == sorted(CORRECT_STEPS)
    assert cp.steps != CORRECT_STEPS
    # One radio group per step, in the shuffled order, with the positions as its choices.
    assert [g.description for g in cp.groups] == cp.steps
    for step, g in zip(cp.steps, cp.groups, strict=True):
        assert isinstance(g, widgets.RadioButtons)
        assert list(g.options) == [("1", 1), ("2", 2), ("3", 3)]
        assert g.value is None and g.orientation == "horizontal"
        assert step in g.tooltip


def test_order_display_is_the_same_in_both_forms():
    sealed = Order.sealed_arguments(**ORDER)
    assert Order(**ORDER).steps == sealed["steps"] == Order(**sealed).steps


@pytest.mark.parametrize("n", [2, 3, 4, 6])
def test_order_shuffle_is_deterministic_and_never_the_identity(n):
    steps = [f"step {i}" for i in range(n)]
    for k in range(200):
        shown = _display_order(f"cp-{k}", steps)
        assert shown != steps
        assert sorted(shown) == sorted(steps)
        assert shown == _display_order(f"cp-{k}", steps)


def test_order_right_sequence_solves_and_explains(form):
    cp = form(Order, ORDER)
    answer_order(cp, CORRECT_STEPS)
    assert cp.solved
    assert "✔ Correct" in cp.feedback.value
    assert ORDER["explanation"] in cp.feedback.value


def test_order_second_miss_marks_each_position(form):
    cp = form(Order, ORDER)
    answer_order(cp, ["Design", "Deployment", "Development"])
    answer_order(cp, ["Design", "Deployment", "Development"])  # the first miss names nothing
    text = cp.feedback.value
    assert not cp.solved
    assert "1 of 3" in text
    assert "✔ Step 1" in text and "✘ Step 2" in text and "✘ Step 3" in text
    assert ORDER["steps"]["Deployment"] in text  # the why of the step wrongly placed at 2
    assert ORDER["steps"]["Development"] in text
    assert ORDER["steps"]["Design"] not in text  # Design is right: no why needed
    assert ORDER["explanation"] not in text


def test_order_duplicate_positions_ask_for_each_position_once(form):
    cp = form(Order, ORDER)
    for group in cp.groups[:2]:
        group.value = 1
    cp.groups[2].value = 3
    cp.check_button.click()
    text = cp.feedback.value
    assert "each position once" in text
    assert f"“{cp.steps[0]}” and “{cp.steps[1]}” are both at position 1" in text
    assert cp.attempts == 0


def test_order_incomplete_answer_is_not_an_attempt(form):
    cp = form(Order, ORDER)
    cp.groups[0].value = 2
    cp.check_button.click()
    assert "2 of 3 not chosen" in cp.feedback.value
    assert cp.attempts == 0


def test_order_show_answer_sets_the_right_order(form):
    cp = form(Order, ORDER)
    answer_order(cp, list(reversed(CORRECT_STEPS)))
    answer_order(cp, ["Development", "Design", "Deployment"])
    cp.reveal_button.click()
    assert [g.value for g in cp.groups] == positions_for(cp, CORRECT_STEPS)
    assert ORDER["explanation"] in cp.feedback.value
    assert not cp.solved
    cp.retry_button.click()
    assert all(g.value is None for g in cp.groups)


# --------------------------------------------------------------------------------------------
# Sealed and source forms
# --------------------------------------------------------------------------------------------


def every_answer(cp):
    """Every answer a student could give (the spaces are small, so all of them are tried)."""
    if isinstance(cp, MultipleChoice):
        return list(cp.options)
    if isinstance(cp, Classify):
        return list(itertools.product(cp.buckets, repeat=len(cp.items)))
    # positions for each step, duplicates included
    return list(itertools.product(range(1, len(cp.steps) + 1), repeat=len(cp.steps)))


def enter(cp, answer):
    if isinstance(cp, MultipleChoice):
        cp.choices.value = answer
    else:
        for group, value in zip(cp.groups, answer, strict=True):
            group.value = value


@pytest.mark.parametrize("name", SOURCES)
def test_sealed_form_behaves_exactly_like_source_form(name):
    kind, source = SOURCES[name]
    plain = kind(**source)
    sealed = kind(**kind.sealed_arguments(**source))
    assert plain.to_text() == sealed.to_text()
    assert [type(c) for c in plain.widget.children] == [type(c) for c in sealed.widget.children]
    for answer in every_answer(plain):
        for cp in (plain, sealed):
            cp.retry_button.click()
            enter(cp, answer)
            cp.check_button.click()
        assert plain.feedback.value == sealed.feedback.value
        assert plain.solved == sealed.solved
    for cp in (plain, sealed):
        cp.reveal()
    assert plain.feedback.value == sealed.feedback.value
    assert plain.attempts == sealed.attempts > 0


@pytest.mark.parametrize("name", SOURCES)
def test_sealed_arguments_hold_no_plain_answer(name):
    kind, source = SOURCES[name]
    sealed = kind.sealed_arguments(**source)
    text = repr(sealed)
    for secret in secrets_of(source):
        assert secret not in text
    assert "answer" not in sealed and "explanation" not in sealed
    blob = json.loads(base64.urlsafe_b64decode(sealed["sealed"]))
    decoded = json.dumps(blob, ensure_ascii=False)
    for secret in secrets_of(source):
        assert secret not in decoded
    public = source.get("options") or source.get("items") or source.get("steps")
    for label in [*public, *source.get("buckets", [])]:
        assert label not in sealed["sealed"] and f'"{label}"' not in decoded
    if name == "mc":
        assert text.count(repr(MC["answer"])) == 1  # only as one of the public options
    if name == "order":
        assert repr(CORRECT_STEPS) not in text


@pytest.mark.parametrize("name", SOURCES)
def test_sealed_arguments_are_plain_literals_and_deterministic(name):
    kind, source = SOURCES[name]
    sealed = kind.sealed_arguments(**source)
    for value in sealed.values():
        assert ast.literal_eval(repr(value)) == value
        assert type(value) in (str, list)
    assert kind.sealed_arguments(**source) == sealed
    assert kind.sealed_arguments(**sealed) == sealed  # sealing twice is harmless
    assert "sealed" not in source and sealed["id"] == source["id"]


def test_sealed_arguments_reject_unknown_keywords():
    with pytest.raises(TypeError):
        MultipleChoice.sealed_arguments(**MC, colour="red")


def test_sealed_form_does_not_match_edited_options():
    sealed = MultipleChoice.sealed_arguments(**MC)
    edited = dict(sealed, options=[o.replace("practices", "habits") for o in sealed["options"]])
    with pytest.raises(ValueError, match="do not match"):
        MultipleChoice(**edited)
    with pytest.raises(ValueError, match="sealed"):
        MultipleChoice(**dict(sealed, sealed="not-a-sealed-string"))
    with pytest.raises(ValueError, match="Classify"):
        MultipleChoice(**dict(sealed, sealed=Classify.sealed_arguments(**CLASSIFY)["sealed"]))
    with pytest.raises(ValueError, match="do not match"):
        MultipleChoice(**dict(sealed, id="cp-another-id"))


def test_sealed_classify_and_order_do_not_match_edits():
    sealed = Classify.sealed_arguments(**CLASSIFY)
    with pytest.raises(ValueError):
        Classify(**dict(sealed, buckets=["Design", "Build", "Deployment"]))
    with pytest.raises(ValueError):
        Classify(**dict(sealed, items=sealed["items"][:2]))
    sealed = Order.sealed_arguments(**ORDER)
    with pytest.raises(ValueError):
        Order(**dict(sealed, steps=["Design", "Develop", "Deployment"]))


# --------------------------------------------------------------------------------------------
# Display, text fallback, accessibility
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_text_fallback_and_mimebundle(name):
    kind, source = SOURCES[name]
    cp = kind(**kind.sealed_arguments(**source))
    text = cp.to_text()
    assert text.startswith(f"Checkpoint: {source['question']}\n")
    assert f"Hint: {source['hint']}" in text
    assert text.endswith("(Run this cell in JupyterLab to answer interactively.)")
    public = source.get("options") or source.get("items") or source.get("steps")
    for label in public:
        assert label in text
    for secret in secrets_of(source):
        assert secret not in text
    bundle, metadata = cp._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert bundle[WIDGET_MIME]["model_id"] == cp.widget.model_id
    # The view is marked with this kernel process, so the server can tell when it is stale.
    assert metadata == {"mlops_concepts": {"kernel_pid": os.getpid()}}
    assert set(cp._repr_mimebundle_(include={"text/plain"})[0]) == {"text/plain"}
    assert cp._repr_mimebundle_(include={"text/plain"})[1] == {}
    assert set(cp._repr_mimebundle_(exclude={"text/plain"})[0]) == {WIDGET_MIME}


def test_mc_text_fallback_lists_options_as_radio_buttons():
    lines = MultipleChoice(**MC).to_text().splitlines()
    assert [f"  ( ) {o}" for o in MC["options"]] == lines[1:4]


def walk(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from walk(child)


@pytest.mark.parametrize("name", SOURCES)
def test_every_control_has_an_accessible_name_and_no_fixed_width(name):
    kind, source = SOURCES[name]
    cp = kind(**source)
    for w in walk(cp.widget):
        if isinstance(w, widgets.Box):
            continue
        assert w.description or w.tooltip, f"{type(w).__name__} has no accessible name"
        assert w.layout.width in (None, "auto"), f"{type(w).__name__} has a fixed width"
    for button in (cp.check_button, cp.hint_button, cp.retry_button, cp.reveal_button):
        assert isinstance(button, widgets.Button) and button.description and button.tooltip
    assert cp.widget.layout.max_width == "800px"
    assert isinstance(cp.feedback, widgets.HTML)


def test_feedback_does_not_rely_on_colour_alone():
    cp = MultipleChoice(**MC)
    cp.choices.value = WRONG_MC[0]
    cp.check_button.click()
    assert "✘ Not quite." in cp.feedback.value
    cp.choices.value = RIGHT_MC
    cp.check_button.click()
    assert "✔ Correct." in cp.feedback.value


def test_feedback_text_is_escaped():
    cp = MultipleChoice(**dict(MC, options={"a < b": "x <b>y</b>", "b": "z"}, answer="b"))
    cp.choices.value = "a < b"
    cp.check_button.click()
    assert "x &lt;b&gt;y&lt;/b&gt;" in cp.feedback.value


def test_import_and_construction_are_silent():
    code = (
        "from mlops_concepts.checkpoints import MultipleChoice, Classify, Order\n"
        "from mlops_concepts.progress import show_progress\n"
        f"MultipleChoice(**{MC!r}); Classify(**{CLASSIFY!r}); Order(**{ORDER!r})\n"
        f"Order(**Order.sealed_arguments(**{ORDER!r})); show_progress(3)\n"
    )
    result = subprocess.run(
        [sys.executable, "-W", "error", "-c", code],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[2],
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "" and result.stderr == ""


# --------------------------------------------------------------------------------------------
# Validation of what the instructor writes
# --------------------------------------------------------------------------------------------


def _with(source, **changes):
    out = dict(source)
    out.update(changes)
    return out


@pytest.mark.parametrize(
    ("kind", "kwargs", "message"),
    [
        (MultipleChoice, _with(MC, answer="Not an option"), "not one of the options"),
        (MultipleChoice, _with(MC, answer=None), "answer is missing"),
        (MultipleChoice, _with(MC, options=list(MC["options"])), "feedback"),
        (MultipleChoice, _with(MC, options={"A": "why", "B": ""}, answer="A"), "feedback"),
        (MultipleChoice, _with(MC, options={"A": "why", "B": None}, answer="A"), "feedback"),
        (MultipleChoice, _with(MC, options={"A": "why"}, answer="A"), "at least 2"),
        (MultipleChoice, _with(MC, explanation=""), "explanation"),
        (MultipleChoice, _with(MC, hint=None), "hint"),
        (MultipleChoice, _with(MC, question="  "), "question"),
        (MultipleChoice, _with(MC, id=""), "id"),
        (MultipleChoice, _with(MC, sealed="abc"), "not both"),
        (
            MultipleChoice,
            _with(MC, options={"x" * (MAX_CHOICE_CHARS + 1): "why", "B": "why"}, answer="B"),
            "cut off",
        ),
        (Classify, _with(CLASSIFY, buckets=["Design", "Design"]), "twice"),
        (Classify, _with(CLASSIFY, buckets=["Design", PLACEHOLDER]), "placeholder"),
        (Classify, _with(CLASSIFY, items={"Train": ("Testing", "why")}), "not one of the buckets"),
        (Classify, _with(CLASSIFY, items={"Train": ("Design", "")}), "why"),
        (Classify, _with(CLASSIFY, items={"Train": "Design"}), "pair"),
        (Classify, _with(CLASSIFY, items=["Train"]), "dict"),
        (Classify, _with(CLASSIFY, explanation=None), "explanation"),
        (Order, _with(ORDER, steps={"Only": "one"}), "at least 2"),
        (Order, _with(ORDER, steps=["Design", "Development"]), "dict"),
        (Order, _with(ORDER, steps={"Design": "why", "Deployment": " "}), "why"),
        (Order, _with(ORDER, steps={"Design ": "why", "Deployment": "why"}), "spaces"),
    ],
)
def test_source_mistakes_raise_clear_value_errors(kind, kwargs, message):
    with pytest.raises(ValueError, match=message):
        kind(**kwargs)
    with pytest.raises(ValueError, match=message):
        kind.sealed_arguments(**kwargs)


def test_sealed_form_rejects_source_only_keywords():
    sealed = Order.sealed_arguments(**ORDER)
    with pytest.raises(ValueError, match="not both"):
        Order(**sealed, explanation="leaked")
    sealed = MultipleChoice.sealed_arguments(**MC)
    with pytest.raises(ValueError, match="list"):
        MultipleChoice(**dict(sealed, options=MC["options"]))


def test_rerunning_a_cell_with_the_same_id_works():
    first = MultipleChoice(**MC)
    second = MultipleChoice(**MC)
    assert first.id == second.id
    assert progress.progress_summary() == (0, 1)
    second.choices.value = RIGHT_MC
    second.check_button.click()
    assert progress.progress_summary() == (1, 1)


def test_checkpoints_report_to_progress():
    cps = [MultipleChoice(**MC), Classify(**CLASSIFY), Order(**ORDER)]
    assert progress.progress_summary() == (0, 3)
    cps[0].choices.value = WRONG_MC[0]
    cps[0].check_button.click()
    assert progress.progress_summary() == (0, 3)
    answer_order(cps[2], CORRECT_STEPS)
    assert progress.progress_summary() == (1, 3)
    answer_order(cps[2], CORRECT_STEPS)  # solving again does not count twice
    assert progress.progress_summary() == (1, 3)


def test_sealed_arguments_do_not_register_progress():
    MultipleChoice.sealed_arguments(**MC)
    MultipleChoice.sealed_arguments(**MultipleChoice.sealed_arguments(**MC))
    assert progress.progress_summary() == (0, 0)


# --------------------------------------------------------------------------------------------
# Keyboard helper and first-miss feedback
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", SOURCES)
def test_every_checkpoint_carries_the_keyboard_helper(name):
    """The browser test proves what the helper does; here: every checkpoint has it, unchanged."""
    kind, source = SOURCES[name]
    cp = kind(**kind.sealed_arguments(**source))
    assert BOX_CLASS in cp.widget._dom_classes
    assert cp.question_html.value.endswith(_HELPER_HTML)
    assert 'class="mlops-question"' in cp.question_html.value
    for needle in ("data-lm-suppress-shortcuts", "radiogroup", "aria-labelledby", 'alt=""'):
        assert needle in _HELPER_HTML
    # The question is escaped text; nothing an author writes reaches the script.
    odd = kind(**kind.sealed_arguments(**dict(source, question='<b>"x"</b> & y?')))
    assert "&lt;b&gt;" in odd.question_html.value and "<b>" not in odd.question_html.value


def wrong_answer(cp):
    if isinstance(cp, MultipleChoice):
        return WRONG_MC[0]
    if isinstance(cp, Classify):
        return ["Deployment", "Design", "Development"]  # every item misplaced
    return positions_for(cp, list(reversed(CORRECT_STEPS)))


@pytest.mark.parametrize("name", SOURCES)
def test_a_first_wrong_try_nudges_without_giving_the_answer(name, form):
    kind, source = SOURCES[name]
    cp = form(kind, source)
    enter(cp, wrong_answer(cp))
    cp.check_button.click()
    text = cp.feedback.value
    assert "Not quite" in text and not cp.solved
    assert cp.reveal_button.layout.display == "none"  # "Show answer" only after two misses
    assert source["explanation"] not in text
    assert "The right" not in text  # the wording of "Show answer"
    if name == "mc":
        assert RIGHT_MC not in text
    if name == "classify":
        assert "→" not in text  # no "item → bucket" pairs
    if name in ("classify", "order"):
        # How many are misplaced and the hint; no item, step, why or position is named.
        assert re.search(r"Not quite: [1-3] of 3 ", text) and source["hint"] in text
        labels = list(source.get("items") or source["steps"])
        whys = secrets_of(source)
        assert not [t for t in labels + whys if t in text], text
        assert "Step " not in text and "<li>" not in text


FIRST_MISS = {
    # name: (an answer with exactly one thing misplaced, the label that is misplaced)
    "classify": (
        lambda cp: [dict(right_mapping(), **{"Train a model": "Design"})[i] for i in cp.items],
        "Train a model",
    ),
    "order": (
        lambda cp: positions_for(cp, ["Development", "Design", "Deployment"]),
        "Development",
    ),
}


@pytest.mark.parametrize("name", FIRST_MISS)
def test_first_miss_counts_second_miss_names(name, form):
    """Issue 27 item 2: with two buckets, naming the misplaced items on the first miss gives the
    answer away. The first miss says how many and nudges with the hint; the second names them."""
    kind, source = SOURCES[name]
    cp = form(kind, source)
    answer, label = FIRST_MISS[name]
    enter(cp, answer(cp))
    cp.check_button.click()
    first = cp.feedback.value
    what = "items are not in the right bucket" if name == "classify" else "steps are not in the right place"
    assert f"✘ Not quite: {1 if name == 'classify' else 2} of 3 {what} yet." in first
    assert source["hint"] in first
    assert label not in first and "<li>" not in first
    assert cp.reveal_button.layout.display == "none"
    cp.check_button.click()  # the same answer again: the second miss names what to look at
    second = cp.feedback.value
    assert label in second and "<li>" in second
    assert cp.reveal_button.layout.display != "none"
    assert source["explanation"] not in second


@pytest.mark.parametrize("name", FIRST_MISS)
def test_after_show_answer_a_miss_names_at_once(name, form):
    """Once "Show answer" was used, naming the misplaced items gives nothing away."""
    kind, source = SOURCES[name]
    cp = form(kind, source)
    answer, label = FIRST_MISS[name]
    for _ in range(2):
        enter(cp, answer(cp))
        cp.check_button.click()
    cp.reveal_button.click()
    cp.retry_button.click()
    fresh = form(kind, source)  # the same, but never revealed: a first miss stays count-only
    for c in (cp, fresh):
        enter(c, answer(c))
        c.check_button.click()
    assert label in cp.feedback.value
    assert label not in fresh.feedback.value


def test_multiple_choice_first_miss_is_unchanged(form):
    """A multiple-choice miss explains the option chosen, which never names the right one."""
    cp = form(MultipleChoice, MC)
    cp.choices.value = WRONG_MC[0]
    cp.check_button.click()
    assert MC["options"][WRONG_MC[0]] in cp.feedback.value
    assert RIGHT_MC not in cp.feedback.value


def test_sealing_needs_no_widgets_and_one_registry_names_the_kinds():
    """The release and the linter seal checkpoints without ipywidgets; every reader of checkpoint
    cells takes the kinds from one registry, and every kind there has its widget."""
    import ast
    from pathlib import Path

    import mlops_concepts
    from mlops_concepts.checkpoints import KINDS, sealing
    from mlops_concepts.contract.calls import CHECKPOINT_KINDS

    tree = ast.parse(Path(sealing.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert not any("ipywidgets" in name or "widgets" in name for name in imported), imported
    assert CHECKPOINT_KINDS == tuple(KINDS) == ("MultipleChoice", "Classify", "Order")
    for name, spec in KINDS.items():
        widget = getattr(mlops_concepts, name)
        assert issubclass(widget, spec), name
        sealed = spec.sealed_arguments(**{"MultipleChoice": MC, "Classify": CLASSIFY, "Order": ORDER}[name])
        assert set(sealed) >= {"id", "question", "hint", "sealed"}


def test_a_grading_kernel_never_imports_ipywidgets(tmp_path):
    """While autograding nothing draws a widget, so no kernel pays for importing ipywidgets: run
    every code cell of every released chapter as an autograded kernel would, then look."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    repo = Path(__file__).resolve().parents[2]
    notebooks = sorted(repo.glob("release/*/*.ipynb"))
    assert notebooks
    script = tmp_path / "run_cells.py"
    script.write_text(
        "import json, sys\n"
        "for path in sys.argv[1:]:\n"
        "    namespace = {}\n"
        "    for cell in json.load(open(path))['cells']:\n"
        "        if cell['cell_type'] == 'code':\n"
        "            try:\n"
        "                exec(''.join(cell['source']), namespace)\n"
        "            except Exception:\n"
        "                pass\n"
        "import mlops_concepts\n"
        "print(json.dumps({'checkpoints': mlops_concepts.progress.progress_summary()[1],\n"
        "                  'ipywidgets': sorted(m for m in sys.modules if m.startswith('ipywidgets'))}))\n"
    )
    env = dict(os.environ, NBGRADER_EXECUTION="autograde", MPLBACKEND="Agg")
    result = subprocess.run(
        [sys.executable, str(script), *map(str, notebooks)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["checkpoints"] >= 10  # the checkpoints really were built, in their text form
    assert seen["ipywidgets"] == []


def restart_kernel(store):
    """What a kernel restart does to this module's state: everything but the progress file goes."""
    progress.reset()
    progress.use_store(store)


@pytest.mark.parametrize("name", SOURCES)
def test_a_solved_checkpoint_shows_as_solved_after_a_restart(name, form, tmp_path):
    """Issue 29 item 4: after "Restart Kernel and Run All" each solved checkpoint shows as solved
    (its right answer in the controls, the explanation shown), the others stay blank."""
    kind, source = SOURCES[name]
    store = tmp_path / progress.STORE_NAME
    cp = form(kind, source)
    other = form(kind, dict(source, id=source["id"] + "-other"))
    enter(cp, right_answer(cp))
    cp.check_button.click()
    assert cp.solved and not other.solved
    restart_kernel(store)
    again = form(kind, source)
    blank = form(kind, dict(source, id=source["id"] + "-other"))
    assert again.solved and "Solved" in again.feedback.value
    assert source["explanation"] in again.feedback.value
    assert controls(again) == controls(cp)
    assert not blank.solved and blank.feedback.value == ""
    assert all(v is None for v in controls(blank))
    assert progress.progress_summary() == (1, 2)
    again.retry_button.click()  # answering once more is still possible
    assert all(v is None for v in controls(again)) and again.solved


@pytest.mark.parametrize("name", SOURCES)
def test_the_progress_file_holds_no_answer(name, form, tmp_path):
    """What is kept across restarts says *that* a checkpoint was solved, never its answer."""
    kind, source = SOURCES[name]
    cp = form(kind, source)
    enter(cp, right_answer(cp))
    cp.check_button.click()
    text = (tmp_path / progress.STORE_NAME).read_text()
    assert json.loads(text) == {"version": 1, "solved": {source["id"]: True}}
    solution = cp._solution()
    answers = [solution] if isinstance(solution, str) else list(solution)
    if isinstance(solution, dict):
        answers = list(solution.values())
    assert not [t for t in secrets_of(source) + answers if t in text]


def right_answer(cp):
    solution = cp._solution()
    if isinstance(cp, MultipleChoice):
        return solution
    if isinstance(cp, Classify):
        return [solution[item] for item in cp.items]
    return positions_for(cp, solution)


def controls(cp):
    return [cp.choices.value] if isinstance(cp, MultipleChoice) else [g.value for g in cp.groups]

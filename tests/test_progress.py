"""The progress registry and its live display."""

from __future__ import annotations

import ipywidgets as widgets
import pytest

from mlops_concepts import progress
from mlops_concepts.checkpoints import MultipleChoice
from mlops_concepts.progress import progress_summary, show_progress

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def _fresh_progress():
    progress.reset()
    yield
    progress.reset()


def make_mc(n: int) -> MultipleChoice:
    return MultipleChoice(
        id=f"cp-progress-{n}",
        question=f"Question {n}?",
        options={"Right": "Because it is right.", "Wrong": "Because it is wrong."},
        answer="Right",
        hint="Pick the right one.",
        explanation="Explained.",
    )


def solve(cp: MultipleChoice) -> None:
    cp.choices.value = "Right"
    cp.check_button.click()


def test_registry_counts_by_id():
    assert progress_summary() == (0, 0)
    progress.register("a")
    progress.register("b")
    progress.register("a")
    assert progress_summary() == (0, 2)
    progress.mark_solved("b")
    progress.mark_solved("b")
    assert progress_summary() == (1, 2)
    assert progress_summary(expected=5) == (1, 5)
    assert progress_summary(expected=1) == (1, 2)
    progress.reset()
    assert progress_summary() == (0, 0)


def test_solved_stays_solved_when_a_cell_is_rerun():
    solve(make_mc(1))
    make_mc(1)  # the cell is run again: a fresh widget, but the student did solve it
    assert progress_summary() == (1, 1)


def test_show_progress_widgets():
    display = show_progress(expected=6)
    assert isinstance(display.bar, widgets.IntProgress)
    assert isinstance(display.label, widgets.Label)
    assert display.bar.description == "Progress:"
    assert display.label.value == "0 of 6 checkpoints done"
    assert (display.bar.value, display.bar.max) == (0, 6)
    assert display.label.tooltip


def test_show_progress_updates_live_as_checkpoints_are_solved():
    display = show_progress(expected=3)
    cps = [make_mc(1), make_mc(2)]
    assert display.label.value == "0 of 3 checkpoints done"
    solve(cps[0])
    assert display.label.value == "1 of 3 checkpoints done"
    assert display.bar.value == 1
    solve(cps[1])
    assert display.label.value == "2 of 3 checkpoints done"
    solve(make_mc(3))
    assert display.label.value == "3 of 3 checkpoints done"
    assert display.bar.bar_style == "success"


def test_total_grows_past_expected_as_checkpoints_register():
    display = show_progress()
    assert display.label.value == "0 of 0 checkpoints done"
    assert display.bar.max == 1  # a bar needs max > min even when empty
    make_mc(1)
    make_mc(2)
    assert display.label.value == "0 of 2 checkpoints done"
    assert display.bar.max == 2
    small = show_progress(expected=1)
    assert small.label.value == "0 of 2 checkpoints done"


def test_several_displays_all_update():
    first, second = show_progress(), show_progress(expected=4)
    solve(make_mc(1))
    assert first.label.value == "1 of 1 checkpoints done"
    assert second.label.value == "1 of 4 checkpoints done"


def test_text_fallback_and_mimebundle():
    display = show_progress(expected=2)
    solve(make_mc(1))
    text = display.to_text()
    assert text.startswith("Progress: 1 of 2 checkpoints done\n")
    bundle = display._repr_mimebundle_()
    assert bundle["text/plain"] == text
    assert bundle[WIDGET_MIME]["model_id"] == display.widget.model_id


def test_a_broken_display_does_not_break_checkpoints():
    def broken():
        raise RuntimeError("closed")

    progress._listeners.append(broken)
    display = show_progress()
    solve(make_mc(1))
    assert display.label.value == "1 of 1 checkpoints done"
    assert broken not in progress._listeners


@pytest.mark.parametrize("expected", [-1, 2.5, "3", True])
def test_expected_must_be_a_count(expected):
    with pytest.raises(ValueError, match="expected"):
        show_progress(expected)

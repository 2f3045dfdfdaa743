"""The progress registry and its live display."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ipywidgets as widgets
import pytest

from mlops_concepts import progress
from mlops_concepts.checkpoints import MultipleChoice
from mlops_concepts.progress import progress_summary, show_progress

WIDGET_MIME = "application/vnd.jupyter.widget-view+json"


@pytest.fixture(autouse=True)
def _fresh_progress(tmp_path):
    # Solving saves progress: each test gets its own file, never one in the repository.
    progress.reset()
    progress.use_store(tmp_path / progress.STORE_NAME)
    yield
    progress.reset()


def restart():
    """What a kernel restart does to this module: memory gone, the file beside the notebook kept."""
    store = progress.store_path()
    progress.reset()
    progress.use_store(store)


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
    bundle, metadata = display._repr_mimebundle_()
    assert metadata == {"mlops_concepts": {"kernel_pid": os.getpid()}}
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


# --------------------------------------------------------------------------------------------
# Kept across kernel restarts
# --------------------------------------------------------------------------------------------


def test_show_progress_needs_no_argument():
    display = show_progress()
    assert display.expected is None
    make_mc(1)
    assert display.label.value == "0 of 1 checkpoints done"


def test_solved_checkpoints_survive_a_restart_and_run_all(tmp_path):
    solve(make_mc(1))
    solve(make_mc(3))
    make_mc(2)
    saved = json.loads((tmp_path / progress.STORE_NAME).read_text())
    assert saved == {"version": 1, "solved": {"cp-progress-1": True, "cp-progress-3": True}}

    restart()
    display = show_progress(expected=3)  # "Run All": the display, then the checkpoint cells
    assert display.label.value == "0 of 3 checkpoints done"
    cps = [make_mc(1), make_mc(2), make_mc(3)]
    assert display.label.value == "2 of 3 checkpoints done"
    assert progress_summary() == (2, 3)
    solve(cps[1])
    assert display.label.value == "3 of 3 checkpoints done"
    restart()
    assert progress.saved_solved() == {"cp-progress-1", "cp-progress-2", "cp-progress-3"}


def test_ids_solved_before_do_not_count_until_their_checkpoint_runs():
    # A renamed or removed checkpoint must not make "done" larger than the total.
    solve(make_mc(1))
    restart()
    assert progress_summary() == (0, 0)
    make_mc(2)
    assert progress_summary() == (0, 1)


def test_the_file_is_beside_the_notebook_the_kernels_working_directory(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    progress.reset()  # no store chosen: the working directory's file
    assert progress.store_path() == tmp_path / ".mlops-progress.json"
    solve(make_mc(1))
    os.chdir(tmp_path.parent)  # a notebook that changes directory does not move its progress
    solve(make_mc(2))
    assert progress.saved_solved() == {"cp-progress-1", "cp-progress-2"}
    assert [p.name for p in tmp_path.iterdir()] == [".mlops-progress.json"]  # no temporary left


def test_saving_merges_with_another_kernels_progress(tmp_path):
    store = tmp_path / progress.STORE_NAME
    store.write_text(json.dumps({"version": 1, "solved": {"cp-other-kernel": True}}))
    solve(make_mc(1))
    assert progress.saved_solved() == {"cp-other-kernel", "cp-progress-1"}


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"{",
        b"[1, 2]",
        b'{"solved": ["cp-progress-1"]}',
        b'{"solved": {"cp-progress-1": 1}}',
        b"\xff\xfe",
        b"[" * 100_000,
        b'{"solved": {}}' + b" " * 300_000,
    ],
    ids=["empty", "cut", "list", "solved-list", "not-true", "not-utf8", "deep", "huge"],
)
def test_a_damaged_progress_file_is_ignored_and_replaced(tmp_path, content, capfd):
    store = tmp_path / progress.STORE_NAME
    store.write_bytes(content)
    cp = make_mc(1)
    assert progress_summary() == (0, 1)
    solve(cp)
    assert progress_summary() == (1, 1)
    assert progress.saved_solved() == {"cp-progress-1"}
    assert capfd.readouterr() == ("", "")


def test_an_unwritable_folder_only_means_progress_is_not_kept(tmp_path, capfd):
    progress.use_store(tmp_path / "missing-folder" / progress.STORE_NAME)
    display = show_progress()
    solve(make_mc(1))
    assert display.label.value == "1 of 1 checkpoints done"
    assert not (tmp_path / "missing-folder").exists()
    assert capfd.readouterr() == ("", "")


def test_a_symlink_at_the_files_name_is_replaced_not_followed(tmp_path):
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (tmp_path / progress.STORE_NAME).symlink_to(target)
    solve(make_mc(1))
    assert target.read_text() == "keep me"
    assert not (tmp_path / progress.STORE_NAME).is_symlink()
    assert progress.saved_solved() == {"cp-progress-1"}


def test_keeping_can_be_turned_off(tmp_path):
    progress.use_store(None)
    solve(make_mc(1))
    assert progress.store_path() is None and progress.saved_solved() == set()
    assert progress_summary() == (1, 1)
    assert list(tmp_path.iterdir()) == []


def test_a_real_kernel_restart_keeps_progress(tmp_path):
    """Two separate Python processes in the same folder, as two kernel sessions of one notebook."""
    code = (
        "from mlops_concepts import MultipleChoice, progress\n"
        "cp = MultipleChoice(id='cp-restart', question='Q?', options={'R': 'yes', 'W': 'no'},\n"
        "                    answer='R', hint='h', explanation='e')\n"
        "import sys\n"
        "if sys.argv[1] == 'solve':\n"
        "    cp.choices.value = 'R'; cp.check_button.click()\n"
        "d = progress.show_progress()\n"
        "assert d.label.value == sys.argv[2], d.label.value\n"
    )
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    for args in (["solve", "1 of 1 checkpoints done"], ["look", "1 of 1 checkpoints done"]):
        result = subprocess.run(
            [sys.executable, "-W", "error", "-c", code, *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        assert (result.stdout, result.stderr) == ("", "")
    assert [p.name for p in tmp_path.iterdir()] == [".mlops-progress.json"]

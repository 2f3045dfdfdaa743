"""How many checkpoints a student has done, shown as a small live widget, kept across restarts.

Checkpoints (see :mod:`mlops_concepts.checkpoints`) register themselves here when they are created
and report here when they are solved. The registry is keyed by checkpoint id, so re-running a cell
replaces a checkpoint instead of counting it twice, and a checkpoint the student has already solved
stays done when its cell is re-run: progress should never go backwards because of "Run All".

The display updates itself through callbacks that the registry calls on every change, so it needs
no polling, no timer and no JavaScript of its own: only a standard ``IntProgress`` and ``Label``.
Nothing here prints; the text form of the display is returned, never written to stdout or stderr.

Solved checkpoints are also saved in a small JSON file beside the notebook, :data:`STORE_NAME` in
the kernel's working directory (JupyterLab, a JupyterHub and Binder start a notebook's kernel in the
notebook's folder), so "Restart Kernel and Run All" keeps the student's progress::

    {"version": 1, "solved": {"cp-1a-mlops-focus": true, ...}}

It is written only when a checkpoint is solved (so a headless run, such as grading, writes
nothing), atomically (a temporary file renamed over it), and never raises: a folder that cannot be
written or a damaged file only means the progress is not kept.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from .autograding import autograding
from .autograding import ipywidgets as widgets
from .widget_views import WIDGET_VIEW, view_metadata

__all__ = [
    "ProgressDisplay",
    "is_solved",
    "mark_solved",
    "progress_summary",
    "register",
    "reset",
    "show_progress",
    "store_path",
    "use_store",
    "widget_bundle",
]

#: The progress file's name, in the kernel's working directory (beside the notebook).
STORE_NAME = ".mlops-progress.json"

#: Larger files are not read: a progress file holds a few dozen ids.
_MAX_STORE_BYTES = 256 * 1024

#: Where progress is kept: None until first used, then the file in the working directory of that
#: moment (a later ``os.chdir`` in the notebook does not move it); False when keeping is off.
_store: Path | None | bool = None

#: Checkpoint id -> solved? Insertion-ordered, so the order matches the notebook's run order.
_solved: dict[str, bool] = {}

#: Called with no arguments after every change. Held strongly: a display must keep updating even
#: when the notebook keeps no Python reference to it (e.g. ``display(show_progress())``).
_listeners: list[Callable[[], None]] = []


def _notify() -> None:
    """Tell every live display that the counts changed; forget a display that cannot update.

    A broken listener (for example a widget that was closed) must never break the checkpoint whose
    Check button triggered the update, so its error is swallowed and the listener dropped.
    """
    for listener in list(_listeners):
        try:
            listener()
        except Exception:
            if listener in _listeners:
                _listeners.remove(listener)


def use_store(path: str | os.PathLike | None) -> None:
    """Keep progress in the file ``path`` (tests, or another place); ``None`` turns keeping off."""
    global _store
    _store = Path(path) if path is not None else False


def store_path() -> Path | None:
    """The progress file in use (``None`` when keeping is off)."""
    global _store
    if _store is None:
        try:
            _store = Path.cwd() / STORE_NAME
        except OSError:  # the working directory was deleted
            _store = False
    return _store or None


def saved_solved() -> set[str]:
    """Ids of the checkpoints solved according to the progress file (empty when unreadable)."""
    path = store_path()
    if path is None:
        return set()
    try:
        with open(path, "rb") as f:
            raw = f.read(_MAX_STORE_BYTES + 1)
        if len(raw) > _MAX_STORE_BYTES:
            return set()
        data = json.loads(raw.decode("utf-8"))
    except (OSError, ValueError, RecursionError):
        return set()
    solved = data.get("solved") if isinstance(data, dict) else None
    if not isinstance(solved, dict):
        return set()
    return {k for k, v in solved.items() if isinstance(k, str) and v is True}


def _save() -> bool:
    """Write every solved id (merged with the file's, so two kernels do not undo each other).

    Atomic: a temporary file in the same folder is renamed over the old one, so a crash leaves
    either the old file or the new one, and a symbolic link at the file's name is replaced, not
    followed. Returns whether it worked; never raises.
    """
    path = store_path()
    if path is None:
        return False
    solved = saved_solved() | {k for k, v in _solved.items() if v}
    text = json.dumps({"version": 1, "solved": {k: True for k in sorted(solved)}}, indent=1)
    tmp = None
    try:
        fd, tmp = tempfile.mkstemp(prefix=f"{STORE_NAME}.", suffix=".tmp", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text + "\n")
        os.replace(tmp, path)
        return True
    except Exception:  # a read-only folder, a full disk, ...: progress is just not kept
        if tmp is not None:
            try:
                os.unlink(tmp)
            except OSError:
                pass
        return False


def register(checkpoint_id: str) -> None:
    """Record that a checkpoint with this id exists in the kernel (idempotent).

    A checkpoint the progress file lists as solved counts as solved at once: the student solved it
    before the kernel restarted.
    """
    if checkpoint_id not in _solved:
        _solved[checkpoint_id] = checkpoint_id in saved_solved()
        _notify()


def is_solved(checkpoint_id: str) -> bool:
    """Whether the checkpoint counts as solved (in this kernel, or before it restarted)."""
    return _solved.get(checkpoint_id) is True


def mark_solved(checkpoint_id: str) -> None:
    """Record that the checkpoint was answered correctly, and save it. Registers it if needed."""
    if _solved.get(checkpoint_id) is not True:
        _solved[checkpoint_id] = True
        _save()
        _notify()


def progress_summary(expected: int | None = None) -> tuple[int, int]:
    """Return ``(done, total)``.

    ``total`` is the number of checkpoints registered, or ``expected`` when that is larger: a
    notebook knows how many checkpoints it holds before the student has run the cells creating them,
    and "1 of 1 done" after the first cell would be misleading.
    """
    done = sum(1 for solved in _solved.values() if solved)
    total = len(_solved)
    if expected is not None:
        total = max(total, int(expected))
    return done, total


def reset() -> None:
    """Forget every checkpoint and display in this kernel (the progress file stays as it is).

    The progress file is looked up afresh next time, in the working directory of that moment.
    """
    global _store
    _solved.clear()
    _listeners.clear()
    _store = None


def _summary_text(done: int, total: int) -> str:
    return f"{done} of {total} checkpoints done"


class ProgressDisplay:
    """A live "N of M checkpoints done" display: an ``IntProgress`` bar and a ``Label``.

    Show it as the last expression of a cell (or with ``display()``). The widgets are attributes so
    that tests and other code can read them: ``widget`` (the container), ``bar`` and ``label``.
    """

    def __init__(self, expected: int | None = None):
        if expected is not None and (
            isinstance(expected, bool) or not isinstance(expected, int) or expected < 0
        ):
            raise ValueError(f"expected must be a whole number of checkpoints, got {expected!r}")
        self.expected = expected
        self.widget = None
        if autograding():
            return
        self.bar = widgets.IntProgress(
            value=0,
            min=0,
            max=1,
            description="Progress:",
            tooltip="Checkpoints done in this notebook",
        )  # default width: a bar has no natural width to shrink to
        self.label = widgets.Label(
            value="",
            tooltip="Checkpoints done in this notebook",
            layout=widgets.Layout(width="auto"),
        )
        self.widget = widgets.HBox(
            [self.bar, self.label],
            layout=widgets.Layout(width="auto", max_width="800px", flex_flow="row wrap"),
        )
        self.refresh()
        _listeners.append(self.refresh)

    def summary(self) -> tuple[int, int]:
        """``(done, total)`` as this display counts them (with its own ``expected``)."""
        return progress_summary(self.expected)

    def refresh(self) -> None:
        """Bring the bar and the label up to date with the registry."""
        done, total = self.summary()
        # IntProgress needs max > min to draw; an empty notebook shows an empty bar.
        self.bar.max = max(total, 1)
        self.bar.value = done
        self.bar.bar_style = "success" if total and done >= total else ""
        self.label.value = _summary_text(done, total)

    def to_text(self) -> str:
        """The plain-text form, for places where widgets cannot show (GitHub, nbconvert HTML)."""
        done, total = self.summary()
        return (
            f"Progress: {_summary_text(done, total)}\n"
            "(Run this cell in JupyterLab to see your progress live.)"
        )

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The widget itself, with a readable "text/plain" fallback instead of the widget's repr."""
        return widget_bundle(self.widget, self.to_text(), include, exclude)

    def __repr__(self) -> str:
        done, total = self.summary()
        return f"<ProgressDisplay: {_summary_text(done, total)}>"


def filter_bundle(bundle: dict, include=None, exclude=None) -> dict:
    """Apply IPython's ``include``/``exclude`` MIME-type filters to a bundle."""
    if include:
        bundle = {k: v for k, v in bundle.items() if k in include}
    if exclude:
        bundle = {k: v for k, v in bundle.items() if k not in exclude}
    return bundle


def widget_bundle(widget, text: str, include=None, exclude=None) -> tuple[dict, dict]:
    """``(data, metadata)`` for IPython: the widget's view (if any) and ``text`` as "text/plain".

    The metadata marks the view with this kernel process (:func:`widget_views.view_metadata`), so
    that the server can tell, once this kernel is gone, that the view can no longer be shown.
    """
    data = dict(widget._repr_mimebundle_() or {}) if widget is not None else {}
    data["text/plain"] = text
    data = filter_bundle(data, include, exclude)
    return data, (view_metadata() if WIDGET_VIEW in data else {})


def show_progress(expected: int | None = None) -> ProgressDisplay:
    """Return a live progress display; put it as the last line of a cell to show it.

    ``expected`` is how many checkpoints the notebook holds, so the total is right before every
    checkpoint cell has run (the release step writes it, counted from the notebook). Without it
    the total is the number of checkpoints run so far in this kernel.

    Returning (not displaying) avoids showing it twice when it is the last expression of a cell;
    use ``display(show_progress())`` elsewhere.
    """
    return ProgressDisplay(expected)

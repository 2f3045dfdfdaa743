"""Ungraded checkpoints: small quizzes with instant feedback, in three kinds.

* :mod:`.sealing`: the two forms of a checkpoint, sealing and loading (pure Python; the release
  step and the linter use it, and it holds :data:`~.sealing.KINDS`, the one registry of kinds);
* :mod:`.widgets`: the checkpoints students click (ipywidgets), built on top.
"""

from .sealing import KINDS, MAX_CHOICE_CHARS, MAX_ITEM_CHARS, PLACEHOLDER, _display_order
from .widgets import _HELPER_HTML, BOX_CLASS, Classify, MultipleChoice, Order

__all__ = [
    "KINDS",
    "Classify",
    "MultipleChoice",
    "Order",
    "PLACEHOLDER",
    "BOX_CLASS",
    "MAX_CHOICE_CHARS",
    "MAX_ITEM_CHARS",
    "_HELPER_HTML",
    "_display_order",
]

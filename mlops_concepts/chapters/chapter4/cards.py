"""The shapes and colours chapter 4's diagrams are drawn with: cards, titles, the two samples."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..toolkit import (
    OKABE_ITO,
    box,
    in_box,
    swatch,
    text,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch


TRAIN_COLOUR, LIVE_COLOUR = OKABE_ITO["blue"], OKABE_ITO["vermillion"]


def one_line(label: str) -> str:
    return label.replace("\n", " ")


def card(
    fig: Figure,
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    title: str,
    style: dict,
    size: float = 11,
    lw: float = 1.5,
) -> Patch:
    """A tinted box with a hatched key and a bold title at its top; returns the outline."""
    box(ax, x, y, w, h, face=style["colour"], alpha=0.12, lw=0, edge="none")
    outline = box(ax, x, y, w, h, face="none", lw=lw, zorder=3)
    swatch(ax, x + 0.12, y + h - 0.36, 0.34, 0.22, style["colour"], style["hatch"])
    in_box(fig, text(ax, x + 0.56, y + h - 0.25, title, size=size, weight="bold", va="center"), outline)
    return outline


def title_line(ax: Axes, x: float, y: float, s: str, size: float = 13) -> None:
    text(ax, x, y, s, size=size, weight="bold", ha="center", va="center")

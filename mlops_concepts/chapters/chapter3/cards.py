"""The shapes chapter 3's diagrams are drawn with: cards, plain boxes and titles."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_EDGE,
    DIM_TEXT,
    LINE,
    box,
    in_box,
    swatch,
    text,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


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
    fill: float = 0.14,
    dimmed: bool = False,
) -> Patch:
    """A box with a light fill, a hatched key in its top-left corner and a bold title."""
    box(ax, x, y, w, h, face=style["colour"], alpha=0.06 if dimmed else fill, lw=0, edge="none")
    outline = box(ax, x, y, w, h, face="none", edge=DIM_EDGE if dimmed else LINE, lw=1.4, zorder=3)
    swatch(ax, x + 0.1, y + h - 0.32, 0.34, 0.22, style["colour"], style["hatch"], dimmed)
    in_box(
        fig,
        text(
            ax,
            x + 0.52,
            y + h - 0.21,
            title,
            size=size,
            weight="bold",
            va="center",
            color=DIM_TEXT if dimmed else "#1a1a1a",
        ),
        outline,
    )
    return outline


def plain_box(
    fig: Figure,
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    label: str,
    size: float = 10,
    style: dict | None = None,
    dashed: bool = False,
    dimmed: bool = False,
) -> Patch:
    """A box with a centred label, optionally tinted and hatched (kind shown by hatch too)."""
    if style is not None:
        box(
            ax,
            x,
            y,
            w,
            h,
            face=style["colour"],
            alpha=0.06 if dimmed else 0.25,
            lw=0,
            edge=(0, 0, 0, 0.35),
            hatch=style["hatch"],
            zorder=1,
        )
    outline = box(ax, x, y, w, h, face="none", edge=DIM_EDGE if dimmed else LINE, lw=1.3, zorder=3)
    if dashed:
        outline.set_linestyle((0, (4, 3)))
    in_box(
        fig,
        text(
            ax,
            x + w / 2,
            y + h / 2,
            label,
            size=size,
            ha="center",
            va="center",
            color=DIM_TEXT if dimmed else "#1a1a1a",
            bbox={"boxstyle": "round,pad=0.12", "fc": "white", "ec": "none"} if style else None,
            zorder=5,
        ),
        outline,
    )
    return outline


def title_line(ax: Axes, width: float, y: float, s: str, size: float = 13) -> None:
    text(ax, width / 2, y, s, size=size, weight="bold", ha="center", va="center")

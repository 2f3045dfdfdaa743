"""The report's two plots, as base64 PNGs with an alt text that says what each one shows."""

from __future__ import annotations

import base64
import io
import math
import statistics
from collections import Counter

from .model import LOW_DISCRIMINATION, LOW_FACILITY, ClassData, points
from .stats import ItemStats


def _png(fig) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    return base64.b64encode(buf.getvalue()).decode("ascii")


def _fig(width: float, height: float):
    from matplotlib.figure import Figure  # no pyplot: no global state, no display needed

    return Figure(figsize=(width, height), layout="constrained")


def _mpl_text(text: str) -> str:
    return text.replace("$", r"\$")  # no mathtext from a title


def score_plot(data: ClassData) -> tuple[str, str]:
    """(base64 PNG, alt text) of the distribution of total scores."""
    totals = [s.total for s in data.students]
    top = data.max_total
    fig = _fig(7.5, 2.4)
    ax = fig.add_subplot()
    nbins = int(math.ceil(top)) + 1 if top <= 40 else 20
    edges = [i - 0.5 for i in range(nbins + 1)] if top <= 40 else [top * i / nbins for i in range(nbins + 1)]
    counts, _, _ = ax.hist(totals, bins=edges, color="#3b6ea8", edgecolor="white")
    ax.set_xlabel(f"total score (out of {points(top)} points)")
    ax.set_ylabel("students")
    ax.set_xlim(edges[0], edges[-1])
    ax.yaxis.get_major_locator().set_params(integer=True)
    ax.xaxis.get_major_locator().set_params(integer=True)
    mean, median = statistics.fmean(totals), statistics.median(totals)
    ax.axvline(mean, color="#c0392b", linestyle="--", linewidth=1.5, label=f"mean {mean:.1f}")
    ax.legend(loc="upper right", frameon=False)
    ax.set_title(f"Total scores of {len(totals)} graded student(s)")
    ax.spines[["top", "right"]].set_visible(False)
    spread = Counter(totals)
    if len(spread) <= 12:
        words = "; ".join(f"{n} scored {points(v)}" for v, n in sorted(spread.items()))
    else:
        q = statistics.quantiles(totals, n=4)
        words = f"quartiles {q[0]:.1f}, {q[1]:.1f} and {q[2]:.1f}"
    alt = (
        f"Histogram of the total scores of {len(totals)} graded students, out of "
        f"{points(top)} points: {words}. Mean {mean:.1f}, median {points(median)}."
    )
    return _png(fig), alt


def items_plot(stats: list[ItemStats]) -> tuple[str, str]:
    """(base64 PNG, alt text): facility and discrimination of every item, side by side."""
    labels = [_mpl_text(s.item.label) for s in stats]
    rows = list(range(len(stats)))
    fig = _fig(8.5, 0.9 + 0.18 * len(stats))
    left, right = fig.subplots(1, 2, sharey=True, width_ratios=[1, 1])
    fac = [s.facility if s.facility is not None else 0 for s in stats]
    left.barh(rows, fac, color=["#c0392b" if f < LOW_FACILITY else "#3b6ea8" for f in fac])
    left.set_xlim(0, 1)
    left.set_xlabel("facility (share of points earned)")
    left.set_yticks(rows, labels)
    left.invert_yaxis()
    left.set_title("Facility: low = hard")
    disc = [s.discrimination for s in stats]
    right.barh(
        rows,
        [d if d is not None else 0 for d in disc],
        color=["#c0392b" if d is not None and d < LOW_DISCRIMINATION else "#2e8b57" for d in disc],
    )
    for row, d in zip(rows, disc, strict=True):
        if d is None:
            right.text(0.02, row, "n/a", va="center", ha="left", fontsize=8, color="#555")
    right.axvline(0, color="#333", linewidth=0.8)
    right.set_xlim(-1, 1)
    right.set_xticks([-1, -0.5, 0, 0.5, 1])
    right.set_xlabel("discrimination (r with rest of test)")
    right.set_title("Discrimination: low = does not separate")
    for ax in (left, right):
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#ddd", linewidth=0.6)
        ax.set_axisbelow(True)
    ranked = sorted((s for s in stats if s.facility is not None), key=lambda s: s.facility)
    hard = ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in ranked[:3])
    easy = ", ".join(f"{s.item.label} ({s.facility:.2f})" for s in ranked[::-1][:3])
    low = [s for s in stats if s.discrimination is not None and s.discrimination < LOW_DISCRIMINATION]
    na = sum(1 for s in stats if s.discrimination is None)
    alt = (
        f"Two bar charts of the {len(stats)} graded items in notebook order. Left, facility "
        f"from 0 to 1: hardest {hard}; easiest {easy}. Right, discrimination from -1 to 1: "
        + (
            f"{len(low)} item(s) below {LOW_DISCRIMINATION} ("
            f"{', '.join(s.item.label for s in low[:5])}{', ...' if len(low) > 5 else ''})"
            if low
            else f"no item below {LOW_DISCRIMINATION}"
        )
        + (f"; {na} item(s) n/a" if na else "")
        + ". The table below gives every number."
    )
    return _png(fig), alt

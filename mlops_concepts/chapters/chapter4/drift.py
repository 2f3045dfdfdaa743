"""Chapter 4's diagrams of monitoring and drift: the feedback loop, a drift chart, PSI and KS.

Each is a :class:`~mlops_concepts.chapters.toolkit.Diagram` that holds its drawing and its words,
made from the data beside it. The numbers are illustrative data made here (said on the pictures),
and the PSI and KS values the lab picture quotes are computed from that data with the lab's own
definitions. :mod:`.diagrams` lists them with the chapter's others.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_TEXT,
    LINE,
    STYLES,
    TEXT,
    Diagram,
    arrow,
    box,
    in_box,
    inline,
    join,
    new_figure,
    text,
)
from .cards import (
    LIVE_COLOUR,
    TRAIN_COLOUR,
    card,
    one_line,
    title_line,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# --------------------------------------------------------------------------------------------
# Lesson 1: monitoring and the feedback loop
# --------------------------------------------------------------------------------------------

STATISTICAL = ("Statistical monitoring", "watches the input data and the predictions")
COMPUTATIONAL = (
    "Computational monitoring",
    "watches requests and errors, latency, network, CPU and memory, and downtime",
)
FEEDBACK = ("Feedback loop", "compares the predictions with the ground truth")
FLOW = ("Input data", "Model in\nproduction", "Predictions")


def draw_monitoring_feedback_loop() -> Figure:
    width, height = 9.0, 5.0
    fig, ax = new_figure(width, height)
    title_line(ax, width / 2, height - 0.28, "What is monitored once a model is live")

    # The flow in the middle row.
    y, h, w = 2.05, 0.95, 1.55
    xs = (0.3, 2.35, 4.4)
    flow_boxes = []
    for x, label in zip(xs, FLOW, strict=True):
        outline = box(ax, x, y, w, h, face="white", lw=1.8, zorder=3)
        in_box(
            fig,
            text(ax, x + w / 2, y + h / 2, label, size=11, weight="bold", ha="center", va="center", zorder=5),
            outline,
        )
        flow_boxes.append(outline)
    for x in xs[1:]:
        arrow(ax, (x - 0.48, y + h / 2), (x - 0.02, y + h / 2))

    # Statistical monitoring above input data and predictions.
    st = card(fig, ax, 0.3, 3.45, 5.65, 0.95, STATISTICAL[0], STYLES[0])
    in_box(fig, text(ax, 0.42, 3.72, STATISTICAL[1], size=10, va="center"), st)
    for x in (xs[0] + w / 2, xs[2] + w / 2):
        arrow(ax, (x, 3.45), (x, y + h + 0.02), style="-|>", lw=1.3, scale=12)

    # Computational monitoring below the model.
    cp = card(fig, ax, 0.3, 0.3, 5.65, 1.25, COMPUTATIONAL[0], STYLES[1])
    in_box(fig, text(ax, 0.42, 0.72, textwrap.fill(COMPUTATIONAL[1], 42), size=10, va="center"), cp)
    arrow(ax, (xs[1] + w / 2, 1.55), (xs[1] + w / 2, y - 0.02), lw=1.3, scale=12)

    # The feedback loop on the right.
    gt = box(ax, 6.6, 3.45, 2.1, 0.95, face="white", lw=1.8, zorder=3)
    in_box(
        fig,
        text(
            ax, 7.65, 3.925, "Ground truth\n(arrives later)", size=11, weight="bold", ha="center", va="center"
        ),
        gt,
    )
    fb = card(fig, ax, 6.6, 1.75, 2.1, 1.45, FEEDBACK[0], STYLES[2], size=10.5)
    in_box(fig, text(ax, 6.72, 2.3, textwrap.fill(FEEDBACK[1], 16), size=10, va="center"), fb)
    arrow(ax, (xs[2] + w + 0.02, y + h / 2), (6.58, y + h / 2))
    arrow(ax, (7.65, 3.45), (7.65, 3.22))
    act = box(ax, 6.6, 0.3, 2.1, 0.95, face="white", lw=1.8, zorder=3)
    in_box(
        fig,
        text(ax, 7.65, 0.775, "Act on it,\ne.g. retrain", size=11, weight="bold", ha="center", va="center"),
        act,
    )
    arrow(ax, (7.65, 1.75), (7.65, 1.27))
    return fig


MONITORING_FEEDBACK_LOOP = Diagram(
    name="monitoring_feedback_loop",
    draw=draw_monitoring_feedback_loop,
    alt=(
        "Diagram of a live model with statistical monitoring above it, computational monitoring "
        "below it and a feedback loop on the right that compares predictions with ground truth."
    ),
    details=(
        f"In the middle, {join([inline(one_line(s)) for s in FLOW])} are joined by arrows. "
        f"Above them, a box labelled {STATISTICAL[0]} {STATISTICAL[1]}: arrows lead from it to "
        f"the input data and to the predictions. Below, a box labelled {COMPUTATIONAL[0]} "
        f"{COMPUTATIONAL[1]}: an arrow leads from it to the model in production. On the right, "
        f"the predictions and the ground truth, which arrives later, both lead into a box "
        f"labelled {FEEDBACK[0]}, which {FEEDBACK[1]}; an arrow leads from it to a box that "
        "reads: act on it, for example retrain."
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 2: a drift chart (illustrative data)
# --------------------------------------------------------------------------------------------

#: Illustrative feature: customers' age, in training and live data (normal curves).
TRAIN_AGE = (38.0, 9.0)
LIVE_AGE = (47.0, 11.0)
#: Illustrative weekly drift values and the threshold a team might choose.
WEEKLY_DRIFT = (0.02, 0.03, 0.02, 0.05, 0.04, 0.08, 0.12, 0.15, 0.22, 0.27, 0.31, 0.35)
DRIFT_THRESHOLD = 0.2
ILLUSTRATIVE = "Illustrative data; the threshold is one a team might choose."


def _normal_pdf(x: float, mean: float, sd: float) -> float:
    return math.exp(-0.5 * ((x - mean) / sd) ** 2) / (sd * math.sqrt(2 * math.pi))


def _first_week_over() -> int:
    return next(i + 1 for i, v in enumerate(WEEKLY_DRIFT) if v >= DRIFT_THRESHOLD)


def _style_axes(axes: Axes) -> None:
    axes.tick_params(labelsize=9.5, colors=TEXT)
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)


def draw_drift_training_vs_live() -> Figure:
    width, height = 9.0, 4.4
    fig, _ax = new_figure(width, height)
    text(
        _ax,
        2.35,
        height - 0.3,
        "Data drift: the input distribution moves",
        size=11.5,
        weight="bold",
        ha="center",
        va="center",
    )
    text(
        _ax,
        6.75,
        height - 0.3,
        "Drift measured week by week",
        size=11.5,
        weight="bold",
        ha="center",
        va="center",
    )
    text(
        _ax, width / 2, 0.18, ILLUSTRATIVE, size=9.5, color=DIM_TEXT, ha="center", va="center", style="italic"
    )

    # Left: two distributions of one feature.
    left = fig.add_axes((0.07, 0.2, 0.40, 0.62))
    xs = [10 + i * 0.5 for i in range(141)]
    train = [_normal_pdf(x, *TRAIN_AGE) for x in xs]
    live = [_normal_pdf(x, *LIVE_AGE) for x in xs]
    left.fill_between(
        xs, train, color=TRAIN_COLOUR, alpha=0.18, hatch="///", edgecolor=TRAIN_COLOUR, linewidth=0
    )
    left.plot(xs, train, color=TRAIN_COLOUR, lw=2.2, ls="-")
    left.plot(xs, live, color=LIVE_COLOUR, lw=2.2, ls="--")
    left.set_xlim(10, 80)
    left.set_ylim(0, 0.052)
    left.set_yticks([])
    left.set_xticks([20, 40, 60, 80])
    left.set_xlabel("Customer age (the feature)", fontsize=10)
    left.set_ylabel("Share of customers", fontsize=10)
    left.text(
        24,
        0.046,
        "Training data\n(solid, hatched)",
        fontsize=9.5,
        color=TEXT,
        ha="center",
        va="center",
        parse_math=False,
    )
    left.text(
        66, 0.03, "Live data\n(dashed)", fontsize=9.5, color=TEXT, ha="center", va="center", parse_math=False
    )
    _style_axes(left)

    # Right: drift over time against a threshold.
    right = fig.add_axes((0.58, 0.2, 0.39, 0.62))
    weeks = list(range(1, len(WEEKLY_DRIFT) + 1))
    right.plot(weeks, WEEKLY_DRIFT, color=LIVE_COLOUR, lw=2, marker="o", ms=5)
    right.axhline(DRIFT_THRESHOLD, color=LINE, lw=1.5, ls=":")
    right.text(
        1,
        DRIFT_THRESHOLD - 0.012,
        f"threshold {DRIFT_THRESHOLD}",
        fontsize=9.5,
        color=TEXT,
        va="top",
        parse_math=False,
    )
    first = _first_week_over()
    right.annotate(
        "first week at or\nabove: retrain?",
        xy=(first, WEEKLY_DRIFT[first - 1]),
        xytext=(4.4, 0.335),
        fontsize=9.5,
        color=TEXT,
        ha="center",
        va="center",
        arrowprops={"arrowstyle": "-|>", "color": LINE, "lw": 1.2},
    )
    right.set_xlim(0.5, len(WEEKLY_DRIFT) + 0.5)
    right.set_ylim(0, 0.4)
    right.set_xticks([1, 4, 8, 12])
    right.set_yticks([0, 0.1, 0.2, 0.3, 0.4])
    right.set_xlabel("Week since deployment", fontsize=10)
    right.set_ylabel("Drift value", fontsize=10)
    _style_axes(right)
    return fig


DRIFT_TRAINING_VS_LIVE = Diagram(
    name="drift_training_vs_live",
    draw=draw_drift_training_vs_live,
    alt=(
        "Two charts: a training and a live distribution of customer age, the live one shifted "
        "to older ages, and a weekly drift value that rises past a threshold."
    ),
    details=(
        f"Left chart, data drift: the training data's curve (solid line, hatched) peaks at age "
        f"{TRAIN_AGE[0]:.0f}; the live data's curve (dashed line) peaks at age {LIVE_AGE[0]:.0f} "
        "and is wider, so the input distribution has moved. Right chart: a drift value measured "
        f"each week for {len(WEEKLY_DRIFT)} weeks after deployment. It stays low at first, then "
        f"rises from {WEEKLY_DRIFT[0]} to {WEEKLY_DRIFT[-1]}; a dotted line marks a threshold of "
        f"{DRIFT_THRESHOLD}, and an arrow marks week {_first_week_over()}, the first week at or "
        f"above it, as a moment to consider retraining. {ILLUSTRATIVE}"
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 5: PSI and KS on a small example (illustrative data)
# --------------------------------------------------------------------------------------------

#: A small training and live sample (illustrative), and the cut points of the PSI bins.
PSI_TRAIN = (
    1.2,
    1.8,
    2.1,
    2.4,
    2.6,
    2.9,
    3.1,
    3.3,
    3.4,
    3.6,
    3.8,
    4.1,
    4.2,
    4.4,
    4.7,
    4.9,
    5.3,
    5.6,
    6.1,
    6.8,
)
PSI_LIVE = (
    2.2,
    2.9,
    3.5,
    3.9,
    4.3,
    4.5,
    4.8,
    5.0,
    5.2,
    5.4,
    5.5,
    5.7,
    5.9,
    6.2,
    6.4,
    6.6,
    6.9,
    7.3,
    7.6,
    8.1,
)
PSI_CUTS = (3.0, 4.0, 5.0, 6.0)
EPSILON = 0.0001


def bin_shares(values, cuts) -> list[float]:
    """Share of ``values`` in each bin: bin i holds cuts[i-1] <= v < cuts[i] (open ends)."""
    counts = [0] * (len(cuts) + 1)
    for v in values:
        counts[sum(1 for c in cuts if c <= v)] += 1
    return [n / len(values) for n in counts]


def psi_value(train, live, cuts) -> float:
    """The population stability index with the lab's bins and epsilon."""
    total = 0.0
    for e, a in zip(bin_shares(train, cuts), bin_shares(live, cuts), strict=True):
        e, a = e or EPSILON, a or EPSILON
        total += (a - e) * math.log(a / e)
    return total


def _ecdf(sample, x: float) -> float:
    return sum(1 for v in sample if v <= x) / len(sample)


def ks_point(train, live) -> tuple[float, float]:
    """Where the two empirical CDFs are furthest apart, and how far: (x, gap)."""
    best = (min(train), 0.0)
    for x in sorted(set(train) | set(live)):
        gap = abs(_ecdf(train, x) - _ecdf(live, x))
        if gap > best[1] + 1e-12:
            best = (x, gap)
    return best


def _bin_names(cuts) -> list[str]:
    names = [f"< {cuts[0]:g}"]
    names += [f"{a:g}\u2013{b:g}" for a, b in zip(cuts, cuts[1:], strict=False)]
    return names + [f"\u2265 {cuts[-1]:g}"]


def draw_psi_ks_explained() -> Figure:
    width, height = 9.0, 4.5
    fig, ax = new_figure(width, height)
    text(
        ax,
        2.3,
        height - 0.28,
        "PSI: compare shares bin by bin",
        size=11.5,
        weight="bold",
        ha="center",
        va="center",
    )
    text(
        ax,
        6.75,
        height - 0.28,
        "KS: largest gap between the CDFs",
        size=11.5,
        weight="bold",
        ha="center",
        va="center",
    )
    text(
        ax,
        width / 2,
        0.16,
        "Illustrative samples of 20 values each.",
        size=9.5,
        color=DIM_TEXT,
        ha="center",
        va="center",
        style="italic",
    )

    left = fig.add_axes((0.07, 0.2, 0.41, 0.64))
    e, a = bin_shares(PSI_TRAIN, PSI_CUTS), bin_shares(PSI_LIVE, PSI_CUTS)
    idx = list(range(len(e)))
    left.bar(
        [i - 0.2 for i in idx],
        e,
        width=0.38,
        color=TRAIN_COLOUR,
        alpha=0.35,
        hatch="///",
        edgecolor=TRAIN_COLOUR,
        label="training",
    )
    left.bar(
        [i + 0.2 for i in idx],
        a,
        width=0.38,
        color=LIVE_COLOUR,
        alpha=0.35,
        hatch="...",
        edgecolor=LIVE_COLOUR,
        label="live",
    )
    left.set_xticks(idx)
    left.set_xticklabels(_bin_names(PSI_CUTS))
    left.set_ylim(0, 0.5)
    left.set_yticks([0, 0.1, 0.2, 0.3, 0.4, 0.5])
    left.set_xlabel("Bin of the feature", fontsize=10)
    left.set_ylabel("Share of the sample", fontsize=10)
    leg = left.legend(
        loc="upper left",
        fontsize=9.5,
        frameon=False,
        title=f"PSI = {psi_value(PSI_TRAIN, PSI_LIVE, PSI_CUTS):.2f}",
        title_fontsize=9.5,
    )
    leg._legend_box.align = "left"
    _style_axes(left)

    right = fig.add_axes((0.58, 0.2, 0.39, 0.64))
    for sample, colour, ls, label in (
        (PSI_TRAIN, TRAIN_COLOUR, "-", "training"),
        (PSI_LIVE, LIVE_COLOUR, "--", "live"),
    ):
        xs = sorted(sample)
        ys = [(i + 1) / len(xs) for i in range(len(xs))]
        right.step([0.0, *xs, 9.0], [0.0, *ys, 1.0], where="post", color=colour, ls=ls, lw=2, label=label)
    x, gap = ks_point(PSI_TRAIN, PSI_LIVE)
    lo, hi = sorted((_ecdf(PSI_TRAIN, x), _ecdf(PSI_LIVE, x)))
    right.annotate(
        "", xy=(x, lo), xytext=(x, hi), arrowprops={"arrowstyle": "<|-|>", "color": LINE, "lw": 1.5}
    )
    right.text(
        x + 0.25, (lo + hi) / 2, f"KS = {gap:.2f}", fontsize=9.5, color=TEXT, va="center", parse_math=False
    )
    right.set_xlim(0, 9)
    right.set_ylim(0, 1.05)
    right.set_xticks([0, 3, 6, 9])
    right.set_yticks([0, 0.5, 1])
    right.set_xlabel("Value of the feature", fontsize=10)
    right.set_ylabel("Share of values \u2264 x", fontsize=10)
    right.legend(loc="lower right", fontsize=9.5, frameon=False)
    _style_axes(right)
    return fig


def _psi_ks_details() -> str:
    e, a = bin_shares(PSI_TRAIN, PSI_CUTS), bin_shares(PSI_LIVE, PSI_CUTS)
    shares = "; ".join(
        f"{n}: training {x:.2f}, live {y:.2f}" for n, x, y in zip(_bin_names(PSI_CUTS), e, a, strict=True)
    )
    x, gap = ks_point(PSI_TRAIN, PSI_LIVE)
    return (
        "Left, a bar chart: for each bin of the feature, the share of the training sample "
        "(hatched bars) and of the live sample (dotted bars). Shares by bin: "
        f"{shares}. The population stability index (PSI) over these bins is "
        f"{psi_value(PSI_TRAIN, PSI_LIVE, PSI_CUTS):.2f}. Right, the two empirical cumulative "
        "distribution functions (CDFs), step lines that rise from 0 to 1: training solid, live "
        f"dashed. A double arrow at x = {x:g} marks where they are furthest apart: the "
        f"Kolmogorov\u2013Smirnov (KS) statistic, {gap:.2f}. The samples are illustrative, "
        f"{len(PSI_TRAIN)} values each."
    )


PSI_KS_EXPLAINED = Diagram(
    name="psi_ks_explained",
    draw=draw_psi_ks_explained,
    alt=(
        "Two charts of one training and one live sample: bar shares per bin for the population "
        "stability index, and two step curves whose largest gap is the KS statistic."
    ),
    details=_psi_ks_details(),
)

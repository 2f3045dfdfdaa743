"""Chapter 4, "Maintaining ML in Production": its diagrams, each drawn and described from one source.

Every diagram is a :class:`~.toolkit.Diagram` in :data:`DIAGRAMS` (the monitoring and drift
diagrams of lessons 1, 2 and 5 are drawn in :mod:`.drift`, the others here). The facts a diagram shows (the
kinds of monitoring, the kinds of drift, the retraining triggers, the three maturity frameworks,
the tools) are data at the top of this module; the drawing and the words are both made from that
data, so they say the same thing.

Beyond the chapter's facts: the numbers in the drift chart and in the PSI and KS picture are
illustrative data made here (said on the pictures), and the PSI and KS values the lab picture
quotes are computed from that data with the lab's own definitions.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_TEXT,
    STYLES,
    Diagram,
    arrow,
    box,
    bullets,
    in_box,
    inline,
    new_figure,
    text,
)
from .cards import (
    card,
    one_line,
    title_line,
)
from .drift import (
    DRIFT_TRAINING_VS_LIVE,
    MONITORING_FEEDBACK_LOOP,
    PSI_KS_EXPLAINED,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


# --------------------------------------------------------------------------------------------
# Lesson 3: three maturity frameworks side by side
# --------------------------------------------------------------------------------------------

#: (column title, [(level number, description)] from least to most automated).
MATURITY = (
    (
        "Simplified teaching\nmodel (levels 1 to 3)",
        [
            ("1", "Manual processes, siloed\nteams, no traceability"),
            ("2", "Automated development,\nmanual deployment,\npartial monitoring"),
            ("3", "Full CI/CD, close\ncollaboration, monitoring\nwith automatic retraining"),
        ],
    ),
    (
        "Google Cloud\n(levels 0 to 2)",
        [
            ("0", "Manual process"),
            ("1", "ML pipeline automation\n(continuous training)"),
            ("2", "CI/CD pipeline\nautomation"),
        ],
    ),
    (
        "Microsoft\n(levels 0 to 4)",
        [
            ("0", "No MLOps"),
            ("1", "DevOps but no MLOps"),
            ("2", "Automated training"),
            ("3", "Automated model\ndeployment"),
            ("4", "Full MLOps automated\noperations"),
        ],
    ),
)
MATURITY_NOTE = (
    "Each column runs from manual (bottom) to fully automated (top); the levels do not line up one to one."
)


def draw_maturity_levels_side_by_side() -> Figure:
    width, height = 9.0, 6.1
    fig, ax = new_figure(width, height)
    title_line(ax, width / 2, height - 0.28, "MLOps maturity: three frameworks, three numberings")
    bottom, top = 0.75, 4.95
    text(
        ax, width / 2, 0.3, MATURITY_NOTE, size=9.5, color=DIM_TEXT, ha="center", va="center", style="italic"
    )
    # An axis on the left: more automation upwards.
    arrow(ax, (0.35, bottom), (0.35, top), lw=2)
    text(ax, 0.15, (bottom + top) / 2, "more automation", size=10, rotation=90, ha="center", va="center")
    col_w, gap, x0 = 2.65, 0.18, 0.6
    for c, ((title, levels), style) in enumerate(zip(MATURITY, STYLES, strict=False)):
        x = x0 + c * (col_w + gap)
        text(ax, x + col_w / 2, top + 0.4, title, size=10.5, weight="bold", ha="center", va="center")
        n = len(levels)
        step = (top - bottom) / n
        for i, (number, words) in enumerate(levels):
            y = bottom + i * step
            alpha = 0.08 + 0.3 * i / (n - 1)
            box(ax, x, y + 0.04, col_w, step - 0.08, face=style["colour"], alpha=alpha, lw=0, edge="none")
            outline = box(ax, x, y + 0.04, col_w, step - 0.08, face="none", lw=1.3, zorder=3)
            in_box(
                fig,
                text(ax, x + 0.12, y + step / 2, f"Level {number}", size=10.5, weight="bold", va="center"),
                outline,
            )
            in_box(fig, text(ax, x + 0.82, y + step / 2, words, size=9.5, va="center"), outline)
    return fig


def _maturity_details() -> str:
    parts = []
    for title, levels in MATURITY:
        # "DevOps" keeps its capital letters; other labels start lower case in running text.
        steps = "; ".join(
            f"level {n}: {one_line(w) if w.startswith('DevOps') else inline(w)}" for n, w in levels
        )
        parts.append(f"{one_line(title)}: {steps}.")
    return (
        "Three columns, each a stack of boxes from the least automated level at the bottom to "
        "the most automated at the top, beside an arrow labelled more automation. "
        + " ".join(parts)
        + f" A note reads: \u201c{MATURITY_NOTE}\u201d"
    )


MATURITY_LEVELS_SIDE_BY_SIDE = Diagram(
    name="maturity_levels_side_by_side",
    draw=draw_maturity_levels_side_by_side,
    alt=(
        "Three columns of MLOps maturity levels side by side: a simplified three-level teaching "
        "model numbered 1 to 3, Google Cloud's levels 0 to 2 and Microsoft's levels 0 to 4."
    ),
    details=_maturity_details(),
)

# --------------------------------------------------------------------------------------------
# Lesson 4: the tool landscape
# --------------------------------------------------------------------------------------------

#: (phase, [(category, tools)]).
TOOLS = (
    (
        "Development",
        [
            ("Feature stores", "Feast, Hopsworks"),
            ("Experiment tracking", "MLflow, ClearML,\nWeights & Biases"),
        ],
    ),
    ("Deployment", [("Containers", "Docker, Kubernetes"), ("CI/CD", "Jenkins, GitLab")]),
    ("Monitoring in production", [("Model and data monitoring", "Fiddler, Evidently")]),
)
#: Data validation is a step inside the data and training pipelines, not a monitoring tool.
VALIDATION = ("Data validation, a step in the data and training pipelines", "Great Expectations")
PLATFORMS = (
    "Platforms with tools for many of these categories",
    "Amazon SageMaker AI, Azure Machine Learning, Google Vertex AI",
)
TOOLS_NOTE = "Examples of tools, not a complete list or a recommendation."


def draw_tools_by_phase() -> Figure:
    width, height = 9.0, 5.9
    fig, ax = new_figure(width, height)
    title_line(ax, width / 2, height - 0.28, "MLOps tools by lifecycle phase")
    col_w, gap, x0, y, h = 2.74, 0.19, 0.2, 2.65, 2.65
    for c, ((phase, cats), style) in enumerate(zip(TOOLS, STYLES, strict=False)):
        x = x0 + c * (col_w + gap)
        outline = card(fig, ax, x, y, col_w, h, phase, style, size=10.5)
        yy = y + h - 0.68
        for cat, tools in cats:
            in_box(fig, text(ax, x + 0.15, yy, cat, size=10, weight="bold", va="top"), outline)
            in_box(fig, text(ax, x + 0.15, yy - 0.24, tools, size=10, va="top"), outline)
            yy -= 0.95
    for c in (1, 2):
        x = x0 + c * (col_w + gap)
        arrow(ax, (x - gap - 0.02, y + h / 2), (x + 0.0, y + h / 2), lw=1.8, scale=10)
    # Data validation runs inside the pipelines of several phases, so it spans the columns.
    val = card(fig, ax, 0.2, 1.6, 8.6, 0.9, VALIDATION[0], STYLES[4], size=10.5)
    in_box(fig, text(ax, 0.35, 1.8, VALIDATION[1], size=10, va="center"), val)
    plat = card(fig, ax, 0.2, 0.55, 8.6, 0.9, PLATFORMS[0], STYLES[3], size=10.5)
    in_box(fig, text(ax, 0.35, 0.75, PLATFORMS[1], size=10, va="center"), plat)
    text(ax, width / 2, 0.25, TOOLS_NOTE, size=9.5, color=DIM_TEXT, ha="center", va="center", style="italic")
    return fig


TOOLS_BY_PHASE = Diagram(
    name="tools_by_phase",
    draw=draw_tools_by_phase,
    alt=(
        "Three columns of MLOps tools by phase, development, deployment and monitoring in "
        "production, above a band for data validation in pipelines and a band of platforms."
    ),
    details=(
        " ".join(
            f"{phase}: "
            + "; ".join(f"{inline(cat)}, for example {one_line(tools)}" for cat, tools in cats)
            + "."
            for phase, cats in TOOLS
        )
        + f" Below the columns, a band: {VALIDATION[0].lower()}, for example {VALIDATION[1]}."
        + f" Below it, a band: {PLATFORMS[0].lower()}, for example {PLATFORMS[1]}. "
        + f"A note reads: \u201c{TOOLS_NOTE}\u201d"
    ),
)

# --------------------------------------------------------------------------------------------
# Recap
# --------------------------------------------------------------------------------------------

RECAP_STEPS = (
    (
        "Monitor",
        [
            "Statistical: input data\nand predictions",
            "Computational: requests,\nerrors, latency, network,\nCPU, memory, downtime",
            "Feedback loop: predictions\nvs ground truth",
        ],
    ),
    (
        "Detect drift",
        [
            "Data drift: the input\ndistribution changes",
            "Concept drift: the link\nbetween input and\ntarget changes",
            "Measure it, e.g. with\nPSI or KS",
        ],
    ),
    (
        "Retrain",
        [
            "Triggers: on demand,\nschedule, new data,\nperformance drop, shift",
            "New data only, or\nold plus new data",
            "How often: volatility,\nexpert insight, cost,\nthresholds, decay speed",
        ],
    ),
)
RECAP_BAND = (
    "The more of this loop runs automatically, the higher the maturity level; tools exist for each step."
)


def draw_recap_maintaining() -> Figure:
    width, height = 9.0, 4.1
    fig, ax = new_figure(width, height)
    title_line(ax, width / 2, height - 0.28, "Keeping a model healthy in production")
    xs, w, y, h = (0.2, 3.13, 6.06), 2.74, 0.95, 2.6
    for i, (x, (title, items)) in enumerate(zip(xs, RECAP_STEPS, strict=True)):
        outline = card(fig, ax, x, y, w, h, title, STYLES[i], size=11.5)
        bullets(fig, ax, x + 0.15, y + h - 0.6, items, outline, gap=0.12)
    for x in xs[1:]:
        arrow(ax, (x - 0.18, y + h / 2), (x - 0.01, y + h / 2), lw=2, scale=12)
    arrow(ax, (xs[2] + w / 2, y - 0.02), (xs[0] + w / 2, y - 0.02), rad=-0.12, lw=2)
    text(
        ax,
        width / 2,
        0.3,
        RECAP_BAND,
        size=10,
        ha="center",
        va="center",
        style="italic",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
        zorder=5,
    )
    return fig


RECAP_MAINTAINING = Diagram(
    name="recap_maintaining",
    draw=draw_recap_maintaining,
    alt=(
        "Chapter summary: three boxes in a loop, monitor, detect drift and retrain, with a "
        "curved arrow from retrain back to monitor."
    ),
    details=(
        "From left to right, joined by arrows. "
        + " ".join(
            f"{title}: " + "; ".join(inline(one_line(i)) for i in items) + "." for title, items in RECAP_STEPS
        )
        + f" A curved arrow leads from retrain back to monitor, and a line reads: "
        f"\u201c{RECAP_BAND}\u201d"
    ),
)

#: Chapter 4's diagrams by name, in the order the notebook shows them.
DIAGRAMS: dict[str, Diagram] = {
    d.name: d
    for d in (
        MONITORING_FEEDBACK_LOOP,
        DRIFT_TRAINING_VS_LIVE,
        MATURITY_LEVELS_SIDE_BY_SIDE,
        TOOLS_BY_PHASE,
        PSI_KS_EXPLAINED,
        RECAP_MAINTAINING,
    )
}

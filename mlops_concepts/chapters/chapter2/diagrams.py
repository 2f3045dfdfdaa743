"""Chapter 2, "Design and Development": its diagrams, each drawn and described from one source.

Every diagram is a :class:`~.toolkit.Diagram` in :data:`DIAGRAMS`. The facts a diagram shows
(requirements, metrics, data quality dimensions, the steps of ETL and of the experiment process,
what a feature store does) are data in :mod:`.facts`; the drawing and the words are both
made from that data, so they say the same thing.

Beyond the chapter's facts, the lab diagram (``run_selection_rules``) shows the rules of the
chapter's lab, which the lab itself states; the one-line glosses of extract, transform and load
are the plain meaning of the three words. ELT and streaming ingestion follow Huyen, *Designing
Machine Learning Systems* (2022); what CI tests in an ML system, and what its pipeline checks,
follow Google Cloud's MLOps article, and the ML Test Score is Breck et al. (IEEE Big Data 2017).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_TEXT,
    LINE,
    STYLES,
    Diagram,
    arrow,
    box,
    bullets,
    in_box,
    inline,
    join,
    new_figure,
    swatch,
    text,
)
from .facts import (
    DESIGN_NOTE,
    DESIGN_PARTS,
    ETL_STEPS,
    EXPERIMENT_STEPS,
    FEATURE_ENGINEERING,
    FEATURE_STORE,
    FEATURE_USES,
    INGESTION_OTHERS,
    LAB_NOTE,
    ML_TEST_SCORE,
    ML_TESTS,
    QUALITY_DEFINITION,
    QUALITY_DIMENSIONS,
    RECAP_COLUMNS,
    SELECTION_RESULT,
    SELECTION_RULES,
    SKEW_NOTE,
    TRACKED,
    TRACKING_TOOLS,
    TRACKING_WHY,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def _flat(label: str) -> str:
    return label.replace("\n", " ")


def _card(
    fig: Figure, ax: Axes, x: float, y: float, w: float, h: float, title: str, style: dict, size: float = 11.5
) -> Patch:
    """A tinted box with a hatched key and a bold title; returns the outline."""
    box(ax, x, y, w, h, face=style["colour"], alpha=0.14, lw=0, edge="none")
    outline = box(ax, x, y, w, h, face="none", edge=LINE, lw=1.5, zorder=3)
    swatch(ax, x + 0.12, y + h - 0.36, 0.36, 0.22, style["colour"], style["hatch"])
    in_box(fig, text(ax, x + 0.58, y + h - 0.25, title, size=size, weight="bold", va="center"), outline)
    return outline


def _title(ax: Axes, width: float, y: float, s: str) -> None:
    text(ax, width / 2, y, s, size=14, weight="bold", ha="center", va="center")


# --------------------------------------------------------------------------------------------
# Lesson 1: added value, business requirements, key metrics
# --------------------------------------------------------------------------------------------


def draw_design_value_requirements_metrics() -> Figure:
    width, height = 9.0, 3.4
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Three parts of MLOps design")
    xs, w, y, h = (0.2, 3.13, 6.06), 2.74, 0.55, 2.3
    for i, (x, (title, items)) in enumerate(zip(xs, DESIGN_PARTS, strict=True)):
        outline = _card(fig, ax, x, y, w, h, title, STYLES[i])
        bullets(fig, ax, x + 0.15, y + h - 0.6, items, outline, gap=0.1)
    text(ax, width / 2, 0.25, DESIGN_NOTE, size=10, style="italic", ha="center", va="center")
    return fig


def _design_details() -> str:
    parts = [f"{title}: " + "; ".join(inline(_flat(i)) for i in items) + "." for title, items in DESIGN_PARTS]
    return (
        "From left to right, each box has a hatched key and a title. "
        + " ".join(parts)
        + f" The note under the boxes reads: \u201c{DESIGN_NOTE}\u201d"
    )


DESIGN_VALUE_REQUIREMENTS_METRICS = Diagram(
    name="design_value_requirements_metrics",
    draw=draw_design_value_requirements_metrics,
    alt=(
        "Three boxes side by side for MLOps design: the added value of an ML solution, the "
        "business requirements and where they come from, and the key metrics of each role."
    ),
    details=_design_details(),
)

# --------------------------------------------------------------------------------------------
# Lesson 2: data quality and ETL
# --------------------------------------------------------------------------------------------


def draw_data_quality_dimensions() -> Figure:
    width, height = 9.0, 4.1
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, QUALITY_DEFINITION)
    text(
        ax,
        width / 2,
        height - 0.62,
        "Four dimensions, each with an example question",
        size=10.5,
        ha="center",
        va="center",
    )
    w, h = 4.2, 1.4
    spots = ((0.2, 1.85), (4.6, 1.85), (0.2, 0.25), (4.6, 0.25))
    for i, ((x, y), (name, question)) in enumerate(zip(spots, QUALITY_DIMENSIONS, strict=True)):
        outline = _card(fig, ax, x, y, w, h, name, STYLES[i], size=12)
        in_box(fig, text(ax, x + 0.25, y + h - 0.62, question, size=10.5, va="top"), outline)
    return fig


DATA_QUALITY_DIMENSIONS = Diagram(
    name="data_quality_dimensions",
    draw=draw_data_quality_dimensions,
    alt=(
        "Four boxes for the four dimensions of data quality: accuracy, completeness, "
        "consistency and timeliness, each with an example question."
    ),
    details=(
        f"The title reads \u201c{QUALITY_DEFINITION}\u201d. Each box has a hatched key, the name "
        "of the dimension and its example question. "
        + "; ".join(f"{name}: \u201c{_flat(q)}\u201d" for name, q in QUALITY_DIMENSIONS)
        + "."
    ),
)


def draw_etl_ingestion() -> Figure:
    width, height = 9.0, 3.45
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Data ingestion with ETL: extract, transform, load")
    y, h = 1.3, 1.45
    src = box(ax, 0.15, y + 0.2, 1.25, h - 0.4, face="white", lw=1.2, hatch=None)
    in_box(fig, text(ax, 0.775, y + h / 2, "Data\nsources", size=10.5, ha="center", va="center"), src)
    xs, w = (1.8, 3.85, 5.9), 1.7
    for i, (x, (step, gloss)) in enumerate(zip(xs, ETL_STEPS, strict=True)):
        outline = _card(fig, ax, x, y, w, h, f"{i + 1}. {step}", STYLES[i], size=11)
        in_box(fig, text(ax, x + 0.15, y + h - 0.6, gloss, size=10, va="top"), outline)
    dst = box(ax, 7.9, y + 0.2, 1.0, h - 0.4, face="white", lw=1.2)
    in_box(fig, text(ax, 8.4, y + h / 2, "Storage\nfor ML", size=10.5, ha="center", va="center"), dst)
    for a, b in ((1.4, 1.8), (3.5, 3.85), (5.55, 5.9), (7.6, 7.9)):
        arrow(ax, (a + 0.02, y + h / 2), (b - 0.02, y + h / 2), lw=2, scale=14)
    text(
        ax,
        width / 2,
        0.95,
        "Arrows show the direction the data flows, left to right.",
        size=10,
        style="italic",
        ha="center",
        va="center",
    )
    for i, line in enumerate(INGESTION_OTHERS):
        text(ax, width / 2, 0.55 - 0.22 * i, line, size=10, ha="center", va="center")
    return fig


ETL_INGESTION = Diagram(
    name="etl_ingestion",
    draw=draw_etl_ingestion,
    alt=(
        "Data ingestion as a left-to-right flow from data sources through three numbered "
        "steps, extract, transform and load, into storage for ML, with a note on ELT and "
        "streaming ingestion."
    ),
    details=(
        "The title reads \u201cData ingestion with ETL: extract, transform, load\u201d. "
        + " ".join(f"Step {i + 1}, {step}: {_flat(gloss)}." for i, (step, gloss) in enumerate(ETL_STEPS))
        + " Arrows join the data sources to the first step, each step to the next, and the "
        "last step to the storage for ML. The note under the flow reads: \u201c"
        + " ".join(INGESTION_OTHERS)
        + "\u201d"
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 3: feature engineering and the feature store
# --------------------------------------------------------------------------------------------


def draw_feature_store_serving() -> Figure:
    width, height = 9.0, 4.6
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "A feature store between batch and real-time requests")
    raw = box(ax, 0.15, 1.95, 1.0, 0.9, face="white", lw=1.2)
    in_box(fig, text(ax, 0.65, 2.4, "Raw\ndata", size=10.5, ha="center", va="center"), raw)

    fe_title, fe_items = FEATURE_ENGINEERING
    fe = _card(fig, ax, 1.45, 1.35, 1.95, 2.1, fe_title.replace(" ", "\n"), STYLES[0], size=10.5)
    bullets(fig, ax, 1.6, 2.6, fe_items, fe)
    fs_title, fs_items = FEATURE_STORE
    fs = _card(fig, ax, 3.7, 1.1, 2.05, 2.6, fs_title, STYLES[1], size=11)
    bullets(fig, ax, 3.85, 3.1, fs_items, fs)
    in_box(
        fig, text(ax, 4.725, 1.3, "a central place", size=9.5, style="italic", ha="center", va="center"), fs
    )

    spots = (2.55, 0.55)
    for (name, gloss), y, style in zip(FEATURE_USES, spots, STYLES[2:4], strict=True):
        outline = _card(fig, ax, 6.1, y, 2.75, 1.25, name, style, size=11)
        in_box(fig, text(ax, 6.25, y + 0.72, gloss, size=10, va="top"), outline)
    arrow(ax, (1.17, 2.4), (1.43, 2.4), lw=2, scale=14)
    arrow(ax, (3.42, 2.4), (3.68, 2.4), lw=2, scale=14)
    arrow(ax, (5.77, 2.9), (6.08, 3.15), lw=2, scale=14)
    arrow(ax, (5.77, 1.9), (6.08, 1.2), lw=2, scale=14)
    text(ax, width / 2, 0.22, SKEW_NOTE, size=10, style="italic", ha="center", va="center")
    return fig


FEATURE_STORE_SERVING = Diagram(
    name="feature_store_serving",
    draw=draw_feature_store_serving,
    alt=(
        "Raw data goes through feature engineering into a feature store, which serves both "
        "batch requests, such as training data, and real-time requests for live predictions."
    ),
    details=(
        "From left to right: raw data; an arrow to feature engineering, which "
        + join([i.lower() + "s" for i in FEATURE_ENGINEERING[1]])
        + " raw data into features; an arrow to the feature store, a central place to "
        + join([i.lower() for i in FEATURE_STORE[1]])
        + " features. Two arrows leave the feature store: one up to "
        + f"{FEATURE_USES[0][0].lower()} ({_flat(FEATURE_USES[0][1])}), one down to "
        + f"{FEATURE_USES[1][0].lower()} ({_flat(FEATURE_USES[1][1])}). "
        + f"The note at the bottom reads: \u201c{SKEW_NOTE}\u201d"
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 4: experiment tracking and the experiment process
# --------------------------------------------------------------------------------------------


def draw_experiment_tracking() -> Figure:
    width, height = 9.0, 3.9
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Experiment tracking: what one run records, and why")
    rec = _card(fig, ax, 0.2, 0.95, 3.2, 2.35, "One tracked run", STYLES[1])
    bullets(fig, ax, 0.35, 2.7, TRACKED, rec)
    why = _card(fig, ax, 4.1, 0.95, 2.0, 2.35, "Why track", STYLES[2])
    bullets(fig, ax, 4.25, 2.7, TRACKING_WHY, why)
    tools = _card(fig, ax, 6.6, 0.95, 2.25, 2.35, "Tools", STYLES[0])
    bullets(fig, ax, 6.75, 2.7, TRACKING_TOOLS, tools)
    arrow(ax, (3.42, 2.1), (4.08, 2.1), lw=2, scale=14)
    text(
        ax,
        width / 2,
        0.45,
        "Tools range from a simple spreadsheet, to a platform of your own, to a dedicated tracking tool.",
        size=10,
        style="italic",
        ha="center",
        va="center",
    )
    return fig


EXPERIMENT_TRACKING = Diagram(
    name="experiment_tracking",
    draw=draw_experiment_tracking,
    alt=(
        "What one tracked experiment run records, why teams track experiments, and the range "
        "of tools used for it, in three boxes."
    ),
    details=(
        "The first box, one tracked run, lists "
        + join([t.lower() for t in TRACKED])
        + ". An arrow leads to the second box, why track: "
        + join([w.lower() for w in TRACKING_WHY])
        + ". The third box, tools, lists "
        + join([_flat(t) for t in TRACKING_TOOLS])
        + "; the note below says tools range from a simple spreadsheet, to a platform of your "
        "own, to a dedicated tracking tool."
    ),
)


def draw_experiment_process() -> Figure:
    width, height = 9.0, 4.2
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "The experiment process, step by step")
    w, h, gap = 1.85, 1.05, 0.4
    xs = [0.3 + i * (w + gap) for i in range(4)]
    rows = (2.35, 0.7)
    centres = []
    for i, step in enumerate(EXPERIMENT_STEPS):
        row, col = divmod(i, 4)
        x, y = xs[col if row == 0 else 3 - col], rows[row]
        style = STYLES[1] if row == 0 else STYLES[2]
        box(ax, x, y, w, h, face=style["colour"], alpha=0.14, lw=0, edge="none")
        outline = box(ax, x, y, w, h, face="none", lw=1.5, zorder=3)
        in_box(
            fig, text(ax, x + 0.12, y + h - 0.22, f"{i + 1}", size=11, weight="bold", va="center"), outline
        )
        in_box(
            fig, text(ax, x + w / 2 + 0.1, y + h / 2 - 0.08, step, size=10, ha="center", va="center"), outline
        )
        centres.append((x, y))
    for i in range(7):
        (x0, y0), (x1, y1) = centres[i], centres[i + 1]
        if y0 != y1:  # from the end of the top row straight down to the bottom row
            arrow(ax, (x0 + w / 2, y0 - 0.02), (x1 + w / 2, y1 + h + 0.02), lw=2, scale=14)
        elif x1 > x0:
            arrow(ax, (x0 + w + 0.02, y0 + h / 2), (x1 - 0.02, y1 + h / 2), lw=2, scale=14)
        else:
            arrow(ax, (x0 - 0.02, y0 + h / 2), (x1 + w + 0.02, y1 + h / 2), lw=2, scale=14)
    text(
        ax,
        width / 2,
        0.3,
        "Numbers and arrows give the order: the top row left to right, then the bottom row right to left.",
        size=10,
        style="italic",
        ha="center",
        va="center",
    )
    return fig


EXPERIMENT_PROCESS = Diagram(
    name="experiment_process",
    draw=draw_experiment_process,
    alt=(
        "The eight steps of the experiment process in two rows of four numbered boxes, from "
        "formulating a hypothesis to reporting and visualising the results."
    ),
    details=(
        "Arrows join each step to the next: along the top row from left to right, straight down "
        "from step 4 to step 5, then along the bottom row from right to left. The steps are: "
        + "; ".join(f"{i + 1}, {inline(_flat(s))}" for i, s in enumerate(EXPERIMENT_STEPS))
        + "."
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 5: the lab's selection rules
# --------------------------------------------------------------------------------------------


def draw_run_selection_rules() -> Figure:
    width, height = 9.0, 5.0
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Lab: which run to register?")
    y, h, step = 3.85, 0.55, 0.7
    for i, (rule, gloss) in enumerate(SELECTION_RULES):
        w = 5.6 - 0.5 * i
        x = 0.25 + (5.6 - w) / 2
        style = STYLES[i % len(STYLES)]
        box(ax, x, y, w, h, face=style["colour"], alpha=0.16, lw=0, edge="none")
        outline = box(ax, x, y, w, h, face="none", lw=1.5, zorder=3)
        in_box(fig, text(ax, x + w / 2, y + h / 2, rule, size=10.5, ha="center", va="center"), outline)
        text(ax, 6.15, y + h / 2, gloss, size=10, color=DIM_TEXT, style="italic", ha="left", va="center")
        if i:
            arrow(ax, (3.05, y + h + step - h - 0.02), (3.05, y + h + 0.02), lw=2, scale=12)
        y -= step
    result = box(ax, 0.25, y + 0.05, 5.6, h, face="white", lw=2.5)
    in_box(
        fig,
        text(
            ax, 3.05, y + 0.05 + h / 2, SELECTION_RESULT, size=10.5, weight="bold", ha="center", va="center"
        ),
        result,
    )
    arrow(ax, (3.05, y + step - 0.02), (3.05, y + h + 0.07), lw=2, scale=12)
    text(ax, width / 2, 0.2, LAB_NOTE, size=10, style="italic", ha="center", va="center")
    return fig


RUN_SELECTION_RULES = Diagram(
    name="run_selection_rules",
    draw=draw_run_selection_rules,
    alt=("A funnel of the lab rules that narrow a log of tracked runs down to the one run to register."),
    details=(
        "From top to bottom, each box narrower than the one above: "
        + "; ".join(f"{_flat(rule)} ({gloss})" for rule, gloss in SELECTION_RULES)
        + f". The last box reads: \u201c{SELECTION_RESULT}\u201d. "
        + f"The note at the bottom reads: \u201c{LAB_NOTE}\u201d"
    ),
)

# --------------------------------------------------------------------------------------------
# Lesson 6: testing what you build
# --------------------------------------------------------------------------------------------


def draw_ml_testing_checks() -> Figure:
    width, height = 9.0, 4.5
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "What CI tests and what the pipeline checks, before release")
    w, gap, y, h = 2.05, 0.15, 1.0, 2.9
    for i, (name, items) in enumerate(ML_TESTS):
        x = 0.2 + i * (w + gap)
        outline = _card(fig, ax, x, y, w, h, name, STYLES[i])
        bullets(fig, ax, x + 0.12, y + h - 0.6, items, outline, gap=0.1)
    for i, line in enumerate(ML_TEST_SCORE):
        text(ax, width / 2, 0.6 - 0.24 * i, line, size=10, style="italic", ha="center", va="center")
    return fig


ML_TESTING_CHECKS = Diagram(
    name="ml_testing_checks",
    draw=draw_ml_testing_checks,
    alt=(
        "Four boxes for what is tested in an ML system: the data, the features, the model and "
        "the pipeline; each item says whether continuous integration tests it or the automated "
        "pipeline checks it, with a note on the ML Test Score rubric."
    ),
    details=(
        "From left to right, each box has a hatched key and a title. "
        + " ".join(f"{name}: " + "; ".join(inline(_flat(i)) for i in items) + "." for name, items in ML_TESTS)
        + " The note under the boxes reads: \u201c"
        + " ".join(ML_TEST_SCORE)
        + "\u201d"
    ),
)

# --------------------------------------------------------------------------------------------
# Recap
# --------------------------------------------------------------------------------------------


def draw_recap_design_development() -> Figure:
    width, height = 9.0, 3.3
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "From a business problem to a model worth registering")
    xs, w, y, h = (0.2, 3.13, 6.06), 2.74, 0.2, 2.5
    for i, (x, (title, items)) in enumerate(zip(xs, RECAP_COLUMNS, strict=True)):
        outline = _card(fig, ax, x, y, w, h, title, STYLES[i], size=11.5)
        bullets(fig, ax, x + 0.15, y + h - 0.6, items, outline, gap=0.1)
    for x in xs[1:]:
        arrow(ax, (x - 0.18, y + h / 2), (x - 0.01, y + h / 2), lw=2, scale=12)
    return fig


RECAP_DESIGN_DEVELOPMENT = Diagram(
    name="recap_design_development",
    draw=draw_recap_design_development,
    alt=(
        "Chapter summary in three boxes joined by arrows: plan the solution, prepare the data, "
        "then run the experiments that lead to a model worth registering."
    ),
    details="From left to right. "
    + " ".join(
        f"{title}: " + "; ".join(inline(_flat(i)) for i in items) + "." for title, items in RECAP_COLUMNS
    ),
)

#: Chapter 2's diagrams by name, in the order the notebook shows them.
DIAGRAMS: dict[str, Diagram] = {
    d.name: d
    for d in (
        DESIGN_VALUE_REQUIREMENTS_METRICS,
        DATA_QUALITY_DIMENSIONS,
        ETL_INGESTION,
        FEATURE_STORE_SERVING,
        EXPERIMENT_TRACKING,
        EXPERIMENT_PROCESS,
        RUN_SELECTION_RULES,
        ML_TESTING_CHECKS,
        RECAP_DESIGN_DEVELOPMENT,
    )
}

"""Chapter 3, "Deploying ML into production": its diagrams, each drawn and described from one source.

Every diagram is a :class:`~.toolkit.Diagram` in :data:`DIAGRAMS`. The facts a diagram shows
(what a container holds, monolith and microservices, inference through an API, the CI, CD and CT
pipelines, the deployment strategies and the automation tools of each phase) are data at the top
of this module; the drawing and the words are both made from that data, so they say the same
thing.

Beyond the chapter's facts, the lab diagram (``canary_promotion_rule``) shows the promotion rule
of the chapter's lab, which the lab itself states; the example request and response of the API
diagram are made up for illustration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chapter1.diagrams import PHASE_STYLE, PHASES
from ..toolkit import (
    DIM_EDGE,
    DIM_TEXT,
    LINE,
    OKABE_ITO,
    Diagram,
    arrow,
    box,
    in_box,
    join,
    new_figure,
    swatch,
    text,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

# Colour *and* hatch for each kind of box, so nothing depends on colour alone.
OLD = {"colour": OKABE_ITO["sky_blue"], "hatch": "..."}
NEW = {"colour": OKABE_ITO["orange"], "hatch": "///"}
NEUTRAL = {"colour": OKABE_ITO["green"], "hatch": "xxx"}
EXTRA = {"colour": OKABE_ITO["purple"], "hatch": "\\\\\\"}

# --------------------------------------------------------------------------------------------
# The facts
# --------------------------------------------------------------------------------------------

CONTAINER_BENEFITS = ("portable", "consistent", "fast to start", "easy to maintain")
CONTAINER_PLACES = ("Laptop", "Test server", "Production")

MONOLITH_PARTS = ("Web shop", "Payments", "Recommendation\nmodel")
MONOLITH_POINTS = ("One unit: hard to scale", "One failure can take\neverything down")
MICRO_POINTS = ("Independent services:\neach scales on its own", "A failure stays in\nits service")

API_REQUEST = '{"amount": 120,\n "country": "NL"}'
API_RESPONSE = '{"fraud": false}'

#: Lesson 2, serving: each way's steps from left to right, and what it costs and gives [H] [G].
SERVING = (
    (
        "Online",
        OLD,
        ("One request:\nnew input", "Prediction service\nbehind an API", "One prediction,\nright away"),
        "Low latency \u00b7 needs a live service",
    ),
    (
        "Batch",
        NEW,
        (
            "Schedule, e.g.\nevery night",
            "Model scores\nmany inputs",
            "Stored\npredictions",
            "Read later by\napplications",
        ),
        "Cheap \u00b7 only as fresh as the last run",
    ),
)
MIDDOT = " \u00b7"
SERVING_VARIANTS = "Also: streaming (on events as they arrive) and edge (on the user's device)."

#: The three pipelines of lesson 3: (name, long name, steps; line breaks are where it wraps).
PIPELINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "CI",
        "Continuous integration",
        (
            "Change to code\nor data",
            "Integrate and\ntest the code",
            "Test and validate\ndata and schemas",
            "Validate\nthe model",
        ),
    ),
    (
        "CD",
        "Continuous delivery /\ndeployment",
        (
            "Validated code,\nkept releasable",
            "Go live: by hand\n(delivery) or auto-\nmatically (deploy.)",
            "Ship the\ntraining pipeline",
            "Pipeline deploys the\nprediction service",
        ),
    ),
    (
        "CT",
        "Continuous training\n(unique to ML)",
        (
            "Trigger, e.g.\nnew data",
            "Train the model\nagain, automatically",
            "Validate the\nnew model",
            "Prediction service\ngets the new model",
        ),
    ),
)

#: Lesson 3, automation and scaling: the tools that automate each phase of the lifecycle.
AUTOMATION = {
    "design": ("Templates",),
    "development": ("Feature stores", "Experiment tracking"),
    "deployment": ("Containers", "CI/CD", "Microservices"),
}


#: Lesson 4: each strategy, what its traffic does, its risk and its resources.
STRATEGIES: tuple[dict, ...] = (
    {
        "name": "Basic",
        "flows": (None, None),
        "served": "new model only",
        "risk": "high risk",
        "cost": "low resources",
        "words": (
            "the new model replaces the old one: every request goes to the new model, whose "
            "output users get, and the old model is gone"
        ),
    },
    {
        "name": "Shadow",
        "flows": ("every request", "a copy of every request"),
        "served": "old model's output only",
        "risk": "no risk to predictions",
        "cost": "double resources",
        "words": (
            "every request goes to both models, but only the old model's output is served; "
            "the new model's output is recorded for comparison and never reaches users"
        ),
    },
    {
        "name": "Canary",
        "flows": ("most traffic", "small share, grows"),
        "served": "both, by share of traffic",
        "risk": "small risk",
        "cost": "harder to implement",
        "words": (
            "most requests go to the old model and a small share to the new one; the share "
            "grows as long as the new model's metrics hold"
        ),
    },
    {
        "name": "Blue-green",
        "flows": (None, "all traffic, switched"),
        "served": "one environment at a time",
        "risk": "roll back by switching back",
        "cost": "two environments",
        "words": (
            "two identical production environments, blue with the old model and green with "
            "the new one; all traffic is switched to green at once, and switching back to "
            "blue, the dotted arrow, rolls back"
        ),
    },
)

#: The lab's promotion rule: its three questions, in the order they are asked, and its outcomes.
RULE_QUESTIONS = {
    "minimum": "Has the canary served at least\nthe minimum number of requests?",
    "abort": "Would it be above the limit at\nthe minimum, even if no further\nrequest were an error?",
    "limit": "Is its error rate at most the\nlimit (old rate + margin)?",
}
RULE_OUTCOMES = {
    "abort": ("Roll back now", "early abort: it can no\nlonger meet the limit"),
    "wait": ("Wait", "keep the canary share and\ncollect more requests"),
    "promote": ("Promote", "give the new model\nmore traffic"),
    "roll back": ("Roll back", "send all traffic back\nto the old model"),
}

RECAP_COLUMNS = (
    (
        "Package",
        NEUTRAL,
        (
            "Environments differ:\nlibrary versions",
            "Containers (Docker):\ncode + dependencies",
            "Kubernetes orchestrates\nand scales containers",
        ),
    ),
    (
        "Serve",
        OLD,
        (
            "Online (often a micro-\nservice) or batch",
            "API: agreed contract\nfor input and output",
            "Inference: new input in,\nprediction out",
        ),
    ),
    (
        "Release",
        NEW,
        (
            "CI, CD (delivery or\ndeployment), and CT",
            "Strategies: basic,\nshadow, canary",
            "Canary: is it safe?\nA/B test: is it better?",
        ),
    ),
)


def _flat(s: str) -> str:
    return s.replace("\n", " ")


def _lower(s: str) -> str:
    s = _flat(s)
    return s if s[:2].isupper() else s[0].lower() + s[1:]


# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def _card(
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


def _plain(
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


def _title(ax: Axes, width: float, y: float, s: str, size: float = 13) -> None:
    text(ax, width / 2, y, s, size=size, weight="bold", ha="center", va="center")


# --------------------------------------------------------------------------------------------
# Lesson 1: runtime environments and containers
# --------------------------------------------------------------------------------------------


def draw_runtime_containers() -> Figure:
    width, height = 9.0, 5.6
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Runtime environments: why containers help")

    # Top: without a container.
    text(ax, 0.2, 4.75, "Without a container", size=11, weight="bold", va="center")
    _plain(fig, ax, 0.3, 3.55, 2.6, 0.9, "Development\nlibrary version A", style=NEW)
    _plain(fig, ax, 4.3, 3.55, 2.6, 0.9, "Production\nlibrary version B", style=OLD)
    arrow(ax, (2.95, 4.0), (4.25, 4.0), lw=2, scale=14)
    text(ax, 3.6, 4.2, "copy code", size=9.5, ha="center", va="bottom")
    text(
        ax,
        7.05,
        4.0,
        "Versions differ:\nthe model may\nbreak or change",
        size=10,
        va="center",
        style="italic",
    )

    # Bottom: with a container.
    text(ax, 0.2, 3.05, "With a container (for example Docker)", size=11, weight="bold", va="center")
    outline = box(ax, 0.3, 1.3, 2.6, 1.45, face="white", lw=2.2)
    outline.set_linestyle((0, (5, 2)))
    in_box(
        fig,
        text(ax, 1.6, 2.5, "Container image", size=10.5, weight="bold", ha="center", va="center"),
        outline,
    )
    _plain(fig, ax, 0.5, 1.85, 2.2, 0.4, "Model code", style=NEW)
    _plain(fig, ax, 0.5, 1.4, 2.2, 0.4, "Its dependencies", style=NEUTRAL)
    ys = (2.35, 1.75, 1.15)
    for place, y in zip(CONTAINER_PLACES, ys, strict=True):
        _plain(fig, ax, 4.3, y - 0.22, 2.4, 0.46, f"{place}: same container", size=10)
        arrow(ax, (2.95, 2.02), (4.25, y), lw=1.6, scale=12)
    text(
        ax,
        7.05,
        1.75,
        "Same software\nenvironment;\nhost kernel and\nhardware still\ndiffer",
        size=10,
        va="center",
        style="italic",
    )

    k8s = box(ax, 0.3, 0.3, 8.4, 0.55, face=EXTRA["colour"], alpha=0.15, lw=1.3)
    in_box(
        fig,
        text(
            ax,
            4.5,
            0.575,
            "Kubernetes orchestrates the containers and scales them",
            size=10.5,
            ha="center",
            va="center",
        ),
        k8s,
    )
    return fig


RUNTIME_CONTAINERS = Diagram(
    name="runtime_containers",
    draw=draw_runtime_containers,
    alt=(
        "Two rows: without a container, code copied from development to production meets "
        "different library versions; with a container, the same image gives the same software "
        "environment everywhere."
    ),
    details=(
        "Top row, without a container: the development environment has library version A, and "
        "the code is copied to production, which has library version B; a note says the "
        "versions differ, so the model may break or change. Bottom row, with a container (for "
        "example Docker): a dashed box, the container image, holds the model code and its "
        f"dependencies; arrows lead from it to {join([p.lower() for p in CONTAINER_PLACES])}, "
        "each running the same container, with a note that the software environment is the same "
        "while the host's kernel and hardware can still differ. A bar "
        "along the bottom reads: Kubernetes orchestrates the containers and scales them."
    ),
)


# --------------------------------------------------------------------------------------------
# Lesson 2: microservices, inference and APIs
# --------------------------------------------------------------------------------------------


def draw_monolith_vs_microservices() -> Figure:
    width, height = 9.0, 4.6
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Monolith versus microservices")

    # Left: the monolith.
    mono = _card(fig, ax, 0.2, 1.2, 4.0, 2.75, "Monolith: one unit", EXTRA)
    for i, part in enumerate(MONOLITH_PARTS):
        y = 3.1 - i * 0.62
        _plain(fig, ax, 0.55, y - 0.25, 2.0, 0.52, part, size=10, dashed=False)
    in_box(fig, text(ax, 2.75, 1.85, "\u2717 fails", size=10.5, weight="bold", va="center"), mono)
    in_box(
        fig, text(ax, 2.75, 3.1, "all parts are\ndeployed and\nscaled together", size=10, va="center"), mono
    )
    for i, point in enumerate(MONOLITH_POINTS):
        text(ax, 0.3, 0.85 - i * 0.42, "\u2022 " + point.replace("\n", " "), size=10, va="center")

    # Right: microservices.
    _card(fig, ax, 4.6, 1.2, 4.2, 2.75, "Microservices: independent", NEUTRAL)
    services = (("Web shop", 3.1), ("Payments", 2.35), ("Recommendation\nmodel service", 1.55))
    for name, y in services:
        _plain(fig, ax, 4.85, y - 0.27, 1.75, 0.56, name, size=10)
    for y0, y1 in ((3.1, 2.35), (2.35, 1.55)):
        arrow(ax, (5.72, y0 - 0.29), (5.72, y1 + 0.31), lw=1.4, scale=11, style="<|-|>")
    # Scaled copies of the model service, stacked back to front.
    for k in range(2, -1, -1):
        cx, cy = 6.95 + k * 0.12, 2.3 + k * 0.1
        copy = box(ax, cx, cy, 1.45, 0.5, face="white", lw=1.3, zorder=3 + (2 - k))
        if k == 0:
            in_box(
                fig,
                text(
                    ax, cx + 0.725, cy + 0.25, "model service", size=9.5, ha="center", va="center", zorder=10
                ),
                copy,
            )
    text(ax, 6.85, 3.35, "copies: scaled\nout on its own", size=10, va="center")
    text(ax, 6.75, 1.55, "\u2190 \u2717 a failure\n    stays here", size=10, va="center")
    for i, point in enumerate(MICRO_POINTS):
        text(ax, 4.7, 0.85 - i * 0.42, "\u2022 " + point.replace("\n", " "), size=10, va="center")
    return fig


MONOLITH_VS_MICROSERVICES = Diagram(
    name="monolith_vs_microservices",
    draw=draw_monolith_vs_microservices,
    alt=(
        "A monolith, one unit holding a web shop, payments and a recommendation model, next to "
        "the same parts as independent microservices."
    ),
    details=(
        f"Left, the monolith: {join([_lower(p) for p in MONOLITH_PARTS])} sit in one box, "
        "deployed and scaled together; a cross marks the model failing, and the notes read "
        f"\u201c{_flat(MONOLITH_POINTS[0])}\u201d and \u201c{_flat(MONOLITH_POINTS[1])}\u201d. "
        "Right, microservices: the web shop, payments and the recommendation model service are "
        "separate boxes that talk to each other; the model service is stacked as several "
        "copies, scaled out on its own, and a cross says a failure stays in that service. The "
        f"notes read \u201c{_flat(MICRO_POINTS[0])}\u201d and \u201c{_flat(MICRO_POINTS[1])}\u201d."
    ),
)


def draw_inference_api() -> Figure:
    width, height = 9.0, 3.6
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Inference through an API")
    _plain(fig, ax, 0.2, 1.3, 1.6, 0.9, "Application\n(client)", style=OLD)
    api = box(ax, 3.7, 0.55, 1.5, 2.4, face=EXTRA["colour"], alpha=0.18, lw=1.5)
    in_box(fig, text(ax, 4.45, 2.55, "API", size=11, weight="bold", ha="center", va="center"), api)
    in_box(
        fig,
        text(ax, 4.45, 1.75, "agreed\ncontract\nfor input\nand output", size=10, ha="center", va="center"),
        api,
    )
    _plain(fig, ax, 7.1, 1.3, 1.7, 0.9, "Model\nmicroservice", style=NEW)
    # Request (top) and response (bottom) arrows.
    arrow(ax, (1.85, 2.0), (3.65, 2.0), lw=2, scale=14)
    arrow(ax, (5.25, 2.0), (7.05, 2.0), lw=2, scale=14)
    arrow(ax, (7.05, 1.5), (5.25, 1.5), lw=2, scale=14)
    arrow(ax, (3.65, 1.5), (1.85, 1.5), lw=2, scale=14)
    text(ax, 2.75, 2.1, "request:\nnew input", size=10, ha="center", va="bottom")
    text(ax, 2.75, 1.4, "response:\nprediction", size=10, ha="center", va="top")
    text(ax, 6.15, 2.1, API_REQUEST, size=9.5, ha="center", va="bottom", family="monospace")
    text(ax, 6.15, 1.4, API_RESPONSE, size=9.5, ha="center", va="top", family="monospace")
    text(
        ax,
        width / 2,
        0.25,
        "Inference: send new input to the model, get a prediction back.",
        size=10.5,
        style="italic",
        ha="center",
        va="center",
    )
    return fig


INFERENCE_API = Diagram(
    name="inference_api",
    draw=draw_inference_api,
    alt=(
        "An application sends new input through an API to a model microservice and gets a "
        "prediction back: that round trip is inference."
    ),
    details=(
        "From left to right: the application (the client), the API in the middle, described as "
        "the agreed contract for input and output, and the model microservice. The upper arrows "
        f"carry the request, new input such as {_flat(API_REQUEST)}, from the application "
        "through the API to the model; the lower arrows carry the response, a prediction such "
        f"as {API_RESPONSE}, back. The example values are made up. The caption reads: "
        "inference: send new input to the model, get a prediction back."
    ),
)


def draw_serving_modes() -> Figure:
    width, height = 9.0, 4.4
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Serving a model: online or batch")
    for row, (name, style, steps, trade) in enumerate(SERVING):
        y = 2.3 - row * 1.85
        lane = _card(fig, ax, 0.15, y, 8.7, 1.6, name, style, size=11.5, fill=0.08)
        n = len(steps)
        w, gap = (8.3 - 0.3 * (n - 1)) / n, 0.3
        for k, step in enumerate(steps):
            x = 0.35 + k * (w + gap)
            _plain(fig, ax, x, y + 0.45, w, 0.75, step, size=9.5)
            if k:
                arrow(ax, (x - gap + 0.02, y + 0.82), (x - 0.02, y + 0.82), lw=1.6, scale=11)
        in_box(fig, text(ax, 0.35, y + 0.22, trade, size=9.5, va="center", weight="bold"), lane)
    text(ax, width / 2, 0.2, SERVING_VARIANTS, size=10, style="italic", ha="center", va="center")
    return fig


SERVING_MODES = Diagram(
    name="serving_modes",
    draw=draw_serving_modes,
    alt=(
        "Two lanes: online serving answers one request at a time through a prediction "
        "service; batch serving scores many inputs on a schedule and stores the predictions."
    ),
    details=(
        " ".join(
            f"{name} lane, from left to right: "
            + ", then ".join(_lower(st) for st in steps)
            + ". Below it: "
            + _lower(trade).replace(MIDDOT, ";")
            + "."
            for name, _, steps, trade in SERVING
        )
        + f" A note at the bottom reads: {SERVING_VARIANTS}"
    ),
)


# --------------------------------------------------------------------------------------------
# Lesson 3: CI/CD, continuous training, automation
# --------------------------------------------------------------------------------------------


def draw_ci_cd_ct_pipelines() -> Figure:
    width, height = 9.0, 5.0
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Three pipelines for ML: CI, CD and CT")
    styles = (OLD, NEW, NEUTRAL)
    lane_h, top = 1.3, height - 0.65
    for i, ((short, long, steps), style) in enumerate(zip(PIPELINES, styles, strict=True)):
        y = top - (i + 1) * lane_h - i * 0.12
        lane = box(ax, 0.15, y, 8.7, lane_h, face=style["colour"], alpha=0.1, lw=1.2)
        swatch(ax, 0.28, y + lane_h - 0.36, 0.34, 0.22, style["colour"], style["hatch"])
        in_box(fig, text(ax, 0.72, y + lane_h - 0.25, short, size=12, weight="bold", va="center"), lane)
        in_box(fig, text(ax, 0.28, y + 0.45, long, size=9.5, va="center"), lane)
        x0, w, gap = 1.95, 1.55, 0.2
        for k, step in enumerate(steps):
            x = x0 + k * (w + gap)
            _plain(fig, ax, x, y + 0.2, w, lane_h - 0.4, step, size=9.5)
            if k:
                arrow(ax, (x - gap + 0.01, y + lane_h / 2), (x - 0.01, y + lane_h / 2), lw=1.6, scale=11)
    return fig


def _pipelines_details() -> str:
    parts = [
        f"{_flat(long)} ({short}): " + ", then ".join(_lower(s) for s in steps) + "."
        for short, long, steps in PIPELINES
    ]
    return (
        "Each lane runs from left to right. "
        + " ".join(parts)
        + " Going live by hand is continuous delivery; going live automatically is continuous "
        "deployment." + " The CI lane's data, schema and model checks, the training pipeline of CD and the "
        "whole CT lane are what ML adds to the CI/CD of ordinary software."
    )


CI_CD_CT_PIPELINES = Diagram(
    name="ci_cd_ct_pipelines",
    draw=draw_ci_cd_ct_pipelines,
    alt=(
        "Three lanes of steps, one each for continuous integration, continuous delivery or "
        "deployment, and continuous training of ML models."
    ),
    details=_pipelines_details(),
)


def draw_automation_by_phase() -> Figure:
    width, height = 9.0, 3.3
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Automation and scaling: a tool for every phase")
    xs, w, h, y = (0.25, 3.225, 6.2), 2.55, 2.1, 0.55
    for x, phase in zip(xs, PHASES, strict=True):
        outline = _card(fig, ax, x, y, w, h, phase.capitalize(), PHASE_STYLE[phase], size=12)
        for k, tool in enumerate(AUTOMATION[phase]):
            in_box(
                fig,
                text(ax, x + 0.2, y + h - 0.7 - k * 0.38, "\u2022 " + tool, size=10.5, va="center"),
                outline,
            )
    for x in xs[1:]:
        arrow(ax, (x - 0.4, y + h / 2), (x - 0.03, y + h / 2), lw=2.2)
    text(
        ax,
        width / 2,
        0.25,
        "Arrows: the order of the phases in the lifecycle.",
        size=10,
        style="italic",
        ha="center",
        va="center",
    )
    return fig


AUTOMATION_BY_PHASE = Diagram(
    name="automation_by_phase",
    draw=draw_automation_by_phase,
    alt=(
        "Three boxes for the lifecycle phases design, development and deployment, each listing "
        "the tools that automate and scale it."
    ),
    details=(
        "From left to right, joined by arrows in lifecycle order: "
        + "; ".join(
            f"{phase}: {join([t if t == 'CI/CD' else t.lower() for t in AUTOMATION[phase]])}"
            for phase in PHASES
        )
        + "."
    ),
)


# --------------------------------------------------------------------------------------------
# Lesson 4: deployment strategies
# --------------------------------------------------------------------------------------------


def _strategy_panel(fig: Figure, ax: Axes, x: float, y: float, w: float, h: float, s: dict) -> None:
    outline = _card(
        fig, ax, x, y, w, h, s["name"], EXTRA if s["name"] == "Blue-green" else NEUTRAL, size=11.5, fill=0.06
    )
    blue_green = s["name"] == "Blue-green"
    req = _plain(fig, ax, x + 0.15, y + 0.95, 0.95, 0.62, "Requests", size=10)
    del req
    old_label = "Blue: old\nmodel" if blue_green else "Old model"
    new_label = "Green: new\nmodel" if blue_green else "New model"
    mx, mw, mh = x + w - 1.5, 1.35, 0.52
    old_y, new_y = y + 1.5, y + 0.6
    basic = s["name"] == "Basic"
    # In blue-green the boxes are named by colour, so their tints match their names; the
    # hatch (dots old, stripes new) still carries the meaning, as in the other panels.
    old_style = {**OLD, "colour": OKABE_ITO["blue"]} if blue_green else OLD
    new_style = {**NEW, "colour": OKABE_ITO["green"]} if blue_green else NEW
    _plain(
        fig,
        ax,
        mx,
        old_y,
        mw,
        mh,
        old_label + (" (gone)" if basic else ""),
        size=9.5,
        style=old_style,
        dimmed=basic,
    )
    _plain(fig, ax, mx, new_y, mw, mh, new_label, size=9.5, style=new_style)
    start = (x + 1.12, y + 1.26)
    to_old, to_new = s["flows"]
    if to_old:
        lw = {"every request": 2.5, "most traffic": 3.5}[to_old]
        arrow(ax, start, (mx - 0.04, old_y + mh / 2), lw=lw, scale=14)
        text(ax, x + 1.25, old_y + mh / 2 + 0.12, to_old, size=9, va="bottom")
    if to_new:
        lw = {"a copy of every request": 2.5, "small share, grows": 1.2, "all traffic, switched": 3.5}[to_new]
        dashed = s["name"] == "Shadow"
        arrow(ax, start, (mx - 0.04, new_y + mh / 2), lw=lw, scale=14, style="-|>" if not dashed else "-|>")
        if dashed:
            ax.patches[-1].set_linestyle((0, (4, 2)))
        text(ax, x + 1.25, new_y + mh / 2 - 0.14, to_new, size=9, va="top")
    if basic:
        arrow(ax, start, (mx - 0.04, new_y + mh / 2), lw=3.5, scale=14)
        text(ax, x + 1.25, new_y + mh / 2 - 0.14, "all traffic", size=9, va="top")
    if blue_green:  # the way back: a thin dotted arrow to blue
        arrow(ax, start, (mx - 0.04, old_y + mh / 2), lw=1.2, scale=11)
        ax.patches[-1].set_linestyle((0, (1, 2)))
        text(ax, x + 1.25, old_y + mh / 2 + 0.12, "roll back: switch back", size=9, va="bottom")
    in_box(fig, text(ax, x + 0.15, y + 0.38, f"Users get: {s['served']}", size=9.5, va="center"), outline)
    in_box(
        fig,
        text(
            ax,
            x + 0.15,
            y + 0.14,
            f"{s['risk'].capitalize()} \u00b7 {s['cost']}",
            size=9.5,
            va="center",
            weight="bold",
        ),
        outline,
    )
    in_box(
        fig,
        text(
            ax,
            x + w - 0.12,
            y + h - 0.21,
            "extra" if blue_green else "",
            size=9.5,
            ha="right",
            va="center",
            style="italic",
        ),
        outline,
    )


def draw_deployment_strategies() -> Figure:
    width, height = 9.0, 6.2
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Deployment strategies: where the traffic goes")
    w, h = 4.3, 2.6
    spots = ((0.15, 3.0), (4.55, 3.0), (0.15, 0.2), (4.55, 0.2))
    for (x, y), s in zip(spots, STRATEGIES, strict=True):
        _strategy_panel(fig, ax, x, y, w, h, s)
    return fig


def _strategies_details() -> str:
    parts = [
        f"{s['name']}: {s['words']}. Users get: {s['served']}; {s['risk']}, {s['cost']}." for s in STRATEGIES
    ]
    return (
        "Four panels, each with requests on the left and the old model (dot-hatched box) "
        "and the new model (stripe-hatched box) on the right; thicker arrows carry more "
        "traffic, the shadow copy is a dashed arrow, and the blue-green way back is a thin "
        "dotted arrow. " + " ".join(parts) + " Blue-green is marked as extra material."
    )


DEPLOYMENT_STRATEGIES = Diagram(
    name="deployment_strategies",
    draw=draw_deployment_strategies,
    alt=(
        "Four panels showing where requests go under the basic, shadow, canary and blue-green "
        "deployment strategies, with the risk and resources of each."
    ),
    details=_strategies_details(),
)


# --------------------------------------------------------------------------------------------
# Lesson 5: the lab's promotion rule
# --------------------------------------------------------------------------------------------


def draw_canary_promotion_rule() -> Figure:
    width, height = 9.5, 5.3
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "The lab's promotion rule for a canary, with its early abort")
    qw, qh = 3.1, 1.0
    _plain(fig, ax, 0.2, 3.5, qw, qh, RULE_QUESTIONS["minimum"], size=10, style=OLD)
    _plain(fig, ax, 3.75, 3.5, 2.85, qh, RULE_QUESTIONS["abort"], size=9.5, style=OLD)
    _plain(fig, ax, 0.2, 1.3, qw, qh, RULE_QUESTIONS["limit"], size=10, style=OLD)
    cards = (
        ("abort", 3.55, EXTRA),
        ("wait", 2.45, NEUTRAL),
        ("promote", 1.3, NEW),
        ("roll back", 0.2, EXTRA),
    )
    for key, y, style in cards:
        name, what = RULE_OUTCOMES[key]
        card = _card(fig, ax, 7.0, y, 2.35, 0.9, name, style, size=10.5)
        in_box(fig, text(ax, 7.1, y + 0.55, what, size=9, va="top"), card)

    def label(x: float, y: float, word: str, **kw) -> None:
        text(ax, x, y, word, size=10, weight="bold", **kw)

    arrow(ax, (3.33, 4.0), (3.7, 4.0), lw=2, scale=14)
    label(3.52, 4.08, "no", ha="center", va="bottom")
    arrow(ax, (6.63, 4.0), (6.95, 4.0), lw=2, scale=14)
    label(6.79, 4.08, "yes", ha="center", va="bottom")
    arrow(ax, (6.1, 3.45), (6.95, 2.9), lw=2, scale=14)
    label(6.45, 3.05, "no", ha="right", va="center")
    arrow(ax, (1.75, 3.45), (1.75, 2.35), lw=2, scale=14)
    label(1.85, 2.9, "yes", va="center")
    arrow(ax, (3.35, 1.8), (6.95, 1.75), lw=2, scale=14)
    label(5.1, 1.85, "yes", ha="center", va="bottom")
    arrow(ax, (2.9, 1.25), (6.95, 0.65), lw=2, scale=14)
    label(4.9, 0.82, "no", ha="center", va="top")
    text(
        ax,
        0.2,
        0.45,
        "Error rate = errors \u00f7 requests served, per model.",
        size=10,
        style="italic",
        va="center",
    )
    return fig


def _rule_details() -> str:
    q = {k: _flat(v) for k, v in RULE_QUESTIONS.items()}
    o = {k: f"{name}: {_flat(what)}" for k, (name, what) in RULE_OUTCOMES.items()}
    return (
        f"First question: \u201c{q['minimum']}\u201d If no, a second question: \u201c{q['abort']}\u201d "
        f"If yes, {o['abort']}; if no, {o['wait']}. If the first answer is yes, the question is "
        f"\u201c{q['limit']}\u201d If yes, {o['promote']}; if no, {o['roll back']}. A note says "
        "that an error rate is the number of errors divided by the number of requests a model "
        "served."
    )


CANARY_PROMOTION_RULE = Diagram(
    name="canary_promotion_rule",
    draw=draw_canary_promotion_rule,
    alt=(
        "A decision flow for the canary: before the minimum number of requests, roll back at "
        "once if it can no longer meet the limit, else wait; from the minimum on, promote if its "
        "error rate is within the limit, else roll back."
    ),
    details=_rule_details(),
)


# --------------------------------------------------------------------------------------------
# Recap
# --------------------------------------------------------------------------------------------


def draw_recap_deployment() -> Figure:
    width, height = 9.0, 3.9
    fig, ax = new_figure(width, height)
    _title(ax, width, height - 0.3, "Deploying ML into production: package, serve, release")
    xs, w, h, y = (0.2, 3.2, 6.2), 2.6, 2.85, 0.3
    for x, (name, style, lines) in zip(xs, RECAP_COLUMNS, strict=True):
        outline = _card(fig, ax, x, y, w, h, name, style, size=12)
        yy = y + h - 0.6
        for line in lines:
            in_box(
                fig,
                text(ax, x + 0.15, yy, "\u2022 " + line.replace("\n", "\n   "), size=10, va="top"),
                outline,
            )
            yy -= (line.count("\n") + 1) * 10 * 1.3 / 72 + 0.15
    for x in xs[1:]:
        arrow(ax, (x - 0.37, y + h / 2), (x - 0.03, y + h / 2), lw=2.2)
    return fig


RECAP_DEPLOYMENT = Diagram(
    name="recap_deployment",
    draw=draw_recap_deployment,
    alt=("Chapter summary in three boxes joined by arrows: package the model, serve it, and release it."),
    details=(
        "; ".join(f"{name}: " + ", ".join(_lower(line) for line in lines) for name, _, lines in RECAP_COLUMNS)
        + "."
    ),
)

#: Chapter 3's diagrams by name, in the order the notebook shows them.
DIAGRAMS: dict[str, Diagram] = {
    d.name: d
    for d in (
        RUNTIME_CONTAINERS,
        MONOLITH_VS_MICROSERVICES,
        INFERENCE_API,
        SERVING_MODES,
        CI_CD_CT_PIPELINES,
        AUTOMATION_BY_PHASE,
        DEPLOYMENT_STRATEGIES,
        CANARY_PROMOTION_RULE,
        RECAP_DEPLOYMENT,
    )
}

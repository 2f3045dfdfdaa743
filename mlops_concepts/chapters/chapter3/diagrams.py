"""Chapter 3, "Deploying ML into production": its diagrams, each drawn and described from one source.

Every diagram is a :class:`~.toolkit.Diagram` in :data:`DIAGRAMS` (lessons 1 and 2 are drawn in
:mod:`.serving`, the others here). The facts a diagram shows
(what a container holds, monolith and microservices, inference through an API, the CI, CD and CT
pipelines, the deployment strategies and the automation tools of each phase) are data in
:mod:`.facts`; the drawing and the words are both made from that data, so they say the same
thing.

Beyond the chapter's facts, the lab diagram (``canary_promotion_rule``) shows the promotion rule
of the chapter's lab, which the lab itself states; the example request and response of the API
diagram are made up for illustration.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..chapter1.lifecycle import PHASE_STYLE, PHASES
from ..toolkit import (
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
from .cards import (
    card,
    plain_box,
    title_line,
)
from .facts import (
    AUTOMATION,
    EXTRA,
    NEUTRAL,
    NEW,
    OLD,
    PIPELINES,
    RECAP_COLUMNS,
    RULE_OUTCOMES,
    RULE_QUESTIONS,
    STRATEGIES,
    in_a_sentence,
    one_line,
)
from .serving import (
    INFERENCE_API,
    MONOLITH_VS_MICROSERVICES,
    RUNTIME_CONTAINERS,
    SERVING_MODES,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


# --------------------------------------------------------------------------------------------
# Lesson 3: CI/CD, continuous training, automation
# --------------------------------------------------------------------------------------------


def draw_ci_cd_ct_pipelines() -> Figure:
    width, height = 9.0, 5.0
    fig, ax = new_figure(width, height)
    title_line(ax, width, height - 0.3, "Three pipelines for ML: CI, CD and CT")
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
            plain_box(fig, ax, x, y + 0.2, w, lane_h - 0.4, step, size=9.5)
            if k:
                arrow(ax, (x - gap + 0.01, y + lane_h / 2), (x - 0.01, y + lane_h / 2), lw=1.6, scale=11)
    return fig


def _pipelines_details() -> str:
    parts = [
        f"{one_line(long)} ({short}): " + ", then ".join(in_a_sentence(s) for s in steps) + "."
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
    title_line(ax, width, height - 0.3, "Automation and scaling: a tool for every phase")
    xs, w, h, y = (0.25, 3.225, 6.2), 2.55, 2.1, 0.55
    for x, phase in zip(xs, PHASES, strict=True):
        outline = card(fig, ax, x, y, w, h, phase.capitalize(), PHASE_STYLE[phase], size=12)
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
    outline = card(
        fig, ax, x, y, w, h, s["name"], EXTRA if s["name"] == "Blue-green" else NEUTRAL, size=11.5, fill=0.06
    )
    blue_green = s["name"] == "Blue-green"
    req = plain_box(fig, ax, x + 0.15, y + 0.95, 0.95, 0.62, "Requests", size=10)
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
    plain_box(
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
    plain_box(fig, ax, mx, new_y, mw, mh, new_label, size=9.5, style=new_style)
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
    title_line(ax, width, height - 0.3, "Deployment strategies: where the traffic goes")
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
    title_line(ax, width, height - 0.3, "The lab's promotion rule for a canary, with its early abort")
    qw, qh = 3.1, 1.0
    plain_box(fig, ax, 0.2, 3.5, qw, qh, RULE_QUESTIONS["minimum"], size=10, style=OLD)
    plain_box(fig, ax, 3.75, 3.5, 2.85, qh, RULE_QUESTIONS["abort"], size=9.5, style=OLD)
    plain_box(fig, ax, 0.2, 1.3, qw, qh, RULE_QUESTIONS["limit"], size=10, style=OLD)
    cards = (
        ("abort", 3.55, EXTRA),
        ("wait", 2.45, NEUTRAL),
        ("promote", 1.3, NEW),
        ("roll back", 0.2, EXTRA),
    )
    for key, y, style in cards:
        name, what = RULE_OUTCOMES[key]
        outcome = card(fig, ax, 7.0, y, 2.35, 0.9, name, style, size=10.5)
        in_box(fig, text(ax, 7.1, y + 0.55, what, size=9, va="top"), outcome)

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
    q = {k: one_line(v) for k, v in RULE_QUESTIONS.items()}
    o = {k: f"{name}: {one_line(what)}" for k, (name, what) in RULE_OUTCOMES.items()}
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
    title_line(ax, width, height - 0.3, "Deploying ML into production: package, serve, release")
    xs, w, h, y = (0.2, 3.2, 6.2), 2.6, 2.85, 0.3
    for x, (name, style, lines) in zip(xs, RECAP_COLUMNS, strict=True):
        outline = card(fig, ax, x, y, w, h, name, style, size=12)
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
        "; ".join(
            f"{name}: " + ", ".join(in_a_sentence(line) for line in lines) for name, _, lines in RECAP_COLUMNS
        )
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

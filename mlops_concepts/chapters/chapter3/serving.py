"""Chapter 3's diagrams of lessons 1 and 2: containers, microservices, inference APIs, serving.

Each is a :class:`~mlops_concepts.chapters.toolkit.Diagram`, drawn and described from the data
in :mod:`.facts`; :mod:`.diagrams` lists them with the chapter's others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..toolkit import (
    Diagram,
    arrow,
    box,
    in_box,
    join,
    new_figure,
    text,
)
from .cards import (
    card,
    plain_box,
    title_line,
)
from .facts import (
    API_REQUEST,
    API_RESPONSE,
    CONTAINER_PLACES,
    EXTRA,
    MICRO_POINTS,
    MIDDOT,
    MONOLITH_PARTS,
    MONOLITH_POINTS,
    NEUTRAL,
    NEW,
    OLD,
    SERVING,
    SERVING_VARIANTS,
    in_a_sentence,
    one_line,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


# --------------------------------------------------------------------------------------------
# Lesson 1: runtime environments and containers
# --------------------------------------------------------------------------------------------


def draw_runtime_containers() -> Figure:
    width, height = 9.0, 5.6
    fig, ax = new_figure(width, height)
    title_line(ax, width, height - 0.3, "Runtime environments: why containers help")

    # Top: without a container.
    text(ax, 0.2, 4.75, "Without a container", size=11, weight="bold", va="center")
    plain_box(fig, ax, 0.3, 3.55, 2.6, 0.9, "Development\nlibrary version A", style=NEW)
    plain_box(fig, ax, 4.3, 3.55, 2.6, 0.9, "Production\nlibrary version B", style=OLD)
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
    plain_box(fig, ax, 0.5, 1.85, 2.2, 0.4, "Model code", style=NEW)
    plain_box(fig, ax, 0.5, 1.4, 2.2, 0.4, "Its dependencies", style=NEUTRAL)
    ys = (2.35, 1.75, 1.15)
    for place, y in zip(CONTAINER_PLACES, ys, strict=True):
        plain_box(fig, ax, 4.3, y - 0.22, 2.4, 0.46, f"{place}: same container", size=10)
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
    title_line(ax, width, height - 0.3, "Monolith versus microservices")

    # Left: the monolith.
    mono = card(fig, ax, 0.2, 1.2, 4.0, 2.75, "Monolith: one unit", EXTRA)
    for i, part in enumerate(MONOLITH_PARTS):
        y = 3.1 - i * 0.62
        plain_box(fig, ax, 0.55, y - 0.25, 2.0, 0.52, part, size=10, dashed=False)
    in_box(fig, text(ax, 2.75, 1.85, "\u2717 fails", size=10.5, weight="bold", va="center"), mono)
    in_box(
        fig, text(ax, 2.75, 3.1, "all parts are\ndeployed and\nscaled together", size=10, va="center"), mono
    )
    for i, point in enumerate(MONOLITH_POINTS):
        text(ax, 0.3, 0.85 - i * 0.42, "\u2022 " + point.replace("\n", " "), size=10, va="center")

    # Right: microservices.
    card(fig, ax, 4.6, 1.2, 4.2, 2.75, "Microservices: independent", NEUTRAL)
    services = (("Web shop", 3.1), ("Payments", 2.35), ("Recommendation\nmodel service", 1.55))
    for name, y in services:
        plain_box(fig, ax, 4.85, y - 0.27, 1.75, 0.56, name, size=10)
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
        f"Left, the monolith: {join([in_a_sentence(p) for p in MONOLITH_PARTS])} sit in one box, "
        "deployed and scaled together; a cross marks the model failing, and the notes read "
        f"\u201c{one_line(MONOLITH_POINTS[0])}\u201d and \u201c{one_line(MONOLITH_POINTS[1])}\u201d. "
        "Right, microservices: the web shop, payments and the recommendation model service are "
        "separate boxes that talk to each other; the model service is stacked as several "
        "copies, scaled out on its own, and a cross says a failure stays in that service. The "
        f"notes read \u201c{one_line(MICRO_POINTS[0])}\u201d and \u201c{one_line(MICRO_POINTS[1])}\u201d."
    ),
)


def draw_inference_api() -> Figure:
    width, height = 9.0, 3.6
    fig, ax = new_figure(width, height)
    title_line(ax, width, height - 0.3, "Inference through an API")
    plain_box(fig, ax, 0.2, 1.3, 1.6, 0.9, "Application\n(client)", style=OLD)
    api = box(ax, 3.7, 0.55, 1.5, 2.4, face=EXTRA["colour"], alpha=0.18, lw=1.5)
    in_box(fig, text(ax, 4.45, 2.55, "API", size=11, weight="bold", ha="center", va="center"), api)
    in_box(
        fig,
        text(ax, 4.45, 1.75, "agreed\ncontract\nfor input\nand output", size=10, ha="center", va="center"),
        api,
    )
    plain_box(fig, ax, 7.1, 1.3, 1.7, 0.9, "Model\nmicroservice", style=NEW)
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
        f"carry the request, new input such as {one_line(API_REQUEST)}, from the application "
        "through the API to the model; the lower arrows carry the response, a prediction such "
        f"as {API_RESPONSE}, back. The example values are made up. The caption reads: "
        "inference: send new input to the model, get a prediction back."
    ),
)


def draw_serving_modes() -> Figure:
    width, height = 9.0, 4.4
    fig, ax = new_figure(width, height)
    title_line(ax, width, height - 0.3, "Serving a model: online or batch")
    for row, (name, style, steps, trade) in enumerate(SERVING):
        y = 2.3 - row * 1.85
        lane = card(fig, ax, 0.15, y, 8.7, 1.6, name, style, size=11.5, fill=0.08)
        n = len(steps)
        w, gap = (8.3 - 0.3 * (n - 1)) / n, 0.3
        for k, step in enumerate(steps):
            x = 0.35 + k * (w + gap)
            plain_box(fig, ax, x, y + 0.45, w, 0.75, step, size=9.5)
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
            + ", then ".join(in_a_sentence(st) for st in steps)
            + ". Below it: "
            + in_a_sentence(trade).replace(MIDDOT, ";")
            + "."
            for name, _, steps, trade in SERVING
        )
        + f" A note at the bottom reads: {SERVING_VARIANTS}"
    ),
)

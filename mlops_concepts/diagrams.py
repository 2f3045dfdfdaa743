"""Diagrams for chapter 1, "Introduction to MLOps".

Every public drawing function returns a :class:`matplotlib.figure.Figure` with an extra attribute,
``fig.alt_text``: a plain-English paragraph that says what the picture shows. A picture alone
shuts out anyone who cannot see it, so the text alternative is part of the diagram, not an
afterthought; :func:`show` puts it under the image in a notebook.

Design choices, and why:

* **matplotlib is imported lazily**, inside the drawing functions. Importing the course package
  must stay quick and must not pull matplotlib (and numpy) into every student kernel, nor fight
  with whatever plotting backend a notebook has chosen.
* **No pyplot.** Figures are built with the object-oriented API (``matplotlib.figure.Figure`` with
  an Agg canvas). pyplot keeps a global list of open figures and the inline backend shows each of
  them at the end of a cell, so a figure would appear twice and never be freed.
* **Colour is never the only signal.** The palette is Okabe-Ito (safe for the common kinds of
  colour blindness), and every phase or role is also named in text and marked by a hatch pattern.
  A highlighted phase gets a thick border, a bold "(selected)" label and dimmed neighbours, which
  all survive a greyscale print.
* **Layout in inches.** Each figure has one invisible axes whose data units are inches, so font
  sizes (points) and positions can be reasoned about together; the tests check that no two text
  labels overlap and that nothing falls outside the figure.
* **Facts come from the course slides only**, in plain words. The DevOps loop stages (plan, code,
  build, ...) are the common names of that loop, not a claim of the course.
"""

from __future__ import annotations

import base64
import html
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - only for type checkers; keeps the import lazy at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.text import Text

__all__ = [
    "PHASES",
    "LifecycleExplorer",
    "devops_silos_vs_loop",
    "explore_lifecycle",
    "ml_system_components",
    "mlops_lifecycle",
    "recap",
    "roles_by_phase",
    "show",
]

#: The three phases of the MLOps lifecycle, in the order the cycle runs.
PHASES: tuple[str, ...] = ("design", "development", "deployment")

# Okabe-Ito palette (Okabe & Ito, "Color Universal Design"). Hues stay distinguishable for the
# common colour-vision deficiencies; we still never rely on hue alone.
_OI = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

# Each phase has a colour *and* a hatch pattern, so the phases stay apart in greyscale too.
_PHASE_STYLE = {
    "design": {"colour": _OI["orange"], "hatch": "///"},
    "development": {"colour": _OI["sky_blue"], "hatch": "..."},
    "deployment": {"colour": _OI["green"], "hatch": "xxx"},
}

# Tasks per phase, worded as on the slides.
_PHASE_TASKS = {
    "design": [
        "Context of the problem",
        "Added value",
        "Business requirements",
        "Key metrics",
        "Data processing",
    ],
    "development": [
        "Develop the ML model",
        "Experiment with data, algorithms\nand hyperparameters",
        "Model ready for deployment",
    ],
    "deployment": [
        "Integrate the model in the business",
        "Deploy the model in production",
        "Monitor the performance",
    ],
}

# Roles, grouped as on the slides, with the phases each is marked in and a short description.
_ROLES = [
    # (group, role, phases marked, main responsibilities). Only what the slides say: the business
    # roles are involved throughout and the ML engineer's role spans the complete lifecycle; the
    # slides give the data scientist's and data engineer's tasks but tie them to no phase.
    ("Business roles", "Business stakeholder", PHASES,
     "Budget decisions; company vision;\ninvolved throughout the lifecycle"),
    ("Business roles", "Subject matter expert", PHASES,
     "Domain knowledge; interprets and\nvalidates data; involved throughout"),
    ("Technical roles", "Data scientist", (), "Data analysis, model training\nand evaluation"),
    ("Technical roles", "Data engineer", (),
     "Collects, stores and processes data;\nchecks and maintains data quality"),
    ("Technical roles", "Machine learning engineer", PHASES,
     "Versatile role, designed for the\ncomplete lifecycle"),
]

# The same facts as running text, for the text alternative of roles_by_phase().
_ROLE_ALT = {
    "Business stakeholder": "makes budget decisions, holds the vision of the company and is "
    "involved throughout the lifecycle",
    "Subject matter expert": "brings domain knowledge, interprets and validates data and is "
    "involved throughout the lifecycle",
    "Data scientist": "does data analysis, model training and evaluation",
    "Data engineer": "collects, stores and processes data, and checks and maintains data quality",
    "Machine learning engineer": "has a versatile role designed for the complete lifecycle",
}

_TEXT = "#1a1a1a"  # near-black body text
_DIM_TEXT = "#6b6b6b"  # dimmed text: still about 5:1 contrast on white, so it stays readable
_DIM_EDGE = "#a0a0a0"
_LINE = "#333333"
_DPI = 100

_SOURCE_SCULLEY = (
    "Source: Sculley et al., \u201cHidden Technical Debt in Machine Learning Systems\u201d, "
    "NeurIPS 2015."
)
_VARY_NOTE = (
    "Responsibilities vary with the application: a startup differs from a large enterprise."
)


# --------------------------------------------------------------------------------------------
# Small drawing helpers
# --------------------------------------------------------------------------------------------


def _new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure with one frameless axes whose data units are inches.

    Working in inches makes it easy to see whether a 10-point label fits in a 1-inch box, and the
    Agg canvas lets the figure be drawn and saved without pyplot's global state.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=_DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    # Text that must sit inside a box is registered here so the tests can check that it fits.
    fig._text_in_box = []  # list of (Text, Patch) pairs
    return fig, ax


def _text(ax: Axes, x: float, y: float, s: str, size: float = 10, **kw) -> Text:
    """Place text with the course defaults (dark colour, no maths parsing of ``$``)."""
    kw.setdefault("color", _TEXT)
    kw.setdefault("linespacing", 1.3)
    return ax.text(x, y, s, fontsize=size, parse_math=False, **kw)


def _box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    face: str = "white",
    edge: str = _LINE,
    lw: float = 1.5,
    alpha: float = 1.0,
    hatch: str | None = None,
    rounding: float = 0.08,
    zorder: float = 1,
) -> Patch:
    """A rounded rectangle with lower-left corner (x, y), in inches."""
    from matplotlib.colors import to_rgba
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch(
        (x, y),
        w,
        h,
        boxstyle=f"round,pad=0,rounding_size={rounding}",
        facecolor=to_rgba(face, alpha),
        edgecolor=edge,
        linewidth=lw,
        hatch=hatch,
        zorder=zorder,
    )
    ax.add_patch(patch)
    return patch


def _swatch(ax: Axes, x: float, y: float, w: float, h: float, phase: str, dimmed: bool) -> Patch:
    """A small hatched key for a phase, so the phase is recognisable without its colour.

    In matplotlib 3.10 the hatch takes the edge colour, so the swatch is drawn twice: a tinted,
    hatched fill and then a plain border on top.
    """
    style = _PHASE_STYLE[phase]
    alpha = 0.5 if dimmed else 1.0
    from matplotlib.colors import to_rgba

    _box(ax, x, y, w, h, face=style["colour"], alpha=0.25 if dimmed else 0.55,
         edge=to_rgba(_LINE, alpha), lw=0, hatch=style["hatch"], rounding=0.03, zorder=2)
    return _box(ax, x, y, w, h, face="none", edge=_DIM_EDGE if dimmed else _LINE, lw=1,
                rounding=0.03, zorder=3)


def _arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    rad: float = 0.0,
    colour: str = _LINE,
    lw: float = 2.0,
    style: str = "-|>",
    scale: float = 18,
    zorder: float = 4,
) -> None:
    """A straight (``rad=0``) or gently curved arrow from ``start`` to ``end``."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(
        FancyArrowPatch(
            start,
            end,
            arrowstyle=style,
            mutation_scale=scale,
            connectionstyle=f"arc3,rad={rad}",
            color=colour,
            linewidth=lw,
            shrinkA=0,
            shrinkB=0,
            zorder=zorder,
        )
    )


def _in_box(fig: Figure, text: Text, patch: Patch) -> Text:
    """Record that ``text`` is meant to fit inside ``patch`` (checked by the tests)."""
    fig._text_in_box.append((text, patch))
    return text


def _normalise_phase(highlight: str | None) -> str | None:
    """Accept a phase name in any letter case; reject anything else with the valid choices."""
    if highlight is None:
        return None
    if isinstance(highlight, str) and highlight.strip().lower() in PHASES:
        return highlight.strip().lower()
    valid = ", ".join(repr(p) for p in PHASES)
    raise ValueError(
        f"Unknown phase {highlight!r} for highlight. Valid phases are {valid} "
        "(in any letter case), or None to highlight nothing."
    )


def _phase_box(
    fig: Figure,
    ax: Axes,
    phase: str,
    x: float,
    y: float,
    w: float,
    h: float,
    state: str,
) -> Patch:
    """Draw a phase box with its hatched key and name; return the outline patch.

    ``state`` is ``"normal"``, ``"selected"`` or ``"dimmed"``. Selection is shown by a thick
    border, a bold "(selected)" label and a stronger fill; the other phases are dimmed. None of
    these cues is colour, so the highlight also reads in greyscale.
    """
    style = _PHASE_STYLE[phase]
    dimmed = state == "dimmed"
    selected = state == "selected"
    fill_alpha = {"normal": 0.16, "selected": 0.30, "dimmed": 0.06}[state]
    _box(ax, x, y, w, h, face=style["colour"], alpha=fill_alpha, lw=0, edge="none")
    outline = _box(
        ax,
        x,
        y,
        w,
        h,
        face="none",
        edge=_DIM_EDGE if dimmed else _LINE,
        lw={"normal": 1.5, "selected": 4.5, "dimmed": 1.0}[state],
        zorder=3,
    )
    _swatch(ax, x + 0.15, y + h - 0.40, 0.42, 0.26, phase, dimmed)
    name = phase.capitalize() + (" (selected)" if selected else "")
    label = _text(
        ax,
        x + 0.68,
        y + h - 0.27,
        name,
        size=12.5 if selected else 12,
        weight="bold" if selected or state == "normal" else "normal",
        color=_DIM_TEXT if dimmed else _TEXT,
        va="center",
        ha="left",
    )
    _in_box(fig, label, outline)
    return outline


def _bullets(
    fig: Figure,
    ax: Axes,
    x: float,
    y_top: float,
    items: list[str],
    box: Patch,
    size: float = 10,
    colour: str = _TEXT,
    gap: float = 0.07,
) -> float:
    """Write a bulleted list downwards from ``y_top``; return the y just below the last item.

    Each item is two text artists (bullet and wrapped text) so wrapped lines get a hanging
    indent. Line heights are measured from the font size, not guessed per call.
    """
    line = size * 1.3 / 72  # line height in inches at linespacing 1.3
    y = y_top
    for item in items:
        n_lines = item.count("\n") + 1
        _in_box(fig, _text(ax, x, y, "\u2022", size=size, color=colour, va="top"), box)
        _in_box(fig, _text(ax, x + 0.17, y, item, size=size, color=colour, va="top"), box)
        y -= n_lines * line + gap
    return y


def _png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG at the course resolution, with the alt text in the PNG metadata."""
    buf = BytesIO()
    metadata = {"Description": getattr(fig, "alt_text", "")}
    fig.savefig(buf, format="png", dpi=_DPI, metadata=metadata, facecolor="white")
    return buf.getvalue()


# --------------------------------------------------------------------------------------------
# Diagrams
# --------------------------------------------------------------------------------------------


def devops_silos_vs_loop() -> Figure:
    """Two panels: separate Development and Operations silos, then one shared DevOps loop.

    The contrast motivates MLOps: DevOps joined two teams that used to hand work "over the wall";
    MLOps brings the same continuous, shared way of working to machine learning.
    """
    import math

    width, height = 9.0, 4.6
    fig, ax = _new_figure(width, height)
    dev_colour, ops_colour = _OI["blue"], _OI["vermillion"]

    # Panel divider and titles.
    ax.plot([4.5, 4.5], [0.25, 4.35], color="#c8c8c8", lw=1)
    _text(ax, 2.25, 4.3, "Before DevOps", size=13, weight="bold", ha="center", va="center")
    _text(ax, 6.75, 4.3, "DevOps", size=13, weight="bold", ha="center", va="center")

    # Left panel: two silos and a wall between them.
    silo_y, silo_h, silo_w = 1.2, 1.9, 1.45
    for x, name, colour, hatch in (
        (0.3, "Development", dev_colour, "//"),
        (2.75, "Operations", ops_colour, "\\\\"),
    ):
        _box(ax, x, silo_y, silo_w, silo_h, face=colour, alpha=0.15, lw=0, edge="none")
        silo = _box(ax, x, silo_y, silo_w, silo_h, face="none", lw=1.5, zorder=3)
        # A hatched band at the foot of each silo: a non-colour cue that keeps text readable.
        _box(ax, x + 0.1, silo_y + 0.12, silo_w - 0.2, 0.35, face=colour, alpha=0.25,
             edge=colour, lw=0, hatch=hatch, rounding=0.03, zorder=2)
        _in_box(fig, _text(ax, x + silo_w / 2, silo_y + silo_h - 0.35, name, size=11,
                           weight="bold", ha="center", va="center"), silo)
        _in_box(fig, _text(ax, x + silo_w / 2, silo_y + silo_h - 0.85, "separate\nsilo",
                           size=10, ha="center", va="center"), silo)
    wall_x, wall_w = 1.95, 0.6
    _box(ax, wall_x, silo_y, wall_w, 1.55, face="#bdbdbd", edge="#4d4d4d", lw=1.2,
         hatch="+", rounding=0.0, zorder=2)
    _text(ax, wall_x + wall_w / 2, silo_y - 0.2, "wall", size=10, ha="center", va="center",
          style="italic")
    # Code is thrown from Development over the wall to Operations.
    _arrow(ax, (1.3, silo_y + silo_h + 0.02), (3.45, silo_y + silo_h + 0.02), rad=-0.55,
           lw=2.0)
    _text(ax, 2.25, 3.82, "code thrown \u201cover the wall\u201d", size=10, ha="center",
          va="center", bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
          zorder=5)
    _text(ax, 2.25, 0.5, "Two teams apart: Development hands\nits code over to Operations.",
          size=10, ha="center", va="center")

    # Right panel: one loop, Development on the left half and Operations on the right half.
    cx, cy, rx, ry = 6.75, 2.45, 1.8, 1.2
    ts = [math.radians(a) for a in range(90, 271, 2)]
    ax.plot([cx + rx * math.cos(t) for t in ts], [cy + ry * math.sin(t) for t in ts],
            color=dev_colour, lw=3, solid_capstyle="butt", zorder=2)
    ts = [math.radians(a) for a in range(-90, 91, 2)]
    ax.plot([cx + rx * math.cos(t) for t in ts], [cy + ry * math.sin(t) for t in ts],
            color=ops_colour, lw=3, linestyle=(0, (4, 1.5)), zorder=2)
    # Arrowheads on the loop, clockwise, between the stages (and at the two hand-overs).
    for a in (225, 180, 135, 90, 45, 0, -45, -90):
        t0, t1 = math.radians(a + 4), math.radians(a - 4)
        colour = dev_colour if 90 < a <= 270 or a == -90 else ops_colour
        _arrow(ax, (cx + rx * math.cos(t0), cy + ry * math.sin(t0)),
               (cx + rx * math.cos(t1), cy + ry * math.sin(t1)), colour=colour, lw=0,
               scale=16, zorder=3)
    stages = [
        (247.5, "plan"), (202.5, "code"), (157.5, "build"), (112.5, "test"),
        (67.5, "release"), (22.5, "deploy"), (-22.5, "operate"), (-67.5, "monitor"),
    ]
    for angle, stage in stages:
        t = math.radians(angle)
        colour = dev_colour if 90 < angle < 270 else ops_colour
        _text(ax, cx + rx * math.cos(t), cy + ry * math.sin(t), stage, size=10, ha="center",
              va="center", zorder=5,
              bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 1.5})
    _text(ax, cx - 0.82, cy, "Development", size=11, weight="bold", ha="center", va="center")
    _text(ax, cx + 0.82, cy, "Operations", size=11, weight="bold", ha="center", va="center")
    _text(ax, 6.75, 0.5, "One continuous loop: the two sides\nwork together, again and again.",
          size=10, ha="center", va="center")
    _text(ax, 6.75, 0.14, "Loop stages: a common drawing of DevOps, not from the slides",
          size=9, style="italic", color=_DIM_TEXT, ha="center", va="center")

    fig.alt_text = (
        "Two-panel diagram contrasting how software was run before DevOps (development and "
        "operations) with the DevOps way of working. Left panel, titled \u201cBefore DevOps\u201d: "
        "Development and Operations are drawn as two separate silos with a wall between them, "
        "and an arrow carries code from Development over the wall to Operations: the code is "
        "thrown \u201cover the wall\u201d from one team to the other. Right panel, titled "
        "\u201cDevOps\u201d: one continuous loop joins Development and Operations. The "
        "Development half of the loop (solid line) runs through plan, code, build and test; the "
        "Operations half (dashed line) runs through release, deploy, operate and monitor; from "
        "monitor the loop returns to plan and starts again, so the two sides work together "
        "continuously. A note says the loop stages are a common way to draw DevOps, not taken "
        "from the course slides."
    )
    return fig


def _lifecycle_states(highlight: str | None) -> dict[str, str]:
    """Map each phase to "normal", "selected" or "dimmed" for the given highlight."""
    if highlight is None:
        return dict.fromkeys(PHASES, "normal")
    return {p: ("selected" if p == highlight else "dimmed") for p in PHASES}


def _join(words: list[str]) -> str:
    """'a, b and c': a list in plain English, for the text alternatives."""
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def _inline(label: str) -> str:
    """A drawn label as running text: one line, first letter lower case ("ML" stays)."""
    flat = label.replace("\n", " ")
    return flat if flat[:2].isupper() else flat[0].lower() + flat[1:]


def _lifecycle_alt(highlight: str | None) -> str:
    """The text alternative of :func:`mlops_lifecycle`, naming the highlighted phase if any."""

    def tasks(phase: str) -> str:
        return "; ".join(_inline(t) for t in _PHASE_TASKS[phase])

    text = (
        "Cycle diagram of the machine learning operations (MLOps) lifecycle. Three phase boxes "
        "are joined by arrows in a loop: design (top) leads to development (bottom right), "
        "development leads to deployment (bottom left), and deployment leads back to design, so "
        "the cycle repeats. "
        f"Design tasks: {tasks('design')}. "
        f"Development tasks: {tasks('development').replace('ML', 'machine learning (ML)', 1)}. "
        f"Deployment tasks: {tasks('deployment')}."
    )
    if highlight is not None:
        others = [p for p in PHASES if p != highlight]
        text += (
            f" The {highlight} phase is highlighted (selected): it has a thick border, a bold "
            f"label marked \u201c(selected)\u201d and a stronger fill, while the {others[0]} and "
            f"{others[1]} phases are dimmed."
        )
    return text


def mlops_lifecycle(highlight: str | None = None) -> Figure:
    """The MLOps lifecycle as a cycle, design -> development -> deployment -> design.

    Each phase box lists the phase's tasks from the slides. ``highlight`` names one phase
    ("design", "development" or "deployment", any case) to emphasise while the others are
    dimmed; this is what :func:`explore_lifecycle` uses to walk through the phases one by one.
    A bad name raises :class:`ValueError` listing the valid phases, so a typo in a notebook
    fails loudly instead of silently highlighting nothing.
    """
    phase = _normalise_phase(highlight)
    states = _lifecycle_states(phase)
    width, height = 9.0, 5.9
    fig, ax = _new_figure(width, height)

    _text(ax, width / 2, 5.62, "The MLOps lifecycle", size=14, weight="bold", ha="center",
          va="center")
    _text(ax, width / 2, 5.28, "Design \u2192 development \u2192 deployment, then back to design",
          size=10.5, ha="center", va="center")

    # Box geometry: design on top, development bottom right, deployment bottom left (clockwise).
    geometry = {
        "design": (2.75, 3.0, 3.5, 1.95),
        "development": (4.95, 0.8, 3.85, 1.6),
        "deployment": (0.2, 0.8, 3.85, 1.6),
    }
    outlines = {}
    for name, (x, y, w, h) in geometry.items():
        state = states[name]
        outline = _phase_box(fig, ax, name, x, y, w, h, state)
        outlines[name] = outline
        colour = _DIM_TEXT if state == "dimmed" else _TEXT
        _bullets(fig, ax, x + 0.25, y + h - 0.58, _PHASE_TASKS[name], outline, colour=colour)

    def arrow_colour(src: str) -> str:
        return _DIM_EDGE if phase is not None and phase != src else _LINE

    _arrow(ax, (6.27, 3.95), (7.55, 2.43), rad=-0.35, colour=arrow_colour("design"), lw=2.5)
    _arrow(ax, (4.93, 1.6), (4.07, 1.6), colour=arrow_colour("development"), lw=2.5)
    _arrow(ax, (1.45, 2.43), (2.73, 3.95), rad=-0.35, colour=arrow_colour("deployment"), lw=2.5)

    if phase is None:
        note = "Arrows show the order of the phases; each box lists the phase\u2019s tasks."
    else:
        note = (f"Highlighted: {phase.capitalize()} (thick border, bold label); "
                "the other phases are dimmed.")
    _text(ax, width / 2, 0.32, note, size=10, ha="center", va="center", style="italic")

    fig.alt_text = _lifecycle_alt(phase)
    fig.highlight = phase
    return fig


def roles_by_phase() -> Figure:
    """A matrix of the five MLOps roles against the three lifecycle phases.

    Seeing the roles and phases on one grid shows at a glance that the business roles and the
    machine learning engineer span the whole lifecycle. The slides tie the data scientist's and
    the data engineer's tasks to no particular phase, so their rows say so instead of guessing.
    A filled circle marks involvement; the legend says so in words.
    """
    line = 10 * 1.3 / 72  # one 10-point line, in inches
    row_heights = [0.24 + (resp.count("\n") + 1) * line for *_, resp in _ROLES]
    group_h = 0.38
    n_groups = len({group for group, *_ in _ROLES})
    width = 9.0
    height = 0.55 + 0.62 + n_groups * group_h + sum(row_heights) + 1.0
    fig, ax = _new_figure(width, height)
    _text(ax, width / 2, height - 0.3, "Who is involved in each phase of the MLOps lifecycle",
          size=14, weight="bold", ha="center", va="center")

    col_x = {"design": 3.25, "development": 4.35, "deployment": 5.45}
    col_w = 1.08
    resp_x = 6.15
    top = height - 0.62  # top of the column tints
    header_y = top - 0.42
    rule_y = top - 0.62

    _text(ax, 0.25, header_y, "Role", size=10, weight="bold", ha="left", va="center")
    _text(ax, resp_x, header_y, "Main responsibilities", size=10, weight="bold", ha="left",
          va="center")
    ax.plot([0.2, 8.85], [rule_y, rule_y], color=_LINE, lw=1.2)

    # Rows: a group heading, then one row per role (taller when the text wraps).
    y = rule_y
    group = None
    for (role_group, role, phases, resp), row_h in zip(_ROLES, row_heights, strict=True):
        if role_group != group:
            group = role_group
            _text(ax, 0.25, y - group_h / 2 - 0.02, role_group, size=10, weight="bold",
                  style="italic", ha="left", va="center")
            y -= group_h
        mid = y - row_h / 2
        _text(ax, 0.45, mid, role, size=10, ha="left", va="center")
        for name in phases:
            _text(ax, col_x[name], mid, "\u25cf", size=15, ha="center", va="center")
        if not phases:
            _text(ax, col_x["development"], mid, "no phase given\non the slides", size=9,
                  style="italic", color=_DIM_TEXT, ha="center", va="center")
        _text(ax, resp_x, mid, resp, size=10, ha="left", va="center")
        y -= row_h
        ax.plot([0.2, 8.85], [y, y], color="#c8c8c8", lw=0.8)

    # Column tints and headers (hatched swatch + name), so phases never rely on colour alone.
    for name, x in col_x.items():
        _box(ax, x - col_w / 2, y, col_w, top - y, face=_PHASE_STYLE[name]["colour"],
             alpha=0.13, lw=0, edge="none", rounding=0.05, zorder=0)
        _swatch(ax, x - 0.22, top - 0.25, 0.44, 0.2, name, dimmed=False)
        _text(ax, x, header_y, name.capitalize(), size=10, weight="bold", ha="center",
              va="center")

    _text(ax, 0.25, y - 0.3, "\u25cf = involved (business roles throughout the lifecycle; ML engineer: "
          "the complete lifecycle)", size=10, ha="left", va="center")
    _text(ax, 0.25, 0.3, _VARY_NOTE, size=9.5, ha="left", va="center", style="italic")

    descriptions = []
    for _group, role, phases, _resp in _ROLES:
        where = ("marked in all three phases" if phases
                 else "no phase is marked, because the slides tie this role to none")
        descriptions.append(f"The {role.lower()} {_ROLE_ALT[role]}; {where}.")
    fig.alt_text = (
        "Table of the five roles in machine learning operations (MLOps) against the three "
        "phases of the lifecycle: design, development and deployment. A filled circle marks the "
        "phases a role is involved in, and a last column repeats each role's main "
        "responsibilities. Business roles: "
        + " ".join(descriptions[:2])
        + " Technical roles: "
        + " ".join(descriptions[2:])
        + " Footnote: "
        + _VARY_NOTE
    )
    return fig


def ml_system_components() -> Figure:
    """Where ML code sits in a real-world ML system, after Sculley et al. (NeurIPS 2015).

    The point of the picture is proportion: the model code is a small box among much larger
    pieces of infrastructure, which is why MLOps is about far more than training a model. The
    sizes are illustrative only; the caption says so and no numbers are shown.
    """
    width, height = 9.0, 5.6
    fig, ax = _new_figure(width, height)
    _text(ax, width / 2, 5.3, "Only a small fraction of a real-world ML system is ML code",
          size=14, weight="bold", ha="center", va="center")

    face = _OI["sky_blue"]
    boxes = [
        # (label, x, y, w, h)
        ("Configuration", 0.3, 4.25, 8.4, 0.6),
        ("Data collection", 0.3, 2.5, 2.3, 1.6),
        ("Feature extraction", 0.3, 1.0, 2.3, 1.35),
        ("Data verification", 2.75, 3.35, 3.5, 0.75),
        ("Analysis\ntools", 2.75, 2.05, 1.2, 1.15),
        ("Process\nmanagement\ntools", 5.05, 2.05, 1.2, 1.15),
        ("Resource management", 2.75, 1.0, 3.5, 0.9),
        ("Serving\ninfrastructure", 6.4, 2.5, 2.3, 1.6),
        ("Monitoring", 6.4, 1.0, 2.3, 1.35),
    ]
    for label, x, y, w, h in boxes:
        patch = _box(ax, x, y, w, h, face=face, alpha=0.22, edge=_LINE, lw=1.2)
        _in_box(fig, _text(ax, x + w / 2, y + h / 2, label, size=10.5, ha="center",
                           va="center"), patch)

    # The ML code box: small, strongly filled, thick border and bold label.
    code = _box(ax, 4.0, 2.35, 1.0, 0.55, face=_OI["vermillion"], edge=_OI["black"], lw=2.5,
                zorder=3)
    _in_box(fig, _text(ax, 4.5, 2.625, "ML code", size=10.5, weight="bold", ha="center",
                       va="center", zorder=4), code)

    _text(ax, width / 2, 0.65,
          "Box sizes are illustrative: the point is that ML code is a small part of the whole.",
          size=10, ha="center", va="center", style="italic")
    _text(ax, width / 2, 0.3, _SOURCE_SCULLEY, size=9.5, ha="center", va="center")

    fig.alt_text = (
        "Diagram of a real-world machine learning (ML) system, after Sculley et al., "
        "\u201cHidden Technical Debt in Machine Learning Systems\u201d (NeurIPS 2015). A small, "
        "bold box labelled \u201cML code\u201d sits in the middle, surrounded by much larger "
        "boxes for everything else the system needs: configuration (a wide band across the "
        "top), data collection, feature extraction, data verification, analysis tools, process "
        "management tools, resource management, serving infrastructure and monitoring. The "
        "point is that only a small fraction of a real-world ML system is ML code. The caption "
        "says the box sizes are illustrative, not measured."
    )
    return fig


# One-line summary and technical roles per phase for the recap; roles follow roles_by_phase().
# The business roles (stakeholder, subject matter expert) are involved in every phase.
_RECAP = {
    "design": (
        "Understand the problem, its\nadded value and key metrics",
        ("ML engineer", "data roles as needed"),
    ),
    "development": (
        "Develop and experiment until\nthe model is ready to deploy",
        ("ML engineer", "data roles as needed"),
    ),
    "deployment": (
        "Integrate and deploy the model\nin production; monitor it",
        ("ML engineer", "data roles as needed"),
    ),
}
_RECAP_BUSINESS = "Business: stakeholder,\nsubject matter expert"


def _recap_technical(roles: tuple[str, ...]) -> str:
    """'Technical: a,' / 'b, c' wrapped to fit a recap box."""
    if len(roles) == 1:
        return f"Technical: {roles[0]}"
    return f"Technical: {roles[0]},\n" + ", ".join(roles[1:])


def recap() -> Figure:
    """End-of-chapter summary: the three phases in order, what each is for, and who is involved.

    It puts the lifecycle and the roles into one picture so students can check what they
    remember; the definition of MLOps is the title because it is the chapter's main idea.
    """
    width, height = 9.0, 4.75
    fig, ax = _new_figure(width, height)
    _text(ax, width / 2, 4.45, "MLOps: design, deploy and maintain ML in production",
          size=14, weight="bold", ha="center", va="center")
    _text(ax, width / 2, 4.13, "continuously, reliably and efficiently", size=14,
          weight="bold", ha="center", va="center")

    xs = (0.25, 3.225, 6.2)
    box_w, box_y, box_h = 2.55, 1.15, 2.55
    line = 10 * 1.3 / 72
    for x, phase in zip(xs, PHASES, strict=True):
        summary, technical_roles = _RECAP[phase]
        business, technical = _RECAP_BUSINESS, _recap_technical(technical_roles)
        outline = _phase_box(fig, ax, phase, x, box_y, box_w, box_h, "normal")
        top = box_y + box_h - 0.58
        _in_box(fig, _text(ax, x + 0.15, top, summary, size=10, va="top"), outline)
        roles_y = top - 2 * line - 0.25
        ax.plot([x + 0.15, x + box_w - 0.15], [roles_y + 0.1, roles_y + 0.1], color="#9a9a9a",
                lw=0.8)
        _in_box(fig, _text(ax, x + 0.15, roles_y, "Roles involved", size=10, weight="bold",
                           va="top"), outline)
        y = roles_y - line - 0.08
        _in_box(fig, _text(ax, x + 0.15, y, business, size=10, va="top"), outline)
        y -= 2 * line + 0.08
        _in_box(fig, _text(ax, x + 0.15, y, technical, size=10, va="top"), outline)

    for x in xs[1:]:
        _arrow(ax, (x - 0.42, box_y + box_h / 2), (x - 0.02, box_y + box_h / 2), lw=2.5)
    _arrow(ax, (xs[2] + box_w / 2, box_y - 0.02), (xs[0] + box_w / 2, box_y - 0.02), rad=-0.15,
           lw=2.5)
    _text(ax, width / 2, 0.36, "and back to design: the cycle repeats", size=10, ha="center",
          va="center", style="italic",
          bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"}, zorder=5)

    parts = []
    for phase in PHASES:
        summary, technical_roles = _RECAP[phase]
        tech = _join([f"the {r.replace('ML ', 'machine learning ')}" for r in technical_roles])
        parts.append(
            f"{phase.capitalize()}: {_inline(summary)}. Roles involved: the business "
            f"stakeholder and the subject matter expert, and on the technical side {tech}."
        )
    fig.alt_text = (
        "Summary diagram of the chapter. Title: MLOps (machine learning operations) means to "
        "design, deploy and maintain machine learning (ML) in production continuously, "
        "reliably and efficiently. Below, three phase boxes from left to right, joined by "
        "arrows: design, development and deployment, with an arrow from deployment back to "
        "design because the cycle repeats. "
        + " ".join(parts)
    )
    return fig


# --------------------------------------------------------------------------------------------
# Notebook display
# --------------------------------------------------------------------------------------------


def show(fig: Figure) -> None:
    """Display ``fig`` as a PNG image that carries its text alternative.

    The notebook gives each diagram's text alternative in the Markdown cell below it, so it is
    not printed again here; the alt text travels with the image (``alt`` metadata, and the
    "text/plain" fallback, which is what screen readers, text-only front ends and
    ``nbconvert --to markdown`` get). The image is sent as raw PNG data rather than as the figure
    object, so no plotting backend can show it a second time.
    """
    from IPython.display import display

    alt = getattr(fig, "alt_text", "") or "Diagram (no text alternative given)."
    png = base64.b64encode(_png_bytes(fig)).decode("ascii")
    width_px = int(round(fig.get_figwidth() * _DPI))
    display(
        {"image/png": png, "text/plain": alt},
        raw=True,
        metadata={"image/png": {"width": width_px, "alt": alt}},
    )


class LifecycleExplorer:
    """Interactive lifecycle diagram: phase buttons, the drawing, and its text alternative.

    Built by :func:`explore_lifecycle`. The figure is shown as a PNG inside an ``Output`` widget
    (set directly on ``output.outputs``), which works with or without pyplot and even without a
    running kernel, so the behaviour can be tested in plain Python. ``current_figure`` is the
    figure last drawn; ``toggle``, ``output`` and ``alt_html`` are the widgets.
    """

    def __init__(self) -> None:
        import ipywidgets as widgets

        self.toggle = widgets.ToggleButtons(
            options=[("All", "all")] + [(p.capitalize(), p) for p in PHASES],
            value="all",
            description="Phase:",
            tooltips=[
                "Show all three phases equally",
                "Highlight the design phase and its tasks",
                "Highlight the development phase and its tasks",
                "Highlight the deployment phase and its tasks",
            ],
            style={"description_width": "initial"},
        )
        self.output = widgets.Output()
        self.alt_html = widgets.HTML()
        self.widget = widgets.VBox([self.toggle, self.output, self.alt_html])
        self.current_figure: Figure | None = None
        self.toggle.observe(self._on_change, names="value")
        self._draw(self.toggle.value)

    def _on_change(self, change: dict) -> None:
        self._draw(change["new"])

    def _draw(self, value: str) -> None:
        """Redraw the diagram for the selected phase and update the text alternative."""
        fig = mlops_lifecycle(highlight=None if value == "all" else value)
        png = base64.b64encode(_png_bytes(fig)).decode("ascii")
        self.current_figure = fig
        # One assignment replaces the old image, so the output never flickers through empty.
        self.output.outputs = (
            {
                "output_type": "display_data",
                "data": {"image/png": png, "text/plain": fig.alt_text},
                "metadata": {"image/png": {"alt": fig.alt_text}},
            },
        )
        self.alt_html.value = (
            f"<p><strong>Text alternative.</strong> {html.escape(fig.alt_text)}</p>"
        )

    @property
    def alt_text(self) -> str:
        """The text alternative of the drawing currently shown."""
        return self.current_figure.alt_text if self.current_figure is not None else ""

    def _repr_mimebundle_(self, **kwargs) -> dict:
        """Show the widget in JupyterLab; text-only front ends get the alt text instead."""
        repr_widget = getattr(self.widget, "_repr_mimebundle_", None)
        bundle = dict(repr_widget(**kwargs) or {}) if callable(repr_widget) else {}
        bundle["text/plain"] = self.alt_text
        return bundle


def explore_lifecycle() -> LifecycleExplorer:
    """Step through the MLOps lifecycle one phase at a time.

    Returns a :class:`LifecycleExplorer`; leave it as the last expression of a cell to display
    it. The toggle buttons are ordinary buttons, so they work with the keyboard (Tab to reach
    them, Enter or Space to choose), and the text alternative under the drawing follows the
    selection.
    """
    return LifecycleExplorer()

"""Chapter 1's facts and its lifecycle: the data every chapter 1 diagram is drawn from.

The facts a diagram shows (phases, tasks, roles, stages) are data here; the drawings and the
words of :mod:`.diagrams` are both made from it, so they say the same thing. The lifecycle is
here too, because it is drawn once per highlighted phase: by :mod:`.diagrams` and by the
interactive explorer (:func:`mlops_concepts.diagrams.explore_lifecycle`). Chapter 3 draws the
phases in the same colours (:data:`PHASE_STYLE`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_EDGE,
    DIM_TEXT,
    LINE,
    OKABE_ITO,
    TEXT,
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

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch


# --------------------------------------------------------------------------------------------
# The facts
# --------------------------------------------------------------------------------------------

#: The three phases of the MLOps lifecycle, in the order the cycle runs.
PHASES: tuple[str, ...] = ("design", "development", "deployment")

# Each phase has a colour *and* a hatch pattern, so the phases stay apart in greyscale too.
PHASE_STYLE = {
    "design": {"colour": OKABE_ITO["orange"], "hatch": "///"},
    "development": {"colour": OKABE_ITO["sky_blue"], "hatch": "..."},
    "deployment": {"colour": OKABE_ITO["green"], "hatch": "xxx"},
}

# The tasks of each phase, as the lesson lists them (line breaks are where the drawing wraps).
PHASE_TASKS = {
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


@dataclass(frozen=True)
class Role:
    """A role and where it works in the lifecycle.

    ``phases`` maps each phase the role is involved in to the role's task there, or to "" when
    the role is involved throughout without one task of its own in that phase.
    """

    group: str
    name: str
    short: str  # name on the recap
    responsibilities: str  # drawn in the table (line breaks are where it wraps)
    in_words: str  # the same, as running text
    phases: dict[str, str]


_THROUGHOUT = dict.fromkeys(PHASES, "")

ROLES: tuple[Role, ...] = (
    Role(
        "Business roles",
        "Business stakeholder",
        "Business stakeholder",
        "Budget decisions; company vision;\ninvolved throughout the lifecycle",
        "makes budget decisions, holds the vision of the company and is involved throughout the lifecycle",
        _THROUGHOUT,
    ),
    Role(
        "Business roles",
        "Subject matter expert",
        "Subject matter expert",
        "Domain knowledge; interprets and\nvalidates data; involved throughout",
        "brings domain knowledge, interprets and validates data and is involved throughout the lifecycle",
        _THROUGHOUT,
    ),
    # The data roles sit where their tasks fall in the lifecycle above: data analysis and data
    # processing belong to design, model training and evaluation to development.
    Role(
        "Technical roles",
        "Data scientist",
        "Data scientist",
        "Data analysis, model training\nand evaluation",
        "does data analysis, model training and evaluation",
        {"design": "data analysis", "development": "training and evaluation"},
    ),
    Role(
        "Technical roles",
        "Data engineer",
        "Data engineer",
        "Collects, stores and processes data;\nchecks and maintains data quality;\n"
        "builds and runs data pipelines",
        "collects, stores and processes data, checks and maintains data quality, and builds and "
        "runs the data pipelines that feed models in production",
        # [H]: the pipelines a data engineer builds keep feeding the model once it is live.
        {"design": "data processing", "deployment": "production data pipelines"},
    ),
    Role(
        "Technical roles",
        "Machine learning engineer",
        "ML engineer",
        "Versatile role, designed for the\ncomplete lifecycle",
        "has a versatile role designed for the complete lifecycle",
        _THROUGHOUT,
    ),
)

ROLES_KEY = "\u25cf = involved, with the role\u2019s task in that phase where it has one of its own"
ROLES_NOTE = (
    "A typical pattern, not a rule: it varies with the application; a startup differs from "
    "a large enterprise."
)

# The DevOps loop, clockwise from the top left: the development half, then the operations half.
DEVOPS_STAGES = {
    "development": ("plan", "code", "build", "test"),
    "operations": ("release", "deploy", "operate", "monitor"),
}
DEVOPS_STAGES_NOTE = "Loop stages: the common way to draw DevOps"

# A real-world ML system, after Sculley et al. (NeurIPS 2015): (label, x, y, w, h) in inches.
ML_SYSTEM_PARTS = (
    ("Configuration", 0.3, 4.25, 8.4, 0.6),
    ("Data collection", 0.3, 2.5, 2.3, 1.6),
    ("Feature extraction", 0.3, 1.0, 2.3, 1.35),
    ("Data verification", 2.75, 3.35, 3.5, 0.75),
    ("Analysis\ntools", 2.75, 2.05, 1.2, 1.15),
    ("Process\nmanagement\ntools", 5.05, 2.05, 1.2, 1.15),
    ("Resource management", 2.75, 1.0, 3.5, 0.9),
    ("Serving\ninfrastructure", 6.4, 2.5, 2.3, 1.6),
    ("Monitoring", 6.4, 1.0, 2.3, 1.35),
)
SOURCE_SCULLEY = (
    "Source: Sculley et al., \u201cHidden Technical Debt in Machine Learning Systems\u201d, "
    "NeurIPS (then NIPS) 2015."
)
ILLUSTRATIVE = "Box sizes are illustrative: the point is that ML code is a small part of the whole."

DEFINITION = ("MLOps: design, deploy and maintain ML in production", "continuously, reliably and efficiently")

# One-line summary of each phase for the recap (line breaks are where the drawing wraps).
RECAP_SUMMARY = {
    "design": "Understand the problem, its\nadded value and key metrics",
    "development": "Develop and experiment until\nthe model is ready to deploy",
    "deployment": "Integrate and deploy the model\nin production; monitor it",
}

# --------------------------------------------------------------------------------------------
# Shared pieces
# --------------------------------------------------------------------------------------------


def phase_swatch(ax: Axes, x: float, y: float, w: float, h: float, phase: str, dimmed: bool = False) -> Patch:
    style = PHASE_STYLE[phase]
    return swatch(ax, x, y, w, h, style["colour"], style["hatch"], dimmed)


def phase_box(fig: Figure, ax: Axes, phase: str, x: float, y: float, w: float, h: float, state: str) -> Patch:
    """Draw a phase box with its hatched key and name; return the outline patch.

    ``state`` is ``"normal"``, ``"selected"`` or ``"dimmed"``. Selection is shown by a thick
    border, a bold "(selected)" label and a stronger fill; the other phases are dimmed. None of
    these cues is colour, so the highlight also reads in greyscale.
    """
    dimmed, selected = state == "dimmed", state == "selected"
    fill_alpha = {"normal": 0.16, "selected": 0.30, "dimmed": 0.06}[state]
    box(ax, x, y, w, h, face=PHASE_STYLE[phase]["colour"], alpha=fill_alpha, lw=0, edge="none")
    outline = box(
        ax,
        x,
        y,
        w,
        h,
        face="none",
        edge=DIM_EDGE if dimmed else LINE,
        lw={"normal": 1.5, "selected": 4.5, "dimmed": 1.0}[state],
        zorder=3,
    )
    phase_swatch(ax, x + 0.15, y + h - 0.40, 0.42, 0.26, phase, dimmed)
    name = phase.capitalize() + (" (selected)" if selected else "")
    label = text(
        ax,
        x + 0.68,
        y + h - 0.27,
        name,
        size=12.5 if selected else 12,
        weight="bold" if selected or state == "normal" else "normal",
        color=DIM_TEXT if dimmed else TEXT,
        va="center",
        ha="left",
    )
    in_box(fig, label, outline)
    return outline


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


def roles_in(phase: str) -> list[tuple[Role, str]]:
    """The roles involved in ``phase``, in table order, each with its task there ("" if none)."""
    return [(role, role.phases[phase]) for role in ROLES if phase in role.phases]


def marked_where(role: Role) -> str:
    """Where the roles table marks ``role``, in words."""
    if set(role.phases) == set(PHASES) and not any(role.phases.values()):
        return "marked in all three phases"
    return "marked in " + join([f"{p} ({task})" if task else p for p, task in role.phases.items()])


# --------------------------------------------------------------------------------------------
# The lifecycle
# --------------------------------------------------------------------------------------------


def lifecycle_words(highlight: str | None = None) -> tuple[str, str]:
    """``(alt, details)`` of the lifecycle diagram, naming the highlighted phase if any."""
    phase = _normalise_phase(highlight)

    def tasks(p: str) -> str:
        return "; ".join(inline(t) for t in PHASE_TASKS[p])

    alt = (
        "The machine learning operations (MLOps) lifecycle as a cycle of three phases: design "
        "leads to development, development to deployment, and deployment back to design."
    )
    if phase is not None:
        alt = alt[:-1] + f", with the {phase} phase highlighted."
    details = (
        "Design is at the top, development at the bottom right and deployment at the bottom "
        "left, joined by arrows, and each box lists its phase\u2019s tasks. "
        f"Design: {tasks('design')}. "
        f"Development: {tasks('development').replace('ML', 'machine learning (ML)', 1)}. "
        f"Deployment: {tasks('deployment')}."
    )
    if phase is not None:
        others = [p for p in PHASES if p != phase]
        details += (
            f" The {phase} phase is highlighted (selected): it has a thick border, a bold label "
            f"marked \u201c(selected)\u201d and a stronger fill, while the {others[0]} and "
            f"{others[1]} phases are dimmed."
        )
    return alt, details


def draw_mlops_lifecycle(highlight: str | None = None) -> Figure:
    """The MLOps lifecycle as a cycle, design -> development -> deployment -> design.

    ``highlight`` names one phase (any letter case) to emphasise while the others are dimmed; a
    bad name raises :class:`ValueError` listing the valid phases.
    """
    phase = _normalise_phase(highlight)
    states = (
        dict.fromkeys(PHASES, "normal")
        if phase is None
        else {p: ("selected" if p == phase else "dimmed") for p in PHASES}
    )
    width, height = 9.0, 5.9
    fig, ax = new_figure(width, height)
    text(ax, width / 2, 5.62, "The MLOps lifecycle", size=14, weight="bold", ha="center", va="center")
    text(
        ax,
        width / 2,
        5.28,
        "Design \u2192 development \u2192 deployment, then back to design",
        size=10.5,
        ha="center",
        va="center",
    )

    # Design on top, development bottom right, deployment bottom left (clockwise).
    geometry = {
        "design": (2.75, 3.0, 3.5, 1.95),
        "development": (4.95, 0.8, 3.85, 1.6),
        "deployment": (0.2, 0.8, 3.85, 1.6),
    }
    for name, (x, y, w, h) in geometry.items():
        outline = phase_box(fig, ax, name, x, y, w, h, states[name])
        colour = DIM_TEXT if states[name] == "dimmed" else TEXT
        bullets(fig, ax, x + 0.25, y + h - 0.58, PHASE_TASKS[name], outline, colour=colour)

    def arrow_colour(src: str) -> str:
        return DIM_EDGE if phase is not None and phase != src else LINE

    arrow(ax, (6.27, 3.95), (7.55, 2.43), rad=-0.35, colour=arrow_colour("design"), lw=2.5)
    arrow(ax, (4.93, 1.6), (4.07, 1.6), colour=arrow_colour("development"), lw=2.5)
    arrow(ax, (1.45, 2.43), (2.73, 3.95), rad=-0.35, colour=arrow_colour("deployment"), lw=2.5)

    if phase is None:
        note = "Arrows show the order of the phases; each box lists the phase\u2019s tasks."
    else:
        note = f"Highlighted: {phase.capitalize()} (thick border, bold label); the other phases are dimmed."
    text(ax, width / 2, 0.32, note, size=10, ha="center", va="center", style="italic")
    fig.highlight = phase
    return fig


def lifecycle_diagram(highlight: str | None = None) -> Diagram:
    """The lifecycle diagram, with ``highlight`` (a phase, or None) highlighted."""
    phase = _normalise_phase(highlight)
    alt, details = lifecycle_words(phase)
    name = "mlops_lifecycle" + (f"_{phase}" if phase else "")
    return Diagram(name, lambda: draw_mlops_lifecycle(phase), alt, details)


MLOPS_LIFECYCLE = lifecycle_diagram()

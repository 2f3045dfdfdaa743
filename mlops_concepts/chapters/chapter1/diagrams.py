"""Chapter 1, "Introduction to MLOps": its diagrams, each drawn and described from one source.

Every diagram is a :class:`~.toolkit.Diagram` in :data:`DIAGRAMS`: a drawing function, a one-sentence
alternative text and the rest of the description in words. The facts a diagram shows (phases,
tasks, roles, stages) are data in :mod:`.lifecycle`; the drawing and the words are both made
from that data, so they say the same thing.

What is drawn here beyond the lessons' own facts is said on the picture: the DevOps loop's stage
names are the common way to draw DevOps, and the roles table marks the data scientist's and the
data engineer's phases where their tasks fall in this chapter's lifecycle, with a note that this
varies.
"""

from __future__ import annotations

import math
import textwrap
from typing import TYPE_CHECKING

from ..toolkit import (
    DIM_TEXT,
    LINE,
    LINE_HEIGHT,
    OKABE_ITO,
    RULE,
    Diagram,
    arrow,
    box,
    in_box,
    inline,
    join,
    new_figure,
    text,
)
from .lifecycle import (
    DEFINITION,
    DEVOPS_STAGES,
    DEVOPS_STAGES_NOTE,
    ILLUSTRATIVE,
    ML_SYSTEM_PARTS,
    MLOPS_LIFECYCLE,
    PHASE_STYLE,
    PHASES,
    RECAP_SUMMARY,
    ROLES,
    ROLES_KEY,
    ROLES_NOTE,
    SOURCE_SCULLEY,
    Role,
    marked_where,
    phase_box,
    phase_swatch,
    roles_in,
)

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure


# --------------------------------------------------------------------------------------------
# DevOps: silos, then one loop
# --------------------------------------------------------------------------------------------


def draw_devops_silos_vs_loop() -> Figure:
    """Two panels: separate Development and Operations silos, then one shared DevOps loop."""
    width, height = 9.0, 4.6
    fig, ax = new_figure(width, height)
    dev_colour, ops_colour = OKABE_ITO["blue"], OKABE_ITO["vermillion"]

    ax.plot([4.5, 4.5], [0.25, 4.35], color=RULE, lw=1)
    text(ax, 2.25, 4.3, "Before DevOps", size=13, weight="bold", ha="center", va="center")
    text(ax, 6.75, 4.3, "DevOps", size=13, weight="bold", ha="center", va="center")

    # Left panel: two silos and a wall between them.
    silo_y, silo_h, silo_w = 1.2, 1.9, 1.45
    for x, name, colour, hatch in (
        (0.3, "Development", dev_colour, "//"),
        (2.75, "Operations", ops_colour, "\\\\"),
    ):
        box(ax, x, silo_y, silo_w, silo_h, face=colour, alpha=0.15, lw=0, edge="none")
        silo = box(ax, x, silo_y, silo_w, silo_h, face="none", lw=1.5, zorder=3)
        # A hatched band at the foot of each silo: a non-colour cue that keeps text readable.
        box(
            ax,
            x + 0.1,
            silo_y + 0.12,
            silo_w - 0.2,
            0.35,
            face=colour,
            alpha=0.25,
            edge=colour,
            lw=0,
            hatch=hatch,
            rounding=0.03,
            zorder=2,
        )
        in_box(
            fig,
            text(
                ax,
                x + silo_w / 2,
                silo_y + silo_h - 0.35,
                name,
                size=11,
                weight="bold",
                ha="center",
                va="center",
            ),
            silo,
        )
        in_box(
            fig,
            text(
                ax,
                x + silo_w / 2,
                silo_y + silo_h - 0.85,
                "separate\nsilo",
                size=10,
                ha="center",
                va="center",
            ),
            silo,
        )
    wall_x, wall_w = 1.95, 0.6
    box(
        ax,
        wall_x,
        silo_y,
        wall_w,
        1.55,
        face="#bdbdbd",
        edge="#4d4d4d",
        lw=1.2,
        hatch="+",
        rounding=0.0,
        zorder=2,
    )
    text(ax, wall_x + wall_w / 2, silo_y - 0.2, "wall", size=10, ha="center", va="center", style="italic")
    arrow(ax, (1.3, silo_y + silo_h + 0.02), (3.45, silo_y + silo_h + 0.02), rad=-0.55, lw=2.0)
    text(
        ax,
        2.25,
        3.82,
        "code thrown \u201cover the wall\u201d",
        size=10,
        ha="center",
        va="center",
        bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none"},
        zorder=5,
    )
    text(
        ax,
        2.25,
        0.5,
        "Two teams apart: Development hands\nits code over to Operations.",
        size=10,
        ha="center",
        va="center",
    )

    # Right panel: one loop, Development on the left half (solid), Operations on the right
    # half (dashed), running clockwise.
    cx, cy, rx, ry = 6.75, 2.45, 1.8, 1.2
    ts = [math.radians(a) for a in range(90, 271, 2)]
    ax.plot(
        [cx + rx * math.cos(t) for t in ts],
        [cy + ry * math.sin(t) for t in ts],
        color=dev_colour,
        lw=3,
        solid_capstyle="butt",
        zorder=2,
    )
    ts = [math.radians(a) for a in range(-90, 91, 2)]
    ax.plot(
        [cx + rx * math.cos(t) for t in ts],
        [cy + ry * math.sin(t) for t in ts],
        color=ops_colour,
        lw=3,
        linestyle=(0, (4, 1.5)),
        zorder=2,
    )
    for a in (225, 180, 135, 90, 45, 0, -45, -90):
        t0, t1 = math.radians(a + 4), math.radians(a - 4)
        colour = dev_colour if 90 < a <= 270 or a == -90 else ops_colour
        arrow(
            ax,
            (cx + rx * math.cos(t0), cy + ry * math.sin(t0)),
            (cx + rx * math.cos(t1), cy + ry * math.sin(t1)),
            colour=colour,
            lw=0,
            scale=16,
            zorder=3,
        )
    stages = DEVOPS_STAGES["development"] + DEVOPS_STAGES["operations"]
    for i, stage in enumerate(stages):  # 45 degrees apart, clockwise from the lower left
        angle = 247.5 - 45 * i
        t = math.radians(angle)
        colour = dev_colour if i < len(DEVOPS_STAGES["development"]) else ops_colour
        text(
            ax,
            cx + rx * math.cos(t),
            cy + ry * math.sin(t),
            stage,
            size=10,
            ha="center",
            va="center",
            zorder=5,
            bbox={"boxstyle": "round,pad=0.25", "fc": "white", "ec": colour, "lw": 1.5},
        )
    text(ax, cx - 0.82, cy, "Development", size=11, weight="bold", ha="center", va="center")
    text(ax, cx + 0.82, cy, "Operations", size=11, weight="bold", ha="center", va="center")
    text(
        ax,
        6.75,
        0.5,
        "One continuous loop: the two sides\nwork together, again and again.",
        size=10,
        ha="center",
        va="center",
    )
    text(ax, 6.75, 0.14, DEVOPS_STAGES_NOTE, size=9, style="italic", color=DIM_TEXT, ha="center", va="center")
    return fig


DEVOPS_SILOS_VS_LOOP = Diagram(
    name="devops_silos_vs_loop",
    draw=draw_devops_silos_vs_loop,
    alt=(
        "Two panels: before DevOps (development and operations), development and operations "
        "are separate silos with a wall between them; with DevOps, they share one continuous "
        "loop."
    ),
    details=(
        "In the left panel, titled \u201cBefore DevOps\u201d, an arrow carries code from "
        "Development over the wall to Operations: the code is thrown \u201cover the wall\u201d "
        "from one team to the other. In the right panel, titled \u201cDevOps\u201d, the "
        f"Development half of the loop (solid line) runs through {join(DEVOPS_STAGES['development'])}; "
        f"the Operations half (dashed line) runs through {join(DEVOPS_STAGES['operations'])}; "
        f"from {DEVOPS_STAGES['operations'][-1]} the loop returns to "
        f"{DEVOPS_STAGES['development'][0]} and starts again, so the two sides work together "
        "continuously. A note says the stage names are the common way to draw DevOps."
    ),
)

# --------------------------------------------------------------------------------------------
# The ML system around the ML code
# --------------------------------------------------------------------------------------------


def draw_ml_system_components() -> Figure:
    """Where ML code sits in a real-world ML system, after Sculley et al. (NeurIPS 2015).

    The point is proportion: the model code is a small box among much larger pieces of
    infrastructure. The sizes are illustrative only; the caption says so and no numbers are shown.
    """
    width, height = 9.0, 5.6
    fig, ax = new_figure(width, height)
    text(
        ax,
        width / 2,
        5.3,
        "Only a small fraction of a real-world ML system is ML code",
        size=14,
        weight="bold",
        ha="center",
        va="center",
    )
    for label, x, y, w, h in ML_SYSTEM_PARTS:
        patch = box(ax, x, y, w, h, face=OKABE_ITO["sky_blue"], alpha=0.22, edge=LINE, lw=1.2)
        in_box(fig, text(ax, x + w / 2, y + h / 2, label, size=10.5, ha="center", va="center"), patch)
    # The ML code box: small, strongly filled, thick border and bold label.
    code = box(
        ax, 4.0, 2.35, 1.0, 0.55, face=OKABE_ITO["vermillion"], edge=OKABE_ITO["black"], lw=2.5, zorder=3
    )
    in_box(
        fig,
        text(ax, 4.5, 2.625, "ML code", size=10.5, weight="bold", ha="center", va="center", zorder=4),
        code,
    )
    text(ax, width / 2, 0.65, ILLUSTRATIVE, size=10, ha="center", va="center", style="italic")
    text(ax, width / 2, 0.3, SOURCE_SCULLEY, size=9.5, ha="center", va="center")
    return fig


ML_SYSTEM_COMPONENTS = Diagram(
    name="ml_system_components",
    draw=draw_ml_system_components,
    alt=(
        "A small box labelled ML code among much larger boxes for everything else a "
        "real-world machine learning (ML) system needs."
    ),
    details=(
        f"The larger boxes are {inline(ML_SYSTEM_PARTS[0][0])} (a wide band across the top), "
        + join([inline(label) for label, *_ in ML_SYSTEM_PARTS[1:]])
        + ". The title says that only a small fraction of a real-world ML system is ML code, and "
        "the caption that the box sizes are illustrative, not measured. The picture follows "
        "Sculley et al., \u201cHidden Technical Debt in Machine Learning Systems\u201d "
        "(NeurIPS, then NIPS, 2015)."
    ),
)

# --------------------------------------------------------------------------------------------
# Roles by phase
# --------------------------------------------------------------------------------------------


def draw_roles_by_phase() -> Figure:
    """A table of the five MLOps roles against the three lifecycle phases.

    A filled circle marks a phase a role is involved in; a role with a task of its own in that
    phase has the task written under the circle.
    """
    line = 10 * LINE_HEIGHT  # one 10-point line, in inches
    task_line = 9 * LINE_HEIGHT

    def task_label(task: str) -> str:
        return textwrap.fill(task, 16)

    def row_height(role: Role) -> float:
        resp = (role.responsibilities.count("\n") + 1) * line
        marks = max(
            (task_label(t).count("\n") + 1) * task_line + 0.3 if t else 0.2 for t in role.phases.values()
        )
        return max(0.24 + resp, 0.12 + marks)

    row_heights = [row_height(role) for role in ROLES]
    group_h = 0.38
    n_groups = len({role.group for role in ROLES})
    width = 9.0
    height = 0.55 + 0.62 + n_groups * group_h + sum(row_heights) + 1.0
    fig, ax = new_figure(width, height)
    text(
        ax,
        width / 2,
        height - 0.3,
        "Who is involved in each phase: one typical pattern",
        size=14,
        weight="bold",
        ha="center",
        va="center",
    )

    col_x = {"design": 3.25, "development": 4.35, "deployment": 5.45}
    col_w = 1.08
    resp_x = 6.15
    top = height - 0.62  # top of the column tints
    header_y = top - 0.42
    rule_y = top - 0.62

    text(ax, 0.25, header_y, "Role", size=10, weight="bold", ha="left", va="center")
    text(ax, resp_x, header_y, "Main responsibilities", size=10, weight="bold", ha="left", va="center")
    ax.plot([0.2, 8.85], [rule_y, rule_y], color=LINE, lw=1.2)

    y = rule_y
    group = None
    for role, row_h in zip(ROLES, row_heights, strict=True):
        if role.group != group:
            group = role.group
            text(
                ax,
                0.25,
                y - group_h / 2 - 0.02,
                group,
                size=10,
                weight="bold",
                style="italic",
                ha="left",
                va="center",
            )
            y -= group_h
        mid = y - row_h / 2
        text(ax, 0.45, mid, role.name, size=10, ha="left", va="center")
        # A row with tasks under its circles has all its circles on one line near the top.
        circle_y = mid if not any(role.phases.values()) else y - 0.24
        for phase, task in role.phases.items():
            text(ax, col_x[phase], circle_y, "\u25cf", size=15, ha="center", va="center")
            if task:
                text(ax, col_x[phase], circle_y - 0.15, task_label(task), size=9, ha="center", va="top")
        text(ax, resp_x, mid, role.responsibilities, size=10, ha="left", va="center")
        y -= row_h
        ax.plot([0.2, 8.85], [y, y], color=RULE, lw=0.8)

    # Column tints and headers (hatched swatch + name), so phases never rely on colour alone.
    for name, x in col_x.items():
        box(
            ax,
            x - col_w / 2,
            y,
            col_w,
            top - y,
            face=PHASE_STYLE[name]["colour"],
            alpha=0.13,
            lw=0,
            edge="none",
            rounding=0.05,
            zorder=0,
        )
        phase_swatch(ax, x - 0.22, top - 0.25, 0.44, 0.2, name)
        text(ax, x, header_y, name.capitalize(), size=10, weight="bold", ha="center", va="center")

    text(ax, 0.25, y - 0.3, ROLES_KEY, size=10, ha="left", va="center")
    text(ax, 0.25, 0.3, ROLES_NOTE, size=9.5, ha="left", va="center", style="italic")
    return fig


def _roles_details() -> str:
    sentences = []
    group = None
    for role in ROLES:
        lead = f"{role.group}: " if role.group != group else ""
        group = role.group
        name = role.name.lower().replace("machine learning", "machine learning (ML)")
        sentences.append(f"{lead}the {name} {role.in_words}; {marked_where(role)}.")
    return (
        "A filled circle marks each phase a role is involved in; where the role has a task of "
        "its own in that phase, the task is written under the circle. A last column gives each "
        "role\u2019s main responsibilities. "
        + " ".join(s[0].upper() + s[1:] for s in sentences)
        + f" The note at the bottom reads: \u201c{ROLES_NOTE}\u201d"
    )


ROLES_BY_PHASE = Diagram(
    name="roles_by_phase",
    draw=draw_roles_by_phase,
    alt=(
        "Table of the five MLOps roles against the three lifecycle phases, design, development "
        "and deployment, with a filled circle where a role is involved."
    ),
    details=_roles_details(),
)

# --------------------------------------------------------------------------------------------
# Recap
# --------------------------------------------------------------------------------------------


def _recap_lines(phase: str) -> list[str]:
    """The roles in a recap box: one per line, with their task in ``phase`` if they have one."""
    lines = []
    for role, task in roles_in(phase):
        label = f"{role.short}: {task}" if task else role.short
        lines.append(label if len(label) <= 30 else f"{role.short}:\n  {task}")
    return lines


def draw_recap() -> Figure:
    """End-of-chapter summary: the three phases in order, what each is for, and who is involved."""
    line = 10 * LINE_HEIGHT
    gap = 0.04
    rows = max(sum(s.count("\n") + 1 for s in _recap_lines(p)) for p in PHASES)
    n_roles = max(len(_recap_lines(p)) for p in PHASES)
    box_h = 0.58 + 2 * line + 0.25 + line + 0.08 + rows * line + n_roles * gap + 0.2
    box_y = 1.15
    width, height = 9.0, box_y + box_h + 1.05
    fig, ax = new_figure(width, height)
    text(ax, width / 2, height - 0.3, DEFINITION[0], size=14, weight="bold", ha="center", va="center")
    text(ax, width / 2, height - 0.62, DEFINITION[1], size=14, weight="bold", ha="center", va="center")

    xs = (0.25, 3.225, 6.2)
    box_w = 2.55
    for x, phase in zip(xs, PHASES, strict=True):
        outline = phase_box(fig, ax, phase, x, box_y, box_w, box_h, "normal")
        top = box_y + box_h - 0.58
        in_box(fig, text(ax, x + 0.15, top, RECAP_SUMMARY[phase], size=10, va="top"), outline)
        roles_y = top - 2 * line - 0.25
        ax.plot([x + 0.15, x + box_w - 0.15], [roles_y + 0.1, roles_y + 0.1], color="#9a9a9a", lw=0.8)
        in_box(fig, text(ax, x + 0.15, roles_y, "Roles involved", size=10, weight="bold", va="top"), outline)
        y = roles_y - line - 0.08
        for label in _recap_lines(phase):
            in_box(fig, text(ax, x + 0.15, y, label, size=10, va="top"), outline)
            y -= (label.count("\n") + 1) * line + gap

    for x in xs[1:]:
        arrow(ax, (x - 0.42, box_y + box_h / 2), (x - 0.02, box_y + box_h / 2), lw=2.5)
    arrow(ax, (xs[2] + box_w / 2, box_y - 0.02), (xs[0] + box_w / 2, box_y - 0.02), rad=-0.15, lw=2.5)
    text(
        ax,
        width / 2,
        0.36,
        "and back to design: the cycle repeats",
        size=10,
        ha="center",
        va="center",
        style="italic",
        bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none"},
        zorder=5,
    )
    return fig


def _recap_details() -> str:
    parts = []
    for phase in PHASES:
        roles = [
            f"the {role.short.replace('ML ', 'machine learning ').lower()}" + (f" ({task})" if task else "")
            for role, task in roles_in(phase)
        ]
        parts.append(f"{phase.capitalize()}: {inline(RECAP_SUMMARY[phase])}. Roles involved: {join(roles)}.")
    return (
        f"The title gives the definition of MLOps: {DEFINITION[0].split(': ', 1)[1]} "
        f"{DEFINITION[1]}. Below it, three phase boxes from left to right are joined by arrows, "
        "and a curved arrow leads from deployment back to design: the cycle repeats. Each box "
        "sums up its phase and lists the roles involved in it, with their task in that phase "
        "where they have one of their own. " + " ".join(parts)
    )


RECAP = Diagram(
    name="recap",
    draw=draw_recap,
    alt=(
        "Chapter summary: the definition of MLOps above the three phases of the lifecycle, "
        "design, development and deployment, each with what it is for and the roles involved."
    ),
    details=_recap_details(),
)

#: Chapter 1's diagrams by name, in the order the notebook shows them.
DIAGRAMS: dict[str, Diagram] = {
    d.name: d for d in (DEVOPS_SILOS_VS_LOOP, ML_SYSTEM_COMPONENTS, MLOPS_LIFECYCLE, ROLES_BY_PHASE, RECAP)
}

"""The drawing toolkit: figures, boxes, arrows, text, the palette and PNG rendering.

Nothing here knows a course fact; each chapter's ``diagrams`` (``chapter1/diagrams.py``, ...)
draws its own diagrams with these helpers and says in words what they show.

Design choices, and why:

* **matplotlib is imported lazily**, inside the helpers. Importing the course package must stay
  quick and must not pull matplotlib (and numpy) into every student kernel, nor fight with
  whatever plotting backend a notebook has chosen.
* **No pyplot.** Figures are built with the object-oriented API (``matplotlib.figure.Figure`` with
  an Agg canvas). pyplot keeps a global list of open figures, so a figure could be shown twice
  and never be freed.
* **Colour is never the only signal.** The palette is Okabe-Ito (safe for the common kinds of
  colour blindness); diagrams also name things in text and use hatch patterns and line styles.
* **Layout in inches.** Each figure has one invisible axes whose data units are inches, so font
  sizes (points) and positions can be reasoned about together; the tests check that no two text
  labels overlap and that nothing falls outside the figure.
* **Same bytes on every run.** :func:`png_bytes` renders at a fixed resolution, quantises
  without dithering and writes no metadata (no software version, no date), because the released
  notebooks embed the PNGs and a test compares them byte for byte with a fresh release.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from io import BytesIO
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # pragma: no cover - only for type checkers; keeps the import lazy at run time
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch
    from matplotlib.text import Text

# Okabe-Ito palette (Okabe & Ito, "Color Universal Design"). Hues stay distinguishable for the
# common colour-vision deficiencies; we still never rely on hue alone.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
}

#: Colour *and* hatch for each kind of box in turn, so nothing depends on colour alone.
STYLES = (
    {"colour": OKABE_ITO["orange"], "hatch": "///"},
    {"colour": OKABE_ITO["sky_blue"], "hatch": "..."},
    {"colour": OKABE_ITO["green"], "hatch": "xxx"},
    {"colour": OKABE_ITO["purple"], "hatch": "\\\\\\"},
    {"colour": OKABE_ITO["yellow"], "hatch": "++"},
)

TEXT = "#1a1a1a"  # near-black body text
DIM_TEXT = "#6b6b6b"  # dimmed text: still about 5:1 contrast on white, so it stays readable
DIM_EDGE = "#a0a0a0"
LINE = "#333333"
RULE = "#c8c8c8"  # light separators
DPI = 100  # pixels per inch of every rendered diagram
LINE_HEIGHT = 1.3 / 72  # inches per point of font size, at the default line spacing of 1.3


@dataclass(frozen=True)
class Diagram:
    """One diagram: how to draw it and what it shows in words, kept together.

    ``alt`` is one sentence, the image's alternative text; ``details`` goes on from it, so the
    whole description in words is ``alt`` followed by ``details`` (:attr:`description`). Both are
    written from the same data the drawing uses, so picture and words cannot drift apart.
    """

    name: str
    draw: Callable[[], Figure]
    alt: str
    details: str

    @property
    def description(self) -> str:
        """What the picture shows, in words: the alt text and the details."""
        return f"{self.alt} {self.details}"

    def figure(self) -> Figure:
        """Draw the figure; its ``alt_text`` attribute is the description in words."""
        fig = self.draw()
        fig.alt_text = self.description
        return fig

    def png(self) -> bytes:
        """The figure as PNG bytes, identical on every run."""
        return png_bytes(self.figure())


# --------------------------------------------------------------------------------------------
# Figures and shapes
# --------------------------------------------------------------------------------------------


def new_figure(width: float, height: float) -> tuple[Figure, Axes]:
    """A figure with one frameless axes whose data units are inches.

    Working in inches makes it easy to see whether a 10-point label fits in a 1-inch box, and the
    Agg canvas lets the figure be drawn and saved without pyplot's global state.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_xlim(0, width)
    ax.set_ylim(0, height)
    ax.set_axis_off()
    # Text that must sit inside a box is registered here so the tests can check that it fits.
    fig._text_in_box = []  # list of (Text, Patch) pairs
    return fig, ax


def text(ax: Axes, x: float, y: float, s: str, size: float = 10, **kw) -> Text:
    """Place text with the course defaults (dark colour, no maths parsing of ``$``)."""
    kw.setdefault("color", TEXT)
    kw.setdefault("linespacing", 1.3)
    return ax.text(x, y, s, fontsize=size, parse_math=False, **kw)


def box(
    ax: Axes,
    x: float,
    y: float,
    w: float,
    h: float,
    face: str = "white",
    edge: str = LINE,
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


def swatch(
    ax: Axes, x: float, y: float, w: float, h: float, colour: str, hatch: str, dimmed: bool = False
) -> Patch:
    """A small hatched key, recognisable without its colour; returns its border.

    In matplotlib 3.10 the hatch takes the edge colour, so the swatch is drawn twice: a tinted,
    hatched fill and then a plain border on top.
    """
    from matplotlib.colors import to_rgba

    box(
        ax,
        x,
        y,
        w,
        h,
        face=colour,
        alpha=0.25 if dimmed else 0.55,
        edge=to_rgba(LINE, 0.5 if dimmed else 1.0),
        lw=0,
        hatch=hatch,
        rounding=0.03,
        zorder=2,
    )
    return box(ax, x, y, w, h, face="none", edge=DIM_EDGE if dimmed else LINE, lw=1, rounding=0.03, zorder=3)


def arrow(
    ax: Axes,
    start: tuple[float, float],
    end: tuple[float, float],
    rad: float = 0.0,
    colour: str = LINE,
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


def in_box(fig: Figure, label: Text, patch: Patch) -> Text:
    """Record that ``label`` is meant to fit inside ``patch`` (checked by the tests)."""
    fig._text_in_box.append((label, patch))
    return label


def bullets(
    fig: Figure,
    ax: Axes,
    x: float,
    y_top: float,
    items: list[str],
    frame: Patch,
    size: float = 10,
    colour: str = TEXT,
    gap: float = 0.07,
) -> float:
    """Write a bulleted list downwards from ``y_top``; return the y just below the last item.

    Each item is two text artists (bullet and wrapped text) so wrapped lines get a hanging
    indent. Line heights are measured from the font size, not guessed per call.
    """
    line = size * LINE_HEIGHT
    y = y_top
    for item in items:
        n_lines = item.count("\n") + 1
        in_box(fig, text(ax, x, y, "\u2022", size=size, color=colour, va="top"), frame)
        in_box(fig, text(ax, x + 0.17, y, item, size=size, color=colour, va="top"), frame)
        y -= n_lines * line + gap
    return y


# --------------------------------------------------------------------------------------------
# Words
# --------------------------------------------------------------------------------------------


def join(words: list[str] | tuple[str, ...]) -> str:
    """'a, b and c': a list in plain English, for the descriptions."""
    words = list(words)
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " and " + words[-1]


def inline(label: str) -> str:
    """A drawn label as running text: one line, first letter lower case ("ML" stays)."""
    flat = label.replace("\n", " ")
    return flat if flat[:2].isupper() else flat[0].lower() + flat[1:]


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def png_bytes(fig: Figure) -> bytes:
    """Render ``fig`` to PNG at :data:`DPI`, the same bytes on every run.

    The drawing is reduced to a palette of 256 colours (no dithering; flat colours and
    anti-aliased text look the same), which makes the file about a third of the size: the
    released notebooks embed every diagram. No metadata is written (no software version, no
    date), so the bytes depend on the drawing alone. Pillow comes with matplotlib.
    """
    from PIL import Image

    raw = BytesIO()
    fig.savefig(raw, format="png", dpi=DPI, metadata={"Software": None}, facecolor="white")
    image = Image.open(BytesIO(raw.getvalue())).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    out = BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()

"""The course's diagrams: every chapter's static diagrams by name, and the interactive lifecycle.

Each chapter draws its own diagrams in its folder, ``mlops_concepts/chapters/chapterN/diagrams``
(a ``DIAGRAMS`` dict of :class:`~mlops_concepts.chapters.toolkit.Diagram`, each holding its
drawing function *and* its description in words, so the two come from one source), with the
shared drawing toolkit :mod:`mlops_concepts.chapters.toolkit`. This module is the registry:

* :data:`DIAGRAMS`: every static diagram by name, collected from the chapter list
  (:data:`mlops_concepts.chapters.CHAPTERS`). A chapter's source notebook asks for one with a
  Markdown line ``<!-- diagram: NAME -->``; at release the ``RenderDiagrams`` preprocessor
  (:mod:`mlops_concepts.assignment_plugins.diagrams_release`) turns it into the picture, with its alt text,
  and the description in words. Students see them without running any code.
* :func:`explore_lifecycle`: chapter 1's interactive lifecycle, which stays a widget.

matplotlib is imported only when a diagram is drawn, so importing the course package stays quick.
``python -m mlops_concepts.diagrams DIR`` writes every diagram to ``DIR/<name>.png``.

The functions ``devops_silos_vs_loop()``, ``mlops_lifecycle()``, ... and :func:`show` keep
working for notebooks released before the diagrams became Markdown images, and the old module
names ``mlops_concepts.diagrams.chapterN`` still import (as the chapter's ``diagrams`` module).
"""

from __future__ import annotations

import base64
import html
from typing import TYPE_CHECKING

from ..autograding import autograding
from ..chapters import by_name, keep_old_names, toolkit
from ..chapters.chapter1 import lifecycle
from ..chapters.chapter1.lifecycle import PHASES
from ..chapters.toolkit import Diagram, png_bytes
from ..keyboard import HELPER_HTML, KEYS_CLASS
from ..widget_views import WIDGET_VIEW, view_metadata

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

__all__ = [
    "DIAGRAMS",
    "PHASES",
    "Diagram",
    "LifecycleExplorer",
    "devops_silos_vs_loop",
    "explore_lifecycle",
    "ml_system_components",
    "mlops_lifecycle",
    "recap",
    "roles_by_phase",
    "show",
    "toolkit",
]


#: Every static diagram of the course by name (names are unique across chapters).
DIAGRAMS: dict[str, Diagram] = by_name("diagrams", "DIAGRAMS", "a diagram")
# Code written before the chapter folders imports ``mlops_concepts.diagrams.chapterN``.
keep_old_names(__name__, "diagrams")


def mlops_lifecycle(highlight: str | None = None) -> Figure:
    """The lifecycle figure, ``highlight`` (a phase, any letter case, or None) highlighted."""
    return lifecycle.lifecycle_diagram(highlight).figure()


def devops_silos_vs_loop() -> Figure:
    return DIAGRAMS["devops_silos_vs_loop"].figure()


def ml_system_components() -> Figure:
    return DIAGRAMS["ml_system_components"].figure()


def roles_by_phase() -> Figure:
    return DIAGRAMS["roles_by_phase"].figure()


def recap() -> Figure:
    return DIAGRAMS["recap"].figure()


def show(fig: Figure) -> None:
    """Display ``fig`` as a PNG, its description as the text fallback (older notebooks)."""
    from IPython.display import display

    alt = getattr(fig, "alt_text", "") or "Diagram (no text alternative given)."
    png = base64.b64encode(png_bytes(fig)).decode("ascii")
    display({"image/png": png, "text/plain": alt}, raw=True, metadata={"image/png": {"alt": alt}})


def _img_html(png: bytes, alt: str) -> str:
    """An ``<img>`` with a real ``alt`` attribute (JupyterLab ignores alt in output metadata)."""
    data = base64.b64encode(png).decode("ascii")
    return (
        f'<img src="data:image/png;base64,{data}" alt="{html.escape(alt, quote=True)}" '
        'style="max-width: 100%; height: auto">'
    )


class LifecycleExplorer:
    """Interactive lifecycle diagram: phase buttons, the drawing, and its description in words.

    Built by :func:`explore_lifecycle`. The drawing is an ``<img>`` in an HTML widget, so it has a
    real ``alt`` text (the one-sentence alt of the highlighted lifecycle); the details follow in
    words under it. It works without a running kernel, so the behaviour can be tested in plain
    Python. ``current`` is the :class:`Diagram` shown; ``toggle``, ``image`` and ``words`` are
    the widgets.
    """

    def __init__(self) -> None:
        self.current: Diagram | None = None
        self.current_figure: Figure | None = None
        if autograding():
            # Widgets never reach grades or feedback: building and drawing them would only cost
            # the class time. The text form describes the whole lifecycle.
            self.toggle = self.image = self.words = self.widget = None
            self.current = lifecycle.lifecycle_diagram(None)
            return
        import ipywidgets as widgets

        self.toggle = widgets.ToggleButtons(
            options=[("All", "all")] + [(p.capitalize(), p) for p in PHASES],
            value="all",
            description="Phase:",
            tooltips=["Show all three phases equally"]
            + [f"Highlight the {p} phase and its tasks" for p in PHASES],
            style={"description_width": "initial"},
        )
        self.image = widgets.HTML()
        self.words = widgets.HTML()
        # Keys typed on the phase buttons stay there (Tab, Space, Enter), never notebook shortcuts.
        keys = widgets.HTML(HELPER_HTML, layout=widgets.Layout(margin="0", height="0"))
        self.widget = widgets.VBox([self.toggle, self.image, self.words, keys])
        self.widget.add_class(KEYS_CLASS)
        self.toggle.observe(self._on_change, names="value")
        self._draw(self.toggle.value)

    def _on_change(self, change: dict) -> None:
        self._draw(change["new"])

    def _draw(self, value: str) -> None:
        """Redraw the diagram for the selected phase and update its description."""
        diagram = lifecycle.lifecycle_diagram(None if value == "all" else value)
        fig = diagram.figure()
        self.current, self.current_figure = diagram, fig
        self.image.value = _img_html(png_bytes(fig), diagram.alt)
        self.words.value = (
            f"<p><strong>What the picture shows, in words.</strong> {html.escape(diagram.details)}</p>"
        )

    @property
    def alt_text(self) -> str:
        """The full description in words of the drawing currently shown."""
        return self.current.description if self.current is not None else ""

    def _repr_mimebundle_(self, **kwargs) -> tuple[dict, dict]:
        """Show the widget in JupyterLab; text-only front ends get the description instead.

        The metadata marks the view with this kernel process (see :mod:`mlops_concepts.widget_views`).
        """
        repr_widget = getattr(self.widget, "_repr_mimebundle_", None)
        bundle = dict(repr_widget(**kwargs) or {}) if callable(repr_widget) else {}
        bundle["text/plain"] = self.alt_text
        return bundle, (view_metadata() if WIDGET_VIEW in bundle else {})


def explore_lifecycle() -> LifecycleExplorer:
    """Step through the MLOps lifecycle one phase at a time.

    Returns a :class:`LifecycleExplorer`; leave it as the last expression of a cell to display
    it. The toggle buttons are ordinary buttons, so they work with the keyboard (Tab to reach
    them, Enter or Space to choose), and the description under the drawing follows the selection.
    """
    return LifecycleExplorer()

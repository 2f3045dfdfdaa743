"""Tests for the chapter 1 diagrams: content, text alternatives, layout and lazy import.

The layout checks stand in for looking at the pictures: after a real Agg draw they measure every
visible text label and fail if two labels overlap, if a label leaves the figure, if a label that
belongs in a box spills out of it, or if any text is smaller than 9 points. Figures are drawn on
an explicit Agg canvas, so no GUI backend or pyplot state is involved.
"""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from mlops_concepts import diagrams

ROOT = Path(__file__).resolve().parents[1]

# Every public drawing, including each highlight variant of the lifecycle.
DRAWINGS = {
    "devops_silos_vs_loop": diagrams.devops_silos_vs_loop,
    "mlops_lifecycle": diagrams.mlops_lifecycle,
    "mlops_lifecycle_design": lambda: diagrams.mlops_lifecycle("design"),
    "mlops_lifecycle_development": lambda: diagrams.mlops_lifecycle("development"),
    "mlops_lifecycle_deployment": lambda: diagrams.mlops_lifecycle("deployment"),
    "roles_by_phase": diagrams.roles_by_phase,
    "ml_system_components": diagrams.ml_system_components,
    "recap": diagrams.recap,
}


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    """Draw each diagram once per test module: drawing is the slow part."""
    return {name: make() for name, make in DRAWINGS.items()}


def visible_texts(fig: Figure) -> list[Text]:
    """All text artists that are drawn and say something (tick labels of hidden axes excluded)."""
    texts = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if t.axes is not None and not t.axes.axison and t not in t.axes.texts:
            continue  # tick labels and axis labels of an axes that is switched off
        texts.append(t)
    return texts


def all_text(fig: Figure) -> str:
    """Every visible label joined into one string, line breaks flattened, for content checks."""
    return " ".join(t.get_text().replace("\n", " ") for t in visible_texts(fig))


def text_extent(t: Text, renderer) -> Bbox:
    """The label's extent on screen, including its background box if it has one."""
    ext = t.get_window_extent(renderer)
    patch = t.get_bbox_patch()
    if patch is not None:
        ext = Bbox.union([ext, patch.get_window_extent(renderer)])
    return ext


def assert_clean_layout(fig: Figure, tol: float = 0.5, margin: float = 3.0) -> None:
    """Fail if labels overlap, leave the figure, spill out of their box, or are under 9 pt.

    ``tol`` (pixels) forgives anti-aliasing rounding at touching edges; text registered as
    belonging inside a box must keep ``margin`` pixels clear of the box's edge.
    """
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    renderer = canvas.get_renderer()
    fig_box = fig.bbox
    texts = visible_texts(fig)
    assert texts, "diagram has no text at all"
    extents = [(t, text_extent(t, renderer)) for t in texts]

    for t, ext in extents:
        assert t.get_fontsize() >= 9, f"{t.get_text()!r} is {t.get_fontsize()} pt (< 9 pt)"
        inside = (
            ext.x0 >= fig_box.x0 - tol
            and ext.y0 >= fig_box.y0 - tol
            and ext.x1 <= fig_box.x1 + tol
            and ext.y1 <= fig_box.y1 + tol
        )
        assert inside, f"{t.get_text()!r} is cut off: {ext} not inside {fig_box}"

    for i, (t1, e1) in enumerate(extents):
        for t2, e2 in extents[i + 1 :]:
            overlap_w = min(e1.x1, e2.x1) - max(e1.x0, e2.x0)
            overlap_h = min(e1.y1, e2.y1) - max(e1.y0, e2.y0)
            assert not (overlap_w > tol and overlap_h > tol), (
                f"{t1.get_text()!r} overlaps {t2.get_text()!r}"
            )

    for t, patch in getattr(fig, "_text_in_box", []):
        ext, box = text_extent(t, renderer), patch.get_window_extent(renderer)
        inside = (
            ext.x0 >= box.x0 + margin
            and ext.y0 >= box.y0 + margin
            and ext.x1 <= box.x1 - margin
            and ext.y1 <= box.y1 - margin
        )
        assert inside, f"{t.get_text()!r} spills out of its box"


# --- the layout helper itself must catch what it is meant to catch --------------------------


def test_layout_helper_catches_overlap_cut_off_spill_and_small_text():
    fig = Figure(figsize=(4, 2), dpi=100)
    fig.text(0.1, 0.5, "overlapping label", fontsize=12)
    fig.text(0.15, 0.5, "overlapping label", fontsize=12)
    with pytest.raises(AssertionError, match="overlaps"):
        assert_clean_layout(fig)

    fig = Figure(figsize=(4, 2), dpi=100)
    fig.text(0.9, 0.5, "this runs off the edge", fontsize=12)
    with pytest.raises(AssertionError, match="cut off"):
        assert_clean_layout(fig)

    fig, ax = diagrams._new_figure(4, 2)
    box = diagrams._box(ax, 0.2, 0.2, 1.0, 1.0)
    diagrams._in_box(fig, diagrams._text(ax, 0.3, 0.7, "far too long for the box"), box)
    with pytest.raises(AssertionError, match="spills out"):
        assert_clean_layout(fig)

    fig = Figure(figsize=(4, 2), dpi=100)
    fig.text(0.1, 0.5, "tiny", fontsize=7)
    with pytest.raises(AssertionError, match="< 9 pt"):
        assert_clean_layout(fig)


# --- every diagram ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_layout_is_clean(figures, name):
    fig = figures[name]
    assert isinstance(fig, Figure)
    w, h = fig.get_size_inches()
    assert 8 <= w <= 9.5 and fig.dpi == 100
    assert_clean_layout(fig)


@pytest.mark.parametrize("name", list(DRAWINGS))
def test_alt_text_is_a_real_paragraph(figures, name):
    alt = figures[name].alt_text
    assert isinstance(alt, str) and len(alt) > 200
    assert alt.rstrip().endswith(".")


def test_devops_labels_and_alt_text(figures):
    fig = figures["devops_silos_vs_loop"]
    text = all_text(fig)
    for label in ("Before DevOps", "DevOps", "Development", "Operations", "over the wall",
                  "wall", "plan", "code", "build", "test", "release", "deploy", "operate",
                  "monitor"):
        assert label in text, label
    alt = fig.alt_text
    assert "DevOps (development and operations)" in alt
    for word in ("silos", "wall", "loop", "plan", "monitor"):
        assert word in alt


def test_lifecycle_labels_and_tasks(figures):
    fig = figures["mlops_lifecycle"]
    text = all_text(fig)
    for label in ("Design", "Development", "Deployment", "Context of the problem",
                  "Added value", "Business requirements", "Key metrics", "Data processing",
                  "Develop the ML model",
                  "Experiment with data, algorithms and hyperparameters",
                  "Model ready for deployment", "Integrate the model in the business",
                  "Deploy the model in production", "Monitor the performance"):
        assert label in text, label
    assert "(selected)" not in text
    assert fig.highlight is None
    alt = fig.alt_text
    assert "machine learning operations (MLOps)" in alt
    assert "machine learning (ML)" in alt
    for phase in diagrams.PHASES:
        assert phase in alt
    assert "highlighted" not in alt


@pytest.mark.parametrize("phase", diagrams.PHASES)
def test_lifecycle_highlight(figures, phase):
    fig = figures[f"mlops_lifecycle_{phase}"]
    assert fig.highlight == phase
    selected = [t for t in visible_texts(fig) if "(selected)" in t.get_text()]
    assert [t.get_text() for t in selected] == [f"{phase.capitalize()} (selected)"]
    assert selected[0].get_fontweight() == "bold"
    assert f"The {phase} phase is highlighted" in fig.alt_text
    # The other phase names are drawn dimmed (not bold, grey).
    for other in set(diagrams.PHASES) - {phase}:
        (label,) = [t for t in visible_texts(fig) if t.get_text() == other.capitalize()]
        assert label.get_fontweight() == "normal"
        assert label.get_color() != selected[0].get_color()


@pytest.mark.parametrize("value", ["DESIGN", "Development", " deployment "])
def test_lifecycle_highlight_ignores_case(value):
    assert diagrams.mlops_lifecycle(value).highlight == value.strip().lower()


@pytest.mark.parametrize("bad", ["designs", "all", "", "monitoring", 1])
def test_lifecycle_rejects_unknown_phase(bad):
    with pytest.raises(ValueError, match="'design', 'development', 'deployment'"):
        diagrams.mlops_lifecycle(bad)


def test_roles_by_phase(figures):
    fig = figures["roles_by_phase"]
    text = all_text(fig)
    roles = ("Business stakeholder", "Subject matter expert", "Data scientist", "Data engineer",
             "Machine learning engineer")
    for label in (*roles, "Business roles", "Technical roles", "Design", "Development",
                  "Deployment", "involved",
                  "Responsibilities vary with the application: a startup differs from a large "
                  "enterprise."):
        assert label in text, label
    # 3 + 3 + 0 + 0 + 3 marks: the slides tie the data scientist and data engineer to no phase.
    assert sum(t.get_text() == "\u25cf" for t in visible_texts(fig)) == 9
    assert text.count("no phase given") == 2
    alt = fig.alt_text
    for role in roles:
        assert role.lower() in alt.lower().replace("machine learning (ml)", "machine learning")
    for phase in diagrams.PHASES:
        assert phase in alt
    assert "startup" in alt


def test_roles_marks_sit_in_the_right_columns(figures):
    fig = figures["roles_by_phase"]
    texts = visible_texts(fig)
    header_x = {t.get_text().lower(): t.get_position()[0] for t in texts
                if t.get_text().lower() in diagrams.PHASES}
    row_y = {t.get_text(): t.get_position()[1] for t in texts}
    marks = {(round(t.get_position()[0], 3), round(t.get_position()[1], 3))
             for t in texts if t.get_text() == "\u25cf"}
    expected = {
        "Business stakeholder": diagrams.PHASES,
        "Subject matter expert": diagrams.PHASES,
        "Data scientist": (),
        "Data engineer": (),
        "Machine learning engineer": diagrams.PHASES,
    }
    want = {(round(header_x[p], 3), round(row_y[role], 3))
            for role, phases in expected.items() for p in phases}
    assert marks == want


def test_ml_system_components(figures):
    fig = figures["ml_system_components"]
    text = all_text(fig)
    for label in ("ML code", "Configuration", "Data collection", "Feature extraction",
                  "Data verification", "Resource management", "Analysis tools",
                  "Process management tools", "Serving infrastructure", "Monitoring",
                  "illustrative", "Sculley et al.", "Hidden Technical Debt in Machine Learning "
                  "Systems", "NeurIPS 2015"):
        assert label in text, label
    assert not any(ch.isdigit() for ch in text.replace("2015", "")), "no invented numbers"
    assert "machine learning (ML)" in fig.alt_text
    assert "illustrative" in fig.alt_text


def test_recap(figures):
    fig = figures["recap"]
    text = all_text(fig)
    assert ("MLOps: design, deploy and maintain ML in production continuously, reliably and "
            "efficiently") in text
    for label in ("Design", "Development", "Deployment", "Roles involved", "stakeholder",
                  "subject matter expert", "ML engineer", "data roles as needed"):
        assert label in text, label
    alt = fig.alt_text
    assert "MLOps (machine learning operations)" in alt
    for phase in diagrams.PHASES:
        assert phase in alt.lower()


# --- notebook display ------------------------------------------------------------------------


def test_show_sends_png_carrying_the_alt_text(monkeypatch):
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display",
                        lambda *objs, **kw: calls.append((objs, kw)))
    fig = diagrams.mlops_lifecycle("design")
    assert diagrams.show(fig) is None
    (image,), image_kw = calls[0]
    assert len(calls) == 1 and image_kw["raw"]
    assert base64.b64decode(image["image/png"]).startswith(b"\x89PNG")
    assert image["text/plain"] == fig.alt_text
    assert image_kw["metadata"]["image/png"]["alt"] == fig.alt_text


def test_explore_lifecycle_follows_the_toggle():
    explorer = diagrams.explore_lifecycle()
    toggle = explorer.toggle
    assert toggle.description == "Phase:"
    assert [label for label, _ in toggle.options] == ["All", "Design", "Development",
                                                      "Deployment"]
    assert len(toggle.tooltips) == 4 and all(toggle.tooltips)
    assert explorer.current_figure.highlight is None

    for label, phase in (("Design", "design"), ("Development", "development"),
                         ("Deployment", "deployment"), ("All", None)):
        toggle.value = dict(toggle.options)[label]
        fig = explorer.current_figure
        assert fig.highlight == phase
        (output,) = explorer.output.outputs
        assert base64.b64decode(output["data"]["image/png"]).startswith(b"\x89PNG")
        assert output["data"]["text/plain"] == fig.alt_text
        assert "Text alternative." in explorer.alt_html.value
        if phase:
            assert f"The {phase} phase is highlighted" in explorer.alt_html.value

    bundle = explorer._repr_mimebundle_()
    assert bundle["text/plain"] == explorer.current_figure.alt_text
    assert "application/vnd.jupyter.widget-view+json" in bundle


# --- import cost -----------------------------------------------------------------------------


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, mlops_concepts, mlops_concepts.diagrams; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "assert 'numpy' not in sys.modules, 'numpy imported'"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr

"""Tests for the diagrams: content, one source for picture and words, layout, release, lazy import.

The layout checks stand in for looking at the pictures: after a real Agg draw they measure every
visible text label and fail if two labels overlap, if a label leaves the figure, if a label that
belongs in a box spills out of it, or if any text is smaller than 9 points. Figures are drawn on
an explicit Agg canvas, so no GUI backend or pyplot state is involved.
"""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from matplotlib.transforms import Bbox

from mlops_concepts import chapters as chapters_package
from mlops_concepts import diagrams
from mlops_concepts.assignment_plugins.diagrams_release import IN_WORDS, RenderDiagrams, render_diagrams
from mlops_concepts.chapters import CHAPTERS
from mlops_concepts.chapters.chapter1 import diagrams as chapter1
from mlops_concepts.chapters.chapter1 import lifecycle
from mlops_concepts.contract.calls import AuthoringError
from mlops_concepts.diagrams import DIAGRAMS, PHASES, toolkit

ROOT = Path(__file__).resolve().parents[2]

# Every diagram: the registry, plus each highlight variant of the lifecycle (the explorer's).
ALL = {**DIAGRAMS, **{d.name: d for d in (lifecycle.lifecycle_diagram(p) for p in PHASES)}}
ROLES = (
    "Business stakeholder",
    "Subject matter expert",
    "Data scientist",
    "Data engineer",
    "Machine learning engineer",
)
# Words students must never meet: they never saw any slides or "the original course".
NOT_FOR_STUDENTS = re.compile(r"slide|original course|not from the", re.IGNORECASE)


@pytest.fixture(scope="module")
def figures() -> dict[str, Figure]:
    """Draw each diagram once per test module: drawing is the slow part."""
    return {name: diagram.figure() for name, diagram in ALL.items()}


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
            assert not (overlap_w > tol and overlap_h > tol), f"{t1.get_text()!r} overlaps {t2.get_text()!r}"

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

    fig, ax = toolkit.new_figure(4, 2)
    box = toolkit.box(ax, 0.2, 0.2, 1.0, 1.0)
    toolkit.in_box(fig, toolkit.text(ax, 0.3, 0.7, "far too long for the box"), box)
    with pytest.raises(AssertionError, match="spills out"):
        assert_clean_layout(fig)

    fig = Figure(figsize=(4, 2), dpi=100)
    fig.text(0.1, 0.5, "tiny", fontsize=7)
    with pytest.raises(AssertionError, match="< 9 pt"):
        assert_clean_layout(fig)


# --- every diagram ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", list(ALL))
def test_layout_is_clean(figures, name):
    fig = figures[name]
    assert isinstance(fig, Figure)
    w, h = fig.get_size_inches()
    assert 8 <= w <= 9.5 and fig.dpi == 100
    assert_clean_layout(fig)


@pytest.mark.parametrize("name", list(ALL))
def test_picture_and_words_come_from_one_entry(figures, name):
    diagram = ALL[name]
    assert diagram.name == name
    # The alt text is one plain sentence that Markdown keeps as it is inside ![...](...).
    assert 60 < len(diagram.alt) < 250 and diagram.alt.endswith(".")
    assert diagram.alt.count(". ") == 0, "the alt text is one sentence"
    assert not re.search(r"[\[\]\n*_`<>\\]", diagram.alt)
    # The details go on from it; the whole description is the two together, and it is what the
    # figure carries as its text alternative.
    assert len(diagram.details) > 150 and diagram.details.endswith((".", "\u201d"))
    assert diagram.description == f"{diagram.alt} {diagram.details}"
    assert figures[name].alt_text == diagram.description


@pytest.mark.parametrize("name", list(ALL))
def test_nothing_mentions_slides_or_the_original_course(figures, name):
    for words in (ALL[name].alt, ALL[name].details, all_text(figures[name])):
        assert not NOT_FOR_STUDENTS.search(words), NOT_FOR_STUDENTS.search(words)


@pytest.mark.parametrize("name", list(ALL))
def test_png_is_the_same_bytes_every_time_and_carries_no_metadata(name):
    png = ALL[name].png()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert png == ALL[name].png()
    for chunk in (b"tEXt", b"iTXt", b"zTXt", b"tIME"):  # version, date or any text
        assert chunk not in png


def test_registry_lists_each_chapters_static_diagrams_once_in_chapter_order():
    import importlib

    assert list(chapter1.DIAGRAMS) == [
        "devops_silos_vs_loop",
        "ml_system_components",
        "mlops_lifecycle",
        "roles_by_phase",
        "recap",
    ]
    # Every chapter of the chapter list that has diagrams, in course order, and nothing else.
    with_diagrams = [
        folder
        for folder in CHAPTERS.values()
        if (Path(chapters_package.__file__).parent / folder / "diagrams.py").is_file()
        or (Path(chapters_package.__file__).parent / folder / "diagrams").is_dir()
    ]
    assert with_diagrams == list(CHAPTERS.values()), with_diagrams  # every chapter has diagrams
    listed = [
        name
        for folder in with_diagrams
        for name in importlib.import_module(f"mlops_concepts.chapters.{folder}.diagrams").DIAGRAMS
    ]
    assert list(DIAGRAMS) == listed and len(set(listed)) == len(listed)


def test_devops_labels_and_words(figures):
    fig = figures["devops_silos_vs_loop"]
    text = all_text(fig)
    for label in (
        "Before DevOps",
        "DevOps",
        "Development",
        "Operations",
        "over the wall",
        "wall",
        "plan",
        "code",
        "build",
        "test",
        "release",
        "deploy",
        "operate",
        "monitor",
        "the common way to draw DevOps",
    ):
        assert label in text, label
    words = ALL["devops_silos_vs_loop"].description
    assert "DevOps (development and operations)" in words
    assert "runs through plan, code, build and test" in words
    assert "runs through release, deploy, operate and monitor" in words
    assert "from monitor the loop returns to plan" in words
    assert "the common way to draw DevOps" in words


def test_lifecycle_labels_and_tasks(figures):
    fig = figures["mlops_lifecycle"]
    text = all_text(fig)
    for label in (
        "Design",
        "Development",
        "Deployment",
        "Context of the problem",
        "Added value",
        "Business requirements",
        "Key metrics",
        "Data processing",
        "Develop the ML model",
        "Experiment with data, algorithms and hyperparameters",
        "Model ready for deployment",
        "Integrate the model in the business",
        "Deploy the model in production",
        "Monitor the performance",
    ):
        assert label in text, label
    assert "(selected)" not in text
    assert fig.highlight is None
    words = ALL["mlops_lifecycle"].description
    assert "machine learning operations (MLOps)" in words
    assert "machine learning (ML)" in words
    assert (
        "Design: context of the problem; added value; business requirements; key metrics; data processing."
    ) in words
    assert "highlighted" not in words


@pytest.mark.parametrize("phase", PHASES)
def test_lifecycle_highlight(figures, phase):
    fig = figures[f"mlops_lifecycle_{phase}"]
    assert fig.highlight == phase
    selected = [t for t in visible_texts(fig) if "(selected)" in t.get_text()]
    assert [t.get_text() for t in selected] == [f"{phase.capitalize()} (selected)"]
    assert selected[0].get_fontweight() == "bold"
    assert f"with the {phase} phase highlighted." in fig.alt_text
    assert f"The {phase} phase is highlighted" in fig.alt_text
    # The other phase names are drawn dimmed (not bold, grey).
    for other in set(PHASES) - {phase}:
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


def roles_table_marks(fig: Figure) -> dict[str, dict[str, str]]:
    """What the drawn roles table shows: role -> {phase: task written under the mark, or ""}.

    Read from the picture's own text artists: a mark belongs to the column whose header is at its
    x, and to the role whose label is nearest its y; a task is the text just under a mark.
    """
    texts = visible_texts(fig)
    header_x = {t.get_text().lower(): t.get_position()[0] for t in texts if t.get_text().lower() in PHASES}
    row_y = {t.get_text(): t.get_position()[1] for t in texts if t.get_text() in ROLES}
    marks: dict[str, dict[str, str]] = {role: {} for role in ROLES}
    for mark in (t for t in texts if t.get_text() == "\u25cf" and t.get_position()[0] > 1):
        x, y = mark.get_position()
        (phase,) = [p for p, px in header_x.items() if abs(px - x) < 1e-6]
        role = min(row_y, key=lambda r: abs(row_y[r] - y))
        under = [
            t
            for t in texts
            if t is not mark and abs(t.get_position()[0] - x) < 1e-6 and 0 < y - t.get_position()[1] < 0.2
        ]
        marks[role][phase] = " ".join(t.get_text().replace("\n", " ") for t in under)
    return marks


def test_roles_marks_the_phases_where_each_roles_tasks_fall(figures):
    # The review's rule: business roles and the ML engineer throughout; the data roles where
    # their tasks fall in the lifecycle (data analysis and data processing in design, training
    # and evaluation in development), and the data engineer's pipelines in production too.
    throughout = dict.fromkeys(PHASES, "")
    assert roles_table_marks(figures["roles_by_phase"]) == {
        "Business stakeholder": throughout,
        "Subject matter expert": throughout,
        "Data scientist": {"design": "data analysis", "development": "training and evaluation"},
        "Data engineer": {"design": "data processing", "deployment": "production data pipelines"},
        "Machine learning engineer": throughout,
    }
    # Each task under a mark is a task of that phase in the lifecycle diagram.
    assert "Data processing" in lifecycle.PHASE_TASKS["design"]
    assert any("Experiment" in t for t in lifecycle.PHASE_TASKS["development"])


def test_roles_labels_and_words_agree_with_the_picture(figures):
    fig = figures["roles_by_phase"]
    text = all_text(fig)
    for label in (
        *ROLES,
        "Business roles",
        "Technical roles",
        "Design",
        "Development",
        "Deployment",
        "involved",
        "varies with the application",
        "a startup differs from a large enterprise.",
        "A typical pattern, not a rule",
    ):
        assert label in text, label
    assert "no phase" not in text  # a blank row read as "not involved"
    words = ALL["roles_by_phase"].description
    for sentence in (
        "the business stakeholder makes budget decisions, holds the vision of the company and "
        "is involved throughout the lifecycle; marked in all three phases.",
        "The subject matter expert brings domain knowledge, interprets and validates data and is "
        "involved throughout the lifecycle; marked in all three phases.",
        "the data scientist does data analysis, model training and evaluation; marked in design "
        "(data analysis) and development (training and evaluation).",
        "The data engineer collects, stores and processes data, checks and maintains data "
        "quality, and builds and runs the data pipelines that feed models in production; marked "
        "in design (data processing) and deployment (production data pipelines).",
        "The machine learning (ML) engineer has a versatile role designed for the complete "
        "lifecycle; marked in all three phases.",
        lifecycle.ROLES_NOTE,
    ):
        assert sentence in words, sentence


def recap_boxes(fig: Figure) -> dict[str, str]:
    """The text drawn inside each recap box, by phase (boxes are left to right in PHASES order)."""
    texts = [t for t in visible_texts(fig) if t.get_position()[1] < fig.get_figheight() - 1]
    xs = sorted({round(t.get_position()[0], 2) for t in texts if t.get_text().lower() in PHASES})
    boxes = {}
    for phase, x0 in zip(PHASES, xs, strict=True):
        inside = [t for t in texts if x0 - 1 < t.get_position()[0] < x0 + 2.2]
        boxes[phase] = " ".join(t.get_text().replace("\n", " ") for t in inside)
    return boxes


def test_recap_roles_match_the_roles_table(figures):
    fig = figures["recap"]
    text = all_text(fig)
    assert (
        "MLOps: design, deploy and maintain ML in production continuously, reliably and efficiently"
    ) in text
    boxes = recap_boxes(fig)
    marks = roles_table_marks(figures["roles_by_phase"])
    short = {"Machine learning engineer": "ML engineer"}
    for phase, drawn in boxes.items():
        assert "Roles involved" in drawn
        for role, phases in marks.items():
            name = short.get(role, role)
            if phase in phases:
                task = phases[phase]
                assert (f"{name}: {task}" if task else name) in " ".join(drawn.split()), (phase, role)
            else:
                assert name not in drawn, (phase, role)
    # The recap's words say the same, phase by phase.
    words = ALL["recap"].description
    assert "MLOps: design, deploy and maintain ML in production continuously" in text
    assert (
        "Roles involved: the business stakeholder, the subject matter expert, the data "
        "scientist (data analysis), the data engineer (data processing) and the machine "
        "learning engineer."
    ) in words
    assert (
        "Roles involved: the business stakeholder, the subject matter expert, the data "
        "scientist (training and evaluation) and the machine learning engineer."
    ) in words
    assert (
        "Deployment: integrate and deploy the model in production; monitor it. Roles "
        "involved: the business stakeholder, the subject matter expert, the data engineer "
        "(production data pipelines) and the machine learning engineer."
    ) in words


def test_ml_system_components(figures):
    fig = figures["ml_system_components"]
    text = all_text(fig)
    parts = (
        "Configuration",
        "Data collection",
        "Feature extraction",
        "Data verification",
        "Resource management",
        "Analysis tools",
        "Process management tools",
        "Serving infrastructure",
        "Monitoring",
    )
    for label in (
        "ML code",
        *parts,
        "illustrative",
        "Sculley et al.",
        "Hidden Technical Debt in Machine Learning Systems",
        "NeurIPS (then NIPS) 2015",
    ):
        assert label in text, label
    assert not any(ch.isdigit() for ch in text.replace("2015", "")), "no invented numbers"
    words = ALL["ml_system_components"].description
    assert "machine learning (ML)" in words and "illustrative" in words
    for part in parts:
        assert part.lower() in words, part


# --- release: the directive becomes the picture with alt text and the words -----------------


def test_render_diagrams_turns_the_directive_into_image_alt_text_and_words():
    diagram = DIAGRAMS["roles_by_phase"]
    cell = nbformat.v4.new_markdown_cell("Before.\n<!-- diagram: roles_by_phase -->\nAfter.")
    cell["id"] = "diagram-roles"
    assert render_diagrams(cell) == ["roles_by_phase"]
    assert cell.source == (
        f"Before.\n![{diagram.alt}](attachment:roles_by_phase.png)\n\n{IN_WORDS} {diagram.details}\nAfter."
    )
    assert cell.id == "diagram-roles"
    assert base64.b64decode(cell.attachments["roles_by_phase.png"]["image/png"]) == diagram.png()
    # Rendered again, the cell stays as it is: nothing is left to render.
    before = (cell.source, dict(cell.attachments))
    assert render_diagrams(cell) == [] and (cell.source, dict(cell.attachments)) == before


def test_render_diagrams_leaves_other_cells_alone_and_refuses_unknown_names():
    code = nbformat.v4.new_code_cell("# <!-- diagram: recap -->")
    plain = nbformat.v4.new_markdown_cell("The diagram: recap, see `<!-- diagram: recap -->`.")
    nb = nbformat.v4.new_notebook(cells=[code, plain])
    nb, _ = RenderDiagrams().preprocess(nb, {})
    assert nb.cells[0].source == "# <!-- diagram: recap -->" and "attachments" not in nb.cells[1]
    assert "attachments" not in nb.cells[0]
    typo = nbformat.v4.new_markdown_cell("<!-- diagram: roles_by_phaze -->")
    with pytest.raises(AuthoringError, match="unknown diagram 'roles_by_phaze'"):
        render_diagrams(typo)


# --- the interactive explorer ----------------------------------------------------------------


def test_explore_lifecycle_follows_the_toggle():
    explorer = diagrams.explore_lifecycle()
    toggle = explorer.toggle
    assert toggle.description == "Phase:"
    assert [label for label, _ in toggle.options] == ["All", "Design", "Development", "Deployment"]
    assert len(toggle.tooltips) == 4 and all(toggle.tooltips)
    assert explorer.current_figure.highlight is None

    for label, phase in (
        ("Design", "design"),
        ("Development", "development"),
        ("Deployment", "deployment"),
        ("All", None),
    ):
        toggle.value = dict(toggle.options)[label]
        diagram = lifecycle.lifecycle_diagram(phase)
        assert explorer.current_figure.highlight == phase
        # The drawing is an <img> with the diagram's alt text (JupyterLab would drop an alt
        # given in output metadata), and the details follow under it.
        match = re.fullmatch(
            r'<img src="data:image/png;base64,([A-Za-z0-9+/=]+)" alt="([^"]+)" .*>', explorer.image.value
        )
        assert match, explorer.image.value[:200]
        assert base64.b64decode(match.group(1)) == diagram.png()
        assert match.group(2) == diagram.alt
        assert IN_WORDS.strip("*") in explorer.words.value
        assert explorer.alt_text == diagram.description
        if phase:
            assert f"The {phase} phase is highlighted" in explorer.words.value

    bundle, metadata = explorer._repr_mimebundle_()
    assert "kernel_pid" in metadata["mlops_concepts"]
    assert bundle["text/plain"] == explorer.alt_text
    assert "application/vnd.jupyter.widget-view+json" in bundle


# --- notebooks released before the diagrams became Markdown images ---------------------------


def test_show_still_sends_png_carrying_the_description(monkeypatch):
    import IPython.display

    calls = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **kw: calls.append((objs, kw)))
    fig = diagrams.devops_silos_vs_loop()
    assert diagrams.show(fig) is None
    (image,), image_kw = calls[0]
    assert len(calls) == 1 and image_kw["raw"]
    assert base64.b64decode(image["image/png"]) == DIAGRAMS["devops_silos_vs_loop"].png()
    assert image["text/plain"] == DIAGRAMS["devops_silos_vs_loop"].description


# --- import cost -----------------------------------------------------------------------------


def test_importing_the_package_does_not_import_matplotlib():
    code = (
        "import sys, mlops_concepts, mlops_concepts.diagrams; "
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'; "
        "assert 'numpy' not in sys.modules, 'numpy imported'; "
        "assert 'PIL' not in sys.modules, 'PIL imported'"
    )
    env = {**os.environ, "MPLBACKEND": "Agg"}
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr


def test_old_module_names_are_the_chapters_diagrams_modules():
    """``mlops_concepts.diagrams.chapterN`` was where each chapter's diagrams lived: it still
    imports, as the very module in the chapter's folder (no copy)."""
    import importlib

    for folder in CHAPTERS.values():
        old = importlib.import_module(f"mlops_concepts.diagrams.{folder}")
        assert old is importlib.import_module(f"mlops_concepts.chapters.{folder}.diagrams")
        assert old.__spec__.name == f"mlops_concepts.chapters.{folder}.diagrams"
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("mlops_concepts.diagrams.chapter99")

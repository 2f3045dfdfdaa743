"""Student HTML and script are inert in every page an instructor, a grader or a student opens.

The unit tests run a corpus of XSS payloads (``tests/support/xss.py``) through the functions of
``mlops_concepts.nbgrader_plugins.defuse`` and check with an independent oracle that nothing active is
left, and that harmless formatting survives. The end-to-end tests grade a hostile submission with
real nbgrader through both supported entry points (the course's pipeline, and plain
``nbgrader autograde`` + ``generate_feedback``) and check the autograded notebook (what the
Formgrader renders) and the feedback HTML. The browser test (tests/browser/test_formgrader_xss.py)
opens both in chromium.
"""

from __future__ import annotations

import base64
import copy
import re
import struct
import zlib

import nbformat
import pytest
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

from mlops_concepts.nbgrader_plugins.defuse import (
    clean_html,
    defuse_markdown,
    defuse_notebook,
    defuse_output,
    is_base64,
    render_markdown,
    valid_attachments,
)
from support.course import cell_id, grade_all, make_course, nbgrader, notebook_path, submission, submit
from support.xss import HTML_PAYLOADS, JS, MARKDOWN_PAYLOADS, MARKER, active_content, active_payloads_in_page

ASSIGNMENT = "01-introduction-to-mlops"


def tiny_png() -> str:
    """A real 1x1 PNG, base64: what a student pastes into a Markdown cell."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
    raw += chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b"")
    return base64.b64encode(raw).decode()


PNG = tiny_png()


def displayed(source: str, attachments=None) -> str:
    """The HTML nbgrader's Formgrader/feedback templates make of a Markdown cell's source."""
    renderer = IPythonRenderer(escape=False, attachments=attachments or {})
    return MarkdownWithMath(renderer=renderer).render(source)


# ---------------------------------------------------------------------------------------------
# the oracle itself: it must see the payloads as active before they are cleaned, or it proves nothing


@pytest.mark.parametrize("name", sorted(set(HTML_PAYLOADS) - {"nested-script"}))
def test_oracle_sees_every_raw_payload_as_active(name):
    # (nested-script is only active once a naive filter removes its inner <script>)
    assert active_content(HTML_PAYLOADS[name]), name


@pytest.mark.parametrize("name", sorted(set(MARKDOWN_PAYLOADS) - {"md-mermaid", "md-pre-blank-line"}))
def test_oracle_sees_every_markdown_payload_as_active_when_rendered(name):
    # md-mermaid renders as a <pre>: active only where mermaid.js runs (checked separately below);
    # md-pre-blank-line is inert as written: it attacks a sanitizer that re-renders cleaned HTML
    # as Markdown (a blank line would end the HTML block and turn the link text into a link).
    assert active_content(displayed(MARKDOWN_PAYLOADS[name])), name


# ---------------------------------------------------------------------------------------------
# clean_html


@pytest.mark.parametrize("name", sorted(HTML_PAYLOADS))
def test_clean_html_leaves_nothing_active(name):
    cleaned = clean_html(HTML_PAYLOADS[name])
    assert active_content(cleaned) == [], cleaned
    assert "<script" not in cleaned.lower() and "javascript:" not in cleaned.lower()
    assert clean_html(cleaned) == cleaned  # stable: cleaning twice changes nothing


def test_clean_html_keeps_harmless_formatting():
    html = (
        "<h2>Title</h2><p>Some <b>bold</b>, <i>it</i>, <em>em</em>, <strong>strong</strong> and "
        "<code>code</code>.</p><pre>x = 1</pre><ul><li>one</li></ul><ol><li>two</li></ol>"
        "<table><tbody><tr><th>a</th></tr><tr><td>1</td></tr></tbody></table><blockquote>q</blockquote>"
        '<p><a href="https://example.org/x?a=1">site</a> <a href="mailto:t@example.org">mail</a>'
        f'<br><span>s</span><img src="data:image/png;base64,{PNG}" alt="pic"></p>'
    )
    assert clean_html(html) == html


def test_clean_html_drops_images_that_are_not_base64_images():
    for src in (
        "https://tracker.example/p.gif",
        "data:image/svg+xml;base64,PHN2Zz4=",
        "data:image/png;base64,not base64!",
        "/files/x.png",
        "x.png",
    ):
        assert "src=" not in clean_html(f'<img src="{src}" alt="a">'), src


# ---------------------------------------------------------------------------------------------
# defuse_markdown


@pytest.mark.parametrize("name", sorted({**HTML_PAYLOADS, **MARKDOWN_PAYLOADS}))
def test_defused_markdown_displays_nothing_active(name):
    payload = {**HTML_PAYLOADS, **MARKDOWN_PAYLOADS}[name]
    source, attachments = defuse_markdown(f"My reflection.\n\n{payload}\n\nThe end.")
    html = displayed(source, attachments)
    assert active_content(html) == [], (source, html)
    assert "My reflection." in html and "The end." in html  # the student's words are still shown
    assert "mermaid" not in html  # no diagram for mermaid.js (click callbacks) to pick up


def test_plain_markdown_is_kept_as_written():
    text = (
        "I learned **three** things:\n\n1. MLOps is *collaborative*\n2. `monitoring` matters\n\n"
        "| phase | role |\n|---|---|\n| design | PM |\n\nSee https://ml-ops.org and "
        "[Google](https://cloud.google.com/architecture/mlops).\n\nMath stays: $x^2$.\n"
    )
    assert defuse_markdown(text) == (text, {})
    html = displayed(text)
    for part in (
        "<strong>three</strong>",
        "<ol>",
        "<em>collaborative</em>",
        "<table>",
        'href="https://cloud.google.com/architecture/mlops"',
        "$x^2$",
    ):
        assert part in html, part


def test_rewritten_markdown_keeps_formatting_and_text():
    text = f'# My answer\n\nI **agree** <img src=x onerror="{JS}"> with:\n\n- a\n- b\n'
    source, _ = defuse_markdown(text)
    assert source != text
    html = displayed(source)
    assert active_content(html) == []
    for part in ("<h1>My answer", "<strong>agree</strong>", "<li>a</li>", "with:"):
        assert part in html, part
    assert "\n\n" not in source  # one HTML block: Markdown passes it through untouched


def test_pasted_png_attachment_survives():
    source = "Here is my sketch:\n\n![sketch](attachment:sketch.png)\n"
    attachments = {"sketch.png": {"image/png": PNG}}
    new_source, kept = defuse_markdown(source, attachments)
    assert kept == attachments
    html = displayed(new_source, kept)
    assert f'src="data:image/png;base64,{PNG}"' in html
    assert active_content(html) == []


@pytest.mark.parametrize(
    "bundle",
    [
        {"image/png": f'AAAA" onerror="{JS}'},  # breaks out of the src="data:...{data}" attribute
        {"image/svg+xml": base64.b64encode(f'<svg onload="{JS}"/>'.encode()).decode()},
        {"text/html": base64.b64encode(f"<script>{JS}</script>".encode()).decode()},
        {"image/png": 42},
        "not a bundle",
    ],
)
def test_hostile_attachments_are_dropped(bundle):
    source = "Look: ![pic](attachment:pic.png)"
    new_source, kept = defuse_markdown(source, {"pic.png": bundle})
    assert kept == {}
    html = displayed(new_source, kept)
    assert active_content(html) == [] and MARKER not in html and "Look:" in html


def test_valid_attachments_keeps_only_base64_images():
    assert valid_attachments(
        {
            "a.png": {"image/png": PNG, "text/html": "<b>"},
            "b": {"image/gif": "!!"},
            'c"><x': {"image/png": PNG},
        }
    ) == {"a.png": {"image/png": PNG}}
    assert is_base64(PNG) and not is_base64("") and not is_base64('AA"A') and not is_base64(None)


# ---------------------------------------------------------------------------------------------
# defuse_output


def _html_of(output) -> str:
    """What the classic template shows for the output's rich data (the parts that are HTML)."""
    data = output.get("data", {})
    parts = [data.get("text/html", "")]
    for mime in ("image/png", "image/jpeg", "image/gif"):
        if mime in data:
            parts.append(f'<img src="data:{mime};base64,{data[mime]}">')
    return "".join(parts)


HOSTILE_OUTPUTS = {
    **{f"html-{k}": {"text/html": v} for k, v in HTML_PAYLOADS.items()},
    "javascript": {"application/javascript": JS, "text/plain": "<IPython.core.display.Javascript>"},
    "markdown": {"text/markdown": f'[x](javascript:{JS}) <img src=x onerror="{JS}">'},
    "svg": {"image/svg+xml": f'<svg onload="{JS}"><script>{JS}</script></svg>'},
    "png-breakout": {"image/png": f'AAAA" onerror="{JS}'},
    "jpeg-breakout": {"image/jpeg": f"AAAA' onerror='{JS}"},
    "widget-view": {"application/vnd.jupyter.widget-view+json": {"model_id": MARKER}},
    "widget-state": {"application/vnd.jupyter.widget-state+json": {"state": {MARKER: {}}}},
    "pdf": {"application/pdf": MARKER},
    "html-isolated": {"text/html": f"<script>{JS}</script>"},
}


@pytest.mark.parametrize("name", sorted(HOSTILE_OUTPUTS))
def test_hostile_outputs_are_inert(name):
    out = nbformat.v4.new_output(
        "display_data",
        data=HOSTILE_OUTPUTS[name],
        metadata={
            "text/html": {"isolated": True},
            "image/png": {"width": f"1 onerror={JS}"},
            "filenames": {"image/png": "/api/contents/x"},
        },
    )
    clean = defuse_output(out)
    nbformat.validate(nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(outputs=[clean])]))
    assert set(clean["data"]) <= {
        "text/plain",
        "text/html",
        "text/latex",
        "image/png",
        "image/jpeg",
        "image/gif",
    }
    assert active_content(_html_of(clean)) == []
    assert MARKER not in str(clean["metadata"]) and "isolated" not in str(clean["metadata"])
    if name in ("javascript", "svg", "png-breakout"):  # the grader learns why
        assert "output not shown" in clean["data"]["text/plain"]


def test_harmless_outputs_are_kept():
    diagram = nbformat.v4.new_output(
        "display_data",
        data={"image/png": PNG, "text/plain": "a diagram"},
        metadata={"image/png": {"width": 600, "alt": "the lifecycle"}},
    )
    assert defuse_output(diagram) == diagram
    table = nbformat.v4.new_output(
        "execute_result",
        execution_count=3,
        data={"text/html": "<table><tbody><tr><td>1</td></tr></tbody></table>", "text/plain": "1"},
    )
    assert defuse_output(table) == table
    stream = nbformat.v4.new_output("stream", name="stdout", text=f"<script>{JS}</script>\n")
    assert defuse_output(stream) == stream  # streams are shown escaped, as text
    error = nbformat.v4.new_output("error", ename="ValueError", evalue="x", traceback=["ValueError: x"])
    assert defuse_output(error) == error
    md = defuse_output(nbformat.v4.new_output("display_data", data={"text/markdown": "**hi**"}))
    assert md["data"] == {"text/html": "<p><strong>hi</strong></p>\n"}


# ---------------------------------------------------------------------------------------------
# defuse_notebook: the course's own cells, and untouched answers, stay byte-identical


@pytest.fixture(scope="module")
def release():
    from support.course import REPO

    return nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)


def test_lesson_cells_and_untouched_answers_stay_identical(release):
    nb = copy.deepcopy(release)
    extra = nbformat.v4.new_markdown_cell(f'Note <img src=x onerror="{JS}">')
    extra["id"] = 'x" onmouseover="1'  # ids go into id="cell-id=..." attributes
    nb.cells.insert(3, extra)
    defuse_notebook(nb, release)
    before = [c for c in release.cells if c.cell_type == "markdown"]
    after = [c for c in nb.cells if c.cell_type == "markdown" and c is not nb.cells[3]]
    assert [c.source for c in after] == [c.source for c in before]
    assert next(c for c in nb.cells if cell_id(c) == "reflection").source == "YOUR ANSWER HERE"
    assert active_content(displayed(nb.cells[3].source)) == [] and "Note" in nb.cells[3].source
    assert re.fullmatch(r"[A-Za-z0-9_-]+", nb.cells[3]["id"])
    nbformat.validate(nb)


def test_a_changed_reflection_is_defused(release):
    nb = copy.deepcopy(release)
    reflection = next(c for c in nb.cells if cell_id(c) == "reflection")
    reflection.source = f'I learned a lot. <img src=x onerror="{JS}">'
    reflection["outputs"] = []  # nonsense on a Markdown cell: must not crash
    del reflection["outputs"]
    defuse_notebook(nb, release)
    assert active_content(displayed(reflection.source)) == []
    assert "I learned a lot." in reflection.source
    assert reflection.metadata.nbgrader["grade_id"] == "reflection"  # still graded by hand


# ---------------------------------------------------------------------------------------------
# end to end: a hostile submission graded by real nbgrader, through both entry points

REFLECTION = "\n\n".join(
    [
        "My reflection: **MLOps** joins *development* and operations.",
        *MARKDOWN_PAYLOADS.values(),
        *(
            HTML_PAYLOADS[k]
            for k in (
                "img-onerror",
                "svg-onload",
                "iframe",
                "object",
                "embed",
                "a-javascript-entities",
                "meta-refresh",
                "base",
                "form",
                "style-import",
                "script",
            )
        ),
        "The end of my reflection.",
    ]
)

HOSTILE_CODE = f"""\
mlops_definition = "A"
mlops_origin = "B"
from IPython.display import display
display({{"text/html": {HTML_PAYLOADS["img-onerror"]!r} + {HTML_PAYLOADS["script"]!r}}}, raw=True)
display({{"application/javascript": {JS!r}, "text/plain": "js"}}, raw=True)
display({{"image/svg+xml": {HOSTILE_OUTPUTS["svg"]["image/svg+xml"]!r}}}, raw=True)
display({{"image/png": {HOSTILE_OUTPUTS["png-breakout"]["image/png"]!r}}}, raw=True)
display({{"text/markdown": {HOSTILE_OUTPUTS["markdown"]["text/markdown"]!r}}}, raw=True)
display({{"text/html": "<b>harmless bold output</b>"}}, raw=True)
print("<script>{JS}</script>")
"""


def hostile_submission(root):
    nb = submission(root, ASSIGNMENT, {"reflection": REFLECTION, "q1_1_answer": HOSTILE_CODE})
    extra = nbformat.v4.new_markdown_cell(f'An extra note <svg onload="{JS}"></svg> **bold**')
    extra.attachments = {"a.png": {"image/png": f'AA" onerror="{JS}'}}
    nb.cells.insert(1, extra)
    nb.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {MARKER: {}}}}
    return nb


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One course; 'alice' graded by the pipeline, then 'bob' by plain nbgrader commands."""
    root = make_course(tmp_path_factory.mktemp("defuse-course"))
    submit(root, ASSIGNMENT, "alice", hostile_submission(root))
    result = grade_all(root, ASSIGNMENT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "alice: graded" in result.stdout, result.stdout

    submit(root, ASSIGNMENT, "bob", hostile_submission(root))
    for args in (
        ("autograde", ASSIGNMENT, "--student", "bob", "--force"),
        ("generate_feedback", ASSIGNMENT, "--student", "bob", "--force"),
    ):
        result = nbgrader(root, *args)
        assert result.returncode == 0, result.stdout + result.stderr
    return root


@pytest.mark.slow
@pytest.mark.parametrize("student", ["alice", "bob"])
def test_autograded_notebook_holds_no_active_content(graded, student):
    nb = nbformat.read(graded / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
    assert "widgets" not in nb.metadata
    reflection = next(c for c in nb.cells if cell_id(c) == "reflection")
    html = render_markdown(reflection.source, reflection.get("attachments"))
    assert active_content(html) == [], html
    assert "My reflection:" in html and "<strong>MLOps</strong>" in html
    assert "The end of my reflection." in html

    release = nbformat.read(notebook_path(graded, "release", ASSIGNMENT), as_version=4)
    ours = {c.source for c in release.cells if c.cell_type == "markdown"}
    student_md = [c for c in nb.cells if c.cell_type == "markdown" and c.source not in ours]
    assert len(student_md) == 2  # the reflection and the extra note
    for cell in student_md:
        assert active_content(render_markdown(cell.source, cell.get("attachments"))) == []
        assert "attachments" not in cell or cell.attachments == {}

    mimes = set()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    for out in outputs:
        mimes |= set(out.get("data", {}))
        assert active_content(_html_of(out)) == []
    assert mimes <= {"text/plain", "text/html", "text/latex", "image/png", "image/jpeg", "image/gif"}
    texts = " ".join(str(o.get("data", {}).get("text/html", "")) for o in outputs)
    assert "<b>harmless bold output</b>" in texts  # harmless output formatting survives
    answer = next(c for c in nb.cells if cell_id(c) == "q1_1_answer")
    assert any("output not shown" in o.get("data", {}).get("text/plain", "") for o in answer.outputs)
    # the lesson's diagrams (PNG attachments of Markdown cells, rendered at release) are still there
    assert any(
        c.cell_type == "markdown" and any("image/png" in b for b in c.get("attachments", {}).values())
        for c in nb.cells
    )


@pytest.mark.slow
@pytest.mark.parametrize("student", ["alice", "bob"])
def test_feedback_html_holds_no_active_content(graded, student):
    html = (graded / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert active_payloads_in_page(html) == []
    assert "My reflection:" in html and "The end of my reflection." in html
    assert "<strong>MLOps</strong>" in html and "<b>harmless bold output</b>" in html
    # Each payload is still visible to the reader as text, so the grader sees what was tried.
    assert MARKER in html


@pytest.mark.slow
def test_hostile_reflection_still_needs_grading_by_hand(graded):
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        for student in ("alice", "bob"):
            sub = gb.find_submission(ASSIGNMENT, student)
            grade = next(g for nb in sub.notebooks for g in nb.grades if g.name == "reflection")
            assert grade.auto_score is None and grade.needs_manual_grade, student


# ---------------------------------------------------------------------------------------------
# every image a student's content puts on a page has a text alternative


def test_every_image_of_student_content_gets_a_text_alternative():
    from mlops_concepts.nbgrader_plugins.defuse import NO_ALT

    img = f'<img src="data:image/png;base64,{PNG}">'
    assert clean_html(f"<p>{img}</p>") == f'<p><img alt="{NO_ALT}" src="data:image/png;base64,{PNG}"></p>'
    assert 'alt="mine"' in clean_html(f'<img alt="mine" src="data:image/png;base64,{PNG}">')
    assert 'alt=""' in clean_html(f'<img alt="" src="data:image/png;base64,{PNG}">')  # decorative
    # Still sanitized after the alt is added: nothing active survives either pass.
    hostile = clean_html(f'<img src="data:image/png;base64,{PNG}" onerror="{JS}"><img src=x>')
    assert "onerror" not in hostile and "src=x" not in hostile and hostile.count(NO_ALT) == 2
    # A Markdown answer with a bare <img> is stored as its sanitized rendering, with the alt.
    source, _ = defuse_markdown(f"My plot:\n\n{img}\n")
    assert NO_ALT in source
    # An image output without one gets it, unless its cell carries one (the templates use that).
    out = nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "fig"})
    assert defuse_output(out)["metadata"] == {"image/png": {"alt": NO_ALT}}
    assert defuse_output(out, cell_alt="the cell's words")["metadata"] == {}
    html_out = nbformat.v4.new_output("display_data", data={"text/html": img})
    assert NO_ALT in defuse_output(html_out)["data"]["text/html"]


def test_the_feedback_page_has_every_alt_without_nbconverts_second_pass():
    """FeedbackExporter writes the page as the template renders it (no BeautifulSoup pass):
    a student's image output still has its text alternative, and the course's images theirs."""
    from traitlets.config import Config

    from mlops_concepts.nbgrader_plugins.defuse import NO_ALT
    from mlops_concepts.nbgrader_plugins.feedback import FeedbackExporter

    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_markdown_cell(f"![The lifecycle, drawn](data:image/png;base64,{PNG})"),
            nbformat.v4.new_code_cell(
                "plot()",
                outputs=[
                    defuse_output(
                        nbformat.v4.new_output("display_data", data={"image/png": PNG, "text/plain": "fig"})
                    )
                ],
            ),
        ]
    )
    page, _ = FeedbackExporter(
        config=Config({"HTMLExporter": {"template_name": "classic"}})
    ).from_notebook_node(nb)
    images = re.findall(r"<img\b[^>]*>", page)
    assert len(images) == 2, images
    assert 'alt="The lifecycle, drawn"' in images[0] and f'alt="{NO_ALT}"' in images[1]

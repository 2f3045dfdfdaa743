"""Make everything a student wrote or printed inert before any instructor, grader or student sees it.

The Formgrader and the feedback pages render the autograded notebook as HTML on the Jupyter
server's own origin. nbgrader's templates put Markdown cells through ``markdown2html`` *without*
any sanitizer (they ignore ``HTMLExporter.sanitize_html``), and output data such as ``text/html``,
``image/svg+xml`` or ``application/javascript`` goes into the page as it is. A reflection answer
with ``<img src=x onerror=...>`` would therefore run in the instructor's browser, where it can
write files through the contents API, open terminals or change grades.

So the autograded notebook itself (which both pages render) holds only inert student content:

* :func:`clean_html` is `nh3 <https://nh3.readthedocs.io>`_ (the Ammonia sanitizer) with a small
  allowlist: harmless formatting (emphasis, code, lists, tables, headings, quotes, links to
  ``http``/``https``/``mailto`` and images embedded as base64 PNG/JPEG/GIF). No script, style,
  event attribute, form, frame, ``id``/``class`` (they could pose as the Formgrader's own
  elements) and no relative URL (it would reach the Jupyter server with the instructor's cookies).
* :func:`defuse_markdown` keeps a student's Markdown as written when nbconvert renders it into
  HTML that the sanitizer leaves exactly as it is; otherwise the cell's source becomes the
  sanitized rendering, on one line in a ``<div>``, which Markdown passes through unchanged (this
  is checked). Attachments are kept only when they are PNG/JPEG/GIF images in valid base64.
* :func:`defuse_output` keeps plain text, streams, errors, LaTeX, valid base64 images and
  sanitized HTML (``text/markdown`` becomes sanitized ``text/html``); anything else (JavaScript,
  SVG, widget views, unknown types) is replaced by a note in plain text.

:class:`DefuseStudentContent` applies them to a notebook in ``autograde`` (after the verdicts
are written, before the grades are saved) and again in ``generate_feedback``. Markdown cells that
are identical to a cell of the released notebook are the course's own and stay byte-identical, so
an untouched written answer is still recognised as unchanged by nbgrader's checksum.
"""

from __future__ import annotations

import base64
import binascii
import copy
import html
import os
import re
import uuid

import nbformat
import nh3
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath
from nbgrader.preprocessors import NbGraderPreprocessor

from ..contract import cells
from ..contract.coursedir import notebook_path

TAGS = {
    "p", "br", "hr", "div", "span",
    "b", "i", "em", "strong", "u", "s", "del", "ins", "mark", "small", "sub", "sup",
    "code", "pre", "kbd", "samp", "var", "abbr", "q", "cite",
    "ul", "ol", "li", "dl", "dt", "dd",
    "table", "thead", "tbody", "tfoot", "tr", "th", "td", "caption",
    "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "a", "img",
}  # fmt: skip
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
    "abbr": {"title"},
    "th": {"align", "colspan", "rowspan"},
    "td": {"align", "colspan", "rowspan"},
    "ol": {"start"},
}
# Removed with everything inside them (other tags not allowed are removed, their text kept).
DROP_WITH_CONTENT = {
    "script",
    "style",
    "template",
    "iframe",
    "object",
    "noscript",
    "textarea",
    "title",
    "xmp",
    "noembed",
    "noframes",
    "math",
    "svg",
    "select",
    "option",
}
LINK_SCHEMES = ("http://", "https://", "mailto:")
IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif")
_DATA_IMAGE = re.compile(r"data:(image/(?:png|jpeg|gif));base64,([A-Za-z0-9+/=\s]*)\Z", re.I)
_ATTACHMENT = re.compile(r"attachment:[\w.\-]+\Z")
_NUMBER = re.compile(r"\d{1,4}%?\Z")
_CELL_ID = re.compile(r"[A-Za-z0-9_-]{1,64}\Z")


def is_base64(text) -> bool:
    """True if ``text`` is non-empty, strictly valid base64 (line breaks allowed)."""
    if not isinstance(text, str):
        return False
    compact = re.sub(r"[\r\n]", "", text)
    if not compact or not re.fullmatch(r"[A-Za-z0-9+/]*={0,2}", compact):
        return False
    try:
        base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return False
    return True


def _attribute(tag: str, name: str, value: str):
    """nh3's per-attribute check (after its own scheme and relative-URL checks)."""
    if name == "href":
        return value if value.strip().lower().startswith(LINK_SCHEMES) else None
    if name == "src":
        match = _DATA_IMAGE.match(value.strip())
        if match and is_base64(match.group(2)):
            return value.strip()
        return value if _ATTACHMENT.match(value.strip()) else None
    if name in ("width", "height", "colspan", "rowspan", "start"):
        return value if _NUMBER.match(value.strip()) else None
    if name == "align":
        return value if value.strip().lower() in ("left", "right", "center") else None
    return value  # title, alt: text only (nh3 quotes it)


_CLEANER = nh3.Cleaner(
    tags=TAGS,
    clean_content_tags=DROP_WITH_CONTENT,
    attributes=ATTRIBUTES,
    attribute_filter=_attribute,
    strip_comments=True,
    link_rel=None,  # no target=_blank is allowed, so there is no opener to protect
    url_schemes={"http", "https", "mailto", "data", "attachment"},
    url_relative="deny",  # a relative URL would reach the Jupyter server as the instructor
)


#: The text alternative of an image that came without one (nbconvert's words for the same case).
NO_ALT = "No description has been provided for this image"


def clean_html(text) -> str:
    """``text`` as HTML with only harmless formatting left (see the module docstring), every
    image with a text alternative (:data:`NO_ALT` where it had none)."""
    cleaned = _CLEANER.clean(text if isinstance(text, str) else str(text))
    return _with_alt(cleaned) if "<img" in cleaned else cleaned


def _with_alt(cleaned: str) -> str:
    """Give each ``<img>`` of sanitized HTML an ``alt``; the result is sanitized again, so what
    the parser makes of it cannot add anything the sanitizer would not keep."""
    from bs4 import BeautifulSoup

    soup = BeautifulSoup(cleaned, "html.parser")
    missing = [img for img in soup.find_all("img") if not img.has_attr("alt")]
    if not missing:
        return cleaned
    for img in missing:
        img["alt"] = NO_ALT
    return _CLEANER.clean(str(soup))


# ---------------------------------------------------------------------------------------------
# Markdown


def valid_attachments(attachments) -> dict:
    """The attachments that are images nbconvert can embed safely: PNG/JPEG/GIF in valid base64."""
    if not isinstance(attachments, dict):
        return {}
    kept = {}
    for name, bundle in attachments.items():
        if not isinstance(name, str) or not _ATTACHMENT.match(f"attachment:{name}"):
            continue
        if not isinstance(bundle, dict):
            continue
        images = {
            mime: re.sub(r"[\r\n]", "", data)
            for mime, data in bundle.items()
            if mime in IMAGE_TYPES and is_base64(data)
        }
        if images:
            kept[name] = images
    return kept


_ATTACHMENT_REF = re.compile(r"attachment:([^\s)\"'>]*)")


def render_markdown(source: str, attachments: dict | None = None, anchors: bool = True) -> str:
    """HTML of ``source`` as nbgrader's templates render a Markdown cell (nbconvert's renderer).

    ``anchors=False`` leaves out the "¶" links nbconvert adds to headings.
    """
    present = set(attachments or {})
    # nbconvert refuses to render a reference to a missing attachment: make it inert text.
    source = _ATTACHMENT_REF.sub(
        lambda m: m.group(0) if m.group(1) in present else f"removed-attachment:{m.group(1)}", source
    )
    renderer = IPythonRenderer(escape=False, attachments=attachments or {}, exclude_anchor_links=not anchors)
    return MarkdownWithMath(renderer=renderer).render(source)


def _as_html_block(html: str) -> str:
    """``html`` as one line in a ``<div>``: Markdown passes such a block through unchanged."""
    return "<div>" + html.strip().replace("\r", "").replace("\n", "&#10;") + "</div>"


def _renders_as(source: str, attachments: dict) -> str | None:
    """What ``source`` renders to, if Markdown passes it through unchanged; else None."""
    try:
        rendered = render_markdown(source, attachments)
    except Exception:  # noqa: BLE001 - any failure to render means "not a safe pass-through"
        return None
    return rendered if rendered.strip() == source.strip() else None


def _void_tags_closed(markup: str) -> str:
    """``<img ... />`` and ``<img ...>`` are the same element in HTML; the renderer writes the
    first, the sanitizer the second. Compare them as equal, so a pasted image stays Markdown."""
    return re.sub(r"\s*/>", ">", markup)


def defuse_markdown(source, attachments=None) -> tuple[str, dict]:
    """A student's Markdown cell made inert: ``(source, attachments)`` to store in the notebook.

    The source is kept as written if its rendering is already what the sanitizer would output
    (so it holds nothing active); otherwise it becomes the sanitized rendering.
    """
    source = cells.text_of(source)
    kept = valid_attachments(attachments)
    try:
        rendered = render_markdown(source, kept)
    except Exception:  # noqa: BLE001 - unrenderable Markdown: show its text instead
        rendered = None
    if rendered is not None and _void_tags_closed(clean_html(rendered)) == _void_tags_closed(rendered):
        return source, kept
    if rendered is not None:
        block = _as_html_block(clean_html(render_markdown(source, kept, anchors=False)))
        if _renders_as(block, kept) is not None:
            return block, kept
    # Belt and braces: the text itself, escaped, in a <pre>.
    text = html.escape(source, quote=True)
    block = _as_html_block(f"<pre>{text}</pre>")
    if _renders_as(block, {}) is not None:
        return block, {}
    return "*(This cell could not be shown safely and was removed.)*", {}


# ---------------------------------------------------------------------------------------------
# outputs

TEXT_TYPES = ("text/plain", "text/latex")
# Dropped without a note: a widget view only points into the notebook's widget state (which is
# removed too, see defuse_notebook); its text/plain is what a static page can show anyway.
QUIET_DROPS = ("application/vnd.jupyter.widget-view+json",)


def _note(removed) -> str:
    kinds = ", ".join(sorted(str(m)[:60] for m in removed))
    return f"[output not shown: {kinds} could run code in the grader's browser]"


def defuse_output(output, cell_alt: str | None = None) -> dict:
    """One cell output made inert (a new dict; ``output`` is not changed). An image gets
    :data:`NO_ALT` as its text alternative when neither it nor its cell (``cell_alt``, which
    nbconvert's templates fall back on) has one."""
    out = copy.deepcopy(dict(output)) if isinstance(output, dict) else {}
    kind = out.get("output_type")
    if kind == "stream":
        name = out.get("name") if out.get("name") in ("stdout", "stderr") else "stdout"
        return nbformat.v4.new_output("stream", name=name, text=cells.text_of(out.get("text")))
    if kind == "error":
        traceback = out.get("traceback")
        traceback = [cells.text_of(line) for line in traceback] if isinstance(traceback, list) else []
        return nbformat.v4.new_output(
            "error",
            ename=cells.text_of(out.get("ename")),
            evalue=cells.text_of(out.get("evalue")),
            traceback=traceback,
        )
    if kind not in ("display_data", "execute_result"):
        return nbformat.v4.new_output("stream", name="stdout", text=_note([f"output type {kind!r}"]) + "\n")

    data = out.get("data") if isinstance(out.get("data"), dict) else {}
    meta = out.get("metadata") if isinstance(out.get("metadata"), dict) else {}
    kept, new_meta, removed = {}, {}, []
    for mime, value in data.items():
        if mime in TEXT_TYPES:
            kept[mime] = cells.text_of(value)
        elif mime in IMAGE_TYPES:
            if is_base64(value):
                kept[mime] = re.sub(r"[\r\n]", "", value)
                new_meta[mime] = _image_metadata(meta.get(mime))
                if "alt" not in new_meta[mime] and not cell_alt:
                    new_meta[mime]["alt"] = NO_ALT
            else:
                removed.append(mime)
        elif mime == "text/html":
            kept[mime] = clean_html(cells.text_of(value))
        elif mime == "text/markdown":
            if "text/html" not in data:
                try:
                    kept["text/html"] = clean_html(render_markdown(cells.text_of(value)))
                except Exception:  # noqa: BLE001 - unrenderable: its plain text is enough
                    kept.setdefault("text/plain", cells.text_of(value))
        elif mime not in QUIET_DROPS:
            removed.append(mime)
    if removed:
        note = _note(removed)
        kept["text/plain"] = f"{kept['text/plain']}\n{note}" if "text/plain" in kept else note
    new_meta = {m: v for m, v in new_meta.items() if v}
    if kind == "execute_result":
        count = out.get("execution_count")
        count = count if isinstance(count, int) and not isinstance(count, bool) else None
        return nbformat.v4.new_output("execute_result", data=kept, metadata=new_meta, execution_count=count)
    return nbformat.v4.new_output("display_data", data=kept, metadata=new_meta)


def _image_metadata(meta) -> dict:
    """The image metadata the templates use, as plain values: width, height, alt, unconfined."""
    if not isinstance(meta, dict):
        return {}
    kept = {}
    for key in ("width", "height"):
        if isinstance(meta.get(key), int) and not isinstance(meta.get(key), bool):
            kept[key] = meta[key]
    if isinstance(meta.get("alt"), str):
        kept["alt"] = meta["alt"]
    if meta.get("unconfined") is True:
        kept["unconfined"] = True
    return kept


# ---------------------------------------------------------------------------------------------
# the notebook


def _cell_key(cell) -> tuple[str, str]:
    return cell.get("cell_type", ""), cells.text_of(cell.get("source"))


def defuse_notebook(nb, release=None):
    """Make every output, and every text cell that is not the course's own, inert (in place).

    ``release`` is the released notebook; without it every Markdown and raw cell is treated as
    the student's.
    """
    # Widget state comes from the student's kernel, and the classic template hands it to the
    # widget manager, which puts e.g. an HTML widget's value into the page as it is.
    # (nbconvert's ClearMetadataPreprocessor in the autograde list is disabled by default.)
    nb.get("metadata", {}).pop("widgets", None)
    ours = {
        _cell_key(c)
        for c in (release.cells if release is not None else [])
        if c.get("cell_type") in ("markdown", "raw")
    }
    ids = set()
    for cell in nb.cells:
        kind = cell.get("cell_type")
        if not _CELL_ID.match(str(cell.get("id", ""))) or cell.get("id") in ids:
            cell["id"] = uuid.uuid4().hex[:8]  # ids go into the page as HTML attributes
        ids.add(cell["id"])
        tags = cell.get("metadata", {}).get("tags")
        if tags is not None and not (isinstance(tags, list) and all(isinstance(t, str) for t in tags)):
            del cell["metadata"]["tags"]
        if kind == "code":
            cell_alt = cell.get("metadata", {}).get("alt")
            cell_alt = cell_alt if isinstance(cell_alt, str) else None
            cell["outputs"] = [defuse_output(o, cell_alt) for o in cell.get("outputs", []) or []]
            count = cell.get("execution_count")
            if not (isinstance(count, int) and not isinstance(count, bool)):
                cell["execution_count"] = None
        elif kind == "markdown":
            if _cell_key(cell) in ours:
                # The course's text (or an untouched answer): byte-identical; only the images
                # a student may have attached to it are checked.
                if "attachments" in cell:
                    cell["attachments"] = valid_attachments(cell["attachments"])
                continue
            source, attachments = defuse_markdown(cell.get("source"), cell.get("attachments"))
            cell["source"] = source
            if attachments:
                cell["attachments"] = attachments
            else:
                cell.pop("attachments", None)
        elif kind == "raw":
            if _cell_key(cell) not in ours:
                source = cells.text_of(cell.get("source"))
                if clean_html(source) != source:
                    cell["source"] = clean_html(source)
    return nb


class DefuseStudentContent(NbGraderPreprocessor):
    """Make student HTML and script inert in the notebook every grading page renders.

    For ``autograde`` (after ``GradeFromReports``, before ``SaveAutoGrades``) and
    ``generate_feedback``. See :mod:`mlops_concepts.nbgrader_plugins.defuse`.
    """

    def preprocess(self, nb, resources):
        release = None
        try:
            path = notebook_path(self, "release", resources)
        except (KeyError, TypeError):
            path = None
        if path and os.path.exists(path):
            release = nbformat.read(path, as_version=4)
        else:
            self.log.warning("No released notebook at %s: every text cell is defused", path)
        return defuse_notebook(nb, release), resources

"""Release-time diagrams (an nbgrader preprocessor for ``generate_assignment``).

A source notebook asks for a diagram with a Markdown line of its own::

    <!-- diagram: roles_by_phase -->

(an HTML comment, so the source notebook renders cleanly too). ``RenderDiagrams`` replaces that
line with the picture, as a Markdown image with real alt text and the PNG as a cell attachment,
followed by the description in words::

    ![<alt>](attachment:roles_by_phase.png)

    **What the picture shows, in words.** <details>

Alt text and details both come from the diagram's one entry in
:data:`mlops_concepts.diagrams.DIAGRAMS`. Students see the diagrams before running any cell, and
JupyterLab gives the ``<img>`` its alt attribute (it ignores an ``alt`` in output metadata). The
PNG bytes are the same on every run, so the "release is in sync" test can compare files. The rest
of the cell (its id, metadata and any other lines) is kept as it is.

An unknown diagram name stops the release with an :class:`AuthoringError` naming the cell.
"""

from __future__ import annotations

import base64
import re

from nbgrader.preprocessors import NbGraderPreprocessor

from ..contract.calls import AuthoringError

DIRECTIVE = re.compile(r"^[ \t]*<!--[ \t]*diagram:[ \t]*([A-Za-z0-9_]+)[ \t]*-->[ \t]*$", re.MULTILINE)
# Characters that would end or reshape a Markdown image's alt text.
_NOT_IN_ALT = re.compile(r"[\[\]\n\r*_`<>\\]")
IN_WORDS = "**What the picture shows, in words.**"


def diagram_markdown(diagram) -> str:
    """The Markdown that shows ``diagram``: its image with alt text, then its details."""
    if _NOT_IN_ALT.search(diagram.alt):
        raise AuthoringError(
            f"the alt text of diagram {diagram.name!r} holds a character "
            f"Markdown would not keep: {diagram.alt!r}"
        )
    return f"![{diagram.alt}](attachment:{diagram.name}.png)\n\n{IN_WORDS} {diagram.details}"


def render_diagrams(cell) -> list[str]:
    """Render every diagram directive of a Markdown ``cell`` in place; return the names."""
    from ..diagrams import DIAGRAMS

    names = DIRECTIVE.findall(cell.source)
    if not names:
        return []
    unknown = [n for n in names if n not in DIAGRAMS]
    if unknown:
        raise AuthoringError(
            f"unknown diagram {unknown[0]!r} in cell {cell.get('id')!r}; known diagrams: "
            + ", ".join(sorted(DIAGRAMS))
        )
    cell.source = DIRECTIVE.sub(lambda m: diagram_markdown(DIAGRAMS[m.group(1)]), cell.source)
    attachments = dict(cell.get("attachments") or {})
    for name in names:
        png = DIAGRAMS[name].png()
        attachments[f"{name}.png"] = {"image/png": base64.b64encode(png).decode("ascii")}
    cell["attachments"] = attachments
    return names


class RenderDiagrams(NbGraderPreprocessor):
    """Turn ``<!-- diagram: NAME -->`` lines into the picture with alt text and its description."""

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "markdown":
            render_diagrams(cell)
        return cell, resources

"""Release-time answer stubs that let "Restart Kernel and Run All" reach the end of a notebook.

nbgrader's ``ClearSolutions`` replaces every ``### BEGIN SOLUTION`` ... ``### END SOLUTION``
region by one stub, ``# YOUR ANSWER HERE`` and ``raise NotImplementedError()``, indented like the
region. In a function body that is right: the function raises only when it is called, and its
self-check says "not answered yet". At the top level of an answer cell it stops Run All at the
first exercise, and nothing after it (checkpoints, the progress bar) ever renders.

Every top-level answer cell starts with a live placeholder (``mlops_definition = "<letter>"``)
before its solution region, so the answer is defined from the start and its self-check says "not
answered yet: replace "<letter>" with your answer". :class:`TopLevelStubs` runs right after
``ClearSolutions`` and, in solution code cells only, replaces each *unindented* ``code_stub`` by
``top_level_stub`` (just the comment). Indented stubs, in function bodies, keep their ``raise``.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Unicode

from ..contract import cells

#: What ``ClearSolutions`` writes in place of a solution region (nbgrader_config.py sets it).
CODE_STUB = "# YOUR ANSWER HERE\nraise NotImplementedError()"
#: What a top-level region becomes instead: a comment, so the cell runs.
TOP_LEVEL_STUB = "# YOUR ANSWER HERE"


def top_level_stubs(source: str, code_stub: str = CODE_STUB, top_level_stub: str = TOP_LEVEL_STUB) -> str:
    """``source`` with each stub that starts at column 0 replaced by ``top_level_stub``."""
    stub = code_stub.split("\n")
    lines = source.split("\n")
    out: list[str] = []
    i = 0
    while i < len(lines):
        if lines[i : i + len(stub)] == stub:
            out.extend(top_level_stub.split("\n") if top_level_stub else [])
            i += len(stub)
        else:
            out.append(lines[i])
            i += 1
    return "\n".join(out)


class TopLevelStubs(NbGraderPreprocessor):
    """After ``ClearSolutions``: top-level answer stubs that do not raise (see the module doc)."""

    code_stub = Unicode(CODE_STUB, help="The stub ClearSolutions writes (its code_stub['python']).").tag(
        config=True
    )
    top_level_stub = Unicode(
        TOP_LEVEL_STUB, help="What an unindented stub becomes: code that runs and defines nothing."
    ).tag(config=True)

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type == "code" and cells.is_answer(cell):
            cell.source = top_level_stubs(cell.source, self.code_stub, self.top_level_stub)
        return cell, resources

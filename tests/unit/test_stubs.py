"""Release stubs: a top-level solution region becomes a comment; in a function body it raises."""

from __future__ import annotations

import json

from nbformat.v4 import new_code_cell, new_notebook

from mlops_concepts.assignment_plugins.stubs import CODE_STUB, TopLevelStubs, top_level_stubs
from support.course import REPO


def test_a_top_level_stub_is_a_comment_and_a_function_body_keeps_its_raise():
    source = f'answer = "<letter>"\n{CODE_STUB}\n\ndef f(x):\n    """Doc."""\n' + "\n".join(
        "    " + line for line in CODE_STUB.split("\n")
    )
    assert top_level_stubs(source) == (
        'answer = "<letter>"\n# YOUR ANSWER HERE\n\ndef f(x):\n    """Doc."""\n'
        "    # YOUR ANSWER HERE\n    raise NotImplementedError()"
    )


def test_only_answer_cells_are_changed():
    answer = new_code_cell(CODE_STUB)
    answer.metadata["nbgrader"] = {"solution": True, "grade": False, "locked": False, "grade_id": "a"}
    other = new_code_cell(CODE_STUB)
    nb = new_notebook(cells=[answer, other])
    TopLevelStubs().preprocess(nb, {})
    assert answer.source == "# YOUR ANSWER HERE" and other.source == CODE_STUB


def test_the_committed_release_has_no_top_level_raise():
    for path in sorted((REPO / "release").glob("*/*.ipynb")):
        for cell in json.loads(path.read_text())["cells"]:
            if cell.get("metadata", {}).get("nbgrader", {}).get("solution"):
                source = "".join(cell["source"])
                assert "\nraise NotImplementedError()" not in "\n" + source, (path.name, source)

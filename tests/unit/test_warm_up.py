"""The forkserver's warm-up (``class_grading/warm_up.py``): what it leaves done for every child,
and that it changes nothing a student sees.

Each case runs in a fresh interpreter, so that what this test process rendered before cannot
count as warm."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

# Writes one feedback page of a notebook like a student's, as nbgrader configures the exporter,
# and prints how many templates that compiled, and the page.
PAGE = r"""
import json, sys
import jinja2
import nbformat
from nbgrader.converters import GenerateFeedback
from nbgrader.coursedir import CourseDirectory
from mlops_concepts.nbgrader_plugins.feedback import FeedbackExporter

if sys.argv[1] == "warm":
    import mlops_concepts.class_grading.warm_up
compiled = []
real = jinja2.Environment.compile
def counted(self, source, name=None, *args, **kwargs):
    compiled.append(name)
    return real(self, source, name, *args, **kwargs)
jinja2.Environment.compile = counted
nb = nbformat.v4.new_notebook(
    cells=[
        nbformat.v4.new_markdown_cell("## Exercise 1\n\nWhat is **drift**? See $y = f(x)$.", id="lesson"),
        nbformat.v4.new_code_cell("answer = [1, 2, 3]  # mine", execution_count=1, id="answer"),
    ],
    metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
)
config = GenerateFeedback(coursedir=CourseDirectory()).config
resources = {"nbgrader": {"score": 1, "max_score": 2, "late_penalty": 0, "notebook": "lesson"}}
page, _ = FeedbackExporter(config=config).from_notebook_node(nb, resources)
print(json.dumps({"compiled": compiled, "page": page}))
"""


def _page(mode: str) -> dict:
    done = subprocess.run([sys.executable, "-c", PAGE, mode], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout)


@pytest.fixture(scope="module")
def cold_and_warm():
    return _page("cold"), _page("warm")


def test_after_the_warm_up_a_feedback_page_compiles_no_template(cold_and_warm):
    cold, warm = cold_and_warm
    assert "index.html.j2" in cold["compiled"], cold["compiled"]  # nbgrader's feedback page
    assert warm["compiled"] == []


def test_the_warm_up_changes_nothing_on_the_page(cold_and_warm):
    cold, warm = cold_and_warm
    assert "answer" in cold["page"] and "drift" in cold["page"]
    assert warm["page"] == cold["page"]


def test_a_template_changed_after_the_warm_up_is_compiled_again():
    """The cache is checked against each template's source: an edited template is never served
    from what the warm-up compiled."""
    from jinja2 import DictLoader, Environment

    from mlops_concepts.nbgrader_plugins.feedback import COMPILED_TEMPLATES

    first = Environment(loader=DictLoader({"page.j2": "one {{ x }}"}), bytecode_cache=COMPILED_TEMPLATES)
    assert first.get_template("page.j2").render(x=1) == "one 1"
    second = Environment(loader=DictLoader({"page.j2": "two {{ x }}"}), bytecode_cache=COMPILED_TEMPLATES)
    assert second.get_template("page.j2").render(x=1) == "two 1"


def test_a_warm_up_that_fails_still_lets_the_forkserver_start(monkeypatch):
    import importlib

    from mlops_concepts.class_grading import warm_up
    from mlops_concepts.nbgrader_plugins import feedback

    def broken():
        raise RuntimeError("no templates here")

    monkeypatch.setattr(feedback, "warm_up", broken)
    importlib.reload(warm_up)  # what the forkserver's import runs: it must not raise
    with pytest.raises(RuntimeError):
        warm_up.warm_up()

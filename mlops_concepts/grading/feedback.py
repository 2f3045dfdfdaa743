"""What a student's feedback shows of a self-check: its verdict, not its plumbing.

A test cell is one ``check("q1_2b", answer, key="sha256$...", items=[...], title=..., choices=...)``
call: an internal id, a digest and arguments that mean nothing to a student. In the feedback
(``nbgrader generate_feedback``) this preprocessor replaces its source by one comment line,
``# Self-check for Exercise 1.2 (b)``; the verdict under it ("Exercise 1.2 (b): not correct.
Expected: ...") says the rest. It runs only in ``GenerateFeedback``: the autograded notebook and
the gradebook keep the real cell.
"""

from __future__ import annotations

from nbgrader.preprocessors import NbGraderPreprocessor

from . import cells
from .calls import AuthoringError
from .exercises import exercise_titles, read_check


def self_check_line(cell, titles: dict) -> str:
    try:
        title = read_check(cell).title
    except AuthoringError:
        title = None
    title = title or titles.get(cells.grade_id(cell))
    return f"# Self-check for {title}" if title else "# Self-check"


class HideCheckCalls(NbGraderPreprocessor):
    """In feedback, show each test cell as ``# Self-check for <exercise>`` and its verdict."""

    def preprocess(self, nb, resources):
        titles = exercise_titles(nb)
        for cell in nb.cells:
            if cells.is_test(cell):
                cell.source = self_check_line(cell, titles)
        return nb, resources

"""The sample classes, as the tests and benchmarks use them (see mlops_concepts.authoring.samples).

    .venv/bin/python tests/support/build_samples.py [chapter ...]   # after regenerating release/

writes every chapter's sample submissions into ``examples/<chapter>/submitted/``.
"""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
sys.path.insert(0, str(REPO))
import nbformat  # noqa: E402

from mlops_concepts.authoring import samples as _samples  # noqa: E402
from mlops_concepts.contract import cells  # noqa: E402

CHAPTERS = _samples.chapters(REPO)
#: The chapter the single-chapter tests grade (the first one).
ASSIGNMENT = CHAPTERS[0]
EXPECTED = _samples.expected(REPO, ASSIGNMENT)
#: Every autograded cell of the chapter, in notebook order.
ALL_ITEMS = [
    cells.grade_id(c)
    for c in nbformat.read(REPO / "release" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4).cells
    if cells.is_test(c)
]


def samples(root: Path = REPO, chapter: str = ASSIGNMENT) -> dict:
    return _samples.samples(root, chapter)


def sample_path(student: str, chapter: str = ASSIGNMENT) -> Path:
    return _samples.sample_path(REPO, chapter, student)


if __name__ == "__main__":
    sys.exit(_samples.main())

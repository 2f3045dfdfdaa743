"""Each chapter's sample class: submissions and the grades they must get, beside the chapter.

A chapter ``<id>`` keeps them in ``examples/<id>/``:

* ``samples.py``: ``SAMPLES``, what each sample student wrote, by answer cell (grade id); ``"*"``
  fills every answer cell, and :data:`SOLUTION` stands for the instructor's own answer;
* ``submitted/<student>/<id>/<id>.ipynb``: those answers in the released notebook, written by
  :func:`build` (``python -m mlops_concepts.authoring.samples <id>`` after a new release);
* ``expected.json``: the points each sample must earn, by graded cell (cells not listed earn 0).

``make demo`` grades every chapter's samples, and the tests check the grades against
``expected.json``: adding a chapter adds its folder here, nothing else.
"""

from __future__ import annotations

import copy
import importlib.util
import json
import re
import shutil
import sys
from pathlib import Path

import nbformat

from ..assignment_plugins.seal import sidecar_name
from ..contract import cells

EXAMPLES = "examples"
#: In ``SAMPLES``: the instructor's answer to this cell (from ``source/``).
SOLUTION = object()
_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.MULTILINE)

#: What a cheating sample writes first in every answer cell: objects that claim to equal anything.
ALWAYS_EQUAL = """class Anything(str):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0


class AnyDict(dict):
    def __eq__(self, other):
        return True

    def get(self, key, default=None):
        return Anything("")

    def __getitem__(self, key):
        return Anything("")


"""


def chapters(root: Path) -> list[str]:
    """Chapters with a sample class, in order."""
    folder = Path(root) / EXAMPLES
    return sorted(p.name for p in folder.iterdir() if (p / "samples.py").is_file()) if folder.is_dir() else []


def folder(root: Path, chapter: str) -> Path:
    return Path(root) / EXAMPLES / chapter


def expected(root: Path, chapter: str) -> dict[str, dict[str, float]]:
    """Sample student -> graded cell -> points it must earn."""
    return json.loads((folder(root, chapter) / "expected.json").read_text())


def sample_path(root: Path, chapter: str, student: str) -> Path:
    return folder(root, chapter) / "submitted" / student / chapter / f"{chapter}.ipynb"


def solutions(root: Path, chapter: str) -> dict[str, str]:
    """Answer-cell text of the instructor's solutions, markers removed, by grade id."""
    nb = nbformat.read(Path(root) / "source" / chapter / f"{chapter}.ipynb", as_version=4)
    return {
        cells.grade_id(c): _MARKERS.sub("", c.source)
        for c in nb.cells
        if cells.nbgrader_metadata(c).get("solution") and cells.grade_id(c)
    }


def submission(root: Path, chapter: str, answers: dict[str, str] | None = None):
    """The released notebook with some answer cells filled in, as a student would submit it."""
    nb = copy.deepcopy(nbformat.read(Path(root) / "release" / chapter / f"{chapter}.ipynb", as_version=4))
    for cell in nb.cells:
        if cells.grade_id(cell) in (answers or {}):
            cell.source = answers[cells.grade_id(cell)]
    return nb


def load(root: Path, chapter: str):
    """The chapter's ``samples.py`` as a module."""
    path = folder(root, chapter) / "samples.py"
    spec = importlib.util.spec_from_file_location(f"mlops_samples_{chapter.replace('-', '_')}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def samples(root: Path, chapter: str, source_root: Path | None = None) -> dict:
    """Sample student -> submitted notebook, built from the release at ``root`` (default: the
    samples' own repository) and the solutions in ``source_root`` (default: ``root``)."""
    source_root = source_root or root
    mine = solutions(source_root, chapter)
    built = {}
    for student, answers in load(Path(__file__).resolve().parents[2], chapter).SAMPLES.items():
        filled = dict(mine) if answers.get("*") is SOLUTION else {}
        filled.update({k: (mine[k] if v is SOLUTION else v) for k, v in answers.items() if k != "*"})
        built[student] = submission(root, chapter, filled)
    return built


def build(root: Path, chapter: str) -> list[Path]:
    """Write the chapter's sample submissions from its current release."""
    if not (Path(root) / "release" / chapter / f"{chapter}.ipynb").exists():
        raise SystemExit(f"release/{chapter} is missing: run nbgrader generate_assignment {chapter} first")
    written = []
    for student, nb in samples(root, chapter).items():
        path = sample_path(root, chapter, student)
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, path)
        # A student submits the whole fetched folder, the self-checks' sidecar with it.
        shutil.copyfile(_sidecar(root, chapter), _sample_sidecar(root, chapter, student))
        written.append(path)
    return written


def _sidecar(root: Path, chapter: str) -> Path:
    return Path(root) / "release" / chapter / sidecar_name(chapter)


def stale(root: Path, chapter: str) -> list[str]:
    """Sample students whose committed notebook is not what the current release gives."""
    return [
        student
        for student, nb in samples(root, chapter).items()
        if not sample_path(root, chapter, student).is_file()
        or json.loads(sample_path(root, chapter, student).read_text()) != json.loads(nbformat.writes(nb))
        or not _same_bytes(_sample_sidecar(root, chapter, student), _sidecar(root, chapter))
    ]


def _sample_sidecar(root: Path, chapter: str, student: str) -> Path:
    return sample_path(root, chapter, student).parent / sidecar_name(chapter)


def _same_bytes(a: Path, b: Path) -> bool:
    return a.is_file() and b.is_file() and a.read_bytes() == b.read_bytes()


def main(argv: list[str] | None = None) -> int:
    """``python -m mlops_concepts.authoring.samples [--check] [chapter ...]`` (default: every chapter)."""
    args = list(sys.argv[1:] if argv is None else argv)
    check = "--check" in args
    chapters_ = [a for a in args if a != "--check"]
    root = Path(__file__).resolve().parents[2]
    code = 0
    for chapter in chapters_ or chapters(root):
        if check:
            old = stale(root, chapter)
            print(
                f"{chapter}: "
                + (f"stale samples {', '.join(old)}: rebuild them" if old else "samples up to date")
            )
            code = max(code, 1 if old else 0)
            continue
        for path in build(root, chapter):
            print("wrote", path.relative_to(root))
    return code


if __name__ == "__main__":
    # Run as a script, this file is ``__main__``: the chapters' samples.py import SOLUTION from
    # the package module, so run that one (two copies would hold two different SOLUTIONs).
    from mlops_concepts.authoring.samples import main as _main

    sys.exit(_main())

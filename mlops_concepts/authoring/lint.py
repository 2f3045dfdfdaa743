"""The chapter linter: ``mlops-concepts check <id>``, also run by the tests on every chapter.

It reads the instructor's notebook (and the released one, when it exists) without running any
code but the solutions of lab functions, and reports every break of the authoring contract, each
naming the cell:

* **ids match**: every test cell is exactly ``check("<its grade id>", <answer>, key=...)``,
  grade ids are unique, and every test cell follows an answer cell; a lab check has a hidden seed
  of its own, and its solution runs on every public and hidden case;
* **feedback everywhere**: every checkpoint is written in its source form, with feedback for
  every option, a why for every item and step, a hint and an explanation (the checkpoint's own
  sealing step validates this);
* **alt text**: every image in Markdown has a text alternative, and no code cell draws a static
  diagram (diagrams are rendered into the notebook at release time; only interactive ones run);
* **headings**: exactly one H1, first, and no level skipped on the way down;
* **time**: the introduction leaves the estimated time to the release (``<!-- estimated-time -->``);
* **assessment** (:mod:`.assessment`): no position, length or wording cue gives a choice item
  away, and graded parts assess every objective with fresh tasks;
* **nothing leaks**: the release holds no solution, no hidden test, no plaintext key (every
  check key is a digest, every checkpoint is sealed).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

import nbformat

from ..answers import is_digest
from ..assignment_plugins import estimated_time
from ..assignment_plugins.diagrams_release import DIRECTIVE
from ..assignment_plugins.seal import sidecar_name
from ..checkpoints.sealing import KINDS
from ..contract import cells
from ..contract.calls import CHECKPOINT_KINDS, AuthoringError, top_level_calls
from ..contract.exercises import read_check
from . import assessment

#: A lab check must not be passable by a function that ignores its inputs: see
#: :func:`mlops_concepts.contract.labs.orderings`.
MIN_GUESS_ODDS = 10_000

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$", re.MULTILINE)
_FENCE = re.compile(r"^```.*?^```", re.MULTILINE | re.DOTALL)
_IMAGE = re.compile(r"!\[([^\]]*)\]\(([^)\s]+)[^)]*\)")
_HTML_IMAGE = re.compile(r"<img\b[^>]*>", re.IGNORECASE)
_ESTIMATE = re.compile(r"estimated time\W+(about\s+)?\d+", re.IGNORECASE)
_LEAK_MARKERS = (
    "BEGIN SOLUTION",
    "END SOLUTION",
    "BEGIN HIDDEN TESTS",
    "END HIDDEN TESTS",
    "BEGIN MARK SCHEME",
)


@dataclass(frozen=True)
class Problem:
    where: str  # "source cell 'q1_1a'" or "release"
    message: str

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


def _name(cell, index: int) -> str:
    return repr(cells.grade_id(cell) or cell.get("id") or f"#{index}")


def _markdown_text(cell) -> str:
    return _FENCE.sub("", cell.source)


def check_test_cells(nb) -> list[Problem]:
    problems, seen, seeds, answer_seen = [], set(), set(), False
    for i, cell in enumerate(nb.cells):
        gid = cells.grade_id(cell)
        if gid in seen:
            problems.append(Problem(f"cell {gid!r}", "this grade id is used twice"))
        if gid:
            seen.add(gid)
        if cells.is_answer(cell):
            answer_seen = True
        if not cells.is_test(cell):
            continue
        if not answer_seen:
            problems.append(Problem(f"cell {_name(cell, i)}", "a test cell before any answer cell"))
        try:
            check = read_check(cell)
            if check.is_lab:
                problems += _check_lab(nb, check, seeds)
        except AuthoringError as err:
            problems.append(Problem(f"cell {_name(cell, i)}", str(err)))
    return problems


def _check_lab(nb, check, seeds: set) -> list[Problem]:
    """A lab check: a hidden seed of its own, and a solution that runs on every case."""
    from ..contract.labs import expected_outcomes, orderings, result_counts

    where = f"cell {check.grade_id!r}"
    seed = check.cases.get("seed")
    if seed is None:
        return [Problem(where, 'a lab check needs a hidden seed: cases={..., "seed": <non-zero int>}')]
    if seed in seeds:
        return [Problem(where, f"the hidden seed {seed} is used by another lab check")]
    seeds.add(seed)
    hidden = expected_outcomes(nb, check)  # raises AuthoringError, naming the cell, if the solution fails
    expected_outcomes(nb, check, seed=0)
    odds = orderings(hidden)
    if odds < MIN_GUESS_ODDS:
        spread = ", ".join(
            f"{n} x {json.dumps(json.loads(o)['value'])[:30]}" for o, n in result_counts(hidden).most_common()
        )
        return [
            Problem(
                where,
                f"an answer that ignores its inputs would pass 1 time in {odds}: the "
                f"{len(hidden)} hidden cases give {spread}. Use more cases (count) or "
                f"a seed with more varied results (at least 1 in {MIN_GUESS_ODDS:,}).",
            )
        ]
    return []


def check_checkpoints(nb) -> list[Problem]:
    problems = []
    for i, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        try:
            calls = top_level_calls(cell.source, CHECKPOINT_KINDS)
        except AuthoringError as err:
            problems.append(Problem(f"cell {_name(cell, i)}", str(err)))
            continue
        for call in calls:
            where = f"cell {_name(cell, i)}"
            if "sealed" in call.kwargs:
                problems.append(
                    Problem(
                        where,
                        f"{call.name} is already sealed: write the source "
                        "form (answers and feedback in plain words)",
                    )
                )
                continue
            if call.args or not all(call.literal.values()):
                problems.append(
                    Problem(
                        where, f"{call.name}(...) must use keyword arguments with plain literal values only"
                    )
                )
                continue
            try:
                KINDS[call.name].sealed_arguments(**call.kwargs)
            except (TypeError, ValueError) as err:
                problems.append(Problem(where, f"{call.name}: {err}"))
    return problems


def check_images(nb) -> list[Problem]:
    from ..diagrams import DIAGRAMS  # every chapter's, found through the chapter list

    problems = []
    for i, cell in enumerate(nb.cells):
        where = f"cell {_name(cell, i)}"
        if cell.cell_type == "markdown":
            # Caught here, not first at release: a chapter's diagrams are found only when its
            # folder is in the chapter list (mlops_concepts.chapters.CHAPTERS).
            problems += [
                Problem(where, f"unknown diagram {name!r}: no chapter in the chapter list draws it")
                for name in DIRECTIVE.findall(cell.source)
                if name not in DIAGRAMS
            ]
            text = _markdown_text(cell)
            for alt, target in _IMAGE.findall(text):
                if not alt.strip():
                    problems.append(Problem(where, f"the image {target} has no alt text"))
            for tag in _HTML_IMAGE.findall(text):
                if not re.search(r'\balt\s*=\s*"[^"]*\S', tag):
                    problems.append(Problem(where, f"the image {tag[:60]} has no alt text"))
        elif cell.cell_type == "code" and re.search(r"\bdiagrams\.show\(", cell.source):
            problems.append(
                Problem(
                    where,
                    "a static diagram drawn by code shows nothing until "
                    "the cell runs, and gets no alt text in JupyterLab: "
                    "use a diagram directive in a Markdown cell instead",
                )
            )
    return problems


def check_headings(nb) -> list[Problem]:
    headings = [
        (len(m.group(1)), m.group(2), _name(c, i))
        for i, c in enumerate(nb.cells)
        if c.cell_type == "markdown"
        for m in _HEADING.finditer(_markdown_text(c))
    ]
    problems = []
    if not headings or headings[0][0] != 1:
        problems.append(Problem("notebook", "the first heading must be the one H1 (the title)"))
    h1 = [h for h in headings if h[0] == 1]
    if len(h1) > 1:
        problems.append(Problem(f"cell {h1[1][2]}", f"a second H1 ({h1[1][1]!r}): use one H1"))
    for (level, _, _), (nxt, text, where) in zip(headings, headings[1:], strict=False):
        if nxt > level + 1:
            problems.append(Problem(f"cell {where}", f"heading {text!r} jumps from H{level} to H{nxt}"))
    return problems


def check_estimate(nb) -> list[Problem]:
    """The introduction leaves its time to the release (:mod:`.estimated_time`), never typed."""
    intro = "\n".join(c.source for c in nb.cells[:3] if c.cell_type == "markdown")
    if _ESTIMATE.search(intro):
        return [
            Problem(
                "introduction",
                "the estimated time is computed at release, not typed: replace the stated time with "
                "the line <!-- estimated-time -->",
            )
        ]
    if not estimated_time.DIRECTIVE.search(intro):
        return [Problem("introduction", "add the line <!-- estimated-time --> where the time belongs")]
    return []


def check_release(release, sidecar: dict | None = None) -> list[Problem]:
    """The release gives nothing away: a test cell shows only ``check(gid, answer)``, and its
    sidecar (``.<id>.checks.json``, see assignment_plugins/seal.py) holds only digests and no hidden seed."""
    problems = []
    text = json.dumps(nbformat.writes(release))
    for marker in _LEAK_MARKERS:
        if marker in text:
            problems.append(Problem("release", f"holds {marker!r}"))
    specs = (sidecar or {}).get("checks", {})
    for i, cell in enumerate(release.cells):
        if cell.cell_type != "code":
            continue
        where = f"release cell {_name(cell, i)}"
        for call in top_level_calls(cell.source, ("check",)):
            if call.kwargs or len(call.args) != 2:
                shown = ", ".join(sorted(call.kwargs)) or "more arguments"
                problems.append(Problem(where, f"the check call shows {shown}: only check(id, answer)"))
            spec = specs.get(call.args[0] if call.args else None)
            if not isinstance(spec, dict):
                problems.append(Problem(where, "the check has no entry in the release's sidecar"))
                continue
            key = spec.get("key")
            if "cases" in spec:  # a lab: one digest per public example, no hidden seed
                cases = spec["cases"]
                if not (isinstance(key, list) and key and all(is_digest(k) for k in key)):
                    problems.append(Problem(where, "the lab check's results are not sealed"))
                if not isinstance(cases, dict) or "seed" in cases:
                    problems.append(Problem(where, "the lab check shows its hidden seed"))
            elif not is_digest(key):
                problems.append(Problem(where, "the check key is not sealed (plaintext answer)"))
        for call in top_level_calls(cell.source, CHECKPOINT_KINDS):
            plain = {"answer", "explanation"} & set(call.kwargs)
            if "sealed" not in call.kwargs or plain:
                problems.append(Problem(where, f"{call.name} is not sealed ({', '.join(plain)})"))
    return problems


def lint(root: Path, assignment: str) -> list[Problem]:
    """Every problem of chapter ``assignment`` in the course directory ``root``."""
    source_path = root / "source" / assignment / f"{assignment}.ipynb"
    if not source_path.exists():
        return [Problem("chapter", f"{source_path} does not exist")]
    nb = nbformat.read(source_path, as_version=4)
    problems = (
        check_test_cells(nb)
        + check_checkpoints(nb)
        + check_images(nb)
        + check_headings(nb)
        + check_estimate(nb)
        + assessment.check(root, assignment, nb)
    )
    release_path = root / "release" / assignment / f"{assignment}.ipynb"
    if release_path.exists():
        side = release_path.parent / sidecar_name(assignment)
        sidecar = json.loads(side.read_text()) if side.exists() else None
        problems += check_release(nbformat.read(release_path, as_version=4), sidecar)
    return problems


def measures(root: Path, assignment: str) -> list[str]:
    """What ``mlops-concepts check`` prints about a chapter besides its problems."""
    source_path = root / "source" / assignment / f"{assignment}.ipynb"
    if not source_path.exists():
        return []
    nb = nbformat.read(source_path, as_version=4)
    return [f"estimated time: {estimated_time.workload(nb).summary()}"]

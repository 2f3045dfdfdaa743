"""A chapter as a cheating student sees it, plus what the tests need to judge the result.

Everything is read from the course directory, so the corpus works on every chapter:

* the released notebook: answer cells (their stubs), locked test cells (``check(gid, answer)``),
  the sealed self-check keys in its sidecar (``.<id>.checks.json``) and the exercise texts (the
  allowed values a student may try);
* the instructor solutions (``course.solutions``), from which the answer names are read with
  :mod:`ast` and their values computed (instructor code: trusted);
* for judging only (never given to a cheat, except the "many reports" one that must include it):
  the canonical report that earns each item's points, read from ``source/`` by the grader's own
  :func:`answer_keys`.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from support.course import cell_id, notebook_path, solutions
from mlops_concepts.checks import REPORT_MIME, answer_form
from mlops_concepts.contract.calls import top_level_calls
from mlops_concepts.nbgrader_plugins.verdicts import answer_keys

QUOTED_OPTION = re.compile(r'`"([^"`]+)"`')


def nbmeta(cell) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_answer_cell(cell) -> bool:
    m = nbmeta(cell)
    return cell.cell_type == "code" and bool(m.get("solution")) and not m.get("locked")


def is_test_cell(cell) -> bool:
    m = nbmeta(cell)
    return cell.cell_type == "code" and bool(m.get("grade")) and not m.get("solution")


@dataclass
class Test:
    grade_id: str
    answer: str  # grade id of the answer cell it checks
    points: float
    digest: str  # the sealed key of its self-check, as released
    items: list | None
    expr: str  # source text of the checked expression
    key: object  # the canonical report that earns the points (from source/; for judging)
    lab: dict | None = None  # a lab check's public cases ({"data": ..., "count": n}), as released


@dataclass
class Answer:
    grade_id: str
    stub: str  # released text
    solution: str
    variables: dict[str, object]  # data answers: name -> right value
    functions: list[str]  # function answers: names
    options: list[str]  # quoted values the exercise text allows
    tests: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return "function" if self.functions else "data"


def wrong_value(value, options=()):
    """A plausible but wrong plain value of the same shape as ``value``."""
    if isinstance(value, str):
        others = [o for o in options if o != value]
        return others[0] if others else value + "-not"
    if isinstance(value, dict):
        return {k: wrong_value(v, options) for k, v in value.items()}
    if isinstance(value, list):
        return [wrong_value(v, options) for v in value]
    return value


def mutate(report):
    """A canonical report value that differs from ``report`` (a wrong guess of the same shape)."""
    if isinstance(report, str):
        return report + "?"
    if isinstance(report, list) and report:
        return [mutate(report[0]), *report[1:]]
    if isinstance(report, dict) and report:
        first = sorted(report)[0]
        return {**report, first: mutate(report[first])}
    return "?"


class Chapter:
    def __init__(self, root: Path, assignment: str):
        self.root, self.assignment = Path(root), assignment
        self.release = nbformat.read(notebook_path(self.root, "release", assignment), as_version=4)
        # What a released test cell does not show (key, items, cases) is in the sidecar beside it.
        side = notebook_path(self.root, "release", assignment).parent / f".{assignment}.checks.json"
        specs = json.loads(side.read_text())["checks"]
        source = nbformat.read(notebook_path(self.root, "source", assignment), as_version=4)
        keys = {gid: json.loads(text) for gid, text in answer_keys(source).items()}
        sols = solutions(self.root, assignment)
        self.source = source
        self.mime = REPORT_MIME
        self.answers: dict[str, Answer] = {}
        self.tests: dict[str, Test] = {}
        text, current = "", None
        for cell in self.release.cells:
            gid = cell_id(cell)
            if cell.cell_type == "markdown":
                text += cell.source + "\n"
            elif is_answer_cell(cell):
                current = self._answer(gid, cell.source, sols[gid], text)
                self.answers[gid] = current
                text = ""
            elif is_test_cell(cell) and gid in keys and current is not None:
                check = [c for c in top_level_calls(cell.source, ("check",)) if c.args[:1] == [gid]][0]
                self.tests[gid] = Test(
                    grade_id=gid,
                    answer=current.grade_id,
                    points=float(nbmeta(cell).get("points", 0)),
                    digest=specs[gid]["key"],
                    items=specs[gid].get("items"),
                    expr=ast.get_source_segment(cell.source, check.node.args[1]) or "",
                    key=keys[gid],
                    lab=specs[gid].get("cases"),
                )
                current.tests.append(gid)
                text = ""
        assert self.answers and self.tests, f"{assignment}: no graded exercises found"

    @staticmethod
    def _answer(gid, stub, solution, exercise_text) -> Answer:
        tree = ast.parse(solution)
        names, functions = [], []
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                functions.append(node.name)
            elif isinstance(node, ast.Assign):
                names += [t.id for t in node.targets if isinstance(t, ast.Name)]
        namespace: dict = {}
        exec(compile(solution, f"<solution {gid}>", "exec"), namespace)  # instructor code
        options = list(dict.fromkeys(QUOTED_OPTION.findall(exercise_text)))
        return Answer(gid, stub, solution, {n: namespace[n] for n in names}, functions, options)

    # -- labs: functions graded on hidden inputs -------------------------------------------------
    def lab_tests(self) -> list[str]:
        return [t for t, test in self.tests.items() if test.lab is not None]

    def public_results(self, test_id: str) -> list:
        """The right results on the public examples (what a student could copy from a friend)."""
        from mlops_concepts.contract.exercises import read_check
        from mlops_concepts.contract.labs import expected_outcomes

        cell = next(c for c in self.source.cells if cell_id(c) == test_id)
        return [o["value"] for o in expected_outcomes(self.source, read_check(cell), seed=0)]

    # -- reading -------------------------------------------------------------------------------
    def test_ids(self) -> list[str]:
        return list(self.tests)

    def answer_ids(self) -> list[str]:
        return list(self.answers)

    def first_answer(self) -> str:
        return next(iter(self.answers))

    def kinds(self) -> set[str]:
        return {a.kind for a in self.answers.values()}

    def guess(self, test_id: str):
        """A wrong report value for ``test_id``: what a cheat that guesses would emit."""
        return mutate(self.tests[test_id].key)

    def right_report(self, test_id: str):
        return self.tests[test_id].key

    def report_of(self, test_id: str, answer_value):
        """The report an answer value would produce for ``test_id`` (plain values only)."""
        return answer_form(answer_value, self.tests[test_id].items)

    # -- writing -------------------------------------------------------------------------------
    def notebook(self, answers: dict[str, str] | None = None):
        """The release with some answer cells' text replaced (others keep the stub: blank)."""
        nb = copy.deepcopy(self.release)
        for cell in nb.cells:
            if cell_id(cell) in (answers or {}):
                cell.source = answers[cell_id(cell)]
        return nb

    def honest(self, gid: str) -> str:
        return self.answers[gid].solution

    def wrong(self, gid: str) -> str:
        """Answer-cell text that defines every answer name with a plain wrong value."""
        answer = self.answers[gid]
        lines = [f"{n} = {wrong_value(v, answer.options)!r}" for n, v in answer.variables.items()]
        lines += [f"def {f}(*args, **kwargs):\n    return 'nowhere'" for f in answer.functions]
        return "\n".join(lines) + "\n"

    def index_of(self, nb, gid: str) -> int:
        return next(i for i, c in enumerate(nb.cells) if cell_id(c) == gid)

    def first_code_index(self, nb) -> int:
        return next(i for i, c in enumerate(nb.cells) if c.cell_type == "code")

"""The cheat corpus: one submitted notebook per cheat, for any chapter.

Each cheat is a function ``build(chapter) -> Built``: the notebook a student who has read the
release would submit, and the plan of what each graded item should earn:

* ``attacked``: the cheat goes after this item; it must score 0;
* ``honest``: the cheat leaves this item's plain correct answer in place; it must keep its points
  (proof that the cheat did not just break the whole notebook);
* ``blank``: left unanswered; 0;
* ``limitation``: the cheat ends up submitting the plain right value (for example by using the
  self-check as an oracle). That is equivalent to answering, so it earns the points; see
  :func:`brute_force`.

``markers`` are texts the cheat's log must contain in the autograded notebook: proof that the
cheat really ran during grading (a cheat that silently failed would score 0 for the wrong reason).
"""

from __future__ import annotations

import base64
import copy
import json
from dataclasses import dataclass
from typing import Callable

from nbformat.v4 import new_code_cell, new_markdown_cell, new_raw_cell

from . import payloads as P
from .chapter import Chapter, nbmeta, wrong_value

ATTACKED, HONEST, BLANK, LIMITATION = "attacked", "honest", "blank", "limitation"


@dataclass
class Built:
    nb: object
    plan: dict[str, str]


@dataclass
class Cheat:
    name: str
    build: Callable[[Chapter], Built]
    markers: tuple[str, ...] = ()
    doc: str = ""
    # extra checks on the gradebook (e.g. no new graded cell); see test_cheats
    structural: bool = False


CHEATS: dict[str, Cheat] = {}


def cheat(name: str, markers: tuple[str, ...] = (), structural: bool = False):
    def register(build):
        CHEATS[name] = Cheat(name, build, markers, (build.__doc__ or "").strip(), structural)
        return build

    return register


# -- helpers ---------------------------------------------------------------------------------------


def data(ch: Chapter) -> dict:
    """What the cheats know in the kernel: all of it can be read off the release notebook, except
    ``plausible`` (which deliberately contains the right report among wrong ones)."""
    wrong_values = {}
    for tid, test in ch.tests.items():
        answer = ch.answers[test.answer]
        if test.expr in answer.variables:
            wrong_values[tid] = wrong_value(answer.variables[test.expr], answer.options)
        else:
            wrong_values[tid] = "nowhere"
    first = ch.test_ids()[0]
    return {
        "mime": ch.mime,
        "assignment": ch.assignment,
        "notebook": f"{ch.assignment}.ipynb",
        "course_root": str(ch.root),
        "test_ids": ch.test_ids(),
        "digests": {t: ch.tests[t].digest for t in ch.tests},
        "items": {t: ch.tests[t].items for t in ch.tests},
        "guess": {t: ch.guess(t) for t in ch.tests},
        "wrong_values": wrong_values,
        "first_test": first,
        "wrong_answer": wrong_values[first],
        "plausible": {
            t: [
                ch.guess(t),
                ch.right_report(t),
                ch.guess(t) + ["?"] if isinstance(ch.guess(t), list) else {"other": ch.guess(t)},
            ]
            for t in ch.tests
        },
    }


def prelude(ch: Chapter, extra: dict | None = None) -> str:
    blob = base64.b64encode(json.dumps({**data(ch), **(extra or {})}).encode()).decode()
    return P.PRELUDE.replace("__DATA__", blob)


def wrap(answer, lie: str = "_lie", only_functions: bool = False) -> str:
    """Lines that replace each answer name by ``lie(name)`` (functions: their return values)."""
    lines = [] if only_functions else [f"{n} = {lie}({n})" for n in answer.variables]
    for f in answer.functions:
        lines.append(
            f"_cheat_real_{f} = {f}\n"
            f"def {f}(*args, **kwargs):\n"
            f"    return {lie}(_cheat_real_{f}(*args, **kwargs))"
        )
    return "\n".join(lines) + "\n"


def finish(nb, cells_before_log=()):
    for source in cells_before_log:
        nb.cells.append(new_code_cell(source))
    nb.cells.append(new_code_cell(P.LOG_CELL))
    return nb


def plan_all(ch: Chapter, what: str) -> dict[str, str]:
    return {t: what for t in ch.tests}


def plan_by_answer(ch: Chapter, choose: Callable[[int, str], str]) -> dict[str, str]:
    plan = {}
    for i, (gid, answer) in enumerate(ch.answers.items()):
        for t in answer.tests:
            plan[t] = choose(i, gid)
    return plan


def answers_from(ch: Chapter, head: str, choose: Callable[[int, str], str]) -> dict[str, str]:
    """Answer-cell texts: ``head`` first (in the first answer cell), then per answer ``choose``."""
    texts = {}
    for i, gid in enumerate(ch.answers):
        texts[gid] = (head if i == 0 else "") + choose(i, gid)
    return texts


def lie_cheat(name: str, payload: str, marker: str):
    def build(ch: Chapter) -> Built:
        texts = answers_from(
            ch, prelude(ch) + payload, lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid])
        )
        return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))

    build.__doc__ = f"Every answer is the right value disguised by the {name!r} lie."
    cheat(name, markers=(marker,))(build)


# -- lies: objects that claim to be the right answer -----------------------------------------------

lie_cheat("always-equal", P.ALWAYS_EQUAL, "always-equal")
lie_cheat("leaf-subclasses", P.LEAF_SUBCLASSES, "leaf-subclass")
lie_cheat("container-subclasses", P.CONTAINER_SUBCLASSES, "container-subclass")
lie_cheat("lying-subclasses", P.LYING_SUBCLASSES, "lying-subclass")
lie_cheat("lying-list", P.LYING_LIST, "lying-list")
lie_cheat("class-impostor", P.CLASS_IMPOSTOR, "impostor isinstance=True")
lie_cheat("lies-in-plain-containers", P.LIES_IN_PLAIN_CONTAINERS, "nested-lies")


@cheat("check-then-lie")
def check_then_lie(ch: Chapter) -> Built:
    """Answer functions return the right value while the self-check runs, and a wrong one when the
    hidden grade() asks (detected by wrapping check()); a lab function, to any caller but check()
    (the grader calls it after the last cell). Data answers stay honest.

    No marker: a lab function lies in the grader's hidden calls, after the last cell, where no
    cell can log it; its WrongAnswer verdict (test_the_cheat_was_really_judged_not_crashed) shows
    those calls happened."""
    lab = set(ch.lab_tests())

    def lying(gid: str) -> str:
        answer = ch.answers[gid]
        lie = "_lie_outside_check" if lab & set(answer.tests) else "_lie"
        return ch.honest(gid) + "\n" + wrap(answer, lie=lie, only_functions=True)

    texts = answers_from(ch, prelude(ch) + P.CHECK_THEN_LIE, lambda i, gid: lying(gid))
    plan = plan_by_answer(ch, lambda i, gid: ATTACKED if ch.answers[gid].functions else HONEST)
    return Built(finish(ch.notebook(texts)), plan)


# -- shadowed builtins, patched modules --------------------------------------------------------------


@cheat("shadow-builtins-namespace", markers=("namespace-builtins-shadowed",))
def shadow_builtins_namespace(ch: Chapter) -> Built:
    """type, isinstance, len, sorted, str, list, set shadowed in the notebook; lying answers."""
    texts = answers_from(
        ch,
        prelude(ch) + P.SHADOW_BUILTINS_NAMESPACE,
        lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]),
    )
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("shadow-builtins-module", markers=("installed isinstance(lie, str)=True len(lie)=3",))
def shadow_builtins_module(ch: Chapter) -> Built:
    """The same names replaced in ``builtins`` while each graded cell runs; lying answers."""
    texts = answers_from(
        ch,
        prelude(ch) + P.SHADOW_BUILTINS_MODULE_WINDOW,
        lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]),
    )
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("patch-before-import", markers=("package-took-fakes type=True sha=True",))
def patch_before_import(ch: Chapter) -> Built:
    """A cell above the release's first code cell fakes builtins and hashlib before the course
    package is imported, so the package's saved references are fakes; lying answers."""
    texts = {gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]) for gid in ch.answers}
    nb = ch.notebook(texts)
    nb.cells.insert(ch.first_code_index(nb), new_code_cell(prelude(ch) + P.PRE_IMPORT))
    return Built(finish(nb), plan_all(ch, ATTACKED))


def _alternate(ch: Chapter, head: str) -> tuple[dict, dict]:
    texts = answers_from(ch, head, lambda i, gid: ch.wrong(gid) if i % 2 == 0 else ch.honest(gid))
    plan = plan_by_answer(ch, lambda i, gid: ATTACKED if i % 2 == 0 else HONEST)
    return texts, plan


@cheat("patched-hashlib", markers=("self-check fooled=True",))
def patched_hashlib(ch: Chapter) -> Built:
    """hashlib.sha256 (and the package's saved copy) return the sealed key's digest, so the
    self-check says Success! for wrong answers. Every other exercise is answered honestly."""
    texts, plan = _alternate(ch, prelude(ch) + P.PATCH_HASHLIB)
    return Built(finish(ch.notebook(texts)), plan)


@cheat("patched-json", markers=("json-constant",))
def patched_json(ch: Chapter) -> Built:
    """json.dumps returns a constant for canonical forms; half the answers wrong."""
    texts, plan = _alternate(ch, prelude(ch) + P.PATCH_JSON)
    return Built(finish(ch.notebook(texts)), plan)


# -- the self-check and the graded report ----------------------------------------------------------


@cheat("fake-check", markers=("fake-check",))
def fake_check(ch: Chapter) -> Built:
    """check() redefined to print Success!; half the answers wrong."""
    texts, plan = _alternate(ch, prelude(ch) + P.FAKE_CHECK)
    return Built(finish(ch.notebook(texts)), plan)


@cheat("fake-grade-guess", markers=("fake-grade",))
def fake_grade_guess(ch: Chapter) -> Built:
    """grade() redefined to emit a right-looking report with a guessed value; wrong answers."""
    texts = answers_from(ch, prelude(ch) + P.FAKE_GRADE_GUESS, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("fake-grade-copy-id", markers=("copy-id",))
def fake_grade_copy_id(ch: Chapter) -> Built:
    """grade() redefined to emit a report that copies the id and claims success; wrong answers."""
    texts = answers_from(ch, prelude(ch) + P.FAKE_GRADE_COPY_ID, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("grading-aware-thief", markers=("grading=True", "stolen-from None"))
def grading_aware_thief(ch: Chapter) -> Built:
    """Detects grading (NBGRADER_EXECUTION, the working folder, the host name); then looks for the
    instructor notebook or the gradebook anywhere it can read and uses the solutions, or else fakes
    the reports. Wrong answers otherwise."""
    texts = answers_from(ch, prelude(ch) + P.GRADING_AWARE_THIEF, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


# -- IPython-level tricks --------------------------------------------------------------------------


@cheat("input-transformer", markers=("rewrote",))
def input_transformer(ch: Chapter) -> Built:
    """input_transformers_cleanup rewrites every later graded cell: half become a fake report with a
    guessed value, half become empty."""
    texts = answers_from(ch, prelude(ch) + P.INPUT_TRANSFORMER, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("ast-transformer", markers=("swapped",))
def ast_transformer(ch: Chapter) -> Built:
    """An AST transformer replaces the answer in every grade() call by a guess, or the call by None."""
    texts = answers_from(ch, prelude(ch) + P.AST_TRANSFORMER, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("post-run-fake-report", markers=("post-run",))
def post_run_fake_report(ch: Chapter) -> Built:
    """A post_run_cell hook clears each graded cell's output and displays a fake report (right MIME
    type and id, guessed value)."""
    texts = answers_from(ch, prelude(ch) + P.POST_RUN_FAKE, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("many-reports", markers=("many",))
def many_reports(ch: Chapter) -> Built:
    """A post_run_cell hook emits one report per plausible value (the right one among them)."""
    texts = {ch.first_answer(): prelude(ch) + P.MANY_REPORTS}
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("settrace", markers=("traced",))
def settrace(ch: Chapter) -> Built:
    """sys.settrace rewrites grade()'s answer argument (a guess, or a lying object) as it is called."""
    texts = answers_from(ch, prelude(ch) + P.SETTRACE, lambda i, gid: ch.wrong(gid))
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("display-patch", markers=("display-patched",))
def display_patch(ch: Chapter) -> Built:
    """IPython.display.display patched: every report's value becomes a guess (its error dropped)."""
    texts = answers_from(
        ch,
        prelude(ch) + P.DISPLAY_PATCH + P.ALWAYS_EQUAL,
        lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]),
    )
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


@cheat("update-display", markers=("updated",))
def update_display(ch: Chapter) -> Built:
    """Reports get a display id; the last cell rewrites them all in place with guessed values."""
    texts = answers_from(
        ch,
        prelude(ch) + P.UPDATE_DISPLAY + P.ALWAYS_EQUAL,
        lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]),
    )
    return Built(finish(ch.notebook(texts), [P.UPDATE_DISPLAY_LAST_CELL]), plan_all(ch, ATTACKED))


@cheat("wire-rewrite", markers=("wire",))
def wire_rewrite(ch: Chapter) -> Built:
    """The kernel's own Session.send rewrites outgoing report messages to guessed values."""
    texts = answers_from(
        ch,
        prelude(ch) + P.WIRE_REWRITE + P.ALWAYS_EQUAL,
        lambda i, gid: ch.honest(gid) + "\n" + wrap(ch.answers[gid]),
    )
    return Built(finish(ch.notebook(texts)), plan_all(ch, ATTACKED))


# -- edited notebooks ----------------------------------------------------------------------------


def _as_type(cell, kind):
    make = {"markdown": new_markdown_cell, "raw": new_raw_cell}[kind]
    new = make(cell.source)
    new.metadata = copy.deepcopy(cell.metadata)
    return new


@cheat("edited-test-cells", structural=True)
def edited_test_cells(ch: Chapter) -> Built:
    """Blank answers; each locked test cell is edited a different way: replaced by ``pass``, by
    ``grade(qid, guess)``, deleted, turned into markdown or raw, stripped of its metadata and
    replaced by a fake report, copied above its answer cell, or given 100 points and ``print``."""
    nb = ch.notebook({})
    info = data(ch)
    for i, tid in enumerate(ch.test_ids()):
        at = ch.index_of(nb, tid)
        cell = nb.cells[at]
        edit = i % 8
        if edit == 0:
            cell.source = "pass"
        elif edit == 1:
            cell.source = f"grade({tid!r}, {info['wrong_values'][tid]!r})"
        elif edit == 2:
            del nb.cells[at]
        elif edit in (3, 4):
            nb.cells[at] = _as_type(cell, "markdown" if edit == 3 else "raw")
        elif edit == 5:
            cell.metadata.pop("nbgrader")
            cell.source = (
                f"from IPython.display import display\n"
                f"display({{{info['mime']!r}: {{'id': {tid!r}, 'value': {ch.guess(tid)!r}}}}},"
                f" raw=True)\n"
            )
        elif edit == 6:
            nb.cells.insert(ch.index_of(nb, ch.tests[tid].answer), copy.deepcopy(cell))
            cell.source = "pass"
        else:
            nbmeta(cell).update(points=100, grade=True, locked=False)
            cell.source = "print('ok')"
    return Built(nb, plan_all(ch, ATTACKED))


@cheat("edited-metadata-honest", structural=True)
def edited_metadata_honest(ch: Chapter) -> Built:
    """Honest answers, but: the first exercise's test cells are copied above its answer cell, answer
    cells claim ``grade: true, locked: false, points: 100``, the last answer cell's grade id is
    renamed, and an extra cell claims to be a graded test worth 100 points. Nothing may earn more
    than the release says, nor less than the honest answers deserve."""
    ids = ch.answer_ids()
    nb = ch.notebook({gid: ch.honest(gid) for gid in ids})
    first = ch.answers[ids[0]]
    at = ch.index_of(nb, ids[0])
    for tid in reversed(first.tests):
        nb.cells.insert(at, copy.deepcopy(nb.cells[ch.index_of(nb, tid)]))
    for gid in ids[:-1]:
        nbmeta(nb.cells[ch.index_of(nb, gid)]).update(grade=True, locked=False, points=100)
    nbmeta(nb.cells[ch.index_of(nb, ids[-1])])["grade_id"] = "my_own_answer"
    bonus = new_code_cell("print('ok')")
    bonus.metadata["nbgrader"] = {
        "grade": True,
        "grade_id": "bonus",
        "locked": False,
        "points": 100,
        "schema_version": 3,
        "solution": False,
    }
    nb.cells.append(bonus)
    return Built(nb, plan_all(ch, HONEST))


# -- limitations, documented -------------------------------------------------------------------


@cheat("patched-canonical", markers=("canonical-patched",))
def patched_canonical(ch: Chapter) -> Built:
    """The package's saved ``type`` is patched so str/dict/list subclasses pass canonical().
    Even-numbered exercises: subclasses whose real characters are wrong (but whose methods say
    right) score 0. Odd-numbered: subclasses whose real characters ARE right score like the plain
    value -- a known limitation: the exact-type rule runs in the student's kernel and can be
    switched off, but all that reaches the grader is the value itself, so this is no different from
    typing the right answer."""
    lab = {ch.tests[t].answer for t in ch.lab_tests()}

    def lying(i, gid):  # a lab function's results always lie: their numbers are rounded by a
        return i % 2 == 0 or gid in lab  # check the patch does not reach, so no limitation there

    def choose(i, gid):
        leaf = "_LyingStr" if lying(i, gid) else "_Str"
        return ch.honest(gid) + "\n" + wrap(ch.answers[gid], lie=f"(lambda v: _deep(v, {leaf}))")

    texts = answers_from(ch, prelude(ch) + P.PATCHED_CANONICAL, choose)
    plan = plan_by_answer(ch, lambda i, gid: ATTACKED if lying(i, gid) else LIMITATION)
    return Built(finish(ch.notebook(texts)), plan)


def brute_force_tests(ch: Chapter) -> dict[str, dict]:
    """The tests a student can brute-force from the release alone: data answers checked directly,
    every value tried from the quoted options of the exercise text."""
    out = {}
    for tid, test in ch.tests.items():
        answer = ch.answers[test.answer]
        if test.expr in answer.variables and answer.options:
            out[tid] = {
                "digest": test.digest,
                "items": test.items,
                "options": answer.options,
                "name": test.expr,
            }
    return out


def brute_force_locally(ch: Chapter) -> dict[str, object]:
    """Run the cheat's brute force here, to know what it will find in the kernel."""
    namespace: dict = {}
    exec(P.BRUTE_FORCE, namespace)
    return {tid: namespace["_brute"](t) for tid, t in brute_force_tests(ch).items()}


@cheat("brute-force", markers=("brute-forced",))
def brute_force(ch: Chapter) -> Built:
    """KNOWN LIMITATION, documented rather than hidden: the self-check key ships with the release
    (a salted digest), and the allowed values are listed in each exercise, so a student can try
    them all against it -- in the grading kernel too. What it finds is the plain right value, which
    is exactly what answering does; the grader cannot tell the difference and scores it. The test
    asserts that the points come only where the brute force recovered the plain right value.
    Answers it cannot brute-force (functions) are left blank."""
    tests = brute_force_tests(ch)
    found = brute_force_locally(ch)
    lines = [P.BRUTE_FORCE]
    by_answer: dict[str, list[str]] = {}
    for tid in tests:
        by_answer.setdefault(ch.tests[tid].answer, []).append(tid)
    texts = {}
    plan = plan_all(ch, BLANK)
    for gid, tids in by_answer.items():
        answer = ch.answers[gid]
        code = []
        for name, value in answer.variables.items():
            code.append(f"{name} = {{}}" if isinstance(value, dict) else f"{name} = None")
        for tid in tids:
            name = tests[tid]["name"]
            if tests[tid]["items"] is None:
                code.append(f"{name} = _brute(_CHEAT['brute'][{tid!r}])")
            else:
                code.append(f"{name}.update(_brute(_CHEAT['brute'][{tid!r}]) or {{}})")
            code.append(f"_CHEAT_LOG.append('brute-forced {tid}')")
        texts[gid] = "\n".join(code) + "\n"
        for tid in tids:
            plan[tid] = LIMITATION if found.get(tid) is not None else BLANK
    first = next(iter(texts), ch.first_answer())
    texts[first] = prelude(ch, {"brute": tests}) + "\n".join(lines) + "\n" + texts.get(first, "")
    return Built(finish(ch.notebook(texts)), plan)


# -- labs: functions that pass their examples without computing anything -------------------------


def lab_cheat(name: str, marker: str, make):
    """A cheat on every lab function: ``make(ch, function, tests)`` gives the lines that redefine
    ``function`` after its honest definition; items of other exercises stay honest. Chapters
    without a lab have nothing for it to attack (its build gives None and its tests skip)."""

    def build(ch: Chapter) -> Built | None:
        lab = ch.lab_tests()
        if not lab:
            return None
        plan = {t: ATTACKED if t in lab else HONEST for t in ch.tests}
        texts = {}
        for i, (gid, answer) in enumerate(ch.answers.items()):
            texts[gid] = (prelude(ch) if i == 0 else "") + ch.honest(gid) + "\n"
            for f in answer.functions:
                mine = [t for t in answer.tests if t in lab and ch.tests[t].expr == f]
                if mine:
                    texts[gid] += f"_cheat_real_{f} = {f}\n" + make(ch, f, mine) + "\n"
        return Built(finish(ch.notebook(texts)), plan)

    build.__doc__ = make.__doc__
    cheat(name, markers=(marker,) if marker else ())(build)


def _memorised(ch, f, tests):
    """Returns the public examples' right results, looked up by the inputs' value (as if copied
    from a friend); anything else gets the first example's result."""
    import json as _json

    from mlops_concepts import labs

    table = {}
    for t in tests:
        spec = ch.tests[t].lab
        for args, result in zip(
            labs.cases(spec["data"], spec.get("count", 3)), ch.public_results(t), strict=True
        ):
            table[_json.dumps(list(args), sort_keys=True)] = result
    first = next(iter(table.values()))
    return (
        f"_cheat_table_{f} = {table!r}\n"
        f"def {f}(*args):\n"
        f"    import json\n"
        f"    key = json.dumps(list(args), sort_keys=True)\n"
        f"    if key not in _cheat_table_{f}:\n"
        f"        _CHEAT_LOG.append('lab-memorised-missed')\n"
        f"    return _cheat_table_{f}.get(key, {first!r})\n"
    )


def _cached(ch, f, tests):
    """Computes its first result honestly and returns it for every later call."""
    return (
        f"_cheat_memory_{f} = []\n"
        f"def {f}(*args):\n"
        f"    if _cheat_memory_{f}:\n"
        f"        _CHEAT_LOG.append('lab-cached-replayed')\n"
        f"        return _cheat_memory_{f}[0]\n"
        f"    _cheat_memory_{f}.append(_cheat_real_{f}(*args))\n"
        f"    return _cheat_memory_{f}[0]\n"
    )


def _counting(ch, f, tests):
    """Counts its calls and returns the public examples' right results in the order the
    self-check asks for them, again and again."""
    results = [r for t in tests for r in ch.public_results(t)]
    return (
        f"_cheat_calls_{f} = [0]\n"
        f"def {f}(*args):\n"
        f"    _cheat_calls_{f}[0] += 1\n"
        f"    if _cheat_calls_{f}[0] > {len(results)}:\n"
        f"        _CHEAT_LOG.append('lab-counting-replayed')\n"
        f"    return {results!r}[(_cheat_calls_{f}[0] - 1) % {len(results)}]\n"
    )


def _by_identity(ch, f, tests):
    """Remembers each input object it has seen by ``id()`` and answers a known object from memory
    (the first result it computed for any object otherwise)."""
    return (
        f"_cheat_seen_{f} = {{}}\n"
        f"def {f}(*args):\n"
        f"    key = id(args[0]) if args else 0\n"
        f"    if key in _cheat_seen_{f}:\n"
        f"        _CHEAT_LOG.append('lab-identity-hit')\n"
        f"        return _cheat_seen_{f}[key]\n"
        f"    if _cheat_seen_{f}:\n"
        f"        _CHEAT_LOG.append('lab-identity-guess')\n"
        f"        return next(iter(_cheat_seen_{f}.values()))\n"
        f"    _cheat_seen_{f}[key] = _cheat_real_{f}(*args)\n"
        f"    return _cheat_seen_{f}[key]\n"
    )


# Its misses happen only in the grader's hidden calls, after the last cell, where no cell can
# log them: no marker; its WrongAnswer verdicts show those calls happened.
lab_cheat("lab-memorised-examples", None, _memorised)
lab_cheat("lab-cached-result", "lab-cached-replayed", _cached)
lab_cheat("lab-counting-calls", "lab-counting-replayed", _counting)
lab_cheat("lab-input-identity", "lab-identity-guess", _by_identity)


CONTROL = "honest-control"


def honest(ch: Chapter):
    """The instructor's solutions, submitted as they are."""
    return ch.notebook({gid: ch.honest(gid) for gid in ch.answers})

"""Cheats earn nothing on the items they attack, on every chapter.

One grading run (the instructor's command, split over a few course copies graded at once) grades a
student per cheat of :mod:`cheats.corpus` plus an honest control in every copy. Each cheat is built
from the chapter itself (release notebook, sealed self-check keys, exercise texts, instructor
solutions), so the corpus applies to any chapter in ``source/``.
"""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest

from support.cheats.chapter import Chapter
from support.cheats.corpus import (
    ATTACKED,
    BLANK,
    CHEATS,
    CONTROL,
    HONEST,
    LIMITATION,
    brute_force_locally,
    honest,
)
from support.cheats.runner import REPORT_ERRORS, grade_students

pytestmark = pytest.mark.slow

FATAL = ("KernelStopped", "CellNotRun")


@pytest.fixture(scope="module")
def run(course, tmp_path_factory):
    root, assignment = course
    ch = Chapter(root, assignment)
    built = {name: cheat.build(ch) for name, cheat in CHEATS.items()}
    built = {name: b for name, b in built.items() if b is not None}  # lab cheats need a lab
    graded = grade_students(
        root,
        assignment,
        tmp_path_factory.mktemp("cheats"),
        {name: b.nb for name, b in built.items()},
        controls={CONTROL: honest(ch)},
    )
    return SimpleNamespace(ch=ch, built=built, graded=graded)


def _built(run, name):
    if name not in run.built:
        pytest.skip(f"{run.ch.assignment} has nothing {name} can attack (no lab)")
    return run.built[name]


def _controls(run):
    return [s for shard in run.graded.shards for s in shard.students if s.startswith(CONTROL)]


def _cheat_log(run, name) -> list[str]:
    return [
        line[len("CHEAT-LOG ") :]
        for line in run.graded.text_outputs(name).splitlines()
        if line.startswith("CHEAT-LOG ")
    ]


def test_grading_exits_zero_and_grades_everyone(run):
    for shard in run.graded.shards:
        out = shard.result.stdout + shard.result.stderr
        assert shard.result.returncode == 0, out
        n = len(shard.students)
        assert f"Graded {n} of {n}" in shard.result.stdout, out
        assert "Could not grade" not in shard.result.stdout, out
        assert "NOT GRADED" not in shard.result.stdout, out


def test_honest_control_in_the_same_run_earns_full_marks(run):
    maximum = run.graded.max_scores()
    assert sum(maximum.values()) > 0
    for student in _controls(run):
        assert run.graded.scores(student) == maximum, student
        verdicts = run.graded.verdicts(student)
        assert {t: verdicts[t] for t in run.ch.tests} == {t: "correct" for t in run.ch.tests}


def test_the_corpus_covers_every_item_and_kind_of_answer(run):
    attacked = {t for b in run.built.values() for t, what in b.plan.items() if what == ATTACKED}
    assert attacked == set(run.ch.tests), "some graded item is attacked by no cheat"
    assert run.ch.kinds() <= {"data", "function"}


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_every_attacked_item_scores_zero(run, name):
    plan = _built(run, name).plan
    scores = run.graded.scores(name)
    attacked = [t for t, what in plan.items() if what in (ATTACKED, BLANK)]
    # a cheat that attacks no item's value attacks the metadata (points, ids): tested below
    assert attacked or CHEATS[name].structural or LIMITATION in plan.values(), f"{name} attacks nothing"
    earned = {t: scores[t] for t in attacked if scores[t] != 0}
    assert not earned, f"{name} earned points on items it attacked: {earned}"


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_items_left_honest_keep_exactly_their_points(run, name):
    plan = _built(run, name).plan
    maximum = run.graded.max_scores()
    scores = run.graded.scores(name)
    assert set(scores) == set(maximum), "the graded items must be exactly the release's"
    expected = {t: (maximum[t] if plan.get(t) in (HONEST, LIMITATION) else 0.0) for t in maximum}
    assert scores == expected
    assert sum(scores.values()) == sum(maximum[t] for t, w in plan.items() if w in (HONEST, LIMITATION))


@pytest.mark.parametrize("name", sorted(CHEATS))
def test_the_cheat_was_really_judged_not_crashed(run, name):
    """Every attacked item got a real verdict (the kernel kept running, the graded cell ran and was
    judged): a cheat that crashed the notebook would score 0 for the wrong reason."""
    plan = _built(run, name).plan
    verdicts = run.graded.verdicts(name)
    fatal = {g: v for g, v in verdicts.items() if v in FATAL}
    assert not fatal, f"the kernel stopped: {fatal}"
    for tid, what in plan.items():
        if what == ATTACKED:
            assert verdicts[tid] in REPORT_ERRORS, (tid, verdicts[tid])
        elif what in (HONEST, LIMITATION):
            assert verdicts[tid] == "correct", (tid, verdicts[tid])


@pytest.mark.parametrize("name", sorted(n for n, c in CHEATS.items() if c.markers))
def test_the_cheat_was_active_during_grading(run, name):
    _built(run, name)
    log = " | ".join(_cheat_log(run, name))
    for marker in CHEATS[name].markers:
        assert marker in log, f"{name}: {marker!r} not in the cheat's log: {log[:2000]}"


def test_feedback_says_why_in_words(run):
    html = run.graded.feedback("always-equal")
    assert "plain str, int, float, bool, list and dict values" in html
    html = run.graded.feedback("many-reports")
    assert "more than one answer was recorded" in html
    html = run.graded.feedback("fake-grade-guess")
    assert "not correct" in html


@pytest.mark.parametrize("name", sorted(n for n, c in CHEATS.items() if c.structural))
def test_edited_cells_and_metadata_change_no_points_nor_items(run, name):
    from nbgrader.api import Gradebook

    root = run.graded.root(name)
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        sub = gb.find_submission_notebook(run.ch.assignment, run.ch.assignment, name)
        grades = {g.name: (g.max_score, g.score) for g in sub.grades}
    release_points = {t.grade_id: t.points for t in run.ch.tests.values()}
    assert "bonus" not in grades and "my_own_answer" not in grades
    assert {g: m for g, (m, _) in grades.items() if g in release_points} == release_points
    assert all(score <= m for m, score in grades.values() if score is not None)


def test_brute_force_scores_only_where_it_recovered_the_plain_right_value(run):
    """KNOWN LIMITATION (see cheats.corpus.brute_force): the sealed self-check key is an oracle."""
    found = brute_force_locally(run.ch)
    scores = run.graded.scores("brute-force")
    maximum = run.graded.max_scores()
    for tid in run.ch.tests:
        value = found.get(tid)
        right = value is not None and run.ch.report_of(tid, value) == run.ch.right_report(tid)
        assert scores[tid] == (maximum[tid] if right else 0.0), tid
        assert (run.built["brute-force"].plan[tid] == LIMITATION) == right, tid


def test_cheats_never_reach_the_answer_key(run):
    log = " | ".join(_cheat_log(run, "grading-aware-thief"))
    assert re.search(r"stolen-from None", log), log


def test_container_subclasses_with_the_right_contents_are_refused_whatever_the_container():
    """No answer of chapter 1 is a list, so the list case of ``container-subclasses`` is also checked
    here, directly on what the kernel reports and what the grader decides from it."""
    from nbformat.v4 import new_output

    from mlops_concepts.answers import to_json
    from mlops_concepts.checks import REPORT_MIME, answer_form, report_bundle
    from mlops_concepts.nbgrader_plugins.verdicts import verdict

    class L(list):
        pass

    class D(dict):
        pass

    class S(str):
        pass

    for right, disguised in (
        (["design", "development"], L(["design", "development"])),
        ({"a": "b"}, D({"a": "b"})),
        ("c", S("c")),
        ([["x"]], [L(["x"])]),
    ):
        bundle = report_bundle("q", disguised)
        assert "error" in bundle[REPORT_MIME], bundle
        out = verdict("q", [new_output("display_data", data=bundle)], to_json(answer_form(right)))
        assert out["output_type"] == "error" and out["ename"] == "AnswerNotGradable", out
        plain = verdict(
            "q", [new_output("display_data", data=report_bundle("q", right))], to_json(answer_form(right))
        )
        assert plain["output_type"] == "stream" and "correct" in plain["text"]

"""A lab's hidden inputs reach nothing a student receives (issue 25, item 7).

Every chapter with a lab is graded twice at once, in two copies of the course: with the
instructor's command (``mlops-concepts grade``) and with plain ``nbgrader autograde`` and
``generate_feedback``. The class: the leak cheats of :mod:`support.cheats.leaks` (lab functions
that keep, print, display, write, raise or forge a report of their arguments) and an honest
student. No hidden case (computed here as the grader does, with ``labs.hidden_cases``) and no
text a leak wrote may appear in any file of ``autograded/`` or ``feedback/``; the honest
student and the leaks whose functions return the honest results keep full marks.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.cheats import leaks
from support.cheats.chapter import Chapter
from support.cheats.runner import REPORT_ERRORS, Graded, Shard, copy_course, run_pipeline
from support.course import item_scores, lab_chapters_only, max_scores, nbgrader, submit

pytestmark = [pytest.mark.slow, lab_chapters_only]

HONEST = "honest"
WAYS = ("mlops-concepts", "plain-nbgrader")


@pytest.fixture(scope="module")
def run(course, tmp_path_factory):
    src, assignment = course
    ch = Chapter(src, assignment)
    work = tmp_path_factory.mktemp("hidden-inputs")
    class_ = {name: leaks.build(ch, name) for name in leaks.LEAKS}
    class_[HONEST] = ch.notebook({g: ch.honest(g) for g in ch.answers})
    roots = {way: copy_course(src, work / way) for way in WAYS}
    for root in roots.values():
        for name, nb in class_.items():
            submit(root, assignment, name, nb)

    def plain_nbgrader():
        plain = roots["plain-nbgrader"]
        return nbgrader(plain, "autograde", assignment, "--force"), nbgrader(
            plain, "generate_feedback", assignment, "--force"
        )

    with ThreadPoolExecutor(1) as pool:
        plain_run = pool.submit(plain_nbgrader)
        result, peak, seconds = run_pipeline(roots["mlops-concepts"], assignment)
        auto, feedback = plain_run.result()
    ours = Graded([Shard(roots["mlops-concepts"], assignment, sorted(class_), result, peak, seconds)])
    plain = Graded([Shard(roots["plain-nbgrader"], assignment, sorted(class_), auto)])
    return SimpleNamespace(
        ch=ch,
        assignment=assignment,
        roots=roots,
        students=sorted(class_),
        graded={"mlops-concepts": ours, "plain-nbgrader": plain},
        result=result,
        auto=auto,
        feedback=feedback,
        needles=leaks.needles(ch),
    )


def test_both_ways_grade_everyone_and_write_feedback(run):
    out = run.result.stdout + run.result.stderr
    n = len(run.students)
    assert run.result.returncode == 0 and f"Graded {n} of {n}" in run.result.stdout, out[-3000:]
    assert run.auto.returncode == 0, (run.auto.stdout + run.auto.stderr)[-3000:]
    assert run.feedback.returncode == 0, (run.feedback.stdout + run.feedback.stderr)[-3000:]
    for way in WAYS:
        for student in run.students:
            assert run.graded[way].feedback(student), (way, student)


def _leaked(root: Path, student: str, needles: set[str]) -> dict[str, list[str]]:
    found = {}
    for step in ("autograded", "feedback"):
        for path in sorted((root / step / student).rglob("*")):
            if path.is_file():
                text = path.read_bytes().decode("utf-8", errors="replace")
                hits = sorted(n[:60] for n in needles if n in text)
                # The cheats' mark alone is no leak: a chapter's own cells may call the student's
                # function on data they make (chapter 3 simulates a canary many times), and the
                # cheat then writes those public inputs out. A hidden value must be there too.
                if hits and all(leaks.is_mark(hit) for hit in hits):
                    hits = []
                if hits or path.name.startswith("leaked-"):
                    found[str(path.relative_to(root))] = hits or ["(a file the function wrote)"]
    return found


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("student", [*sorted(leaks.LEAKS), HONEST])
def test_no_hidden_input_reaches_autograded_or_feedback(run, way, student):
    assert len(run.needles) > 10
    assert not _leaked(run.roots[way], student, run.needles)


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize("student", [*leaks.HONEST_RESULTS, HONEST])
def test_functions_that_return_the_right_results_keep_full_marks(run, way, student):
    maximum = max_scores(run.roots[way], run.assignment)
    assert sum(maximum.values()) > 0
    assert item_scores(run.roots[way], run.assignment, student) == maximum
    verdicts = run.graded[way].verdicts(student)
    assert {t: verdicts[t] for t in run.ch.tests} == {t: "correct" for t in run.ch.tests}


@pytest.mark.parametrize("way", WAYS)
def test_a_function_that_raises_scores_zero_on_its_labs_only(run, way):
    scores = item_scores(run.roots[way], run.assignment, "leak-by-errors")
    maximum = max_scores(run.roots[way], run.assignment)
    lab = set(run.ch.lab_tests())
    assert {t: s for t, s in scores.items() if t in lab} == {t: 0.0 for t in lab}
    assert {t: s for t, s in scores.items() if t not in lab} == {
        t: m for t, m in maximum.items() if t not in lab
    }
    verdicts = run.graded[way].verdicts("leak-by-errors")
    assert all(verdicts[t] in REPORT_ERRORS for t in lab), verdicts


@pytest.mark.parametrize("way", WAYS)
def test_a_forged_report_is_judged_in_the_graders_words(run, way):
    """The forgery replaces every lab report after the function's first call on an input that
    is not a public example (the chapter's own exploring cells may make that call): those items
    score 0, in fixed words; the other items keep their points."""
    lab = set(run.ch.lab_tests())
    scores = item_scores(run.roots[way], run.assignment, "leak-by-forged-report")
    maximum = max_scores(run.roots[way], run.assignment)
    assert [t for t in lab if scores[t] == 0], scores
    assert {t: s for t, s in scores.items() if t not in lab} == {
        t: m for t, m in maximum.items() if t not in lab
    }
    assert "could not be checked on the hidden inputs" in run.graded[way].feedback("leak-by-forged-report")

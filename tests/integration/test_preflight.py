"""Preflight: the instructor's own solution is graded first, so a broken environment is never a zero.

Real nbgrader, the real sandbox, a real course directory. A fault of the grading environment (here
a sandbox whose memory limit no kernel can start under, passed as the instructor would pass any
nbgrader option) makes ``mlops-concepts grade`` refuse with exit 2 before grading anyone, changing
nothing in the course; a healthy course is checked once, then remembered until something the check
depends on changes.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from mlops_concepts.authoring.samples import solutions, submission
from mlops_concepts.class_grading import preflight
from mlops_concepts.contract.coursedir import gradebook_url
from mlops_concepts.contract.folder_scan import fingerprint
from support.course import grade_all, item_scores, make_course, max_scores, nbgrader_env, submit

pytestmark = pytest.mark.slow

ASSIGNMENT = "01-introduction-to-mlops"


@pytest.fixture
def cache(tmp_path, monkeypatch):
    folder = tmp_path / "cache"
    monkeypatch.setenv("MLOPS_CONCEPTS_CACHE", str(folder))
    return folder


def _grade(root, *extra):
    return grade_all(root, ASSIGNMENT, *extra, timeout=900)


def _course_files(root):
    """Everything of the course but the grading run's own scratch folder."""
    return {k: v for k, v in fingerprint(root).items() if not k.startswith(".grading/")}


def test_a_broken_sandbox_refuses_the_class_and_changes_nothing(tmp_path, cache):
    root = make_course(tmp_path / "course")
    submit(root, ASSIGNMENT, "ann", submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT)))
    before = _course_files(root)

    run = _grade(root, "--SandboxedExecute.memory_limit_mb=8")

    assert run.returncode == 2, run.stdout + run.stderr
    assert "REFUSED: the instructor's own solution" in run.stdout
    assert "nothing was graded and nothing was changed" in run.stdout
    assert _course_files(root) == before  # no gradebook entry, no autograded/, no feedback/, no CSV
    assert not list(cache.rglob("*")) or not any(p.is_file() for p in cache.rglob("*"))


def test_a_healthy_course_is_checked_once_then_remembered_until_it_changes(tmp_path, cache):
    root = make_course(tmp_path / "course")
    submit(root, ASSIGNMENT, "ann", submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT)))

    first = preflight.check(root, ASSIGNMENT, gradebook_url(root))
    assert first.ok and not first.cached, first.reason
    again = preflight.check(root, ASSIGNMENT, gradebook_url(root))
    assert again.ok and again.cached

    with open(root / "nbgrader_config.py", "a") as f:
        f.write("\n# edited\n")
    changed = preflight.check(root, ASSIGNMENT, gradebook_url(root))
    assert changed.ok and not changed.cached

    run = _grade(root)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "REFUSED" not in run.stdout


def test_the_check_uses_the_instructors_arguments(tmp_path, cache):
    """Options given to the grading command reach the solution's run, and a cached success under
    other options does not count."""
    root = make_course(tmp_path / "course")
    assert preflight.check(root, ASSIGNMENT, gradebook_url(root)).ok
    broken = preflight.check(root, ASSIGNMENT, gradebook_url(root), ("--SandboxedExecute.memory_limit_mb=8",))
    assert not broken.ok and not broken.cached
    assert "full marks" in broken.reason


def test_a_course_with_its_own_copy_of_the_package_grades_right(tmp_path, cache):
    """A course folder of its own, holding its own copy of the course package (nbgrader_config.py
    puts the course folder first on nbgrader's path, so the grader runs that copy): the sandboxed
    kernel imports that same copy, and the instructor's solution earns full marks. (It scored 0
    when the kernel imported the copy its virtualenv names, which the sandbox does not show.)"""
    root = make_course(tmp_path / "course")
    package = Path(preflight.__file__).resolve().parents[1]
    shutil.copytree(package, root / "mlops_concepts", ignore=shutil.ignore_patterns("__pycache__"))
    submit(root, ASSIGNMENT, "ann", submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT)))

    run = _grade(root)

    assert run.returncode == 0, run.stdout + run.stderr
    assert item_scores(root, ASSIGNMENT, "ann") == max_scores(root, ASSIGNMENT)


def test_plain_nbgrader_autograde_refuses_a_broken_environment_too(tmp_path, cache):
    """The same check before plain ``nbgrader autograde`` lists anyone, with the options it was
    given: exit 2, the reason, and no student copied, graded or written."""
    root = make_course(tmp_path / "course")
    submit(root, ASSIGNMENT, "ann", submission(root, ASSIGNMENT, solutions(root, ASSIGNMENT)))
    before = _course_files(root)

    run = subprocess.run(
        [sys.executable, "-m", "nbgrader", "autograde", ASSIGNMENT, "--SandboxedExecute.memory_limit_mb=8"],
        cwd=root,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=900,
    )

    assert run.returncode == 2, run.stdout + run.stderr
    assert "REFUSED: the instructor's own solution" in run.stdout + run.stderr
    assert _course_files(root) == before
    assert not (root / "autograded").exists()

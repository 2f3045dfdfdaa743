"""One student, one child, one result (``class_grading/unit.py``, ``class_grading/children.py``): what
``mlops-concepts grade`` runs for each student.

Real nbgrader on a real course: a student is autograded, then (once the parent has merged them)
given feedback, by one child forked from the standard library's forkserver with nbgrader
preloaded; each step also runs as a subprocess of its own (``children.run_subprocess``, as on a
Dask worker).
"""

from __future__ import annotations

import os
import time
from multiprocessing import forkserver as mp_forkserver
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.class_grading import children
from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.class_grading.gradebooks import merge, seed_template
from mlops_concepts.class_grading.layout import JOBS, LOGS
from mlops_concepts.class_grading.unit import StudentJob, graded_folder, scratch_url
from mlops_concepts.contract.coursedir import gradebook_url
from support import build_samples  # noqa: E402
from support.children import first_line, group_gone
from support.course import before_first_answer, make_course, submit

ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = ("ann", "bob", "cid")


def _job(root: Path, student: str, timeout: float = 600) -> StudentJob:
    template = root / JOBS / "template.db"
    if not template.exists():
        template.parent.mkdir(parents=True, exist_ok=True)
        seed_template(gradebook_url(root), template, ASSIGNMENT)
    return StudentJob(
        str(root), ASSIGNMENT, student, gradebook_url(root), (), timeout, str(template), nbgrader_env()
    )


def test_a_student_is_autograded_by_a_child_of_the_preloaded_server_and_the_result_is_a_value(tmp_path):
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "ann", complete)
    child = children.Forked(_job(root, "ann"))
    result = child.autograde()
    assert result.ok and result.student == "ann" and not result.reason, result
    assert result.log == f"{LOGS}/ann.log" and result.notes == []
    step, who, pid, group, parent = first_line(root / result.log)
    assert (step, who) == ("autograde", "ann")
    assert group == pid  # its own group: a timeout kills its kernel too
    assert parent == mp_forkserver._forkserver._forkserver_pid  # forked, nbgrader preloaded
    assert "nbgrader.apps.nbgraderapp" in mp_forkserver._forkserver._preload_modules
    assert (graded_folder(root, "ann", ASSIGNMENT) / f"{ASSIGNMENT}.ipynb").is_file()
    # The parent merges it (one writer), then the same child writes the feedback.
    assert merge(scratch_url(root, "ann"), gradebook_url(root), ASSIGNMENT, ["ann"]) == {"ann"}
    feedback = child.feedback()
    assert feedback.ok and feedback.log == f"{LOGS}/feedback/ann.log", feedback
    assert first_line(root / feedback.log)[:3] == ("feedback", "ann", pid)  # the same child
    assert (root / "feedback" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert group_gone(group)  # it ended once it had said its last result


def test_a_student_past_their_time_is_killed_with_their_kernel(tmp_path):
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "loops", before_first_answer(complete, "while True:\n    pass\n"))
    started = time.monotonic()
    result = children.Forked(_job(root, "loops", timeout=40)).autograde()
    assert time.monotonic() - started < 300  # not the cell timeout of 600 s
    assert not result.ok and result.reason == "it took longer than 40 s", result
    log = (root / LOGS / "loops.log").read_text(errors="replace")
    assert "Executing notebook" in log or "Converting notebook" in log  # it was being graded
    assert group_gone(first_line(root / LOGS / "loops.log")[3])  # nbgrader and its kernel


def test_a_child_whose_student_is_not_merged_ends_without_feedback(tmp_path):
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "ann", complete)
    child = children.Forked(_job(root, "ann"))
    assert child.autograde().ok
    group = first_line(root / LOGS / "ann.log")[3]
    child.release()  # the merge did not find them, or the run is stopping
    assert group_gone(group)
    assert not (root / LOGS / "feedback" / "ann.log").exists()
    assert not (root / "feedback" / "ann").exists()


def _forked_feedback(job: StudentJob):
    return children.Forked(job).autograde()  # a forked child runs autograde first


@pytest.mark.parametrize("run", [_forked_feedback, children.run_subprocess], ids=["forked", "subprocess"])
def test_a_unit_returns_its_result_as_a_value_in_its_own_group_and_environment(tmp_path, run, monkeypatch):
    """A student nobody graded: nbgrader fails, and the result says why, from the
    student's own log. The child ran in the job's folder with the environment of the process
    that runs it now, not the one the forkserver started with."""
    root = make_course(tmp_path / "course")
    (root / "nbgrader_config.py").write_text(
        (root / "nbgrader_config.py").read_text()
        + "\nimport os\nprint('SETTING', os.environ.get('SOME_SETTING'), 'LEADER', "
        "os.getpgid(0) == os.getpid(), 'CWD', os.getcwd(), flush=True)\n"
    )
    children.start()  # before the setting: the server does not have it
    monkeypatch.setenv("SOME_SETTING", "from-the-runner")
    job = _job(root, "nobody", timeout=300)  # the environment of now, with the setting
    if run is _forked_feedback:
        result = run(job)
        assert result.student == "nobody" and result.log == f"{LOGS}/nobody.log"
    else:
        result = run("feedback", job)
        assert result.student == "nobody" and not result.ok
        assert result.reason and result.log == f"{LOGS}/feedback/nobody.log"
    text = (root / result.log).read_text()
    assert f"SETTING from-the-runner LEADER True CWD {root}" in text, text
    _, _, pid, group, parent = first_line(root / result.log)
    assert pid == group
    # Forked from the server, or (on a Dask worker) a subprocess of the process that runs it.
    assert (parent == os.getpid()) == (run is children.run_subprocess)

"""A batch's feedback process is started as soon as its autograding ends, so that it imports
nbgrader while the batch is merged into the course gradebook; one never used is stopped.

Real nbgrader on a real course, graded in this process (``pipeline.grade``) with the process
launcher and the merge wrapped to record what happened when.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from course import make_course, submit
from mlops_concepts.grading import batches, pipeline

sys.path.insert(0, str(Path(__file__).parent / "samples"))
import build_samples  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("ahead") / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    for student in ("ann", "bob"):
        submit(root, ASSIGNMENT, student, complete)
    return root


@pytest.fixture
def recorded(monkeypatch):
    """Every nbgrader process started, with when and whether it is a feedback one; every merge."""
    # Only the feedback's processes are given the course gradebook's URL: not one from outside.
    monkeypatch.delenv("MLOPS_CONCEPTS_DB_URL", raising=False)
    events, lock = [], threading.Lock()
    started = []
    real_later, real_merge = batches.nbgrader_later, pipeline.merge

    def later(root, env):
        proc = real_later(root, env)
        with lock:
            events.append((time.monotonic(), "feedback process" if env.get("MLOPS_CONCEPTS_DB_URL")
                           else "autograde process"))
            started.append(proc)
        return proc

    def merge(*args, **kwargs):
        with lock:
            events.append((time.monotonic(), "merge"))
        return real_merge(*args, **kwargs)

    monkeypatch.setattr(batches, "nbgrader_later", later)
    monkeypatch.setattr(pipeline, "merge", merge)
    return events, started


def test_the_feedback_process_starts_before_the_merge_and_is_the_one_used(course, recorded):
    events, started = recorded
    assert pipeline.grade(course, ASSIGNMENT, jobs=1) == 0
    order = [what for _, what in sorted(events)]
    assert order == ["autograde process", "feedback process", "merge"], order
    assert len(started) == 2  # the feedback ran in the process started ahead, not a new one
    assert all(proc.poll() is not None for proc in started)
    assert batches._ahead == {}
    for student in ("ann", "bob"):
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()


def test_a_feedback_process_never_used_is_stopped(course, recorded, monkeypatch):
    events, started = recorded

    def refuse(*args, **kwargs):
        raise RuntimeError("the gradebook is read-only")

    monkeypatch.setattr(pipeline, "merge", refuse)
    assert pipeline.grade(course, ASSIGNMENT, jobs=1) == 2
    assert [what for _, what in sorted(events)] == ["autograde process", "feedback process"]
    assert all(proc.poll() is not None for proc in started)  # none left waiting for a command
    assert batches._ahead == {}

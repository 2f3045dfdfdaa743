"""The one rule for student ids (mlops_concepts/contract/identity.py), and how it is wired in."""

from __future__ import annotations

import inspect
import os
import sys

import pytest
from nbgrader.api import Gradebook
from nbgrader.apps import autogradeapp
from traitlets.config import Config

from mlops_concepts.contract.identity import MAX_LENGTH, StudentIds, problem_with, refusal, refusals
from mlops_concepts.nbgrader_plugins import admission

ACCEPTED = [
    "jo.doe-2",  # JupyterHub user names as the local and PAM authenticators make them
    "A_b",
    "alice",
    "Bob99",
    "_svc",
    "x",
    "0123456789",
    "a" * MAX_LENGTH,
    "jo..doe",
    "trailing.",
    "trailing-",
]

REFUSED = {
    "": "empty",
    "a" * (MAX_LENGTH + 1): "longer than 64",
    "-rf": "starts with '-'",
    ".hidden": "starts with '.'",
    ".": "starts with '.'",
    "..": "starts with '.'",
    "jo+doe": "'+'",
    "jo+01-introduction-to-mlops+2026-12-07 10:00:00": "'+'",
    "\x1b[31mred": "characters other",
    "\x01alice": "characters other",
    "\nalice": "characters other",
    "alice\n": "characters other",
    "alice\r": "characters other",
    "ali\u202ece": "characters other",  # right-to-left override
    "ali\u200bce": "characters other",  # zero-width space
    "аlice": "characters other",  # Cyrillic а, a look-alike of Latin a
    "ａlice": "characters other",  # fullwidth a
    "alıce": "characters other",  # dotless i
    "ǅ": "characters other",
    "٣": "characters other",  # Arabic-Indic digit three: str.isdigit() says True
    "jo doe": "characters other",
    "jo/doe": "characters other",
    "jo\\doe": "characters other",
    "jo@example.com": "characters other",
    'x";alert(1);//': "characters other",
    "<img src=x onerror=alert(1)>": "characters other",
    "x'onmouseover='alert(1)": "characters other",
    "a,b": "characters other",  # nbgrader's student_id_exclude is comma-separated
    "a*": "characters other",  # a glob
    "\udcff": "characters other",  # a file name byte that is not UTF-8
    None: "not text",
    b"alice": "not text",
}


@pytest.mark.parametrize("student_id", ACCEPTED)
def test_well_formed_ids_are_accepted(student_id):
    assert problem_with(student_id) is None
    assert refusal(student_id) is None


@pytest.mark.parametrize("student_id", sorted(REFUSED, key=repr), ids=repr)
def test_ill_formed_ids_are_refused_with_a_reason(student_id):
    problem = problem_with(student_id)
    assert problem is not None and REFUSED[student_id] in problem, problem
    assert refusal(student_id).startswith("not a valid student id")
    assert refusal(student_id, roster={student_id}) is not None  # a roster never lets one in


def test_the_roster_is_only_consulted_when_given():
    assert refusal("alice", roster=None) is None
    assert refusal("alice", roster={"alice", "bob"}) is None
    assert "roster" in refusal("carol", roster={"alice", "bob"})
    assert "roster" in refusal("Alice", roster={"alice"})  # ids are compared exactly


def test_refusals_reads_the_roster_from_the_gradebook_only_when_roster_only(tmp_path, monkeypatch):
    # nbgrader creates a gradebook by running `alembic` by name: the one beside this Python.
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), os.environ["PATH"]]))
    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gb:
        gb.add_student("alice")
    ids = ["alice", "bob", "-x"]
    assert refusals(ids, url, roster_only=False) == {"-x": refusal("-x")}
    found = refusals(ids, url, roster_only=True)
    assert set(found) == {"bob", "-x"} and "roster" in found["bob"]


def test_roster_only_is_a_course_option_off_by_default():
    assert StudentIds().roster_only is False
    config = Config()
    config.StudentIds.roster_only = True
    assert StudentIds(config=config).roster_only is True


def test_the_course_configuration_installs_the_guarded_autograde(tmp_path):
    """nbgrader_config.py makes plain `nbgrader autograde` use GuardedAutograde; that works only
    while nbgrader's AutogradeApp builds its converter from its module's name ``Autograde``."""
    from mlops_concepts.contract.coursedir import course_config
    from support.course import REPO

    saved = autogradeapp.Autograde
    try:
        config = course_config(REPO)
        assert autogradeapp.Autograde is admission.GuardedAutograde
        assert config.StudentIds.roster_only is False
    finally:
        autogradeapp.Autograde = saved
    source = inspect.getsource(autogradeapp.AutogradeApp.start)
    assert "converter = Autograde(coursedir=self.coursedir, parent=self)" in source

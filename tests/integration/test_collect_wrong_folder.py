"""`nbgrader collect` from a folder that is not a course directory explains itself.

nbgrader's own message there is "Unwritable directory, please contact your instructor:
/srv/nbgrader/exchange". The environment's nbgrader_config.json (installed by make and by
`pip install .`) makes mlops_concepts.nbgrader_plugins.wrong_folder's collect the default, which names the
problem; in a course directory the course's own collect still runs.
"""

from __future__ import annotations

import sys
from pathlib import Path

from support.classroom import BIN, clean_env, run, show
from support.course import make_course

ASSIGNMENT = "01-introduction-to-mlops"


def test_the_environment_installs_the_default():
    installed = Path(sys.prefix) / "etc" / "jupyter" / "nbgrader_config.json"
    assert installed.is_file(), "run make (it installs etc/jupyter/nbgrader_config.json into .venv)"
    assert "wrong_folder.CollectInCourse" in installed.read_text()


def test_collect_from_the_wrong_folder_says_what_is_wrong(tmp_path):
    done = run([BIN / "nbgrader", "collect", ASSIGNMENT], cwd=tmp_path, env=clean_env(HOME=str(tmp_path)))
    out = done.stdout + done.stderr
    assert done.returncode != 0, show(done)
    assert "Unwritable directory" not in out, show(done)
    assert f"No nbgrader_config.py in {tmp_path}: this is not a course directory" in out, show(done)
    assert "--CourseDirectory.root=" in out
    assert sorted(tmp_path.iterdir()) == []  # nothing written there


def test_collect_in_the_course_directory_is_the_courses_own(tmp_path):
    root = make_course(tmp_path / "course")
    env = clean_env(MLOPS_CONCEPTS_EXCHANGE=str(tmp_path / "exchange"))
    done = run([BIN / "nbgrader", "release_assignment", ASSIGNMENT], cwd=root, env=env)
    assert done.returncode == 0, show(done)
    done = run([BIN / "nbgrader", "collect", ASSIGNMENT], cwd=root, env=env)
    assert done.returncode == 0, show(done)
    assert "No submissions of" in done.stdout + done.stderr, show(done)  # SafeExchangeCollect's words

"""The local exchange works without root: release, fetch, submit, collect."""

import os
import subprocess
import sys

from course import ASSIGNMENTS, make_course, nbgrader
from mlops_concepts.grading.pipeline import nbgrader_env


def test_release_fetch_submit_collect(tmp_path):
    root = make_course(tmp_path / "course")
    assignment = ASSIGNMENTS[0]
    assert nbgrader(root, "release_assignment", assignment, "--force").returncode == 0
    assert (root / ".exchange" / "mlops-concepts" / "outbound" / assignment).is_dir()

    student = tmp_path / "student"
    student.mkdir()
    env = dict(nbgrader_env(), MLOPS_CONCEPTS_EXCHANGE=str(root / ".exchange"))
    # A student has no course config of their own: they name the course and the exchange.
    args = ["--course", "mlops-concepts", f"--Exchange.root={root / '.exchange'}"]

    def run(*cmd):
        return subprocess.run([sys.executable, "-m", "nbgrader", *cmd, *args], cwd=student,
                              capture_output=True, text=True, env=env)

    fetched = run("fetch_assignment", assignment)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert (student / assignment / f"{assignment}.ipynb").exists()
    submitted = run("submit", assignment)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr

    collected = nbgrader(root, "collect", assignment)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    user = os.environ.get("USER") or __import__("getpass").getuser()
    assert (root / "submitted" / user / assignment / f"{assignment}.ipynb").exists()

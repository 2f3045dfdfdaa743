"""``make_course`` hands every test a course of its own, though each chapter is generated once.

The generated assignment is copied from a session template (tests/support/course.py): these tests
check that the copies share nothing with each other or the template, and that each course still
has its own cell timeout.
"""

from __future__ import annotations

import os

from support.course import ASSIGNMENTS, make_course, nbgrader


def _students(root) -> str:
    listed = nbgrader(root, "db", "student", "list")
    assert listed.returncode == 0, listed.stdout + listed.stderr
    return listed.stdout


def test_two_courses_share_no_file_and_keep_their_own_timeout(tmp_path):
    one = make_course(tmp_path / "one", timeout=7)
    two = make_course(tmp_path / "two", timeout=99)
    assert (one / "nbgrader_config.py").read_text().endswith("\nc.Execute.timeout = 7\n")
    assert (two / "nbgrader_config.py").read_text().endswith("\nc.Execute.timeout = 99\n")
    release = f"release/{ASSIGNMENTS[0]}/{ASSIGNMENTS[0]}.ipynb"
    for root in (one, two):
        assert (root / release).is_file() and (root / "gradebook.db").is_file()
    inodes = {os.stat(root / name).st_ino for root in (one, two) for name in ("gradebook.db", release)}
    assert len(inodes) == 4, "the courses share a file"

    added = nbgrader(one, "db", "student", "add", "only-in-one")
    assert added.returncode == 0, added.stdout + added.stderr
    assert "only-in-one" in _students(one)
    assert "only-in-one" not in _students(two)
    assert "only-in-one" not in _students(make_course(tmp_path / "three"))  # nor in the template


def test_a_course_without_assignments_has_the_source_and_no_gradebook(tmp_path):
    root = make_course(tmp_path / "empty", assignments=[])
    assert (root / "source" / ASSIGNMENTS[0] / f"{ASSIGNMENTS[0]}.ipynb").is_file()
    assert not (root / "gradebook.db").exists() and not (root / "release").exists()

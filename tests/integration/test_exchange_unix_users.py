"""The exchange with an instructor and two students who are real, different Unix users (issue 25).

The administrator (root, this test) creates the exchange with ``mlops-concepts exchange-setup``; the
instructor releases and collects as their own user with the course's nbgrader_config.py; students
fetch and submit with plain ``nbgrader`` and a student's config, as theirs. Then each student
attack of the issue, run as the attacker: what the OS must refuse, and what collect must skip.
"""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.course import ASSIGNMENTS, make_course

COURSE_ID = "mlops-concepts"
ASSIGNMENT = ASSIGNMENTS[0]
MARK = "FORGED-BY-STUDENT-B"


def show(done) -> str:
    return f"$ {' '.join(map(str, done.args))}\nexit {done.returncode}\n{done.stdout}\n{done.stderr}"


def ok(done):
    assert done.returncode == 0, show(done)
    return done


@pytest.fixture(scope="module")
def cls(make_unix_user, shared_dir, user_python):
    """Exchange created by root for the instructor, the assignment released, fetched by both students."""
    teacher, alice, bob = (
        make_unix_user("instructor"),
        make_unix_user("student A"),
        make_unix_user("student B"),
    )
    course = make_course(shared_dir / "course")  # generated as root, then handed over
    teacher.chown(course)
    exchange = shared_dir / "exchange"
    # The administrator's step (root): the exchange, its course folders given to the instructor.
    setup = [Path(sys.executable).parent / "mlops-concepts", "exchange-setup", "--exchange", exchange]
    ok(subprocess.run([*setup, "--owner", teacher.name], capture_output=True, text=True))
    for student in (alice, bob):
        (student.home / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
        )
        student.chown(student.home)

    def instructor(*args):
        env = teacher.env(user_python, MLOPS_CONCEPTS_EXCHANGE=str(exchange))
        return teacher.run([user_python, "-m", "nbgrader", *args], cwd=course, env=env)

    def student(who, *args):
        return who.run([user_python, "-m", "nbgrader", *args], env=who.env(user_python))

    ok(instructor("release_assignment", ASSIGNMENT, "--force"))
    for who in (alice, bob):
        ok(student(who, "fetch_assignment", ASSIGNMENT))
    return SimpleNamespace(
        teacher=teacher,
        alice=alice,
        bob=bob,
        course=course,
        exchange=exchange,
        inbound=exchange / COURSE_ID / "inbound",
        instructor=instructor,
        student=student,
    )


def sh(user, script: str):
    """A shell command as ``user`` (the attacker's own tools: mv, ls, cat)."""
    return user.run(["/bin/sh", "-c", script])


def test_the_exchange_is_created_with_modes_no_student_can_abuse(cls):
    modes = {
        cls.exchange: (0o1777, 0),
        cls.exchange / COURSE_ID: (0o755, cls.teacher.uid),
        cls.exchange / COURSE_ID / "outbound": (0o755, cls.teacher.uid),
        cls.inbound: (0o3733, cls.teacher.uid),
        cls.exchange / COURSE_ID / "feedback": (0o711, cls.teacher.uid),
    }
    for path, (mode, uid) in modes.items():
        st = os.lstat(path)
        assert (stat.S_IMODE(st.st_mode), st.st_uid) == (mode, uid), path


def test_a_student_cannot_replace_the_course_folder_nor_touch_others_submissions(cls):
    ok(cls.student(cls.alice, "submit", ASSIGNMENT))
    (alices,) = [p for p in cls.inbound.iterdir() if p.name.startswith(cls.alice.name + "+")]
    course = cls.exchange / COURSE_ID
    attacks = {
        "rename the course folder": f"mv {course} {cls.exchange}/old",
        "delete the course folder": f"rm -rf {course}",
        "put a folder of theirs inside the course": f"mkdir {course}/evil",
        "replace the outbound": f"mv {course}/outbound {course}/x",
        "write into the released assignment": f"touch {course}/outbound/{ASSIGNMENT}/evil.ipynb",
        "list the inbound": f"ls {cls.inbound}",
        "list the feedback": f"ls {course}/feedback",
        "rename another's submission (even knowing its random name)": f"mv '{alices}' {cls.inbound}/gone",
        "delete another's submission folder": f"rmdir '{alices}'",
    }
    for what, script in attacks.items():
        done = sh(cls.bob, script)
        assert done.returncode != 0, f"student B could {what}\n{show(done)}"
    assert course.is_dir() and alices.is_dir() and not (course / "evil").exists()
    assert (alices / f"{ASSIGNMENT}.ipynb").is_file()
    # What the attacker does see: nothing of the inbound's names to aim at.
    done = sh(cls.bob, f"cat {cls.inbound}/{cls.alice.name}+*/{ASSIGNMENT}.ipynb")
    assert done.returncode != 0 and "BEGIN" not in done.stdout, show(done)


def test_without_the_sticky_bit_the_attack_works_and_our_commands_refuse(cls):
    """nbgrader's own modes (root 0777, inbound 2733): the course folder is replaceable, so release
    and collect refuse, naming the chmod that fixes it; after it they run again."""
    course = cls.exchange / COURSE_ID
    os.chmod(cls.exchange, 0o777)
    try:
        # The OS-level attack of the issue now succeeds: the reason for the refusal.
        ok(sh(cls.bob, f"mv {course} {cls.exchange}/stolen && mkdir -m 755 {course}"))
        ok(sh(cls.bob, f"rmdir {course} && mv {cls.exchange}/stolen {course}"))  # put back, as root could
        for cmd in (
            ("collect", ASSIGNMENT),
            ("release_assignment", ASSIGNMENT, "--force"),
            ("release_feedback", ASSIGNMENT),
        ):
            done = cls.instructor(*cmd)
            assert done.returncode != 0, show(done)
            assert f"chmod 1777 {cls.exchange}" in done.stderr, show(done)
    finally:
        os.chmod(cls.exchange, 0o1777)
    os.chmod(cls.inbound, 0o2733)  # nbgrader's inbound mode: no sticky bit
    try:
        done = cls.instructor("collect", ASSIGNMENT)
        assert done.returncode != 0 and f"chmod 3733 {cls.inbound}" in done.stderr, show(done)
    finally:
        os.chmod(cls.inbound, 0o3733)
    ok(cls.instructor("collect", ASSIGNMENT))


def test_a_course_folder_a_student_made_first_is_refused(cls, shared_dir):
    """Before the first release the root is open to all: a student can make the course's folder."""
    fresh = shared_dir / "fresh-exchange"
    fresh.mkdir()
    os.chmod(fresh, 0o1777)
    ok(sh(cls.bob, f"mkdir -m 777 {fresh}/{COURSE_ID}"))
    done = cls.instructor("release_assignment", ASSIGNMENT, "--force", f"--Exchange.root={fresh}")
    assert done.returncode != 0, show(done)
    assert f"owned by {cls.bob.name}" in done.stderr and "someone else created it" in done.stderr, show(done)
    assert not (fresh / COURSE_ID / "outbound").exists()  # nothing created in the student's folder


def test_collect_skips_forged_and_malformed_entries_and_collects_the_rest(cls):
    shutil.rmtree(cls.course / "submitted", ignore_errors=True)
    ok(cls.student(cls.alice, "submit", ASSIGNMENT))
    notebook = cls.bob.home / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    notebook.write_text(notebook.read_text().replace("YOUR ANSWER HERE", MARK, 1))
    ok(cls.student(cls.bob, "submit", ASSIGNMENT))
    # B submits again, in A's name, with nbgrader's own option (newer: it would be the one kept).
    ok(cls.student(cls.bob, "submit", ASSIGNMENT, f"--student={cls.alice.name}"))
    ok(sh(cls.bob, f"mkdir '{cls.inbound}/{cls.bob.name}+{ASSIGNMENT}+not a time+x'"))
    ok(sh(cls.bob, f"mkdir '{cls.inbound}/{cls.bob.name}+{ASSIGNMENT}+99999999999999999999+x'"))
    ok(
        sh(
            cls.bob,
            f"mkdir \"{cls.inbound}/$(printf 'bad\\033[2Jx')+{ASSIGNMENT}+2026-01-01 00:00:00 UTC+x\"",
        )
    )
    ok(sh(cls.bob, f"touch '{cls.inbound}/{cls.bob.name}+{ASSIGNMENT}+2026-01-01 00:00:00 UTC+file'"))
    ok(sh(cls.bob, f"mkdir '{cls.inbound}/{cls.bob.name}+{ASSIGNMENT}+2026+01+x'"))

    done = ok(cls.instructor("collect", ASSIGNMENT))
    log = done.stdout + done.stderr
    submitted = cls.course / "submitted"
    assert sorted(p.name for p in submitted.iterdir()) == sorted([cls.alice.name, cls.bob.name]), log
    alices = (submitted / cls.alice.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    bobs = (submitted / cls.bob.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert MARK not in alices and MARK in bobs, log
    assert f"owned by {cls.bob.name}, not by that student" in log, log
    assert "Skipped 6 inbound entries" in log, log
    assert "its timestamp is not a date and time" in log and "not a valid student id" in log, log
    assert "it is not a folder" in log and "its name is not" in log, log
    assert "\x1b" not in log and "bad\\x1b[2Jx" in log, log
    for path in cls.inbound.iterdir():  # nothing collected from the skipped ones was changed
        assert os.lstat(path).st_uid in (cls.alice.uid, cls.bob.uid)

    # B's next submission cannot be read by the instructor (a folder B made 000 in it): that one
    # copy fails, the submission B had collected before stays as it was, and A's is untouched.
    before = (submitted / cls.bob.name / ASSIGNMENT / "timestamp.txt").read_text()
    (cls.bob.home / ASSIGNMENT / "private").mkdir()
    cls.bob.chown(cls.bob.home / ASSIGNMENT)
    ok(cls.student(cls.bob, "submit", ASSIGNMENT))
    newest = max(
        (p for p in cls.inbound.iterdir() if p.name.startswith(cls.bob.name + "+") and p.is_dir()),
        key=lambda p: (p / "timestamp.txt").read_text() if (p / "timestamp.txt").exists() else "",
    )
    ok(sh(cls.bob, f"chmod 000 '{newest}/private'"))
    done = ok(cls.instructor("collect", "--update", ASSIGNMENT))
    log = done.stdout + done.stderr
    assert f"‹{newest.name}›: copying it failed" in log, log
    assert (submitted / cls.bob.name / ASSIGNMENT / "timestamp.txt").read_text() == before, log
    assert MARK in (submitted / cls.bob.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text()
    assert (submitted / cls.alice.name / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").read_text() == alices
    assert not [p for p in (submitted / cls.bob.name).iterdir() if p.name.startswith(".collecting")]

"""A class graded one student per child, each forked from the run's forkserver
(``class_grading/children.py``, ``class_grading/per_student.py``, wired in by ``pipeline.grade``).

Real nbgrader on a real course, graded in this process (``pipeline.grade``). Who ran what is
read from each student's own log, whose first line the child writes: its process, its group and
its parent.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import threading
import time
from multiprocessing import forkserver as mp_forkserver

import nbformat
import pytest

from mlops_concepts.class_grading import children, pipeline
from mlops_concepts.class_grading.commands import nbgrader_env
from mlops_concepts.class_grading.layout import GRADED, LOGS
from mlops_concepts.contract import cells
from support import build_samples  # noqa: E402
from support.children import first_line, group_gone, send_compiled_templates
from support.course import before_first_answer, make_course, submit

ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = ("ann", "bob", "cid")


def _wait_for(condition, within: float = 300.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("children") / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    for student in STUDENTS:
        submit(root, ASSIGNMENT, student, complete)
    return root


def test_a_class_is_graded_by_one_child_per_student_of_one_preloaded_server(course, monkeypatch):
    def not_here(*args, **kwargs):
        raise AssertionError("a submission was staged by the grading command, not by its child")

    monkeypatch.setattr("mlops_concepts.contract.submissions.stage", not_here)  # the children have theirs
    assert pipeline.grade(course, ASSIGNMENT, jobs=2) == 0
    server = mp_forkserver._forkserver._forkserver_pid
    assert "nbgrader.apps.nbgraderapp" in mp_forkserver._forkserver._preload_modules
    children = set()
    for student in STUDENTS:
        step, who, pid, group, parent = first_line(course / LOGS / f"{student}.log")
        assert (step, who, group, parent) == ("autograde", student, pid, server)
        # The same child wrote the feedback, once the parent had merged the student.
        assert first_line(course / LOGS / "feedback" / f"{student}.log")[:3] == ("feedback", student, pid)
        assert group_gone(pid)  # it ended, and its kernel with it
        children.add(pid)
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
        assert (course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    assert len(children) == len(STUDENTS)
    grades = (course / "grades.csv").read_text()
    assert all(student in grades for student in STUDENTS)


def test_every_child_starts_with_the_feedback_templates_the_server_compiled(course):
    """The forkserver imports class_grading.warm_up last, which writes one feedback page: each
    child forked from it inherits nbgrader's templates compiled, and compiles none of its own."""
    assert children.PRELOAD[-1] == "mlops_concepts.class_grading.warm_up"
    children.start()
    ctx = children.context()
    ours, theirs = ctx.Pipe(duplex=False)
    child = ctx.Process(target=send_compiled_templates, args=(theirs,))
    child.start()
    theirs.close()
    assert ours.poll(60)
    assert ours.recv() >= 5  # feedback/index.html.j2 and the nbconvert templates it extends
    child.join(10)
    assert child.exitcode == 0


def test_a_student_past_their_time_is_killed_with_their_kernel_and_the_others_go_on(tmp_path, capsys):
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    looping = before_first_answer(complete, "while True:\n    pass\n")
    for student, notebook in (("ann", complete), ("loops", looping), ("zed", complete)):
        submit(root, ASSIGNMENT, student, notebook)
    started = time.monotonic()
    assert pipeline.grade(root, ASSIGNMENT, timeout_per_student=40, jobs=1) == 1
    assert time.monotonic() - started < 400  # not the cell timeout of 600 s
    out = capsys.readouterr().out
    assert "Could not grade: loops (it took longer than 40 s)" in out  # and nobody else
    assert not (root / "autograded" / "loops").exists()  # a notebook half graded is not kept
    for student in ("ann", "zed"):
        assert (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    log = (root / LOGS / "loops.log").read_text(errors="replace")
    assert "Executing notebook" in log or "Converting notebook" in log  # it was being graded
    assert group_gone(first_line(root / LOGS / "loops.log")[3])  # nbgrader and its kernel


def test_a_student_whose_child_dies_midway_is_graded_again_never_from_the_first_copy(tmp_path, capsys):
    """slow's child is killed (as the OOM killer would) after nbgrader wrote the first copy of
    slow's notebook, while the student's code runs: slow is graded again by a new child, from
    the submission, never counted from the copy left behind."""
    root = make_course(tmp_path / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    slow = before_first_answer(complete, "import time\ntime.sleep(20)\n")
    for student, notebook in (("ann", complete), ("slow", slow), ("zed", complete)):
        submit(root, ASSIGNMENT, student, notebook)
    first_copy = root / GRADED / "slow" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    failures = []

    def kill_while_on_slow():
        try:
            _wait_for(first_copy.exists)
            time.sleep(3)  # into the pause of the run that follows the first copy
            assert not cells.was_run(first_copy)  # what the child leaves is a first copy, not run
            os.kill(first_line(root / LOGS / "slow.log")[2], signal.SIGKILL)  # the child only
        except BaseException as err:
            failures.append(err)

    killer = threading.Thread(target=kill_while_on_slow)
    killer.start()
    code = pipeline.grade(root, ASSIGNMENT, jobs=2)
    killer.join()
    assert not failures, failures
    out = capsys.readouterr().out
    assert code == 0, out
    assert "slow: NOT GRADED" in out and "its grading process was killed by SIGKILL" in out, out
    assert "Could not grade" not in out
    with open(root / "grades.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores["slow"] == scores["ann"] == scores["zed"] > 0, scores
    assert cells.was_run(root / "autograded" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert (root / "feedback" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()


def test_feedback_whose_child_dies_midway_is_written_again_never_left_cut_off(tmp_path, capsys):
    """bo's child dies (killed by a hook of this course, once) right after writing bo's page:
    the page is written again, by a child of its own, and is whole."""
    root = make_course(tmp_path / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    for student in ("ann", "bo", "cy"):
        submit(root, ASSIGNMENT, student, complete)
    marker = tmp_path / "died-once"
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(
            "\n\ndef _die_once(assignment, student, notebooks):\n"
            f"    if any('/bo/' in n for n in notebooks) and not os.path.exists({str(marker)!r}):\n"
            f"        open({str(marker)!r}, 'w').close()\n"
            "        os.kill(os.getpid(), 9)\n\n\n"
            "c.GenerateFeedback.post_convert_hook = _die_once\n"
        )
    assert pipeline.grade(root, ASSIGNMENT, jobs=1) == 0
    out = capsys.readouterr().out
    assert marker.exists()  # it did die
    assert "bo: NO FEEDBACK" in out and "its grading process was killed by SIGKILL" in out
    assert "no feedback was written for" not in out  # written on the second try
    for student in ("ann", "bo", "cy"):
        page = (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert page.rstrip().endswith("</html>")


def test_the_command_starts_its_server_before_importing_the_pipeline(tmp_path):
    """So that nbgrader imports in the server while the command imports the pipeline: the two
    biggest imports of a run, on two cores at once."""
    probe = (
        "import sys\n"
        "from mlops_concepts.class_grading import children, cli\n"
        "assert not [m for m in ('nbgrader', 'sqlalchemy', 'nbformat') if m in sys.modules]\n"
        "real = children.start\n"
        "def start():\n"
        "    print('SERVER, pipeline imported:', 'mlops_concepts.class_grading.pipeline' in sys.modules)\n"
        "    return real()\n"
        "children.start = start\n"
        "sys.exit(cli.main(sys.argv[1:]))\n"
    )
    root = make_course(tmp_path / "course")
    result = subprocess.run(
        [sys.executable, "-c", probe, "grade", ASSIGNMENT, "--root", str(root)],
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=300,
    )
    assert result.returncode == 2, result.stdout + result.stderr  # nothing collected yet
    assert "SERVER, pipeline imported: False" in result.stdout.splitlines()[0]
    assert "Nothing has been collected" in result.stdout
    assert not (root / ".grading").exists()  # nothing to grade: nothing left behind

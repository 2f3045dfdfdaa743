"""nbgrader processes forked from one fork server per grading run
(``mlops_concepts.class_grading.forkserver``).

Real nbgrader on a real course, graded in this process (``pipeline.grade``), with the fork
server's requests recorded. The server side is a real process importing the real nbgrader.
"""

from __future__ import annotations

import csv
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.class_grading import batches, forkserver, pipeline, preflight
from mlops_concepts.class_grading.batches import LOGS, nbgrader_env
from mlops_concepts.contract import cells
from support import build_samples  # noqa: E402
from support.course import before_first_answer, make_course, submit

ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = ("ann", "bob", "cid")
WAS_RUN = cells.was_run  # the real one, where a test replaces it


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    root = make_course(tmp_path_factory.mktemp("forkserver") / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    for student in STUDENTS:
        submit(root, ASSIGNMENT, student, complete)
    return root


@pytest.fixture
def recorded(monkeypatch):
    """Every fork server started, and every command forked; no nbgrader process of its own."""
    servers, commands = [], []
    real_init, real_start = forkserver.ForkServer.__init__, forkserver.ForkServer.start

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        servers.append(self)

    def start(self, args, env=None, prepare=None):
        child = real_start(self, args, env, prepare)
        commands.append((args[0], child.pid, dict(env or {}), prepare))
        return child

    def no_process_of_its_own(*args, **kwargs):
        raise AssertionError("an nbgrader process was started outside the fork server")

    monkeypatch.setattr(forkserver.ForkServer, "__init__", init)
    monkeypatch.setattr(forkserver.ForkServer, "start", start)
    monkeypatch.setattr(batches, "nbgrader_later", no_process_of_its_own)
    return servers, commands


def _gone(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


def _group_gone(pgid: int, within: float = 10.0) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def test_a_class_is_graded_by_children_of_one_fork_server(course, recorded, monkeypatch):
    servers, commands = recorded

    def not_here(*args, **kwargs):
        raise AssertionError("a batch was staged by the grading command, not by its own child")

    monkeypatch.setattr(batches, "stage_batch", not_here)  # this process's; the children have theirs
    assert pipeline.grade(course, ASSIGNMENT, jobs=2) == 0
    assert len(servers) == 1  # nbgrader imported once for the whole run
    assert sorted(command[0] for command in commands) == [
        "autograde",
        "autograde",
        "generate_feedback",
        "generate_feedback",
    ]
    # Feedback reads the course gradebook, named by the environment, never the command line.
    url = pipeline.gradebook_url(course)
    assert all(
        env == {"MLOPS_CONCEPTS_DB_URL": url} and prepare is None
        for name, _, env, prepare in commands
        if name == "generate_feedback"
    )
    # Each autograde child staged its own batch: between them, the whole class, once each. It is
    # told that the run checked the instructor's solution already (preflight).
    autograde = [
        prepare
        for name, _, env, prepare in commands
        if name == "autograde" and env == {preflight.ENV: "checked"}
    ]
    assert sorted(s for batch in autograde for s in batch["students"]) == sorted(STUDENTS)
    for student in STUDENTS:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
        assert (course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    grades = (course / "grades.csv").read_text()
    assert all(student in grades for student in STUDENTS)
    # The run closed its server, and every child is gone.
    assert forkserver._servers == {}
    assert servers[0].proc.poll() is not None
    assert all(_gone(command[1]) for command in commands)


def test_a_student_past_their_time_is_killed_with_their_kernel_and_the_batch_goes_on(
    tmp_path, recorded, capsys
):
    """ann, loops and zed share one batch. loops runs past the 20 s each student has: that
    nbgrader process is killed with its kernel, loops alone is not graded (and not tried again:
    loops had the whole time), and zed, never reached, is graded in a new process."""
    servers, commands = recorded
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    looping = before_first_answer(complete, "while True:\n    pass\n")
    for student, notebook in (("ann", complete), ("loops", looping), ("zed", complete)):
        submit(root, ASSIGNMENT, student, notebook)
    started = time.monotonic()
    assert pipeline.grade(root, ASSIGNMENT, timeout_per_student=20, jobs=1) == 1
    assert time.monotonic() - started < 300  # not the cell timeout of 600 s
    out = capsys.readouterr().out
    assert "loops" in out and "not graded: it took longer than 20 s" in out
    assert "Could not grade: loops (it took longer than 20 s)" in out  # and nobody else
    assert not (root / "autograded" / "loops").exists()  # a notebook half graded is not kept
    for student in ("ann", "zed"):
        assert (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    log = (root / LOGS / "loops.log").read_text(errors="replace")
    assert "Executing notebook" in log or "Converting notebook" in log  # it was being graded
    autograde = [pid for name, pid, _, _ in commands if name == "autograde"]
    assert len(autograde) == 2  # the batch, then zed's retry: loops is not tried again
    assert "zed" in (root / LOGS / "batch-b0-retry0.log").read_text()
    assert _group_gone(autograde[0])  # nbgrader and the student's kernel (in its process group)
    assert forkserver._servers == {}


def _wait_for(condition, within: float = 120.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, "waited in vain"
        time.sleep(0.02)


@pytest.mark.parametrize("server", ["forked, exit status only", "own process"])
def test_a_student_whose_nbgrader_dies_midway_is_graded_again_never_from_the_first_copy(
    tmp_path, monkeypatch, capsys, server
):
    """The nbgrader process is killed (as the OOM killer would) while it runs "slow": after it has
    written the first copy of slow's notebook, before the run one. slow is graded again, alone,
    and zed, never reached, too; neither is counted from what the dead process left."""
    root = make_course(tmp_path / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    slow = before_first_answer(complete, "import time\ntime.sleep(8)\n")
    for student, notebook in (("ann", complete), ("slow", slow), ("zed", complete)):
        submit(root, ASSIGNMENT, student, notebook)
    started = []  # (command, pid) of every nbgrader process
    if server == "own process":
        real_later = batches.nbgrader_later

        def later(root, env):
            proc = real_later(root, env)
            started.append(("?", proc.pid))
            return proc

        monkeypatch.setattr(batches, "nbgrader_later", later)
        dead = forkserver.server_for(root)
        dead.proc.kill()
        dead.proc.wait()
    else:
        real_start = forkserver.ForkServer.start

        def start(self, args, env=None, prepare=None):
            child = real_start(self, args, env, prepare)
            started.append((args[0], child.pid))
            return child

        monkeypatch.setattr(forkserver.ForkServer, "start", start)
        # The notebook that was left must not be what tells: only how the process ended.
        monkeypatch.setattr(cells, "was_run", lambda path: path.exists())

    first_copy = root / batches.GRADED / "b0" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"

    def kill_while_on_slow():
        _wait_for(lambda: started and first_copy.exists())
        time.sleep(2)  # into the 8 s pause of the run that follows the first copy
        assert not WAS_RUN(first_copy)  # what the process leaves is a first copy, not run
        os.kill(started[0][1], 9)  # the batch's process only, not its group

    failures = []

    def killer_body():
        try:
            kill_while_on_slow()
        except BaseException as err:
            failures.append(err)

    killer = threading.Thread(target=killer_body)
    killer.start()
    code = pipeline.grade(root, ASSIGNMENT, jobs=1)
    killer.join()
    assert not failures, failures
    out = capsys.readouterr().out
    assert code == 0, out
    assert "slow: NOT GRADED" in out and "nbgrader process was killed" in out
    assert "zed: NOT GRADED" in out and "stopped before reaching it" in out
    assert "ann: NOT GRADED" not in out
    retries = sorted(p.name for p in (root / LOGS).glob("batch-b0-retry*.log"))
    assert len(retries) == 2, retries  # slow alone, then zed
    with open(root / "grades.csv") as f:
        scores = {row["student_id"]: float(row["score"]) for row in csv.DictReader(f)}
    assert scores["slow"] == scores["ann"] == scores["zed"] > 0, scores
    graded = root / "autograded" / "slow" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb"
    assert WAS_RUN(graded)


def test_feedback_whose_process_dies_midway_is_written_again_never_left_cut_off(tmp_path, capsys):
    """The feedback process of a class dies (killed by a hook of this course, once) right after
    writing bo's page: bo's page is written again alone, and cy's, never reached, too."""
    root = make_course(tmp_path / "course", timeout=60)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    for student in ("ann", "bo", "cy"):
        submit(root, ASSIGNMENT, student, complete)
    marker = tmp_path / "died-once"
    with open(root / "nbgrader_config.py", "a") as config:
        config.write(
            "\n\ndef _die_once(assignment, student, notebooks):\n"
            # (student is nbgrader's filter, "*"; the notebooks' paths name the student)
            f"    if any('/bo/' in n for n in notebooks) and not os.path.exists({str(marker)!r}):\n"
            f"        open({str(marker)!r}, 'w').close()\n"
            "        os.kill(os.getpid(), 9)\n\n\n"
            "c.GenerateFeedback.post_convert_hook = _die_once\n"
        )
    assert pipeline.grade(root, ASSIGNMENT, jobs=1) == 0
    out = capsys.readouterr().out
    assert marker.exists()  # it did die
    assert "bo: NO FEEDBACK" in out and "nbgrader process was killed while grading it" in out
    assert "cy: NO FEEDBACK" in out and "stopped before reaching it" in out
    assert "no feedback was written for" not in out  # both were written on the second try
    for student in ("ann", "bo", "cy"):
        page = (root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
        assert page.rstrip().endswith("</html>")


def test_a_dead_fork_server_leaves_each_batch_its_own_nbgrader(course, monkeypatch, capsys):
    """If the server is gone (killed, or nbgrader cannot be imported), batches start nbgrader
    in processes of their own, as on a Dask worker, and the class is still graded."""
    started = []
    real_later = batches.nbgrader_later

    def later(root, env):
        proc = real_later(root, env)
        started.append(proc)
        return proc

    monkeypatch.setattr(batches, "nbgrader_later", later)
    server = forkserver.server_for(course)
    server.proc.kill()
    server.proc.wait()
    assert pipeline.grade(course, ASSIGNMENT, jobs=2) == 0
    assert len(started) == 4  # two batches, each autograded then given feedback
    out = capsys.readouterr().out
    assert out.count("the nbgrader fork server stopped") == 1  # said once, with where to look
    assert "each batch starts nbgrader by itself" in out and "forkserver.log" in out
    assert all(proc.poll() is not None for proc in started)
    for student in STUDENTS:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert forkserver._servers == {}


def test_a_server_that_cannot_even_be_started_fails_each_request_with_the_reason(tmp_path, monkeypatch):
    """Then every batch falls back to a process of its own, as for a server that stopped."""

    def no_process(*args, **kwargs):
        raise OSError(11, "Resource temporarily unavailable")

    monkeypatch.setattr(forkserver.subprocess, "Popen", no_process)
    server = forkserver.ForkServer(tmp_path, nbgrader_env(), tmp_path / "forkserver.log")
    with pytest.raises(forkserver.ForkServerGone, match="could not be started: .*Resource temporarily"):
        server.start(["db", "student", "list"])
    server.close()


def test_a_server_that_cannot_import_nbgrader_says_why(tmp_path):
    fake = tmp_path / "fake" / "nbgrader"
    fake.mkdir(parents=True)
    (fake / "__init__.py").write_text("raise ImportError('this nbgrader is broken')\n")
    env = dict(nbgrader_env(), PYTHONPATH=str(fake.parent))
    server = forkserver.ForkServer(tmp_path, env, tmp_path / "forkserver.log")
    try:
        with pytest.raises(forkserver.ForkServerGone, match="this nbgrader is broken"):
            server.start(["--version"])
    finally:
        server.close()
    assert server.proc.returncode not in (None, 0)
    # What it said is kept where the instructor is told to look.
    assert "this nbgrader is broken" in (tmp_path / "forkserver.log").read_text()


def test_a_server_the_run_never_used_is_stopped_at_once_and_leaves_nothing(tmp_path):
    """The command starts its server before it knows there is anything to grade: a run that stops
    at its checks (an unknown chapter, a locked gradebook) must change nothing in the course."""
    server = forkserver.ForkServer(tmp_path, nbgrader_env(), tmp_path / "logs" / "forkserver.log")
    started = time.monotonic()
    server.close()  # while it still imports nbgrader
    assert time.monotonic() - started < 5
    assert server.proc.returncode is not None
    assert list(tmp_path.iterdir()) == []


def test_the_command_starts_its_server_before_importing_the_pipeline(tmp_path):
    """So that nbgrader imports in the server while the command imports the pipeline: the two
    biggest imports of a run, on two cores at once."""
    probe = (
        "import sys\n"
        "from mlops_concepts.class_grading import cli, forkserver\n"
        "assert not [m for m in ('nbgrader', 'sqlalchemy', 'nbformat') if m in sys.modules]\n"
        "real = forkserver.server_for\n"
        "def server_for(root):\n"
        "    print('SERVER, pipeline imported:', 'mlops_concepts.class_grading.pipeline' in sys.modules)\n"
        "    return real(root)\n"
        "forkserver.server_for = server_for\n"
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
    assert not (root / ".grading").exists()  # nothing to grade: the server left nothing behind


def test_a_child_leads_its_own_group_and_gets_its_environment(tmp_path):
    # nbgrader reads the configuration of the folder it runs in: this one reports on the child.
    (tmp_path / "nbgrader_config.py").write_text(
        "import os, time\n"
        "print('SETTING', os.environ.get('SOME_SETTING'), 'LEADER', os.getpgid(0) == os.getpid(),\n"
        "      'CWD', os.getcwd(), flush=True)\n"
        "if os.environ.get('PAUSE'):\n"
        "    time.sleep(60)\n"
    )
    server = forkserver.ForkServer(tmp_path, nbgrader_env(), tmp_path / "forkserver.log")
    try:
        child = server.start(["db", "student", "list"], {"SOME_SETTING": "from-the-request"})
        output = child.stdout.read().decode()
        assert child.wait() == 0  # its exit status comes back
        assert f"SETTING from-the-request LEADER True CWD {tmp_path}" in output
        assert "0 students" in output  # nbgrader's own output comes through the same pipe
        assert _group_gone(child.pid)  # it leads its group: the group goes with it
        # The setting was the child's only: the next one does not inherit it.
        child = server.start(["db", "student", "list"])
        assert "SETTING None LEADER True" in child.stdout.read().decode()
        child.wait()
        # A command that fails says so; a child that is killed cannot: its status is unknown.
        failing = server.start(["autograde"])  # no assignment named
        failing.stdout.read()
        assert failing.wait() not in (0, None)
        paused = server.start(["db", "student", "list"], {"PAUSE": "1"})
        assert b"SETTING None" in paused.stdout.readline()
        # In ps, it is the nbgrader command it runs.
        title = Path(f"/proc/{paused.pid}/cmdline").read_bytes().replace(b"\0", b" ").strip()
        assert title == b"nbgrader db student list", title
        os.kill(paused.pid, 9)
        paused.stdout.read()
        assert paused.wait() is None
    finally:
        server.close()
    assert server.proc.poll() is not None  # the server exits when the run closes its end

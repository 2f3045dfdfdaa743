"""nbgrader processes forked from one fork server per grading run (``mlops_concepts.grading.forkserver``).

Real nbgrader on a real course, graded in this process (``pipeline.grade``), with the fork
server's requests recorded. The server side is a real process importing the real nbgrader.
"""

from __future__ import annotations

import copy
import os
import sys
import time
from pathlib import Path

import nbformat
import pytest

from course import make_course, submit
from mlops_concepts.grading import batches, forkserver, pipeline
from mlops_concepts.grading.batches import LOGS, nbgrader_env

sys.path.insert(0, str(Path(__file__).parent / "samples"))
import build_samples  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = ("ann", "bob", "cid")


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

    def start(self, args, env=None):
        child = real_start(self, args, env)
        commands.append((args[0], child.pid, dict(env or {})))
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


def test_a_class_is_graded_by_children_of_one_fork_server(course, recorded):
    servers, commands = recorded
    assert pipeline.grade(course, ASSIGNMENT, jobs=2) == 0
    assert len(servers) == 1  # nbgrader imported once for the whole run
    assert sorted(name for name, _, _ in commands) == ["autograde", "autograde",
                                                      "generate_feedback", "generate_feedback"]
    # Feedback reads the course gradebook, named by the environment, never the command line.
    url = pipeline.gradebook_url(course)
    assert all(env == {"MLOPS_CONCEPTS_DB_URL": url} for name, _, env in commands
               if name == "generate_feedback")
    assert all(env == {} for name, _, env in commands if name == "autograde")
    for student in STUDENTS:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
        assert (course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()
    grades = (course / "grades.csv").read_text()
    assert all(student in grades for student in STUDENTS)
    # The run closed its server, and every child is gone.
    assert forkserver._servers == {}
    assert servers[0].proc.poll() is not None
    assert all(_gone(pid) for _, pid, _ in commands)


def _looping(notebook):
    """The notebook with an endless loop before the student's first answer."""
    looping = copy.deepcopy(notebook)
    answer = next(c for c in looping.cells
                  if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("solution"))
    answer.source = "while True:\n    pass\n" + answer.source
    return looping


def test_a_child_past_its_timeout_is_killed_with_its_kernel(tmp_path, recorded, capsys):
    servers, commands = recorded
    root = make_course(tmp_path / "course", timeout=600)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "loops", _looping(complete))
    started = time.monotonic()
    assert pipeline.grade(root, ASSIGNMENT, timeout_per_student=20, jobs=1) == 1
    assert time.monotonic() - started < 300  # not the cell timeout of 600 s
    out = capsys.readouterr().out
    assert "loops" in out and "not graded: it took longer than 20 s" in out
    assert not (root / "autograded" / "loops").exists()  # a notebook half graded is not kept
    log = (root / LOGS / "loops.log").read_text(errors="replace")
    assert "Executing notebook" in log or "Converting notebook" in log  # it was being graded
    [(name, pid, _)] = commands
    assert name == "autograde"
    assert _group_gone(pid)  # nbgrader and the student's kernel (in its process group)
    assert forkserver._servers == {}


def test_a_dead_fork_server_leaves_each_batch_its_own_nbgrader(course, monkeypatch):
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
    assert all(proc.poll() is not None for proc in started)
    for student in STUDENTS:
        assert (course / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file()
    assert forkserver._servers == {}


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


def test_a_child_leads_its_own_group_and_gets_its_environment(tmp_path):
    # nbgrader reads the configuration of the folder it runs in: this one reports on the child.
    (tmp_path / "nbgrader_config.py").write_text(
        "import os\n"
        "print('SETTING', os.environ.get('SOME_SETTING'), 'LEADER', os.getpgid(0) == os.getpid(),\n"
        "      'CWD', os.getcwd(), flush=True)\n")
    server = forkserver.ForkServer(tmp_path, nbgrader_env(), tmp_path / "forkserver.log")
    try:
        child = server.start(["db", "student", "list"], {"SOME_SETTING": "from-the-request"})
        output = child.stdout.read().decode()
        child.wait()
        assert f"SETTING from-the-request LEADER True CWD {tmp_path}" in output
        assert "0 students" in output  # nbgrader's own output comes through the same pipe
        assert _gone(child.pid)
        # The setting was the child's only: the next one does not inherit it.
        child = server.start(["db", "student", "list"])
        assert "SETTING None LEADER True" in child.stdout.read().decode()
        child.wait()
    finally:
        server.close()
    assert server.proc.poll() is not None  # the server exits when the run closes its end

"""Parallel and distributed grading give the same grades as grading one student at a time.

One small class (three sample students) is graded three ways, each in a fresh course directory:
one job on SQLite (the reference), two jobs on SQLite, and on a real Dask cluster (a ``dask
scheduler`` and two ``dask worker`` processes on localhost, over mutual TLS with certificates from
``mlops-concepts dask-certs``) writing to a real PostgreSQL server.
Every way must give every student exactly the same item scores, feedback for everyone, and exit 0.
Hand grades given between two runs must survive a re-grade (two local jobs; on SQLite and on
PostgreSQL), unflagged. The cluster admits only the grader: a client without a certificate of the
course's authority cannot connect, and the command refuses a ``tcp://`` scheduler unless told to
accept the risk (issue 25, item 8).
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbgrader.api import Gradebook
from test_interrupt import WATCHED, grade_until_ann_has_feedback, processes_left
from test_postgres import postgres  # noqa: F401  (the PostgreSQL server fixture)

from mlops_concepts.class_grading.dask_tls import CA, cert_files, client_security, make_certs
from support import build_samples  # noqa: E402
from support.course import before_first_answer, make_course, nbgrader_env, pids_mentioning, submit

pytestmark = pytest.mark.slow
ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = ["sample-complete", "sample-partial", "sample-wrong"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _grade_command(root: Path, *args: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "mlops_concepts.class_grading.cli",
        "grade",
        ASSIGNMENT,
        "--root",
        str(root),
        *args,
    ]


def _env(db_url: str | None = None) -> dict:
    """The grading command's environment, with the gradebook ``db_url`` (default: the course's)."""
    env = dict(nbgrader_env())
    env.pop("MLOPS_CONCEPTS_DB_URL", None)
    if db_url:
        env["MLOPS_CONCEPTS_DB_URL"] = db_url
    return env


def _grade(root: Path, *args: str, db_url: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        _grade_command(root, *args), capture_output=True, text=True, env=_env(db_url), timeout=1800
    )


def _scores(db_url: str) -> dict[str, dict[str, float]]:
    with Gradebook(db_url) as gb:
        return {
            s: {g.name: g.score for nb in gb.find_submission(ASSIGNMENT, s).notebooks for g in nb.grades}
            for s in STUDENTS
        }


def _reset_postgres(url: str) -> None:
    """An empty gradebook database for the next course (drop every nbgrader table)."""
    from sqlalchemy import MetaData, create_engine

    engine = create_engine(url.replace("postgresql://", "postgresql+psycopg://", 1))
    meta = MetaData()
    meta.reflect(bind=engine)
    meta.drop_all(bind=engine)
    engine.dispose()


class DaskCluster:
    """A real Dask scheduler and two single-threaded workers on localhost, over mutual TLS with
    the certificates ``mlops-concepts dask-certs`` writes (in ``certs``)."""

    def __init__(self, env: dict, logdir: Path):
        self.port = _free_port()
        self.address = f"tls://127.0.0.1:{self.port}"
        self.certs = logdir / "certs"
        made = subprocess.run(
            [sys.executable, "-m", "mlops_concepts.class_grading.cli", "dask-certs", str(self.certs)],
            capture_output=True,
            text=True,
            env=env,
        )
        assert made.returncode == 0, made.stdout + made.stderr
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(self.port),
                    "--protocol",
                    "tls",
                    "--no-dashboard",
                    *self.tls("scheduler"),
                ],
                stdout=open(logdir / "scheduler.log", "wb"),
                stderr=subprocess.STDOUT,
                env=env,
            )
        ]  # noqa: SIM115
        time.sleep(3)
        for i in range(2):
            self.procs.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        "-m",
                        "distributed.cli.dask_worker",
                        self.address,
                        "--nthreads",
                        "1",
                        "--no-nanny",
                        "--no-dashboard",
                        "--name",
                        f"worker-{i}",
                        *self.tls("worker"),
                    ],
                    stdout=open(logdir / f"worker-{i}.log", "wb"),
                    stderr=subprocess.STDOUT,
                    env=env,
                )
            )  # noqa: SIM115
        from distributed import Client

        with Client(self.address, timeout="60s", security=client_security(self.certs)) as client:
            client.wait_for_workers(2, timeout=120)
            self.workers = len(client.scheduler_info()["workers"])

    def tls(self, role: str) -> list[str]:
        cert, key = cert_files(self.certs, role)
        return ["--tls-ca-file", str(self.certs / CA), "--tls-cert", str(cert), "--tls-key", str(key)]

    def grade_args(self) -> tuple[str, ...]:
        return ("--scheduler", self.address, "--dask-certs", str(self.certs))

    def stop(self) -> None:
        for proc in reversed(self.procs):
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    cluster = DaskCluster(nbgrader_env(), tmp_path_factory.mktemp("dask"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="module")
def ways(postgres, dask_cluster, tmp_path_factory):  # noqa: F811
    base = tmp_path_factory.mktemp("parallel")
    out = {}
    for name, args, pg in (
        ("serial", ("--jobs", "1"), False),
        ("two-jobs", ("--jobs", "2"), False),
        ("dask", (), True),
    ):
        db = postgres if pg else None
        if pg:
            _reset_postgres(postgres)
        env = dict(os.environ)
        env.pop("MLOPS_CONCEPTS_DB_URL", None)
        if db:
            os.environ["MLOPS_CONCEPTS_DB_URL"] = db
        try:
            root = make_course(base / name)
        finally:
            os.environ.pop("MLOPS_CONCEPTS_DB_URL", None)
            os.environ.update({k: v for k, v in env.items() if k == "MLOPS_CONCEPTS_DB_URL"})
        for student in STUDENTS:
            submit(root, ASSIGNMENT, student, nbformat.read(build_samples.sample_path(student), as_version=4))
        cluster = dask_cluster if name == "dask" else None
        if cluster:
            args = cluster.grade_args()
        result = _grade(root, *args, db_url=db)
        url = db or f"sqlite:///{root / 'gradebook.db'}"
        out[name] = SimpleNamespace(
            root=root,
            result=result,
            url=url,
            scores=_scores(url),
            workers=cluster.workers if cluster else None,
            worker_pids=[p.pid for p in cluster.procs[1:]] if cluster else [],
        )
    return out


@pytest.mark.parametrize("way", ["serial", "two-jobs", "dask"])
def test_every_way_grades_everyone(ways, way):
    r = ways[way].result
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f"Graded {len(STUDENTS)} of {len(STUDENTS)}" in r.stdout
    for student in STUDENTS:
        feedback = ways[way].root / "feedback" / student / ASSIGNMENT / f"{ASSIGNMENT}.html"
        assert feedback.exists(), (way, student)


@pytest.mark.parametrize("way", ["two-jobs", "dask"])
def test_grades_are_identical_to_one_job(ways, way):
    assert ways[way].scores == ways["serial"].scores


def test_the_reference_grades_are_the_expected_ones(ways):
    totals = {
        s: sum(v for v in items.values() if v is not None) for s, items in ways["serial"].scores.items()
    }
    assert totals == {s: sum(build_samples.EXPECTED[s].values()) for s in STUDENTS}
    assert totals["sample-complete"] > totals["sample-partial"] > totals["sample-wrong"] == 0


def test_the_dask_run_really_used_the_cluster(ways):
    assert ways["dask"].workers == 2
    assert "on the Dask cluster at tls://127.0.0.1:" in ways["dask"].result.stdout
    pids = set()  # each student's unit is a subprocess of the worker that ran it
    for log in (ways["dask"].root / ".grading" / "logs").glob("*.log"):
        pids |= set(
            re.findall(r"^autograde of \S+ in process \d+ \(group \d+, child of (\d+)\)", log.read_text())
        )
    assert len(pids) == 2 and {int(p) for p in pids} <= set(ways["dask"].worker_pids), pids


def test_two_jobs_graded_each_student_in_a_child_of_their_own(ways):
    assert "with 2 job(s)" in ways["two-jobs"].result.stdout
    logs = ways["two-jobs"].root / ".grading" / "logs"
    pids = [re.match(r"autograde of \S+ in process (\d+)", p.read_text()) for p in logs.glob("*.log")]
    assert len(pids) == len(STUDENTS) and all(pids)
    assert len({m.group(1) for m in pids}) == len(pids)


@pytest.mark.parametrize("way", ["serial", "dask"])
def test_a_hand_grade_survives_a_regrade_unflagged_and_is_exported(ways, way):
    w = ways[way]
    with Gradebook(w.url) as gb:
        grade = gb.find_grade("reflection", ASSIGNMENT, ASSIGNMENT, "sample-complete")
        grade.manual_score, grade.needs_manual_grade = 1.5, False
        gb.db.commit()
    # Graded again on this machine with two jobs; the Dask course's gradebook is PostgreSQL.
    again = _grade(w.root, "--jobs", "2", db_url=w.url if way == "dask" else None)
    assert again.returncode == 0, again.stdout[-3000:]
    with Gradebook(w.url) as gb:
        grade = gb.find_grade("reflection", ASSIGNMENT, ASSIGNMENT, "sample-complete")
        assert (grade.manual_score, grade.needs_manual_grade) == (1.5, False)
    assert "reflection to grade by hand" not in next(
        line for line in again.stdout.splitlines() if line.startswith("sample-complete ")
    )
    row = next(line for line in (w.root / "grades.csv").read_text().splitlines() if "sample-complete" in line)
    hand = sum(build_samples.EXPECTED["sample-complete"].values()) + 1.5
    assert f",{hand}," in row, row


def _runs_in(pid: int, root: Path) -> bool:
    try:
        return Path(os.readlink(f"/proc/{pid}/cwd")).is_relative_to(root)
    except OSError:  # gone, or not ours to read
        return False


def test_ctrl_c_stops_the_students_graded_on_workers(dask_cluster, tmp_path):
    """The grading command cannot signal a worker's processes: it leaves a stop request in the
    shared course directory, and each unit kills its nbgrader process (and kernel) on seeing it.
    Without it, slow's nbgrader would sleep on for most of a minute after the command ended."""
    root = make_course(tmp_path / "course", timeout=120)
    complete = nbformat.read(build_samples.sample_path("sample-complete"), as_version=4)
    submit(root, ASSIGNMENT, "ann", complete)
    submit(root, ASSIGNMENT, "slow", before_first_answer(complete, "import time\ntime.sleep(60)\n"))
    before = set(pids_mentioning(*WATCHED))
    proc = grade_until_ann_has_feedback(_grade_command(root, *dask_cluster.grade_args()), root, _env())
    time.sleep(1)  # slow's kernel is into its sleep, on the other worker
    assert set(pids_mentioning(*WATCHED)) - before  # slow's nbgrader and kernel are running
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 130, out
    # Only this run's processes: each unit and its kernel run in the course directory (other
    # gradings on a shared machine come and go meanwhile).
    left = {pid: args for pid, args in processes_left(before).items() if _runs_in(pid, root)}
    assert not left, left
    assert not (root / "autograded" / "slow").exists()
    assert (root / "autograded" / "ann" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb").is_file()


# -- the cluster admits only the grader (issue 25, item 8) ----------------------------------------


_CONNECT = """
import sys
from pathlib import Path
from distributed import Client
from distributed.security import Security
from mlops_concepts.class_grading.dask_tls import client_security
address, certs = sys.argv[1:]
security = {"none": None, "empty": Security()}.get(certs) or client_security(Path(certs))
with Client(address, timeout="10s", security=security) as client:
    assert client.scheduler_info()
"""


def _connects(address: str, certs: str) -> bool:
    """Whether another process (like any on the host) can use the scheduler with ``certs``: a
    certificate folder, "empty" (TLS without a certificate) or "none" (no security at all)."""
    attempt = subprocess.run(
        [sys.executable, "-c", _CONNECT, address, certs], capture_output=True, text=True, timeout=120
    )
    return attempt.returncode == 0


def test_only_a_client_with_a_certificate_of_the_course_ca_connects(dask_cluster, tmp_path):
    assert _connects(dask_cluster.address, str(dask_cluster.certs))  # the grader
    assert not _connects(dask_cluster.address, "empty")  # no certificate at all
    make_certs(tmp_path / "other")  # a certificate of another authority
    assert not _connects(dask_cluster.address, str(tmp_path / "other"))
    assert not _connects(dask_cluster.address.replace("tls://", "tcp://"), "none")  # plain TCP


def test_a_tls_handshake_without_a_client_certificate_fails(dask_cluster):
    """Below Dask: the scheduler's TLS asks every peer for a certificate (mutual TLS)."""
    import ssl

    context = ssl.create_default_context(cafile=str(dask_cluster.certs / CA))
    context.check_hostname = False
    with socket.create_connection(("127.0.0.1", dask_cluster.port), timeout=10) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            with context.wrap_socket(raw) as tls:
                tls.sendall(b"\0" * 16)
                if not tls.recv(16):  # closed without a word: refused too
                    raise ConnectionResetError("closed")


def test_a_tcp_scheduler_is_refused_unless_the_risk_is_accepted(tmp_path):
    root = tmp_path / "course"
    root.mkdir()
    (root / "nbgrader_config.py").write_text("")
    refused = _grade(root, "--scheduler", f"tcp://127.0.0.1:{_free_port()}")
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "refusing the unencrypted tcp:// scheduler" in refused.stderr
    assert "--insecure-scheduler" in refused.stderr
    accepted = _grade(root, "--scheduler", f"tcp://127.0.0.1:{_free_port()}", "--insecure-scheduler")
    assert "refusing" not in accepted.stdout + accepted.stderr
    assert "WARNING: grading on an unencrypted Dask scheduler" in accepted.stdout

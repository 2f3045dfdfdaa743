"""The gradebook on a real PostgreSQL server: ``MLOPS_CONCEPTS_DB_URL`` switches it from SQLite."""

import os
import shutil
import socket
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from support.course import grade_all, make_course, submit

pytestmark = pytest.mark.slow

from support import build_samples  # noqa: E402

PG_BIN = Path("/usr/lib/postgresql")


def _bin(name: str) -> str:
    found = sorted(PG_BIN.glob(f"*/bin/{name}")) if PG_BIN.is_dir() else []
    return str(found[-1]) if found else (shutil.which(name) or "")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def postgres(tmp_path_factory):
    """A private PostgreSQL cluster on a Unix socket, started for these tests and stopped after."""
    if not _bin("initdb"):
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries are missing (apt-get install postgresql)")
        pytest.skip("PostgreSQL server binaries are not installed")
    base = tmp_path_factory.mktemp("pg")
    data, sock = base / "data", base / "sock"
    sock.mkdir()
    prefix = []
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root: use its own system user
        shutil.chown(base, "postgres")
        shutil.chown(sock, "postgres")
        base.chmod(0o755)
        for parent in base.parents:
            if parent.is_dir():
                parent.chmod(parent.stat().st_mode | 0o011)  # traversable, not readable
        prefix = ["runuser", "-u", "postgres", "--"]
    port = _free_port()
    subprocess.run(
        [*prefix, _bin("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust"],
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [
            *prefix,
            _bin("pg_ctl"),
            "-D",
            str(data),
            "-w",
            "-l",
            str(base / "log"),
            "-o",
            f"-k {sock} -p {port} -c listen_addresses=''",
            "start",
        ],
        check=True,
        capture_output=True,
    )
    try:
        subprocess.run(
            [*prefix, _bin("createdb"), "-h", str(sock), "-p", str(port), "-U", "postgres", "gradebook"],
            check=True,
            capture_output=True,
        )
        yield f"postgresql://postgres@/gradebook?host={sock}&port={port}"
    finally:
        subprocess.run(
            [*prefix, _bin("pg_ctl"), "-D", str(data), "-m", "immediate", "stop"], capture_output=True
        )


def test_grading_writes_the_gradebook_to_postgresql(postgres, tmp_path, monkeypatch):
    monkeypatch.setenv("MLOPS_CONCEPTS_DB_URL", postgres)
    root = make_course(tmp_path / "course")
    assignment = build_samples.ASSIGNMENT
    for student in ("sample-complete", "sample-partial"):
        submit(root, assignment, student, nbformat.read(build_samples.sample_path(student), as_version=4))
    started = time.perf_counter()
    result = grade_all(root, assignment)
    assert result.returncode == 0 and "Graded 2 of 2" in result.stdout, result.stdout + result.stderr
    assert time.perf_counter() - started > 0
    assert not (root / "gradebook.db").exists(), "SQLite was used instead of PostgreSQL"
    with Gradebook(postgres) as gb:
        scores = {s: gb.find_submission(assignment, s).score for s in ("sample-complete", "sample-partial")}
    expected = {s: sum(build_samples.EXPECTED[s].values()) for s in ("sample-complete", "sample-partial")}
    assert scores == expected

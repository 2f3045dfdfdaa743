"""Distributed grading admits only the grader (issue 25, item 8): what is checked before any
connection. The real TLS cluster (scheduler and workers over mutual TLS, a class graded through
it, clients without the course's certificate refused) is in ``tests/integration/test_parallel.py``.
"""

from __future__ import annotations

import stat
import subprocess
from pathlib import Path

import pytest

from mlops_concepts.class_grading.cli import main
from mlops_concepts.class_grading.dask_tls import (
    CA,
    SchedulerRefused,
    cert_files,
    check_scheduler,
    make_certs,
)

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("address", ["tcp://127.0.0.1:8786", "127.0.0.1:8786", "TCP://host:1", "ws://h:1"])
def test_an_unencrypted_scheduler_is_refused_even_on_the_loopback(address):
    with pytest.raises(SchedulerRefused, match="--insecure-scheduler"):
        check_scheduler(address, None, insecure=False)
    check_scheduler(address, None, insecure=True)  # the instructor accepted the risk


def test_a_tls_scheduler_needs_the_graders_certificate(tmp_path):
    with pytest.raises(SchedulerRefused, match="--dask-certs"):
        check_scheduler("tls://host:8786", None, insecure=True)
    (tmp_path / CA).write_text("x")
    with pytest.raises(SchedulerRefused, match="missing client.pem, client-key.pem"):
        check_scheduler("tls://host:8786", tmp_path, insecure=False)


def test_the_grade_command_refuses_a_tcp_scheduler_before_doing_anything(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["grade", "--root", str(REPO), "--scheduler", "tcp://127.0.0.1:9"])
    assert exit_.value.code == 2
    assert "refusing the unencrypted tcp:// scheduler" in capsys.readouterr().err


def test_dask_certs_writes_a_ca_and_three_certificates_only_the_owner_can_read(tmp_path):
    folder = tmp_path / "certs"
    assert main(["dask-certs", str(folder)]) == 0
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    for role in ("scheduler", "worker", "client"):
        cert, key = cert_files(folder, role)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        verified = subprocess.run(
            ["openssl", "verify", "-CAfile", str(folder / CA), "-purpose", "sslclient", str(cert)],
            capture_output=True,
            text=True,
        )
        assert verified.returncode == 0, verified.stderr
    assert main(["dask-certs", str(folder)]) == 2  # nothing is overwritten
    with pytest.raises(FileExistsError):
        make_certs(folder)

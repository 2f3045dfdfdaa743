"""Distributed grading admits only the grader: mutual TLS between client, scheduler and workers.

Whoever can talk to a Dask scheduler can run code on its workers, with the workers' rights and
outside any sandbox: next to the course's keys, the gradebook and every submission. A plain
``tcp://`` scheduler checks nobody, and on a JupyterHub host every student can reach even the
loopback. So ``mlops-concepts grade --scheduler`` takes a ``tls://`` address, and connects with
a client certificate signed by the course's own certificate authority (``--dask-certs DIR``).
The scheduler and workers, started with their own certificates of that authority (``--tls-*``
options, see ``docs/security/labs-and-dask.md``), require one from every peer (Dask's TLS is
mutual: ``ssl.CERT_REQUIRED`` both ways), so a process without a certificate of the course's
authority cannot connect at all. A ``tcp://`` address is refused unless the instructor accepts
the risk explicitly (``--insecure-scheduler``).

:func:`make_certs` writes the authority and the three certificates with the ``openssl`` command
(Debian's ``openssl`` package; no Python dependency).

This module imports only the standard library; ``distributed`` is imported when a client is made.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

CA, CA_KEY = "ca.pem", "ca-key.pem"
ROLES = ("scheduler", "worker", "client")
DAYS = 365
_INSECURE_FLAG = "--insecure-scheduler"


class SchedulerRefused(ValueError):
    """A scheduler address or certificate folder the grading command will not use; says why."""


def cert_files(folder: Path, role: str) -> tuple[Path, Path]:
    """(certificate, private key) of ``role`` in a folder :func:`make_certs` wrote."""
    return folder / f"{role}.pem", folder / f"{role}-key.pem"


def scheme(address: str) -> str:
    """The protocol of a Dask address; Dask reads an address without one as ``tcp``."""
    return address.split("://", 1)[0].lower() if "://" in address else "tcp"


def check_scheduler(address: str, certs: Path | None, insecure: bool) -> None:
    """Refuse a scheduler that would admit anyone, or TLS without the client's certificate."""
    if scheme(address) == "tls":
        if certs is None:
            raise SchedulerRefused(
                "a tls:// scheduler needs the grader's certificate: --dask-certs DIR (the folder "
                "`mlops-concepts dask-certs DIR` wrote, or one holding ca.pem, client.pem and "
                "client-key.pem)"
            )
        missing = [p.name for p in (certs / CA, *cert_files(certs, "client")) if not p.is_file()]
        if missing:
            raise SchedulerRefused(f"--dask-certs {certs}: missing {', '.join(missing)}")
        return
    if not insecure:
        raise SchedulerRefused(
            f"refusing the unencrypted {scheme(address)}:// scheduler: any process that can reach "
            "it (on a shared host, every student, even on 127.0.0.1) runs code on the workers "
            "with your rights, outside the sandbox. Use a tls:// scheduler with certificates "
            f"(mlops-concepts dask-certs DIR; see docs/security/labs-and-dask.md), or pass "
            f"{_INSECURE_FLAG} if every user who can reach it is trusted."
        )


def client_security(certs: Path | None):
    """The client side of mutual TLS (None: an insecure scheduler the instructor accepted)."""
    if certs is None:
        return None
    from distributed.security import Security

    cert, key = cert_files(certs, "client")
    return Security(
        tls_ca_file=str(certs / CA),
        tls_client_cert=str(cert),
        tls_client_key=str(key),
        require_encryption=True,
    )


def _openssl(*args: str, cwd: Path) -> None:
    result = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"openssl {args[0]} failed: {result.stderr.strip()[-500:]}")


def make_certs(folder: Path, days: int = DAYS) -> list[Path]:
    """Write a certificate authority and a scheduler, worker and client certificate it signed.

    Keys are EC P-256, readable by their owner only (the folder too). Nothing is overwritten:
    a folder that already holds any of the files is refused. Returns the files written.
    """
    if shutil.which("openssl") is None:
        raise RuntimeError("the openssl command is not installed (Debian: apt-get install openssl)")
    names = [CA, CA_KEY] + [p.name for role in ROLES for p in cert_files(folder, role)]
    present = [n for n in names if (folder / n).exists()]
    if present:
        raise FileExistsError(f"{folder} already holds {', '.join(present)}: choose an empty folder")
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o700)
    old_umask = os.umask(0o077)  # keys are never readable by others, not even for a moment
    try:
        with tempfile.TemporaryDirectory(dir=folder) as scratch:
            work = Path(scratch)
            key = ("-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes")
            _openssl(
                "req", "-x509", *key, "-keyout", str(folder / CA_KEY), "-out", str(folder / CA),
                "-days", str(days), "-subj", "/CN=mlops-concepts grading CA",
                "-addext", "basicConstraints=critical,CA:TRUE",
                "-addext", "keyUsage=critical,keyCertSign,cRLSign",
                cwd=work,
            )  # fmt: skip
            (work / "leaf.ext").write_text(
                "basicConstraints=critical,CA:FALSE\n"
                "keyUsage=critical,digitalSignature,keyAgreement\n"
                "extendedKeyUsage=serverAuth,clientAuth\n"  # a worker both listens and connects
            )
            for role in ROLES:
                cert, role_key = cert_files(folder, role)
                _openssl(
                    "req", "-new", *key, "-keyout", str(role_key), "-out", "leaf.csr",
                    "-subj", f"/CN=mlops-concepts {role}", cwd=work,
                )  # fmt: skip
                _openssl(
                    "x509", "-req", "-in", "leaf.csr", "-CA", str(folder / CA),
                    "-CAkey", str(folder / CA_KEY), "-set_serial", str(int.from_bytes(os.urandom(8), "big")),
                    "-days", str(days), "-extfile", "leaf.ext", "-out", str(cert), cwd=work,
                )  # fmt: skip
    finally:
        os.umask(old_umask)
    return [folder / n for n in names]

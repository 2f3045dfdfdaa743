"""Run one nbgrader command in a course directory, its output kept in a log file, never in memory."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from pathlib import Path

from .layout import LOGS

LOG_TAIL_BYTES = 64 * 1024


def nbgrader_env() -> dict:
    """Environment for nbgrader processes: it runs ``alembic`` by name, so our venv goes on PATH.

    A course configuration (``nbgrader_config.py``) that raises makes them stop. traitlets
    would only log the error and let nbgrader go on with its defaults: student code unsandboxed
    on this machine, full marks for every test cell that does not raise, keys unsealed.
    """
    bindir = str(Path(sys.executable).parent)
    return dict(
        os.environ,
        PATH=os.pathsep.join([bindir, os.environ.get("PATH", "")]),
        PYTHONWARNINGS="ignore",
        TRAITLETS_APPLICATION_RAISE_CONFIG_FILE_ERROR="1",
    )


def nbgrader(
    root: Path, *args: str, timeout: float | None = None, log: Path | None = None, env: dict | None = None
):
    """Run ``nbgrader ARGS`` in ``root``; its output goes straight to ``log``.

    Returns a CompletedProcess whose ``stdout`` is the last part of the log, enough to say why a
    run failed. On timeout the whole process group is killed, kernels included, and
    :class:`subprocess.TimeoutExpired` is raised. ``env`` is added to nbgrader's environment.
    """
    if log is None:
        log = root / LOGS / "nbgrader.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "nbgrader", *args]
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            cmd,
            cwd=root,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=dict(nbgrader_env(), **(env or {})),
            start_new_session=True,
        )
        try:
            code = proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            raise
    with open(log, "rb") as f:
        f.seek(max(0, log.stat().st_size - LOG_TAIL_BYTES))
        tail = f.read().decode("utf-8", errors="replace")
    return subprocess.CompletedProcess(cmd, code, tail, "")


def last_error(log: str) -> str:
    """The most telling error line of an nbgrader log: the exception itself, not the boilerplate."""
    lines = log.splitlines()
    for line in reversed(lines):
        match = re.search(r"\b(\w+(?:Error|Exception|Unavailable)): (.+)", line)
        if match:
            return f"{match.group(1)}: {match.group(2).strip()}"[:400]
    boiler = ("Please see", "There was an error processing")
    errors = [ln for ln in lines if "ERROR" in ln and not any(b in ln for b in boiler)]
    return errors[-1].strip()[:400] if errors else "nbgrader failed (see the log)"

"""Run one nbgrader command in a course directory, its output kept in a log file, never in memory."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from .forkserver import nbgrader_env
from .layout import LOGS

LOG_TAIL_BYTES = 64 * 1024


def nbgrader(root: Path, *args: str, timeout: float | None = None, log: Path | None = None):
    """Run ``nbgrader ARGS`` in ``root``; its output goes straight to ``log``.

    Returns a CompletedProcess whose ``stdout`` is the last part of the log, enough to say why a
    run failed. On timeout the whole process group is killed, kernels included, and
    :class:`subprocess.TimeoutExpired` is raised.
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
            env=nbgrader_env(),
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

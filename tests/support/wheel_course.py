"""The course package as an instructor installs it: a wheel, non-editable, in a fresh venv.

Nothing here may reach the repository: commands run from the venv's ``bin/``, in folders outside
the repository, with an environment that names neither the repository nor the test's own venv.
"""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from support.course import REPO


@dataclass(frozen=True)
class WheelVenv:
    prefix: Path
    cache: Path  # the preflight's cache: the test's own, not the user's

    @property
    def bin(self) -> Path:
        return self.prefix / "bin"

    def env(self) -> dict:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("MLOPS_CONCEPTS_", "PYTHON", "JUPYTER", "VIRTUAL_ENV"))
        }
        env["PATH"] = os.pathsep.join([str(self.bin), "/usr/local/bin", "/usr/bin", "/bin"])
        env["MLOPS_CONCEPTS_CACHE"] = str(self.cache)
        return env

    def run(self, *args: str, cwd: Path, timeout: float = 900, shell: bool = False):
        """``args`` as typed in a shell whose PATH starts with the venv (``mlops-concepts``,
        ``nbgrader`` and ``python`` are the venv's); ``shell=True`` runs ``args[0]`` with bash."""
        cmd = ["bash", "-euo", "pipefail", "-c", args[0]] if shell else list(args)
        return subprocess.run(
            cmd, cwd=cwd, env=self.env(), capture_output=True, text=True, timeout=timeout, check=False
        )


def build(folder: Path) -> WheelVenv:
    """Build the wheel from this checkout and install it, with the locked dependencies, into a
    fresh venv under ``folder`` (about two minutes: every dependency is installed)."""
    wheels = folder / "wheels"
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(wheels), str(REPO)],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    (wheel,) = wheels.glob("mlops_concepts-*.whl")
    prefix = folder / "venv"
    base = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base, "-m", "venv", str(prefix)], check=True, capture_output=True)
    # --no-compile: pip would byte-compile every module of every dependency (a third of the
    # install's time); Python compiles the few that the tests import when they import them.
    subprocess.run(
        [
            *(prefix / "bin" / "python", "-m", "pip", "install", "-q", "--no-compile"),
            *("-c", REPO / "constraints.txt", wheel),
        ],
        check=True,
        capture_output=True,
        cwd=folder,
    )
    return WheelVenv(prefix, folder / "cache")

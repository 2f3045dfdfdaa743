"""A clone-like copy of the repository, as a new user has it after `make`, and a fresh shell.

The copy holds the files git would have after a commit (tracked, and new files not ignored) and a
``.venv`` linked to the repository's, so ``make`` targets run there as in a fresh clone without
ever installing into the shared venv.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from support.classroom import REPO, clean_env


def pasted_env(home: Path) -> dict[str, str]:
    """A fresh shell's environment: no venv on PATH, no VIRTUAL_ENV, no course variables."""
    env = clean_env(HOME=str(home))
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)

    def is_venv_bin(entry: str) -> bool:
        return bool(entry) and (Path(entry) / ".." / "pyvenv.cfg").exists()

    env["PATH"] = os.pathsep.join(p for p in env["PATH"].split(os.pathsep) if not is_venv_bin(p))
    return env


def clone_like(dest: Path, venv: bool = True) -> Path:
    """The repository's files as git has them (tracked, and new files not ignored), and ``.venv``.

    ``.venv`` is a folder of links to the repository's venv, plus the stamp ``make`` writes when
    it has installed pyproject.toml, so ``make`` targets use the venv as it is and never install
    into it (the test stops if ``make`` would). ``venv=False``: no ``.venv``, as a fresh clone.
    """
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=REPO,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():  # deleted in the working tree: not there after a commit either
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    if not venv:
        return dest
    venv = dest / ".venv"
    venv.mkdir()
    for entry in (REPO / ".venv").iterdir():
        if not entry.name.startswith(".installed-"):
            (venv / entry.name).symlink_to(entry)
    cksum = subprocess.run(  # as the Makefile names its stamp
        "cat pyproject.toml constraints.txt | cksum | cut -d' ' -f1",
        shell=True,
        cwd=dest,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    stamp = venv / f".installed-{cksum}"
    stamp.touch()
    later = max((dest / name).stat().st_mtime for name in ("pyproject.toml", "constraints.txt")) + 10
    os.utime(stamp, (later, later))
    dry = subprocess.run(["make", "-n", "release"], cwd=dest, capture_output=True, text=True)
    assert "pip install" not in dry.stdout, "make would reinstall the shared venv:\n" + dry.stdout
    return dest

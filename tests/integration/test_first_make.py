"""The first `make` in a fresh clone: it shows progress, and no setuptools "!!" banner.

A real first run: a clone-like copy without ``.venv``, ``make`` creating the venv and installing
the course's packages from constraints.txt (pip's cache and index as the machine has them). Its
output must show what is happening while pip works (etc/make/install_progress.py), and must not
carry setuptools' "Please be careful with folders in your working directory" banner, which an
editable install of a flat layout printed until pyproject.toml named its package-dir.

Run:  .venv/bin/pytest tests/integration/test_first_make.py -q    (one to three minutes)
"""

from __future__ import annotations

import re
import subprocess
import time

import pytest

from support.classroom import show
from support.clone import clone_like, pasted_env

pytestmark = [pytest.mark.slow]


@pytest.fixture(scope="module")
def first_make(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("first-make")
    repo = clone_like(tmp / "mlops-concepts", venv=False)
    home = tmp / "home"
    home.mkdir()
    env = pasted_env(home)
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    start = time.monotonic()
    done = subprocess.run(
        ["make", ".venv/etc/jupyter/jupyter_config.py"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=1200,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, show(done)
    return repo, done, time.monotonic() - start


def test_the_first_make_shows_its_progress(first_make):
    _, done, _ = first_make
    out = done.stdout
    steps = [
        r"^Creating \.venv",
        r"^  resolving and downloading packages: 25$",
        r"^  installing \d+ packages",
        r"^  done: ",
    ]
    found = [re.search(step, out, re.M) for step in steps]
    assert all(found), show(done)
    assert [m.start() for m in found] == sorted(m.start() for m in found), out


def test_the_first_make_prints_no_setuptools_banner(first_make):
    _, done, _ = first_make
    both = done.stdout + done.stderr
    assert "!!" not in both and "Please be careful" not in both, show(done)


def test_the_course_package_imports_from_the_clone(first_make, tmp_path):
    repo, _, _ = first_make
    done = subprocess.run(
        [
            str(repo / ".venv" / "bin" / "python"),
            "-c",
            "import mlops_concepts; print(mlops_concepts.__file__)",
        ],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, show(done)
    assert done.stdout.strip() == str(repo / "mlops_concepts" / "__init__.py")

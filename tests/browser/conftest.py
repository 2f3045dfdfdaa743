"""Fixtures for the browser smoke test: a hermetic JupyterLab server and a headless chromium page.

The server runs the venv's own ``jupyter lab`` on 127.0.0.1 with a random free port and a random
token. Everything it writes (root dir, runtime dir, config, user settings, workspaces, IPython
profile) lives in one temporary folder, removed at teardown.

Environment variables:

``MLOPS_BROWSER_COURSE_DIR``
    folder copied into the server's root dir under its own name (default: ``<repo>/release``).
``MLOPS_BROWSER_NOTEBOOK``
    the one notebook to open, relative to the server's root dir (default: every chapter's
    ``release/<id>/<id>.ipynb``, each in turn: the student-side tests run once per chapter).
``MLOPS_BROWSER_SCREENSHOTS``
    where the screenshots go (default: a temporary folder, so tests never rewrite tracked files;
    `make screenshots` sets it to ``docs/screenshots``; a chapter's in ``<id>/``).
``CHROMIUM``
    the browser binary (default: ``/usr/bin/chromium``, Debian's package ``chromium``).
``CI``
    when ``true``, a missing browser or notebook fails the run instead of skipping it.
``MLOPS_BROWSER_KEEP_LOG``
    when set, the JupyterLab server's log is printed at teardown.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.course import pids_mentioning
from support.screens import screenshot_dir

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: its jupyter and the kernel's python

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",  # we run as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-dev-shm-usage",
]
SERVER_START_TIMEOUT = 60  # seconds

# User settings for JupyterLab: written as <settings dir>/<package>/<plugin>.jupyterlab-settings.
LAB_SETTINGS = {
    "@jupyterlab/notebook-extension/tracker": {
        "windowingMode": "none",  # render every cell, so that off-screen cells exist in the DOM
        "autoStartDefaultKernel": True,  # no kernel-selection dialog
    },
    "@jupyterlab/apputils-extension/notification": {
        "fetchNews": "false",  # no "receive official Jupyter news?" toast
        "checkForUpdates": False,
    },
    "@jupyterlab/docmanager-extension/plugin": {"autosave": False},
}


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def skip_or_fail(reason: str) -> None:
    """Skip on a developer's machine; fail under CI, where the test must run."""
    if in_ci():
        pytest.fail(f"{reason} (CI is set, so this fails instead of skipping)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def course_dir() -> Path:
    return Path(os.environ.get("MLOPS_BROWSER_COURSE_DIR", REPO / "release")).resolve()


def notebook_relpaths() -> list[str]:
    """The notebooks the student-side tests open: one, or every chapter's release."""
    if os.environ.get("MLOPS_BROWSER_NOTEBOOK"):
        return [os.environ["MLOPS_BROWSER_NOTEBOOK"]]
    return [
        f"release/{p.parent.name}/{p.name}"
        for p in sorted((REPO / "release").glob("*/*.ipynb"))
        if p.stem == p.parent.name
    ]


def _status_ok(base_url: str, token: str) -> bool:
    req = urllib.request.Request(f"{base_url}api/status", headers={"Authorization": f"token {token}"})
    try:
        with urllib.request.urlopen(req, timeout=2) as resp:
            return resp.status == 200 and "started" in json.loads(resp.read())
    except (OSError, ValueError, urllib.error.URLError):
        return False


def _stop_server(proc: subprocess.Popen, base_url: str, token: str, runtime_dir: Path) -> None:
    # 1. Ask politely: the server shuts its kernels down, then exits.
    req = urllib.request.Request(
        f"{base_url}api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
    )
    try:
        urllib.request.urlopen(req, timeout=5).close()
    except (OSError, urllib.error.URLError):
        pass
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        # 2. Its own process group (started with start_new_session) gets SIGTERM, then SIGKILL.
        for sig, wait in ((signal.SIGTERM, 10), (signal.SIGKILL, 5)):
            try:
                os.killpg(proc.pid, sig)
            except ProcessLookupError:
                break
            try:
                proc.wait(timeout=wait)
                break
            except subprocess.TimeoutExpired:
                continue
    # 3. Kernels run in sessions of their own; any left over still name our runtime dir.
    for pid in pids_mentioning(str(runtime_dir)):  # kernels get our runtime dir in theirs
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass


@contextlib.contextmanager
def running_lab(root: Path, cwd: Path | None = None, student: bool = False):
    """Run the venv's ``jupyter lab`` on ``root`` (started in ``cwd``, default ``root``).

    Yields ``(base_url, token)``. nbgrader's Formgrader reads ``nbgrader_config.py`` from the
    server's working directory, so a course served from inside ``root`` is passed as ``cwd``.
    ``student``: JupyterLab as ``make lab`` and Binder give it to students (``etc/student-lab``:
    no Formgrader, no Create Assignment, no course list).
    """
    jupyter = BIN / "jupyter"
    if not jupyter.exists():
        pytest.fail(f"{jupyter} not found: run the tests with the venv's python", pytrace=False)

    tmp = Path(tempfile.mkdtemp(prefix="mlops-lab-state-"))
    dirs = {name: tmp / name for name in ("runtime", "config", "data", "settings", "workspaces", "ipython")}
    for d in dirs.values():
        d.mkdir()
    for plugin, values in LAB_SETTINGS.items():
        path = dirs["settings"] / f"{plugin}.jupyterlab-settings"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values, indent=2))

    env = dict(os.environ)
    env.update(
        JUPYTER_RUNTIME_DIR=str(dirs["runtime"]),
        JUPYTER_CONFIG_DIR=str(dirs["config"]),
        JUPYTER_DATA_DIR=str(dirs["data"]),
        JUPYTERLAB_SETTINGS_DIR=str(dirs["settings"]),
        JUPYTERLAB_WORKSPACES_DIR=str(dirs["workspaces"]),
        IPYTHONDIR=str(dirs["ipython"]),
        JUPYTER_PLATFORM_DIRS="0",
        PYTHONUNBUFFERED="1",
        MPLBACKEND="module://matplotlib_inline.backend_inline",
    )
    env.pop("JUPYTER_PATH", None)
    env.pop("JUPYTER_CONFIG_PATH", None)
    if student:
        env["JUPYTER_CONFIG_PATH"] = str(REPO / "etc" / "student-lab")
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"

    port = free_port()
    token = secrets.token_hex(16)
    base_url = f"http://127.0.0.1:{port}/"
    log_path = tmp / "server.log"
    cmd = [
        str(jupyter), "lab",
        "--no-browser",
        "--ip=127.0.0.1",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        "--ServerApp.open_browser=False",
        "--LabApp.news_url=",
        "--ServerApp.shutdown_no_activity_timeout=600",  # a leaked server still dies by itself
        "--MappingKernelManager.cull_idle_timeout=600",
    ]  # fmt: skip
    if os.geteuid() == 0:
        cmd.append("--allow-root")  # CI and these machines run as root
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            cmd,
            cwd=cwd or root,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while not _status_ok(base_url, token):
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited with {proc.returncode}:\n{log_path.read_text()}")
            if time.monotonic() > deadline:
                pytest.fail(f"jupyter lab did not answer in {SERVER_START_TIMEOUT}s:\n"
                            f"{log_path.read_text()}")  # fmt: skip
            time.sleep(0.25)
        yield base_url, token
    finally:
        _stop_server(proc, base_url, token, dirs["runtime"])
        if os.environ.get("MLOPS_BROWSER_KEEP_LOG"):
            print(f"\n--- jupyter lab log ---\n{log_path.read_text(errors='replace')}")
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_server():
    """A JupyterLab server on a copy of the course folder: yields (base_url, token, root)."""
    src = course_dir()
    if not src.is_dir():
        skip_or_fail(f"course folder {src} does not exist (set MLOPS_BROWSER_COURSE_DIR)")
    tmp = Path(tempfile.mkdtemp(prefix="mlops-lab-"))
    root = tmp / "root"
    root.mkdir()
    shutil.copytree(src, root / src.name)
    try:
        with running_lab(root, student=True) as (base_url, token):
            yield base_url, token, root
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@pytest.fixture(scope="session")
def lab_launcher():
    """``running_lab`` for tests that serve a folder of their own (tests import nothing from here)."""
    return running_lab


@pytest.fixture(scope="session")
def lab_target():
    """Where the tests write, and how they give up (tests import nothing from this conftest)."""
    return SimpleNamespace(screenshots=screenshot_dir(), skip_or_fail=skip_or_fail)


@pytest.fixture(scope="session", params=notebook_relpaths(), ids=lambda rel: Path(rel).stem)
def chapter_target(request):
    """One chapter's notebook to open and the folder for its screenshots: the tests that use it
    run once per chapter."""
    rel = request.param
    return SimpleNamespace(
        notebook=rel, screenshots=screenshot_dir() / Path(rel).stem, skip_or_fail=skip_or_fail
    )


@pytest.fixture(scope="session")
def browser(chromium_browser):
    """Debian's headless chromium (the session's one Playwright: see tests/conftest.py)."""
    return chromium_browser


@pytest.fixture(scope="module")
def page(browser):
    """A fresh 1280x900 page; console errors are kept on ``page.console_errors``."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.console_errors = []
    pg.on("console", lambda m: m.type == "error" and pg.console_errors.append(m.text))
    pg.on("pageerror", lambda e: pg.console_errors.append(f"pageerror: {e}"))
    try:
        yield pg
    finally:
        context.close()

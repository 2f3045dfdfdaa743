"""A real JupyterHub for the tests: the course installed from its wheel, the hub, and logging in.

* :func:`install_course_env` builds this repository's wheel and installs it, with JupyterHub, into
  a new venv every user can read and run (the hub's users are other Unix users: they cannot enter
  ``/root``, where a pyenv Python lives, nor should they import a private clone). The venv is made
  from the system's Python, the packages pinned by ``constraints.txt`` (but for a pin that Python
  cannot run: see :func:`_constraints_for`).
* :func:`running_hub` runs ``jupyterhub`` as root with ``etc/jupyterhub/jupyterhub_config.py`` (the
  file docs/deploy.md gives administrators), changing only what a test must: a shared test
  password instead of PAM (the test users have no Unix password) and free ports on 127.0.0.1.
* :func:`log_in` logs a user in through the hub's login page, in chromium, and waits for their
  own JupyterLab; :func:`open_assignments` opens nbgrader's Assignments tab in it.
"""

from __future__ import annotations

import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace

import pytest
from packaging.specifiers import SpecifierSet

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "etc" / "jupyterhub" / "jupyterhub_config.py"
NBGRADER_CONFIG = REPO / "etc" / "jupyterhub" / "nbgrader_config.py"
PROXY = REPO / "node_modules" / ".bin" / "configurable-http-proxy"  # `make test` installs it
START_TIMEOUT = 120  # seconds: the hub, and each user's first server on 2 busy cores


def _ok(done: subprocess.CompletedProcess, what: str) -> None:
    if done.returncode != 0:
        pytest.fail(f"{what} failed ({done.returncode}):\n{done.stdout[-4000:]}\n{done.stderr[-4000:]}")


def _constraints_for(python: str) -> str:
    """constraints.txt without the pins ``python`` cannot run: Debian 12's Python is 3.11.2, and the
    locked soupsieve needs 3.11.5 (installed anyway, it breaks the Formgrader's submission page).
    pip then picks the newest release that runs there, within pyproject.toml's ranges."""
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    kept = []
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name = line.split("==")[0]
            try:
                needs = metadata.metadata(name).get("Requires-Python")
            except metadata.PackageNotFoundError:
                needs = None
            if needs and not SpecifierSet(needs).contains(version):
                continue
        kept.append(line)
    return "\n".join(kept) + "\n"


def install_course_env(dest: Path) -> Path:
    """A venv at ``dest`` (mode 0755) with the course's wheel and JupyterHub; returns its bin."""
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(f"python{version}", path="/usr/bin:/usr/local/bin:/bin")
    if not system:
        pytest.fail(f"no system python{version} to make a venv every user can run")
    dist = dest.parent / "dist"
    pip = [sys.executable, "-m", "pip"]
    _ok(
        subprocess.run(
            [*pip, "wheel", "--quiet", "--no-deps", "--no-build-isolation", "-w", dist, REPO],
            capture_output=True,
            text=True,
        ),
        "building the course's wheel",
    )
    (wheel,) = dist.glob("mlops_concepts-*.whl")
    _ok(subprocess.run([system, "-m", "venv", "--without-pip", dest], capture_output=True, text=True), "venv")
    constraints = dest.parent / "constraints.txt"
    constraints.write_text(_constraints_for(system))
    # This venv's pip installs into the new one (--python): Debian's venv has an older pip.
    _ok(
        subprocess.run(
            [*pip, "--python", dest / "bin" / "python", "install", "--quiet", "-c", constraints, wheel,
             "jupyterhub"],
            capture_output=True,
            text=True,
        ),
        "installing the wheel",
    )  # fmt: skip
    # What the administrator installs beside it: every user's course id and exchange.
    target = dest / "etc" / "jupyter" / "nbgrader_config.py"
    shutil.copy(NBGRADER_CONFIG, target)
    for path in [dest, *dest.rglob("*")]:  # umask-proof: readable by every user
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | 0o444 | (0o111 if path.is_dir() else 0))
    return dest / "bin"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as resp:
            return resp.status == 200
    except OSError:
        return False


def _pids_of(uids: set[int]) -> list[int]:
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if entry.stat().st_uid in uids:
                    pids.append(int(entry.name))
            except OSError:
                continue
    return pids


@contextlib.contextmanager
def running_hub(bin_dir: Path, state: Path, instructors, students, exchange: Path, users_uids: set[int]):
    """JupyterHub on a free port of 127.0.0.1, run from ``bin_dir``; yields its URL and passwords.

    At the end the hub stops every user's server (its default on shutdown); any process of the
    test's users still running then (a kernel that ignored the signal) is killed by its pid.
    """
    if not PROXY.exists():
        pytest.fail(f"{PROXY} is missing: `make test` installs configurable-http-proxy with npm")
    state.mkdir(mode=0o700)
    port, hub_port, api_port = _free_port(), _free_port(), _free_port()
    passwords = SimpleNamespace(student=secrets.token_hex(16), instructor=secrets.token_hex(16))
    config = state / "test_config.py"
    config.write_text(
        "c = get_config()  # noqa: F821\n"
        f"load_subconfig({str(CONFIG)!r})  # noqa: F821\n"
        "# The test's users have no Unix password: a shared one per role instead of PAM.\n"
        "c.JupyterHub.authenticator_class = 'shared-password'\n"
        f"c.SharedPasswordAuthenticator.user_password = {passwords.student!r}\n"
        f"c.SharedPasswordAuthenticator.admin_password = {passwords.instructor!r}\n"
        f"c.JupyterHub.bind_url = 'http://127.0.0.1:{port}'\n"
        f"c.JupyterHub.hub_bind_url = 'http://127.0.0.1:{hub_port}'\n"
        f"c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:{api_port}'\n"
        f"c.ConfigurableHTTPProxy.command = [{str(PROXY)!r}]\n"
        f"c.JupyterHub.db_url = 'sqlite:///{state}/jupyterhub.sqlite'\n"
        f"c.JupyterHub.cookie_secret_file = '{state}/jupyterhub_cookie_secret'\n"
        f"c.Spawner.start_timeout = c.Spawner.http_timeout = {START_TIMEOUT}\n"
    )
    env = {
        "PATH": os.pathsep.join([str(bin_dir), "/usr/local/bin", "/usr/bin", "/bin"]),
        "LANG": "C.UTF-8",
        "HOME": str(state),
        "MLOPS_CONCEPTS_EXCHANGE": str(exchange),
        "MLOPS_CONCEPTS_INSTRUCTORS": " ".join(instructors),
        "MLOPS_CONCEPTS_STUDENTS": " ".join(students),
    }
    log_path = state / "jupyterhub.log"
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [bin_dir / "jupyterhub", "-f", config],
            cwd=state,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    hub = SimpleNamespace(url=url, passwords=passwords, log=log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(f"{url}/hub/api/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyterhub did not start:\n{log_path.read_text(errors='replace')[-6000:]}")
            time.sleep(0.5)
        yield hub
    finally:
        with contextlib.suppress(ProcessLookupError):
            proc.send_signal(signal.SIGTERM)  # the hub stops the users' servers, then the proxy
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
        for pid in _pids_of(users_uids):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        if os.environ.get("MLOPS_BROWSER_KEEP_LOG"):
            print(f"\n--- jupyterhub log ---\n{log_path.read_text(errors='replace')}")


@contextlib.contextmanager
def explained(page, hub):
    """A browser step that fails says what the page showed and what the servers logged (the users'
    servers write into the hub's log)."""
    try:
        yield
    except Exception as e:
        text = page.locator("body").inner_text(timeout=5_000)[-3000:]
        log = hub.log.read_text(errors="replace")[-12000:]
        shown = f"--- the page ({page.url}) ---\n{text}\n--- jupyterhub log ---\n{log}"
        raise AssertionError(f"{e}\n{shown}") from e


def log_in(browser, hub, name: str, password: str):
    """A fresh browser context logged in as ``name``, its page on their own running JupyterLab."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, device_scale_factor=1)
    context.set_default_timeout(60_000)
    page = context.new_page()
    page.goto(f"{hub.url}/hub/login")
    page.fill("#username_input", name)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url(re.compile(rf"/user/{re.escape(name)}/lab"), timeout=START_TIMEOUT * 1000)
    page.locator("#jp-MainMenu").wait_for(timeout=START_TIMEOUT * 1000)
    return context, page


def open_assignments(page) -> None:
    """nbgrader's Assignments tab, from its menu, as a student opens it."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
    menu = page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel")
    menu.get_by_text("Assignment List", exact=True).click()
    page.locator("#released_assignments_list").wait_for()

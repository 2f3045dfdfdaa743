"""A real JupyterHub for the tests, set up by running docs/deploy.md as an administrator pastes it.

* :func:`doc_blocks` reads the page's code blocks by their markers (``<!-- hub-test: KIND -->`` or
  ``<!-- file: PATH -->`` on the line before the fence): the test runs the shell blocks, and
  tests/unit/test_hub_config.py checks the quoted files are the repository's.
* :func:`run_as_root` runs blocks as root, in this repository's folder, with a clean root
  environment (so ``python3`` is the system's, as on a fresh machine) after the test's own settings
  block (:func:`settings`), which names the same variables as the doc's.
* :func:`class_users` deletes the Unix users the doc's users block made, even when the test fails.
* :func:`running_hub` runs the doc's start block, with free ports on 127.0.0.1 appended.
* :func:`log_in` logs a user in through the hub's login page, in chromium, and waits for their
  own JupyterLab; :func:`open_assignments` opens nbgrader's Assignments tab in it.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import shlex
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from support.unix_users import PREFIX, UnixUser, _require_root, _userdel

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "deploy.md"
START_TIMEOUT = 120  # seconds: the hub, and each user's first server on 2 busy cores
# A fresh Debian root shell's: the system's python3, npm and the admin tools, nothing of this venv.
ROOT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
_BLOCK = re.compile(r"^<!-- (hub-test|file): (\S+) -->\n```[a-z]*\n(.*?)^```$", re.M | re.S)


def doc_blocks(marker: str, name: str) -> list[str]:
    """The code blocks of docs/deploy.md marked ``<!-- marker: name -->``, in order."""
    return [text for kind, label, text in _BLOCK.findall(DOC.read_text()) if (kind, label) == (marker, name)]


def setup_blocks() -> list[tuple[str, str]]:
    """The doc's set-up steps run as root (``root``) and its users block (``users``), in order."""
    return [(label, text) for kind, label, text in _BLOCK.findall(DOC.read_text())
            if kind == "hub-test" and label in ("root", "users")]  # fmt: skip


def doc_block(marker: str, name: str) -> str:
    (block,) = doc_blocks(marker, name)
    return block


def settings(**values: str) -> str:
    """The test's settings block: the doc's variables (all of them, no others), the test's values."""
    names = re.findall(r"^([A-Z_]+)=", doc_block("hub-test", "settings"), re.M)
    assert sorted(names) == sorted(values), f"docs/deploy.md's settings are {names}"
    return "".join(f"{name}={shlex.quote(value)}\n" for name, value in values.items())


# How this machine reaches the package registries (its proxy and certificate authorities): an
# administrator's root shell has them too, and without them pip and npm cannot download.
_NETWORK = re.compile(r"(?i)^(https?_proxy|no_proxy|all_proxy|ssl_cert_(file|dir)|node_extra_ca_certs|"
                      r"requests_ca_bundle|curl_ca_bundle|pip_cert|pip_index_url|pip_extra_index_url|"
                      r"pip_find_links|npm_config_[a-z_]+)$")  # fmt: skip


def _root_env() -> dict[str, str]:
    env = {"PATH": ROOT_PATH, "HOME": "/root", "LANG": "C.UTF-8", "USER": "root", "LOGNAME": "root"}
    return {**{k: v for k, v in os.environ.items() if _NETWORK.match(k)}, **env}


def _script(setup: str, *blocks: str) -> str:
    # -e: a command that fails stops the block, as an administrator would stop and look.
    return "set -eu\n" + setup + "".join(blocks)


def run_as_root(setup: str, *blocks: str, stdin: str | None = None, timeout: float = 1800) -> str:
    """Run ``blocks`` after the settings ``setup`` in one bash, as root; fail the test if they fail."""
    done = subprocess.run(
        ["/bin/bash", "-c", _script(setup, *blocks)],
        cwd=REPO,
        env=_root_env(),
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        output = f"{done.stdout[-4000:]}\n{done.stderr[-4000:]}"
        pytest.fail(f"docs/deploy.md's block failed ({done.returncode}):\n{output}")
    return done.stdout


@contextlib.contextmanager
def class_users(roles: dict[str, str]):
    """Names for the doc's users block (``mlx`` and random letters, one per role); yields a function
    that returns each :class:`UnixUser` once the block made them. Deletes them all at the end."""
    _require_root()
    names = {role: PREFIX + os.urandom(4).hex() for role in roles}

    def made(role: str) -> UnixUser:
        entry = pwd.getpwnam(names[role])
        return UnixUser(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir), roles[role])

    try:
        yield names, made
    finally:
        errors = []
        for name in names.values():
            with contextlib.suppress(KeyError):
                entry = pwd.getpwnam(name)
                user = UnixUser(entry.pw_name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir), "")
                errors.append(_userdel(user))
        if any(errors):
            pytest.fail("\n".join(e for e in errors if e))


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
def running_hub(setup: str, log_path: Path, users_uids: set[int]):
    """The doc's start block, run as root, its hub command given free ports on 127.0.0.1 (and longer
    start timeouts); yields the hub's URL and log. At the end the hub stops every user's server (its
    default on shutdown); any process of the test's users still running then (a kernel that ignored
    the signal) is killed by its pid."""
    port, hub_port, api_port = _free_port(), _free_port(), _free_port()
    start = doc_block("hub-test", "start").rstrip("\n")
    start += (
        f" --JupyterHub.bind_url=http://127.0.0.1:{port} --JupyterHub.hub_bind_url=http://127.0.0.1:{hub_port}"
        f" --ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"
        f" --Spawner.start_timeout={START_TIMEOUT} --Spawner.http_timeout={START_TIMEOUT}\n"
    )
    url = f"http://127.0.0.1:{port}"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            ["/bin/bash", "-c", _script(setup, start)],
            cwd=REPO,
            env=_root_env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    hub = SimpleNamespace(url=url, log=log_path)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while not _answers(f"{url}/hub/api/"):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"jupyterhub did not start:\n{log_path.read_text(errors='replace')[-6000:]}")
            time.sleep(0.5)
        yield hub
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)  # the hub stops the users' servers, then the proxy
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


def login_refused(browser, hub, name: str, password: str) -> bool:
    """Whether the hub's login page turns ``name`` away with ``password`` (PAM said no)."""
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{hub.url}/hub/login")
        page.fill("#username_input", name)
        page.fill("#password_input", password)
        with page.expect_response(lambda r: "/hub/login" in r.url and r.request.method == "POST") as r:
            page.click("#login_submit")
        return r.value.status == 403 and "/user/" not in page.url
    finally:
        context.close()


def open_assignments(page) -> None:
    """nbgrader's Assignments tab, from its menu, as a student opens it."""
    page.locator("#jp-MainMenu .lm-MenuBar-itemLabel").get_by_text("Nbgrader", exact=True).click()
    menu = page.locator(".lm-Menu").last.locator(".lm-Menu-itemLabel")
    menu.get_by_text("Assignment List", exact=True).click()
    page.locator("#released_assignments_list").wait_for()

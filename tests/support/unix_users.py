"""Real Unix users for the tests: an instructor and students who are different users of this machine.

Needs root (CI runs as root); elsewhere the fixtures skip, saying so. tests/conftest.py loads
this module as a plugin, so every test can ask for its fixtures::

    def test_x(make_unix_user, shared_dir, user_python):
        alice = make_unix_user("student")          # useradd mlx<random>, home /home/mlx<random>
        done = alice.run([user_python, "-c", "import os; print(os.getuid())"], cwd=alice.home)

* :func:`make_unix_user` creates each user with ``useradd -m`` (a name ``mlx`` + 8 random hex
  characters, its own group and private home) and deletes every one it made with
  ``userdel -r -f`` at teardown, even when the test fails; a user that cannot be deleted fails
  the teardown loudly rather than staying behind silently.
* :meth:`UnixUser.run` runs a command as that user (``runuser -u NAME --``) with a clean
  environment: ``HOME``, ``USER``, ``LOGNAME`` theirs, ``PATH`` with ``user_python``'s folder first.
* :func:`user_python` is a Python the test users can run, with this venv's packages (nbgrader,
  the course package, editable). The venv's own ``python`` links to the interpreter it was made
  from, and a pyenv interpreter lives under ``/root`` (mode 0700): other users cannot execute it.
  Rather than open ``/root`` to everyone, the fixture then makes a small venv, world-readable, from
  the system's Python of the same version (``/usr/bin/python3.X``), whose one ``.pth`` file adds
  this venv's ``site-packages``. That needs the folders above this venv traversable by all (they
  are: ``/work/...`` is 0755); when the venv's own Python is runnable by others it is used as is.
* :func:`shared_dir` is a fresh folder every user can traverse (0755, root's): pytest's
  ``tmp_path`` is under ``/tmp/pytest-of-root`` (0700), which the test users cannot enter.
"""

from __future__ import annotations

import os
import pwd
import secrets
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest

PREFIX = "mlx"  # every test user's name starts with it: easy to find one a killed run left behind
_SBIN = "/usr/sbin:/sbin:/usr/bin:/bin"  # where the tools are, whatever the caller's PATH


def _tool(name: str) -> str:
    found = shutil.which(name, path=_SBIN)
    if not found:
        pytest.fail(f"{name} not found (Debian packages passwd and util-linux)")
    return found


def _require_root() -> None:
    if os.geteuid() != 0:
        message = "creating Unix users needs root (CI runs the tests as root)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    for tool in ("useradd", "userdel", "runuser"):
        _tool(tool)


@dataclass(frozen=True)
class UnixUser:
    name: str
    uid: int
    gid: int
    home: Path
    role: str  # what the test calls them: "instructor", "student A"...

    def env(self, python: str | os.PathLike | None = None, **extra: str) -> dict[str, str]:
        bin_dir = os.path.dirname(str(python)) if python else os.path.dirname(sys.executable)
        env = {
            "HOME": str(self.home),
            "USER": self.name,
            "LOGNAME": self.name,
            "PATH": os.pathsep.join([bin_dir, "/usr/local/bin", "/usr/bin", "/bin"]),
            "LANG": "C.UTF-8",
            "PYTHONWARNINGS": "ignore",
        }
        env.update(extra)
        return env

    def run(self, cmd, cwd=None, env=None, timeout: float = 600) -> subprocess.CompletedProcess:
        """``cmd`` as this user; ``env`` defaults to :meth:`env` (the whole environment is replaced)."""
        return subprocess.run(
            [_tool("runuser"), "-u", self.name, "--", *[str(c) for c in cmd]],
            cwd=cwd or self.home,
            env=env or self.env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            stdin=subprocess.DEVNULL,
        )

    def chown(self, path: Path) -> None:
        """Give ``path`` (and everything in it) to this user, as if they had made it."""
        for dirpath, dirnames, filenames in os.walk(path):
            for name in [dirpath, *(os.path.join(dirpath, n) for n in dirnames + filenames)]:
                os.lchown(name, self.uid, self.gid)


def _useradd(role: str) -> UnixUser:
    for _ in range(5):
        name = PREFIX + secrets.token_hex(4)
        try:
            pwd.getpwnam(name)
            continue  # taken (a leftover): another name
        except KeyError:
            pass
        done = subprocess.run(
            [_tool("useradd"), "--create-home", "--shell", "/bin/sh", "--user-group", name],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            pytest.fail(f"useradd {name} failed: {done.stderr}")
        entry = pwd.getpwnam(name)
        return UnixUser(name, entry.pw_uid, entry.pw_gid, Path(entry.pw_dir), role)
    pytest.fail("no free mlx<random> user name after 5 tries")


def _userdel(user: UnixUser) -> str | None:
    # -f: even if a process a command left behind still runs as them; -r: their home and mail too.
    done = subprocess.run([_tool("userdel"), "-r", "-f", user.name], capture_output=True, text=True)
    try:
        pwd.getpwnam(user.name)
    except KeyError:
        return None
    return f"userdel {user.name} failed: {done.stderr.strip()}"


@pytest.fixture(scope="module")
def make_unix_user():
    """Factory: ``make_unix_user(role)`` -> a new :class:`UnixUser`; all deleted when the module ends."""
    _require_root()
    made: list[UnixUser] = []

    def make(role: str = "user") -> UnixUser:
        user = _useradd(role)
        made.append(user)
        return user

    try:
        yield make
    finally:
        errors = [e for e in map(_userdel, made) if e]
        if errors:
            pytest.fail("\n".join(errors))


@pytest.fixture(scope="module")
def shared_dir():
    """A fresh folder every user can enter (root's, 0755), removed at the end of the module."""
    path = Path(tempfile.mkdtemp(prefix="mlx-shared-"))
    path.chmod(0o755)
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def _runs_for(user: UnixUser, python: str) -> bool:
    done = user.run([python, "-c", "import nbgrader, mlops_concepts"], cwd="/")
    return done.returncode == 0


@pytest.fixture(scope="module")
def user_python(shared_dir, make_unix_user):
    """The path of a Python every test user can run, with this venv's packages (see the module doc)."""
    probe = make_unix_user("probe")  # a user with no rights of its own: what every test user has
    if _runs_for(probe, sys.executable):
        return sys.executable
    version = f"{sys.version_info.major}.{sys.version_info.minor}"
    system = shutil.which(f"python{version}", path="/usr/bin:/usr/local/bin:/bin")
    if not system:
        pytest.fail(
            f"this venv's Python ({os.path.realpath(sys.executable)}) cannot be run by other users and "
            f"there is no system python{version} to build one from"
        )
    venv = shared_dir / "python"
    done = subprocess.run([system, "-m", "venv", "--without-pip", str(venv)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    site = Path(sysconfig.get_paths()["purelib"])
    (venv / "lib" / f"python{version}" / "site-packages" / "course-venv.pth").write_text(
        f"import site; site.addsitedir({str(site)!r})\n"
    )
    python = str(venv / "bin" / "python")
    if not _runs_for(probe, python):
        pytest.fail(
            f"{python} (with {site}) cannot import nbgrader as another user: is {site} readable by all?"
        )
    return python

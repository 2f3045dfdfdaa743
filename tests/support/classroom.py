"""A class of students on a real nbgrader exchange, and the browser and server helpers to watch them.

Each student has a home folder of their own (their ``HOME``, the working folder of their commands
and the root of their JupyterLab) holding a student's ``nbgrader_config.py``: the course id, the
exchange, and their own submission cache (nbgrader's ``Exchange.cache``, where ``submit`` keeps the
copy that ``fetch_feedback`` and the Assignments tab match feedback against). They run the venv's
real ``nbgrader fetch_assignment`` / ``submit`` / ``fetch_feedback`` with ``--student=<name>``
(nbgrader's ``CourseDirectory.student_id``), so one machine user can be several students.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

from mlops_concepts.authoring.samples import sample_path

REPO = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent  # the venv's bin: nbgrader, mlops-concepts, jupyter
COURSE_ID = "mlops-concepts"

# Variables of the developer's shell that would point a command at another course, exchange,
# gradebook or Jupyter setup than the throwaway one a test builds.
LEAKY = (
    "MLOPS_CONCEPTS_DB_URL",
    "MLOPS_CONCEPTS_EXCHANGE",
    "JUPYTER_CONFIG_DIR",
    "JUPYTER_DATA_DIR",
    "JUPYTER_RUNTIME_DIR",
    "JUPYTER_PATH",
    "JUPYTER_CONFIG_PATH",
    "JUPYTERLAB_SETTINGS_DIR",
    "JUPYTERLAB_WORKSPACES_DIR",
    "IPYTHONDIR",
)


def clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without LEAKY, the venv's bin first on PATH, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k not in LEAKY}
    env["PATH"] = os.pathsep.join([str(BIN), env.get("PATH", "")])
    env["PYTHONWARNINGS"] = "ignore"
    env.update(extra)
    return env


def run(cmd: list[str], cwd: Path, env: dict[str, str], timeout: float = 1800) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(c) for c in cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        stdin=subprocess.DEVNULL,
    )


def show(done: subprocess.CompletedProcess) -> str:
    """A failed command and its output, for an assertion message."""
    cmd = " ".join(str(c) for c in done.args)
    return f"$ {cmd}\nexit {done.returncode}\n--- stdout ---\n{done.stdout}\n--- stderr ---\n{done.stderr}"


class Student:
    """One student: a home folder, a cache of their own, and nbgrader's student commands."""

    def __init__(self, name: str, home: Path, exchange: Path):
        self.name, self.home, self.exchange = name, home, exchange
        self.cache = home / ".local" / "share" / "jupyter" / "nbgrader_cache"
        self.cache.mkdir(parents=True, exist_ok=True)
        # What a student's own nbgrader_config.py says (read by the commands, run in home, and by
        # the Assignments tab of a JupyterLab whose root is home).
        (home / "nbgrader_config.py").write_text(
            "c = get_config()  # noqa: F821\n"
            f"c.CourseDirectory.course_id = {COURSE_ID!r}\n"
            f"c.Exchange.root = {str(exchange)!r}\n"
            f"c.Exchange.cache = {str(self.cache)!r}\n"
        )

    def env(self) -> dict[str, str]:
        return clean_env(HOME=str(self.home), USER=self.name, LOGNAME=self.name)

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess:
        return run([BIN / "nbgrader", *args, f"--student={self.name}"], cwd=self.home, env=self.env())

    def notebook(self, assignment: str) -> Path:
        return self.home / assignment / f"{assignment}.ipynb"

    def fetch(self, assignment: str) -> Path:
        done = self.nbgrader("fetch_assignment", assignment)
        assert done.returncode == 0, show(done)
        assert self.notebook(assignment).is_file(), show(done)
        return self.notebook(assignment)

    def work(self, assignment: str, sample: str) -> None:
        """The student's answers: one of the sample submissions, written over the fetched notebook."""
        shutil.copy(sample_path(REPO, assignment, sample), self.notebook(assignment))

    def submit(self, assignment: str) -> None:
        done = self.nbgrader("submit", assignment)
        assert done.returncode == 0, show(done)

    def fetch_feedback(self, assignment: str) -> list[Path]:
        done = self.nbgrader("fetch_feedback", assignment)
        assert done.returncode == 0, show(done)
        found = sorted((self.home / assignment / "feedback").glob(f"*/{assignment}.html"))
        assert found, "no feedback fetched\n" + show(done)
        return found

    def submissions(self, assignment: str) -> list[Path]:
        """The student's own record of their submissions (nbgrader's cache)."""
        return sorted((self.cache / COURSE_ID).glob(f"{self.name}+{assignment}+*"))


@contextlib.contextmanager
def environ(**values: str | None):
    """Set (or, with None, remove) environment variables for the duration; restore them after.

    ``running_lab`` starts its server with this process's environment, so this is how a test gives
    one server e.g. ``JUPYTER_CONFIG_PATH`` (a student's lab) without changing the fixture.
    """
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def browser_helpers():
    """tests/browser/conftest.py as a module (its fixtures apply only under tests/browser/):
    ``running_lab``, ``CHROMIUM``, ``CHROMIUM_ARGS``, ``skip_or_fail``."""
    name = "mlops_browser_conftest"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, REPO / "tests" / "browser" / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


def wait_until_serving(status, proc: subprocess.Popen, log: Path, timeout: float) -> None:
    """Wait until ``status()`` returns 200; fail with the server's log if it exits or is too slow."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            if status() == 200:
                return
        except OSError:
            pass
        assert proc.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.5)

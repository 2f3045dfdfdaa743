"""The README's "For instructors" table works when pasted as written.

The test reads the table (whatever rows it has, in their order), takes the backticked commands of
its command column, puts the chapter id in for ``<id>``, and runs each one with ``bash -c`` in a
throwaway clone-like copy of the repository (the files git would have after a commit, and the
repository's ``.venv`` linked in, as ``make`` leaves it), with the venv NOT activated and no
``MLOPS_CONCEPTS_*`` variable set. Right after the table's ``release_assignment``, two students
fetch and submit through the course's exchange (``.exchange/``). Every command must exit 0; the
first that does not fails the test, named with its step and output. Commands that start a server
(``make formgrader``, ``make lab``, ``jupyter lab``) are not run there; ``make formgrader`` is
started separately and must serve a working Formgrader on the graded class.

MLOPS_README=<file> reads the table from another Markdown file.

Run:  .venv/bin/pytest tests/integration/test_readme_instructors.py -q    (about 5-10 minutes)
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import urllib.error
import urllib.request
from pathlib import Path
from types import SimpleNamespace

import pytest

from mlops_concepts.contract.folder_scan import fingerprint
from support.classroom import REPO, Student, browser_helpers, show, wait_until_serving
from support.clone import clone_like, pasted_env

pytestmark = [pytest.mark.slow]

ASSIGNMENT = "01-introduction-to-mlops"
README = Path(os.environ.get("MLOPS_README", REPO / "README.md"))
CLASS = {"ada": "sample-complete", "cy": "sample-wrong"}
PROGRAMS = {"make", "nbgrader", "mlops-concepts", "jupyter", "python", "python3", "pip"}
SERVERS = (re.compile(r"^make\s+(formgrader|lab)\b"), re.compile(r"\bjupyter\s+(lab|notebook|server)\b"))


# -- the table -------------------------------------------------------------------------------------


def _cells(line: str) -> list[str]:
    """The cells of one Markdown table row (a | inside backticks does not split)."""
    body = line.strip().strip("|")
    cells, cell, code = [], "", False
    for ch in body:
        if ch == "`":
            code = not code
        if ch == "|" and not code:
            cells.append(cell.strip())
            cell = ""
        else:
            cell += ch
    return [*cells, cell.strip()]


def is_command(span: str) -> bool:
    first = span.split()[0] if span.split() else ""
    return first in PROGRAMS or "/bin/" in first or first.startswith("./")


def instructor_commands(readme: Path = README) -> list[tuple[str, str]]:
    """(step, command as written) for every command of the "For instructors" table, in order."""
    text = readme.read_text()
    section = re.search(r"^##\s+For instructors\s*$(.*?)(?=^##\s|\Z)", text, re.M | re.S)
    assert section, f'{readme} has no "## For instructors" section'
    rows = [ln for ln in section.group(1).splitlines() if ln.lstrip().startswith("|")]
    assert len(rows) >= 3, f'{readme}: no table under "For instructors"'
    header = [c.lower() for c in _cells(rows[0])]
    assert re.fullmatch(r"\|?[\s:|-]+\|?", rows[1].strip()), rows[1]
    column = header.index("command") if "command" in header else len(header) - 1
    steps = []
    for row in rows[2:]:
        cells = _cells(row)
        if len(cells) <= column:
            continue
        step = cells[0] if column else ""
        for span in re.findall(r"`([^`]+)`", cells[column]):
            if is_command(span):
                steps.append((re.sub(r"`", "", step), span.strip()))
    assert steps, f'{readme}: the "For instructors" table has no command'
    return steps


def is_server(command: str) -> bool:
    return any(p.search(command) for p in SERVERS)


def concrete(command: str) -> str:
    cmd = command.replace("<id>", ASSIGNMENT)
    left = re.findall(r"<[^<>\s]+>", cmd)
    assert not left, f"`{command}`: no value known for {left}"
    return cmd


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("readme")
    repo = clone_like(tmp / "mlops-concepts")
    home = tmp / "home"
    home.mkdir()
    return SimpleNamespace(repo=repo, home=home, env=pasted_env(home), tmp=tmp)


@pytest.fixture(scope="module")
def pasted(clone):
    """Every non-interactive command of the table, run in order; students submit after release."""
    steps = instructor_commands()
    ran, skipped, students = [], [], {}
    for step, command in steps:
        if is_server(command):
            skipped.append(command)
            continue
        cmd = concrete(command)
        done = subprocess.run(
            ["bash", "-c", cmd],
            cwd=clone.repo,
            env=clone.env,
            capture_output=True,
            text=True,
            timeout=1800,
            stdin=subprocess.DEVNULL,
        )
        if done.returncode != 0:
            pytest.fail(
                f"README, For instructors, step {step!r}: `{command}` failed "
                f"(run as `{cmd}` in a fresh copy, venv not activated)\n" + show(done),
                pytrace=False,
            )
        ran.append((command, done))
        if "release_assignment" in cmd and not students:
            for name, sample in CLASS.items():
                home = clone.tmp / "students" / name
                home.mkdir(parents=True)
                student = Student(name, home, clone.repo / ".exchange")
                student.fetch(ASSIGNMENT)
                student.work(ASSIGNMENT, sample)
                student.submit(ASSIGNMENT)
                students[name] = student
    return SimpleNamespace(ran=ran, skipped=skipped, students=students)


# -- tests -----------------------------------------------------------------------------------------


def test_the_table_parses_as_the_instructor_reads_it(tmp_path):
    table = tmp_path / "README.md"
    table.write_text(
        "# x\n\n## For instructors\n\nIntro.\n\n| step | command |\n|---|---|\n"
        "| build | `make release` (from `source/`) |\n"
        "| grade | `.venv/bin/mlops-concepts grade <id>`: writes `grades.csv` |\n"
        "| pipe | `echo a | cat` |\n\n## For authors\n\n| a | `make nothing` |\n"
    )
    assert instructor_commands(table) == [
        ("build", "make release"),
        ("grade", ".venv/bin/mlops-concepts grade <id>"),
    ]
    assert concrete(".venv/bin/nbgrader collect <id>") == f".venv/bin/nbgrader collect {ASSIGNMENT}"
    assert is_server("make formgrader") and not is_server("make release")


def test_the_readme_sends_instructors_to_the_formgrader_with_make_formgrader():
    commands = [c for _, c in instructor_commands()]
    assert "make formgrader" in commands, commands
    for command in commands:  # as written, with the venv not activated
        first = command.split()[0]
        assert first == "make" or first.startswith(".venv/bin/"), command


def test_every_command_of_the_table_exits_zero_when_pasted(clone, pasted):
    ran = [c for c, _ in pasted.ran]
    assert len(ran) >= 5, ran
    assert any("release_assignment" in c for c in ran), "the table never releases the chapter"
    assert pasted.students, "nobody could submit: no release_assignment ran"
    # what the commands were for: the class was collected, graded, given feedback, exported
    repo = clone.repo
    for name in CLASS:
        assert (repo / "submitted" / name / ASSIGNMENT / "timestamp.txt").is_file(), name
        assert (repo / "feedback" / name / ASSIGNMENT / f"{ASSIGNMENT}.html").is_file(), name
    assert any("release_feedback" in c for c in ran)
    released = list((repo / ".exchange" / "mlops-concepts" / "feedback").glob("*.html"))
    assert len(released) == len(CLASS), released
    for student in pasted.students.values():
        student.fetch_feedback(ASSIGNMENT)
    grades = (repo / "grades.csv").read_text()
    for name in CLASS:
        assert f"\n{ASSIGNMENT}," in grades and f",{name}," in grades, grades


@contextlib.contextmanager
def formgrader(clone, name: str):
    """`make formgrader` on the clone, as the README gives it: yields (get, server log path)."""
    lab = browser_helpers()
    port, token = lab.free_port(), "semester-" + os.urandom(8).hex()
    state = clone.tmp / name
    env = dict(clone.env)
    for folder in ("runtime", "config", "data"):
        (state / folder).mkdir(parents=True)
    env.update(
        JUPYTER_RUNTIME_DIR=str(state / "runtime"),
        JUPYTER_CONFIG_DIR=str(state / "config"),
        JUPYTER_DATA_DIR=str(state / "data"),
        JUPYTER_PLATFORM_DIRS="0",
    )
    args = (
        f"--no-browser --ip=127.0.0.1 --port={port} --ServerApp.port_retries=0 "
        f"--IdentityProvider.token={token} --LabApp.news_url= "
        "--ServerApp.shutdown_no_activity_timeout=600"
    )
    log = open(state / "server.log", "wb")
    proc = subprocess.Popen(
        ["make", "formgrader", f"LAB_ARGS={args}"],
        cwd=clone.repo,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"

    def get(path: str, redirect: bool = True):
        opener = urllib.request.build_opener() if redirect else urllib.request.build_opener(_NoRedirect)
        req = urllib.request.Request(base + path, headers={"Authorization": f"token {token}"})
        try:
            with opener.open(req, timeout=30) as resp:
                return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, err.headers, err.read().decode(errors="replace")

    try:
        wait_until_serving(lambda: get("/api/status")[0], proc, state / "server.log", 120)
        yield get, state / "server.log"
    finally:
        try:
            urllib.request.urlopen(
                urllib.request.Request(
                    f"{base}/api/shutdown", method="POST", headers={"Authorization": f"token {token}"}
                ),
                timeout=5,
            ).close()
            proc.wait(timeout=20)
        except Exception:  # noqa: BLE001 - still stopped below
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # make and its jupyter: our own process group
            except ProcessLookupError:
                pass
            proc.wait(timeout=10)
        log.close()


def test_make_formgrader_serves_a_working_formgrader_on_the_class(clone, pasted):
    """`make formgrader` (the row the other test skips), on the course the table just graded."""
    with formgrader(clone, "formgrader-state") as (get, _):
        status, headers, _ = get("/", redirect=False)
        assert status in (301, 302) and "/formgrader" in headers.get("Location", ""), (status, dict(headers))
        status, _, page = get("/formgrader/manage_assignments")
        assert status == 200 and "encountered an error" not in page, page[:2000]
        status, _, body = get("/formgrader/api/assignments")
        assert status == 200, body
        assignments = {a["name"]: a for a in json.loads(body)}
        assert ASSIGNMENT in assignments, body
        assert assignments[ASSIGNMENT]["num_submissions"] == len(CLASS), assignments[ASSIGNMENT]
        status, _, body = get(f"/formgrader/api/submissions/{ASSIGNMENT}")
        assert status == 200 and sorted(s["student"] for s in json.loads(body)) == sorted(CLASS), body


# -- a broken nbgrader_config.py -------------------------------------------------------------------
# traitlets only logs an error raised in a configuration file and discards the file: nbgrader would
# go on with its defaults (student code unsandboxed, full marks for test cells that do not raise,
# unsealed answer keys, feedback not defused). The guard (etc/jupyter/jupyter_config.py, which make
# installs into the venv) stops it instead. Here, on the class the table just graded, with the
# course package missing, as after a broken install.

BROKEN = "from mlops_concepts_not_installed import SandboxedExecute\n"
BROKEN_ERROR = "No module named 'mlops_concepts_not_installed'"


@pytest.fixture
def broken_config(clone, pasted):
    config = clone.repo / "nbgrader_config.py"
    original = config.read_text()
    config.write_text(original + "\n" + BROKEN)
    try:
        yield
    finally:
        config.write_text(original)


def course_state(repo: Path) -> dict[str, str]:
    """Every file of the course (the exchange and gradebook included), without Python's bytecode."""
    return {path: digest for path, digest in fingerprint(repo).items() if "__pycache__" not in path}


def reads_course_config(command: str) -> bool:
    """All the table's commands but the chapter linter, which reads only source/."""
    return not re.search(r"mlops-concepts\s+check\b", command)


def test_with_a_broken_configuration_every_command_of_the_table_refuses_and_changes_nothing(
    clone, broken_config
):
    ran = []
    for step, command in instructor_commands():
        if is_server(command):
            continue
        before = course_state(clone.repo)
        done = subprocess.run(
            ["bash", "-c", concrete(command)],
            cwd=clone.repo,
            env=clone.env,
            capture_output=True,
            text=True,
            timeout=600,
            stdin=subprocess.DEVNULL,
        )
        assert course_state(clone.repo) == before, f"step {step!r} changed the course\n" + show(done)
        if reads_course_config(command):
            assert done.returncode != 0, f"step {step!r} ran with nbgrader's defaults\n" + show(done)
            assert BROKEN_ERROR in done.stdout + done.stderr, show(done)
            ran.append(command)
    assert any("nbgrader generate_feedback" in c for c in ran) and "make release" in ran, ran


def test_make_formgrader_with_a_broken_configuration_serves_no_formgrader(clone, broken_config):
    """The Formgrader can autograde and write feedback from its buttons: with the error, it is not
    served at all, and the server's log names the error."""
    before = course_state(clone.repo)
    with formgrader(clone, "formgrader-broken") as (get, log):
        for path in ("/formgrader", "/formgrader/api/assignments"):
            status, _, body = get(path)
            assert status == 404, (path, status, body[:2000])
        assert BROKEN_ERROR in log.read_text(errors="replace")
    assert course_state(clone.repo) == before


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None

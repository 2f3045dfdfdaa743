"""The grading sandbox holds: student code cannot read, write, reach or outlive anything but its own
working folder, and grading refuses to run student code without the sandbox unless told to.

One grading run holds: a victim (graded first, with a secret file), an attacker that tries every
forbidden action and records each outcome (in its working folder and in its output), a student that
plants symbolic links in its working folder, a resource hog, and an honest student graded last.
The outcomes are checked from the autograded notebook AND from the host.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import socket
import sqlite3
import stat
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import SimpleNamespace

import psutil
import pytest
from nbformat.v4 import new_code_cell

import mlops_concepts
from mlops_concepts.contract.folder_scan import fingerprint
from mlops_concepts.nbgrader_plugins import sandbox
from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute
from support.cheats import escape, payloads
from support.cheats.chapter import Chapter
from support.cheats.runner import Graded, Shard, copy_course, run_pipeline
from support.course import first_chapter_only, nbgrader, submit

pytestmark = pytest.mark.slow

VICTIM, ATTACKER, LINKER, HOG, LAST = "aaa-victim", "attacker", "link-planter", "resource-hog", "zzz-honest"
MEMORY_LIMIT_MIB = SandboxedExecute.memory_limit_mb.default_value


class Listener(threading.Thread):
    """A TCP server on the host's loopback that records every connection it receives."""

    def __init__(self):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.connections, self.stopped = [], False

    def run(self):
        while not self.stopped:
            try:
                conn, addr = self.sock.accept()
            except OSError:
                continue
            self.connections.append(addr)
            conn.close()

    def stop(self):
        self.stopped = True
        self.join()
        self.sock.close()


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def honest_with(ch: Chapter, head: str, tail: str | None = None):
    texts = {gid: ch.honest(gid) for gid in ch.answers}
    first = ch.first_answer()
    texts[first] = head + "\n" + texts[first]
    nb = ch.notebook(texts)
    if tail:
        nb.cells.append(new_code_cell(tail))
    return nb


DEBUGGER_PROBE = (
    "import sys\nfrom ipykernel.debugger import _is_debugpy_available\n"
    "print('DEBUGGER', _is_debugpy_available, sys.modules.get('debugpy', 'absent'))"
)
# Every module of the course package the kernel imported has its bytecode on disk, so the
# kernel (which may not write any) did not compile it again.
BYTECODE_PROBE = (
    "import os, sys\n"
    "loaded = [m for n, m in list(sys.modules.items()) if n.startswith('mlops_concepts')]\n"
    "print('COURSE-MODULES', len(loaded))\n"
    "print('UNCOMPILED', sorted(m.__name__ for m in loaded\n"
    "                           if not os.path.exists(getattr(m, '__cached__', '') or '')))"
)


@pytest.fixture(scope="module")
def attack(course, tmp_path_factory):
    src, assignment = course
    # The sandbox is the course's, whatever the chapter: its attacks run on the first one.
    ch = Chapter(src, assignment)
    work = tmp_path_factory.mktemp("sandbox")
    root = copy_course(src, work / "course")
    listener = Listener()
    listener.start()
    token = f"MLOPS-ADVERSARIAL-DAEMON-{secrets.token_hex(8)}"
    data = {
        "root": str(root),
        "assignment": assignment,
        "victim": VICTIM,
        "port": listener.port,
        "package_init": mlops_concepts.__file__,
        "home": os.path.expanduser("~"),
        "token": token,
    }
    prelude = payloads.PRELUDE.replace("__DATA__", base64.b64encode(json.dumps(data).encode()).decode())
    secret = f"VICTIM-SECRET-{secrets.token_hex(8)}"
    submit(
        root,
        assignment,
        VICTIM,
        ch.notebook({g: ch.honest(g) for g in ch.answers}),
        files={"secret.txt": secret.encode()},
    )
    old_feedback = root / "feedback" / VICTIM / assignment / f"{assignment}.html"
    old_feedback.parent.mkdir(parents=True)
    old_feedback.write_text("<html>VICTIM-OLD-FEEDBACK</html>")
    submit(root, assignment, ATTACKER, honest_with(ch, prelude + escape.ATTEMPTS, prelude + escape.SIGNALS))
    submit(root, assignment, LINKER, honest_with(ch, prelude + escape.LINKS))
    hog = ch.notebook({g: ch.honest(g) for g in ch.answers})
    hog.cells += [new_code_cell(code) for code in escape.HOG_CELLS]  # after every graded cell
    submit(root, assignment, HOG, hog)
    last = ch.notebook({g: ch.honest(g) for g in ch.answers})
    last.cells += [new_code_cell(DEBUGGER_PROBE), new_code_cell(BYTECODE_PROBE)]  # after every graded cell
    submit(root, assignment, LAST, last)
    (root / "canary-read.txt").write_text(f"CANARY-READ-{secrets.token_hex(8)}")
    os.chmod(root / "canary-read.txt", 0o600)
    (root / "canary-write.txt").write_text("CANARY-WRITE: the grader must never write here\n")
    watched = [
        root / "gradebook.db",
        root / "source" / assignment / f"{assignment}.ipynb",
        root / "canary-read.txt",
        root / "canary-write.txt",
        Path(mlops_concepts.__file__),
        root / "submitted" / VICTIM / assignment / "secret.txt",
    ]
    before = {
        "submitted": fingerprint(root / "submitted"),
        "modes": {p: mode(p) for p in watched},
        "hashes": {p: sha(p) for p in watched if p.name != "gradebook.db"},
    }
    # The memory hog's children fill the kernel's control group; the kernel may take most of a
    # minute to stop one (it reclaims first), so the hog's cell gets more than the usual 60 s.
    result, peak, seconds = run_pipeline(root, assignment, args=("--Execute.timeout=240",))
    time.sleep(2)  # let anything left behind show itself
    listener.stop()
    shard = Shard(root, assignment, [VICTIM, ATTACKER, LINKER, HOG, LAST], result, peak, seconds)
    return SimpleNamespace(
        ch=ch,
        root=root,
        graded=Graded([shard]),
        result=result,
        secret=secret,
        listener=listener,
        before=before,
        watched=watched,
        work=work,
        token=token,
    )


def attempts(attack) -> dict[str, dict]:
    """The attacker's record of every attempt, as printed in the autograded notebook."""
    for line in attack.graded.text_outputs(ATTACKER).splitlines():
        if line.startswith("ATTEMPTS-JSON "):
            return json.loads(line[len("ATTEMPTS-JSON ") :])
    raise AssertionError("the attacker's record is not in its autograded notebook")


def printed(attack) -> dict[str, str]:
    """The same record, line by line: name -> ESCAPED/BLOCKED."""
    out = {}
    for line in attack.graded.text_outputs(ATTACKER).splitlines():
        m = re.match(r"ATTEMPT (.+?) (ESCAPED|BLOCKED)( |$)", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


@first_chapter_only
def test_everyone_is_graded_and_the_grader_survives(attack):
    out = attack.result.stdout + attack.result.stderr
    assert attack.result.returncode == 0, out
    assert "Graded 5 of 5" in attack.result.stdout, out
    maximum = attack.graded.max_scores()
    assert attack.graded.scores(VICTIM) == maximum
    assert attack.graded.scores(LAST) == maximum
    assert attack.graded.scores(ATTACKER) == maximum  # the attacks did not stop its own kernel


@first_chapter_only
def test_the_record_is_in_the_notebook_and_was_written_to_the_working_folder(attack):
    record, shown = attempts(attack), printed(attack)
    assert len(record) > 40
    assert {n: ("ESCAPED" if r["ok"] else "BLOCKED") for n, r in record.items()} == shown
    # written to attempts.json in its working folder, and read back from there
    assert record["own-folder-record"]["ok"] and record["own-folder-record"]["value"] == len(record) - 1


READS = [
    "read-submitted-abs",
    "read-submitted-rel",
    "read-secret-abs",
    "read-autograded-abs",
    "read-autograded-rel",
    "read-feedback-abs",
    "read-feedback-rel",
    "read-source-abs",
    "read-source-rel",
    "read-gradebook-abs",
    "read-gradebook-rel",
    "read-config",
    "read-staging",
    "read-graded",
    "read-batch-neighbour-rel",
    "read-etc-passwd",
    "read-etc-shadow",
    "read-ssh-key",
    "read-host-home-bashrc",
]


@first_chapter_only
@pytest.mark.parametrize("name", READS)
def test_forbidden_reads_fail(attack, name):
    assert printed(attack)[name] == "BLOCKED", attempts(attack)[name]


@pytest.mark.parametrize(
    "name",
    [
        "write-victim-submitted",
        "write-victim-autograded",
        "write-victim-autograded-rel",
        "write-batch-neighbour-rel",
        "write-source",
        "write-package",
        "delete-gradebook",
        "delete-gradebook-rel",
        "hardlink-package",
    ],
)
@first_chapter_only
def test_forbidden_writes_fail(attack, name):
    assert printed(attack)[name] == "BLOCKED", attempts(attack)[name]


@first_chapter_only
def test_nothing_written_reaches_the_host(attack):
    root = attack.root
    assert fingerprint(root / "submitted") == attack.before["submitted"]
    for path, digest in attack.before["hashes"].items():
        if path.name != "canary-write.txt":  # see the link tests
            assert sha(path) == digest, path
    assert not (root / "evil.txt").exists()
    own = (f"/{ATTACKER}/", f"/{LINKER}/", f"/{HOG}/", "/.grading/logs/")
    for path in root.rglob("*"):
        if path.is_file() and not path.is_symlink() and not any(o in str(path) for o in own):
            assert b"PWNED" not in path.read_bytes(), path


@first_chapter_only
def test_the_gradebook_is_intact(attack):
    db = sqlite3.connect(f"file:{attack.root / 'gradebook.db'}?mode=ro", uri=True)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        students = {row[0] for row in db.execute("SELECT id FROM student")}
    finally:
        db.close()
    assert {VICTIM, ATTACKER, LINKER, HOG, LAST} <= students


def _workdir(attack) -> str:
    """The folder the attacker's notebook ran in (the batch's graded copy of its submission)."""
    cwd = attempts(attack)["cwd"]
    assert cwd["ok"] and f"{os.sep}{ATTACKER}{os.sep}{attack.ch.assignment}" in cwd["value"] + os.sep, cwd
    assert cwd["value"].startswith(str(attack.root) + os.sep), cwd
    return cwd["value"]


def _allowed_paths(attack) -> list[str]:
    return [
        *sandbox.readonly_paths(),
        sandbox.PACKAGE_PARENT_MOUNT,
        *sandbox.SYSTEM_DIRS,
        _workdir(attack),
        "/etc/fonts",
        "/proc",
        "/dev",
        sandbox.FONT_CACHE_MOUNT,
    ]


@first_chapter_only
def test_listings_show_nothing_of_the_host(attack):
    """A listing may succeed only along the way to what the sandbox binds (Python, the course
    package, the working folder): nothing else of the host is visible. (The listings run before
    the attacker writes anything, so no entry is its own.)"""
    allowed = _allowed_paths(attack)
    workdir = _workdir(attack)
    for name, r in attempts(attack).items():
        if not name.startswith("list ") or not r["ok"]:
            continue
        folder = os.path.normpath(os.path.join(workdir, name[5:]))
        if folder.startswith(tuple(p + os.sep for p in allowed)):
            continue
        for entry in r["value"]:
            path = os.path.join(folder, entry)
            assert any(p == path or p.startswith(path + os.sep) for p in allowed), (name, entry)

    for name in (f"list {attack.root}/submitted", f"list {attack.root}/source"):
        assert not attempts(attack)[name]["ok"], attempts(attack)[name]


@pytest.mark.parametrize(
    "name",
    [
        "tcp-host-listener",
        "tcp-host-listener-ipv6",
        "tcp-external",
        "tcp-external-2",
        "dns-lookup",
        "dns-lookup-2",
        "udp-dns",
    ],
)
@first_chapter_only
def test_the_network_is_unreachable_and_fails_fast(attack, name):
    r = attempts(attack)[name]
    assert not r["ok"], r
    assert r["seconds"] < 5, r


@first_chapter_only
def test_the_host_listener_received_no_connection(attack):
    assert attack.listener.connections == []


@first_chapter_only
def test_no_host_process_is_visible_or_signalable(attack):
    record = attempts(attack)
    procs = record["proc-list"]["value"] if record["proc-list"]["ok"] else {}
    assert len(procs) <= 5, procs
    for cmdline in procs.values():
        assert "nbgrader" not in cmdline and "pytest" not in cmdline and "pipeline" not in cmdline, cmdline
    assert record["proc-host-pids"]["ok"] and len(record["proc-host-pids"]["value"]) <= 3
    assert not record["controlling-tty"]["ok"], record["controlling-tty"]
    text = attack.graded.text_outputs(ATTACKER)
    assert "SIGNAL ppid-sigterm" in text  # the attempt was made; the grader went on (above)


@first_chapter_only
def test_no_process_outlives_its_grading(attack):
    assert "DAEMON-STARTED True" in attack.graded.text_outputs(ATTACKER)  # it was there
    left = []
    for proc in psutil.process_iter(["cmdline"]):
        if attack.token in " ".join(proc.info.get("cmdline") or []):
            left.append(proc.pid)
    assert left == [], "a process the student started still runs after grading"


@first_chapter_only
def test_the_submission_can_use_its_own_folder_and_the_course_package(attack):
    record = attempts(attack)
    assert record["own-folder-write"]["ok"] and record["own-folder-write"]["value"] == "mine"
    assert record["import-package"]["ok"] and "mlops_concepts" in record["import-package"]["detail"]
    assert record["tmp-write"]["ok"], record["tmp-write"]
    assert "mine.txt" in record["own-folder-list"]["value"]


# -- symbolic links planted in the working folder ------------------------------------------------


@first_chapter_only
def test_links_planted_in_the_working_folder_leak_nothing_into_feedback(attack):
    """The working folder is bound read-write, so a submission can leave symbolic links there that
    point at host files it cannot see; they must not be followed once the kernel is gone (the
    feedback is handed back to the student)."""
    folder = attack.root / "feedback" / LINKER / attack.ch.assignment
    leaks = {
        "the victim's secret": attack.secret.encode(),
        "the instructor's solutions": b"### BEGIN SOLUTION",
        "the gradebook": b"SQLite format 3",
        "a private host file": (attack.root / "canary-read.txt").read_bytes(),
    }
    for path in folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            for what, needle in leaks.items():
                assert needle not in data, f"{what} leaked into {path}"


@first_chapter_only
def test_links_planted_in_the_working_folder_do_not_redirect_the_graders_writes(attack):
    root = attack.root
    assert (root / "canary-write.txt").read_text() == "CANARY-WRITE: the grader must never write here\n"
    for path, before in attack.before["modes"].items():
        assert mode(path) == before, f"{path}: mode {oct(before)} became {oct(mode(path))}"


@first_chapter_only
def test_no_symbolic_link_is_left_in_graded_folders(attack):
    for step in ("autograded", "feedback"):
        links = [p for p in (attack.root / step).rglob("*") if p.is_symlink()]
        assert links == [], links


# -- resources ------------------------------------------------------------------------------------


def _hog(attack) -> dict:
    out = {}
    for line in attack.graded.text_outputs(HOG).splitlines():
        if line.startswith("HOG "):
            _, name, value = line.split(" ", 2)
            out[name] = int(value) if value.lstrip("-").isdigit() else value
    return out


@first_chapter_only
def test_the_resource_hog_measured_everything_and_was_graded(attack):
    """Proof that the limit tests below measure something (a cell that timed out prints nothing)."""
    assert {"memory-mib-held-at-once", "tmpfs-mib", "processes-at-once"} <= set(_hog(attack)), _hog(attack)
    assert attack.graded.scores(HOG) == attack.graded.max_scores()


@first_chapter_only
def test_the_memory_limit_holds_for_the_whole_submission(attack):
    """``memory_limit_mb`` is per process (RLIMIT_AS): forked children each get the whole limit."""
    held = _hog(attack)["memory-mib-held-at-once"]
    assert 800 <= held <= MEMORY_LIMIT_MIB, _hog(attack)  # one block always fits; three never


@first_chapter_only
def test_the_sandbox_tmp_counts_against_the_memory_limit(attack):
    """/tmp in the sandbox is a tmpfs (RAM): what a submission writes there escapes RLIMIT_AS."""
    assert _hog(attack)["tmpfs-mib"] <= MEMORY_LIMIT_MIB


@first_chapter_only
def test_a_submission_cannot_start_unbounded_processes(attack):
    assert _hog(attack)["processes-at-once"] < 1024


# -- refusing to run without the sandbox --------------------------------------------------------

MARKER_CODE = "open({path!r}, 'w').write('student code ran')\n"


def _no_bwrap_env() -> dict:
    env = dict(os.environ)
    env["PATH"] = str(Path(sys.executable).parent) + os.pathsep + "/nonexistent-bin"
    return env


def test_the_sandbox_is_found_with_shutil_which(monkeypatch, tmp_path):
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap"):
        sandbox.probe()


@pytest.fixture(scope="module")
def refusal(course, tmp_path_factory):
    src, assignment = course
    ch = Chapter(src, assignment)
    work = tmp_path_factory.mktemp("refusal")
    out = {}
    for variant in ("refuse", "opt-out"):
        root = copy_course(src, work / variant)
        if variant == "opt-out":
            with open(root / "nbgrader_config.py", "a") as f:
                f.write("\nc.SandboxedExecute.sandbox = False\n")
        marker = work / f"{variant}-marker.txt"
        submit(root, assignment, "student", honest_with(ch, MARKER_CODE.format(path=str(marker))))
        result, _, _ = run_pipeline(root, assignment, env=_no_bwrap_env())
        out[variant] = SimpleNamespace(
            root=root,
            result=result,
            marker=marker,
            graded=Graded([Shard(root, assignment, ["student"], result)]),
        )
    return SimpleNamespace(ch=ch, **{k.replace("-", "_"): v for k, v in out.items()})


@first_chapter_only
def test_without_bubblewrap_grading_refuses_and_the_log_says_why(refusal):
    """No sandbox is an environment fault: the instructor's solution, graded first, fails the same
    way, so the class is refused (exit 2), nobody is graded, and the check's log says why."""
    r = refusal.refuse.result
    out = r.stdout + r.stderr
    assert r.returncode == 2, out
    assert "REFUSED: the instructor's own solution" in r.stdout and "NOT GRADED" not in r.stdout, out
    log = next((refusal.refuse.root / ".grading" / "logs").glob("preflight-*.log")).read_text()
    assert "Refusing to run student code without a sandbox" in log, log[-2000:]
    for text in ("bubblewrap", "--SandboxedExecute.sandbox=False"):
        assert text in log, f"{text!r} is not in the check's log:\n{log[-2000:]}"


@first_chapter_only
def test_without_bubblewrap_the_summary_says_why(refusal):
    r = refusal.refuse.result
    for text in ("bubblewrap", "--SandboxedExecute.sandbox=False"):
        assert text in r.stdout, f"the instructor's summary must say {text!r}:\n{r.stdout}"


@first_chapter_only
def test_without_bubblewrap_no_student_code_runs(refusal):
    assert not refusal.refuse.marker.exists()
    assert not list(refusal.refuse.root.glob("autograded/**/*.ipynb")) or all(
        "student code ran" not in p.read_text() for p in refusal.refuse.root.glob("autograded/**/*.ipynb")
    )


@first_chapter_only
def test_the_explicit_opt_out_grades_without_the_sandbox(refusal):
    r = refusal.opt_out.result
    assert r.returncode == 0 and "Graded 1 of 1" in r.stdout, r.stdout + r.stderr
    assert refusal.opt_out.marker.read_text() == "student code ran"  # it really ran unconfined
    assert refusal.opt_out.graded.scores("student") == refusal.opt_out.graded.max_scores()


@first_chapter_only
def test_the_opt_out_named_in_the_refusal_works_on_nbgrader_autograde(course, tmp_path):
    src, assignment = course
    ch = Chapter(src, assignment)
    root = copy_course(src, tmp_path / "course")
    submit(root, assignment, "student", ch.notebook({g: ch.honest(g) for g in ch.answers}))
    result = nbgrader(
        root, "autograde", assignment, "--student", "student", "--force", "--SandboxedExecute.sandbox=False"
    )
    assert result.returncode == 0, result.stdout + result.stderr


@first_chapter_only
def test_the_opt_out_named_in_the_refusal_is_accepted_by_the_grading_command(course, tmp_path):
    """The refusal tells the instructor to pass ``--SandboxedExecute.sandbox=False``; the
    instructor's grading command (``mlops-concepts grade``) accepts it and grades unsandboxed."""
    src, assignment = course
    ch = Chapter(src, assignment)
    root = copy_course(src, tmp_path / "course")
    marker = tmp_path / "ran.txt"
    submit(root, assignment, "student", honest_with(ch, MARKER_CODE.format(path=str(marker))))
    cmd = [
        sys.executable,
        "-m",
        "mlops_concepts.class_grading.cli",
        "grade",
        assignment,
        "--root",
        str(root),
        "--SandboxedExecute.sandbox=False",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, env=_no_bwrap_env())
    assert result.returncode == 0 and "Graded 1 of 1" in result.stdout, result.stdout + result.stderr
    assert marker.read_text() == "student code ran"
    graded = Graded([Shard(root, assignment, ["student"], result)])
    assert graded.scores("student") == graded.max_scores()


def test_the_grading_command_still_rejects_arguments_it_does_not_know(course, tmp_path):
    src, assignment = course
    root = copy_course(src, tmp_path / "course")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mlops_concepts.class_grading.cli",
            "grade",
            assignment,
            "--root",
            str(root),
            "--no-such-option",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0 and "--no-such-option" in result.stderr


# -- the bubblewrap command line -------------------------------------------------------------------


def _binds(argv) -> dict[str, list[str]]:
    out = {"--bind": [], "--ro-bind": [], "--symlink": []}
    for i, arg in enumerate(argv):
        if arg in out:
            out[arg].append(argv[i + 1])
    return out


def test_bwrap_argv_confines_the_kernel(tmp_path):
    root = tmp_path / "course"
    workdir = root / "autograded" / "s" / "a"
    workdir.mkdir(parents=True)
    argv = sandbox.bwrap_argv(str(workdir), "/tmp/sockets", ["python", "-m", "ipykernel_launcher"])
    assert argv[0] == "bwrap"
    sep = argv.index("--")
    options, command = argv[:sep], argv[sep + 1 :]
    # The submission is copied (inside the sandbox) into its in-memory working folder, then the
    # shell becomes the kernel.
    assert command[:2] == ["/bin/sh", "-c"] and command[-3:] == ["python", "-m", "ipykernel_launcher"]
    assert command[3] == str(workdir) and sandbox.SUBMISSION_MOUNT in command[2]
    for flag in ("--unshare-all", "--clearenv", "--die-with-parent"):
        assert flag in options
    assert options[options.index("--cap-drop") + 1] == "ALL"
    assert options.index("--clearenv") < options.index("--setenv")
    binds = _binds(options)
    assert binds["--bind"] == ["/tmp/sockets"]  # the only host folder the kernel may write to
    ro = options.index("--ro-bind", options.index(str(workdir)) - 1)
    assert options[ro : ro + 3] == ["--ro-bind", str(workdir), sandbox.SUBMISSION_MOUNT]
    tmpfs = [options[i + 1] for i, a in enumerate(options) if a == "--tmpfs"]
    assert str(workdir) in tmpfs and "/tmp" in tmpfs
    for path in binds["--ro-bind"] + binds["--bind"]:
        assert not str(root).startswith(path.rstrip("/") + "/") and path != str(root), path
        if path.startswith(str(root)):
            assert path == str(workdir), path
    assert "/etc" not in binds["--ro-bind"]
    assert options[options.index("--chdir") + 1] == str(workdir)
    env = {options[i + 1]: options[i + 2] for i, a in enumerate(options) if a == "--setenv"}
    assert set(env) >= {"HOME", "PATH"}
    assert not any(str(root) in v for v in env.values())
    assert "--share-net" not in options


LAUNCHER_PROBE = """
import runpy, sys
sys.argv = ["launcher", "--help"]
try:
    runpy.run_path(LAUNCHER, run_name="__main__")
except SystemExit:
    pass
print(sorted({m.split(".")[0] for m in sys.modules} & THIRD_PARTY))
"""


def test_the_launcher_is_isolated_from_the_submission():
    """The host-side launcher: isolated mode, an absolute path, the standard library only."""
    from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute

    argv = SandboxedExecute().launcher_argv("/course/autograded/s/a")
    assert argv[:4] == [sys.executable, "-I", "-B", sandbox.LAUNCHER]
    assert os.path.isabs(sandbox.LAUNCHER) and argv[argv.index("--workdir") + 1] == "/course/autograded/s/a"
    third_party = {"mlops_concepts", "nbgrader", "jupyter_client", "zmq", "IPython", "traitlets"}
    probe = LAUNCHER_PROBE.replace("LAUNCHER", repr(sandbox.LAUNCHER)).replace(
        "THIRD_PARTY", repr(third_party)
    )
    result = subprocess.run([sys.executable, "-I", "-c", probe], capture_output=True, text=True)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr


def test_bwrap_argv_never_binds_the_repository_when_it_is_the_course(tmp_path):
    """`make demo` grades inside this repository: only the package and the virtualenv are bound."""
    from support.course import REPO

    workdir = REPO / "autograded" / "s" / "a"
    argv = sandbox.bwrap_argv(str(workdir), "/tmp/sockets", ["python"])
    for path in _binds(argv)["--ro-bind"] + _binds(argv)["--bind"]:
        assert path != str(REPO) and not str(REPO).startswith(path.rstrip("/") + "/"), path
        for secret in ("source", "submitted", "gradebook.db", "feedback", "release", "tests"):
            assert not path.startswith(str(REPO / secret)), path


# -- matplotlib's font list, built once on the host and copied into each kernel --------------------

FONT_PROBE = """
import json, logging, pathlib
logging.basicConfig(level=logging.DEBUG, format="LOG %(message)s")
import matplotlib.font_manager as fm
cache = pathlib.Path("/tmp/matplotlib") / f"fontlist-v{fm.FontManager.__version__}.json"
cache.write_text("{}")  # the kernel's own copy may change; the host's may not
try:
    open("FONT_CACHE_MOUNT/" + cache.name, "w")
    print("HOST-WRITABLE")
except OSError:
    pass
print("FONTS", json.dumps(sorted(pathlib.Path(f.fname).name for f in fm.fontManager.ttflist)))
"""


def _sandboxed_fonts(tmp_path, fonts):
    work = tmp_path / ("with" if fonts else "without")
    work.mkdir()
    code = FONT_PROBE.replace("FONT_CACHE_MOUNT", sandbox.FONT_CACHE_MOUNT)
    argv = sandbox.bwrap_argv(str(work), str(work), [sys.executable, "-I", "-c", code], fonts)
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, cwd=work)
    assert result.returncode == 0, result.stderr[-2000:]
    names = json.loads(next(ln for ln in result.stdout.splitlines() if ln.startswith("FONTS "))[6:])
    return result.stdout + result.stderr, names


def test_kernels_read_the_font_list_built_once_on_the_host(tmp_path):
    fonts = sandbox.font_cache(str(tmp_path / "cache"))
    assert fonts and fonts.startswith(str(tmp_path / "cache"))
    [built] = Path(fonts).glob("fontlist-*.json")
    before = built.read_bytes()
    assert sandbox.font_cache(str(tmp_path / "cache")) == fonts  # built once, then reused
    with_cache, names = _sandboxed_fonts(tmp_path, fonts)
    assert "Using fontManager instance from /tmp/matplotlib/" in with_cache, with_cache[-2000:]
    assert "generated new fontManager" not in with_cache
    assert "HOST-WRITABLE" not in with_cache
    assert built.read_bytes() == before  # the kernel overwrote its own copy only
    # The same fonts as a kernel that scans them itself (what every kernel did before).
    without_cache, scanned = _sandboxed_fonts(tmp_path, None)
    assert "generated new fontManager" in without_cache
    assert names == scanned and len(names) > 10


def test_without_matplotlib_or_a_writable_cache_kernels_scan_fonts_themselves(tmp_path, monkeypatch):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    assert sandbox.font_cache(str(blocked)) is None
    monkeypatch.setattr(sandbox.importlib.util, "find_spec", lambda name: None)
    assert sandbox.font_cache(str(tmp_path / "cache")) is None
    argv = sandbox.bwrap_argv(str(tmp_path), str(tmp_path), ["python"], None)
    assert sandbox.FONT_CACHE_MOUNT not in argv and sandbox.FONT_CACHE_MOUNT not in " ".join(argv)


@first_chapter_only
def test_the_grading_kernel_runs_without_a_debugger(attack):
    """ipykernel starts with debugpy unimportable: a kernel that grades is never debugged, and
    setting up the debugger cost every kernel's start about a tenth of a second."""
    assert "DEBUGGER False None" in attack.graded.text_outputs(LAST)
    assert attack.graded.scores(LAST) == attack.graded.max_scores()


@first_chapter_only
def test_the_grading_kernel_reads_the_course_package_compiled(attack):
    """The kernel may not write bytecode (``-B``, a read-only package): the grader writes it
    first (``sandbox.compile_package``), instead of every kernel compiling the package again."""
    out = attack.graded.text_outputs(LAST)
    loaded = int(re.search(r"COURSE-MODULES (\d+)", out).group(1))
    assert loaded > 5, out[-2000:]  # the chapter imported the package: the probe saw it
    assert "UNCOMPILED []" in out, out[-2000:]


def test_the_package_is_compiled_only_where_the_grader_may_write(monkeypatch):
    monkeypatch.setattr(sandbox.os, "access", lambda path, mode: False)
    assert sandbox.compile_package() is False

"""The local exchange works without root: release, fetch, submit, collect."""

import os
import subprocess
import sys

from mlops_concepts.class_grading.commands import nbgrader_env
from support.course import ASSIGNMENTS, make_course, nbgrader


def test_release_fetch_submit_collect(tmp_path):
    root = make_course(tmp_path / "course")
    assignment = ASSIGNMENTS[0]
    assert nbgrader(root, "release_assignment", assignment, "--force").returncode == 0
    assert (root / ".exchange" / "mlops-concepts" / "outbound" / assignment).is_dir()

    student = tmp_path / "student"
    student.mkdir()
    env = dict(nbgrader_env(), MLOPS_CONCEPTS_EXCHANGE=str(root / ".exchange"))
    # A student has no course config of their own: they name the course and the exchange.
    args = ["--course", "mlops-concepts", f"--Exchange.root={root / '.exchange'}"]

    def run(*cmd):
        return subprocess.run(
            [sys.executable, "-m", "nbgrader", *cmd, *args],
            cwd=student,
            capture_output=True,
            text=True,
            env=env,
        )

    fetched = run("fetch_assignment", assignment)
    assert fetched.returncode == 0, fetched.stdout + fetched.stderr
    assert (student / assignment / f"{assignment}.ipynb").exists()
    submitted = run("submit", assignment)
    assert submitted.returncode == 0, submitted.stdout + submitted.stderr

    collected = nbgrader(root, "collect", assignment)
    assert collected.returncode == 0, collected.stdout + collected.stderr
    user = os.environ.get("USER") or __import__("getpass").getuser()
    assert (root / "submitted" / user / assignment / f"{assignment}.ipynb").exists()


def test_collect_copies_no_link_hard_link_or_special_file(tmp_path):
    """A student owns their inbound copy and can plant anything in it before collect runs.

    nbgrader's own collect follows links (the gradebook or the instructor's notebook becomes a real
    file in submitted/; /dev/urandom never ends) and opens FIFOs (it hangs). The course's collect
    (c.ExchangeFactory.collect) copies only regular files with one name, and refuses an inbound
    submission that is itself a link. The timeout turns a hang into a failure.
    """
    import stat

    root = make_course(tmp_path / "course")
    assignment = ASSIGNMENTS[0]
    assert nbgrader(root, "release_assignment", assignment, "--force").returncode == 0
    student = tmp_path / "student"
    student.mkdir()
    env = dict(nbgrader_env(), MLOPS_CONCEPTS_EXCHANGE=str(root / ".exchange"))
    args = ["--course", "mlops-concepts", f"--Exchange.root={root / '.exchange'}"]
    for cmd in (("fetch_assignment", assignment), ("submit", assignment)):
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *cmd, *args],
            cwd=student,
            capture_output=True,
            text=True,
            env=env,
        )
        assert done.returncode == 0, done.stdout + done.stderr

    inbound = root / ".exchange" / "mlops-concepts" / "inbound"
    (mine,) = list(inbound.iterdir())
    os.symlink(root / "gradebook.db", mine / "gradebook.db")
    os.symlink(root / "source" / assignment / f"{assignment}.ipynb", mine / "solution.ipynb")
    os.symlink("/dev/urandom", mine / "random.bin")
    os.link(root / "gradebook.db", mine / "grades.db")
    os.mkfifo(mine / "pipe")
    if os.geteuid() == 0:  # a device node needs root; CI runs as root
        os.mknod(mine / "urandom", stat.S_IFCHR | 0o600, os.makedev(1, 9))
    (mine / "data").mkdir()
    (mine / "data" / "notes.txt").write_text("my notes")
    os.symlink(root / "source", mine / "data" / "source")
    # Another "student" whose whole inbound submission is a link to the instructor's source folder.
    timestamp = mine.name.split("+")[2]
    os.symlink(root / "source" / assignment, inbound / f"mallory+{assignment}+{timestamp}+x")

    collected = subprocess.run(
        [sys.executable, "-m", "nbgrader", "collect", assignment],
        cwd=root,
        capture_output=True,
        text=True,
        env=nbgrader_env(),
        timeout=300,
    )
    log = collected.stdout + collected.stderr
    assert collected.returncode == 0, log
    user = mine.name.split("+")[0]
    folder = root / "submitted" / user / assignment
    assert (folder / f"{assignment}.ipynb").is_file()
    assert (folder / "data" / "notes.txt").read_text() == "my notes"
    assert (folder / "timestamp.txt").is_file()  # written by submit: a regular file, kept
    gradebook = (root / "gradebook.db").read_bytes()[:100]
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            st = os.lstat(os.path.join(dirpath, name))
            assert stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1), name
            if stat.S_ISREG(st.st_mode):
                data = open(os.path.join(dirpath, name), "rb").read()
                assert gradebook not in data and b"### BEGIN SOLUTION" not in data, name
    left_out = {"gradebook.db", "solution.ipynb", "random.bin", "grades.db", "pipe", "urandom"}
    assert not left_out & set(os.listdir(folder))
    for name in left_out - ({"urandom"} if os.geteuid() != 0 else set()):
        assert f"‹{name}›" in log, name  # each one named in the log, quoted
    assert not (root / "submitted" / "mallory").exists()
    assert f"‹mallory+{assignment}+" in log and "symbolic link" in log, log


def test_with_roster_only_collect_takes_only_the_students_on_the_roster(tmp_path):
    """c.StudentIds.roster_only: a submission named after someone who is not in the gradebook's
    student table is skipped and listed; the student on the roster is collected."""
    root = make_course(tmp_path / "course")
    with open(root / "nbgrader_config.py", "a") as f:
        f.write("\nc.StudentIds.roster_only = True\n")
    assignment = ASSIGNMENTS[0]
    assert nbgrader(root, "release_assignment", assignment, "--force").returncode == 0
    assert nbgrader(root, "db", "student", "add", "ann").returncode == 0
    # nbgrader's submit names the folder after the Unix user (root here): two submissions, then
    # named after ann and mallory as their own users' submits would.
    args = ["--course", "mlops-concepts", f"--Exchange.root={root / '.exchange'}"]
    home = tmp_path / "student"
    home.mkdir()
    for cmd in (["fetch_assignment", assignment], ["submit", assignment], ["submit", assignment]):
        done = subprocess.run(
            [sys.executable, "-m", "nbgrader", *cmd, *args],
            cwd=home,
            capture_output=True,
            text=True,
            env=nbgrader_env(),
        )
        assert done.returncode == 0, done.stdout + done.stderr
    inbound = root / ".exchange" / "mlops-concepts" / "inbound"
    for name, user in zip(sorted(os.listdir(inbound)), ("ann", "mallory"), strict=True):
        os.rename(inbound / name, inbound / (user + name[name.index("+") :]))

    collected = nbgrader(root, "collect", assignment)

    assert collected.returncode == 0, collected.stdout + collected.stderr
    assert (root / "submitted" / "ann" / assignment / f"{assignment}.ipynb").exists()
    assert not (root / "submitted" / "mallory").exists()
    said = collected.stdout + collected.stderr
    assert "mallory" in said and "roster" in said, said

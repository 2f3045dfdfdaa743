"""exchange_setup: the modes it creates, and every unsafe owner or mode named with its exact fix."""

import os
import pwd
import shlex

import pytest

from mlops_concepts.nbgrader_plugins import exchange_setup
from mlops_concepts.nbgrader_plugins.exchange_setup import UnsafeExchange, create, problems, require_safe

COURSE = "mlops-concepts"


@pytest.fixture
def exchange(tmp_path):
    root = tmp_path / "exchange"
    create(str(root), COURSE)
    return root


def mode(path):
    return os.lstat(path).st_mode & 0o7777


def fixes(root):
    return [p.fix for p in problems(str(root), COURSE)]


def test_create_makes_the_modes_a_multi_user_exchange_needs(exchange):
    course = exchange / COURSE
    assert mode(exchange) == 0o1777
    assert (mode(course), mode(course / "outbound")) == (0o755, 0o755)
    assert mode(course / "inbound") == 0o3733  # -wx for students, sticky, set-group-id
    assert mode(course / "feedback") == 0o711
    assert problems(str(exchange), COURSE) == []
    require_safe(str(exchange), COURSE)


def test_create_changes_no_existing_folder(exchange):
    os.chmod(exchange / COURSE / "inbound", 0o2733)
    assert create(str(exchange), COURSE) == []
    assert mode(exchange / COURSE / "inbound") == 0o2733


@pytest.mark.parametrize(
    "where, bad, fix",
    [
        ("", 0o777, "chmod 1777 {path}"),  # nbgrader's own root: the course folder can be replaced
        (COURSE, 0o777, "chmod 0755 {path}"),
        (f"{COURSE}/outbound", 0o775, "chmod 0755 {path}"),
        (f"{COURSE}/inbound", 0o2733, "chmod 3733 {path}"),  # nbgrader's inbound: no sticky bit
        (f"{COURSE}/inbound", 0o3737, "chmod 3733 {path}"),  # others can list submissions
        (f"{COURSE}/feedback", 0o755, "chmod 0711 {path}"),  # others can list feedback names
    ],
)
def test_each_unsafe_mode_is_named_with_its_chmod(exchange, where, bad, fix):
    path = exchange / where if where else exchange
    os.chmod(path, bad)
    with pytest.raises(UnsafeExchange) as refused:
        require_safe(str(exchange), COURSE)
    assert fix.format(path=path) in str(refused.value)
    assert fixes(exchange) == [fix.format(path=path)]


def test_a_missing_exchange_is_refused_unless_missing_is_allowed(tmp_path):
    assert "does not exist" in problems(str(tmp_path / "none"), COURSE)[0].what
    assert problems(str(tmp_path / "none"), COURSE, missing_ok=True) == []


def test_a_folder_above_the_exchange_that_others_can_write_is_refused(tmp_path):
    above = tmp_path / "shared"
    above.mkdir()
    create(str(above / "exchange"), COURSE)
    os.chmod(above, 0o777)
    assert f"chmod go-w {above}" in fixes(above / "exchange")
    os.chmod(above, 0o1777)  # sticky: nobody but the owner renames the exchange
    assert problems(str(above / "exchange"), COURSE) == []


def test_a_course_folder_that_is_a_link_is_refused(exchange, tmp_path):
    course = exchange / COURSE
    os.rename(course, tmp_path / "elsewhere")
    os.symlink(tmp_path / "elsewhere", course)
    (found,) = problems(str(exchange), COURSE)
    assert found.what.startswith("not a folder") and found.fix.startswith("mv ")


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_course_folder_someone_else_made_is_refused(exchange):
    nobody = pwd.getpwnam("nobody")
    os.chown(exchange / COURSE, nobody.pw_uid, nobody.pw_gid)
    (found,) = problems(str(exchange), COURSE)
    assert found.what == "owned by nobody, not by root: someone else created it"
    # The instructor the folders were made for is trusted, root too.
    assert problems(str(exchange), COURSE, owner=nobody.pw_uid) == []
    os.chown(exchange, nobody.pw_uid, nobody.pw_gid)  # the root itself, made by a student
    assert [
        p.fix for p in problems(str(exchange), COURSE) if "the exchange is owned by nobody" in p.what
    ] == [f"chown root {exchange}"]


def test_paths_in_fixes_are_quoted_for_the_shell_and_printable(tmp_path):
    root = tmp_path / "ex $(touch x)\n; rm -rf ~"
    create(str(root), COURSE)
    os.chmod(root, 0o777)
    (found,) = problems(str(root), COURSE)
    # One line, one argument: the $(...) is never run by a shell the fix is pasted into.
    assert "\n" not in found.fix
    assert shlex.split(found.fix) == ["chmod", "1777", str(root).replace("\n", "\\x0a")]
    assert "\n; rm" not in exchange_setup.message([found], str(root))


def test_the_command_creates_checks_and_reads_the_course_config(tmp_path, capsys):
    from mlops_concepts.class_grading.cli import main

    course = tmp_path / "course"
    course.mkdir()
    root = tmp_path / "from-config"
    (course / "nbgrader_config.py").write_text(f"c = get_config()\nc.Exchange.root = {str(root)!r}\n")
    assert main(["exchange-setup", "--root", str(course), "--check"]) == 1
    assert "the exchange does not exist" in capsys.readouterr().out
    assert main(["exchange-setup", "--root", str(course)]) == 0
    assert f"created {root / COURSE / 'inbound'} (3733)" in capsys.readouterr().out
    assert main(["exchange-setup", "--root", str(course), "--check"]) == 0
    os.chmod(root, 0o777)
    assert main(["exchange-setup", "--exchange", str(root), "--check"]) == 1
    assert f"fix: chmod 1777 {root}" in capsys.readouterr().out
    assert main(["exchange-setup", "--exchange", str(root)]) == 1  # never changes what exists
    assert mode(root) == 0o777

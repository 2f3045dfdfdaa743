"""inbound: each entry judged on its own; bad ones skipped with a reason, the rest kept."""

import os
import pwd
from datetime import datetime

import pytest

from mlops_concepts.nbgrader_plugins.inbound import latest, read_inbound

A = "ch1"
TS = "2026-12-07 12:00:00.000000 UTC"


def entries(inbound, *names, file=False):
    for name in names:
        path = inbound / name
        path.write_text("x") if file else path.mkdir()
    return inbound


def reasons(skipped):
    return {s.filename: s.reason for s in skipped}


def test_good_entries_are_kept_and_each_bad_one_is_skipped_with_its_reason(tmp_path):
    me = pwd.getpwuid(os.geteuid()).pw_name
    inbound = entries(
        tmp_path,
        f"{me}+{A}+{TS}+rnd",
        f"{me}+{A}+{TS}",  # no random part: nbgrader's add_random_string=False
        f"{me}+{A}+not a time+rnd",
        f"{me}+{A}+99999999999999999999+rnd",
        f"{me}+{A}+2026-13-45 00:00:00 UTC+rnd",
        f"-rf+{A}+{TS}+rnd",
        f"bad\x1b[2J+{A}+{TS}+rnd",
        f"{me}+{A}+2026+01+rnd",
        f"+{A}+{TS}",
        f"{me}+ch2+{TS}+rnd",  # another assignment: not ours to judge
        "garbage",
    )
    entries(inbound, f"{me}+{A}+{TS}+file", file=True)
    os.symlink(tmp_path, inbound / f"{me}+{A}+{TS}+link")
    records, skipped = read_inbound(str(inbound), A)
    assert [r["filename"] for r in records] == [f"{me}+{A}+{TS}", f"{me}+{A}+{TS}+rnd"]
    assert records[0]["timestamp"] == datetime(2026, 12, 7, 12, 0)
    got = reasons(skipped)
    assert got == {
        f"{me}+{A}+not a time+rnd": "its timestamp is not a date and time",
        f"{me}+{A}+99999999999999999999+rnd": "its timestamp is not a date and time",
        f"{me}+{A}+2026-13-45 00:00:00 UTC+rnd": "its timestamp is not a date and time",
        f"-rf+{A}+{TS}+rnd": "the student id is refused: not a valid student id: it starts with '-'",
        f"bad\x1b[2J+{A}+{TS}+rnd": "the student id is refused: not a valid student id: it contains "
        "characters other than letters, digits, '.', '_' and '-'",
        f"{me}+{A}+2026+01+rnd": "its name is not <id>+<assignment>+<timestamp>[+<random>]",
        f"+{A}+{TS}": "its name is not <id>+<assignment>+<timestamp>[+<random>]",
        f"{me}+{A}+{TS}+file": "it is not a folder",
        f"{me}+{A}+{TS}+link": "it is a symbolic link (nothing it points to was read)",
    }


def test_student_limits_what_is_read(tmp_path):
    inbound = entries(tmp_path, f"ann+{A}+{TS}+r", f"bob+{A}+{TS}+r", f"bob+{A}+bad+r")
    records, skipped = read_inbound(str(inbound), A, student="ann")
    assert [r["username"] for r in records] == ["ann"] and skipped == []


@pytest.mark.skipif(os.geteuid() != 0, reason="giving a folder to another user needs root")
def test_a_submission_is_kept_only_when_owned_by_the_student_it_names_or_by_the_collector(tmp_path):
    nobody = pwd.getpwnam("nobody")
    inbound = entries(
        tmp_path,
        f"daemon+{A}+{TS}+1",  # owned by nobody, in the name of another user, daemon
        f"nobody+{A}+{TS}+2",  # owned by nobody, in their own name
        f"ghost+{A}+{TS}+3",  # owned by uid 54321, who has no user
        f"carol+{A}+{TS}+4",  # owned by the collecting user (root): students share one account
    )
    os.chown(inbound / f"daemon+{A}+{TS}+1", nobody.pw_uid, nobody.pw_gid)
    os.chown(inbound / f"nobody+{A}+{TS}+2", nobody.pw_uid, nobody.pw_gid)
    os.chown(inbound / f"ghost+{A}+{TS}+3", 54321, 54321)
    records, skipped = read_inbound(str(inbound), A)
    assert sorted(r["username"] for r in records) == ["carol", "nobody"]
    assert reasons(skipped) == {
        f"daemon+{A}+{TS}+1": "it is owned by nobody, not by that student: submitted in someone else's name",
        f"ghost+{A}+{TS}+3": "there is no Unix user of that name, and it is owned by uid 54321",
    }
    records, skipped = read_inbound(str(inbound), A, check_owner=False)  # CollectApp.check_owner=False
    assert len(records) == 4 and skipped == []


def test_latest_keeps_the_newest_or_the_newest_on_time():
    def rec(user, day):
        return {"username": user, "filename": f"{user}{day}", "timestamp": datetime(2026, 1, day)}

    records = [rec("ann", 1), rec("ann", 5), rec("ann", 3), rec("bob", 9)]
    assert sorted(r["filename"] for r in latest(records, None, False)) == ["ann5", "bob9"]
    due = datetime(2026, 1, 4)
    assert sorted(r["filename"] for r in latest(records, due, True)) == ["ann3", "bob9"]
    assert sorted(r["filename"] for r in latest(records, due, False)) == ["ann5", "bob9"]


def test_a_collected_timestamp_that_is_not_a_date_counts_as_unknown(tmp_path):
    """timestamp.txt is the student's: nbgrader's reader stops collect --update on garbage."""
    from mlops_concepts.nbgrader_plugins.inbound import existing_timestamp

    assert existing_timestamp(str(tmp_path)) is None  # none yet
    for garbage in (b"not a date", b"99999999999999999999", b"\xff\xfe", b"2026-13-45 00:00:00 UTC"):
        (tmp_path / "timestamp.txt").write_bytes(garbage)
        assert existing_timestamp(str(tmp_path)) is None, garbage
    (tmp_path / "timestamp.txt").write_text(TS + "\n")
    assert existing_timestamp(str(tmp_path)) == datetime(2026, 12, 7, 12, 0)
    (tmp_path / "timestamp.txt").unlink()
    os.symlink("/dev/zero", tmp_path / "timestamp.txt")  # never opened through a link
    assert existing_timestamp(str(tmp_path)) is None

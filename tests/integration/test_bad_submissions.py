"""Bad submissions never stop the class and never lose data.

One grading run (the instructor's command, split over course copies graded at once) holds one
student per kind of broken or hostile submission, plus an honest complete and an honest partial
student. Where a case breaks the notebook, the breaking code sits in ONE answer cell (the "break
cell", in the middle of the chapter) of an otherwise honest, correct notebook, so the tests can say
exactly which items must keep their points.

Unit tests then feed hostile folders to the staging step directly, and a second, small run checks
that output of every kind is held to the per-cell limit without blowing up the grader.
"""

from __future__ import annotations

import json
import os
import re
import stat
from dataclasses import dataclass
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell

from mlops_concepts.grading.submissions import fingerprint, stage
from support.cheats.chapter import Chapter
from support.cheats.runner import SHARDS, grade_students, tree_snapshot
from support.course import first_chapter_only, per_chapter_case, per_chapter_cases, runs_on

pytestmark = pytest.mark.slow

GRADER_MEMORY_LIMIT = 1024 * 2**20  # what one nbgrader process may use, whatever a submission does

BEFORE, BREAK, AFTER = "before", "break", "after"


@dataclass
class Case:
    make: object  # (chapter, break gid) -> notebook, or a callable filling the submission folder
    outcome: str  # "full", "blank", "survives", "fatal", "memory", "partial", "missing-answer"
    says: tuple = ()  # texts the student's progress line, log or feedback must contain (a tuple: any)
    noted: bool = False  # ``says`` comes from staging, so the feedback page itself must say it
    slow: bool = False  # waits for a timeout or fills memory: as long as several ordinary cases


def _honest(ch):
    return {gid: ch.honest(gid) for gid in ch.answers}


def _broken(code):
    """The honest notebook with ``code`` run first in the break cell (its answer comes after)."""

    def make(ch, brk):
        texts = _honest(ch)
        texts[brk] = code + "\n" + texts[brk]
        return ch.notebook(texts)

    return make


def _in_folder(fill):
    def make(ch, brk):
        return lambda folder: fill(ch, brk, folder)

    return make


def _write_bytes(ch, folder, nb, name=None, edit=lambda raw: raw):
    raw = nbformat.writes(nb).encode()
    (folder / (name or f"{ch.assignment}.ipynb")).write_bytes(edit(raw))


def _corrupt(ch, brk, folder):
    (folder / f"{ch.assignment}.ipynb").write_bytes(b"\x89PNG\r\n\x1a\n not a notebook at all \x00\xff")


def _truncated(ch, brk, folder):
    _write_bytes(ch, folder, ch.notebook(_honest(ch)), edit=lambda raw: raw[: len(raw) // 2])


def _extra_cells(ch, brk):
    nb = ch.notebook(_honest(ch))
    nb.cells.insert(ch.index_of(nb, brk), new_markdown_cell("My notes: *remember the lifecycle*."))
    nb.cells.insert(ch.index_of(nb, brk) + 1, new_code_cell("scratch = sum(range(10))\nprint(scratch)"))
    nb.cells.append(new_code_cell("print('the end')"))
    return nb


def _missing_answer(ch, brk):
    nb = ch.notebook(_honest(ch))
    del nb.cells[ch.index_of(nb, brk)]
    return nb


def _renamed(ch, brk, folder):
    _write_bytes(ch, folder, ch.notebook(_honest(ch)), name="my work (final) v2.ipynb")


def _missing(ch, brk, folder):
    (folder / "notes.txt").write_text("I will submit the notebook tomorrow.\n")


def _non_utf8(ch, brk, folder):
    texts = _honest(ch)
    texts[brk] = "# NONUTF8-IN-CODE\n" + texts[brk]
    nb = ch.notebook(texts)
    nb.cells.insert(1, new_markdown_cell("NONUTF8-IN-MARKDOWN"))
    _write_bytes(
        ch,
        folder,
        nb,
        edit=lambda raw: raw.replace(b"NONUTF8-IN-CODE", b"caf\xe9 \xff\xfe").replace(
            b"NONUTF8-IN-MARKDOWN", b"\xc3\x28 na\xefve"
        ),
    )


def _huge_attachment(ch, brk):
    nb = ch.notebook(_honest(ch))
    import base64

    blob = base64.b64encode(os.urandom(30 * 2**20)).decode()
    cell = new_markdown_cell("![diagram](attachment:big.png)")
    cell["attachments"] = {"big.png": {"image/png": blob}}
    nb.cells.insert(ch.index_of(nb, brk), cell)
    return nb


def _empty(ch, brk, folder):
    pass


def _symlinks(ch, brk, folder):
    root = folder.parents[2]
    nbformat.write(ch.notebook(_honest(ch)), folder / f"{ch.assignment}.ipynb")
    os.symlink(root / "gradebook.db", folder / "gradebook.db")
    os.symlink("/etc/passwd", folder / "passwd.txt")
    (folder / "data").mkdir()
    os.symlink(root / "source", folder / "data" / "source")


def _honest_plus(plant):
    """An honest, complete notebook plus whatever ``plant(course root, folder)`` puts beside it."""

    def fill(ch, brk, folder):
        nbformat.write(ch.notebook(_honest(ch)), folder / f"{ch.assignment}.ipynb")
        plant(folder.parents[2], folder)

    return _in_folder(fill)


def _peer_work(ch, folder):
    """Another student's honest, complete work, outside submitted/ (the link is what is tested)."""
    peer = folder.parents[2] / "peer-work" / folder.parent.name / ch.assignment
    peer.mkdir(parents=True)
    nbformat.write(ch.notebook(_honest(ch)), peer / f"{ch.assignment}.ipynb")
    return peer


def _folder_links_to_source(ch, brk, folder):
    folder.rmdir()
    os.symlink(folder.parents[2] / "source" / ch.assignment, folder)


def _folder_links_to_peer(ch, brk, folder):
    peer = _peer_work(ch, folder)
    folder.rmdir()
    os.symlink(peer, folder)


def _student_folder_links_to_peer(ch, brk, folder):
    peer = _peer_work(ch, folder)
    folder.rmdir()
    folder.parent.rmdir()
    os.symlink(peer.parent, folder.parent)


def _notebook_links_to_source(ch, brk, folder):
    os.symlink(
        folder.parents[2] / "source" / ch.assignment / f"{ch.assignment}.ipynb",
        folder / f"{ch.assignment}.ipynb",
    )


def _notebook_hard_links_to_source(ch, brk, folder):
    os.link(
        folder.parents[2] / "source" / ch.assignment / f"{ch.assignment}.ipynb",
        folder / f"{ch.assignment}.ipynb",
    )


def _control_names(root, folder):
    for name in (
        "evil\nAutograding complete: student X 16 of 16.txt",
        "\x1b[2Jclear.txt",
        "rtl\u202etxt.exe",
    ):
        (folder / name).write_text("x")


def _device(root, folder):
    os.mknod(folder / "urandom", stat.S_IFCHR | 0o600, os.makedev(1, 9))  # what /dev/urandom is


IS_ROOT = os.geteuid() == 0


# A 1x1 PNG: what a student pastes into a markdown answer is stored as a cell attachment.
PNG = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="


def markdown_answer(ch: Chapter) -> str | None:
    for cell in ch.release.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.cell_type == "markdown" and meta.get("solution") and not meta.get("locked"):
            return meta["grade_id"]
    return None


def _image_in_markdown_answer(ch, brk):
    nb = ch.notebook(_honest(ch))
    gid = markdown_answer(ch)
    at = ch.index_of(nb, gid) if gid else len(nb.cells)
    if gid is None:  # no written answer in this chapter: an extra markdown cell instead
        nb.cells.append(new_markdown_cell(""))
    cell = nb.cells[at]
    cell.source = "My answer, with a sketch:\n\n![sketch](attachment:sketch.png)\n"
    cell["attachments"] = {"sketch.png": {"image/png": PNG}}
    return nb


def _dangling_attachment(ch, brk):
    nb = ch.notebook(_honest(ch))
    nb.cells.insert(ch.index_of(nb, brk), new_markdown_cell("See ![my diagram](attachment:lost.png)"))
    return nb


def _odd_file_name(ch, brk, folder):
    """An honest notebook, and a link whose name is not UTF-8 (a file from an old system)."""
    nbformat.write(ch.notebook(_honest(ch)), folder / f"{ch.assignment}.ipynb")
    os.symlink("notes.txt", os.path.join(os.fsencode(folder), b"caf\xe9-notes.txt"))


def _honest_lone_surrogate(ch, brk, folder):
    """An honest notebook with half an emoji (a lone surrogate, valid JSON) in a comment."""
    nb = json.loads(nbformat.writes(ch.notebook(_honest(ch))))
    nb["cells"].append(
        {
            "cell_type": "code",
            "source": "# my notes SURROGATE",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    )
    (folder / f"{ch.assignment}.ipynb").write_text(json.dumps(nb).replace("SURROGATE", "\\ud83d"))


def _honest_invalid_attachment(ch, brk, folder):
    nb = json.loads(nbformat.writes(ch.notebook(_honest(ch))))
    nb["cells"].append({"cell_type": "markdown", "source": "hi", "metadata": {}, "attachments": {"a": 5}})
    (folder / f"{ch.assignment}.ipynb").write_text(json.dumps(nb))


def _empty_attachment(ch, brk):
    """A markdown cell whose attachment has no content at all (valid notebook JSON)."""
    nb = ch.notebook(_honest(ch))
    cell = new_markdown_cell("![sketch](attachment:sketch.png)")
    cell["attachments"] = {"sketch.png": {}}
    nb.cells.insert(ch.index_of(nb, brk), cell)
    return nb


def _partial(ch, brk):
    ids = list(ch.answers)
    return ch.notebook({gid: ch.honest(gid) for gid in ids[::2]})


CASES = {
    "corrupt-json": Case(_in_folder(_corrupt), "blank", ("not valid notebook JSON",)),
    "truncated-json": Case(_in_folder(_truncated), "blank", ("not valid notebook JSON",)),
    "extra-cells": Case(_extra_cells, "full"),
    "missing-answer-cell": Case(_missing_answer, "missing-answer", ("NotImplementedError",)),
    "renamed-notebook": Case(_in_folder(_renamed), "full", ("was graded as",)),
    "missing-notebook": Case(_in_folder(_missing), "blank", ("missing from the submission",)),
    "infinite-loop": Case(_broken("while True:\n    pass"), "survives", ("KeyboardInterrupt",), slow=True),
    "swallows-interrupt": Case(
        _broken(
            "while True:\n    try:\n        while True:\n            pass\n"
            "    except BaseException:\n        pass"
        ),
        "fatal",
        ("ignored the interrupt",),
        slow=True,
    ),
    # One 20 MB message is past the whole-message bound (docs/security/kernel-messages.md): the
    # launcher stops the kernel before the grader holds it, with a note; later cells do not run.
    "print-20mb": Case(_broken("print('x' * 20_000_000)"), "fatal", ("one message larger than 8 MB",)),
    # Out of memory, the kernel survives crippled (IPython keeps the traceback, and with it the
    # memory; ipykernel queues output faster than the grader drops it): later cells may fail too.
    # Which comes first depends on the machine's speed: the output budget (truncated), or the
    # kernel's memory, as its own queue of unsent output grows (the grader reads at most a few
    # messages ahead: docs/security/kernel-messages.md).
    "print-forever": Case(
        _broken("while True:\n    print('spam ' * 1000)"),
        "memory",
        (("output truncated by the grader", "MemoryError", "the kernel stopped"),),
        slow=True,
    ),
    "alloc-8gb": Case(_broken("x = bytearray(8 * 2**30)"), "survives", ("MemoryError",)),
    "growing-list": Case(
        _broken("def grow():\n    x = []\n    while True:\n        x.append(' ' * 10**6)\ngrow()"),
        "memory",
        # Python's MemoryError (the address-space limit) or the kernel stopped (the control group's
        # limit), whichever the kernel reaches first: under a loaded CI run it was once the latter.
        (("MemoryError", "the kernel stopped"),),
        slow=True,
    ),
    "os-exit": Case(_broken("import os\nos._exit(0)"), "fatal", ("the kernel stopped",)),
    "sys-exit": Case(_broken("import sys\nsys.exit(1)"), "survives", ("SystemExit",)),
    "raise-systemexit": Case(_broken("raise SystemExit"), "survives", ("SystemExit",)),
    "kill-self": Case(
        _broken("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"), "fatal", ("the kernel stopped",)
    ),
    "non-utf8-bytes": Case(_in_folder(_non_utf8), "full", ("not UTF-8",)),
    "huge-attachment": Case(_huge_attachment, "full", ("Dropping",)),
    "empty-folder": Case(_in_folder(_empty), "blank", ("the submission folder is empty",)),
    "symlinks": Case(_in_folder(_symlinks), "full", ("symbolic link",), noted=True),
    "image-in-markdown-answer": Case(_image_in_markdown_answer, "full"),
    "dangling-attachment": Case(_dangling_attachment, "full"),
    "empty-attachment": Case(_empty_attachment, "full", ("malformed or empty",), noted=True),
    "deeply-nested-json": Case(
        _in_folder(lambda ch, brk, folder: _deep_json(ch, folder)),
        "blank",
        ("nested too deeply",),
        noted=True,
    ),
    "odd-file-name": Case(_in_folder(_odd_file_name), "full", ("‹caf\\udce9-notes.txt›",), noted=True),
    "lone-surrogate": Case(_in_folder(_honest_lone_surrogate), "full", ("lone surrogates",), noted=True),
    "invalid-attachment": Case(
        _in_folder(_honest_invalid_attachment), "full", ("malformed or empty",), noted=True
    ),
    # Links and special files (issue item 2): never points, never anything carried over.
    "folder-links-to-source": Case(
        _in_folder(_folder_links_to_source), "blank", ("is a symbolic link",), noted=True
    ),
    "folder-links-to-peer": Case(
        _in_folder(_folder_links_to_peer), "blank", ("is a symbolic link",), noted=True
    ),
    "student-folder-links-to-peer": Case(
        _in_folder(_student_folder_links_to_peer), "blank", ("is a symbolic link",), noted=True
    ),
    "notebook-links-to-source": Case(
        _in_folder(_notebook_links_to_source), "blank", ("is a symbolic link",), noted=True
    ),
    "notebook-hard-links-to-source": Case(
        _in_folder(_notebook_hard_links_to_source), "blank", ("is a hard link",), noted=True
    ),
    "link-to-urandom": Case(
        _honest_plus(lambda root, folder: os.symlink("/dev/urandom", folder / "random.bin")),
        "full",
        ("‹random.bin› is a symbolic link",),
        noted=True,
    ),
    "hard-link-to-gradebook": Case(
        _honest_plus(lambda root, folder: os.link(root / "gradebook.db", folder / "grades.db")),
        "full",
        ("‹grades.db› is a hard link",),
        noted=True,
    ),
    "fifo": Case(
        _honest_plus(lambda root, folder: os.mkfifo(folder / "pipe")),
        "full",
        ("‹pipe› is a FIFO",),
        noted=True,
    ),
    "malformed-timestamp": Case(
        _honest_plus(
            lambda root, folder: (folder / "timestamp.txt").write_text("the day after the deadline")
        ),
        "full",
        ("timestamp.txt is not a date",),
        noted=True,
    ),
    "folder-named-like-notebook": Case(
        _in_folder(lambda ch, brk, folder: _notebook_is_a_folder(ch, folder)),
        "blank",
        ("folder named like a notebook",),
        noted=True,
    ),
    "control-characters-in-names": Case(
        _honest_plus(_control_names),
        "full",
        ("‹\\x1b[2Jclear.txt›", "‹evil\\x0aAutograding complete"),
        noted=True,
    ),
    "honest-complete": Case(lambda ch, brk: ch.notebook(_honest(ch)), "full"),
    **(
        {
            "character-device": Case(
                _honest_plus(_device), "full", ("‹urandom› is a character device",), noted=True
            )
        }
        if IS_ROOT
        else {}
    ),
    "honest-partial": Case(_partial, "partial"),
}


#: The cases that break, fill or read the chapter's own cells, graded on every chapter; the others
#: (files, links, names: decided by staging before any cell runs) on the first one only. See
#: ``course.runs_on``.
PER_CHAPTER = {
    "extra-cells",
    "missing-answer-cell",
    "infinite-loop",
    "swallows-interrupt",
    "print-20mb",
    "print-forever",
    "alloc-8gb",
    "growing-list",
    "os-exit",
    "sys-exit",
    "raise-systemexit",
    "kill-self",
    "huge-attachment",
    "image-in-markdown-answer",
    "dangling-attachment",
    "empty-attachment",
    "honest-complete",
    "honest-partial",
}


def test_every_per_chapter_case_exists():
    assert PER_CHAPTER <= set(CASES), PER_CHAPTER - set(CASES)


def break_cell(ch: Chapter) -> str:
    ids = list(ch.answers)
    return ids[max(1, len(ids) // 2 - 1)]


def expected_scores(ch: Chapter, case: str, maximum: dict) -> dict[str, float]:
    outcome = CASES[case].outcome
    brk = break_cell(ch)
    ids = list(ch.answers)
    position = {}
    for gid in ids:
        where = BEFORE if ids.index(gid) < ids.index(brk) else BREAK if gid == brk else AFTER
        position.update({t: where for t in ch.answers[gid].tests})
    answered = set(ids[::2])
    keep = {
        "full": lambda t: True,
        "blank": lambda t: False,
        "survives": lambda t: position[t] != BREAK,
        "memory": lambda t: None if position[t] == AFTER else position[t] == BEFORE,
        "fatal": lambda t: position[t] == BEFORE,
        "missing-answer": lambda t: position[t] != BREAK,
        "partial": lambda t: ch.tests[t].answer in answered,
    }[outcome]
    expected = {}
    for t in maximum:
        kept = keep(t) if t in ch.tests else False
        if kept is not None:  # None: not decided by the design (e.g. after running out of memory)
            expected[t] = maximum[t] if kept else 0.0
    return expected


@pytest.fixture(scope="module")
def run(course, tmp_path_factory):
    root, assignment = course
    ch = Chapter(root, assignment)
    brk = break_cell(ch)
    students = {
        name: case.make(ch, brk) for name, case in CASES.items() if runs_on(assignment, name in PER_CHAPTER)
    }
    # One batch per shard, twice as many shards as before (as many nbgrader processes at once as
    # two jobs per shard), with the slow cases dealt apart: each costs up to ten ordinary ones.
    graded = grade_students(
        root,
        assignment,
        tmp_path_factory.mktemp("bad"),
        students,
        shards=2 * SHARDS,
        slow={n: 8.0 for n in students if CASES[n].slow},
    )
    return SimpleNamespace(ch=ch, graded=graded)


def test_the_class_is_graded_and_the_run_exits_zero(run):
    for shard in run.graded.shards:
        out = shard.result.stdout + shard.result.stderr
        assert shard.result.returncode == 0, out
        n = len(shard.students)
        assert f"Graded {n} of {n}" in shard.result.stdout, out
        assert "Traceback" not in out, out


@per_chapter_cases(PER_CHAPTER)
@pytest.mark.parametrize("case", sorted(CASES))
def test_each_case_gets_exactly_what_it_deserves(run, case):
    maximum = run.graded.max_scores()
    expected = expected_scores(run.ch, case, maximum)
    scores = run.graded.scores(case)
    assert set(scores) == set(maximum)
    assert {t: scores[t] for t in expected} == expected


def test_honest_students_in_the_same_run_are_exact(run):
    maximum = run.graded.max_scores()
    assert run.graded.scores("honest-complete") == maximum
    partial = run.graded.scores("honest-partial")
    assert 0 < sum(partial.values()) < sum(maximum.values())


@per_chapter_cases(PER_CHAPTER)
@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c].says))
def test_each_case_is_explained(run, case):
    text = run.graded.progress_line(case) + run.graded.log(case) + run.graded.feedback(case)
    for says in CASES[case].says:
        options = says if isinstance(says, tuple) else (says,)  # a tuple: any one of them
        assert any(o in text for o in options), (
            f"{case}: {says!r} is said nowhere (progress line, log, feedback)"
        )


@per_chapter_cases(PER_CHAPTER)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_student_gets_feedback(run, case):
    assert run.graded.feedback_path(case).exists(), run.graded.result(case).stdout[-600:]
    assert "<html" in run.graded.feedback(case).lower()


@per_chapter_cases(PER_CHAPTER)
@pytest.mark.parametrize("case", sorted(c for c in CASES if CASES[c].noted))
def test_the_feedback_page_itself_says_what_staging_did(run, case):
    """The student reads their feedback, not the instructor's log: the note must reach the page."""
    page = run.graded.feedback(case)
    assert "Note from the grader" in page, case
    for says in CASES[case].says:
        assert says in page, f"{case}: {says!r} is not on the feedback page"


def _submitted_files(folder):
    """Names of the regular, singly-linked, safely named files of a submission (never followed)."""
    from mlops_concepts.grading.submissions import scan

    return set(scan(folder).files)


@per_chapter_cases(PER_CHAPTER)
@pytest.mark.parametrize("case", sorted(CASES))
def test_nothing_linked_or_special_reaches_autograded_or_feedback(run, case):
    """Only the student's own regular files, and the grader's notebook and page, are carried over;
    no gradebook, instructor notebook, peer work, /etc file or device content anywhere."""
    root, a = run.graded.root(case), run.ch.assignment
    own = _submitted_files(root / "submitted" / case / a)
    gradebook = (root / "gradebook.db").read_bytes()[:100]  # the SQLite header and first page
    forbidden = [gradebook, b"### BEGIN SOLUTION", b"root:x:0:0"]
    for step, made in (("autograded", f"{a}.ipynb"), ("feedback", f"{a}.html")):
        folder = root / step / case / a
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                path = os.path.join(dirpath, name)
                st = os.lstat(path)
                assert stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1), path
                if stat.S_ISREG(st.st_mode):
                    rel = os.path.relpath(path, folder)
                    assert rel in own | {made}, f"{case}: {rel!r} in {step}/ was not submitted"
                    data = open(path, "rb").read()
                    assert not any(bad in data for bad in forbidden), f"{case}: {path}"


def test_an_image_in_a_written_answer_reaches_the_grader(run):
    """A picture pasted into a markdown answer is part of the answer the instructor grades by hand."""
    gid = markdown_answer(run.ch)
    nb = run.graded.autograded("image-in-markdown-answer")
    cells = (
        [c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid]
        if gid
        else [c for c in nb.cells if "attachment:sketch.png" in c.source]
    )
    assert cells and "attachment:sketch.png" in cells[0].source
    assert cells[0].get("attachments", {}).get("sketch.png", {}).get("image/png") == PNG


def test_submitted_files_are_unchanged_byte_for_byte(run):
    for shard in run.graded.shards:
        # A hard link to the gradebook is the gradebook: grading writes to it, through its other
        # name. Grading must not have touched it as a submitted file: same inode, type and mode.
        gradebook = os.stat(shard.root / "gradebook.db").st_ino
        folder = shard.root / "submitted"
        moving = {rel for rel in shard.submitted_before if os.lstat(folder / rel).st_ino == gradebook}
        assert moving == (
            {"hard-link-to-gradebook/" + run.ch.assignment + "/grades.db"}
            if "hard-link-to-gradebook" in shard.students
            else set()
        )
        now = fingerprint(folder)
        assert {k: v for k, v in now.items() if k not in moving} == {
            k: v for k, v in shard.submitted_before.items() if k not in moving
        }
        snapshot = tree_snapshot(folder)
        assert {k: v[1:] if k in moving else v for k, v in snapshot.items()} == {
            k: v[1:] if k in moving else v for k, v in shard.snapshot_before.items()
        }  # modes, types


def test_the_grader_memory_stayed_small(run):
    for shard in run.graded.shards:
        assert 0 < shard.peak.get("grader", 0) < GRADER_MEMORY_LIMIT, shard.peak


def test_autograded_notebooks_stay_small(run):
    for case in run.graded.where:
        path = run.graded.root(case) / "autograded" / case / run.ch.assignment / f"{run.ch.assignment}.ipynb"
        assert path.stat().st_size < 20 * 2**20, (case, path.stat().st_size)


def test_the_summary_table_shows_each_students_score(run):
    """The pipeline's final table, as the instructor reads it (run from the current directory)."""
    maximum = sum(run.graded.max_scores().values())
    line = next(
        (
            ln
            for ln in run.graded.result("honest-complete").stdout.splitlines()
            if ln.startswith("honest-complete ")
        ),
        "",
    )
    assert re.search(rf"\b{maximum:.1f} /", line), run.graded.result("honest-complete").stdout


# -- submissions that crash the staging step ----------------------------------------------------


def _deep_json(ch, folder):
    (folder / f"{ch.assignment}.ipynb").write_text(
        '{"cells": [], "metadata": ' + "[" * 100_000 + "]" * 100_000 + ', "nbformat": 4}'
    )


def _huge_number(ch, folder):
    (folder / f"{ch.assignment}.ipynb").write_text('{"cells": [], "metadata": {"n": ' + "9" * 5000 + "}}")


def _notebook_is_a_folder(ch, folder):
    (folder / f"{ch.assignment}.ipynb").mkdir()
    (folder / f"{ch.assignment}.ipynb" / "inside.txt").write_text("hello")


def _non_utf8_file_name(ch, folder):
    nbformat.write(ch.notebook({}), folder / f"{ch.assignment}.ipynb")
    os.symlink("/etc/passwd", os.path.join(os.fsencode(folder), b"caf\xe9.txt"))


def _lone_surrogate(ch, folder):
    nb = json.loads(nbformat.writes(ch.notebook({})))
    nb["cells"].append(
        {
            "cell_type": "code",
            "source": "x = 'SURROGATE'",
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    )
    text = json.dumps(nb).replace("SURROGATE", "\\ud800")
    (folder / f"{ch.assignment}.ipynb").write_text(text)


def _bad_attachment(ch, folder):
    nb = json.loads(nbformat.writes(ch.notebook({})))
    nb["cells"].insert(0, {"cell_type": "markdown", "source": "hi", "metadata": {}, "attachments": {"a": 5}})
    (folder / f"{ch.assignment}.ipynb").write_text(json.dumps(nb))


def _renamed_with_odd_metadata(ch, folder):
    (folder / "renamed.ipynb").write_text(
        json.dumps(
            {"cells": [{"cell_type": "code", "source": "", "metadata": {"nbgrader": "oops"}}], "metadata": {}}
        )
    )


STAGING_CRASHERS = {
    "deeply-nested-json": _deep_json,
    "huge-number": _huge_number,
    "notebook-is-a-folder": _notebook_is_a_folder,
    "non-utf8-file-name": _non_utf8_file_name,
    "lone-surrogate": _lone_surrogate,
    "invalid-attachment": _bad_attachment,
    "renamed-with-odd-metadata": _renamed_with_odd_metadata,
}


@pytest.mark.parametrize("case", sorted(STAGING_CRASHERS))
def test_staging_never_raises_on_a_hostile_submission(course, tmp_path, case):
    """``stage`` runs in the pipeline's own process, outside any per-student protection."""
    root, assignment = course
    ch = Chapter(root, assignment)
    folder = tmp_path / "submitted" / assignment
    folder.mkdir(parents=True)
    STAGING_CRASHERS[case](ch, folder)
    release = {assignment: root / "release" / assignment / f"{assignment}.ipynb"}
    staged = stage(folder, tmp_path / "staged" / assignment, release, case)
    assert staged.notes, "the student must be told what happened"
    assert (tmp_path / "staged" / assignment / f"{assignment}.ipynb").is_file()


# -- output that slips past the per-cell limit -------------------------------------------------

FLOODS = {
    "flood-display-metadata": "from IPython.display import display\n"
    "for i in range(5):\n"
    "    display({'text/plain': 'x'}, metadata={'pad': 'x' * 10**7}, raw=True)\n",
    "flood-tracebacks": "ip = get_ipython()\n"
    "for i in range(8):\n"
    "    try:\n"
    "        raise ValueError('y' * 10_000_000)\n"
    "    except ValueError:\n"
    "        ip.showtraceback()\n",
    "flood-one-message": "from IPython.display import display\n"
    "display({'text/plain': 'x' * 300_000_000}, raw=True)\n",
    "flood-update-display": "from IPython.display import display, update_display\n"
    "display({'text/plain': 'small'}, raw=True, display_id='d')\n"
    "update_display({'text/plain': 'z' * 50_000_000}, display_id='d', raw=True)\n",
}


@pytest.fixture(scope="module")
def floods(course, tmp_path_factory):
    root, assignment = course
    ch = Chapter(root, assignment)
    brk = break_cell(ch)
    students = {name: _broken(code)(ch, brk) for name, code in FLOODS.items()}
    graded = grade_students(root, assignment, tmp_path_factory.mktemp("floods"), students, shards=1)
    return SimpleNamespace(ch=ch, graded=graded, brk=brk)


def _cell_output_bytes(nb, gid) -> int:
    cell = next(c for c in nb.cells if c.get("metadata", {}).get("nbgrader", {}).get("grade_id") == gid)
    return len(json.dumps(cell.get("outputs", [])))


@first_chapter_only
@pytest.mark.parametrize("case", sorted(FLOODS))
def test_output_beyond_the_per_cell_limit_is_dropped_whatever_its_kind(floods, case):
    from mlops_concepts.grading.execute import SandboxedExecute

    limit = SandboxedExecute.max_output_bytes.default_value
    size = _cell_output_bytes(floods.graded.autograded(case), floods.brk)
    assert size <= limit + 100_000, f"{case}: {size} bytes of output kept in one cell"


@first_chapter_only
def test_floods_do_not_blow_up_the_grader(floods):
    shard = floods.graded.shards[0]
    assert shard.result.returncode == 0, shard.result.stdout + shard.result.stderr
    assert shard.peak.get("grader", 0) < GRADER_MEMORY_LIMIT, shard.peak


@per_chapter_case(PER_CHAPTER, "control-characters-in-names")
def test_student_file_names_never_reach_the_instructors_terminal_raw(run):
    """A file name can hold ESC sequences or a newline that forges a line of nbgrader's output."""
    out = run.graded.result("control-characters-in-names").stdout
    assert "\x1b" not in out and "\u202e" not in out
    assert not any(line.startswith("Autograding complete: student X") for line in out.splitlines())
    # Shown escaped instead (the pipeline may escape the note's backslashes once more).
    assert re.search(r"‹evil\\+x0aAutograding complete: student X 16 of 16\.txt›", out), out


@per_chapter_case(PER_CHAPTER, "character-device")
@pytest.mark.skipif(not IS_ROOT, reason="a device file can only be made as root (CI runs as root)")
def test_a_device_file_was_in_the_run(run):
    """The character-device case is in CASES only as root; as root, it must have been graded."""
    assert "character-device" in run.graded.where
    assert run.graded.scores("character-device") == run.graded.max_scores()

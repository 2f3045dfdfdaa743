"""The trust boundary around the sandbox, tried through both entry points.

One class of students is graded with the instructor's command (``mlops-concepts grade``), and a
few of the same submissions again with plain ``nbgrader autograde`` and ``generate_feedback``:

* **planted modules**: a file named after every module the kernel launcher imports (and
  ``sitecustomize``, ``usercustomize``), next to an honest notebook. Run on the host, each would
  leave a marker file; none may exist, and the honest answers keep their points;
* **floods** past the per-cell budget: thousands of extra cells, display-id updates, widget
  (comm) traffic, writes to the kernel's original stderr, many files in the working folder and in
  the kernel's socket folder on the host. Each costs the student what it broke, the rest of the
  class is graded, and the grader's memory stays flat;
* **terminal injection**: control characters and forged nbgrader lines in output, stderr and file
  names never reach the instructor's terminal or logs raw;
* **history**: a student who prints the kernel's input history and line cache receives no test
  code that is not in the release (there is none: the report request is derived from the visible
  check), and no answer key.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbformat.v4 import new_code_cell

from mlops_concepts.contract.folder_scan import fingerprint
from mlops_concepts.nbgrader_plugins import sandbox
from support.cheats.chapter import Chapter
from support.cheats.runner import Graded, Shard, copy_course, run_pipeline
from support.course import nbgrader, per_chapter_case, per_chapter_cases, runs_on, submit

pytestmark = pytest.mark.slow

GRADER_MEMORY_LIMIT = 600 * 2**20
FORGED = "Autograding complete: student zz-victim 16/16"
# Modules the launcher needs, found the way Python reports them (-X importtime), plus the two
# that the site module imports by name from anywhere on sys.path.
ALWAYS_PLANTED = ("sitecustomize", "usercustomize")


def launcher_modules() -> list[str]:
    result = subprocess.run(
        [sys.executable, "-I", "-X", "importtime", sandbox.LAUNCHER, "--help"], capture_output=True, text=True
    )
    names = set(ALWAYS_PLANTED)
    for line in result.stderr.splitlines()[1:]:
        name = line.rsplit("|", 1)[-1].strip().split(".")[0]
        if name.isidentifier() and not name.startswith("__editable__"):
            names.add(name)
    assert {"argparse", "json", "subprocess", "os"} <= names, names
    return sorted(names)


def planted_files(markers: Path, names) -> dict[str, bytes]:
    """One module per name; imported anywhere it can write, it leaves ``markers/<name>``."""
    files = {}
    for name in names:
        files[f"{name}.py"] = (
            f"try:\n    open({str(markers / name)!r}, 'w').write('imported on the host')\n"
            "except Exception:\n    pass\n"
        ).encode()
    return files


def honest(ch: Chapter):
    return ch.notebook({g: ch.honest(g) for g in ch.answers})


def with_cells(ch: Chapter, *codes: str, at_end: bool = True):
    nb = honest(ch)
    cells = [new_code_cell(c) for c in codes]
    if at_end:
        nb.cells += cells
    else:
        first = ch.index_of(nb, ch.first_answer())
        nb.cells[first:first] = cells
    return nb


FLOOD_DISPLAY = """\
from IPython.display import display, update_display
h = display("start", display_id=True)
for i in range(200_000):
    h.update("u" * 10_000)
for i in range(100_000):
    display("d" * 10_000, display_id=f"flood-{i}")
"""
FLOOD_COMM = """\
import ipywidgets as w
t = w.Text()
for i in range(40_000):
    t.value = str(i) + "c" * 50_000
"""
FLOOD_STDERR = f"""\
import os, sys
line = b"\\x1b[2J\\x1b[31m{FORGED}\\n"
for i in range(200_000):
    os.write(2, line * 50)
sys.__stderr__.write("{FORGED}\\n" * 1000)
sys.__stdout__.write("{FORGED}\\n" * 1000)
"""
FLOOD_FILES = """\
import os
for i in range(20_000):
    with open(f"junk-{i}.txt", "w") as f:
        f.write("x" * 4096)
"""
FLOOD_SOCKET_DIR = """\
import os
from ipykernel import get_connection_file
where = os.path.dirname(get_connection_file())
for i in range(100_000):
    with open(os.path.join(where, f"junk-{i}"), "w") as f:
        f.write("x" * 65536)
"""
INJECT = f"""\
print("\\x1b[2J\\x1b]0;owned\\x07{FORGED}")
import sys
print("\\n{FORGED}", file=sys.stderr)
"""
HISTORY = """\
import linecache
print("HISTORY-IN", repr(In))
print("HISTORY-IH", repr(_ih))
print("HISTORY-RAW", repr(get_ipython().history_manager.input_hist_raw))
print("LINECACHE", repr({k: v[2] for k, v in linecache.cache.items() if len(v) > 2}))
get_ipython().run_line_magic("history", "-g")
"""


def cell_running(nb, code: str):
    """The autograded cell that ran ``code`` (extra cells sit after the release cell they followed)."""
    return next(c for c in nb.cells if c.cell_type == "code" and c.source == code)


#: The students whose attack depends on the chapter's own cells (its checks' history, its honest
#: answers), graded on every chapter; the planted modules, floods and injections run before the
#: first cell or after the last answer, the same for every chapter: graded on the first one only.
PER_CHAPTER = {"history", "zz-honest"}


def students(ch: Chapter, markers: Path) -> dict:
    return {
        "planted-modules": (honest(ch), planted_files(markers, launcher_modules())),
        "flood-cells": with_cells(ch, *["pass"] * 3000),
        "flood-display": with_cells(ch, FLOOD_DISPLAY),
        "flood-comm": with_cells(ch, FLOOD_COMM),
        "flood-stderr": with_cells(ch, FLOOD_STDERR),
        "flood-files": with_cells(ch, FLOOD_FILES),
        "flood-socket-dir": with_cells(ch, FLOOD_SOCKET_DIR),
        "terminal-injection": (
            with_cells(ch, INJECT),
            {"notes\x1b[2J\nAutograding complete: student zz-victim 16 of 16.txt": b"hi"},
        ),
        "history": with_cells(ch, HISTORY),
        "zz-honest": honest(ch),
    }


@pytest.fixture(scope="module")
def run(course, tmp_path_factory):
    src, assignment = course
    ch = Chapter(src, assignment)
    work = tmp_path_factory.mktemp("boundary")
    markers = work / "markers"
    markers.mkdir()
    root = copy_course(src, work / "course")
    class_ = {
        name: sub for name, sub in students(ch, markers).items() if runs_on(assignment, name in PER_CHAPTER)
    }
    for name, sub in class_.items():
        nb, files = sub if isinstance(sub, tuple) else (sub, {})
        submit(root, assignment, name, nb, files=files)
    before = fingerprint(root / "submitted")
    # The same planted and injecting submissions through plain nbgrader, in a second course,
    # graded while ours is (the two courses share nothing).
    plain = copy_course(src, work / "plain")
    for name in sorted({"planted-modules", "flood-stderr", "history"} & class_.keys()):
        nb, files = class_[name] if isinstance(class_[name], tuple) else (class_[name], {})
        submit(plain, assignment, name, nb, files=files)

    def plain_nbgrader():
        return nbgrader(plain, "autograde", assignment, "--force"), nbgrader(
            plain, "generate_feedback", assignment, "--force"
        )

    with ThreadPoolExecutor(1) as pool:
        plain_run = pool.submit(plain_nbgrader)
        result, peak, seconds = run_pipeline(root, assignment)
        auto, feedback = plain_run.result()
    shard = Shard(root, assignment, sorted(class_), result, peak, seconds)
    return SimpleNamespace(
        ch=ch,
        root=root,
        graded=Graded([shard]),
        result=result,
        peak=peak,
        markers=markers,
        before=before,
        plain=plain,
        auto=auto,
        plain_feedback=feedback,
        source=src,
    )


def test_the_class_is_graded(run):
    out = run.result.stdout + run.result.stderr
    n = len(run.graded.shards[0].students)
    assert run.result.returncode == 0 and f"Graded {n} of {n}" in run.result.stdout, out[-3000:]


@per_chapter_case(PER_CHAPTER, "planted-modules")
def test_no_planted_module_ran_on_the_host(run):
    assert not list(run.markers.iterdir()), sorted(p.name for p in run.markers.iterdir())


@per_chapter_case(PER_CHAPTER, "planted-modules")
def test_planted_modules_cost_the_honest_answers_nothing(run):
    assert run.graded.scores("planted-modules") == run.graded.max_scores()


@per_chapter_case(PER_CHAPTER, "planted-modules")
def test_plain_nbgrader_ran_no_planted_module_either(run):
    assert run.auto.returncode == 0, (run.auto.stdout + run.auto.stderr)[-3000:]
    assert not list(run.markers.iterdir())
    graded = Graded([Shard(run.plain, run.ch.assignment, ["planted-modules"])])
    assert graded.scores("planted-modules") == graded.max_scores()


@pytest.mark.parametrize(
    "student",
    [
        "flood-cells",
        "flood-display",
        "flood-comm",
        "flood-stderr",
        "flood-files",
        "history",
        "terminal-injection",
        "zz-honest",
    ],
)
@per_chapter_cases(PER_CHAPTER, "student")
def test_floods_after_the_last_answer_cost_nothing(run, student):
    """Every flood sits after the graded cells: the student keeps every point it earned."""
    assert run.graded.scores(student) == run.graded.max_scores()


@per_chapter_case(PER_CHAPTER, "flood-socket-dir")
def test_a_socket_folder_flood_stops_the_kernel_and_leaves_nothing_on_the_host(run):
    flood = cell_running(run.graded.autograded("flood-socket-dir"), FLOOD_SOCKET_DIR)
    assert any(o.get("ename") == "KernelStopped" for o in flood.outputs), flood.outputs
    assert run.graded.scores("flood-socket-dir") == run.graded.max_scores()  # earlier cells kept
    leftovers = [p for p in Path("/tmp").glob("mlops-kernel-*") if any(p.glob("junk-*"))]
    assert not leftovers, leftovers


@per_chapter_case(PER_CHAPTER, "flood-cells")
def test_extra_cells_are_capped_with_a_note(run):
    nb = run.graded.autograded("flood-cells")
    release = run.ch.release
    assert len(nb.cells) <= len(release.cells) + 200 + 1
    assert "of your own extra cells were not graded" in run.graded.feedback("flood-cells")


@per_chapter_cases(PER_CHAPTER, "student")
@pytest.mark.parametrize("student,code", [("flood-display", FLOOD_DISPLAY), ("flood-comm", FLOOD_COMM)])
def test_floods_are_truncated_with_a_note(run, student, code):
    nb = run.graded.autograded(student)
    assert "[output truncated by the grader" in json.dumps(cell_running(nb, code).outputs)
    path = run.root / "autograded" / student / run.ch.assignment / f"{run.ch.assignment}.ipynb"
    assert path.stat().st_size < 30 * 2**20


def test_the_grader_memory_stayed_flat(run):
    assert 0 < run.peak.get("grader", 0) < GRADER_MEMORY_LIMIT, run.peak


def test_logs_stay_small(run):
    for log in (p for p in (run.root / ".grading" / "logs").rglob("*") if p.is_file()):
        assert log.stat().st_size < 2 * 2**20, (log, log.stat().st_size)


def _no_raw_student_text(text: str):
    assert "\x1b" not in text and "\x07" not in text
    for line in text.splitlines():
        assert not line.lstrip().startswith(FORGED), line
        assert not re.match(r"\s*\[\w+App \| \w+\].*" + re.escape(FORGED), line), line


def test_nothing_raw_reaches_the_instructors_terminal(run):
    _no_raw_student_text(run.result.stdout + run.result.stderr)
    _no_raw_student_text(run.auto.stdout + run.auto.stderr)
    _no_raw_student_text(run.plain_feedback.stdout + run.plain_feedback.stderr)


def test_nothing_raw_reaches_the_logs(run):
    logs = [p for p in (run.root / ".grading" / "logs").rglob("*") if p.is_file()]
    assert any(p.parent.name == "feedback" for p in logs)  # the feedback step's logs too
    for log in logs:
        _no_raw_student_text(log.read_text(errors="replace"))


@per_chapter_case(PER_CHAPTER, "flood-stderr")
def test_the_stderr_flood_wrote_nothing_anywhere(run):
    assert FORGED not in (run.result.stdout + run.result.stderr)
    assert FORGED not in (run.auto.stdout + run.auto.stderr)


@per_chapter_case(PER_CHAPTER, "terminal-injection")
def test_student_file_names_are_shown_escaped_and_marked(run):
    line = run.graded.progress_line("terminal-injection")
    assert "\\x1b" in line or "not copied" in line or "renamed" in line or "‹" in line, line


def _source_only_texts(run) -> list[str]:
    """Key literals of the instructor's test cells that appear nowhere in the release.

    A one-letter key such as ``"c"`` is in every question's text, so only keys that the release
    does not contain anyway can show a leak (the dict and list keys of the classify exercises).
    A lab's test cell has no key: its secret is the hidden seed (``"seed": 2718``).
    """
    source = nbformat.read(
        run.source / "source" / run.ch.assignment / f"{run.ch.assignment}.ipynb", as_version=4
    )
    release_text = "\n".join(c.source for c in run.ch.release.cells)
    out = []
    for cell in source.cells:
        if cell.get("metadata", {}).get("nbgrader", {}).get("grade") and cell.cell_type == "code":
            seed = re.search(r'"seed": *\d+', cell.source)
            key = re.search(r"key=(.+?)(,\n|\)$|,\s*items)", cell.source, re.S)
            assert key or seed, cell.source
            secret = (seed or key).group(0 if seed else 1)
            if secret not in release_text:
                out.append(secret)
    return out


@pytest.mark.parametrize("where", ["pipeline", "plain"])
def test_printing_the_history_reveals_no_test_code_and_no_key(run, where):
    if where == "pipeline":
        text = run.graded.feedback("history") + run.graded.text_outputs("history")
    else:
        graded = Graded([Shard(run.plain, run.ch.assignment, ["history"])])
        text = graded.feedback("history") + graded.text_outputs("history")
    first = run.ch.answers[run.ch.first_answer()]
    names = [*first.variables, *first.functions]  # the chapter's first answer, as the student wrote it
    assert "HISTORY-IN" in text and any(n in text for n in names), names  # history really printed
    assert "HIDDEN TESTS" not in text
    secrets = _source_only_texts(run)
    assert secrets
    for secret in secrets:
        assert secret not in text, secret
    history = next(line for line in text.splitlines() if "HISTORY-IN" in line)
    # Report requests (the lab's carry the hidden cases) are not stored in history.
    assert "mlops_concepts.checks" not in history and "grade_function" not in history
    assert "grade_held" not in history and "mlops_concepts.function_checks" not in history


def test_submitted_files_are_unchanged(run):
    assert fingerprint(run.root / "submitted") == run.before

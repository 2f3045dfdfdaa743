"""Grade many submissions in one run of the instructor's grading command, and read back the results.

The command is the one ``course.grade_all`` runs (``python -m mlops_concepts.class_grading.cli grade
<assignment> --root <course>``); here it is started with :class:`subprocess.Popen` so that the
grader's memory can be sampled while it runs. A run can be split over a few copies of the course
(shards) graded at the same time: each shard is a complete, independent course directory.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from support.course import cell_id, item_scores, max_scores, submit
from mlops_concepts.contract.folder_scan import fingerprint

SHARDS = int(os.environ.get("MLOPS_ADVERSARIAL_SHARDS", "2"))
REPORT_ERRORS = ("WrongAnswer", "AnswerNotGradable", "CheckDidNotRun")


def copy_course(src: Path, dst: Path) -> Path:
    """A fresh course directory with the generated assignment of ``src`` and no submissions."""
    dst.mkdir(parents=True)
    for name in ("nbgrader_config.py", "gradebook.db"):
        shutil.copy2(src / name, dst / name)
    for name in ("source", "release"):
        shutil.copytree(src / name, dst / name)
    return dst


def tree_snapshot(folder: Path) -> dict[str, tuple]:
    """Content (as ``fingerprint``), permission bits and file type of every entry under ``folder``."""
    prints = fingerprint(folder)
    out = {}
    for dirpath, dirnames, filenames in os.walk(folder):
        for name in dirnames + filenames:
            path = Path(dirpath, name)
            rel = str(path.relative_to(folder))
            st = os.lstat(path)
            out[rel] = (prints.get(rel), stat.S_IMODE(st.st_mode), stat.S_IFMT(st.st_mode))
    return out


class MemorySampler(threading.Thread):
    """Peak resident memory of the grading processes, by kind, sampled every 0.2 s."""

    def __init__(self, pid: int):
        super().__init__(daemon=True)
        self.pid, self.peak, self.stopped = pid, {}, False

    @staticmethod
    def kind(cmdline: str) -> str:
        if "ipykernel" in cmdline or "bwrap" in cmdline or "grading.sandbox" in cmdline:
            return "kernel"
        if "nbgrader" in cmdline or "multiprocessing.forkserver" in cmdline:  # forked graders
            return "grader"
        if "grading.cli" in cmdline:
            return "pipeline"
        return "other"

    def run(self):
        import psutil

        while not self.stopped:
            try:
                procs = [psutil.Process(self.pid), *psutil.Process(self.pid).children(recursive=True)]
            except psutil.Error:
                procs = []
            for proc in procs:
                try:
                    kind, rss = self.kind(" ".join(proc.cmdline())), proc.memory_info().rss
                except psutil.Error:
                    continue
                self.peak[kind] = max(self.peak.get(kind, 0), rss)
            time.sleep(0.2)


def run_pipeline(
    root: Path,
    assignment: str,
    cwd: Path | None = None,
    env: dict | None = None,
    timeout: float = 1800,
    args: tuple[str, ...] = (),
) -> tuple[subprocess.CompletedProcess, dict, float]:
    """The instructor's grading command on ``root`` (as ``course.grade_all``), memory sampled;
    ``args`` are passed on to it (``--Class.trait=value`` options for nbgrader)."""
    cmd = [
        sys.executable,
        "-m",
        "mlops_concepts.class_grading.cli",
        "grade",
        assignment,
        "--root",
        str(root),
        *args,
    ]
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=cwd, env=env)
    sampler = MemorySampler(proc.pid)
    sampler.start()
    try:
        out, err = proc.communicate(timeout=timeout)
    finally:
        sampler.stopped = True
        if proc.poll() is None:
            proc.kill()
    sampler.join()
    return (
        subprocess.CompletedProcess(cmd, proc.returncode, out, err),
        sampler.peak,
        time.perf_counter() - started,
    )


@dataclass
class Shard:
    root: Path
    assignment: str
    students: list[str]
    result: subprocess.CompletedProcess | None = None
    peak: dict = field(default_factory=dict)
    seconds: float = 0.0
    submitted_before: dict = field(default_factory=dict)  # fingerprint() of submitted/, before
    snapshot_before: dict = field(default_factory=dict)  # tree_snapshot() of submitted/, before


class Graded:
    """The outcome of grading a set of students, possibly over several shards."""

    def __init__(self, shards: list[Shard]):
        self.shards = shards
        self.where = {s: shard for shard in shards for s in shard.students}

    def root(self, student: str) -> Path:
        return self.where[student].root

    @property
    def assignment(self) -> str:
        return self.shards[0].assignment

    def result(self, student: str) -> subprocess.CompletedProcess:
        return self.where[student].result

    def scores(self, student: str) -> dict[str, float]:
        return item_scores(self.root(student), self.assignment, student)

    def max_scores(self) -> dict[str, float]:
        return max_scores(self.shards[0].root, self.assignment)

    def autograded(self, student: str):
        path = self.root(student) / "autograded" / student / self.assignment / f"{self.assignment}.ipynb"
        return nbformat.read(path, as_version=4)

    def feedback_path(self, student: str) -> Path:
        return self.root(student) / "feedback" / student / self.assignment / f"{self.assignment}.html"

    def feedback(self, student: str) -> str:
        """The student's feedback page ("" if none was written)."""
        path = self.feedback_path(student)
        return path.read_text(errors="replace") if path.exists() else ""

    def log(self, student: str) -> str:
        path = self.root(student) / ".grading" / "logs" / f"{student}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def progress_line(self, student: str) -> str:
        """The pipeline's line for this student ("[i/n] student: graded in ... (remarks)")."""
        for line in self.result(student).stdout.splitlines():
            if re.match(rf"\s*\[\d+/\d+\] {re.escape(student)}: ", line):
                return line
        return ""

    def verdicts(self, student: str) -> dict[str, str]:
        """Each graded cell's outcome: "correct" or the error name the grader wrote."""
        out = {}
        for cell in self.autograded(student).cells:
            gid = cell_id(cell)
            if not gid or cell.cell_type != "code":
                continue
            errors = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            out[gid] = errors[0] if errors else "correct"
        return out

    def text_outputs(self, student: str) -> str:
        """All text the kernel printed, in every cell (for markers)."""
        parts = []
        for cell in self.autograded(student).cells:
            for o in cell.get("outputs", []):
                if o.get("output_type") == "stream":  # one print may arrive in several pieces
                    parts.append(o.get("text", ""))
                elif o.get("output_type") == "error":
                    parts.append(f"\n{o.get('ename')}: {o.get('evalue')}\n")
                elif "data" in o:
                    parts.append(f"\n{o['data'].get('text/plain', '')}\n")
            parts.append("\n")
        return "".join(parts)


def deal(names: list[str], slots: int, weight) -> list[list[str]]:
    """``names`` dealt into ``slots`` lists of about equal total ``weight(name)``: heaviest
    first, each to the lightest list so far (so two slow students rarely share one)."""
    slots = max(1, min(slots, len(names)))
    dealt, loads = [[] for _ in range(slots)], [0.0] * slots
    for name in sorted(names, key=lambda n: (-weight(n), n)):
        lightest = loads.index(min(loads))
        dealt[lightest].append(name)
        loads[lightest] += weight(name)
    return dealt


def grade_students(
    base_root: Path,
    assignment: str,
    workdir: Path,
    students: dict,
    shards: int = SHARDS,
    controls: dict | None = None,
    slow: dict[str, float] | None = None,
) -> Graded:
    """Submit ``students`` (name -> notebook, or (notebook, {file: bytes}), or a callable taking the
    submission folder) over ``shards`` copies of the course, plus ``controls`` in every shard, and
    grade every shard at the same time with the instructor's command.

    Without ``slow``, each shard is graded with the command's default jobs and students are dealt
    alphabetically. With ``slow`` (name -> how many ordinary students one of them costs: a case
    that waits for a timeout or fills memory), each shard is ONE batch (``--jobs 1``), and the
    students are dealt so that every batch ends at about the same time: the run is as long as its
    slowest batch, and two slow cases dealt together could double it.
    """
    names = sorted(students)
    if slow:
        plan_students = deal(names, shards, lambda n: slow.get(n, 1.0))
        args: tuple[str, ...] = ("--jobs", "1")
    else:
        shards = max(1, min(shards, len(names)))
        plan_students = [names[i::shards] for i in range(shards)]
        args = ()
    plan = []
    for i, mine in enumerate(plan_students):
        root = copy_course(base_root, workdir / f"shard{i}")
        shard = Shard(root, assignment, [*mine, *(f"{c}-{i}" for c in (controls or {}))])
        for name in mine:
            _put(root, assignment, name, students[name])
        for name, sub in (controls or {}).items():
            _put(root, assignment, f"{name}-{i}", sub)
        shard.submitted_before = fingerprint(root / "submitted")
        shard.snapshot_before = tree_snapshot(root / "submitted")
        plan.append(shard)

    def work(shard: Shard):
        shard.result, shard.peak, shard.seconds = run_pipeline(shard.root, assignment, args=args)

    with ThreadPoolExecutor(len(plan)) as pool:
        list(pool.map(work, plan))
    return Graded(plan)


def _put(root: Path, assignment: str, student: str, sub) -> None:
    if callable(sub):
        folder = root / "submitted" / student / assignment
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        sub(folder)
    elif isinstance(sub, tuple):
        submit(root, assignment, student, sub[0], files={**_fetched(root, assignment), **sub[1]})
    else:
        submit(root, assignment, student, sub, files=_fetched(root, assignment))


def _fetched(root: Path, assignment: str) -> dict[str, bytes]:
    """What a student fetched beside the notebook and submits with it: the self-checks' sidecar
    (grading never reads it; the self-checks in the student's kernel do)."""
    side = root / "release" / assignment / f".{assignment}.checks.json"
    return {side.name: side.read_bytes()} if side.exists() else {}

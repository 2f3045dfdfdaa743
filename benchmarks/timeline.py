"""Where one grading run spends its time: each step, per thread, and how many cores were busy.

    .venv/bin/python benchmarks/timeline.py [--students 16] [--jobs 1,2]

For each ``--jobs`` value, grades N complete chapter 1 submissions in a fresh course directory
with :func:`mlops_concepts.class_grading.pipeline.grade` in this process (so the command's own imports
are not counted), and prints:

* each step (seeding the template, each student's autograde and feedback as the thread that
  follows their child sees them, merging, exporting), with the thread it ran in, when it
  started and ended, in seconds from the start of ``grade``. A student's child stages their
  submission and seeds their gradebook itself: that is inside their ``autograde`` here;
* the cores busy (the whole machine, from ``/proc/stat``) on average while students are
  autograded, and the speed-up of that phase alone between the first two ``--jobs`` values.

The second number tells a run that leaves cores idle (something to fix here) from one whose
cores are busy but slower when both are (what the machine allows: see parallel_ceiling.py).
"""

from __future__ import annotations

import argparse
import functools
import tempfile
import threading
import time
from pathlib import Path

from class_grading import ASSIGNMENT, our_course

from mlops_concepts.class_grading import pipeline
from mlops_concepts.class_grading.children import Forked

# (module or class, function) pairs to time: every step of a run, as this process sees it.
STEPS = [
    (Forked, "autograde"),
    (Forked, "feedback"),
    (pipeline, "seed_template"),
    (pipeline, "merge"),
    (pipeline, "export"),
    (pipeline, "_scores"),
]


class Timeline:
    def __init__(self):
        self.start = time.perf_counter()
        self.steps: list[tuple[str, str, float, float]] = []  # thread, step, start, end
        self.busy: list[tuple[float, float]] = []  # (time, cores busy over the last 0.25 s)
        self.stopped = threading.Event()

    def now(self) -> float:
        return time.perf_counter() - self.start

    def timed(self, function):
        @functools.wraps(function)
        def step(*args, **kwargs):
            began = self.now()
            try:
                return function(*args, **kwargs)
            finally:
                self.steps.append((threading.current_thread().name, function.__name__, began, self.now()))

        return step

    def sample(self) -> None:
        def ticks():
            fields = [int(v) for v in open("/proc/stat").readline().split()[1:]]
            return sum(fields), fields[3] + fields[4]  # all, idle + iowait

        cores = len([line for line in open("/proc/stat") if line[:3] == "cpu" and line[3].isdigit()])
        last = ticks()
        while not self.stopped.wait(0.25):
            total, idle = ticks()
            self.busy.append((self.now(), cores * (1 - (idle - last[1]) / max(total - last[0], 1))))
            last = (total, idle)

    def cores_busy(self, began: float, ended: float) -> float:
        inside = [c for t, c in self.busy if began <= t <= ended]
        return sum(inside) / len(inside) if inside else 0.0


def run(students: int, jobs: int) -> tuple[float, float]:
    """Print the timeline of one run; return the autograde phase's seconds and cores busy."""
    with tempfile.TemporaryDirectory() as tmp:
        course = our_course(Path(tmp), students)
        timeline = Timeline()
        originals = [(module, name, getattr(module, name)) for module, name in STEPS]
        for module, name, function in originals:
            setattr(module, name, timeline.timed(function))
        sampler = threading.Thread(target=timeline.sample, daemon=True)
        sampler.start()
        try:
            code = pipeline.grade(course, ASSIGNMENT, jobs=jobs)
        finally:
            timeline.stopped.set()
            sampler.join()
            for module, name, function in originals:
                setattr(module, name, function)
        total = timeline.now()
    assert code == 0, code
    print(f"\n--jobs {jobs}, {students} students: {total:.1f} s")
    for thread, step, began, ended in sorted(timeline.steps, key=lambda s: s[2]):
        print(f"  {thread[-14:]:>14}  {step:<14} {began:6.2f} -> {ended:6.2f}  ({ended - began:.2f} s)")
    autograde = [s for s in timeline.steps if s[1] == "autograde"]
    began, ended = min(s[2] for s in autograde), max(s[3] for s in autograde)
    busy = timeline.cores_busy(began, ended)
    print(f"  autograde phase: {ended - began:.1f} s, {busy:.2f} cores busy on average")
    return ended - began, busy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=16)
    parser.add_argument("--jobs", default="1,2", help="comma-separated (default: 1,2)")
    args = parser.parse_args()
    phases = {jobs: run(args.students, jobs) for jobs in map(int, args.jobs.split(","))}
    if len(phases) >= 2:
        (j1, (t1, _)), (j2, (t2, _)) = list(phases.items())[:2]
        print(f"\nautograde phase alone: --jobs {j2} is {t1 / t2:.2f}x faster than --jobs {j1}")


if __name__ == "__main__":
    main()

"""What two cores allow for class grading: the ceiling of P2 on this machine, measured in one run.

    .venv/bin/python benchmarks/parallel_ceiling.py [--students 24] [--rounds 2]

Grades two separate course directories of N complete chapter 1 submissions each with
``mlops-concepts grade --jobs 1``: first one alone, then both at once (interleaved, R rounds;
medians). Two independent runs share nothing but the machine (no batches to deal, no merge to
wait for), so ``2 x one alone / two at once`` is the most that any ``--jobs 2`` could gain over
``--jobs 1`` here. It also times the same for a pure-Python CPU loop, which shares almost nothing
either (no files, little memory). ``class_grading.py`` measures the first ceiling in its own
rounds, next to P2; this script shows it alone, and whether plain CPU work scales better.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

from class_grading import at_once, our_course, start_grading

LOOP = "s = 0\nfor i in range(25_000_000):\n    s += i * i % 7\n"


def _grading(root: Path):
    return lambda: start_grading(root, 1)


def _loop():
    return subprocess.Popen([sys.executable, "-c", LOOP], stdout=subprocess.PIPE, text=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        courses = [our_course(Path(tmp) / name, args.students) for name in ("a", "b")]
        times = {"grading, one": [], "grading, two at once": [], "loop, one": [], "loop, two at once": []}
        for r in range(args.rounds):
            times["grading, one"].append(at_once([_grading(courses[0])]))
            times["grading, two at once"].append(at_once([_grading(c) for c in courses]))
            times["loop, one"].append(at_once([_loop]))
            times["loop, two at once"].append(at_once([_loop, _loop]))
            print(
                f"  round {r + 1}: "
                + ", ".join(f"{k} {v[-1]:.1f} s" for k, v in times.items())
                + "; ceilings "
                + ", ".join(
                    f"{what} {2 * times[f'{what}, one'][-1] / times[f'{what}, two at once'][-1]:.2f}x"
                    for what in ("grading", "loop")
                ),
                flush=True,
            )
    med = {k: statistics.median(v) for k, v in times.items()}
    for what in ("grading", "loop"):
        one, two = med[f"{what}, one"], med[f"{what}, two at once"]
        print(
            f"{what}: one alone {one:.1f} s, two at once {two:.1f} s; ceiling of the speed-up on "
            f"these cores = 2 x {one:.1f} / {two:.1f} = {2 * one / two:.2f}x"
        )


if __name__ == "__main__":
    main()

"""Run ``pip install ...`` and show its progress in a few lines instead of 35 s of silence.

``pip --quiet`` prints nothing until it is done; plain pip prints a line for every one of about
150 packages. This runs the pip command it is given (its arguments), reads pip's own lines and
shows the phase and a count: on a terminal one line, rewritten in place; in a log (CI) a line
every 25 packages. pip's warnings and errors (stderr) pass through as they come; on failure the
last lines of pip's output are shown too. Exits with pip's exit status.

Runs with any Python 3 (the Makefile runs it with the Python that creates the venv): it imports
nothing that is not in the standard library.
"""

import subprocess
import sys
import time
from collections import deque

STEP = 25  # packages between two lines, when the output is not a terminal


def main(cmd):
    tty = sys.stdout.isatty()
    start = time.monotonic()
    seen = 0
    phase = ""
    tail = deque(maxlen=40)

    def show(text, final=False):
        if tty:
            sys.stdout.write("\r\033[K" + text + ("\n" if final else ""))
        else:
            sys.stdout.write(text + "\n")
        sys.stdout.flush()

    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, bufsize=1)
    for line in proc.stdout:
        tail.append(line)
        word = line.strip().split(" ", 1)[0]
        if word in ("Collecting", "Requirement"):  # "Requirement already satisfied"
            seen += 1
            if tty or seen % STEP == 0:
                show(f"  resolving and downloading packages: {seen}")
        elif line.startswith(("Building", "Installing build dependencies")) and phase != "build":
            phase = "build"
            show("  building the course package (editable)", final=True)
        elif line.startswith("Installing collected packages") and phase != "install":
            phase = "install"
            show(f"  installing {seen} packages (the longest step)...", final=True)
    code = proc.wait()
    if code:
        sys.stdout.write("\n" + "".join(tail))
    else:
        show(f"  done: {seen} packages in {time.monotonic() - start:.0f} s", final=True)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``python -m nbgrader``, started before its arguments are known.

Importing nbgrader (and, through it, nbconvert, nbclient, SQLAlchemy and jupyter_server) takes
about a second and a half of every nbgrader process. A batch on a Dask worker (or on this
machine, if the run's fork server is gone: :mod:`.forkserver`) starts this process first, lets
it import while the batch stages its submissions and seeds its gradebook, then writes the
command line to its standard input as one JSON list; from there it is ``python -m nbgrader``
with those arguments. Given nothing (the batch stopped first), it exits quietly.
"""

from __future__ import annotations

import json
import sys

from nbgrader.apps.nbgraderapp import main as nbgrader_main


def main() -> None:
    line = sys.stdin.readline()
    if not line.strip():
        sys.exit(0)
    args = json.loads(line)
    if not isinstance(args, list) or not all(isinstance(a, str) for a in args):
        sys.exit("nbgrader_later: expected one JSON list of arguments")
    sys.stdin.close()
    sys.argv = ["nbgrader", *args]
    nbgrader_main()


if __name__ == "__main__":
    main()

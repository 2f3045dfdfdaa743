"""``python -m mlops_concepts.diagrams DIR``: write every diagram to ``DIR/<name>.png``.

The lifecycle is also written once per highlighted phase (``mlops_lifecycle_<phase>.png``), as the
interactive explorer shows it. docs/diagrams/ is made this way.
"""

from __future__ import annotations

import sys
from pathlib import Path

from ..chapters.chapter1.lifecycle import lifecycle_diagram
from . import DIAGRAMS, PHASES


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    diagrams = [*DIAGRAMS.values(), *(lifecycle_diagram(p) for p in PHASES)]
    for diagram in diagrams:
        (out / f"{diagram.name}.png").write_bytes(diagram.png())
        print(out / f"{diagram.name}.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

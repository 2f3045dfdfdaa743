"""Hidden lab seeds of a course's own.

A lab's test cell in ``source/`` names the seed of its hidden cases,
``check(gid, fn, cases={"data": ..., "count": n, "seed": s})`` (see
:mod:`mlops_concepts.contract.labs`). The public repository's seeds are public: a class graded
with them can be answered from the repository. :func:`reseed` gives every lab check of a
notebook a new random seed, as the chapter linter wants it (non-zero, one per check, and hidden
cases varied enough that a function ignoring its inputs cannot guess its way through). The
released notebook does not change: the seed never leaves ``source/``.
"""

from __future__ import annotations

import re
import secrets

from ..authoring.lint import MIN_GUESS_ODDS, check_test_cells
from ..contract import cells
from ..contract.calls import AuthoringError
from ..contract.exercises import read_check
from ..contract.labs import expected_outcomes, orderings

# The seed's literal in a lab check's cases= dict; checked against read_check after each rewrite.
_SEED = re.compile(r"""(["']seed["']\s*:\s*)(\d+)""")
SEED_LIMIT = 2**62  # numpy's seed sequence takes any non-negative int; this is plenty
TRIES = 50  # seeds tried per check before giving up (one in a few is ever refused)


def _new_seed(taken: set[int]) -> int:
    while True:
        seed = secrets.randbelow(SEED_LIMIT - 1) + 1  # non-zero: seed 0 gives the public examples
        if seed not in taken:
            return seed


def _with_seed(cell, seed: int) -> None:
    found = _SEED.findall(cell.source)
    if len(found) != 1:
        raise AuthoringError(
            f"test cell {cells.grade_id(cell)!r}: write its hidden seed once, as a plain "
            f'number: cases={{..., "seed": 1234}}'
        )
    cell.source = _SEED.sub(lambda m: f"{m.group(1)}{seed}", cell.source)


def reseed(nb) -> dict[str, int]:
    """Give every lab check of ``nb`` (changed in place) a new random hidden seed; return them
    by grade id. Raises :class:`AuthoringError` if the notebook does not lint clean after."""
    taken: set[int] = set()
    chosen: dict[str, int] = {}
    for cell in nb.cells:
        if not cells.is_test(cell) or read_check(cell).cases is None:
            continue
        for _ in range(TRIES):
            seed = _new_seed(taken)
            _with_seed(cell, seed)
            check = read_check(cell)
            if check.cases.get("seed") != seed:  # the rewrite hit something else
                raise AuthoringError(f"test cell {check.grade_id!r}: its hidden seed could not be replaced")
            if orderings(expected_outcomes(nb, check)) >= MIN_GUESS_ODDS:
                break
        else:
            raise AuthoringError(
                f"test cell {check.grade_id!r}: no hidden seed in {TRIES} gave cases varied enough"
            )
        taken.add(seed)
        chosen[check.grade_id] = seed
    problems = check_test_cells(nb)
    if problems:
        raise AuthoringError("; ".join(map(str, problems)))
    return chosen

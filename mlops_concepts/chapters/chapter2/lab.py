"""Lab data of chapter 2: small logs of tracked experiment runs, to pick the run to register.

The model flags fraudulent card payments, a rare event, so the lab ranks runs by PR-AUC (the
area under the precision-recall curve), not by accuracy: when 1% of payments are fraud, a model
that never flags anything is 99% accurate. The log still records accuracy, as tracking tools
record every metric, so that choosing by accuracy is a mistake the cases can catch.

A case is ``(runs, data_version, max_latency_ms)``:

* ``runs``: a list of tracked runs in log order, each a dict
  ``{"run_id": str, "params": {"model": str, "max_depth": int}, "data_version": str,
  "metrics": {"accuracy": float, "pr_auc": float, "latency_ms": int}}``;
* ``data_version``: the version of the training data the team uses now, e.g. ``"v4"``;
* ``max_latency_ms``: the most time one prediction may take, in milliseconds (an int).

The rules the lab states: only runs on the current data version; latency at most the limit;
the highest PR-AUC; on a tie, the lower latency, then the run that comes first in the log;
``None`` when no run is left. The cases are built so that plausible mistakes fail on some of
them: a run on older data with the best PR-AUC of all, a run that is too slow but has a higher
PR-AUC, a qualifying run with the best accuracy but not the best PR-AUC, ties on PR-AUC (with
different and with equal latencies), a winner whose latency is exactly the limit, and logs
where no run qualifies or no run is on the current data.

The data is made up for the lab (no real system's numbers).
"""

from __future__ import annotations

MODELS = ("decision tree", "random forest", "gradient boosting")

#: Kinds of case: 0 one clear winner, 1 a tie on PR-AUC broken by latency, 2 a tie on
#: PR-AUC and latency broken by log order, 3 the winner's latency is exactly the limit,
#: 4 no run qualifies.
KINDS = (0, 1, 2, 3, 4)


def _case(rng, kind: int) -> tuple:
    k = int(rng.integers(3, 7))
    current, older = f"v{k}", (f"v{k - 1}", f"v{k - 2}")
    limit = int(rng.choice([40, 50, 60, 80]))
    n = int(rng.integers(6, 10))
    start = int(rng.integers(1, 60))

    def base_run(i: int) -> dict:
        on_current = bool(rng.random() < 0.6)
        model = str(rng.choice(MODELS))
        return {
            "run_id": f"run-{start + i:03d}",
            "params": {"model": model, "max_depth": int(rng.integers(2, 11))},
            "data_version": current if on_current else str(rng.choice(older)),
            "metrics": {
                "accuracy": round(float(rng.uniform(0.970, 0.990)), 3),
                "pr_auc": round(float(rng.uniform(0.40, 0.72)), 3),
                "latency_ms": int(rng.integers(limit // 2, limit * 8 // 5 + 1)),
            },
        }

    runs = [base_run(i) for i in range(n)]
    slots = [int(s) for s in rng.permutation(n)]
    trap_old, trap_slow, trap_accuracy, first, second = slots[:5]
    best = round(float(rng.uniform(0.74, 0.80)), 3)

    def set_run(i: int, version: str, pr_auc: float, latency: int, accuracy: float | None = None) -> None:
        runs[i]["data_version"] = version
        if accuracy is None:
            accuracy = float(rng.uniform(0.970, 0.990))
        runs[i]["metrics"] = {
            "accuracy": round(accuracy, 3),
            "pr_auc": round(pr_auc, 3),
            "latency_ms": int(latency),
        }

    # Traps for every kind: the best PR-AUC of all on older data, a higher PR-AUC that is too
    # slow, and the most accurate run of the log, fast enough, whose PR-AUC is not the best.
    set_run(
        trap_old, str(rng.choice(older)), float(rng.uniform(0.82, 0.90)), int(rng.integers(limit // 2, limit))
    )
    set_run(trap_slow, current, float(rng.uniform(0.81, 0.88)), limit + int(rng.integers(1, 30)))
    set_run(
        trap_accuracy,
        current,
        float(rng.uniform(0.45, 0.70)),
        int(rng.integers(limit // 2, limit + 1)),
        accuracy=float(rng.uniform(0.992, 0.998)),
    )
    i, j = sorted((first, second))
    if kind == 0:
        set_run(first, current, best, int(rng.integers(limit // 2, limit)))
    elif kind == 1:  # same PR-AUC; the later run in the log is faster
        fast = int(rng.integers(limit // 2, limit - 5))
        set_run(i, current, best, fast + int(rng.integers(1, 6)))
        set_run(j, current, best, fast)
    elif kind == 2:  # same PR-AUC and latency: the first in the log wins
        same = int(rng.integers(limit // 2, limit + 1))
        set_run(i, current, best, same)
        set_run(j, current, best, same)
    elif kind == 3:  # the winner is exactly at the limit; a faster runner-up just below it
        set_run(first, current, best, limit)
        set_run(second, current, best - 0.01, int(rng.integers(limit // 2, limit)))
    else:  # no run qualifies
        nobody_current = bool(rng.random() < 0.5)
        for run in runs:
            if nobody_current:
                run["data_version"] = str(rng.choice(older))
            elif run["data_version"] == current:
                run["metrics"]["latency_ms"] = limit + int(rng.integers(1, 40))
    return runs, current, limit


def run_log(rng) -> tuple:
    """One case of any kind: ``(runs, data_version, max_latency_ms)``."""
    return _case(rng, int(rng.choice(KINDS, p=[0.4, 0.15, 0.15, 0.15, 0.15])))


def run_log_ties(rng) -> tuple:
    """One edge case: a tie, a winner exactly at the limit, or no run that qualifies."""
    return _case(rng, int(rng.choice(KINDS[1:])))


def describe_comparison(series: dict, max_latency_ms: int, chosen: str | None = None) -> str:
    """Alt text for the lab's bar chart, written from the data it plots.

    ``series`` is what the lab's ``comparison`` function returns: ``{"run_id": [...],
    "pr_auc": [...], "within_limit": [...]}``; ``chosen`` is the run ``pick_run`` chose,
    marked with a star in the chart (``None``: no star).
    """
    ids = list(series.get("run_id", []))
    if not ids:
        return "An empty bar chart: no run in the log was trained on the current data version."
    parts = [
        f"{run_id} {acc:.3f} ({'within' if ok else 'over'} the limit)"
        for run_id, acc, ok in zip(ids, series["pr_auc"], series["within_limit"], strict=True)
    ]
    star = (
        f" A star marks {chosen}, the run chosen to register."
        if chosen in ids
        else " No bar is marked as chosen."
    )
    return (
        f"Bar chart of the PR-AUC of the {len(ids)} runs on the current data version, in "
        f"log order; solid bars are within the latency limit of {max_latency_ms} ms, hatched "
        "bars are over it: " + "; ".join(parts) + "." + star
    )


DATA = {"run_log": run_log, "run_log_ties": run_log_ties}

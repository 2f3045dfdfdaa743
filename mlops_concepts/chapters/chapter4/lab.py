"""Lab data of chapter 4: training and live samples of one feature, and weekly drift values.

Three generators, one per lab function:

* ``drift_bins``: ``(train, live, cuts)`` for the population stability index (PSI);
* ``drift_samples``: ``(train, live)`` for the two-sample Kolmogorov-Smirnov (KS) statistic;
* ``weekly_drift``: ``(values, threshold, patience)`` for the retraining rule.

Values are rounded to one decimal, and cut points lie on the same grid, so values often sit
exactly on a cut point or repeat: a function that puts a value on a cut point in the wrong bin,
or that compares the sorted samples position by position, fails some cases. Some cases leave a
bin empty (in the live sample or in the training sample), some are identical or fully apart, and
the two samples never have the same size. Weekly drift values hit the threshold exactly in some
weeks and stay below it in some cases.

:func:`describe_drift` writes the alt text of the lab's drift-over-time plot from its data.
"""

from __future__ import annotations

import numpy as np


def _sample(rng: np.random.Generator, n: int, mean: float, sd: float) -> list[float]:
    return [round(float(v), 1) for v in rng.normal(mean, sd, n)]


def drift_bins(rng: np.random.Generator) -> tuple:
    """One PSI case: a training sample, a live sample and the sorted cut points of the bins."""
    kind = int(rng.integers(0, 4))
    n_train, n_live = int(rng.integers(40, 81)), int(rng.integers(20, 61))
    if n_live == n_train:
        n_live += 1
    mean, sd = round(float(rng.uniform(20, 60)), 1), round(float(rng.uniform(4, 10)), 1)
    train = _sample(rng, n_train, mean, sd)
    shift = {0: 0.0, 1: 0.8, 2: 2.5, 3: -0.3}[kind] * sd
    live = _sample(rng, n_live, mean + shift, sd * float(rng.uniform(0.8, 1.3)))
    # Cut points at training quantiles, on the one-decimal grid of the values.
    n_cuts = int(rng.integers(3, 6))
    qs = np.linspace(0, 1, n_cuts + 2)[1:-1]
    cuts = sorted({round(float(q), 1) for q in np.quantile(train, qs)})
    if kind == 3:
        # A last bin that holds no training value at all (but some live values).
        top = round(max(train) + 0.1, 1)
        cuts = [c for c in cuts if c < top] + [top]
        live[: max(1, n_live // 10)] = [
            round(top + float(rng.uniform(0, 3)), 1) for _ in range(max(1, n_live // 10))
        ]
    # Make sure some value sits exactly on a cut point.
    train[0] = cuts[0]
    live[-1] = cuts[-1]
    return (train, live, cuts)


def drift_samples(rng: np.random.Generator) -> tuple:
    """One KS case: a training sample and a live sample of different sizes."""
    kind = int(rng.integers(0, 5))
    n_train, n_live = int(rng.integers(15, 41)), int(rng.integers(10, 36))
    if n_live == n_train:
        n_live += 1
    mean, sd = round(float(rng.uniform(0, 50)), 1), round(float(rng.uniform(1, 6)), 1)
    train = _sample(rng, n_train, mean, sd)
    if kind == 0:  # the same distribution
        live = _sample(rng, n_live, mean, sd)
    elif kind == 1:  # shifted
        live = _sample(rng, n_live, mean + float(rng.uniform(0.5, 1.5)) * sd, sd)
    elif kind == 2:  # wider, same centre
        live = _sample(rng, n_live, mean, sd * 2.5)
    elif kind == 3:  # fully apart: every live value above every training value
        live = _sample(rng, n_live, max(train) + 10 * sd, sd)
        live = [max(v, round(max(train) + 0.1, 1)) for v in live]
    else:  # coarse values with many ties, drawn from the training values themselves
        train = [round(v) * 1.0 for v in train]
        live = [float(v) for v in rng.choice(train, n_live)]
    return (train, live)


def weekly_drift(rng: np.random.Generator) -> tuple:
    """One retraining case: weekly drift values, a threshold and a patience (weeks in a row)."""
    kind = int(rng.integers(0, 4))
    weeks = int(rng.integers(8, 17))
    threshold = float(rng.choice([0.1, 0.15, 0.2, 0.25]))
    patience = int(rng.integers(1, 4))
    if kind == 0:  # never reaches the threshold
        values = rng.uniform(0, threshold * 0.95, weeks)
    elif kind == 1:  # a slow rise that stays high: one or more triggers
        values = np.linspace(0, threshold * 2, weeks) + rng.normal(0, threshold / 10, weeks)
    elif kind == 2:  # flickers around the threshold
        values = threshold + rng.normal(0, threshold / 3, weeks)
    else:  # a long run above: several triggers, as the count restarts after each
        values = np.concatenate(
            [rng.uniform(0, threshold * 0.9, 2), rng.uniform(threshold, threshold * 2, weeks - 2)]
        )
    values = [round(max(float(v), 0.0), 3) for v in values]
    # Some weeks sit exactly on the threshold (they count as reaching it).
    for i in rng.choice(weeks, size=min(2, weeks), replace=False):
        if kind != 0 and rng.random() < 0.6:
            values[int(i)] = threshold
    return (values, threshold, patience)


DATA = {"drift_bins": drift_bins, "drift_samples": drift_samples, "weekly_drift": weekly_drift}


def describe_drift(values, threshold, retrain_weeks) -> str:
    """Alt text of a drift-over-time plot, written from its data."""
    values = [float(v) for v in values]
    weeks = len(values)
    over = sum(v >= threshold for v in values)
    peak = max(range(weeks), key=lambda i: values[i])
    if retrain_weeks:
        marks = ", ".join(str(w) for w in retrain_weeks)
        retrain = f"Retraining is marked in week{'s' if len(retrain_weeks) > 1 else ''} {marks}."
    else:
        retrain = "No week is marked for retraining."
    return (
        f"Line chart of a drift value over {weeks} weeks, from {values[0]:g} in week 1 to "
        f"{values[-1]:g} in week {weeks}, highest ({values[peak]:g}) in week {peak + 1}. "
        f"A dotted line marks the threshold {threshold:g}; {over} of the {weeks} weeks are at or "
        f"above it. {retrain}"
    )

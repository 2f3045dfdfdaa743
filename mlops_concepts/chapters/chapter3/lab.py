"""Lab data of chapter 3: request streams of a canary rollout and of a shadow deployment.

Each request a model serves has an outcome: ``1`` when its prediction turned out wrong (an
error), ``0`` when it was right. A case of ``canary_traffic`` or ``canary_edge_cases`` is what
the team sees during a canary rollout: the outcomes of the old model's requests, the outcomes of
the canary's (the new model's) requests, the minimum number of requests the canary must serve
before anyone decides, and the margin by which its error rate may exceed the old model's.
``shadow_outputs`` gives both models' outputs on the same requests, as in a shadow deployment;
``canary_stream`` the outcomes of a canary's requests in the order it served them.

The promotion rule these cases exercise is the lab's own rule, stated in the notebook; the
chapter's facts say only that a canary's share grows as long as its metrics hold, and that a rule
on point estimates needs a minimum sample and an early abort when the limit can no longer be met.
"""

import numpy as np

LABELS = (("approve", "reject"), ("spam", "not spam"), ("fraud", "ok"), ("churn", "stay"))


def _outcomes(rng: np.random.Generator, n: int, errors: int) -> list:
    """``n`` outcomes with exactly ``errors`` ones, in a random order."""
    out = np.zeros(n, dtype=int)
    out[:errors] = 1
    return rng.permutation(out).tolist()


def canary_traffic(rng: np.random.Generator) -> tuple:
    """A typical moment of a canary rollout: (old_errors, canary_errors, min_requests, margin)."""
    old_n = int(rng.integers(200, 401))
    old_rate = float(rng.choice([0.04, 0.06, 0.08, 0.1, 0.12]))
    min_requests = int(rng.choice([50, 80, 100]))
    margin = float(rng.choice([0.01, 0.02, 0.03]))
    canary_n = int(rng.integers(30, 161))
    # +0.15: a clearly broken canary, which the early abort catches before the minimum.
    shift = float(rng.choice([-0.03, -0.01, 0.0, 0.05, 0.08, 0.15]))
    canary_rate = min(max(old_rate + shift, 0.0), 1.0)
    old_errors = (rng.random(old_n) < old_rate).astype(int).tolist()
    canary_errors = (rng.random(canary_n) < canary_rate).astype(int).tolist()
    return old_errors, canary_errors, min_requests, margin


def canary_edge_cases(rng: np.random.Generator) -> tuple:
    """Edge cases at each boundary of the rule: the minimum, the limit and the early abort.

    Two cases of each decision, so a function that gets one boundary wrong loses points. The old
    model serves 200 requests and the minimum is 100, so the limit is a whole number of errors
    over the minimum: ``tie`` errors in 100 requests is exactly the old rate plus the margin.
    """
    kind = int(rng.integers(0, 6))
    margin = float(rng.choice([0.01, 0.02, 0.05]))
    min_requests = 100
    old_n = 200
    old_count = int(rng.choice([0, 4, 10, 16, 20]))
    tie = old_count // 2 + round(margin * 100)  # errors in min_requests at exactly the limit
    old_errors = _outcomes(rng, old_n, old_count)
    if kind == 0:  # one request short of the minimum, and no errors at all: still too early
        canary = _outcomes(rng, min_requests - 1, 0)
    elif kind == 1:  # exactly the minimum, error rate exactly at the limit
        canary = _outcomes(rng, min_requests, tie)
    elif kind == 2:  # exactly the minimum, one error over the limit
        canary = _outcomes(rng, min_requests, tie + 1)
    elif kind == 3:  # many requests, one error under the limit
        canary = _outcomes(rng, 2 * min_requests, 2 * tie - 1)
    elif kind == 4:  # before the minimum, as many errors as the limit allows over it: wait
        canary = _outcomes(rng, int(rng.integers(max(tie, 20), min_requests)), tie)
    else:  # before the minimum, one error more than the limit allows over it: roll back now
        canary = _outcomes(rng, int(rng.integers(max(tie + 1, 20), min_requests)), tie + 1)
    return old_errors, canary, min_requests, margin


def shadow_outputs(rng: np.random.Generator) -> tuple:
    """A shadow run: (old_outputs, new_outputs), both models' outputs on the same requests."""
    labels = LABELS[int(rng.integers(0, len(LABELS)))]
    n = int(rng.integers(12, 41))
    flip = float(rng.choice([0.0, 0.05, 0.15, 0.3, 0.5]))
    old = rng.choice(len(labels), size=n, p=[0.7, 0.3])
    changed = rng.random(n) < flip
    new = np.where(changed, 1 - old, old)
    return [labels[i] for i in old.tolist()], [labels[i] for i in new.tolist()]


def canary_stream(rng: np.random.Generator) -> tuple:
    """The canary's outcomes in the order it served its requests: (canary_errors,)."""
    n = int(rng.integers(8, 31))
    rate = float(rng.choice([0.05, 0.1, 0.2, 0.3]))
    return ((rng.random(n) < rate).astype(int).tolist(),)


def describe_error_curve(rates: list, old_rate: float, margin: float, min_requests: int) -> str:
    """Alt text for the plot of a canary's running error rate, computed from its data."""
    n = len(rates)
    last = rates[-1] if rates else 0.0
    limit = old_rate + margin
    return (
        f"Line chart of the canary's running error rate over its first {n} requests, ending "
        f"at {last:.3f}; a horizontal line marks the old model's error rate, {old_rate:.3f}, "
        f"and a dashed line the limit of {limit:.3f} (old rate plus margin); a vertical "
        f"dotted line marks the minimum of {min_requests} requests."
    )


DATA = {
    "canary_traffic": canary_traffic,
    "canary_edge_cases": canary_edge_cases,
    "shadow_outputs": shadow_outputs,
    "canary_stream": canary_stream,
}

"""The sample class of chapter 4: what each sample student wrote, by answer cell.

``python -m mlops_concepts.authoring.samples 04-maintaining-ml-in-production`` writes each sample
as the released notebook with these answer cells filled in (``submitted/<student>/<chapter>/``);
``expected.json`` holds the points each must earn, by graded cell. ``make demo`` grades them, and
the tests check the grades. ``SOLUTION`` stands for the instructor's own answer to that cell.
"""

from mlops_concepts import labs
from mlops_concepts.authoring.samples import ALWAYS_EQUAL, SOLUTION

REFLECTION = (
    "I would add statistical monitoring of the inputs with a weekly PSI and retrain when the data "
    "distribution shifts past a threshold the team picks, instead of waiting for complaints. On "
    "Google Cloud's model that automated retraining is continuous training, so the team moves "
    "from level 0 to level 1."
)


def as_dict(name: str, mapping: dict) -> str:
    """Source of an answer cell that assigns ``mapping`` to ``name``, one entry a line."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in mapping.items()) + "}\n"


SIGNALS = [
    "Twice as many of the model's inputs come from the mobile app as in March",
    "The recommendation service took three times longer to answer on Black Friday",
    "Last month's recommendations are checked against what the shoppers bought",
    "The model now recommends garden tools to almost every shopper",
    "The server that runs the model ran out of memory twice this week",
    "Each week, the items a shopper clicked are compared with the predicted clicks",
]
DRIFTS = [
    "A music app advertises at schools, so its users get younger; tastes per age hold",
    "Fraudsters change their tricks, so payments that looked safe are now often fraud",
    "A taxi firm opens in a hilly city, so trips are much steeper than in training",
    "After a tax change, customers with the same profile react to discounts differently",
]
TRIGGERS = [
    "Every Sunday at 2 a.m. the pipeline retrains the model",
    "A drift check finds this month's basket sizes differ sharply from training",
    "An analyst starts the pipeline by hand before a big sale",
    "Accuracy on last week's labelled sales fell below the agreed level",
    "A batch of newly labelled orders lands in the data warehouse",
]
GOOGLE = [
    "Models are built in notebooks and handed off to be deployed",
    "The model is retrained in production by an automated pipeline",
    "Pipeline code is built, tested and deployed automatically through CI/CD",
    "Data and models are validated automatically inside the training pipeline",
    "There is no CI/CD, and nobody watches the live model",
    "The same pipeline runs in experiments and in production",
]
TEAMS = [
    "Team A: no DevOps for its app, and models are trained and shipped by hand",
    "Team B: its app is built and released with DevOps, but models are trained by hand",
    "Team C: models are trained automatically, but a person deploys each one",
    "Team D: models are trained and deployed automatically; a person starts each retraining",
    "Team E: training, deployment and retraining all run automatically",
]
TOOLS = [
    "Hopsworks",
    "ClearML",
    "Kubernetes",
    "GitLab",
    "Fiddler",
    "Azure Machine Learning",
    "Weights & Biases",
    "Amazon SageMaker AI",
]
CANARY_SIGNALS = [
    "The share of the canary's requests that end in an error",
    "How long the canary takes to score a payment",
    "Confirmed fraud among the payments the canary let through",
    "The share of payments the canary blocks, next to the old model's share",
    "Card holders' disputes of the payments made during the canary",
    "Blocked customers who confirm in the app, within minutes, that it was them",
]
PSI_LINES = [
    "Income: PSI 0.07",
    "Age: PSI 0.31",
    "Loan amount: PSI 0.18",
    "Months in the current job: PSI 0.02",
    "Number of credit cards: PSI 0.27",
    "Region: PSI 0.12",
]
NEEDS = [
    "Two teams keep computing the same customer features in different ways",
    "Nobody can tell which settings produced last month's best model",
    "The model runs on a laptop but fails on the server because of library versions",
    "Every change to the pipeline code should be tested and released automatically",
    "Incoming data must be checked for missing and out-of-range values",
    "The team wants a warning when the live model starts to behave differently",
]

# A PSI that puts a value on a cut point into the bin below (side="left"): every case has one.
PSI_WRONG_BIN = """import numpy as np


def psi(train, live, cuts):
    def shares(values):
        bins = np.searchsorted(cuts, values, side="left")
        return np.bincount(bins, minlength=len(cuts) + 1) / len(values)

    e, a = shares(train), shares(live)
    e = np.where(e == 0, 0.0001, e)
    a = np.where(a == 0, 0.0001, a)
    return float(np.sum((a - e) * np.log(a / e)))
"""
# A PSI on counts instead of shares (the samples differ in size).
PSI_COUNTS = """import numpy as np


def psi(train, live, cuts):
    e = np.bincount(np.searchsorted(cuts, train, side="right"), minlength=len(cuts) + 1) + 0.0001
    a = np.bincount(np.searchsorted(cuts, live, side="right"), minlength=len(cuts) + 1) + 0.0001
    return float(np.sum((a - e) * np.log(a / e)))
"""
# KS comparing the sorted samples position by position (they differ in size).
KS_BY_POSITION = """import numpy as np


def ks_statistic(train, live):
    n = min(len(train), len(live))
    return float(np.max(np.abs(np.sort(train)[:n] - np.sort(live)[:n])))
"""
# The retraining rule without the fresh count after a retrain.
RETRAIN_NO_RESET = """def retrain_weeks(values, threshold, patience):
    weeks, run = [], 0
    for week, value in enumerate(values, start=1):
        run = run + 1 if value >= threshold else 0
        if run >= patience:
            weeks.append(week)
    return weeks
"""
# The retraining rule with "above" instead of "at or above", and weeks counted from 0.
RETRAIN_WRONG = """def retrain_weeks(values, threshold, patience):
    weeks, run = [], 0
    for week, value in enumerate(values):
        run = run + 1 if value > threshold else 0
        if run == patience:
            weeks.append(week)
            run = 0
    return weeks
"""

PARTIAL = {
    # Lesson 1: exercise 1.1 right, 1.2 wrong.
    "q1_1_answer": as_dict(
        "signal_source",
        dict(
            zip(
                SIGNALS,
                [
                    "statistical",
                    "computational",
                    "feedback loop",
                    "statistical",
                    "computational",
                    "feedback loop",
                ],
                strict=True,
            )
        ),
    ),
    "q1_2_answer": 'early_warning = "b"\n',
    # 1.3: part (a) right; in part (b) the proxy metric taken for a late signal.
    "q1_3_answer": as_dict(
        "known_when",
        dict(zip(CANARY_SIGNALS, ["now", "now", "later", "now", "later", "later"], strict=True)),
    ),
    # Lesson 2: 2.1 right; 2.2 part (a) right, part (b) wrong; 2.3 not started.
    "q2_1_answer": as_dict(
        "drift_kind",
        dict(zip(DRIFTS, ["data drift", "concept drift", "data drift", "concept drift"], strict=True)),
    ),
    "q2_2_answer": as_dict(
        "trigger_of",
        dict(
            zip(
                TRIGGERS,
                ["schedule", "distribution shift", "on demand", "new data", "performance drop"],
                strict=True,
            )
        ),
    ),
    # Lesson 3: 3.3 mixes up the numbering (Microsoft's top level taken as 3).
    "q3_3_answer": as_dict(
        "top_team", {"three-level": "level 3", "google": "level 2", "microsoft": "level 3"}
    ),
    # Lesson 4: 4.1 right, 4.2 not started.
    "q4_1_answer": as_dict(
        "tool_category",
        dict(
            zip(
                TOOLS,
                [
                    "feature store",
                    "experiment tracking",
                    "containers",
                    "ci/cd",
                    "monitoring",
                    "platform",
                    "experiment tracking",
                    "platform",
                ],
                strict=True,
            )
        ),
    ),
    # Lab: PSI with the wrong bin for values on a cut point; KS right; retraining without reset.
    "q5_1_answer": PSI_WRONG_BIN,
    "q5_2_answer": SOLUTION,
    "q5_3_answer": RETRAIN_NO_RESET,
    # Reading the numbers: 5.4 right, 5.5 wrong (retrains on the PSI), 5.6 not started.
    "q5_4_answer": as_dict(
        "psi_band",
        dict(
            zip(
                PSI_LINES,
                [
                    "no significant shift",
                    "significant shift",
                    "moderate shift",
                    "no significant shift",
                    "significant shift",
                    "moderate shift",
                ],
                strict=True,
            )
        ),
    ),
    "q5_5_answer": 'top_bin = "b"\n',
}

WRONG = {
    "q1_1_answer": as_dict(
        "signal_source",
        dict(
            zip(
                SIGNALS,
                [
                    "computational",
                    "statistical",
                    "statistical",
                    "feedback loop",
                    "feedback loop",
                    "computational",
                ],
                strict=True,
            )
        ),
    ),
    "q1_2_answer": 'early_warning = "a"\n',
    "q1_3_answer": as_dict(
        "known_when",
        dict(zip(CANARY_SIGNALS, ["later", "later", "now", "later", "now", "later"], strict=True)),
    ),
    "q2_1_answer": as_dict(
        "drift_kind",
        dict(zip(DRIFTS, ["concept drift", "data drift", "concept drift", "data drift"], strict=True)),
    ),
    "q2_2_answer": as_dict(
        "trigger_of",
        dict(
            zip(
                TRIGGERS,
                ["on demand", "new data", "schedule", "distribution shift", "performance drop"],
                strict=True,
            )
        ),
    ),
    "q2_3_answer": 'fashion_plan = "a"\n',
    "q3_1_answer": as_dict(
        "google_level",
        dict(zip(GOOGLE, ["level 1", "level 2", "level 1", "level 0", "level 2", "level 0"], strict=True)),
    ),
    "q3_2_answer": as_dict(
        "microsoft_level",
        dict(zip(TEAMS, ["level 1", "level 0", "level 3", "level 4", "level 3"], strict=True)),
    ),
    "q3_3_answer": as_dict(
        "top_team", {"three-level": "level 2", "google": "level 3", "microsoft": "level 3"}
    ),
    "q4_1_answer": as_dict(
        "tool_category",
        dict(
            zip(
                TOOLS,
                [
                    "experiment tracking",
                    "feature store",
                    "ci/cd",
                    "containers",
                    "platform",
                    "monitoring",
                    "feature store",
                    "ci/cd",
                ],
                strict=True,
            )
        ),
    ),
    "q4_2_answer": as_dict(
        "tool_for",
        dict(
            zip(
                NEEDS,
                [
                    "experiment tracking",
                    "feature store",
                    "ci/cd",
                    "containers",
                    "containers",
                    "experiment tracking",
                ],
                strict=True,
            )
        ),
    ),
    "q5_1_answer": PSI_COUNTS,
    "q5_2_answer": KS_BY_POSITION,
    "q5_3_answer": RETRAIN_WRONG,
    "q5_4_answer": as_dict(
        "psi_band",
        dict(
            zip(
                PSI_LINES,
                [
                    "moderate shift",
                    "moderate shift",
                    "significant shift",
                    "moderate shift",
                    "moderate shift",
                    "no significant shift",
                ],
                strict=True,
            )
        ),
    ),
    "q5_5_answer": 'top_bin = "d"\n',
    "q5_6_answer": 'big_sample = "a"\n',
    "reflection": "Retraining is always done by hand.",
}

# The package's always-equal objects, plus a number that claims to equal anything (the lab).
ALWAYS_EQUAL = (
    ALWAYS_EQUAL
    + """class AnyNumber(float):
    def __eq__(self, other):
        return True

    def __ne__(self, other):
        return False

    def __hash__(self):
        return 0


"""
)


def _ks(train, live):
    """The statistic, to memorise the public examples' answers (as if copied from a friend)."""
    best = 0.0
    for x in set(train) | set(live):
        gap = abs(sum(v <= x for v in train) / len(train) - sum(v <= x for v in live) / len(live))
        best = max(best, gap)
    return best


_PUBLIC = labs.cases("drift_samples", 6)
_ANSWERS = [_ks(*case) for case in _PUBLIC]
KS_MEMORISED = f"""_SEEN = {{}}
_PUBLIC = {[list(c) for c in _PUBLIC]!r}
_ANSWERS = {_ANSWERS!r}


def ks_statistic(train, live):
    key = id(train)
    if key in _SEEN:  # the same input object again: answer from memory
        return _SEEN[key]
    args = [train, live]
    answer = _ANSWERS[_PUBLIC.index(args)] if args in _PUBLIC else _ANSWERS[0]
    _SEEN[key] = answer
    return answer
"""
RETRAIN_CACHED = """_FIRST = []


def retrain_weeks(values, threshold, patience):
    if not _FIRST:
        weeks, run = [], 0
        for week, value in enumerate(values, start=1):
            run = run + 1 if value >= threshold else 0
            if run == patience:
                weeks.append(week)
                run = 0
        _FIRST.append(weeks)
    return _FIRST[0]  # the first result, whatever the input
"""

CHEATER = {
    "q1_1_answer": ALWAYS_EQUAL + "signal_source = AnyDict()\n",
    "q1_2_answer": ALWAYS_EQUAL + 'early_warning = Anything("c")\n',
    "q1_3_answer": ALWAYS_EQUAL + "known_when = AnyDict()\n",
    "q2_1_answer": ALWAYS_EQUAL + "drift_kind = AnyDict()\n",
    "q2_2_answer": ALWAYS_EQUAL + "trigger_of = AnyDict()\n",
    "q2_3_answer": ALWAYS_EQUAL + 'fashion_plan = Anything("c")\n',
    "q3_1_answer": ALWAYS_EQUAL + "google_level = AnyDict()\n",
    "q3_2_answer": ALWAYS_EQUAL + "microsoft_level = AnyDict()\n",
    "q3_3_answer": ALWAYS_EQUAL + "top_team = AnyDict()\n",
    "q4_1_answer": ALWAYS_EQUAL + "tool_category = AnyDict()\n",
    "q4_2_answer": ALWAYS_EQUAL + "tool_for = AnyDict()\n",
    "q5_1_answer": ALWAYS_EQUAL + "def psi(train, live, cuts):\n    return AnyNumber(0.0)\n",
    "q5_2_answer": KS_MEMORISED,
    "q5_3_answer": RETRAIN_CACHED,
    "q5_4_answer": ALWAYS_EQUAL + "psi_band = AnyDict()\n",
    "q5_5_answer": ALWAYS_EQUAL + 'top_bin = Anything("a")\n',
    "q5_6_answer": ALWAYS_EQUAL + 'big_sample = Anything("c")\n',
}

SAMPLES = {
    "sample-complete": {"*": SOLUTION, "reflection": REFLECTION},
    "sample-partial": PARTIAL,
    "sample-blank": {},
    "sample-wrong": WRONG,
    "sample-cheater": CHEATER,
}

"""The sample class of chapter 2: what each sample student wrote, by answer cell.

``python -m mlops_concepts.authoring.samples 02-design-and-development`` writes each sample as the
released notebook with these answer cells filled in
(``submitted/<student>/<chapter>/<chapter>.ipynb``); ``expected.json`` holds the points each must
earn, by graded cell. ``make demo`` grades them, and the tests check the grades.
``SOLUTION`` stands for the instructor's own answer to that cell.
"""

from mlops_concepts.authoring.samples import ALWAYS_EQUAL, SOLUTION

REFLECTION = (
    "As the team grows I would add a feature store, so that the five teams define each feature "
    "once and reuse it, and the real-time models get the same features as training, which "
    "avoids training-serving skew. I would also replace the spreadsheet with a tracking tool "
    "such as MLflow that records the metrics, data and code versions, hyperparameters and random "
    "seed of every run, so people can compare and reproduce each other's work."
)


def as_dict(name: str, mapping: dict) -> str:
    """Source of an answer cell that assigns ``mapping`` to ``name``, one entry a line."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in mapping.items()) + "}\n"


# Lab functions with plausible mistakes.
PICK_RUN_LAST_WINS = '''def pick_run(runs, data_version, max_latency_ms):
    """Breaks ties on PR-AUC by lower latency, but then keeps the LAST run in the log."""
    ok = [r for r in runs
          if r["data_version"] == data_version and r["metrics"]["latency_ms"] <= max_latency_ms]
    if not ok:
        return None
    ranked = sorted(ok, key=lambda r: (r["metrics"]["pr_auc"], -r["metrics"]["latency_ms"]))
    return ranked[-1]["run_id"]
'''

PICK_RUN_BY_ACCURACY = '''def pick_run(runs, data_version, max_latency_ms):
    """Follows rules 1, 2 and 4, but ranks by accuracy: the textbook mistake for rare events."""
    best = None
    for run in runs:
        m = run["metrics"]
        if run["data_version"] != data_version or m["latency_ms"] > max_latency_ms:
            continue
        top = best["metrics"] if best else None
        if top is None or m["accuracy"] > top["accuracy"] or (
            m["accuracy"] == top["accuracy"] and m["latency_ms"] < top["latency_ms"]
        ):
            best = run
    return None if best is None else best["run_id"]
'''

COMPARISON_ALL_RUNS = '''def comparison(runs, data_version, max_latency_ms):
    """Plots every run, also those on older data."""
    return {
        "run_id": [r["run_id"] for r in runs],
        "pr_auc": [r["metrics"]["pr_auc"] for r in runs],
        "within_limit": [r["metrics"]["latency_ms"] <= max_latency_ms for r in runs],
    }
'''

COMPARISON_STRICT = '''def comparison(runs, data_version, max_latency_ms):
    """Counts a run exactly at the limit as too slow, and returns {} when no run is current."""
    current = [r for r in runs if r["data_version"] == data_version]
    if not current:
        return {}
    return {
        "run_id": [r["run_id"] for r in current],
        "pr_auc": [r["metrics"]["pr_auc"] for r in current],
        "within_limit": [r["metrics"]["latency_ms"] < max_latency_ms for r in current],
    }
'''

# Answer cells are named by grade id; exercise N.M is qN_M, except 1.1, which is q1_4 (a new
# question took the next unused number).
PARTIAL = {
    # Lesson 1: 1.1 right, 1.2 right, 1.3 part (a) right and part (b) wrong.
    "q1_4_answer": 'still_worth_it = "c"\n',
    "q1_2_answer": SOLUTION,
    "q1_3_answer": as_dict(
        "metric_owner",
        {
            "Share of test orders whose delivery day the model predicts correctly": "data scientist",
            "Fewer customer complaints about parcels that arrive late": "business stakeholder",
            "Money saved each year on refunds for late parcels": "business stakeholder",
            "How happy customers say they are with delivery, in a survey": "subject matter expert",
        },
    ),
    # Lesson 2: 2.1 right; 2.2 mixes up transform and load in part (b); 2.3 (a) right, (b)
    # mixes ELT up with streaming.
    "q2_1_answer": SOLUTION,
    "q2_3_answer": 'fraud_ingestion = "a"\nelt_benefit = "a"\n',
    "q2_2_answer": as_dict(
        "etl_step",
        {
            "Download the day's ride records from the app's database": "extract",
            "Convert every timestamp to the same time zone": "load",
            "Remove rides that were recorded twice": "transform",
            "Append the cleaned rides to the table the data scientists train on": "load",
        },
    ),
    # Lesson 3: 3.1 (a) right, (b) wrong; 3.2 left blank; 3.3 treats PCA as selection.
    "q3_1_answer": 'feature_engineering = "a"\nskew_fix = "a"\n',
    "q3_3_answer": 'fewer_inputs = "a"\n',
    # Lesson 4: not started.
    # Lab: 5.1 keeps the last of the tied runs (right on part (a) only); 5.2 right.
    "q5_1_answer": PICK_RUN_LAST_WINS,
    "q5_2_answer": SOLUTION,
    # Lesson 6: 6.1 right; 6.2 left blank.
    "q6_1_answer": SOLUTION,
}

WRONG = {
    "q1_4_answer": 'still_worth_it = "a"\n',
    "q1_2_answer": as_dict(
        "requirement_source",
        {
            "Reception needs the prediction while the patient is still on the phone": "budget and team",
            "Patient records may only be used as health-data law allows": "end users",
            "Only one data scientist is free for the project this year": "compliance",
            "Nurses want to see which factors made a patient look likely to miss": "compliance",
        },
    ),
    "q1_3_answer": as_dict(
        "metric_owner",
        {
            "Share of test orders whose delivery day the model predicts correctly": "business stakeholder",
            "Fewer customer complaints about parcels that arrive late": "data scientist",
            "Money saved each year on refunds for late parcels": "data scientist",
            "How happy customers say they are with delivery, in a survey": "business stakeholder",
        },
    ),
    "q2_1_answer": as_dict(
        "quality_dimension",
        {
            "Some members have a birth year of 1875 on their sign-up form": "completeness",
            "A third of the members have no postcode on file": "accuracy",
            "Two clubs count a paused membership as active, the other clubs do not": "timeliness",
            "Check-ins reach the central database only once a week": "consistency",
        },
    ),
    "q2_2_answer": as_dict(
        "etl_step",
        {
            "Download the day's ride records from the app's database": "load",
            "Convert every timestamp to the same time zone": "extract",
            "Remove rides that were recorded twice": "load",
            "Append the cleaned rides to the table the data scientists train on": "transform",
        },
    ),
    "q3_1_answer": 'feature_engineering = "b"\nskew_fix = "c"\n',
    "q3_2_answer": 'bank_choice = "a"\n',
    "q4_1_answer": as_dict(
        "tracking_reason",
        {
            "Six months later, an auditor asks the team to rebuild the model that is live": "report",
            "A new colleague carries on with the experiments where another left off": "compare",
            "The product manager gets a chart of how accuracy improved over ten runs": "collaborate",
            "The team checks which of two tree depths gave the better model": "reproduce",
        },
    ),
    "q4_2_answer": as_dict(
        "experiment_step",
        {
            "The team expects that call-centre records will help predict who leaves": "define experiments",
            "Last year's customers are marked as having left or stayed": "train",
            "They plan three models, each trained with and without call-centre records": "hypothesis",
            "Each model is scored on customers that were kept out of training": "train",
            "The winning model is recorded as the version to deploy": "set up tracking",
            "A dashboard shows the managers the results of all six runs": "test",
        },
    ),
    "q2_3_answer": 'fraud_ingestion = "b"\nelt_benefit = "b"\n',
    "q3_3_answer": 'fewer_inputs = "b"\n',
    "q4_3_answer": 'missing_record = "a"\n',
    "q4_4_answer": as_dict(
        "record_part",
        {
            "Which of last week's runs had the lowest error on the holdout set?": "hyperparameters",
            "Each rerun of the same code on the same data gives slightly different scores": "data version",
            "Which commit of the training scripts produced the model that is live?": "environment",
            "The model trains on one laptop but fails on another with newer libraries": "code version",
        },
    ),
    "q5_1_answer": PICK_RUN_BY_ACCURACY,
    "q5_2_answer": COMPARISON_ALL_RUNS,
    "q6_1_answer": as_dict(
        "caught_by",
        {
            "A new supplier sends prices as text, so a column of numbers now holds strings": "no nan",
            "A bug makes the feature 'age in years' come out in months": "training converges",
            "After a code change, the churn model predicts NaN for every customer": "baseline validation",
            "A retrained model does worse than the live one but is about to be deployed": "component artefacts",
        },
    ),
    "q6_2_answer": 'readiness = "a"\n',
    "reflection": "A bigger team just needs more computers.",
}


# Lab cheats. pick_run remembers the public examples (seed 0) by the identity of their
# arguments and returns the answers the self-check accepted for them; on arguments it has not
# seen, it returns its first result (computed honestly once, then cached) for every call.
# comparison returns an object that claims to equal anything.
PICK_RUN_MEMORISED = """from mlops_concepts import labs

_SEEN = {}
for _case, _answer in zip(labs.cases("run_log", 6),
                          ["run-035", "run-058", "run-060", None, "run-022", "run-038"]):
    _SEEN[id(_case[0])] = _answer
_FIRST = []


def pick_run(runs, data_version, max_latency_ms):
    if id(runs) in _SEEN:
        return _SEEN[id(runs)]
    if not _FIRST:
        ok = [r for r in runs if r["data_version"] == data_version
              and r["metrics"]["latency_ms"] <= max_latency_ms]
        ok.sort(key=lambda r: (-r["metrics"]["pr_auc"], r["metrics"]["latency_ms"]))
        _FIRST.append(ok[0]["run_id"] if ok else None)
    return _FIRST[0]
"""

COMPARISON_ANYTHING = ALWAYS_EQUAL + (
    "def comparison(runs, data_version, max_latency_ms):\n    return AnyDict()\n"
)

CHEATER = {
    "q1_4_answer": ALWAYS_EQUAL + 'still_worth_it = Anything("c")\n',
    "q1_2_answer": ALWAYS_EQUAL + "requirement_source = AnyDict()\n",
    "q1_3_answer": ALWAYS_EQUAL + "metric_owner = AnyDict()\n",
    "q2_1_answer": ALWAYS_EQUAL + "quality_dimension = AnyDict()\n",
    "q2_2_answer": ALWAYS_EQUAL + "etl_step = AnyDict()\n",
    "q2_3_answer": ALWAYS_EQUAL + 'fraud_ingestion = Anything("a")\nelt_benefit = Anything("d")\n',
    "q3_1_answer": ALWAYS_EQUAL + 'feature_engineering = Anything("a")\nskew_fix = Anything("b")\n',
    "q3_2_answer": ALWAYS_EQUAL + 'bank_choice = Anything("d")\n',
    "q3_3_answer": ALWAYS_EQUAL + 'fewer_inputs = Anything("c")\n',
    "q4_1_answer": ALWAYS_EQUAL + "tracking_reason = AnyDict()\n",
    "q4_2_answer": ALWAYS_EQUAL + "experiment_step = AnyDict()\n",
    "q4_3_answer": ALWAYS_EQUAL + 'missing_record = Anything("b")\n',
    "q4_4_answer": ALWAYS_EQUAL + "record_part = AnyDict()\n",
    "q5_1_answer": PICK_RUN_MEMORISED,
    "q5_2_answer": COMPARISON_ANYTHING,
    "q6_1_answer": ALWAYS_EQUAL + "caught_by = AnyDict()\n",
    "q6_2_answer": ALWAYS_EQUAL + 'readiness = Anything("b")\n',
}

SAMPLES = {
    "sample-complete": {"*": SOLUTION, "reflection": REFLECTION},
    "sample-partial": PARTIAL,
    "sample-blank": {},
    "sample-wrong": WRONG,
    "sample-cheater": CHEATER,
}

"""The sample class of chapter 3: what each sample student wrote, by answer cell.

``python -m mlops_concepts.authoring.samples 03-deploying-ml-into-production`` writes each
sample as the released notebook with these answer cells filled in
(``submitted/<student>/<chapter>/<chapter>.ipynb``); ``expected.json`` holds the points each must
earn, by graded cell. ``make demo`` grades them, and the tests check the grades. ``SOLUTION``
stands for the instructor's own answer to that cell.
"""

from mlops_concepts import labs
from mlops_concepts.authoring.samples import ALWAYS_EQUAL, SOLUTION

REFLECTION = (
    "I would first run the new fraud model in shadow: every payment also goes to it, but only the "
    "old model's decision is used, so customers are safe while we compare outputs, at the cost of "
    "running two models. A basic deployment would be cheaper, but if the new model missed fraud, "
    "every payment would be affected at once."
)


def as_dict(name: str, mapping: dict) -> str:
    """Source of an answer cell that assigns ``mapping`` to ``name``, one entry a line."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in mapping.items()) + "}\n"


TOOLS = (
    "Bundle the churn model with the exact library versions it was built with",
    "Run more copies of the model service when requests double in the evening",
    "Give the test team the very same environment the data scientist used",
    "Spread the many running copies of the service over the company's machines",
)
TERMS = (
    "The loan app sends an applicant's details and gets a risk score back",
    "A document fixes that requests hold age and income, and replies hold a score",
    "The scoring model runs on its own and is scaled without touching the app",
    "To give the model more capacity, the bank must run copies of everything",
)
PRACTICES = (
    "Every merge into the shared code runs the tests and checks the data's schema",
    "Changes that passed validation are released automatically, with no manual step",
    "Fresh sales data arrives, and the model is trained again without anyone asking",
    "Developers merge their changes several times a day, and each merge is tested",
    "The release ships the training pipeline, which then deploys the forecast service",
    "Each week the production pipeline retrains the model on the latest data by itself",
)
TOOLS_BY_PHASE = (
    "A shared template for writing down each project's goals and requirements",
    "A feature store from which every team reuses the same features",
    "An experiment tracker that records each training run's settings",
    "Containers that package each model with its dependencies",
    "A CI/CD pipeline that tests and releases each new model version",
    "Microservices, so that each model can be scaled on its own",
)
SITUATIONS = (
    "An internal weekly report: an error costs little, and there is no spare hardware",
    "A triage model may affect no patient until tested on live inputs; cost is no issue",
    "A music app lets a few listeners try the new recommender first, more if it does well",
    "A bank keeps two identical production setups, switches all traffic, can switch back",
    "The fraud team wants the new model's outputs on real payments; no customer may see them",
    "A video site needs real viewers to use the new model, but few may suffer if it is worse",
)

SERVING_CASES = (
    "A video platform refreshes every user's film suggestions once a night",
    "A ride app quotes the price of a trip while the rider looks at the screen",
    "An insurer re-scores all of its policies for renewal at the end of each month",
    "A bank's chatbot detects the intent of each message as the customer sends it",
)
CD_TEAMS = (
    "Every model update that passes all checks is serving all users within the hour",
    "Each update is tested and ready to ship; a risk officer picks the day it goes live",
    "A news site's recommender is always releasable, and the editor presses the button",
    "The app's ranking model changes in production as soon as its pipeline run is green",
)
GOALS = (
    "Check that the new spam filter does not crash on real mail before all users get it",
    "Find out whether the new search ranking makes shoppers spend more per visit",
    "Catch a new pricing model that times out, while only a few customers use it",
    "Learn whether new product suggestions raise the share of visitors who buy",
)

# Lab functions that are honest but wrong in a plausible way.
STRICT_LIMIT = """def canary_decision(old_errors, canary_errors, min_requests, margin):
    limit = sum(old_errors) / len(old_errors) + margin
    if len(canary_errors) < min_requests:
        return "roll back" if sum(canary_errors) / min_requests >= limit else "wait"
    canary_rate = sum(canary_errors) / len(canary_errors)
    if canary_rate < limit:  # strictly below, unrounded: a tie at the limit is rolled back
        return "promote"
    return "roll back"
"""
NO_MINIMUM = """def canary_decision(old_errors, canary_errors, min_requests, margin):
    old_rate = sum(old_errors) / len(old_errors)
    canary_rate = sum(canary_errors) / len(canary_errors)
    return "promote" if canary_rate <= old_rate + margin else "roll back"  # never waits
"""
AGREEMENT = """def shadow_report(old_outputs, new_outputs):
    same = sum(1 for a, b in zip(old_outputs, new_outputs, strict=True) if a == b)
    return {"served": list(new_outputs), "disagreement": round(same / len(old_outputs), 4)}
"""
RUNNING_RIGHT = """def running_error_rate(canary_errors):
    rates, errors = [], 0
    for i, outcome in enumerate(canary_errors):
        errors += outcome
        rates.append(round(errors / (i + 1), 4))
    return rates
"""
OVERALL_RATE = """def running_error_rate(canary_errors):
    rate = round(sum(canary_errors) / len(canary_errors), 4)
    return [rate] * len(canary_errors)  # the final rate everywhere, not the running one
"""

PARTIAL = {
    # Lesson 1 right; lesson 2: 2.1 right, 2.2 part (b) wrong.
    "q1_1_answer": 'laptop_cause = "a"\ncontainer_effect = "c"\n',
    "q1_2_answer": as_dict(
        "tool_for", dict(zip(TOOLS, ["container", "kubernetes", "container", "kubernetes"], strict=True))
    ),
    "q2_1_answer": 'shop_fix = "d"\n',
    "q2_2_answer": as_dict(
        "term_for", dict(zip(TERMS, ["inference", "api", "monolith", "microservice"], strict=True))
    ),
    # Lesson 3: 3.1 confuses CD and CT in part (b); 3.2 and lesson 4 not started.
    "q3_1_answer": as_dict(
        "practice_for", dict(zip(PRACTICES, ["ci", "cd", "ct", "ci", "ct", "cd"], strict=True))
    ),
    # Lesson 2: 2.3 part (a) right, (b) swapped. Lesson 3: 3.3 right. Lesson 4: 4.3 (a) right,
    # (b) swaps the two kinds of goal.
    "q2_3_answer": as_dict(
        "serving_for", dict(zip(SERVING_CASES, ["batch", "online", "online", "batch"], strict=True))
    ),
    "q3_3_answer": as_dict(
        "cd_kind", dict(zip(CD_TEAMS, ["deployment", "delivery", "delivery", "deployment"], strict=True))
    ),
    "q4_3_answer": 'next_step = "b"\n'
    + as_dict("method_for", dict(zip(GOALS, ["a/b test", "canary", "a/b test", "canary"], strict=True))),
    # Lab: a tie at the limit rolls back (part (a) right, (b) wrong); 5.2 blank; 5.3 right.
    "q5_4_answer": STRICT_LIMIT,
    "q5_3_answer": RUNNING_RIGHT,
}

WRONG = {
    "q1_1_answer": 'laptop_cause = "b"\ncontainer_effect = "b"\n',
    "q1_2_answer": as_dict(
        "tool_for", dict(zip(TOOLS, ["kubernetes", "container", "kubernetes", "container"], strict=True))
    ),
    "q2_1_answer": 'shop_fix = "a"\n',
    "q2_2_answer": as_dict(
        "term_for", dict(zip(TERMS, ["api", "inference", "monolith", "microservice"], strict=True))
    ),
    "q3_1_answer": as_dict(
        "practice_for", dict(zip(PRACTICES, ["cd", "ct", "ci", "ct", "ci", "cd"], strict=True))
    ),
    "q3_2_answer": as_dict(
        "phase_for_tool",
        dict(
            zip(
                TOOLS_BY_PHASE,
                ["deployment", "design", "design", "development", "development", "design"],
                strict=True,
            )
        ),
    ),
    "q4_1_answer": as_dict(
        "strategy_for",
        dict(zip(SITUATIONS, ["shadow", "basic", "blue-green", "canary", "canary", "shadow"], strict=True)),
    ),
    "q4_2_answer": 'strategy_summary = "a"\n',
    "q2_3_answer": as_dict(
        "serving_for", dict(zip(SERVING_CASES, ["online", "batch", "online", "batch"], strict=True))
    ),
    "q3_3_answer": as_dict(
        "cd_kind", dict(zip(CD_TEAMS, ["delivery", "deployment", "deployment", "delivery"], strict=True))
    ),
    "q4_3_answer": 'next_step = "a"\n'
    + as_dict("method_for", dict(zip(GOALS, ["a/b test", "canary", "a/b test", "canary"], strict=True))),
    "q5_4_answer": NO_MINIMUM,
    "q5_2_answer": AGREEMENT,
    "q5_3_answer": OVERALL_RATE,
    "reflection": "Basic, because it costs nothing and carries no risk at all.",
}


def _decision(old_errors, canary_errors, min_requests, margin):
    """The rule, to memorise the public examples' answers (as if copied from a friend)."""
    limit = round(sum(old_errors) / len(old_errors) + margin, 9)
    if len(canary_errors) < min_requests:
        return "roll back" if round(sum(canary_errors) / min_requests, 9) > limit else "wait"
    return "promote" if round(sum(canary_errors) / len(canary_errors), 9) <= limit else "roll back"


_PUBLIC = labs.cases("canary_traffic", 12) + labs.cases("canary_edge_cases", 12)
_ANSWERS = [_decision(*case) for case in _PUBLIC]
MEMORISED = f"""_SEEN = {{}}
_PUBLIC = {[list(c) for c in _PUBLIC]!r}
_ANSWERS = {_ANSWERS!r}


def canary_decision(old_errors, canary_errors, min_requests, margin):
    key = id(old_errors)
    if key in _SEEN:  # the same input object again: answer from memory
        return _SEEN[key]
    args = [old_errors, canary_errors, min_requests, margin]
    answer = _ANSWERS[_PUBLIC.index(args)] if args in _PUBLIC else _ANSWERS[0]
    _SEEN[key] = answer
    return answer
"""
CACHED = """_FIRST = []


def running_error_rate(canary_errors):
    if not _FIRST:
        rates, errors = [], 0
        for i, outcome in enumerate(canary_errors):
            errors += outcome
            rates.append(round(errors / (i + 1), 4))
        _FIRST.append(rates)
    return _FIRST[0]  # the first result, whatever the input
"""

CHEATER = {
    "q1_1_answer": ALWAYS_EQUAL + 'laptop_cause = Anything("a")\ncontainer_effect = Anything("c")\n',
    "q1_2_answer": ALWAYS_EQUAL + "tool_for = AnyDict()\n",
    "q2_1_answer": ALWAYS_EQUAL + 'shop_fix = Anything("d")\n',
    "q2_2_answer": ALWAYS_EQUAL + "term_for = AnyDict()\n",
    "q3_1_answer": ALWAYS_EQUAL + "practice_for = AnyDict()\n",
    "q3_2_answer": ALWAYS_EQUAL + "phase_for_tool = AnyDict()\n",
    "q4_1_answer": ALWAYS_EQUAL + "strategy_for = AnyDict()\n",
    "q4_2_answer": ALWAYS_EQUAL + 'strategy_summary = Anything("d")\n',
    "q2_3_answer": ALWAYS_EQUAL + "serving_for = AnyDict()\n",
    "q3_3_answer": ALWAYS_EQUAL + "cd_kind = AnyDict()\n",
    "q4_3_answer": ALWAYS_EQUAL + 'next_step = Anything("b")\nmethod_for = AnyDict()\n',
    "q5_4_answer": MEMORISED,
    "q5_2_answer": ALWAYS_EQUAL + "def shadow_report(old_outputs, new_outputs):\n    return AnyDict()\n",
    "q5_3_answer": CACHED,
}

SAMPLES = {
    "sample-complete": {"*": SOLUTION, "reflection": REFLECTION},
    "sample-partial": PARTIAL,
    "sample-blank": {},
    "sample-wrong": WRONG,
    "sample-cheater": CHEATER,
}

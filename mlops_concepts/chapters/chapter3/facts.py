"""Chapter 3's facts: the data its diagrams are drawn from, and the styles of its boxes.

What a container holds, monolith and microservices, inference through an API, the CI, CD and CT
pipelines, the deployment strategies and the automation tools of each phase: :mod:`.serving`
and :mod:`.diagrams` make both the drawings and their words from this data, so they say the
same thing.
"""

from __future__ import annotations

from ..toolkit import (
    OKABE_ITO,
)

# Colour *and* hatch for each kind of box, so nothing depends on colour alone.
OLD = {"colour": OKABE_ITO["sky_blue"], "hatch": "..."}
NEW = {"colour": OKABE_ITO["orange"], "hatch": "///"}
NEUTRAL = {"colour": OKABE_ITO["green"], "hatch": "xxx"}
EXTRA = {"colour": OKABE_ITO["purple"], "hatch": "\\\\\\"}

# --------------------------------------------------------------------------------------------
# The facts
# --------------------------------------------------------------------------------------------

CONTAINER_BENEFITS = ("portable", "consistent", "fast to start", "easy to maintain")
CONTAINER_PLACES = ("Laptop", "Test server", "Production")

MONOLITH_PARTS = ("Web shop", "Payments", "Recommendation\nmodel")
MONOLITH_POINTS = ("One unit: hard to scale", "One failure can take\neverything down")
MICRO_POINTS = ("Independent services:\neach scales on its own", "A failure stays in\nits service")

API_REQUEST = '{"amount": 120,\n "country": "NL"}'
API_RESPONSE = '{"fraud": false}'

#: Lesson 2, serving: each way's steps from left to right, and what it costs and gives [H] [G].
SERVING = (
    (
        "Online",
        OLD,
        ("One request:\nnew input", "Prediction service\nbehind an API", "One prediction,\nright away"),
        "Low latency \u00b7 needs a live service",
    ),
    (
        "Batch",
        NEW,
        (
            "Schedule, e.g.\nevery night",
            "Model scores\nmany inputs",
            "Stored\npredictions",
            "Read later by\napplications",
        ),
        "Cheap \u00b7 only as fresh as the last run",
    ),
)
MIDDOT = " \u00b7"
SERVING_VARIANTS = "Also: streaming (on events as they arrive) and edge (on the user's device)."

#: The three pipelines of lesson 3: (name, long name, steps; line breaks are where it wraps).
PIPELINES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "CI",
        "Continuous integration",
        (
            "Change to code\nor data",
            "Integrate and\ntest the code",
            "Test and validate\ndata and schemas",
            "Validate\nthe model",
        ),
    ),
    (
        "CD",
        "Continuous delivery /\ndeployment",
        (
            "Validated code,\nkept releasable",
            "Go live: by hand\n(delivery) or auto-\nmatically (deploy.)",
            "Ship the\ntraining pipeline",
            "Pipeline deploys the\nprediction service",
        ),
    ),
    (
        "CT",
        "Continuous training\n(unique to ML)",
        (
            "Trigger, e.g.\nnew data",
            "Train the model\nagain, automatically",
            "Validate the\nnew model",
            "Prediction service\ngets the new model",
        ),
    ),
)

#: Lesson 3, automation and scaling: the tools that automate each phase of the lifecycle.
AUTOMATION = {
    "design": ("Templates",),
    "development": ("Feature stores", "Experiment tracking"),
    "deployment": ("Containers", "CI/CD", "Microservices"),
}


#: Lesson 4: each strategy, what its traffic does, its risk and its resources.
STRATEGIES: tuple[dict, ...] = (
    {
        "name": "Basic",
        "flows": (None, None),
        "served": "new model only",
        "risk": "high risk",
        "cost": "low resources",
        "words": (
            "the new model replaces the old one: every request goes to the new model, whose "
            "output users get, and the old model is gone"
        ),
    },
    {
        "name": "Shadow",
        "flows": ("every request", "a copy of every request"),
        "served": "old model's output only",
        "risk": "no risk to predictions",
        "cost": "double resources",
        "words": (
            "every request goes to both models, but only the old model's output is served; "
            "the new model's output is recorded for comparison and never reaches users"
        ),
    },
    {
        "name": "Canary",
        "flows": ("most traffic", "small share, grows"),
        "served": "both, by share of traffic",
        "risk": "small risk",
        "cost": "harder to implement",
        "words": (
            "most requests go to the old model and a small share to the new one; the share "
            "grows as long as the new model's metrics hold"
        ),
    },
    {
        "name": "Blue-green",
        "flows": (None, "all traffic, switched"),
        "served": "one environment at a time",
        "risk": "roll back by switching back",
        "cost": "two environments",
        "words": (
            "two identical production environments, blue with the old model and green with "
            "the new one; all traffic is switched to green at once, and switching back to "
            "blue, the dotted arrow, rolls back"
        ),
    },
)

#: The lab's promotion rule: its three questions, in the order they are asked, and its outcomes.
RULE_QUESTIONS = {
    "minimum": "Has the canary served at least\nthe minimum number of requests?",
    "abort": "Would it be above the limit at\nthe minimum, even if no further\nrequest were an error?",
    "limit": "Is its error rate at most the\nlimit (old rate + margin)?",
}
RULE_OUTCOMES = {
    "abort": ("Roll back now", "early abort: it can no\nlonger meet the limit"),
    "wait": ("Wait", "keep the canary share and\ncollect more requests"),
    "promote": ("Promote", "give the new model\nmore traffic"),
    "roll back": ("Roll back", "send all traffic back\nto the old model"),
}

RECAP_COLUMNS = (
    (
        "Package",
        NEUTRAL,
        (
            "Environments differ:\nlibrary versions",
            "Containers (Docker):\ncode + dependencies",
            "Kubernetes orchestrates\nand scales containers",
        ),
    ),
    (
        "Serve",
        OLD,
        (
            "Online (often a micro-\nservice) or batch",
            "API: agreed contract\nfor input and output",
            "Inference: new input in,\nprediction out",
        ),
    ),
    (
        "Release",
        NEW,
        (
            "CI, CD (delivery or\ndeployment), and CT",
            "Strategies: basic,\nshadow, canary",
            "Canary: is it safe?\nA/B test: is it better?",
        ),
    ),
)


def one_line(s: str) -> str:
    return s.replace("\n", " ")


def in_a_sentence(s: str) -> str:
    s = one_line(s)
    return s if s[:2].isupper() else s[0].lower() + s[1:]

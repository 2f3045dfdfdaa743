"""Chapter 2's facts: the data its diagrams are drawn from.

Requirements, metrics, data quality dimensions, the steps of ETL and of the experiment process,
what a feature store does, the lab's selection rules: :mod:`.diagrams` makes both the drawings
and their words from this data, so they say the same thing.
"""

from __future__ import annotations

# --------------------------------------------------------------------------------------------
# The facts
# --------------------------------------------------------------------------------------------

#: The three parts of MLOps design (title, bullet lines; line breaks are where the drawing wraps).
DESIGN_PARTS: tuple[tuple[str, list[str]], ...] = (
    (
        "Added value",
        [
            "ML is experimental and\nuncertain",
            "So estimate the value\nup front",
            "It guides resources,\npriorities and expectations",
        ],
    ),
    (
        "Business requirements",
        [
            "End users: speed, accuracy,\ntransparency",
            "Compliance and regulation",
            "Budget and team size",
        ],
    ),
    (
        "Key metrics, by role",
        [
            "Data scientist:\nmodel accuracy",
            "Subject matter expert: impact\non the business, e.g.\ncustomer happiness",
            "Business stakeholder:\nmonetary value",
        ],
    ),
)

DESIGN_NOTE = "Keep asking whether the project still adds value, throughout the lifecycle."

#: The four dimensions of data quality, each with its example question.
QUALITY_DIMENSIONS: tuple[tuple[str, str], ...] = (
    ("Accuracy", "Is the customer really 18,\nor 32?"),
    ("Completeness", "Are last names missing?"),
    ("Consistency", "Is \u201cactive customer\u201d defined\nthe same in every department?"),
    ("Timeliness", "Are orders synced daily\nrather than in real time?"),
)
QUALITY_DEFINITION = "Data quality: how well data serves its intended purpose"

#: Ingestion with ETL: the three steps, each with its plain meaning; then the other two ways.
ETL_STEPS: tuple[tuple[str, str], ...] = (
    ("Extract", "take the data out\nof its sources"),
    ("Transform", "clean and reshape it\ninto the form needed"),
    ("Load", "write it into the\nstorage used for ML"),
)
INGESTION_OTHERS = (
    "Also common: ELT loads the raw data first and transforms it inside the warehouse;",
    "streaming ingestion processes each event as it arrives, not in scheduled batches.",
)

#: What feature engineering does, and what a feature store offers.
FEATURE_ENGINEERING = ("Feature engineering", ["Select", "Manipulate", "Transform"])
FEATURE_STORE = ("Feature store", ["Define", "Store", "Discover", "Reuse"])
FEATURE_USES = (
    ("Batch requests", "e.g. training data for\nthe next model"),
    ("Real-time requests", "e.g. features for a live\nprediction, right now"),
)
SKEW_NOTE = "The same feature definitions feed both sides: this avoids training\u2013serving skew."

#: What one tracked experiment records, and why.
TRACKED = [
    "Model and other artefacts",
    "Metrics, e.g. holdout scores",
    "Hyperparameters",
    "Data version",
    "Code version (scripts)",
    "Environment configuration",
    "Random seed",
]
TRACKING_WHY = ["Compare", "Reproduce", "Collaborate", "Report"]
TRACKING_TOOLS = ["Spreadsheet", "Own platform", "MLflow, ClearML,\nWeights & Biases"]

#: The experiment process, in order.
EXPERIMENT_STEPS: tuple[str, ...] = (
    "Formulate a\nhypothesis",
    "Collect data\nand labels",
    "Define the\nexperiments",
    "Set up\nexperiment tracking",
    "Train the\nmodels",
    "Test on a\nholdout set",
    "Register the\nbest model",
    "Report and\nvisualise",
)

#: The lab's selection rules, from all runs down to the one to register.
SELECTION_RULES: tuple[tuple[str, str], ...] = (
    ("All tracked runs in the log", "the run log"),
    ("1. Trained on the current data version", "drop runs on older data"),
    ("2. Latency at most the limit", "drop runs that are too slow"),
    ("3. Highest PR-AUC (not accuracy)", "keep the best at finding fraud"),
    ("4. Tie? Lower latency, then first in the log", "exactly one run is left"),
)
SELECTION_RESULT = "Register that run; if no run is left, register none"
LAB_NOTE = "The rules of this chapter\u2019s lab, not a general standard."

#: What continuous integration (CI) tests in an ML system, and the two checks the automated
#: pipeline itself runs, after Google Cloud's MLOps article. Each item names where it runs in
#: words, so that the difference does not rest on colour.
ML_TESTS: tuple[tuple[str, list[str]], ...] = (
    ("Data", ["Pipeline check:\nthe data and its\nschema are validated\nbefore training"]),
    ("Features", ["CI test: unit tests\nfor the feature\nengineering code"]),
    (
        "Model",
        [
            "CI test: training\nconverges (the loss\ngoes down)",
            "CI test: training\ngives no NaN values",
            "Pipeline check:\nvalidated against a\nbaseline before\ndeployment",
        ],
    ),
    (
        "Pipeline",
        [
            "CI test: each\ncomponent makes its\nexpected artefacts",
            "CI test: components\nwork together\n(integration)",
        ],
    ),
)
ML_TEST_SCORE = (
    "The ML Test Score (Breck et al., 2017): 28 tests and monitoring checks in four groups,",
    "features and data, model development, infrastructure and monitoring, to score readiness.",
)

#: The recap: the chapter's three steps, from the problem to the model to register.
RECAP_COLUMNS: tuple[tuple[str, list[str]], ...] = (
    (
        "Plan the solution",
        [
            "Estimate the added value\nup front",
            "Business requirements: end\nusers, compliance, budget\nand team size",
            "Key metrics differ by role",
        ],
    ),
    (
        "Prepare the data",
        [
            "Data quality: accuracy,\ncompleteness, consistency,\ntimeliness",
            "Ingestion: ETL, ELT\nor streaming",
            "Features: select or extract;\na feature store for batch\nand real-time requests",
        ],
    ),
    (
        "Develop and test",
        [
            "Track metrics, parameters,\ndata and code versions,\nenvironment and seed",
            "Follow the experiment process;\nregister the best model",
            "Test data, features, model\nand pipeline before release",
        ],
    ),
)

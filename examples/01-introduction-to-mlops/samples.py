"""The sample class of chapter 1: what each sample student wrote, by answer cell.

``python tests/support/build_samples.py`` writes each sample as the released notebook with these
answer cells filled in (``submitted/<student>/<chapter>/<chapter>.ipynb``); ``expected.json`` holds
the points each must earn, by graded cell. ``make demo`` grades them, and the tests check the grades.
``SOLUTION`` stands for the instructor's own answer to that cell.
"""

from mlops_concepts.authoring.samples import ALWAYS_EQUAL, SOLUTION

REFLECTION = (
    "In a startup the same person often covers several roles: the ML engineer also collects and "
    "cleans the data, and the founder is both the business stakeholder and the subject matter "
    "expert. In a large enterprise a data engineer team owns data quality and data scientists "
    "focus on training and evaluating models, so hand-overs between roles need more care."
)


def as_dict(name: str, mapping: dict) -> str:
    """Source of an answer cell that assigns ``mapping`` to ``name``, one entry a line."""
    return f"{name} = {{\n" + "".join(f"    {k!r}: {v!r},\n" for k, v in mapping.items()) + "}\n"


# Answer cells are named by grade id; exercises as students see them: 2.2 = q2_4, 2.4 = q2_5,
# 3.1 = q3_2, 3.2 = q3_4, 3.3 = q3_5 (a new question gets a new id, never a reused one).
PARTIAL = {
    # Lesson 1: all right except exercise 1.1 (c) and one scenario of exercise 1.2 (part b).
    "q1_1_answer": 'mlops_definition = "d"\nmlops_origin = "b"\nmlops_in_production = "c"\n',
    "q1_2_answer": (
        "benefit_of = {\n"
        '    "A dashboard warns the team when a live model\'s accuracy drops": "monitoring",\n'
        '    "Data scientists and operations engineers plan a new model together": "collaboration",\n'
        '    "Each week, the team reviews how well the live model\'s predictions hold up": "automation",\n'
        '    "A new model version goes live through an automated process, not by hand": "automation",\n'
        "}\n"
    ),
    # Lesson 2: exercise 2.1 left blank; 2.2 right (copied from the solution in samples());
    # 2.3 forgets that the cycle wraps around; 2.4 gets part (a) right and part (b) wrong.
    "q2_3_answer": (
        "def next_phase(phase: str) -> str:\n"
        '    phases = ["design", "development", "deployment"]\n'
        "    return phases[phases.index(phase) + 1]\n"
    ),
    "q2_5_answer": as_dict(
        "next_step",
        {
            "Forecasts slowly get worse as riding habits change; the goal is the same": "retrain",
            "The city asks for forecasts for its new e-scooters, which the model does not cover": "redesign",
            "Accuracy drops below the agreed threshold; the problem and metrics still hold": "redesign",
            "The company decides that success now means less van mileage, not fewer empty stations": "redesign",
        },
    ),
    # Lesson 3 and the reflection: not started.
}

WRONG = {
    "q1_1_answer": 'mlops_definition = "a"\nmlops_origin = "c"\nmlops_in_production = "a"\n',
    "q1_2_answer": (
        "benefit_of = {\n"
        '    "A dashboard warns the team when a live model\'s accuracy drops": "automation",\n'
        '    "Data scientists and operations engineers plan a new model together": "monitoring",\n'
        '    "Each week, the team reviews how well the live model\'s predictions hold up": "collaboration",\n'
        '    "A new model version goes live through an automated process, not by hand": "monitoring",\n'
        "}\n"
    ),
    "q2_1_answer": 'lifecycle_reason = "b"\n',
    "q2_4_answer": as_dict(
        "phase_of_event",
        {
            "The operations manager explains that empty stations at rush hour lose customers": "deployment",
            "A tree-based model and a linear model are compared on last year's rides": "design",
            "The team agrees that success means fewer empty stations at 8 a.m.": "development",
            "The forecasts are fed into the app that plans the refill vans' routes": "development",
            "Weather data is added to the training data to see if the forecasts improve": "deployment",
            "A weekly chart compares forecast and actual rentals at each station": "design",
        },
    ),
    "q2_3_answer": (
        "def next_phase(phase: str) -> str:\n"
        '    phases = ["design", "development", "deployment"]\n'
        "    return phases[phases.index(phase) - 1]  # the phase BEFORE, not after\n"
    ),
    "q2_5_answer": as_dict(
        "next_step",
        {
            "Forecasts slowly get worse as riding habits change; the goal is the same": "redesign",
            "The city asks for forecasts for its new e-scooters, which the model does not cover": "retrain",
            "Accuracy drops below the agreed threshold; the problem and metrics still hold": "redesign",
            "The company decides that success now means less van mileage, not fewer empty stations": "retrain",
        },
    ),
    "q3_2_answer": (
        "role_for = {\n"
        '    "Train and evaluate the model": "data engineer",\n'
        '    "Make sure the project fits the vision of the company": "ml engineer",\n'
        '    "Check and maintain data quality": "data scientist",\n'
        '    "Bring domain knowledge to the project": "business stakeholder",\n'
        '    "Fill the versatile role designed for the complete ML lifecycle": "subject matter expert",\n'
        '    "Do the data analysis": "business stakeholder",\n'
        '    "Decide how much money the project gets": "data engineer",\n'
        '    "Use domain knowledge to interpret and validate the data": "ml engineer",\n'
        '    "Collect, store and process data": "data scientist",\n'
        "}\n"
    ),
    "q3_4_answer": as_dict(
        "ask_role",
        {
            "Is a March peak in cough-syrup sales normal? Nobody on the team knows": "data scientist",
            "The nightly job that copies till records into the data warehouse keeps failing": "ml engineer",
            "Cloud costs will be twice the plan, and someone must decide whether to pay": "data engineer",
            "Two candidate models must be trained and compared on held-out data": "subject matter expert",
            "The chosen model must go into production, and be watched and retrained later": "business stakeholder",
            "Does the project still fit where the company wants to be in five years?": "ml engineer",
        },
    ),
    "q3_5_answer": 'startup_roles = "a"\n',
    "reflection": "Roles are the same everywhere.",
}

CHEATER = {
    "q1_1_answer": ALWAYS_EQUAL
    + 'mlops_definition = Anything("d")\nmlops_origin = Anything("b")\nmlops_in_production = Anything("b")\n',
    "q1_2_answer": ALWAYS_EQUAL + "benefit_of = AnyDict()\n",
    "q2_1_answer": ALWAYS_EQUAL + 'lifecycle_reason = Anything("a")\n',
    "q2_4_answer": ALWAYS_EQUAL + "phase_of_event = AnyDict()\n",
    "q2_3_answer": ALWAYS_EQUAL + "def next_phase(phase):\n    return Anything(phase)\n",
    "q2_5_answer": ALWAYS_EQUAL + "next_step = AnyDict()\n",
    "q3_2_answer": ALWAYS_EQUAL + "role_for = AnyDict()\n",
    "q3_4_answer": ALWAYS_EQUAL + "ask_role = AnyDict()\n",
    "q3_5_answer": ALWAYS_EQUAL + 'startup_roles = Anything("c")\n',
}

SAMPLES = {
    "sample-complete": {"*": SOLUTION, "reflection": REFLECTION},
    "sample-partial": {**PARTIAL, "q2_4_answer": SOLUTION},
    "sample-blank": {},
    "sample-wrong": WRONG,
    "sample-cheater": CHEATER,
}

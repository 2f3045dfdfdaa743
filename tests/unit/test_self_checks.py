"""What students read: self-check messages, graded verdicts and feedback, never an id or a key.

Self-checks name the exercise ("Exercise 1.2 (b)") and say which kind of "not yet" it is: not
answered yet, not an allowed value, a missing or changed key / a list too short, or wrong. The
release adds each check call's title and allowed values and computes the checkpoint count; the
grader's verdicts say "correct" / "not correct" plus the form expected; feedback hides the calls.
"""

from __future__ import annotations

import contextlib
import io
import json

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from mlops_concepts.answers import digest, salt_for
from mlops_concepts.assignment_plugins.seal import SealAnswerKeys, seal_cell
from mlops_concepts.checks import answer_form, check, report_bundle
from mlops_concepts.contract.exercises import exercise_titles, listed_choices
from mlops_concepts.nbgrader_plugins.feedback import HideCheckCalls
from mlops_concepts.nbgrader_plugins.verdicts import GradeFromReports, judge

SCENARIOS = [
    "A dashboard warns the team when a live model's accuracy drops",
    "Data scientists and operations engineers plan a new model together",
]
KEY = {SCENARIOS[0]: "monitoring", SCENARIOS[1]: "collaboration"}
BENEFITS = ["collaboration", "automation", "monitoring"]
TITLE = "Exercise 1.2 (b)"


def said(answer, key=KEY, items=SCENARIOS, choices=BENEFITS) -> str:
    sealed = digest(answer_form(key, items), salt_for("nb", "q1_2b"))
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check("q1_2b", answer, key=sealed, items=items, title=TITLE, choices=choices)
    text = out.getvalue()
    assert text.count("\n") == 1 and "q1_2b" not in text and "sha256" not in text, text
    return text


def test_a_right_answer_succeeds_naming_the_exercise():
    assert said(dict(KEY)) == f"Success! {TITLE} is right.\n"


def test_a_typographic_apostrophe_matches_a_key_with_a_plain_one():
    curly = {SCENARIOS[0].replace("'", "\u2019"): "monitoring", SCENARIOS[1]: "collaboration"}
    assert said(curly).startswith("Success!")
    assert answer_form("model\u2019s") == answer_form("model's") == answer_form("Model\u2018s ")


def test_a_value_not_allowed_is_named_and_the_key_is_not():
    text = said({SCENARIOS[0]: "Monitor", SCENARIOS[1]: "collaboration"})
    assert text.startswith(
        f'Not yet. {TITLE}: the value for "{SCENARIOS[0]}" is "Monitor", '
        "which is not one of the allowed values"
    ), text
    whole = said("e", key="c", items=None, choices=["a", "b", "c", "d"])
    assert '"e" is not one of the allowed values ("a", "b", "c", "d")' in whole


def test_a_missing_or_changed_key_is_named():
    assert 'your dict has no key "Data scientists' in said({SCENARIOS[0]: "monitoring"})
    typo = said(
        {
            SCENARIOS[0]: "monitoring",
            "Data scientist and operations engineers plan a new model together": "collaboration",
        }
    )
    assert 'but it has "Data scientist and' in typo and "copy each key exactly" in typo


def test_a_list_too_short_is_said():
    text = said(
        ["development"],
        key=["development", "deployment"],
        items=[0, 1],
        choices=["design", "development", "deployment"],
    )
    assert "your list has 1 value" in text and "value number 2" in text


def test_a_template_placeholder_is_not_answered_yet():
    text = said({SCENARIOS[0]: "<benefit>", SCENARIOS[1]: "collaboration"})
    assert 'not answered yet: replace "<benefit>"' in text


def test_a_wrong_but_allowed_answer_is_just_wrong():
    text = said({SCENARIOS[0]: "automation", SCENARIOS[1]: "collaboration"})
    assert text == f"Not yet. {TITLE}: not right yet. Re-read the lesson and try again.\n"


def test_not_answered_yet_is_one_line_in_a_real_kernel_and_still_an_error():
    """The test cell raises NameError while the answer cell raises NotImplementedError."""
    from nbclient import NotebookClient

    nb = new_notebook(
        cells=[
            new_code_cell("from mlops_concepts import check"),
            new_code_cell("# YOUR ANSWER HERE\nraise NotImplementedError()"),
            new_code_cell(f'check("q1_2b", benefit_of, key="sha256$a$b", title="{TITLE}")'),
            new_code_cell("print(some_other_name)"),
        ]
    )
    NotebookClient(nb, allow_errors=True, timeout=60).execute()
    outputs = nb.cells[2].outputs
    assert [o.output_type for o in outputs] == ["error"], outputs  # Validate still sees it
    assert outputs[0].ename == "NameError" and outputs[0].traceback == [
        f"Not yet. {TITLE}: not answered yet (`benefit_of` is not defined). Write your answer in "
        "the cell above, run it, then run this check again."
    ]
    other = nb.cells[3].outputs
    assert len(other) == 1 and len(other[0].traceback) > 1, "other cells keep their traceback"
    assert not any(o.get("name") == "stderr" for c in nb.cells for o in c.outputs)


def _run_all(*sources):
    """Run cells like JupyterLab's Run All: nbclient stops at the first error *reply*."""
    from nbclient import NotebookClient

    nb = new_notebook(cells=[new_code_cell("from mlops_concepts import check"), *map(new_code_cell, sources)])
    NotebookClient(nb, allow_errors=False, timeout=60).execute()
    return nb


def _one_error_line(cell) -> str:
    assert [(o.output_type, o.ename) for o in cell.outputs] == [("error", "NotYet")], cell.outputs
    (line,) = cell.outputs[0].traceback
    return line


def test_not_yet_is_an_error_output_that_does_not_stop_run_all():
    """Validate scores an error output 0; the reply stays ok, so the next cells still run."""
    key = digest(answer_form("c"), salt_for("nb", "q1_1a"))
    nb = _run_all(
        'answer = "<letter>"',
        f'check("q1_1a", answer, key="{key}", title="Exercise 1.1 (a)", choices=["a", "b", "c", "d"])',
        'answer = "e"',
        f'check("q1_1a", answer, key="{key}", title="Exercise 1.1 (a)", choices=["a", "b", "c", "d"])',
        'answer = "c"',
        f'check("q1_1a", answer, key="{key}", title="Exercise 1.1 (a)")',
        "print('the end')",
    )
    assert 'not answered yet: replace "<letter>"' in _one_error_line(nb.cells[2])
    assert '"e" is not one of the allowed values' in _one_error_line(nb.cells[4])
    assert [o.text for o in nb.cells[6].outputs] == ["Success! Exercise 1.1 (a) is right.\n"]
    assert nb.cells[7].outputs[0].text == "the end\n"


def test_an_answer_expression_calling_a_stub_does_not_stop_run_all():
    """check("q2_3a", [next_phase(p) for p in ...]) with next_phase still a stub: one line."""
    key = digest(answer_form(["development", "deployment"]), salt_for("nb", "q2_3a"))
    call = (
        'check("q2_3a", [next_phase(p) for p in ["design", "development"]], '
        f'key="{key}", title="Exercise 2.3 (a)")'
    )
    nb = _run_all(
        "def next_phase(phase):\n    # YOUR ANSWER HERE\n    raise NotImplementedError()",
        call,
        "def next_phase(phase):\n    return 1 / 0",
        call,
        'def next_phase(phase):\n    return {"design": "development"}.get(phase, "deployment")',
        call,
        f'check("q2_3b", undefined_function("deployment"), key="{key}", title="Exercise 2.3 (b)")',
    )
    assert _one_error_line(nb.cells[2]) == (
        "Not yet. Exercise 2.3 (a): not answered yet (a function it calls still raises "
        "NotImplementedError). Write your function in the cell above in place of "
        "`raise NotImplementedError()`, run it, then run this check again."
    )
    assert _one_error_line(nb.cells[4]) == (
        "Not yet. Exercise 2.3 (a): computing the answer raised ZeroDivisionError: division by zero"
    )
    assert [o.text for o in nb.cells[6].outputs] == ["Success! Exercise 2.3 (a) is right.\n"]
    assert "not answered yet (`undefined_function` is not defined)" in _one_error_line(nb.cells[7])


def test_only_a_check_cell_s_answer_expression_is_deferred():
    """A plain name is passed as it is; other cells, and other calls, are left alone."""
    import ast

    from mlops_concepts.checks import DeferCheckAnswers

    def deferred(source):
        return "Deferred" in ast.unparse(DeferCheckAnswers().visit(ast.parse(source)))

    assert deferred('check("q", f(1))') and deferred('check("q", [f(p) for p in "ab"], key="k")')
    assert not deferred('check("q", answer, key="k")')
    assert not deferred('x = 1\ncheck("q", f(1))')
    assert not deferred("print(f(1))") and not deferred("check(q, f(1))")


def _exercise_notebook(progress="show_progress()"):
    meta = {"grade": True, "solution": False, "locked": True, "points": 1, "schema_version": 3}
    items = ", ".join(f'"{s}"' for s in SCENARIOS)
    return new_notebook(
        cells=[
            new_markdown_cell(
                "### Exercise 1.2 — Why MLOps? (2 points)\n\nMap each scenario to one of "
                '`"collaboration"`, `"automation"` or `"monitoring"`:\n\n'
                + "\n".join(f'- `"{s}"`' for s in SCENARIOS)
            ),
            new_code_cell(
                f'check(\n    "q1_2a",\n    benefit_of,\n    key={{"{SCENARIOS[0]}": "monitoring"}},'
                f'\n    items=["{SCENARIOS[0]}"],\n)',
                metadata={"nbgrader": {**meta, "grade_id": "q1_2a"}},
            ),
            new_code_cell(
                f'check("q1_2b", benefit_of, key={KEY!r}, items=[{items}])',
                metadata={"nbgrader": {**meta, "grade_id": "q1_2b"}},
            ),
            new_markdown_cell('### Exercise 2.1 — Why a lifecycle? (1 point)\n\nOne letter, `"a"` or `"b"`.'),
            new_code_cell(
                'check("q2_1a", reason, key="b")', metadata={"nbgrader": {**meta, "grade_id": "q2_1a"}}
            ),
            new_code_cell(
                'MultipleChoice(id="cp", question="?", options={"x": "y", "z": "w"}, answer="x", '
                'hint="h", explanation="e")'
            ),
            new_code_cell(progress),
        ]
    )


def test_release_adds_titles_allowed_values_and_the_checkpoint_count():
    nb = _exercise_notebook()
    assert exercise_titles(nb) == {"q1_2a": "Exercise 1.2 (a)", "q1_2b": TITLE, "q2_1a": "Exercise 2.1"}
    assert listed_choices(nb) == {"q1_2a": BENEFITS, "q1_2b": BENEFITS, "q2_1a": ["a", "b"]}
    released, resources = SealAnswerKeys().preprocess(nb, {"nbgrader": {"notebook": "nb"}})
    assert [c.source for c in released.cells if "check(" in c.source] == [
        'check("q1_2a", benefit_of)',
        'check("q1_2b", benefit_of)',
        'check("q2_1a", reason)',
    ]
    side = json.loads(resources["outputs"][".nb.checks.json"])
    assert side["format"] == 1 and side["mode"] == "practice"
    specs = side["checks"]
    assert [(specs[g]["title"], specs[g]["choices"]) for g in ("q1_2a", "q1_2b", "q2_1a")] == [
        ("Exercise 1.2 (a)", BENEFITS),
        (TITLE, BENEFITS),
        ("Exercise 2.1", ["a", "b"]),
    ]
    assert specs["q1_2b"]["items"] == SCENARIOS and specs["q1_2b"]["key"].startswith("sha256$")
    assert released.cells[-1].source == "show_progress(expected=1)"
    typed = SealAnswerKeys().preprocess(
        _exercise_notebook("show_progress(expected=9)"), {"nbgrader": {"notebook": "nb"}}
    )[0]
    assert typed.cells[-1].source == "show_progress(expected=1)", "a typed count is recomputed"


def test_an_authors_own_title_and_choices_are_kept():
    cell = _exercise_notebook().cells[4]
    cell.source = 'check("q2_1a", reason, key="b", title="Warm-up", choices=["b", "a"])'
    sealed = seal_cell(cell, "nb", "Exercise 2.1", ["a", "b"])
    assert 'title="Warm-up", choices=["b", "a"])' in sealed and "Exercise 2.1" not in sealed


def test_a_short_released_check_reads_its_data_from_the_sidecar_in_a_real_kernel(tmp_path):
    """The released cell is check(gid, answer); the sidecar beside the notebook (the kernel's
    cwd) gives the key, items, title and choices. Without it: one line that says so."""
    from nbclient import NotebookClient

    nb = _exercise_notebook()
    _, resources = SealAnswerKeys().preprocess(nb, {"nbgrader": {"notebook": "nb"}})
    (tmp_path / ".nb.checks.json").write_bytes(resources["outputs"][".nb.checks.json"])
    wrong = {SCENARIOS[0]: "automation", SCENARIOS[1]: "collaboration"}
    run = new_notebook(
        cells=[
            new_code_cell("from mlops_concepts import check"),
            new_code_cell(f"benefit_of = {KEY!r}"),
            new_code_cell('check("q1_2b", benefit_of)'),
            new_code_cell(f"benefit_of = {wrong!r}"),
            new_code_cell('check("q1_2b", benefit_of)'),
            new_code_cell('benefit_of = {k: "speed" for k in benefit_of}'),
            new_code_cell('check("q1_2b", benefit_of)'),
            new_code_cell('check("q1_2b", not_yet_defined)'),
        ]
    )
    # allow_errors: the last cell's NameError is a real error (the one-line hint, titled from
    # the sidecar); that the others do not stop Run All is proved above.
    resources = {"metadata": {"path": str(tmp_path)}}
    NotebookClient(run, allow_errors=True, timeout=60, resources=resources).execute()
    assert run.cells[2].outputs[0].text == f"Success! {TITLE} is right.\n"
    lines = [_one_error_line(run.cells[i]) for i in (4, 6)]
    assert lines[0] == f"Not yet. {TITLE}: not right yet. Re-read the lesson and try again."
    assert '"speed", which is not one of the allowed values ("collaboration"' in lines[1]
    assert run.cells[7].outputs[0].traceback[0].startswith(f"Not yet. {TITLE}: not answered yet")

    (tmp_path / ".nb.checks.json").unlink()
    alone = _run_all(f"benefit_of = {KEY!r}", 'check("q1_2b", benefit_of)')
    assert "cannot find its data" in _one_error_line(alone.cells[2])


def _graded(answer_outputs, test_outputs):
    nb = _exercise_notebook()
    SealAnswerKeys().preprocess(nb, {"nbgrader": {"notebook": "nb"}})
    answer = new_code_cell(
        "# benefit_of = {...}\n# YOUR ANSWER HERE\nraise NotImplementedError()",
        metadata={
            "nbgrader": {
                "solution": True,
                "grade": False,
                "locked": False,
                "grade_id": "q1_2_answer",
                "schema_version": 3,
            }
        },
    )
    answer.outputs = answer_outputs
    nb.cells.insert(1, answer)
    nb.cells[3].outputs = test_outputs  # q1_2b
    return nb


def test_verdicts_name_the_exercise_and_the_form_expected_never_the_key(tmp_path):
    source = _exercise_notebook()
    path = tmp_path / "source.ipynb"
    nbformat.write(source, path)
    grader = GradeFromReports(source_notebook=str(path))
    report = {SCENARIOS[0]: "automation", SCENARIOS[1]: "collaboration"}
    wrong = _graded([], [new_output("display_data", data=report_bundle("q1_2b", report, SCENARIOS))])
    out = grader.preprocess(wrong, {})[0].cells[3].outputs
    assert out[0].traceback == [
        f"{TITLE}: not correct. Expected: a dict mapping each of the listed "
        "texts to one of the values the question lists."
    ]
    right = _graded([], [new_output("display_data", data=report_bundle("q1_2b", KEY, SCENARIOS))])
    assert grader.preprocess(right, {})[0].cells[3].outputs[0].text == f"{TITLE}: correct.\n"
    stub = new_output("error", ename="NotImplementedError", evalue="", traceback=["..."])
    name_error = new_output(
        "error", ename="NameError", evalue="name 'benefit_of' is not defined", traceback=["..."]
    )
    blank = grader.preprocess(_graded([stub], [name_error, name_error]), {})[0].cells[3].outputs
    assert blank[0].ename == "CheckDidNotRun" and blank[0].traceback[0].startswith(
        f"{TITLE}: not answered (the answer cell still raises NotImplementedError)."
    )
    for text in (out[0].traceback[0], blank[0].traceback[0]):
        assert "q1_2b" not in text and "retry" not in text and "sha256" not in text
        assert "monitoring" not in text


@pytest.mark.parametrize(
    "outputs, says",
    [
        ([], "no answer was recorded"),
        (
            [new_output("error", ename="IndexError", evalue="list index out of range", traceback=[])],
            "the self-check could not run: it stopped with IndexError: list index out of range",
        ),
    ],
)
def test_other_verdicts_are_in_words(outputs, says):
    output, given = judge("q1_2b", outputs, "{}", title=TITLE, form="a str")
    assert given is None and output.traceback == [f"{TITLE}: {says}. Expected: a str."]


def test_feedback_shows_a_self_check_as_one_comment_line():
    nb = _exercise_notebook()
    SealAnswerKeys().preprocess(nb, {"nbgrader": {"notebook": "nb"}})
    shown, _ = HideCheckCalls().preprocess(nb, {})
    assert [c.source for c in shown.cells if c.metadata.get("nbgrader", {}).get("grade")] == [
        "# Self-check for Exercise 1.2 (a)",
        f"# Self-check for {TITLE}",
        "# Self-check for Exercise 2.1",
    ]

"""Lab exercises: a student's function, graded on hidden inputs with keys decided outside the kernel.

The path of a lab check, unit by unit (the whole path through real nbgrader, the sandbox and the
chapters' sample classes, cheaters included, is in ``test_pipeline`` and ``test_cheats``):
reading and refusing test cells, sealing at release (the hidden seed goes, one digest per public
example comes), the student's self-check, the grader's report request, and the verdict. The
cheats a function can try earn nothing: an always-equal result, recognising inputs by ``id()``,
counting calls, caching a result between calls.
"""

from __future__ import annotations

import contextlib
import io
import json
import re

import numpy as np
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from mlops_concepts import labs
from mlops_concepts.assignment_plugins.seal import seal_cell
from mlops_concepts.checks import REPORT_MIME, check
from mlops_concepts.contract import labs as grading_labs
from mlops_concepts.contract.calls import AuthoringError
from mlops_concepts.contract.exercises import read_check, report_code
from mlops_concepts.function_checks import report_payload, result_form
from mlops_concepts.nbgrader_plugins.verdicts import answer_keys, judge


def _pairs(rng):
    """Test data: two short lists of numbers."""
    return (rng.integers(0, 20, 4).tolist(), rng.integers(0, 20, 3).tolist())


@pytest.fixture(autouse=True)
def test_data(monkeypatch):
    monkeypatch.setattr(labs, "_DATA", {"test_pairs": _pairs})


SOLUTION = '''import numpy as np


def spread(xs, ys):
    """The largest value of both lists minus the smallest, as a float."""
    ### BEGIN SOLUTION
    both = np.array(xs + ys)
    return both.max() - both.min()
    ### END SOLUTION
'''
TEST = 'check("q5_1a", spread, cases={"data": "test_pairs", "count": 6, "seed": 4242})'


def _cell(source, **nbgrader):
    cell = new_code_cell(source)
    cell.metadata["nbgrader"] = {
        "schema_version": 3,
        "locked": False,
        "solution": False,
        "grade": False,
        **nbgrader,
    }
    return cell


def _source_nb(test=TEST):
    return new_notebook(
        cells=[
            new_markdown_cell("### Exercise 5.1 — Spread (1 point)"),
            _cell(SOLUTION, solution=True, grade_id="q5_1_answer"),
            _cell(test, grade=True, locked=True, points=1, grade_id="q5_1a"),
        ]
    )


def _released_call(nb):
    cell = nb.cells[2]
    return seal_cell(cell, "lab", "Exercise 5.1", None, nb)


# -- the results compared ---------------------------------------------------------------------


def test_results_read_numpy_as_plain_numbers_and_round_to_six_digits():
    assert result_form(np.float64(0.1) + np.float64(0.2)) == 0.3
    assert result_form(np.int64(3)) == 3.0 == result_form(3) == result_form(3.0)
    assert result_form(np.array([1, 2])) == [1.0, 2.0]
    assert result_form({"Decision": " Promote "}) == {"decision": "promote"}
    assert json.dumps(result_form(-0.0)) == "0.0"
    assert result_form(0.1234567891) == 0.123457 and result_form(-1e-12) == -1e-12
    assert result_form(np.bool_(True)) is True


@pytest.mark.parametrize(
    "liar",
    [
        type("Always", (), {"__eq__": lambda s, o: True})(),
        type("Text", (str,), {"__eq__": lambda s, o: True})("x"),
        type("Num", (float,), {"__eq__": lambda s, o: True})(1.0),
    ],
)
def test_an_object_that_claims_to_equal_anything_is_no_result(liar):
    from mlops_concepts.answers import AnswerTypeError

    with pytest.raises(AnswerTypeError):
        result_form(liar)


# -- reading the test cell --------------------------------------------------------------------


@pytest.mark.parametrize(
    "source, error",
    [
        ('check("q5_1a", spread, cases={"data": "nope", "count": 3, "seed": 1})', "names lab data"),
        ('check("q5_1a", spread, cases={"data": "test_pairs", "count": 3, "seed": 0})', "non-zero"),
        ('check("q5_1a", spread, cases={"data": "test_pairs", "count": 0, "seed": 1})', "count"),
        ('check("q5_1a", spread, cases={"data": "test_pairs", "seed": 1}, key=[1.0])', "no key="),
        ('check("q5_1a", spread([1], [2]), cases={"data": "test_pairs", "seed": 1})', "names the function"),
        ('check("q5_1a", spread, cases={"data": "test_pairs", "seed": 1}, items=[0])', "no items="),
        ('check("q5_1a", spread, cases={"data": "test_pairs", "sed": 1})', "unknown key"),
    ],
)
def test_a_wrong_lab_check_is_refused_naming_the_cell(source, error):
    with pytest.raises(AuthoringError, match=re.escape(error)) as err:
        read_check(_cell(source, grade=True, locked=True, points=1, grade_id="q5_1a"))
    assert "q5_1a" in str(err.value)


def test_a_lab_check_is_never_reported_like_a_value():
    with pytest.raises(AuthoringError):
        report_code(read_check(_source_nb().cells[2]))


def test_the_solution_must_run_on_its_own():
    nb = _source_nb()
    nb.cells[1].source = "def spread(xs, ys):\n    return helper(xs)\n"
    with pytest.raises(AuthoringError, match="fails on case 1"):
        grading_labs.expected_outcomes(nb, read_check(nb.cells[2]))
    nb.cells[1].source = "import not_a_module\n\ndef spread(xs, ys):\n    return 0\n"
    with pytest.raises(AuthoringError, match="must run on its own"):
        grading_labs.expected_outcomes(nb, read_check(nb.cells[2]))


def test_orderings_count_the_distinct_orders_of_the_outcomes():
    yes, no = {"value": True}, {"value": False}
    assert grading_labs.orderings([yes] * 3 + [no] * 3) == 20
    assert grading_labs.orderings([yes] * 8 + [no] * 8) == 12870
    assert grading_labs.orderings([{"value": i} for i in range(8)]) == 40320
    assert grading_labs.orderings([yes] * 10) == 1


YES_NO = '''def bigger(xs, ys):
    """Whether the first list adds up to more than the second."""
    ### BEGIN SOLUTION
    return sum(xs) > sum(ys)
    ### END SOLUTION
'''


@pytest.mark.parametrize(
    "solution, test, refused",
    [
        (YES_NO, 'check("q5_1a", bigger, cases={"data": "test_pairs", "count": 6, "seed": 7})', True),
        (SOLUTION, TEST.replace('"count": 6', '"count": 3'), True),
        (SOLUTION, TEST.replace('"count": 6', '"count": 10'), False),
    ],
)
def test_the_linter_refuses_a_lab_check_that_guessing_could_pass(solution, test, refused):
    """Calls come in a shuffled order: with few hidden cases, or few different results, a function
    that ignores its inputs (counts its calls, replays the examples) passes by luck."""
    from mlops_concepts.authoring import lint

    nb = _source_nb(test)
    nb.cells[1].source = solution
    problems = lint._check_lab(nb, read_check(nb.cells[2]), set())
    assert bool(problems) == refused, problems
    if refused:
        assert "ignores its inputs would pass 1 time in" in problems[0].message
        assert problems[0].where == "cell 'q5_1a'"


# -- release: the hidden seed goes, one digest per public example comes -----------------------


def test_the_release_drops_the_seed_and_seals_each_public_result():
    released = _released_call(_source_nb())
    assert "4242" not in released and "seed" not in released
    call = read_check(_cell(released, grade=True, locked=True, points=1, grade_id="q5_1a"))
    assert call.cases == {"data": "test_pairs", "count": 6}
    assert len(call.key) == 6 and all(k.startswith("sha256$") for k in call.key)
    assert call.title == "Exercise 5.1"
    # No result of a public example is in the release in plain text.
    for xs, ys in labs.cases("test_pairs", 6):
        assert f"{float(max(xs + ys) - min(xs + ys))}" not in released.replace(call.key[0], "")
    assert (
        seal_cell(
            _cell(released, grade=True, locked=True, points=1, grade_id="q5_1a"),
            "lab",
            "Exercise 5.1",
            None,
            None,
        )
        == released
    )  # idempotent


def _self_check(function) -> str:
    released = read_check(
        _cell(_released_call(_source_nb()), grade=True, locked=True, points=1, grade_id="q5_1a")
    )
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check("q5_1a", function, key=released.key, title=released.title, cases=released.cases)
    return out.getvalue()


def test_the_self_check_says_right_or_how_many_examples_are_wrong():
    assert _self_check(lambda xs, ys: max(xs + ys) - min(xs + ys)).startswith(
        "Success! Exercise 5.1 is right on all 6 examples"
    )
    said = _self_check(lambda xs, ys: max(xs) - min(xs))  # forgets the second list
    assert said.startswith("Not yet. Exercise 5.1: right on ") and "of 6 examples" in said
    assert 'labs.cases("test_pairs", 6)' in said or "labs.cases('test_pairs', 6)" in said
    assert "raised ZeroDivisionError" in _self_check(lambda xs, ys: 1 / 0)
    assert "must be a function" in _self_check(3)


def test_an_unanswered_lab_function_says_so_in_one_line():
    def stub(xs, ys):
        raise NotImplementedError()

    assert _self_check(stub).startswith("Not yet. Exercise 5.1: not answered yet.")


def test_an_unanswered_lab_function_is_one_error_line_and_run_all_goes_on():
    """In a real kernel: an error output (Validate fails the cell), no traceback through the
    package, and an "ok" reply (nbclient's allow_errors=False stops at an error reply)."""
    from nbclient import NotebookClient

    nb = new_notebook(
        cells=[
            new_code_cell("from mlops_concepts import check"),
            new_code_cell("def pick_run(*args):\n    # YOUR ANSWER HERE\n    raise NotImplementedError()"),
            new_code_cell(
                'check("q5_1a", pick_run, cases={"data": "run_log", "count": 3}, '
                'key=["sha256$a$b"] * 3, title="Exercise 5.1 (a)")'
            ),
            new_code_cell("print('next')"),
        ]
    )
    NotebookClient(nb, allow_errors=False, timeout=60).execute()
    outputs = nb.cells[2].outputs
    assert [(o.output_type, o.ename) for o in outputs] == [("error", "NotYet")], outputs
    assert outputs[0].traceback == [
        "Not yet. Exercise 5.1 (a): not answered yet. Write your function in the cell above in "
        "place of `raise NotImplementedError()`, run it, then run this check again."
    ]
    assert nb.cells[3].outputs[0].text == "next\n"


# -- grading: hidden cases, fresh copies, shuffled order; judged outside the kernel -----------


def _graded(function) -> tuple[str, str]:
    """(verdict text, outcome) for ``function``, as the grader would judge its report."""
    nb = _source_nb()
    chk = read_check(nb.cells[2])
    inputs = grading_labs.hidden_cases(chk)
    code = grading_labs.report_code(chk, inputs)
    order = json.loads(re.search(r", (\[[\d, ]*\])\)$", code).group(1))
    assert sorted(order) == list(range(6))
    payload = report_payload("q5_1a", function, inputs, order)
    output, _ = judge(
        "q5_1a",
        [{"output_type": "display_data", "data": {REPORT_MIME: payload}}],
        answer_keys(nb)["q5_1a"],
        title="Exercise 5.1",
    )
    text = output.get("text") or output.get("evalue")
    return text, output.get("ename", "correct")


def test_the_hidden_cases_are_not_the_public_ones():
    chk = read_check(_source_nb().cells[2])
    assert json.loads(grading_labs.hidden_cases(chk)) != [list(c) for c in labs.cases("test_pairs", 6)]


def test_an_honest_function_earns_the_point_whatever_it_returns_as_numbers():
    assert _graded(lambda xs, ys: max(xs + ys) - min(xs + ys)) == ("Exercise 5.1: correct.\n", "correct")
    assert _graded(lambda xs, ys: np.ptp(np.array(xs + ys)))[1] == "correct"


def test_a_wrong_function_is_told_how_many_hidden_inputs_it_got_right():
    text, outcome = _graded(lambda xs, ys: max(xs) - min(xs))
    assert outcome == "WrongAnswer" and re.search(r"right on \d of 6 hidden inputs", text)
    text, outcome = _graded(lambda xs, ys: xs[10])
    assert outcome == "WrongAnswer" and "raised IndexError" in text


def _memorised():
    """Answers for the public examples, as a cheat would copy them from its own self-check runs."""
    return {tuple(xs + ys): max(xs + ys) - min(xs + ys) for xs, ys in labs.cases("test_pairs", 6)}


class _Always:
    def __eq__(self, other):
        return True

    __hash__ = object.__hash__


def _by_identity():
    seen = {}
    examples = labs.cases("test_pairs", 6)

    def cheat(xs, ys):
        # Looks up what it was given by identity; public examples were "learned" the same way.
        return seen.get(id(xs), max(examples[0][0] + examples[0][1]) - min(examples[0][0] + examples[0][1]))

    return cheat


def _cached():
    memory = []

    def cheat(xs, ys):
        if not memory:
            memory.append(max(xs + ys) - min(xs + ys))
        return memory[0]

    return cheat


def _counting():
    answers = list(_memorised().values())
    calls = [0]

    def cheat(xs, ys):
        calls[0] += 1
        return answers[(calls[0] - 1) % len(answers)]

    return cheat


def _lookup():
    table = _memorised()
    return lambda xs, ys: table.get(tuple(xs + ys), 0)


@pytest.mark.parametrize(
    "make_cheat",
    [
        lambda: lambda xs, ys: _Always(),
        lambda: lambda xs, ys: type("F", (float,), {"__eq__": lambda s, o: True})(1.0),
        _by_identity,
        _cached,
        _counting,
        _lookup,
    ],
    ids=["always-equal", "float-subclass", "identity", "cached", "counting", "memorised-examples"],
)
def test_cheating_functions_earn_nothing(make_cheat):
    text, outcome = _graded(make_cheat())
    assert outcome != "correct", text


def test_each_call_gets_fresh_inputs_so_mutating_them_changes_nothing():
    def sorts_in_place(xs, ys):
        xs.sort()
        ys.clear()
        return 0

    chk = read_check(_source_nb().cells[2])
    inputs = grading_labs.hidden_cases(chk)
    report_payload("q5_1a", sorts_in_place, inputs, list(range(6)))
    seen = []
    report_payload("q5_1a", lambda xs, ys: seen.append((id(xs), list(ys))) or 0, inputs, list(range(6)))
    assert all(ys for _, ys in seen), "a previous call's mutation leaked into later inputs"


def test_the_class_report_says_how_a_wrong_function_did_not_what_it_returned():
    from mlops_concepts.report.stats import wrong_entries

    want = json.dumps({"cases": [{"value": 1.0}, {"value": 2.0}, {"value": 3.0}]})
    given = json.dumps({"cases": [{"value": 1.0}, {"raised": "KeyError"}, {"value": 9.0}]})
    assert wrong_entries(given, want) == ("right on 1 of 3 hidden inputs; raised KeyError",)


def test_a_students_plot_is_shown_as_an_image_with_the_alt_text_they_give(monkeypatch):
    """JupyterLab drops an alt given in output metadata, so ``labs.show`` sends an ``<img>``."""
    import IPython.display
    from matplotlib.figure import Figure

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda data, raw=False: shown.append(data))
    fig = Figure()
    fig.add_subplot().plot([1, 2, 3])
    labs.show(fig, alt='Drift rises from 0.1 to 0.3; the "threshold" is crossed in week 3.')
    assert len(shown) == 1
    html = shown[0]["text/html"]
    assert (
        html.startswith('<img src="data:image/png;base64,')
        and 'alt="Drift rises from 0.1 to 0.3; the &quot;threshold&quot; is crossed in week 3."' in html
    )
    assert shown[0]["text/plain"].startswith("Drift rises")
    with pytest.raises(ValueError, match="describe the plot"):
        labs.show(Figure(), alt="  ")


# -- hidden inputs never come back to the student (issue 25, item 7) --------------------------


def _hidden_text() -> str:
    return grading_labs.hidden_cases(read_check(_source_nb().cells[2]))


def _judged(payload) -> dict:
    nb = _source_nb()
    output, _ = judge(
        "q5_1a", [{"output_type": "display_data", "data": {REPORT_MIME: payload}}], answer_keys(nb)["q5_1a"]
    )
    return output


def test_a_forged_lab_report_error_is_said_in_the_graders_words():
    hidden = _hidden_text()
    out = _judged({"id": "q5_1a", "error": "LEAK " + hidden})
    assert (
        out["ename"] == "AnswerNotGradable" and "could not be checked on the hidden inputs" in out["evalue"]
    )
    assert "LEAK" not in json.dumps(out)


def test_exception_names_of_the_students_own_are_not_shown():
    cases = [{"raised": "x_12_7_3"}, {"raised": "KeyError"}, {"raised": "Exception"}] + [{"value": 0.0}] * 3
    text = _judged({"id": "q5_1a", "value": {"cases": cases}})["evalue"]
    assert "x_12_7_3" not in text
    assert "an exception of its own" in text and "KeyError" in text
    assert grading_labs.exception_shown("__class__") == grading_labs.OWN_EXCEPTION  # not an exception


def test_an_unreadable_result_is_explained_without_the_kernels_text():
    cases = [{"error": "LEAK [1, 2, 3]"}] + [{"value": 0.0}] * 5
    text = _judged({"id": "q5_1a", "value": {"cases": cases}})["evalue"]
    assert "LEAK" not in text and "plain str, int, float" in text


def test_the_autograded_notebook_keeps_how_a_lab_function_did_not_its_results():
    """Its results may be its arguments, returned as they came: only counts are kept."""
    from mlops_concepts.nbgrader_plugins.verdicts import _kept
    from mlops_concepts.report.stats import wrong_entries

    hidden = json.loads(_hidden_text())
    key = answer_keys(_source_nb())["q5_1a"]
    given = json.dumps({"cases": [{"value": case} for case in hidden]})
    kept = _kept(given, key)
    assert json.loads(kept) == {"lab": {"right": 0, "total": 6, "raised": []}}
    assert wrong_entries(kept, key) == ("right on 0 of 6 hidden inputs",)
    assert _kept('"a plain answer"', '"b"') == '"a plain answer"'  # other answers: as given


def test_the_lab_requests_hold_the_function_then_send_the_inputs_after_the_last_cell():
    chk = read_check(_source_nb().cells[2])
    hold = grading_labs.hold_code(chk)
    assert hold.endswith('.hold("q5_1a", spread)')  # no input goes with it
    inputs = _hidden_text()
    assert json.dumps(inputs) in grading_labs.report_code(chk, inputs)


def test_while_hidden_inputs_are_in_the_kernel_only_reports_are_kept():
    from nbformat.v4 import new_output

    from mlops_concepts.nbgrader_plugins.hidden_calls import STOPPED, HiddenLabCalls, _reports_only

    keep = HiddenLabCalls()._hidden_message
    for kind in ("stream", "update_display_data", "clear_output", "comm_open", "comm_msg", "execute_input"):
        assert keep({"msg_type": kind, "content": {"text": "LEAK"}}) is None, kind
    shown = keep({"msg_type": "display_data", "content": {"data": {}, "transient": {"display_id": "slot"}}})
    assert "transient" not in shown["content"]  # could update an earlier cell's output
    report = {"id": "q5_1a", "value": {"cases": []}}
    outputs = [
        new_output(
            "display_data", data={REPORT_MIME: report, "text/plain": "LEAK", "text/html": "<b>LEAK</b>"}
        ),
        new_output("error", ename="Leak", evalue="LEAK", traceback=["LEAK"]),
        new_output("stream", name="stdout", text="LEAK"),
    ]
    kept = _reports_only(outputs)
    assert "LEAK" not in json.dumps(kept)
    assert kept[0]["data"] == {REPORT_MIME: report} and kept[1]["evalue"] == STOPPED


def test_imports_of_notebooks_released_before_the_chapter_folders_still_work():
    """Released notebooks import ``from mlops_concepts.labs.chapter2 import describe_comparison``
    and ``from mlops_concepts import ... labs``; after an upgrade they get the chapter's own lab
    module (not a copy), in a fresh interpreter as a kernel would."""
    import subprocess
    import sys

    code = """
import sys
from mlops_concepts import Classify, MultipleChoice, Order, check, diagrams, labs, show_progress
from mlops_concepts.labs.chapter2 import describe_comparison
from mlops_concepts.labs.chapter3 import describe_error_curve
from mlops_concepts.labs.chapter4 import describe_drift
from mlops_concepts.chapters.chapter2 import lab
assert describe_comparison is lab.describe_comparison
assert sys.modules["mlops_concepts.labs.chapter2"] is lab
assert lab.__spec__.name == "mlops_concepts.chapters.chapter2.lab"
assert callable(describe_error_curve) and callable(describe_drift)
assert labs.cases("run_log", 1)
try:
    import mlops_concepts.labs.chapter1  # chapter 1 has no lab
except ModuleNotFoundError:
    print("ok")
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"

"""``mlops-concepts report``: item analysis of a really graded class, checked against known numbers.

The class is the five sample submissions (tests/samples), graded once for the module by the
instructor's own command. Their scores are known item by item (``build_samples.EXPECTED``), so
facility and discrimination can be computed independently here and compared with the report.
Discrimination on a class where its sign is known by construction, escaping and the CSV's
formula defusing are checked on classes built in memory (no grading needed).
"""

from __future__ import annotations

import csv
import hashlib
import html
import math
import re
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from course import REPO, grade_all, make_course, notebook_path, submit
from mlops_concepts.grading import report as rpt
from mlops_concepts.grading.pipeline import main, nbgrader_env

sys.path.insert(0, str(REPO / "tests" / "samples"))
import build_samples  # noqa: E402

ASSIGNMENT = build_samples.ASSIGNMENT
STUDENTS = sorted(build_samples.EXPECTED)
ITEMS = build_samples.ALL_ITEMS
LATE = "sample-late"  # submitted after grading: must be listed as not graded


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """The sample class graded by ``mlops-concepts grade``, then reported by ``mlops-concepts report``."""
    root = make_course(tmp_path_factory.mktemp("report"))
    # The gradebook before grading: the assignment is known, nobody is graded yet.
    shutil.copy(root / "gradebook.db", root / "ungraded-gradebook.db")
    for student in STUDENTS:
        submit(root, ASSIGNMENT, student,
               nbformat.read(build_samples.sample_path(student), as_version=4))
    result = grade_all(root, ASSIGNMENT)
    assert result.returncode == 0 and "Graded 5 of 5" in result.stdout, result.stdout + result.stderr
    submit(root, ASSIGNMENT, LATE, nbformat.read(build_samples.sample_path("sample-complete"),
                                                 as_version=4))
    before = sha(root / "gradebook.db")
    cli = subprocess.run([sys.executable, "-m", "mlops_concepts.grading.pipeline", "report",
                          ASSIGNMENT, "--root", str(root)], capture_output=True, text=True,
                         env=nbgrader_env(), cwd=root)
    assert cli.returncode == 0, cli.stdout + cli.stderr
    page = (root / "reports" / f"{ASSIGNMENT}.html").read_text(encoding="utf-8")
    with open(root / "reports" / f"{ASSIGNMENT}-items.csv", newline="", encoding="utf-8") as f:
        rows = {r["item_id"]: r for r in csv.DictReader(f)}
    data = rpt.load_class(root, ASSIGNMENT)
    return {"root": root, "cli": cli, "html": page, "csv": rows, "data": data,
            "stats": {s.item.grade_id: s for s in rpt.item_stats(data)}, "gradebook_sha": before}


def section(page: str, anchor: str) -> str:
    """The HTML of one <h2 id=anchor> section, up to the next <h2>."""
    start = page.index(f'<h2 id="{anchor}">')
    end = page.find("<h2", start + 4)
    return page[start:end if end > 0 else len(page)]


# --- the graded sample class ---------------------------------------------------------------------


def test_cli_writes_both_files_under_reports_and_says_so(graded):
    out = graded["cli"].stdout
    assert "5 graded, 2 to grade by hand, 1 could not be graded" in out
    assert f"reports/{ASSIGNMENT}.html" in out and f"reports/{ASSIGNMENT}-items.csv" in out
    # Hardest line names items by title; the reflection (still being hand-graded) is left out.
    assert re.search(r"Hardest items: Exercise \d\.\d", out) and "Reflection" not in out


def test_facility_is_the_share_of_students_who_got_each_item_right(graded):
    rows = graded["csv"]
    assert set(ITEMS) <= set(rows)
    for item in ITEMS:
        right = sum(1 for s in STUDENTS if build_samples.EXPECTED[s].get(item) == 1.0)
        assert rows[item]["n"] == "5"
        assert float(rows[item]["facility"]) == pytest.approx(right / 5, abs=5e-4), item
    # Spot values a reader can check by hand: 1.1 (a) right by complete and partial only.
    assert rows["q1_1a"]["facility"] == "0.400" and rows["q1_2b"]["facility"] == "0.200"


def test_discrimination_is_the_correlation_with_the_rest_of_the_test(graded):
    totals = {s: sum(build_samples.EXPECTED[s].values()) for s in STUDENTS}
    for item in ITEMS:
        xs = [build_samples.EXPECTED[s].get(item, 0.0) for s in STUDENTS]
        rest = [totals[s] - x for s, x in zip(STUDENTS, xs, strict=True)]
        expected = statistics.correlation(xs, rest)  # independent implementation (Pearson)
        got = graded["stats"][item].discrimination
        assert got == pytest.approx(expected, abs=1e-9), item
        assert float(graded["csv"][item]["discrimination"]) == pytest.approx(expected, abs=5e-4)
        assert got > 0.8  # every item is right for the strongest students only: it separates
    # 1.1 (a): item [0,0,1,1,0] against rest totals [0,0,15,6,0] gives exactly 0.875.
    assert graded["stats"]["q1_1a"].discrimination == pytest.approx(0.875)
    # The reflection: the 3 students with a score all have 0, so r is undefined.
    assert graded["stats"]["reflection"].discrimination is None
    assert graded["csv"]["reflection"]["discrimination"] == "n/a"


def test_most_common_wrong_answer_is_what_the_wrong_sample_gave(graded):
    stats, rows = graded["stats"], graded["csv"]
    # Only sample-wrong gave a readable wrong answer here (partial was right or blank).
    assert stats["q1_1a"].wrong == [(("a",), 1)] and rows["q1_1a"]["top_wrong_answer"] == "a"
    assert stats["q2_1a"].wrong == [(("a",), 1)]
    assert stats["q3_3a"].wrong == [(("c",), 1)]
    assert stats["q2_3b"].wrong == [(("development",), 1)]  # phases[index - 1] of "deployment"
    # Dict parts show only the wrong entries, in the student's (lower-cased) words.
    assert stats["q3_1a"].wrong == [(("business stakeholder → technical",
                                      "data engineer → business"), 1)]
    assert rows["q3_1a"]["top_wrong_answer"] == \
        "business stakeholder → technical; data engineer → business"
    # 1.2 (b): two different wrong answers. Partial got "automation" right and only lacks the
    # weekly-report scenario (it renamed it); wrong has both wrong.
    weekly = ("a weekly report compares the live model's predictions with what really happened "
              "→ (missing)")
    assert sorted(stats["q1_2b"].wrong) == sorted([
        ((weekly,), 1),
        (("a new model version goes live through an automated process, not by hand → monitoring",
          weekly), 1)])
    assert stats["q1_2b"].n_wrong == 2
    # Blank (check could not run) and cheater (not plain data) are "no answer", not wrong.
    assert stats["q1_1a"].n_unreadable == 2 and rows["q1_1a"]["n_no_answer"] == "2"


def test_wrong_answers_never_show_a_key_entry(graded):
    data = graded["data"]
    for item, stat in graded["stats"].items():
        key = data.keys.get((ASSIGNMENT, item))
        if key is None:  # the reflection has no key: it is graded by hand
            continue
        key_entries = set(rpt.wrong_entries(key, None))  # the key, shown the same way
        shown = {e for entries, _ in stat.wrong for e in entries}
        assert shown and not shown & key_entries, item


def test_items_are_named_by_title_never_by_id(graded):
    page = graded["html"]
    assert "Exercise 1.2 (b) — Why MLOps?" in page
    assert "Exercise 2.1 — Why a lifecycle?" in page  # one graded cell: no part letter
    assert "Reflection: roles in a startup and in a large enterprise" in page
    assert not re.search(r"\bq\d_\d[a-z]?\b", page), "an internal grade id leaked into the HTML"
    assert graded["csv"]["q1_2b"]["title"] == "Exercise 1.2 (b) — Why MLOps?"


def test_items_are_grouped_by_the_objective_table_of_the_first_cell(graded):
    rows = graded["csv"]
    assert rows["q1_1a"]["objective"] == "1. Define MLOps"
    assert rows["q1_1b"]["objective"] == "2. Origin and benefits of MLOps"
    assert rows["q1_2a"]["objective"] == rows["q1_2b"]["objective"] == "2. Origin and benefits of MLOps"
    assert {rows[i]["objective"] for i in ("q2_1a", "q2_2b", "q2_3b")} == {"3. The ML lifecycle"}
    assert rows["reflection"]["objective"] == "4. Roles in MLOps"
    objectives = section(graded["html"], "objectives")
    for name in ("1. Define MLOps", "2. Origin and benefits of MLOps", "3. The ML lifecycle",
                 "4. Roles in MLOps"):
        assert f"<h3>{html.escape(name)}</h3>" in objectives
    # Objective 1 has one item, right for 2 of 5: facility 0.40. Objective 2: 2+2+1 of 15 points.
    assert "Facility 0.40 over 1 item(s)" in objectives
    assert "Facility 0.33 over 3 item(s)" in objectives


def test_hand_grading_lists_exactly_the_students_whose_reflection_needs_grading(graded):
    hand = section(graded["html"], "hand")
    # complete and wrong wrote a reflection; blank, partial and cheater left it as released
    # (nbgrader gives an unchanged answer 0 without a grader).
    assert "sample-complete" in hand and "sample-wrong" in hand
    for student in ("sample-blank", "sample-partial", "sample-cheater"):
        assert student not in hand
    assert hand.count("Reflection: roles in a startup") == 2
    assert graded["csv"]["reflection"]["n_to_grade_by_hand"] == "2"


def test_not_graded_lists_a_submission_that_was_never_graded(graded):
    missing = section(graded["html"], "not-graded")
    assert LATE in missing and "submitted but not graded" in missing
    assert not any(s in missing for s in STUDENTS)


def test_a_student_whose_autograding_failed_is_listed_and_left_out(graded, tmp_path):
    root = tmp_path / "course"
    shutil.copytree(graded["root"], root, ignore=shutil.ignore_patterns("feedback", ".grading"))
    shutil.rmtree(root / "autograded" / "sample-complete")  # what nbgrader leaves when it fails
    data = rpt.load_class(root, ASSIGNMENT)
    assert sorted(s.name for s in data.students) == [s for s in STUDENTS if s != "sample-complete"]
    assert "autograding failed" in data.not_graded["sample-complete"]
    stats = {s.item.grade_id: s for s in rpt.item_stats(data)}
    assert stats["q1_1a"].facility == pytest.approx(1 / 4)  # partial only, of 4


def test_csv_is_one_row_per_item_with_the_documented_columns(graded):
    path = graded["root"] / "reports" / f"{ASSIGNMENT}-items.csv"
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.DictReader(f)
        assert reader.fieldnames == rpt.CSV_COLUMNS
        rows = list(reader)
    assert [r["item_id"] for r in rows] == ITEMS + ["reflection"]  # notebook order
    assert all(r["assignment"] == ASSIGNMENT for r in rows)
    assert {r["max_points"] for r in rows} == {"1", "2"}


def test_report_changes_neither_the_gradebook_nor_the_submissions(graded):
    root = graded["root"]
    assert sha(root / "gradebook.db") == graded["gradebook_sha"]
    rpt.load_class(root, ASSIGNMENT)
    assert sha(root / "gradebook.db") == graded["gradebook_sha"]


def test_html_is_self_contained_with_alt_text_on_every_plot(graded):
    page = graded["html"]
    images = re.findall(r"<img [^>]*>", page)
    assert len(images) == 3  # scores, items, objectives
    for img in images:
        assert 'src="data:image/png;base64,' in img
        alt = re.search(r'alt="([^"]*)"', img).group(1)
        assert len(alt) > 60, alt  # a sentence that says what the plot shows
    assert "Histogram of the total scores of 5 graded students, out of 18 points: 3 scored 0; " \
           "1 scored 7; 1 scored 16" in page
    # No external resource: no http(s) URL in any src/href, no script, and a CSP that forbids any.
    assert not re.search(r'(src|href)="(?!data:|#)', page)
    assert "<script" not in page and "default-src 'none'" in page


# --- bad input: a clear message, a non-zero exit, nothing lost ----------------------------------


@pytest.fixture
def course_copy(graded, tmp_path):
    """A copy of the graded course with an earlier report in place, to prove it is kept."""
    root = tmp_path / "course"
    shutil.copytree(graded["root"], root, ignore=shutil.ignore_patterns("feedback", ".grading"))
    (root / "reports" / "keep.html").write_text("earlier report")
    return root


def run_report(capsys, root: Path, *args: str) -> tuple[int, str]:
    code = main(["report", *args, "--root", str(root), "--out", str(root / "reports" / "keep.html"),
                 "--csv", str(root / "reports" / "keep.csv")])
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def assert_nothing_lost(root: Path, gradebook_before: str | None):
    assert (root / "reports" / "keep.html").read_text() == "earlier report"
    assert not (root / "reports" / "keep.csv").exists()
    assert not list((root / "reports").glob(".keep*"))  # no temporary file left behind
    if gradebook_before is None:
        assert not (root / "gradebook.db").exists()  # not created by the report
    else:
        assert sha(root / "gradebook.db") == gradebook_before


def test_unknown_assignment(course_copy, capsys):
    before = sha(course_copy / "gradebook.db")
    code, out = run_report(capsys, course_copy, "02-no-such-chapter")
    assert code == 1
    assert "unknown assignment '02-no-such-chapter'" in out and ASSIGNMENT in out  # names known ones
    assert_nothing_lost(course_copy, before)


def test_assignment_id_that_is_a_path_is_refused(course_copy, capsys):
    before = sha(course_copy / "gradebook.db")
    code, out = run_report(capsys, course_copy, "../../etc")
    assert code == 1 and "is not an assignment id" in out
    assert_nothing_lost(course_copy, before)


def test_no_graded_submissions(course_copy, capsys):
    shutil.copy(course_copy / "ungraded-gradebook.db", course_copy / "gradebook.db")
    shutil.rmtree(course_copy / "autograded")
    before = sha(course_copy / "gradebook.db")
    code, out = run_report(capsys, course_copy, ASSIGNMENT)
    assert code == 1
    assert f"no graded submissions of {ASSIGNMENT} yet" in out
    assert f"mlops-concepts grade {ASSIGNMENT}" in out
    assert_nothing_lost(course_copy, before)


def test_missing_gradebook(course_copy, capsys):
    (course_copy / "gradebook.db").unlink()
    code, out = run_report(capsys, course_copy, ASSIGNMENT)
    assert code == 1 and "there is no gradebook at" in out
    assert_nothing_lost(course_copy, None)


def test_gradebook_that_is_not_a_database(course_copy, capsys):
    (course_copy / "gradebook.db").write_bytes(b"this is not sqlite\n" * 100)
    before = sha(course_copy / "gradebook.db")
    code, out = run_report(capsys, course_copy, ASSIGNMENT)
    assert code == 1 and "cannot read the gradebook" in out
    assert_nothing_lost(course_copy, before)


def test_unreachable_postgres_gradebook_hides_the_password(course_copy, capsys, monkeypatch):
    # Port 9 (discard) on localhost: nothing listens, so the connection is refused at once.
    monkeypatch.setenv("MLOPS_CONCEPTS_DB_URL", "postgresql://grader:s3cret@127.0.0.1:9/gradebook")
    before = sha(course_copy / "gradebook.db")
    code, out = run_report(capsys, course_copy, ASSIGNMENT)
    assert code == 1 and "cannot read the gradebook at postgresql://grader:***@127.0.0.1:9" in out
    assert "s3cret" not in out
    assert_nothing_lost(course_copy, before)


def test_not_a_course_directory(tmp_path, capsys):
    code = main(["report", ASSIGNMENT, "--root", str(tmp_path)])
    out = capsys.readouterr()
    assert code == 1 and "is not a course directory" in out.err
    assert list(tmp_path.iterdir()) == []


def test_output_path_that_is_a_folder(course_copy, capsys):
    (course_copy / "reports" / "folder.html").mkdir()
    code = main(["report", ASSIGNMENT, "--root", str(course_copy),
                 "--out", str(course_copy / "reports" / "folder.html")])
    assert code == 1 and "is a folder" in capsys.readouterr().err
    assert (course_copy / "reports" / "keep.html").read_text() == "earlier report"


# --- classes built in memory ---------------------------------------------------------------------


def make_class(scores: dict[str, list[float]], given: dict[str, list[str | None]] | None = None,
               keys: list[str] | None = None) -> rpt.ClassData:
    """A class of 1-point items "Exercise 1.N"; ``scores[student][i]`` is the score on item i."""
    n = len(next(iter(scores.values())))
    items = [rpt.Item("nb", f"q{i}", f"Exercise 1.{i + 1}", f"Exercise 1.{i + 1} — item {i + 1}",
                      1.0, True, exercise=f"1.{i + 1}") for i in range(n)]
    students = []
    for name, row in scores.items():
        records = {}
        for i, score in enumerate(row):
            answer = (given or {}).get(name, [None] * n)[i]
            outcome = "correct" if score else ("WrongAnswer" if answer is not None else "CheckDidNotRun")
            records[("nb", f"q{i}")] = {"given": answer, "outcome": outcome}
        students.append(rpt.Student(name, {("nb", f"q{i}"): s for i, s in enumerate(row)}, records))
    return rpt.ClassData("demo", items, students, {}, [rpt.ALL],
                         {("nb", f"q{i}"): k for i, k in enumerate(keys or [])})


def test_point_biserial_known_values_and_undefined_cases():
    # x = [1,1,0,0], rest = [3,2,1,0]: sxy = 2, sxx = 1, syy = 5, so r = 2 / sqrt(5).
    assert rpt.point_biserial([1, 1, 0, 0], [3, 2, 1, 0]) == pytest.approx(2 / math.sqrt(5))
    assert rpt.point_biserial([0, 0, 1, 1], [3, 2, 1, 0]) == pytest.approx(-2 / math.sqrt(5))
    assert rpt.point_biserial([1, 0], [5, 0]) is None  # n < 3
    assert rpt.point_biserial([1, 1, 1], [5, 3, 0]) is None  # everyone right: no variance
    assert rpt.point_biserial([1, 0, 1], [2, 2, 2]) is None  # rest total constant


def test_discrimination_sign_on_a_constructed_class():
    # Item 1 is right for the three strongest students; item 2 only for the two weakest (a
    # flawed item); item 3 is right for everyone.
    data = make_class({
        "s1": [1, 0, 1, 1, 1, 1], "s2": [1, 0, 1, 1, 1, 0], "s3": [1, 0, 1, 1, 0, 0],
        "s4": [0, 1, 1, 0, 0, 0], "s5": [0, 1, 1, 0, 0, 0]})
    stats = rpt.item_stats(data)
    # Item 1: scores [1,1,1,0,0] against rest totals [4,3,2,2,2]; item 2: [0,0,0,1,1] against
    # [5,4,3,1,1]. Compared with the standard library's Pearson correlation, and by sign.
    assert stats[0].discrimination == pytest.approx(statistics.correlation([1, 1, 1, 0, 0], [4, 3, 2, 2, 2]))
    assert stats[1].discrimination == pytest.approx(statistics.correlation([0, 0, 0, 1, 1], [5, 4, 3, 1, 1]))
    assert stats[0].discrimination > 0.5 and stats[1].discrimination < -0.9
    assert stats[2].discrimination is None and stats[2].facility == 1.0
    assert stats[0].facility == pytest.approx(3 / 5) and stats[1].facility == pytest.approx(2 / 5)
    page = rpt.render_html(data, stats, generated="test")
    assert "n/a" in page
    # Objective section: a chapter without a table groups everything under "all".
    assert "grouped under &ldquo;all&rdquo;" in page


def test_student_text_is_escaped_in_html_and_defused_in_csv(tmp_path):
    evil = '<img src=x onerror=alert(1)>'
    data = make_class({"<script>alert('name')</script>": [0], "s2": [0], "s3": [1]},
                      given={"<script>alert('name')</script>": ['"=HYPERLINK(\\"http://x\\")"'],
                             "s2": [f'"{evil}"'], "s3": ['"b"']}, keys=['"b"'])
    # Student names appear in the hand-grading and not-graded lists: put one in each.
    data.students[0].scores[("nb", "q0")] = None
    data.not_graded["<b onmouseover=alert(2)>late</b>"] = "why: <i>x</i>"
    rpt.write_report(data, tmp_path / "r.html", tmp_path / "r.csv")
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;name&#x27;)" in page
    assert evil not in page and html.escape(evil) in page
    assert "<b onmouseover" not in page and "&lt;b onmouseover=alert(2)&gt;late" in page
    assert "<i>x</i>" not in page
    with open(tmp_path / "r.csv", newline="", encoding="utf-8") as f:
        row = next(csv.DictReader(f))
    # Two wrong answers, one each: the first in sort order is shown; none can start a formula.
    assert row["top_wrong_answer"] in ("'=HYPERLINK(\"http://x\")", evil)
    assert rpt.csv_safe("=1+1") == "'=1+1" and rpt.csv_safe("@SUM(A1)") == "'@SUM(A1)"
    assert rpt.csv_safe("design") == "design"


def test_titles_and_objectives_from_the_release_notebook():
    nb = nbformat.read(notebook_path(REPO, "release", ASSIGNMENT), as_version=4)
    items = rpt.item_titles(nb, ASSIGNMENT)
    assert [i.label for i in items] == [
        "Exercise 1.1 (a)", "Exercise 1.1 (b)", "Exercise 1.2 (a)", "Exercise 1.2 (b)",
        "Exercise 2.1", "Exercise 2.2 (a)", "Exercise 2.2 (b)", "Exercise 2.2 (c)",
        "Exercise 2.3 (a)", "Exercise 2.3 (b)", "Exercise 3.1 (a)", "Exercise 3.1 (b)",
        "Exercise 3.2 (a)", "Exercise 3.2 (b)", "Exercise 3.2 (c)", "Exercise 3.3", "Reflection"]
    table = rpt.objective_table(nb)
    assert table[0] == ("1. Define MLOps", ["1.1 (a)"])
    assert table[3] == ("4. Roles in MLOps", ["3.1", "3.2", "3.3", "reflection"])
    assert rpt.assign_objectives(items, table)[1] == "2. Origin and benefits of MLOps"
    # Without the table, every item is under "all".
    nb.cells[0].source = "# Introduction\n\nNo table here."
    assert rpt.objective_table(nb) is None
    assert rpt.assign_objectives(items, None) == ["all"] and {i.objective for i in items} == {"all"}


# --- in the browser -----------------------------------------------------------------------------


@pytest.mark.browser
def test_report_renders_in_chromium_with_alt_text_and_nothing_broken(graded):
    """Open the report in Debian's chromium: every image loads and has alt text; screenshot."""
    from playwright.sync_api import sync_playwright

    chromium = Path("/usr/bin/chromium")
    if not chromium.exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    path = graded["root"] / "reports" / f"{ASSIGNMENT}.html"
    shot = REPO / "docs" / "screenshots" / "class-report.png"
    failed, errors = [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(chromium), args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.on("requestfailed", lambda r: failed.append(r.url[:80]))
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(path.as_uri(), wait_until="load")
            images = page.eval_on_selector_all(
                "img", "els => els.map(e => ({alt: e.getAttribute('alt') || '', "
                       "ok: e.complete && e.naturalWidth > 0, w: e.naturalWidth}))")
            assert len(images) == 3
            for img in images:
                assert img["alt"].strip() and img["ok"], img
            # The layout fits: nothing wider than the window (no cut-off table or plot).
            assert page.evaluate("document.documentElement.scrollWidth") <= 1200
            headers = page.eval_on_selector_all("table thead th", "els => els.length")
            assert headers > 20
            shot.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(shot), full_page=True)
        finally:
            browser.close()
    assert failed == [] and errors == []
    assert shot.stat().st_size > 50_000

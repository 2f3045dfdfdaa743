"""Staging, unit by unit: links, special files and malformed submissions, without running nbgrader.

Each hostile folder is staged with :func:`stage` (what ``mlops-concepts grade`` does) and checked
with the guard that plain ``nbgrader autograde`` runs first. Whole grading runs of the same cases,
through both entry points, are in ``test_bad_submissions.py`` and ``test_unstaged_submissions.py``.
"""

from __future__ import annotations

import json
import os
import stat
import unicodedata
from pathlib import Path

import nbformat
import pytest

from mlops_concepts.contract import cells
from mlops_concepts.contract.folder_scan import scan
from mlops_concepts.contract.submissions import problems, stage
from mlops_concepts.nbgrader_plugins import guard
from support.cheats.runner import tree_snapshot
from support.hostile import CASES, IS_ROOT, _honest, _run_copy


def _make(course, tmp_path, case):
    root, assignment = course
    # A private course directory: the links point at its gradebook and source, as they would.
    base = tmp_path / "course"
    base.mkdir()
    (base / "gradebook.db").write_bytes((root / "gradebook.db").read_bytes())
    (base / "source").symlink_to(root / "source")
    (base / "release").symlink_to(root / "release")
    folder = base / "submitted" / case / assignment
    folder.mkdir(parents=True)
    if case == "character-device" and not IS_ROOT:
        pytest.skip("making a device file needs root (CI runs the tests as root)")
    CASES[case][0](base, assignment, folder)
    release = {assignment: root / "release" / assignment / f"{assignment}.ipynb"}
    return base, assignment, folder, release


def _forbidden(base: Path, assignment: str) -> list[bytes]:
    """Bytes that must never reach a staged folder: the gradebook, the instructor's notebook."""
    return [
        (base / "gradebook.db").read_bytes()[:4096],
        b"### BEGIN SOLUTION",
        (base / "source" / assignment / f"{assignment}.ipynb").read_bytes()[:4096],
    ]


@pytest.mark.parametrize("case", sorted(CASES))
def test_staging_copies_only_safe_files_and_says_what_happened(course, tmp_path, case):
    base, assignment, folder, release = _make(course, tmp_path, case)
    before = tree_snapshot(base / "submitted")
    staged = tmp_path / "staged" / assignment
    result = stage(folder, staged, release, case)  # must not raise, whatever the folder holds

    _, says, blank = CASES[case]
    assert any(says in n.message for n in result.notes), result.notes
    assert result.graded_as_blank == blank, result.notes
    for note in result.notes:  # one line each, no raw control character
        assert not any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in note.message), note
    nb = nbformat.read(staged / f"{assignment}.ipynb", as_version=4)
    assert "Note from the grader" in nb.cells[0].source
    assert says.split()[0] in nb.cells[0].source.replace("\\", "")
    for dirpath, dirnames, filenames in os.walk(staged):
        for name in dirnames + filenames:
            st = os.lstat(Path(dirpath, name))
            assert stat.S_ISDIR(st.st_mode) or (stat.S_ISREG(st.st_mode) and st.st_nlink == 1), name
            if stat.S_ISREG(st.st_mode):
                data = Path(dirpath, name).read_bytes()
                assert not any(bad in data for bad in _forbidden(base, assignment)), name
    assert tree_snapshot(base / "submitted") == before  # nothing submitted was touched
    # What staging wrote is clean: plain nbgrader's guard accepts it, as the pipeline needs.
    assert problems(staged, release) == []
    with pytest.raises(guard.SubmissionRefused) as refused:
        _hook(folder, base)
    assert "mlops-concepts grade" in str(refused.value)


def _hook(folder: Path, base: Path):
    cwd = os.getcwd()
    os.chdir(base)  # nbgrader runs the hook from the course directory
    try:
        return guard.refuse_unstaged(
            assignment=folder.name, student="*", notebooks=[str(folder / f"{folder.name}.ipynb")]
        )
    finally:
        os.chdir(cwd)


def test_an_honest_submission_is_staged_unchanged_and_accepted(course, tmp_path):
    root, assignment = course
    folder = tmp_path / "submitted" / "honest" / assignment
    folder.mkdir(parents=True)
    _honest(root, assignment, folder)
    (folder / "timestamp.txt").write_text("2026-01-05 10:00:00.000000 UTC")
    (folder / "data").mkdir()
    (folder / "data" / "notes.txt").write_text("my notes")
    release = {assignment: root / "release" / assignment / f"{assignment}.ipynb"}
    staged = tmp_path / "staged" / assignment
    assert stage(folder, staged, release, "honest").notes == []
    assert (staged / "timestamp.txt").read_text() == "2026-01-05 10:00:00.000000 UTC"  # kept
    assert (staged / "data" / "notes.txt").read_text() == "my notes"
    assert scan(folder).safe and problems(folder, release) == []
    assert _hook(folder, root) is None  # plain nbgrader grades it


def test_a_cell_with_invalid_metadata_is_kept_with_its_metadata_reset(course, tmp_path):
    base, assignment, folder, release = _make(course, tmp_path, "invalid-cell-metadata")
    staged = tmp_path / "staged" / assignment
    notes = [n.message for n in stage(folder, staged, release, "m").notes]
    assert not any("notebook metadata" in n for n in notes), notes  # only the cell was at fault
    nb = nbformat.read(staged / f"{assignment}.ipynb", 4)
    assert nb.metadata.kernelspec.name == "python3"
    released = nbformat.read(release[assignment], 4)
    assert len(nb.cells) == len(released.cells) + 2  # the grader's note, the student's own cell
    scratch = [c for c in nb.cells if c.source == "# my scratch work"]
    assert len(scratch) == 1 and scratch[0].metadata == {}
    graded = [c.metadata.nbgrader.grade_id for c in nb.cells if "nbgrader" in c.metadata]
    assert graded == [c.metadata.nbgrader.grade_id for c in released.cells if "nbgrader" in c.metadata]


def test_a_malformed_timestamp_is_dropped_and_the_rest_kept(course, tmp_path):
    base, assignment, folder, release = _make(course, tmp_path, "malformed-timestamp")
    staged = tmp_path / "staged" / assignment
    result = stage(folder, staged, release, "t")
    assert not (staged / "timestamp.txt").exists()
    assert not result.graded_as_blank
    assert len(nbformat.read(staged / f"{assignment}.ipynb", 4).cells) > 1


def test_student_names_in_notes_are_escaped_and_marked(course, tmp_path):
    base, assignment, folder, release = _make(course, tmp_path, "control-characters-in-names")
    notes = stage(folder, tmp_path / "staged" / assignment, release, "n").notes
    text = "\n".join(n.message for n in notes)
    assert "‹evil\\x0aAutograding complete: 16 of 16.txt›" in text
    assert "‹\\x1b[2Jclear.txt›" in text and "\x1b" not in text
    assert "‹rtl\\u202etxt.exe›" in text


def test_the_feedback_guard_refuses_links_left_in_autograded(course, tmp_path):
    root, assignment = course
    folder = tmp_path / "autograded" / "old" / assignment
    folder.mkdir(parents=True)
    _honest(root, assignment, folder)
    os.symlink(root / "gradebook.db", folder / "gradebook.db")
    with pytest.raises(guard.SubmissionRefused) as refused:
        guard.refuse_unsafe_autograded(
            assignment=assignment, student="*", notebooks=[str(folder / f"{assignment}.ipynb")]
        )
    assert isinstance(refused.value, SystemExit)  # nbgrader swallows any Exception of a hook
    assert "mlops-concepts grade" in str(refused.value) and "‹gradebook.db›" in str(refused.value)


def test_what_staging_writes_always_passes_the_guard(course, tmp_path, monkeypatch):
    """Rewriting a minified notebook indents it, so it can grow past the size limit; the pipeline's
    own nbgrader would then refuse it and stop the class's feedback. Staging falls back to the
    blank release instead, and says so."""
    from mlops_concepts.contract import folder_scan

    root, assignment = course
    folder = tmp_path / "submitted" / "minified" / assignment
    folder.mkdir(parents=True)
    release = {assignment: root / "release" / assignment / f"{assignment}.ipynb"}
    nb = json.loads(release[assignment].read_text())
    nb["cells"].append(
        {
            "cell_type": "code",
            "source": "x\n" * 100_000,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
        }
    )  # short lines: indenting grows
    minified = json.dumps(nb, separators=(",", ":"))
    assert len(minified) > release[assignment].stat().st_size + 10_000  # the blank one still fits
    (folder / f"{assignment}.ipynb").write_text(minified)
    monkeypatch.setattr(folder_scan, "MAX_NOTEBOOK_BYTES", len(minified.encode()) + 10)
    staged = tmp_path / "staged" / assignment
    result = stage(folder, staged, release, "minified")
    assert result.graded_as_blank
    assert any("still could not be graded" in n.message for n in result.notes), result.notes
    assert problems(staged, release) == []


def test_the_feedback_guard_does_not_limit_sizes(course, tmp_path, monkeypatch):
    """autograded/ is nbgrader's own output: only links, special files and names matter there."""
    from mlops_concepts.contract import folder_scan

    root, assignment = course
    folder = tmp_path / "autograded" / "big" / assignment
    folder.mkdir(parents=True)
    _run_copy(root, assignment, folder)
    monkeypatch.setattr(folder_scan, "MAX_NOTEBOOK_BYTES", 10)
    assert guard.refuse_unsafe_autograded(notebooks=[str(folder / f"{assignment}.ipynb")]) is None
    assert not scan(folder).safe  # the same folder, judged as a submission, is over the limit


def test_the_feedback_guard_refuses_a_notebook_autograde_never_ran(course, tmp_path):
    """A plain ``nbgrader autograde`` that dies in the middle of a student leaves the clean copy
    it writes before running the notebook: no feedback is made from it."""
    root, assignment = course
    folder = tmp_path / "autograded" / "cut-short" / assignment
    folder.mkdir(parents=True)
    _honest(root, assignment, folder)  # cleaned, not run: what autograde writes first
    with pytest.raises(guard.SubmissionRefused) as refused:
        guard.refuse_unsafe_autograded(notebooks=[str(folder / f"{assignment}.ipynb")])
    assert "was never run" in str(refused.value) and "mlops-concepts grade" in str(refused.value)
    _run_copy(root, assignment, folder)
    assert guard.refuse_unsafe_autograded(notebooks=[str(folder / f"{assignment}.ipynb")]) is None


def test_a_run_notebook_is_told_from_the_clean_copy_and_from_a_half_written_one(course, tmp_path):
    root, assignment = course
    release = root / "release" / assignment / f"{assignment}.ipynb"
    assert not cells.was_run(release)  # clean: no count, no output
    _run_copy(root, assignment, tmp_path)
    run = tmp_path / f"{assignment}.ipynb"
    assert cells.was_run(run)
    half = tmp_path / "half.ipynb"
    half.write_bytes(run.read_bytes()[: run.stat().st_size // 2])
    assert not cells.was_run(half)
    assert not cells.was_run(tmp_path / "missing.ipynb")
    nb = nbformat.read(release, 4)  # a cell the grader could not run carries its note
    code = next(c for c in nb.cells if c.cell_type == "code" and c.source.strip())
    code.outputs = [nbformat.v4.new_output("error", ename="CellNotRun", evalue="", traceback=[])]
    nbformat.write(nb, tmp_path / "noted.ipynb")
    assert cells.was_run(tmp_path / "noted.ipynb")
    nb.cells = [c for c in nb.cells if c.cell_type != "code"]  # nothing to run at all
    nbformat.write(nb, tmp_path / "prose.ipynb")
    assert cells.was_run(tmp_path / "prose.ipynb")

"""`make lab` for a self-learner, run for real in a clone-like copy of the repository.

The learner's copy (WORKSPACE) is made from release/ on the first run, kept on the second, and
neither `make release` (which rewrites release/) nor `make clean` touches it; the copied notebook's
imports work there, outside the repository. `LAB_ARGS=--version` makes `jupyter lab` print its
version and exit, so the whole target runs without a server left behind.

Run:  .venv/bin/pytest tests/integration/test_self_learner.py -q    (about a minute)
"""

from __future__ import annotations

import subprocess
from pathlib import Path
from types import SimpleNamespace

import nbformat
import pytest
from nbclient import NotebookClient

from support.classroom import show
from support.clone import clone_like, pasted_env

CHAPTER = "01-introduction-to-mlops"
ANSWER = "# my own answer, kept"


def make(clone, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["make", "--no-print-directory", *args, f"WORKSPACE={clone.work}"],
        cwd=clone.repo,
        env=clone.env,
        capture_output=True,
        text=True,
        timeout=900,
        stdin=subprocess.DEVNULL,
    )


@pytest.fixture(scope="module")
def clone(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("learner")
    home = tmp / "home"
    home.mkdir()
    return SimpleNamespace(
        repo=clone_like(tmp / "mlops-concepts"), work=home / "my work", env=pasted_env(home)
    )


def notebook(clone) -> Path:
    return clone.work / CHAPTER / f"{CHAPTER}.ipynb"


@pytest.fixture(scope="module")
def first(clone):
    done = make(clone, "lab", "LAB_ARGS=--version")
    assert done.returncode == 0, show(done)
    return done


def test_the_first_run_copies_the_chapters_and_opens_the_copy(clone, first):
    released = sorted(p.name for p in (clone.repo / "release").iterdir())
    assert sorted(p.name for p in clone.work.iterdir()) == released
    assert (
        notebook(clone).read_bytes() == (clone.repo / "release" / CHAPTER / f"{CHAPTER}.ipynb").read_bytes()
    )
    assert "Copied" in first.stderr and str(notebook(clone)) in first.stderr
    assert first.stdout.strip().splitlines()[-1].startswith("4.")  # jupyter lab --version ran


def answered(clone) -> None:
    nb = nbformat.read(notebook(clone), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(ANSWER))
    nbformat.write(nb, notebook(clone))


def test_the_copy_survives_make_lab_make_release_and_make_clean(clone, first):
    answered(clone)
    mine = notebook(clone).read_bytes()
    again = make(clone, "lab", "LAB_ARGS=--version")
    assert again.returncode == 0, show(again)
    assert "Copied" not in again.stderr
    released = clone.repo / "release" / CHAPTER / f"{CHAPTER}.ipynb"
    before = released.stat().st_mtime_ns
    rel = make(clone, "release", f"ASSIGNMENT={CHAPTER}")
    assert rel.returncode == 0, show(rel)
    assert released.stat().st_mtime_ns != before  # the release was rewritten...
    assert "Removing existing" not in rel.stdout + rel.stderr, show(rel)
    assert sorted(p.name for p in released.parent.parent.iterdir()) == sorted(
        p.name for p in (clone.repo / "source").iterdir() if p.is_dir()
    )  # nothing of the swap is left behind
    assert not (clone.repo / ".release-new").exists()
    cleaned = make(clone, "clean")
    assert cleaned.returncode == 0, show(cleaned)
    assert notebook(clone).read_bytes() == mine  # ...and the learner's copy was not
    assert ANSWER.encode() in mine


def test_the_notebooks_imports_work_in_the_copy(clone, first):
    """The copy's import cell, run by a kernel in the copy's folder, outside the repository."""
    nb = nbformat.read(notebook(clone), as_version=4)
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    assert "from mlops_concepts import" in first_code.source
    probe = nbformat.v4.new_notebook(cells=[first_code, nbformat.v4.new_code_cell("print(check.__module__)")])
    NotebookClient(
        probe,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(notebook(clone).parent)}},
    ).execute()
    outputs = [o for c in probe.cells for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"], outputs
    text = "".join(o.get("text", "") for o in outputs)
    assert "Install the course package first" not in text and "mlops_concepts" in text, text


def test_a_release_that_fails_leaves_the_old_release_in_place(clone, first):
    released = clone.repo / "release" / CHAPTER / f"{CHAPTER}.ipynb"
    before = released.read_bytes()
    config = clone.repo / "nbgrader_config.py"
    good = config.read_text()
    config.write_text(good + "\nraise RuntimeError('broken on purpose')\n")
    try:
        rel = make(clone, "release", f"ASSIGNMENT={CHAPTER}")
    finally:
        config.write_text(good)
    assert rel.returncode != 0 and "broken on purpose" in rel.stdout + rel.stderr, show(rel)
    assert released.read_bytes() == before
    assert not (clone.repo / ".release-new").exists()

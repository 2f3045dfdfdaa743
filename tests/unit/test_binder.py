"""Binder and `make lab`: the student's environment, from one source each.

* README's Binder links are generated from the repository's address in pyproject.toml
  (``[project.urls] Repository``, branch ``[tool.mlops-concepts] binder-branch``); run this file
  (``.venv/bin/python tests/unit/test_binder.py``) to rewrite them after changing either.
* What students must not see (Formgrader, Create Assignment, Courses) is listed once, in
  ``etc/student-lab/``: postBuild applies it to Binder's environment, ``make lab`` points
  JupyterLab at it. The fresh-environment test in ``tests/browser/test_student_env.py`` checks
  the result in chromium.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

REPO = Path(__file__).resolve().parents[2]
BINDER = re.compile(r"https://mybinder\.org/v2/gh/[^\s)>\]]+")


PLACEHOLDER_OWNER = "OWNER"  # pyproject.toml's address until the public repository exists
COLUMN = "open on Binder"
NOTE = (
    "Binder links appear in this table once `[project.urls] Repository` in `pyproject.toml` names the\n"
    "public repository (then `.venv/bin/python tests/unit/test_binder.py` writes them)."
)


def repository() -> tuple[str, str] | None:
    """(``owner/name``, branch) of the repository, from pyproject.toml; None while it is the
    placeholder, since no link to it could work."""
    text = (REPO / "pyproject.toml").read_text()  # tomllib is 3.11+; these two lines are plain
    url = re.search(r'(?m)^\[project\.urls\][^\[]*?^Repository = "([^"]+)"', text).group(1).rstrip("/")
    branch = re.search(r'(?m)^\[tool\.mlops-concepts\][^\[]*?^binder-branch = "([^"]+)"', text).group(1)
    m = re.fullmatch(r"https://github\.com/([^/\s]+/[^/\s]+?)(?:\.git)?", url)
    assert m, f"[project.urls] Repository must be a https://github.com/<owner>/<name> URL: {url}"
    if m.group(1).split("/")[0] == PLACEHOLDER_OWNER:
        return None
    return m.group(1), branch


def binder_url(assignment: str, repo: tuple[str, str]) -> str:
    """The Binder link that opens a chapter's student notebook in JupyterLab."""
    slug, branch = repo
    path = quote(f"release/{assignment}/{assignment}.ipynb", safe="")
    return f"https://mybinder.org/v2/gh/{slug}/{quote(branch, safe='')}?labpath={path}"


def released() -> list[str]:
    return sorted(p.parent.name for p in (REPO / "release").glob("*/*.ipynb") if p.stem == p.parent.name)


def linked_assignment(url: str) -> str | None:
    m = re.search(r"labpath=release%2F([^%]+)%2F", url)
    return m.group(1) if m else None


def _cells(row: str) -> list[str]:
    return [c.strip() for c in row.strip().strip("|").split("|")]


def rewrite_readme(text: str, repo: tuple[str, str] | None) -> str:
    """README with its chapter table's Binder column for ``repo``, or without it (and with a note
    saying how the links appear) while there is no repository to link to."""
    lines = text.split("\n")
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| # | chapter"))
    end = next(i for i in range(start, len(lines)) if not lines[i].startswith("|"))
    header = [c for c in _cells(lines[start]) if c != COLUMN]
    rows = []
    for line in lines[start + 2 : end]:
        cells = _cells(line)[: len(header)]
        if repo:
            chapter = cells[1].strip("`")
            cells.append(f"[launch]({binder_url(chapter, repo)})")
        rows.append("| " + " | ".join(cells) + " |")
    columns = header + ([COLUMN] if repo else [])
    table = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns), *rows]
    after = lines[end:]
    note_lines = NOTE.split("\n")
    # Drop an old note (this one, or any paragraph about the Binder links) right after the table.
    if len(after) > 1 and after[0] == "" and "Binder link" in after[1]:
        stop = next((i for i in range(1, len(after)) if after[i] == ""), len(after))
        after = after[stop:]
    note = [] if repo else ["", *note_lines]
    return "\n".join(lines[:start] + table + note + after)


def test_readme_shows_no_link_that_cannot_work():
    text = (REPO / "README.md").read_text()
    assert text == rewrite_readme(text, repository()), (
        "README's chapter table disagrees with pyproject.toml: "
        "run `.venv/bin/python tests/unit/test_binder.py`"
    )
    links = BINDER.findall(text)
    if repository() is None:
        assert not links and PLACEHOLDER_OWNER not in text, (
            "a Binder link to a repository that does not exist"
        )
        assert NOTE in text
    else:
        assert sorted({linked_assignment(u) for u in links}) == released()


def test_the_links_appear_once_the_repository_is_named():
    text = (REPO / "README.md").read_text()
    repo = ("course-org/mlops-concepts", "main")
    linked = rewrite_readme(text, repo)
    links = BINDER.findall(linked)
    assert sorted({linked_assignment(u) for u in links}) == released()
    assert all(u == binder_url(linked_assignment(u), repo) for u in links)
    assert NOTE not in linked
    # ... and go away again, note back, when it is not.
    assert rewrite_readme(linked, None) == rewrite_readme(text, None)


def test_binder_url_opens_the_notebook_in_lab():
    url = binder_url("01-introduction-to-mlops", ("course-org/mlops-concepts", "main"))
    assert url.startswith("https://mybinder.org/v2/gh/course-org/mlops-concepts/main?labpath=release%2F")
    assert url.endswith("01-introduction-to-mlops%2F01-introduction-to-mlops.ipynb")


def _student_lab():
    lab = json.loads((REPO / "etc/student-lab/labconfig/page_config.json").read_text())
    server = json.loads((REPO / "etc/student-lab/jupyter_server_config.json").read_text())
    return lab["disabledExtensions"], server["ServerApp"]["jpserver_extensions"]


def test_students_never_get_the_instructor_tools():
    lab, server = _student_lab()
    assert {p for p, off in lab.items() if off} >= {
        "@jupyter/nbgrader:formgrader",
        "@jupyter/nbgrader:create-assignment",
    }
    assert server.get("nbgrader.server_extensions.formgrader") is False
    # ... but they keep the Assignments tab and the Validate button.
    assert not set(lab) & {"@jupyter/nbgrader:assignment-list", "@jupyter/nbgrader:validate-assignment"}
    postbuild = (REPO / "postBuild").read_text()
    assert "etc/student-lab/labconfig/page_config.json" in postbuild
    assert "etc/student-lab/jupyter_server_config.json" in postbuild
    assert "makedirs" in postbuild and ".exchange" in postbuild


@pytest.mark.parametrize("target", ["lab", "student"])
def test_make_lab_and_student_run_as_root_with_the_student_settings(target):
    out = subprocess.run(
        ["make", "-n", "--always-make", target], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    line = out[out.index("JUPYTER_CONFIG_PATH=") :]
    assert "etc/student-lab" in line and 'jupyter" lab' in line
    assert '[ "$(id -u)" = 0 ] && echo --allow-root' in line
    # the server's root is the learner's folder (mlops_concepts/workspace.py), never release/
    assert "--ServerApp.root_dir=." in line and "release/01" not in line
    assert f"mlops_concepts.workspace {'learner' if target == 'lab' else 'student'}" in out


if __name__ == "__main__":
    readme = REPO / "README.md"
    new = rewrite_readme(readme.read_text(), repository())
    readme.write_text(new)
    print("\n".join(BINDER.findall(new)) or "No repository named in pyproject.toml: no Binder links.")
    sys.exit(0)

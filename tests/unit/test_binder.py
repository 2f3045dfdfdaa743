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

REPO = Path(__file__).resolve().parents[2]
BINDER = re.compile(r"https://mybinder\.org/v2/gh/[^\s)>\]]+")


def repository() -> tuple[str, str]:
    """(``owner/name``, branch) of the repository, from pyproject.toml."""
    text = (REPO / "pyproject.toml").read_text()  # tomllib is 3.11+; these two lines are plain
    url = re.search(r'(?m)^\[project\.urls\][^\[]*?^Repository = "([^"]+)"', text).group(1).rstrip("/")
    branch = re.search(r'(?m)^\[tool\.mlops-concepts\][^\[]*?^binder-branch = "([^"]+)"', text).group(1)
    m = re.fullmatch(r"https://github\.com/([^/\s]+/[^/\s]+?)(?:\.git)?", url)
    assert m, f"[project.urls] Repository must be a https://github.com/<owner>/<name> URL: {url}"
    return m.group(1), branch


def binder_url(assignment: str) -> str:
    """The Binder link that opens a chapter's student notebook in JupyterLab."""
    slug, branch = repository()
    path = quote(f"release/{assignment}/{assignment}.ipynb", safe="")
    return f"https://mybinder.org/v2/gh/{slug}/{quote(branch, safe='')}?labpath={path}"


def released() -> list[str]:
    return sorted(p.parent.name for p in (REPO / "release").glob("*/*.ipynb") if p.stem == p.parent.name)


def linked_assignment(url: str) -> str | None:
    m = re.search(r"labpath=release%2F([^%]+)%2F", url)
    return m.group(1) if m else None


def rewrite_readme(text: str) -> str:
    return BINDER.sub(lambda m: binder_url(linked_assignment(m.group(0)) or ""), text)


def test_readme_binder_links_are_generated_from_the_repository_url():
    text = (REPO / "README.md").read_text()
    links = BINDER.findall(text)
    assert links, "README.md has no Binder link"
    assert sorted({linked_assignment(u) for u in links}) == released(), (
        "every released chapter has a Binder link, and no link points elsewhere"
    )
    for url in links:
        assert url == binder_url(linked_assignment(url)), (
            f"README's Binder link disagrees with pyproject.toml: run `.venv/bin/python "
            f"tests/unit/test_binder.py`:\n{url}\n{binder_url(linked_assignment(url))}"
        )
    assert "OWNER" not in text.replace(repository()[0], ""), "README still asks to edit a link"


def test_binder_url_opens_the_notebook_in_lab():
    url = binder_url("01-introduction-to-mlops")
    slug, branch = repository()
    assert url.startswith(f"https://mybinder.org/v2/gh/{slug}/{branch}?labpath=release%2F")
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


def test_make_lab_runs_as_root_with_the_student_settings():
    out = subprocess.run(
        ["make", "-n", "--always-make", "lab"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout
    line = out[out.index("JUPYTER_CONFIG_PATH=") :]
    assert "etc/student-lab" in line and "jupyter lab" in line
    assert '[ "$(id -u)" = 0 ] && echo --allow-root' in line
    assert "release/01-introduction-to-mlops/01-introduction-to-mlops.ipynb" in line
    assert 'mkdir -p "${MLOPS_CONCEPTS_EXCHANGE:-.exchange}"' in out


if __name__ == "__main__":
    readme = REPO / "README.md"
    new = rewrite_readme(readme.read_text())
    readme.write_text(new)
    print("\n".join(BINDER.findall(new)))
    sys.exit(0)

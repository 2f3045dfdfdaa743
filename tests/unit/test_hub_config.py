"""On a hub, the instructor's Formgrader runs the course's own nbgrader configuration.

The instructor's server runs in their home, and nbgrader reads ``nbgrader_config.py`` from the
current folder only; ``etc/jupyterhub/nbgrader_config.py`` (installed in the hub's environment,
beside the package's ``nbgrader_config.json``) loads the course's configuration for it. Checked
with nbgrader's own loader, the one the Formgrader uses, from the instructor's home.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from support.course import REPO

LOADED = """
import json
import re
from nbgrader.apps import NbGrader
app = NbGrader()
app.load_config_file()
c = app.config
def setting(section, name):  # None when no file sets it
    return c[section][name] if name in c[section] else None
print(json.dumps({
    "root": setting("CourseDirectory", "root"),
    "collect": setting("ExchangeFactory", "collect"),
    "release_assignment": setting("ExchangeFactory", "release_assignment"),
    "release_feedback": setting("ExchangeFactory", "release_feedback"),
}))
"""


def _config_dir(tmp_path: Path) -> Path:
    """An environment's etc/jupyter as the hub's has it: the hub's file and the package's JSON."""
    etc = tmp_path / "etc" / "jupyter"
    etc.mkdir(parents=True)
    shutil.copy(REPO / "etc" / "jupyterhub" / "nbgrader_config.py", etc / "nbgrader_config.py")
    shutil.copy(REPO / "etc" / "jupyter" / "nbgrader_config.json", etc / "nbgrader_config.json")
    return etc


def _loaded(cwd: Path, etc: Path, course: Path | None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MLOPS_CONCEPTS_")}
    env["JUPYTER_CONFIG_PATH"] = str(etc)
    if course is not None:
        env["MLOPS_CONCEPTS_COURSE_DIR"] = str(course)
    out = subprocess.run([sys.executable, "-c", LOADED], cwd=cwd, env=env, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr[-2000:]
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.fixture
def hub(tmp_path):
    course = tmp_path / "home" / "course"
    course.mkdir(parents=True)
    shutil.copy(REPO / "nbgrader_config.py", course / "nbgrader_config.py")
    return tmp_path / "home", course, _config_dir(tmp_path)


def test_the_instructors_server_loads_the_course_configuration(hub):
    home, course, etc = hub
    loaded = _loaded(home, etc, course)
    assert loaded["root"] == str(course)
    assert loaded["release_assignment"].endswith("exchange.SafeExchangeReleaseAssignment")
    assert loaded["release_feedback"].endswith("exchange.SafeExchangeReleaseFeedback")
    # The package's JSON is read after the hub's file; its collect must still be the safe one.
    from mlops_concepts.nbgrader_plugins.exchange import SafeExchangeCollect
    from mlops_concepts.nbgrader_plugins.wrong_folder import CollectInCourse

    assert loaded["collect"] in (
        "mlops_concepts.nbgrader_plugins.exchange.SafeExchangeCollect",
        "mlops_concepts.nbgrader_plugins.wrong_folder.CollectInCourse",
    )
    assert issubclass(CollectInCourse, SafeExchangeCollect)


def test_a_students_server_loads_no_course(hub):
    home, _, etc = hub
    loaded = _loaded(home, etc, None)
    assert loaded["release_assignment"] is None and loaded["release_feedback"] is None
    assert loaded["root"] is None  # nbgrader's default: the current folder, never a course
    assert loaded["collect"] == "mlops_concepts.nbgrader_plugins.wrong_folder.CollectInCourse"


# docs/deploy.md is what tests/browser/test_jupyterhub.py runs: one source for what an
# administrator pastes and what the test proves.


def test_the_doc_quotes_the_hub_configuration_files_whole():
    from support.hub import doc_blocks

    for name in ("jupyterhub_config.py", "nbgrader_config.py"):
        path = f"etc/jupyterhub/{name}"
        quoted = doc_blocks("file", path)
        assert quoted == [(REPO / path).read_text()], f"docs/deploy.md does not quote {path} as it is"


def test_the_doc_has_every_step_the_hub_test_runs():
    from support.hub import doc_block, setup_blocks

    labels = [label for label, _ in setup_blocks()]
    assert labels.count("users") == 1 and len(labels) >= 4, labels
    steps = "\n".join(text for _, text in setup_blocks()) + doc_block("hub-test", "start")
    for command in ("python3 -m venv", "-c constraints.txt", "configurable-http-proxy", "useradd", "chpasswd",
                    "exchange-setup", "jupyterhub_config.py"):  # fmt: skip
        assert command in steps, command
    teach = doc_block("hub-test", "teach")
    assert "mlops-concepts grade" in teach and "release_feedback" in teach


def test_the_doc_steps_use_only_the_settings_it_names():
    """Every $VARIABLE in the root blocks is set by the settings block (or by a block itself)."""
    from support.hub import doc_block, setup_blocks

    named = set(re.findall(r"^([A-Z_]+)=", doc_block("hub-test", "settings"), re.M))
    scripts = [text for _, text in setup_blocks()] + [doc_block("hub-test", "start")]
    for script in scripts:
        own = set(re.findall(r"^\s*([A-Za-z_]+)=", script, re.M)) | set(re.findall(r"for (\w+) in", script))
        used = set(re.findall(r"\$\{?([A-Za-z_]+)", script))
        assert used <= named | own, (used - named - own, script)

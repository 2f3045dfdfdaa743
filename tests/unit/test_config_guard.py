"""An error in ``nbgrader_config.py`` stops nbgrader instead of letting it grade with its defaults.

traitlets only logs an exception raised while a configuration file loads, and discards the whole
file: nbgrader would then run student code unsandboxed, give full marks to every test cell that
does not raise, release unsealed answer keys and write feedback that is not defused. The guard,
``etc/jupyter/jupyter_config.py``, installed into the environment's ``etc/jupyter``, makes every
nbgrader application stop on such an error, and leaves other Jupyter applications alone.

These tests load configurations in this process, as nbgrader's command line, the Formgrader and
the student's server extensions do. The real commands on a real class, with a broken
configuration, are in ``test_readme_instructors.py``; the Binder environment in
``browser/test_student_env.py``.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from jupyter_core.application import JupyterApp
from jupyter_core.paths import jupyter_config_path
from traitlets.config.application import Application

REPO = Path(__file__).resolve().parents[2]
GUARD = REPO / "etc" / "jupyter" / "jupyter_config.py"

#: Ways an instructor's nbgrader_config.py breaks, each appended to the course's own file: after
#: its settings ran, so the test shows that a file that raises is discarded whole.
BREAKS = {
    "a missing course package": "from mlops_concepts_not_installed import SandboxedExecute\n",
    "a typo": "c.CourseDirectory.db_url = db_ulr\n",
    "a syntax error": "c.CourseDirectory.root = (\n",
    "an error raised in the file": 'raise RuntimeError("broken on purpose")\n',
}
ERRORS = {
    "a missing course package": ModuleNotFoundError,
    "a typo": NameError,
    "a syntax error": SyntaxError,
    "an error raised in the file": RuntimeError,
}


def broken_course(folder: Path, break_: str) -> Path:
    config = (REPO / "nbgrader_config.py").read_text() + "\n" + BREAKS[break_]
    (folder / "nbgrader_config.py").write_text(config)
    return folder


def nbgrader_app():
    from nbgrader.apps.baseapp import NbGrader

    app = NbGrader()
    assert app.raise_config_file_errors is False  # traitlets' default: only the guard changes it
    return app


def test_the_guard_is_installed_where_jupyter_reads_configuration():
    installed = Path(sys.prefix) / "etc" / "jupyter" / "jupyter_config.py"
    assert str(installed.parent) in jupyter_config_path()
    assert installed.is_file(), f"{installed} is missing: run `make` (it installs the guard)"
    assert installed.read_text() == GUARD.read_text(), f"{installed} is stale: run `make`"


@pytest.mark.parametrize("break_", list(BREAKS))
def test_an_nbgrader_application_stops_on_a_broken_course_configuration(tmp_path, monkeypatch, break_):
    monkeypatch.chdir(broken_course(tmp_path, break_))
    with pytest.raises(ERRORS[break_]):
        nbgrader_app().load_config_file()


def test_without_the_guard_nbgrader_discards_the_broken_file_and_keeps_its_defaults(tmp_path, monkeypatch):
    """The hazard itself: the same file, loaded the way traitlets loads it without the guard."""
    from nbgrader.apps.baseapp import NbGrader

    monkeypatch.chdir(broken_course(tmp_path, "a missing course package"))
    app = nbgrader_app()
    Application.load_config_file(app, "nbgrader_config", path=[str(tmp_path)])
    assert "Execute" not in app.config and "CourseDirectory" not in app.config
    assert isinstance(app, NbGrader)


def test_a_working_course_configuration_still_loads(tmp_path, monkeypatch):
    (tmp_path / "nbgrader_config.py").write_text((REPO / "nbgrader_config.py").read_text())
    monkeypatch.chdir(tmp_path)
    app = nbgrader_app()
    app.load_config_file()
    assert app.config.CourseDirectory.course_id == "mlops-concepts"
    assert app.config.SandboxedExecute.memory_limit_mb == 2048  # the sandbox's settings came with it


def test_the_formgraders_configuration_reload_stops_too(tmp_path, monkeypatch):
    """The Formgrader reloads the configuration on each request, with a fresh NbGrader() and
    with its own extension application: both stop on the error."""
    from nbgrader.server_extensions.formgrader.formgrader import FormgradeExtension

    monkeypatch.chdir(broken_course(tmp_path, "a typo"))
    formgrader = FormgradeExtension()
    with pytest.raises(NameError):
        formgrader.load_config_file()
    with pytest.raises(NameError):
        formgrader.load_config()


def test_other_jupyter_applications_keep_only_logging_config_errors(tmp_path):
    """The guard changes nbgrader only: JupyterLab and the notebook server, for instance, still
    start when one of their own configuration files raises."""

    class Other(JupyterApp):
        name = "other-app"
        config_file_name = "other_app_config"

    (tmp_path / "other_app_config.py").write_text('raise RuntimeError("not nbgrader\'s problem")\n')
    app = Other(config_dir=str(tmp_path))
    app.load_config_file()  # logged, not raised
    assert app.raise_config_file_errors is False

"""Installed as ``<prefix>/etc/jupyter/jupyter_config.py`` by ``pip install`` of the course package.

Makes every nbgrader application in this environment stop on an error in its configuration files.

Why: when ``nbgrader_config.py`` raises (a typo, a broken or missing course package), traitlets
logs "Exception while loading config file", discards the whole file and lets nbgrader go on with
its defaults. For this course that means student code run unsandboxed on the grading host, full
marks for every test cell that does not raise, answer keys released unsealed and feedback pages
not defused. The course file cannot guard itself (a file that raises is discarded whole), so the
guard lives here: Jupyter applications read ``jupyter_config`` from every config directory before
their own configuration file, in a call of its own.

It uses only the standard library and traitlets, so a broken course package cannot disable it, and
it changes only nbgrader's applications (the command line, the Formgrader and the student's
Assignments tab and Validate button), not JupyterLab or the notebook server.
"""

import sys


def _strict_nbgrader_config():
    """Ask the nbgrader application now loading its configuration to raise on a config error.

    traitlets passes ``raise_config_file_errors`` to each ``load_config_file`` call as it starts, so
    setting it on the application here takes effect for ``nbgrader_config.py``, which is loaded by
    later calls (nbgrader loads it from the config path, the working directory and the course root).
    """
    from traitlets.config.application import Application

    frame = sys._getframe(1)
    while frame is not None:
        app = frame.f_locals.get("self")
        if frame.f_code.co_name == "load_config_file" and isinstance(app, Application):
            if any(cls.__module__.split(".")[0] == "nbgrader" for cls in type(app).__mro__):
                app.raise_config_file_errors = True
            return
        frame = frame.f_back


_strict_nbgrader_config()

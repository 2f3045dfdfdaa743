"""nbgrader settings for every user of the class's hub: install as <env>/etc/jupyter/nbgrader_config.py.

Students have no course directory: this tells their Assignments tab (and plain ``nbgrader fetch``,
``submit``) which course to show and where the exchange is. The instructor's course directory has
its own ``nbgrader_config.py``, which reads the same ``MLOPS_CONCEPTS_EXCHANGE``; the hub gives an
instructor's server ``MLOPS_CONCEPTS_COURSE_DIR``, so that their Formgrader opens that course.

The Formgrader runs in the instructor's server, whose folder is their home, not the course: nbgrader
reads ``nbgrader_config.py`` from the current folder only. So this file loads the course's own
configuration too, or the Formgrader's Collect and Release buttons would run plain nbgrader, without
the course's safe exchange, its student-id rule and its sandboxed grading. From the course folder
itself (a terminal in it) nbgrader reads that file already, and loading it twice is avoided.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "mlops-concepts"
c.Exchange.root = os.environ.get("MLOPS_CONCEPTS_EXCHANGE", "/srv/nbgrader/exchange")
COURSE_DIR = os.environ.get("MLOPS_CONCEPTS_COURSE_DIR")
if COURSE_DIR:
    c.CourseDirectory.root = COURSE_DIR
    if os.path.realpath(os.getcwd()) != os.path.realpath(COURSE_DIR):
        load_subconfig("nbgrader_config.py", path=COURSE_DIR)  # noqa: F821 (traitlets)

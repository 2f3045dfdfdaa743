"""nbgrader settings for every user of the class's hub: install as <env>/etc/jupyter/nbgrader_config.py.

Students have no course directory: this tells their Assignments tab (and plain ``nbgrader fetch``,
``submit``) which course to show and where the exchange is. The instructor's course directory has
its own ``nbgrader_config.py``, which reads the same ``MLOPS_CONCEPTS_EXCHANGE``; the hub gives an
instructor's server ``MLOPS_CONCEPTS_COURSE_DIR``, so that their Formgrader opens that course.
"""

import os

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "mlops-concepts"
c.Exchange.root = os.environ.get("MLOPS_CONCEPTS_EXCHANGE", "/srv/nbgrader/exchange")
if os.environ.get("MLOPS_CONCEPTS_COURSE_DIR"):
    c.CourseDirectory.root = os.environ["MLOPS_CONCEPTS_COURSE_DIR"]

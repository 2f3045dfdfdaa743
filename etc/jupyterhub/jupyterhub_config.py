"""JupyterHub for a class taking MLOps Concepts: students and instructors as Unix users of one machine.

Run as root, from the environment every user can read, as docs/deploy.md shows (the doc
quotes this file whole; tests/unit/test_hub_config.py checks it). tests/browser/test_jupyterhub.py
runs the doc's commands with this file, PAM logins included; it only adds free ports on 127.0.0.1.
What each setting is for:

* ``MLOPS_CONCEPTS_EXCHANGE``: the exchange the class shares (default ``/srv/nbgrader/exchange``),
  created by ``mlops-concepts exchange-setup --owner INSTRUCTOR``. Every server gets it, and the
  course's ``nbgrader_config.py`` and the students' (``etc/jupyterhub/nbgrader_config.py``) read it.
* ``MLOPS_CONCEPTS_INSTRUCTORS``: the instructors' user names, separated by spaces; they are the
  hub's admins. Everyone else who can log in (``MLOPS_CONCEPTS_STUDENTS``, or every Unix user PAM
  accepts when that is empty) is a student.
* ``MLOPS_CONCEPTS_COURSE``: where an instructor's course directory is, relative to their home
  (default ``course``): their server's Formgrader opens it.
"""

import os
import pwd
import stat
import sys

c = get_config()  # noqa: F821 (provided by traitlets when JupyterHub loads this file)

EXCHANGE = os.environ.get("MLOPS_CONCEPTS_EXCHANGE", "/srv/nbgrader/exchange")
INSTRUCTORS = set(os.environ.get("MLOPS_CONCEPTS_INSTRUCTORS", "").split())
STUDENTS = set(os.environ.get("MLOPS_CONCEPTS_STUDENTS", "").split())
COURSE = os.environ.get("MLOPS_CONCEPTS_COURSE", "course")

# Each user's server is a process of that Unix user, started by the hub (root) with su-like
# rights: the OS, not the hub, keeps students apart.
c.JupyterHub.spawner_class = "localprocess"
c.JupyterHub.authenticator_class = "pam"  # the users' own Unix passwords
c.Authenticator.admin_users = INSTRUCTORS
if STUDENTS:
    c.Authenticator.allowed_users = INSTRUCTORS | STUDENTS
else:
    c.Authenticator.allow_all = True  # every Unix user PAM accepts

# The servers run from the hub's own environment (the course package installed from its wheel,
# readable by every user), whatever is on a user's PATH.
c.Spawner.cmd = [os.path.join(sys.prefix, "bin", "jupyterhub-singleuser")]
# ...and so do their terminals: `nbgrader` and `mlops-concepts` are this environment's.
PATH = os.pathsep.join([os.path.join(sys.prefix, "bin"), "/usr/local/bin", "/usr/bin", "/bin"])
# The proxy is installed beside them (npm install --global --prefix ENV), not on root's PATH.
c.ConfigurableHTTPProxy.command = [os.path.join(sys.prefix, "bin", "configurable-http-proxy")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"  # the Assignments tab fetches into the server's root: the home
c.Spawner.environment = {"MLOPS_CONCEPTS_EXCHANGE": EXCHANGE, "PATH": PATH}


def before_spawn(spawner):
    """Close the user's home to others before their server starts; tell an instructor's server
    where the course is (``etc/jupyterhub/nbgrader_config.py`` reads it).

    Students' fetched and answered notebooks, their submission cache and the instructor's course
    (answer keys, gradebook) all live in homes; Debian's useradd makes homes 0755, readable by all.
    """
    home = pwd.getpwnam(spawner.user.name).pw_dir
    st = os.stat(home)
    if st.st_uid == pwd.getpwnam(spawner.user.name).pw_uid and stat.S_IMODE(st.st_mode) & 0o077:
        os.chmod(home, stat.S_IMODE(st.st_mode) & 0o700)
        spawner.log.info("Closed %s to other users (was %04o)", home, stat.S_IMODE(st.st_mode))
    if spawner.user.name in INSTRUCTORS:
        spawner.environment = {
            **spawner.environment,
            "MLOPS_CONCEPTS_COURSE_DIR": os.path.join(home, COURSE),
        }


c.Spawner.pre_spawn_hook = before_spawn

"""Imported by a grading run's forkserver, last of :data:`.children.PRELOAD`: the first steps of
every student's child, done once there, so that each child forked from it starts past them.

* nbformat compiles its notebook schema into a validator on first use (about 0.04 s);
* a feedback page compiles nbgrader's templates, imports and prepares the code highlighter, and
  compiles the Markdown renderer's patterns (about 0.3 s):
  :func:`mlops_concepts.nbgrader_plugins.feedback.warm_up`.

Done here rather than at the top of each child because a child pays for what it does, and the
forkserver's work is shared by all of them. Nothing here depends on a course or a student. A
failure is ignored (the forkserver would otherwise not start): a child then does the same work
itself, and fails there, in the student's log, if it must.
"""

from __future__ import annotations


def warm_up() -> None:
    import nbformat

    from ..nbgrader_plugins import feedback

    nbformat.validate(nbformat.v4.new_notebook())
    feedback.warm_up()


try:
    warm_up()
except Exception:  # noqa: BLE001 (see the module's docstring)
    pass

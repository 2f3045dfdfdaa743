"""MLOps Concepts: the course package.

One module per concern:

* :mod:`mlops_concepts.answers`: canonical answers, salted digests, sealed texts;
* :mod:`mlops_concepts.checks`: self-checks and graded reports for exercises;
* :mod:`mlops_concepts.checkpoints`: ungraded widget checkpoints (multiple choice, classify, order);
* :mod:`mlops_concepts.progress`: the progress display of checkpoints done;
* :mod:`mlops_concepts.diagrams`: lifecycle diagrams (matplotlib is imported only when one is drawn);
* on the grader's side, one package per process that loads it (docs/architecture.md):
  :mod:`mlops_concepts.contract` (shared rules), :mod:`mlops_concepts.nbgrader_plugins` and
  :mod:`mlops_concepts.assignment_plugins` (loaded by nbgrader through nbgrader_config.py),
  :mod:`mlops_concepts.class_grading` (the ``mlops-concepts`` command).
"""

from . import diagrams
from .checkpoints import Classify, MultipleChoice, Order
from .checks import check, grade
from .progress import show_progress

__all__ = ["Classify", "MultipleChoice", "Order", "check", "diagrams", "grade", "show_progress"]
__version__ = "0.1.0"

"""A course directory of its own for each class: ``mlops-concepts new-course DIR``.

* :mod:`.shipped`: the course files the installed package carries (``files/``: the chapters'
  sources, the configuration, the sample classes), from a wheel or a clone alike;
* :mod:`.seeds`: new hidden lab seeds for a course, so its hidden inputs are its own;
* the command itself is :mod:`mlops_concepts.class_grading.new_course` (with the other commands).
"""

"""Adversarial corpus and helpers for the grader's adversarial tests.

* :mod:`cheats.chapter` reads a chapter the way a student who wants the points would: the released
  notebook (answer cells, locked test cells, their sealed keys) and, for the tests, the instructor
  solutions.
* :mod:`cheats.payloads` holds the code the cheats run *inside* the grading kernel, as text.
* :mod:`cheats.corpus` builds one submitted notebook per cheat, for any chapter.
* :mod:`cheats.escape` holds the sandbox tests' kernel code: every forbidden action, recorded.
* :mod:`cheats.runner` grades many students in one run of the instructor's grading command and
  reads back what happened (scores, verdicts, feedback, the grader's memory).
"""

"""Hidden lab inputs enter the grading kernel only after the student's last cell has run.

A lab is graded by calling the student's function on hidden inputs (:mod:`.labs`): the same for
every student and every term. The kernel is the student's, so whatever reaches it can be kept
(a function that stores its arguments in a global) and shown by any code that runs later: a cell
that prints them into the feedback, a display it updates, a widget whose state the notebook
keeps, an error message, a file. Hence, in :class:`HiddenLabCalls` (a part of
:class:`~.execute.SandboxedExecute`):

* right after a lab test cell, the kernel is only asked to *hold* the function it grades
  (:func:`.labs.hold_code`): no hidden input yet;
* once every cell of the notebook has run, and before the kernel is stopped, the held functions
  are called on the hidden inputs (:func:`.labs.report_code`). No student cell runs after that;
* while those calls run, nothing the kernel sends is kept but the reports themselves, stripped
  to the report (no display id that could update an earlier output, no other format, no widget
  or comm message); an error becomes a fixed message. The verdict then replaces the test cell's
  outputs with words of the grader's own (:mod:`.verdicts`, which neither echoes a lab report's
  texts nor keeps its results).

Files the function writes stay in the sandbox's in-memory copy of the submission (see
:mod:`.sandbox`), which is dropped with the kernel: nothing reaches ``autograded/`` or
``feedback/``. Without the sandbox (``--SandboxedExecute.sandbox=False``) that last guarantee is
gone, as every other.
"""

from __future__ import annotations

import contextlib
import os

from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output

from ..checks import REPORT_MIME
from ..contract import cells
from ..contract.calls import AuthoringError
from ..contract.coursedir import from_instructor_notebook, notebook_path
from ..contract.exercises import source_checks
from ..contract.labs import hidden_cases, hold_code, lab_checks, report_code

#: The only kinds of message kept while the hidden inputs are in the kernel (``status`` ends the
#: request; an error is replaced by :data:`STOPPED` below).
_KEPT = ("status", "display_data", "execute_result", "error")

STOPPED = (
    "the grader's call of your function on the hidden inputs stopped before it reported (the "
    "function raised an exception that is not an Exception, ran out of time, or stopped the kernel)"
)


def _stopped():
    return new_output(
        "error", ename="LabCallStopped", evalue=STOPPED, traceback=[f"LabCallStopped: {STOPPED}"]
    )


class HiddenLabCalls:
    """The hidden-input part of the grading executor (a mixin of ``SandboxedExecute``)."""

    def _reset_hidden_calls(self, resources) -> None:
        self._labs = None
        self._checks = None
        self._resources_seen = resources
        self._deferred: list[tuple[int, str]] = []  # (test cell index, request), in cell order
        self._hidden_phase = False

    # -- after a lab test cell: hold the function --------------------------------------------

    def _lab_hold_code(self, check) -> str:
        """The request sent right after a lab test cell: hold the function, no hidden input."""
        return hold_code(self._lab_check(check))  # AuthoringError: the caller grades the cell 0

    def _defer_lab_report(self, index: int, check, hold_outputs) -> None:
        """Queue the hidden call of a held function for the end of the notebook. If holding it
        failed (its name is not defined), the error is in the cell, the verdict says "not
        answered", and no hidden call is made."""
        if any(o.get("output_type") == "error" for o in hold_outputs):
            return
        hidden = self._lab_check(check)
        self._deferred.append((index, report_code(hidden, hidden_cases(hidden))))

    def _graded_check(self, cell):
        """The check a test cell grades, as ``source/`` has it: a released cell shows only
        ``check(gid, answer)`` (its items and cases are not in it, see seal.py)."""
        if self._checks is None:
            path = notebook_path(self, "source", self._resources_seen)
            if not os.path.exists(path):
                raise AuthoringError(f"cannot grade: the instructor notebook {path} is missing")
            self._checks = from_instructor_notebook(path, source_checks)
        found = self._checks.get(cells.grade_id(cell))
        if found is None:
            raise AuthoringError(
                f"test cell {cells.grade_id(cell)!r} is no test cell of the instructor's notebook: graded 0"
            )
        return found

    def _lab_check(self, check):
        """A lab's check as ``source/`` has it: the hidden seed is there, not in the release."""
        if self._labs is None:
            path = notebook_path(self, "source", self._resources_seen)
            if not os.path.exists(path):
                raise AuthoringError(f"cannot grade a lab: the instructor notebook {path} is missing")
            self._labs = from_instructor_notebook(path, lab_checks)
        hidden = self._labs.get(check.grade_id)
        if hidden is None:
            raise AuthoringError(
                f"test cell {check.grade_id!r} is no lab check of the instructor's notebook: graded 0"
            )
        return hidden

    # -- after the last cell: the hidden calls -------------------------------------------------

    @contextlib.contextmanager
    def setup_kernel(self, **kwargs):
        # nbconvert runs every cell inside this block; the kernel is stopped when it ends. The
        # hidden calls go last in it: after every cell, before the kernel stops. A notebook that
        # broke off with an exception gets none.
        with super().setup_kernel(**kwargs):
            yield
            self._call_hidden()

    def _call_hidden(self) -> None:
        pending, self._deferred = self._deferred, []
        kernel_stopped = False
        self._hidden_phase = True
        try:
            for index, code in pending:
                cell = self.nb.cells[index]
                if kernel_stopped:
                    cell.outputs.append(_stopped())
                    continue
                request = new_code_cell(code)
                try:
                    self.execute_cell(request, index, store_history=False)
                except (DeadKernelError, CellTimeoutError):
                    kernel_stopped = True
                finally:
                    self.nb.cells[index] = cell
                cell.outputs.extend(_reports_only(request.outputs))
        finally:
            self._hidden_phase = False

    def _hidden_message(self, msg):
        """During the hidden calls: the message to process (a copy, without its display id), or
        None to drop it (everything but what a report needs)."""
        if msg.get("msg_type") not in _KEPT:
            return None
        content = {k: v for k, v in (msg.get("content") or {}).items() if k != "transient"}
        return {**msg, "content": content}


def _reports_only(outputs) -> list:
    """Of a hidden call's outputs: each report, as the report alone, and at most one fixed error
    in place of whatever errors there were."""
    kept = []
    for out in outputs:
        data = out.get("data") if out.get("output_type") in ("display_data", "execute_result") else None
        if isinstance(data, dict) and REPORT_MIME in data:
            kept.append(new_output("display_data", data={REPORT_MIME: data[REPORT_MIME]}))
    if any(o.get("output_type") == "error" for o in outputs) or not kept:
        kept.append(_stopped())
    return kept

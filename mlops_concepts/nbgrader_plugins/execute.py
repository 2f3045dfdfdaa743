"""The autograder's executor: nbgrader's ``Execute``, made safe for a class of strangers.

Differences from nbgrader's own, each because a real submission can do it:

* **Sandbox.** The kernel starts inside bubblewrap (:mod:`mlops_concepts.nbgrader_plugins.sandbox`). If the
  sandbox cannot start, grading refuses to run the code, unless the instructor opts out explicitly
  with ``--SandboxedExecute.sandbox=False``. The launcher runs on the host in isolated mode, by
  absolute path, from a private folder: nothing next to the notebook is ever imported there.
* **Grades are reported, not tested.** After each test cell, the kernel is asked to report the
  answer (:func:`~mlops_concepts.contract.exercises.report_code`, derived from the visible
  ``check`` call, run without storing history). No hidden test code exists, so none can be
  printed into the student's own feedback. A lab's hidden inputs are sent only after the last
  cell, and nothing but the reports is kept of those calls (:mod:`.hidden_calls`).
* **One output budget per submission.** Every message the kernel sends while a cell runs (output
  of every kind, display updates, widget and other comm traffic) counts against a per-cell and a
  per-submission budget. Past it, messages are dropped as they arrive, with a note in the cell, so
  memory stays flat whatever the kernel sends.
* **One message is bounded before it is read.** The budget above counts decoded messages; a
  single message is bounded before the grader receives it. The launcher relays every socket and
  stops the kernel at the first message past ``max_message_bytes`` or ``max_message_frames``
  (:mod:`mlops_concepts.nbgrader_plugins.relay`); the grader's sockets refuse larger frames and queue
  only ``receive_queue`` messages (:mod:`mlops_concepts.nbgrader_plugins.kernel`). The cell gets an error
  saying so, the later cells are not run, and the grader never holds the message.
* **One time budget per submission.** Past ``max_notebook_seconds``, the remaining cells are not
  run (they score 0, with a note), so many slow cells cannot hold the class up.
* **A dying kernel costs only what it breaks.** ``os._exit``, running out of memory or a killed
  kernel used to abort the whole notebook. Here the cell that killed it and the cells after it get
  an error output saying so (and score 0); the cells before keep their results.
* **Loops that ignore interrupts.** nbgrader interrupts a cell that runs past ``timeout``. If the
  kernel has not answered within ``interrupt_grace`` seconds after that (the code swallowed the
  ``KeyboardInterrupt``), the kernel is stopped, and handled as above.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
import time
from queue import Empty

from jupyter_client.kernelspec import KernelSpec
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer, default

from ..checks import REPORT_MIME
from ..contract import cells
from ..contract.calls import AuthoringError
from ..contract.exercises import report_code
from . import relay, sandbox
from .hidden_calls import HiddenLabCalls
from .kernel import RECEIVE_QUEUE, GradingKernelManager
from .sandbox import MAX_MESSAGE_BYTES, MAX_MESSAGE_FRAMES

_probed: dict[str, str | None] = {}

#: Reports a test cell may still send once the output budget is spent (one is all it needs).
_REPORTS_PAST_BUDGET = 2
_REPORT_MAX_BYTES = 1_000_000


def _not_run(reason: str):
    return new_output("error", ename="CellNotRun", evalue=reason, traceback=[f"CellNotRun: {reason}"])


def message_size(msg) -> int:
    """Bytes a kernel message would add to the notebook or to the grader's memory."""
    return len(str(msg.get("content", {}))) + sum(len(b) for b in msg.get("buffers") or ())


class SandboxedExecute(HiddenLabCalls, Execute):
    """nbgrader's ``Execute`` with a sandboxed kernel, reported grades and bounded output."""

    sandbox = Bool(
        True,
        help="Run student code inside the bubblewrap sandbox. Set False only if you trust every "
        "submission: the code then runs with your permissions.",
    ).tag(config=True)
    memory_limit_mb = Integer(2048, help="Address-space limit of the grading kernel.").tag(config=True)
    cpu_limit_seconds = Integer(900, help="CPU-time limit of the grading kernel.").tag(config=True)
    interrupt_grace = Float(
        5.0, help="Seconds a timed-out cell gets to honour the interrupt before the kernel is stopped."
    ).tag(config=True)
    max_output_bytes = Integer(
        2_000_000, help="Output kept per cell while executing; the rest is dropped."
    ).tag(config=True)
    max_submission_output_bytes = Integer(
        20_000_000,
        help="Everything one submission's kernel may send (outputs, display updates, comm "
        "messages), over all its cells; the rest is dropped.",
    ).tag(config=True)
    max_message_bytes = Integer(
        MAX_MESSAGE_BYTES,
        help="The largest single message (all its frames) the kernel may send; past it the "
        "kernel is stopped. Enforced before the grader receives it (sandbox only) and, per "
        "frame, by the grader's sockets.",
    ).tag(config=True)
    max_message_frames = Integer(
        MAX_MESSAGE_FRAMES,
        help="The most frames in one message from the kernel; past it the kernel is stopped (sandbox only).",
    ).tag(config=True)
    receive_queue = Integer(
        RECEIVE_QUEUE, help="Messages the grader queues per socket before it stops reading from the kernel."
    ).tag(config=True)
    max_notebook_seconds = Float(
        600.0, help="Time one notebook may take in all; the cells after that are not run."
    ).tag(config=True)

    # Nothing of a grading kernel is kept: stop it at once instead of asking it to shut down
    # (a polite shutdown waits up to a second per student for a kernel nobody needs).
    @default("shutdown_kernel")
    def _stop_at_once(self):
        return "immediate"

    def __init__(self, *args, **kwargs):
        # jupyter_client's manager, without its fixed waits around each kernel (see .kernel).
        # nbgrader's Execute names its own manager class the same way, so this one comes first.
        kwargs.setdefault("kernel_manager_class", GradingKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb, resources, km=None):
        self._stopped_because = None
        self._cell_bytes: dict[int, int] = {}
        self._spent = 0
        self._reports_past_budget: dict[int, int] = {}
        self._truncated: set[int] = set()
        self._started = time.monotonic()
        self._workdir = os.path.abspath(resources.get("metadata", {}).get("path") or os.getcwd())
        self._socket_dir = None
        self._reset_hidden_calls(resources)
        if self.sandbox:
            if "reason" not in _probed:
                try:
                    sandbox.probe()
                    sandbox.compile_package()
                    _probed["reason"] = None
                except sandbox.SandboxUnavailable as err:
                    _probed["reason"] = str(err)
            if _probed["reason"]:
                raise sandbox.SandboxUnavailable(
                    "Refusing to run student code without a sandbox: " + _probed["reason"]
                )
            self._socket_dir = tempfile.mkdtemp(prefix="mlops-kernel-")
        try:
            return super().preprocess(nb, resources, km=km)
        finally:
            if self._socket_dir:
                sandbox.release_cgroups(os.path.basename(self._socket_dir))
                shutil.rmtree(self._socket_dir, ignore_errors=True)

    # -- the kernel ---------------------------------------------------------------------------

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        km.max_message_bytes = self.max_message_bytes
        km.receive_queue = self.receive_queue
        if self.sandbox:
            km.transport = "ipc"
            km.ip = os.path.join(self._socket_dir, "kernel")
            km._kernel_spec = KernelSpec(
                argv=self.launcher_argv(self._workdir),
                display_name="Python 3 (grading sandbox)",
                language="python",
                # "message": the kernel interrupts itself when asked over ZeroMQ. A signal would be
                # sent to the process group, which bubblewrap is in, and would kill the sandbox.
                interrupt_mode="message",
            )
        return km

    def launcher_argv(self, workdir: str) -> list[str]:
        """The host-side command that starts the sandboxed kernel for the notebook in ``workdir``.

        ``-I``: isolated mode, so neither the working directory nor the launcher's folder is on
        ``sys.path``; an absolute path, so nothing is looked up; ``-B``: no bytecode written.
        """
        return [
            sys.executable,
            "-I",
            "-B",
            sandbox.LAUNCHER,
            "--workdir",
            workdir,
            "--memory-mb",
            str(self.memory_limit_mb),
            "--cpu-seconds",
            str(self.cpu_limit_seconds),
            "--max-message-bytes",
            str(self.max_message_bytes),
            "--max-message-frames",
            str(self.max_message_frames),
            "-f",
            "{connection_file}",
        ]

    async def async_start_new_kernel(self, **kwargs):
        if self.sandbox:
            # The launcher runs on the host: never in the student's folder (nbclient would start it
            # there), so no file of the submission can stand in for a module it imports.
            kwargs["cwd"] = self._socket_dir
        return await super().async_start_new_kernel(**kwargs)

    # -- cells ---------------------------------------------------------------------------------

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        elapsed = time.monotonic() - self._started
        if not self._stopped_because and elapsed > self.max_notebook_seconds:
            self._stopped_because = f"the notebook ran for more than {self.max_notebook_seconds:.0f} s in all"
        if self._stopped_because:
            cell.outputs = [_not_run(f"this cell was not run because {self._stopped_because}")]
            return cell, self.resources
        try:
            cell, _ = super().preprocess_cell(cell, resources, index)
            if cells.is_test(cell):
                self._report(cell, index)
            return cell, self.resources
        except (DeadKernelError, CellTimeoutError) as err:
            breach = relay.stop_reason(self._socket_dir)
            if breach:
                sent = self._breach_text(breach)
                self._stopped_because = f"the kernel was stopped in an earlier cell for sending {sent}"
            elif isinstance(err, DeadKernelError) or not self._stopped_because:
                self._stopped_because = (
                    "the kernel stopped in an earlier cell (it exited, ran out of memory or was killed)"
                )
            why = (
                f"the grader stopped the kernel: this cell sent {self._breach_text(breach)}"
                if breach
                else "it exited, ran out of memory, was killed, or ignored an interrupt"
            )
            cell = self.nb.cells[index]
            cell.outputs.append(
                new_output(
                    "error",
                    ename="KernelStopped",
                    evalue="the kernel stopped while running this cell",
                    traceback=[f"KernelStopped: the kernel stopped while running this cell ({why})"],
                )
            )
            return cell, self.resources

    def _breach_text(self, breach: str) -> str:
        """What a relay breach code means, for the student's feedback."""
        if breach == "frames":
            return f"one message of more than {self.max_message_frames} parts"
        if breach == "bytes":
            return f"one message larger than {self.max_message_bytes / 1_000_000:g} MB"
        return "data that is not a kernel message"

    def _report(self, cell, index) -> None:
        """Ask the kernel for the answer this test cell grades; its outputs join the cell's."""
        try:
            check = self._graded_check(cell)  # from source/: the released call is short
            # A lab's function is only held here; its report waits for the last cell.
            code = self._lab_hold_code(check) if check.is_lab else report_code(check)
        except AuthoringError as err:  # no report: the verdict step grades the cell 0
            self.log.error("%s", err)
            return
        request = new_code_cell(code)
        try:
            self.execute_cell(request, index, store_history=False)
        finally:
            self.nb.cells[index] = cell  # nbclient stores the cell it ran at the index
            cell.outputs.extend(request.outputs)
        if check.is_lab:
            self._defer_lab_report(index, check, request.outputs)

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        try:
            await asyncio.wait_for(self._interrupted_reply(), self.interrupt_grace)
        except asyncio.TimeoutError:
            self.log.error("Kernel ignored the interrupt; stopping it")
            self._stopped_because = f"an earlier cell ran for more than {timeout} s and ignored the interrupt"
            await self.km.shutdown_kernel(now=True)
        return reply

    async def _interrupted_reply(self):
        while True:
            try:
                msg = await self.kc.shell_channel.get_msg(timeout=0.2)
            except Empty:
                continue
            if msg.get("msg_type") == "execute_reply":
                return msg

    # -- the output budget --------------------------------------------------------------------

    def _is_small_report(self, msg, size: int) -> bool:
        data = msg.get("content", {}).get("data")
        return isinstance(data, dict) and REPORT_MIME in data and size <= _REPORT_MAX_BYTES

    def process_message(self, msg, cell, cell_index):
        """Count every message against the budgets before nbclient stores anything of it."""
        if self._hidden_phase and (msg := self._hidden_message(msg)) is None:
            return None  # the hidden inputs are in the kernel: only reports are kept
        if msg.get("msg_type") == "status":  # "idle" ends the cell: always through
            return super().process_message(msg, cell, cell_index)
        size = message_size(msg)
        used = self._cell_bytes.get(cell_index, 0) + size
        self._cell_bytes[cell_index] = used
        self._spent += size
        if used > self.max_output_bytes or self._spent > self.max_submission_output_bytes:
            allowed = self._reports_past_budget.get(cell_index, 0)
            if self._is_small_report(msg, size) and allowed < _REPORTS_PAST_BUDGET:
                self._reports_past_budget[cell_index] = allowed + 1
            else:
                self._note_truncated(cell, cell_index)
                return None
        return super().process_message(msg, cell, cell_index)

    def _note_truncated(self, cell, cell_index) -> None:
        if cell_index in self._truncated:
            return
        self._truncated.add(cell_index)
        whole = self._spent > self.max_submission_output_bytes
        limit = self.max_submission_output_bytes if whole else self.max_output_bytes
        scope = "this notebook" if whole else "this cell"
        cell.outputs.append(
            new_output(
                "stream",
                name="stdout",
                text=f"\n[output truncated by the grader: {scope} sent more than "
                f"{limit // 1_000_000} MB of output]\n",
            )
        )

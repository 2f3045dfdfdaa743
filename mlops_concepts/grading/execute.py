"""The autograder's executor: nbgrader's ``Execute``, made safe for a class of strangers.

Differences from nbgrader's own, each because a real submission can do it:

* **Sandbox.** The kernel starts inside bubblewrap (:mod:`mlops_concepts.grading.sandbox`). If the
  sandbox cannot start, grading refuses to run the code, unless the instructor opts out explicitly
  with ``--SandboxedExecute.sandbox=False``.
* **A dying kernel costs only what it breaks.** ``os._exit``, running out of memory or a killed
  kernel used to abort the whole notebook. Here the cell that killed it and the cells after it get
  an error output saying so (and score 0); the cells before keep their results.
* **Loops that ignore interrupts.** nbgrader interrupts a cell that runs past ``timeout``. If the
  kernel has not answered within ``interrupt_grace`` seconds after that (the code swallowed the
  ``KeyboardInterrupt``), the kernel is stopped, and handled as above.
* **Output floods.** Output beyond ``max_output_bytes`` per cell is dropped while it streams in, so
  a cell printing gigabytes cannot exhaust the grader's memory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sys
import tempfile
from queue import Empty

from jupyter_client.kernelspec import KernelSpec
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbformat.v4 import new_output
from nbgrader.preprocessors import Execute
from traitlets import Bool, Float, Integer

from . import sandbox

_probed: dict[str, str | None] = {}


def _not_run(reason: str):
    return new_output("error", ename="CellNotRun", evalue=reason,
                      traceback=[f"CellNotRun: {reason}"])


class SandboxedExecute(Execute):
    """nbgrader's ``Execute`` with a sandboxed kernel and per-cell containment of failures."""

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

    def preprocess(self, nb, resources, km=None):
        self._stopped_because = None
        self._output_bytes = {}
        self._truncated = set()
        self._socket_dir = None
        if self.sandbox:
            if "reason" not in _probed:
                try:
                    sandbox.probe()
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

    def create_kernel_manager(self):
        km = super().create_kernel_manager()
        if self.sandbox:
            km.transport = "ipc"
            km.ip = os.path.join(self._socket_dir, "kernel")
            km._kernel_spec = KernelSpec(
                argv=[
                    sys.executable, "-m", "mlops_concepts.grading.sandbox",
                    "--memory-mb", str(self.memory_limit_mb),
                    "--cpu-seconds", str(self.cpu_limit_seconds),
                    "-f", "{connection_file}",
                ],
                display_name="Python 3 (grading sandbox)",
                language="python",
                # "message": the kernel interrupts itself when asked over ZeroMQ. A signal would be
                # sent to the process group, which bubblewrap is in, and would kill the sandbox.
                interrupt_mode="message",
            )
        return km

    def preprocess_cell(self, cell, resources, index):
        if cell.cell_type != "code" or not cell.source.strip():
            return cell, resources
        if self._stopped_because:
            cell.outputs = [_not_run(f"this cell was not run because {self._stopped_because}")]
            return cell, self.resources
        try:
            return super().preprocess_cell(cell, resources, index)
        except (DeadKernelError, CellTimeoutError) as err:
            if isinstance(err, DeadKernelError) or not self._stopped_because:
                self._stopped_because = (
                    "the kernel stopped in an earlier cell (it exited, ran out of memory or was killed)"
                )
            cell.outputs.append(new_output(
                "error", ename="KernelStopped",
                evalue="the kernel stopped while running this cell",
                traceback=["KernelStopped: the kernel stopped while running this cell "
                           "(it exited, ran out of memory, was killed, or ignored an interrupt)"],
            ))
            return cell, self.resources

    async def _async_handle_timeout(self, timeout, cell=None):
        reply = await super()._async_handle_timeout(timeout, cell)
        try:
            await asyncio.wait_for(self._interrupted_reply(), self.interrupt_grace)
        except asyncio.TimeoutError:
            self.log.error("Kernel ignored the interrupt; stopping it")
            self._stopped_because = (
                f"an earlier cell ran for more than {timeout} s and ignored the interrupt"
            )
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

    def _over_budget(self, cell_index, msg) -> bool:
        """Count every byte a message would add (text, data, metadata, tracebacks)."""
        size = len(str(msg.get("content", {})))
        used = self._output_bytes.get(cell_index, 0)
        self._output_bytes[cell_index] = used + size
        return used + size > self.max_output_bytes

    def output(self, outs, msg, display_id, cell_index):
        if self._over_budget(cell_index, msg):
            if cell_index not in self._truncated:
                self._truncated.add(cell_index)
                outs.append(new_output("stream", name="stdout",
                                       text="\n[output truncated by the grader]\n"))
            return None
        return super().output(outs, msg, display_id, cell_index)

    def _update_display_id(self, display_id, msg):
        # update_display_data rewrites earlier outputs in place: limited like new output.
        if self._over_budget(("update", display_id), msg):
            return
        return super()._update_display_id(display_id, msg)

"""The grading kernel's manager and client: jupyter_client's, starting and stopping without fixed waits.

A class is graded one fresh kernel per student, so what jupyter_client spends around each kernel,
not running any code, is paid once per student:

* **Ready.** Its client asks the kernel for ``kernel_info`` and, once it replies, waits up to 0.2 s
  for any message on IOPub (the proof that the subscription is live; messages published before
  it reached the kernel are lost), starting over if none came, then drains IOPub until it has
  been silent for 0.2 s: at least a fifth of a second asleep per kernel, often two fifths.
  :class:`GradingKernelClient` waits for the one message that proves the subscription and the
  reply both, the ``idle`` status of one of its own ``kernel_info`` requests, asking again every
  20 ms until it comes, and drops only what has already arrived. Messages arriving later still
  reach nbclient, which ignores anything that does not answer its own requests.
* **Stopped.** Once the kernel is killed, the manager checks every 0.1 s whether it is gone, so
  about a tenth of a second passes after it is. :class:`GradingKernelManager` checks every 5 ms.

* **Bounded.** Every socket either of them opens on the kernel (:func:`bounded_context`) refuses a
  frame past ``max_message_bytes`` (``ZMQ_MAXMSGSIZE``) and queues at most ``receive_queue``
  messages (``ZMQ_RCVHWM``) before it stops reading from the kernel. ZeroMQ reads ahead of the
  grader in a thread of its own, up to 1000 messages per socket by default: how much of a burst
  the grader held depended on how fast it drained them. With the queue bounded, it holds at most
  ``receive_queue`` messages per socket, each no larger than the launcher's relay lets through
  (:mod:`mlops_concepts.nbgrader_plugins.relay`), however fast the kernel sends or slowly the grader reads.

Both keep jupyter_client's timeouts and errors. The private methods overridden are pinned in
``tests/unit/test_private_apis.py``.
"""

from __future__ import annotations

import time
from queue import Empty

import zmq
import zmq.asyncio
from jupyter_client.asynchronous import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager
from traitlets import Integer, default

from .sandbox import MAX_MESSAGE_BYTES

#: How long the client waits for its ``kernel_info`` requests' idle status on IOPub before asking
#: again (jupyter_client waits 0.2 s for any IOPub message, then starts over).
IOPUB_RETRY_SECONDS = 0.02
#: How often a killed kernel is checked for having stopped.
STOPPED_POLL_SECONDS = 0.005
#: Messages each of the grader's sockets queues before it stops reading from the kernel.
RECEIVE_QUEUE = 4


def bounded_context(max_message_bytes: int, receive_queue: int) -> zmq.asyncio.Context:
    """A ZeroMQ context whose sockets take frames of at most ``max_message_bytes`` and queue at
    most ``receive_queue`` messages (pyzmq applies a context's options to every socket it makes)."""
    context = zmq.asyncio.Context()
    context.setsockopt(zmq.MAXMSGSIZE, max_message_bytes)
    context.setsockopt(zmq.RCVHWM, receive_queue)
    return context


class GradingKernelClient(AsyncKernelClient):
    # The name jupyter_client's own default has (a plain method, not a traitlets decorator).
    def _context_default(self) -> zmq.asyncio.Context:
        self._created_context = True  # so jupyter_client destroys it with the client
        # The manager that made this client carries the executor's settings.
        return bounded_context(
            getattr(self.parent, "max_message_bytes", MAX_MESSAGE_BYTES),
            getattr(self.parent, "receive_queue", RECEIVE_QUEUE),
        )

    # jupyter_client binds ``wait_for_ready`` to its own implementation when the class is made,
    # so this overrides the public name.
    async def wait_for_ready(self, timeout: float | None = None) -> None:
        deadline = time.monotonic() + (float("inf") if timeout is None else timeout)
        asked: set[str] = set()

        def still_starting() -> None:
            if time.monotonic() > deadline:
                raise RuntimeError(f"Kernel didn't respond in {timeout:.0f} seconds")

        # 1. The kernel answers on the shell channel: it is up.
        while True:
            asked.add(self.kernel_info())
            try:
                reply = await self.shell_channel.get_msg(timeout=1)
            except Empty:
                reply = None
            if reply is not None and reply["msg_type"] == "kernel_info_reply":
                break
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before replying to kernel_info")
            still_starting()
        # 2. IOPub is live once it carries the idle status of one of our requests. Messages
        # published before the subscription reached the kernel are lost, so ask again, often.
        while not await self._idle_seen(asked):
            if not await self._async_is_alive():
                raise RuntimeError("Kernel died before its IOPub channel was connected")
            still_starting()
            asked.add(self.kernel_info())
        self._handle_kernel_info_reply(reply)
        # What arrived before the proof, and the answers to the extra requests already here,
        # are dropped without waiting for more; later ones are ignored by nbclient.
        for channel in (self.iopub_channel, self.shell_channel):
            while True:
                try:
                    await channel.get_msg(timeout=0)
                except Empty:
                    break

    async def _idle_seen(self, asked: set[str]) -> bool:
        """Whether IOPub brings the idle status of one of our ``kernel_info`` requests in time."""
        until = time.monotonic() + IOPUB_RETRY_SECONDS
        while (left := until - time.monotonic()) > 0:
            try:
                msg = await self.iopub_channel.get_msg(timeout=left)
            except Empty:
                return False
            if (
                msg["msg_type"] == "status"
                and msg["content"].get("execution_state") == "idle"
                and msg["parent_header"].get("msg_id") in asked
            ):
                return True
        return False


class GradingKernelManager(AsyncKernelManager):
    max_message_bytes = Integer(
        MAX_MESSAGE_BYTES, help="The largest frame any socket on the kernel accepts (ZMQ_MAXMSGSIZE)."
    ).tag(config=True)
    receive_queue = Integer(
        RECEIVE_QUEUE, help="Messages each socket on the kernel queues before it stops reading (ZMQ_RCVHWM)."
    ).tag(config=True)

    @default("context")
    def _bounded_context(self) -> zmq.asyncio.Context:
        self._created_context = True  # so jupyter_client destroys it with the manager
        return bounded_context(self.max_message_bytes, self.receive_queue)

    @default("client_class")
    def _grading_client_class(self):
        return f"{__name__}.GradingKernelClient"

    @default("client_factory")
    def _grading_client_factory(self):
        return GradingKernelClient

    async def _async_wait(self, pollinterval: float = 0.1) -> None:
        await super()._async_wait(pollinterval=min(pollinterval, STOPPED_POLL_SECONDS))

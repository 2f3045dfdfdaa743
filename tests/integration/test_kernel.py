"""The grading kernel's manager and client (mlops_concepts/nbgrader_plugins/kernel.py) on real kernels.

They drop jupyter_client's fixed waits around each kernel; these tests check that nothing else
changed: the first request's output still arrives, and a kernel that dies or never answers is
still reported, not waited for forever. (How much time they save is measured by
benchmarks/class_grading.py, not here.)
"""

from __future__ import annotations

import asyncio
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from jupyter_client.kernelspec import KernelSpec

from mlops_concepts.nbgrader_plugins import sandbox
from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute
from mlops_concepts.nbgrader_plugins.kernel import GradingKernelClient, GradingKernelManager


def _manager(argv: list[str]) -> GradingKernelManager:
    km = GradingKernelManager()
    km._kernel_spec = KernelSpec(argv=argv, display_name="test", language="python")
    return km


def _run(coroutine):
    """Run on an event loop of its own, in a thread: the browser tests' Playwright keeps a loop
    running in the main thread for the whole session, where asyncio.run refuses to start."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


KERNEL = [sys.executable, "-I", "-c", sandbox.KERNEL_MAIN, "-f", "{connection_file}"]


def test_the_executor_uses_the_grading_manager_and_client():
    km = SandboxedExecute().kernel_manager_class()
    assert isinstance(km, GradingKernelManager)
    assert isinstance(km.client(), GradingKernelClient)


@pytest.mark.parametrize("round_", range(3))
def test_a_ready_kernel_loses_no_output_of_the_first_request(round_):
    async def main():
        km = _manager(KERNEL)
        await km.start_kernel()
        kc = km.client()
        handled = []
        kc._handle_kernel_info_reply = lambda msg: handled.append(msg["msg_type"])
        kc.start_channels()
        try:
            await kc.wait_for_ready(timeout=60)
            assert handled == ["kernel_info_reply"]  # read once, as jupyter_client does
            msg_id = kc.execute("print('first words')")
            seen = []
            while True:
                msg = await kc.iopub_channel.get_msg(timeout=30)
                if msg["parent_header"].get("msg_id") != msg_id:
                    continue
                seen.append(msg["msg_type"])
                if msg["msg_type"] == "stream":
                    assert msg["content"]["text"] == "first words\n"
                if msg["msg_type"] == "status" and msg["content"]["execution_state"] == "idle":
                    break
            assert seen[0] == "status" and "execute_input" in seen and "stream" in seen
            reply = await kc._async_recv_reply(msg_id, timeout=30)
            assert reply["content"]["status"] == "ok"
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        assert not await km.is_alive()

    _run(main())


@pytest.mark.parametrize(
    "code,timeout,error",
    [
        ("import sys; sys.exit(3)", 60, "died"),
        ("import time; time.sleep(120)", 2, "didn't respond in 2 seconds"),
    ],
    ids=["dies-at-start", "never-answers"],
)
def test_a_kernel_that_dies_or_never_answers_is_reported(code, timeout, error):
    async def main():
        km = _manager([sys.executable, "-c", code, "{connection_file}"])
        await km.start_kernel()
        kc = km.client()
        kc.start_channels()
        try:
            with pytest.raises(RuntimeError, match=error):
                await kc.wait_for_ready(timeout=timeout)
        finally:
            kc.stop_channels()
            await km.shutdown_kernel(now=True)
        assert not await km.is_alive()

    _run(main())

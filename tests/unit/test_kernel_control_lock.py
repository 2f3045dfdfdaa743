"""etc/ipython/ipython_kernel_config.py: ipykernel's _control_lock exists before the control
channel is subscribed (ipykernel issue 1567), and every kernel of the environment loads it.

Without it, a control message that arrives right after a restart (JupyterLab sends one) finds no
lock and the kernel prints "KeyError: '_control_lock'" and a traceback to the terminal.
"""

from __future__ import annotations

import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from ipykernel.kernelbase import Kernel

REPO = Path(__file__).resolve().parents[2]
CONFIG = REPO / "etc" / "ipython" / "ipython_kernel_config.py"


class RecordingStream:
    """A control stream that notes, when start() subscribes to it, whether the lock exists yet:
    the moment a waiting control message would be dispatched."""

    def __init__(self, kernel):
        self.kernel, self.lock_when_subscribed = kernel, None

    def on_recv(self, callback, copy=True):
        self.lock_when_subscribed = "_control_lock" in self.kernel._trait_values


def lock_when_subscribed() -> bool:
    kernel = Kernel()
    stream = RecordingStream(kernel)
    kernel._trait_values["control_stream"] = stream  # a stand-in: no sockets in a unit test
    try:
        kernel.start()
    except Exception:  # noqa: BLE001 - what start() does after subscribing needs a session
        pass
    return stream.lock_when_subscribed


@pytest.fixture
def patched(monkeypatch):
    monkeypatch.setattr(Kernel, "start", Kernel.start)  # restored after the test
    runpy.run_path(str(CONFIG))


def test_ipykernel_still_subscribes_before_it_makes_the_lock():
    """The race the file works around (if this fails, a fixed ipykernel is installed: drop the file)."""
    assert lock_when_subscribed() is False


def test_with_the_config_the_lock_exists_when_the_channel_is_subscribed(patched):
    assert lock_when_subscribed() is True
    wrapped = Kernel.start
    runpy.run_path(str(CONFIG))  # loaded twice (several config dirs): wrapped once
    assert Kernel.start is wrapped


def test_every_kernel_of_the_environment_loads_it():
    installed = Path(sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py"
    assert installed.read_text() == CONFIG.read_text(), "run make: it installs etc/ipython/ into .venv"
    code = (
        "from jupyter_client.manager import start_new_kernel\n"
        "km, kc = start_new_kernel(kernel_name='python3')\n"
        "try:\n"
        "    reply = kc.execute_interactive('from ipykernel.kernelbase import Kernel; "
        'print(getattr(Kernel.start, "control_lock_first", False))\', timeout=60, '
        "output_hook=lambda m: m['msg_type'] == 'stream' and print(m['content']['text'], end=''))\n"
        "finally:\n"
        "    kc.stop_channels(); km.shutdown_kernel(now=True)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True", done.stdout + done.stderr

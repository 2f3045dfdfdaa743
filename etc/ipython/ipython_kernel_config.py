"""Installed as ``<prefix>/etc/ipython/ipython_kernel_config.py`` by ``make`` and ``pip install .``.

Keeps ipykernel's ``_control_lock`` traceback off the student's terminal (ipykernel issue 1567,
open; present in every release the constraints allow). ``Kernel.start`` subscribes to the control
channel before it creates ``_control_lock``; JupyterLab sends a control message as soon as a
restarted kernel is up, and when it arrives in between, the kernel's control thread fails with
"KeyError: '_control_lock'" and a page of traceback in the terminal that runs JupyterLab. Creating
the lock before ``start`` runs closes that window (``start`` then replaces it with its own).

Every ipykernel in this environment reads this file before it starts: it uses the standard library
and ipykernel only, and does nothing if ipykernel's internals are not what it expects.
"""


def _control_lock_before_start():
    import asyncio

    try:
        from ipykernel.kernelbase import Kernel
    except ImportError:
        return
    start = Kernel.start
    if getattr(start, "control_lock_first", False) or "_control_lock" not in Kernel.class_traits():
        return

    def start_with_control_lock(self):
        self._control_lock = asyncio.Lock()
        return start(self)

    start_with_control_lock.control_lock_first = True
    Kernel.start = start_with_control_lock


_control_lock_before_start()

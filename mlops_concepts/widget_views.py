"""No "Error displaying widget: model not found": widget views of a kernel that is gone are dropped.

A widget output in a notebook file holds only the id of a widget model that lives in the kernel
which drew it (the course never saves widget state: it would put feedback and explanations into
the file a student submits). When that kernel has restarted or stopped, JupyterLab cannot find the
model and shows "Error displaying widget: model not found" in place of every checkpoint, for
example after "Restart Kernel" and a page reload, or when a notebook is opened the next day.

Two halves, so that only outputs whose model is really gone are touched:

* in the kernel, :func:`view_metadata` marks the outputs of the course's widgets (checkpoints,
  the progress display) with the id of the kernel process that holds their models;
* in the Jupyter server, the extension loaded from this module (enabled in
  ``etc/jupyter/jupyter_server_config.d/mlops_concepts.json``) wraps the contents manager's
  ``get``: when a notebook is opened, :func:`drop_stale_views` removes the widget view of every
  output that a live kernel of this notebook cannot hold, so the output's own text form shows
  instead (it says to run the cell). Outputs of a live kernel keep their views: a page reload
  with the kernel running shows the live widgets, as before.

A widget output without the mark (someone else's widget) is kept while a kernel of the notebook
runs (it may be live) and dropped when none runs (then it certainly is not). The file on disk is
not changed by opening it; the next save writes what JupyterLab shows.
"""

from __future__ import annotations

import inspect
import os

WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"

#: Key of the course's entry in an output's metadata.
METADATA_KEY = "mlops_concepts"


def view_metadata() -> dict:
    """Output metadata for a widget view drawn by this (kernel) process."""
    return {METADATA_KEY: {"kernel_pid": os.getpid()}}


def _is_stale(output: dict, live_pids: set[int]) -> bool:
    if not live_pids:
        return True  # no kernel runs for this notebook: no model of any output exists
    mark = output.get("metadata", {}).get(METADATA_KEY)
    pid = mark.get("kernel_pid") if isinstance(mark, dict) else None
    if not isinstance(pid, int) or isinstance(pid, bool):
        return False  # not ours: it may belong to the live kernel, so it is kept
    return pid not in live_pids


def drop_stale_views(notebook: dict, live_pids: set[int]) -> int:
    """Remove, in place, the widget view of each output no kernel in ``live_pids`` can hold.

    The output's other forms (its text) stay; an output left with nothing is removed. Returns how
    many views were dropped. Anything malformed is left as it is (this is not a validator).
    """
    dropped = 0
    cells = notebook.get("cells") if isinstance(notebook, dict) else None
    for cell in cells if isinstance(cells, list) else []:
        outputs = cell.get("outputs") if isinstance(cell, dict) else None
        if not isinstance(outputs, list):
            continue
        kept = []
        for output in outputs:
            data = output.get("data") if isinstance(output, dict) else None
            if isinstance(data, dict) and WIDGET_VIEW in data and _is_stale(output, live_pids):
                del data[WIDGET_VIEW]
                dropped += 1
                if not data:
                    continue
            kept.append(output)
        outputs[:] = kept
    return dropped


async def _live_kernel_pids(serverapp, path: str) -> set[int]:
    """Process ids of the kernels of the sessions open on ``path`` (local kernels only)."""
    pids = set()
    try:
        sessions = await _maybe_await(serverapp.session_manager.list_sessions())
    except Exception:
        return pids
    for session in sessions:
        if str(session.get("path", "")).strip("/") != path.strip("/"):
            continue
        kernel_id = (session.get("kernel") or {}).get("id")
        try:
            manager = serverapp.kernel_manager.get_kernel(kernel_id)
        except Exception:
            continue
        pid = getattr(getattr(manager, "provisioner", None), "pid", None)
        if isinstance(pid, int):
            pids.add(pid)
        else:  # a kernel we cannot identify (remote): keep every view, as before this module
            pids.add(-1)
    return pids


async def _maybe_await(value):
    return await value if inspect.isawaitable(value) else value


def _wrap_get(serverapp) -> None:
    manager = serverapp.contents_manager
    original = manager.get

    async def get(path, content=True, type=None, format=None, **kwargs):
        model = await _maybe_await(original(path, content=content, type=type, format=format, **kwargs))
        if content and isinstance(model, dict) and model.get("type") == "notebook":
            try:
                pids = await _live_kernel_pids(serverapp, path)
                if -1 not in pids:
                    drop_stale_views(model.get("content"), pids)
            except Exception:  # never stop a notebook from opening
                serverapp.log.exception("mlops_concepts: could not check widget views of %s", path)
        return model

    manager.get = get


def _load_jupyter_server_extension(serverapp) -> None:
    if not inspect.iscoroutinefunction(serverapp.contents_manager.get):
        # A synchronous contents manager has synchronous callers: leave it alone.
        serverapp.log.warning("mlops_concepts: synchronous contents manager; widget views kept")
        return
    _wrap_get(serverapp)
    serverapp.log.info("mlops_concepts: widget views of a stopped kernel are dropped on open")


def _jupyter_server_extension_points():
    return [{"module": "mlops_concepts.widget_views"}]

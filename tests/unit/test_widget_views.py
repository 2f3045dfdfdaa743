"""Widget views of a kernel that is gone are dropped when a notebook is opened (issue 29 item 4).

The server half is tested here on notebook dicts and with a stand-in server; the browser test
(tests/browser/test_checkpoints_browser.py) shows it end to end in JupyterLab.
"""

from __future__ import annotations

import asyncio
import copy
import logging
from concurrent.futures import ThreadPoolExecutor
from types import SimpleNamespace

from mlops_concepts import widget_views
from mlops_concepts.widget_views import WIDGET_VIEW, drop_stale_views, view_metadata


def widget_output(pid=None, text="Checkpoint: Q"):
    output = {
        "output_type": "display_data",
        "data": {WIDGET_VIEW: {"model_id": "abc", "version_major": 2}, "text/plain": text},
        "metadata": {},
    }
    if pid is not None:
        output["metadata"] = {"mlops_concepts": {"kernel_pid": pid}}
    return output


def notebook(*outputs):
    return {"cells": [{"cell_type": "code", "source": "", "outputs": list(outputs)}]}


def test_views_of_a_kernel_that_is_gone_are_dropped_text_stays():
    nb = notebook(widget_output(pid=111), widget_output(pid=222))
    assert drop_stale_views(nb, {222}) == 1
    first, second = nb["cells"][0]["outputs"]
    assert first["data"] == {"text/plain": "Checkpoint: Q"}
    assert WIDGET_VIEW in second["data"]


def test_no_live_kernel_drops_every_view_and_empty_outputs():
    bare = widget_output()
    del bare["data"]["text/plain"]
    nb = notebook(widget_output(pid=1), widget_output(), bare, {"output_type": "stream", "text": "hi"})
    assert drop_stale_views(nb, set()) == 3
    outputs = nb["cells"][0]["outputs"]
    assert [o.get("data") for o in outputs] == [{"text/plain": "Checkpoint: Q"}] * 2 + [None]


def test_unmarked_views_are_kept_while_a_kernel_runs():
    nb = notebook(widget_output())
    assert drop_stale_views(nb, {5}) == 0
    assert WIDGET_VIEW in nb["cells"][0]["outputs"][0]["data"]


def test_malformed_notebooks_are_left_alone():
    for nb in [None, {}, {"cells": "x"}, {"cells": [None, {"outputs": "x"}, {"outputs": [None, 3]}]}]:
        before = copy.deepcopy(nb)
        assert drop_stale_views(nb, set()) == 0
        assert nb == before
    odd = notebook(widget_output(pid=True), widget_output(pid="7"))
    assert drop_stale_views(odd, {1}) == 0  # marks that are not process ids: not ours


def test_view_metadata_names_this_process():
    import os

    assert view_metadata() == {"mlops_concepts": {"kernel_pid": os.getpid()}}


class FakeServer:
    """Just what the extension uses: a contents manager, sessions and kernel managers."""

    def __init__(self, nb, sessions, kernels):
        async def get(path, content=True, type=None, format=None):
            return {"type": "notebook", "path": path, "content": copy.deepcopy(nb) if content else None}

        async def list_sessions():
            return sessions

        self.contents_manager = SimpleNamespace(get=get)
        self.session_manager = SimpleNamespace(list_sessions=list_sessions)
        self.kernel_manager = SimpleNamespace(get_kernel=lambda kid: kernels[kid])
        self.log = logging.getLogger("fake-server")


def kernel(pid):
    return SimpleNamespace(provisioner=SimpleNamespace(pid=pid))


def opened(server, path="a/nb.ipynb"):
    # In a thread of its own: the browser tests' Playwright keeps an event loop running in this
    # one for the whole session, and asyncio.run refuses to start inside a running loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        model = pool.submit(asyncio.run, server.contents_manager.get(path)).result()
    return [WIDGET_VIEW in o["data"] for o in model["content"]["cells"][0]["outputs"]]


def test_the_extension_drops_only_views_the_live_kernel_of_this_notebook_cannot_hold():
    nb = notebook(widget_output(pid=10), widget_output(pid=20))
    sessions = [
        {"path": "a/nb.ipynb", "kernel": {"id": "k1"}},
        {"path": "other.ipynb", "kernel": {"id": "k2"}},  # another notebook's kernel
    ]
    server = FakeServer(nb, sessions, {"k1": kernel(20), "k2": kernel(10)})
    widget_views._load_jupyter_server_extension(server)
    assert opened(server) == [False, True]
    assert opened(server, "b.ipynb") == [False, False]  # no kernel for it: every view is stale


def test_the_extension_keeps_every_view_of_a_kernel_it_cannot_identify():
    nb = notebook(widget_output(pid=10))
    server = FakeServer(nb, [{"path": "nb.ipynb", "kernel": {"id": "k"}}], {"k": SimpleNamespace()})
    widget_views._load_jupyter_server_extension(server)
    assert opened(server, "nb.ipynb") == [True]


def test_the_extension_never_stops_a_notebook_from_opening():
    nb = notebook(widget_output(pid=10))
    server = FakeServer(nb, [], {})

    async def broken():
        raise RuntimeError("no sessions")

    server.session_manager.list_sessions = broken
    widget_views._load_jupyter_server_extension(server)
    assert opened(server) == [False]  # no session known: nothing can hold the view

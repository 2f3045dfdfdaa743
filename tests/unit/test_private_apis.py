"""The private nbclient and jupyter_client APIs the grading executor relies on are still there.

``SandboxedExecute`` (mlops_concepts/nbgrader_plugins/execute.py) overrides or calls methods that are not
part of nbclient's or jupyter_client's documented API. Both packages are pinned in pyproject.toml;
these tests fail loudly, naming the method, if an upgrade changes any of them, instead of letting
the sandbox or the output budget silently stop working.
"""

from __future__ import annotations

import inspect
from importlib import metadata

import pytest
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient
from packaging.utils import canonicalize_name

from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute
from support.course import REPO

# method -> the parameters our override or call passes, in order
EXPECTED = {
    (NotebookClient, "process_message"): ["self", "msg", "cell", "cell_index"],
    (NotebookClient, "_async_handle_timeout"): ["self", "timeout", "cell"],
    (NotebookClient, "async_start_new_kernel"): ["self", "kwargs"],
    (NotebookClient, "async_execute_cell"): [
        "self",
        "cell",
        "cell_index",
        "execution_count",
        "store_history",
    ],
    (NotebookClient, "create_kernel_manager"): ["self"],
}


@pytest.mark.parametrize("owner,name", sorted(EXPECTED, key=lambda k: k[1]))
def test_signature_is_unchanged(owner, name):
    params = list(inspect.signature(getattr(owner, name)).parameters)
    assert params == EXPECTED[owner, name], f"{owner.__name__}.{name} changed: {params}"


# The packages whose internals the course relies on: their installed versions must be the ones
# constraints.txt locks (the versions these tests were last read against).
REACHED_INTO = ("nbclient", "jupyter_client", "nbgrader", "nbconvert", "mistune", "traitlets", "SQLAlchemy")


@pytest.mark.parametrize("package", REACHED_INTO)
def test_the_versions_we_checked_are_installed(package):
    lock = dict(
        line.split("==")
        for line in (REPO / "constraints.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    )
    locked = {canonicalize_name(name): version for name, version in lock.items()}
    assert metadata.version(package) == locked[canonicalize_name(package)], package


def test_what_the_executor_sets_on_the_kernel_manager_still_exists():
    """The sandbox swaps the kernel spec and moves the kernel onto ipc sockets."""
    km = AsyncKernelManager()
    assert hasattr(km, "_kernel_spec") and "transport" in km.trait_names() and "ip" in km.trait_names()
    assert inspect.iscoroutinefunction(km.shutdown_kernel)


def test_nbclient_still_routes_every_iopub_message_through_process_message():
    """The output budget counts messages in process_message; nbclient must still call it."""
    source = inspect.getsource(NotebookClient._async_poll_output_msg)
    assert "self.process_message(" in source


def test_nbclient_still_starts_the_kernel_in_the_notebook_folder_unless_told_otherwise():
    """The executor passes cwd= to keep the host-side launcher out of the student's folder."""
    source = inspect.getsource(NotebookClient.async_start_new_kernel)
    assert '"cwd" not in kwargs' in source or "'cwd' not in kwargs" in source


def test_the_executor_overrides_are_real_overrides():
    for name in (
        "process_message",
        "_async_handle_timeout",
        "async_start_new_kernel",
        "create_kernel_manager",
        "preprocess_cell",
    ):
        assert name in SandboxedExecute.__dict__, name
        assert hasattr(NotebookClient, name) or name == "preprocess_cell", name


def test_what_the_grading_kernel_client_and_manager_override_is_still_there():
    """mlops_concepts/nbgrader_plugins/kernel.py replaces jupyter_client's waits around each kernel."""
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.client import KernelClient
    from nbgrader.preprocessors import Execute

    from mlops_concepts.nbgrader_plugins.kernel import GradingKernelClient, GradingKernelManager

    # wait_for_ready is bound to the private implementation when the class is made, which is
    # why the grading client overrides the public name; it reads the reply as jupyter_client does.
    assert AsyncKernelClient.wait_for_ready is KernelClient._async_wait_for_ready
    assert "wait_for_ready" in GradingKernelClient.__dict__
    for name in ("_handle_kernel_info_reply", "_async_is_alive"):
        assert callable(getattr(KernelClient, name)), name
    source = inspect.getsource(KernelClient._async_wait_for_ready)
    assert "_handle_kernel_info_reply(msg)" in source and "Flush IOPub channel" in source
    # The killed kernel is polled through _async_wait(pollinterval).
    assert list(inspect.signature(AsyncKernelManager._async_wait).parameters) == ["self", "pollinterval"]
    assert "self._async_wait()" in inspect.getsource(AsyncKernelManager._async_kill_kernel)
    assert "_async_wait" in GradingKernelManager.__dict__
    # nbgrader's Execute picks its manager class through __init__'s kwargs, which the executor
    # fills first.
    assert "kwargs.setdefault('kernel_manager_class'" in inspect.getsource(Execute.__init__)


def test_the_feedback_exporter_still_mirrors_nbconverts_html_exporter():
    """FeedbackExporter.from_notebook_node is nbconvert's, without the BeautifulSoup pass: the
    steps it repeats must still be nbconvert's own, and that pass must still be all it skips."""
    from nbconvert.exporters import HTMLExporter

    from mlops_concepts.nbgrader_plugins.feedback import FeedbackExporter

    theirs = inspect.getsource(HTMLExporter.from_notebook_node)
    ours = inspect.getsource(FeedbackExporter.from_notebook_node)
    for step in (
        "Highlight2HTML(pygments_lexer=lexer, parent=self)",
        "self._init_resources(resources)",
        "WidgetsDataTypeFilter(",
        'self.register_filter("highlight_code", highlight_code)',
        'self.register_filter("filter_data_type", filter_data_type)',
    ):
        assert step in theirs and step in ours, step
    after = theirs.split("super().from_notebook_node(nb, resources, **kw)")[1]
    assert "BeautifulSoup" in after and "img:not([alt])" in after and "jp-Notebook" in after
    assert after.count("soup.select(") == 3  # alt, and focus on JupyterLab-template cells only


def test_the_gradebook_tables_a_template_copies_are_still_nbgraders():
    """gradebooks._definition copies an assignment's rows table by table, by name and column."""
    from nbgrader.api import Base

    tables = Base.metadata.tables
    columns = {
        "course": {"id"},
        "assignment": {"id", "name", "course_id"},
        "notebook": {"id", "assignment_id"},
        "base_cell": {"id", "notebook_id"},
        "grade_cells": {"id"},
        "solution_cells": {"id"},
        "task_cells": {"id"},
        "source_cell": {"notebook_id"},
    }
    for name, wanted in columns.items():
        assert name in tables, name
        assert wanted <= set(tables[name].c.keys()), (name, set(tables[name].c.keys()))
    # Every table that refers to a notebook or a cell is either copied or belongs to a submission:
    # a new table of the assignment's definition would be missed by the copy.
    definition = set(columns)
    for table in tables.values():
        targets = {fk.column.table.name for fk in table.foreign_keys}
        if targets & {"notebook", "base_cell"} and table.name not in definition:
            assert "submitted" in table.name or table.name in {"grade", "comment"}, table.name


def test_the_metadata_validator_still_calls_up_to_validate_cell():
    """metadata.MetadataValidator relies on MetadataValidatorV3.validate_cell calling super()."""
    from nbgrader.nbgraderformat import MetadataValidator as Current
    from nbgrader.nbgraderformat.common import BaseMetadataValidator
    from nbgrader.nbgraderformat.v3 import MetadataValidatorV3

    assert Current is MetadataValidatorV3
    assert list(inspect.signature(BaseMetadataValidator.validate_cell).parameters) == ["self", "cell"]
    assert "super(MetadataValidatorV3, self).validate_cell(cell)" in inspect.getsource(
        MetadataValidatorV3.validate_cell
    ) or "super().validate_cell(cell)" in inspect.getsource(MetadataValidatorV3.validate_cell)
    for name in ("schema_version", "schema"):
        assert hasattr(MetadataValidatorV3(), name), name


def test_the_markdown_renderer_defuse_builds_is_still_nbconverts():
    """defuse.render_markdown builds nbconvert's mistune renderer with these keywords."""
    from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

    params = inspect.signature(IPythonRenderer.__init__).parameters
    for name in ("escape", "attachments", "exclude_anchor_links"):
        assert name in params, name
    assert "renderer" in inspect.signature(MarkdownWithMath.__init__).parameters
    html = MarkdownWithMath(renderer=IPythonRenderer(escape=False, attachments={})).render("*x*")
    assert "<em>x</em>" in html


def test_the_feedback_exporter_still_gets_its_templates_through_create_environment():
    """FeedbackExporter._create_environment hands nbconvert's Jinja environment the shared cache of
    compiled templates: nbconvert must still build the environment there, and Jinja's loaders
    must still consult ``environment.bytecode_cache`` with buckets checked against the source."""
    import jinja2.loaders
    from jinja2.bccache import BytecodeCache
    from nbconvert.exporters import TemplateExporter

    from mlops_concepts.nbgrader_plugins.feedback import FeedbackExporter

    assert list(inspect.signature(TemplateExporter._create_environment).parameters) == ["self"]
    assert "self._create_environment()" in inspect.getsource(TemplateExporter.environment.fget)
    assert "_create_environment" in FeedbackExporter.__dict__
    load = inspect.getsource(jinja2.loaders.BaseLoader.load)
    assert "environment.bytecode_cache" in load and "bucket.code" in load
    for name in ("load_bytecode", "dump_bytecode"):
        assert list(inspect.signature(getattr(BytecodeCache, name)).parameters) == ["self", "bucket"]


def test_the_grading_sockets_are_still_made_from_the_bounded_context():
    """mlops_concepts/nbgrader_plugins/kernel.py bounds every socket through the context it hands to
    jupyter_client: each channel, the heartbeat and the manager's control socket must still be
    made from that context, and ``_created_context`` must still make jupyter_client destroy it."""
    import zmq
    from jupyter_client.asynchronous import AsyncKernelClient
    from jupyter_client.client import KernelClient
    from jupyter_client.connect import ConnectionFileMixin

    from mlops_concepts.nbgrader_plugins.kernel import GradingKernelClient, GradingKernelManager

    assert "self.context.socket(socket_type)" in inspect.getsource(
        ConnectionFileMixin._create_connected_socket
    )
    assert "self.context," in inspect.getsource(KernelClient.hb_channel.fget)
    assert "self._created_context" in inspect.getsource(KernelClient.stop_channels)
    assert "self._created_context" in inspect.getsource(AsyncKernelManager._async_cleanup_resources)
    assert (
        "_context_default" in AsyncKernelClient.__dict__
        and "_context_default" in GradingKernelClient.__dict__
    )
    control = inspect.getsource(AsyncKernelManager._connect_control_socket)
    assert '_create_connected_socket("control")' in control
    assert "_bounded_context" in GradingKernelManager.__dict__
    # pyzmq applies a context's options to each socket it makes (a documented pyzmq feature).
    ctx = zmq.Context()
    ctx.setsockopt(zmq.RCVHWM, 3)
    assert ctx.socket(zmq.SUB).rcvhwm == 3
    ctx.destroy(linger=0)


def test_the_shell_method_a_self_check_publishes_not_yet_with_is_still_there():
    """checks.not_yet calls the shell's private _showtraceback(etype, evalue, stb): ipykernel's
    publishes an iopub error and leaves the execute reply "ok" (proved in a real kernel by
    tests/unit/test_self_checks.py); checks.install_deferred_answers appends to ast_transformers."""
    from ipykernel.zmqshell import ZMQInteractiveShell
    from IPython.core.interactiveshell import InteractiveShell

    for shell in (InteractiveShell, ZMQInteractiveShell):
        params = list(inspect.signature(shell._showtraceback).parameters)
        assert params == ["self", "etype", "evalue", "stb"], (shell.__name__, params)
    assert "ast_transformers" in InteractiveShell.class_trait_names()
    # The error message is built from its arguments only: no error is recorded for the reply.
    source = inspect.getsource(ZMQInteractiveShell._showtraceback)
    assert "error_in_exec" not in source and '"traceback": stb' in source.replace("'", '"')

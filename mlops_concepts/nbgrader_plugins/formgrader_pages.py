"""A Jupyter server extension: every Formgrader page shows gradebook text as text.

nbgrader 0.9's Formgrader renders its pages with a Jinja environment that does not escape
(``FormgradeExtension.init_tornado_settings``), and its templates put student ids, names and
assignment names into HTML and into JavaScript strings (``var student_id = "{{ student_id }}";``).
Any such string in the gradebook, or in the page's URL (``/formgrader/manage_students/<id>``),
was script in the instructor's session: with the instructor's cookies it can set grades and open
a terminal on the grading host. Student ids are checked where they enter (:mod:`.identity`), but
the gradebook also holds what is added by hand (``nbgrader db student add``: names, e-mail
addresses, ids), so the pages themselves are made inert:

* the page templates (nbgrader's own files, unchanged on disk) are rendered with autoescaping,
  and each ``var x = "{{ value }}";`` line is read as ``var x = {{ value | tojson }};`` (a
  JavaScript string that no character can end: Jinja's ``tojson`` also escapes ``<``, ``>``,
  ``&`` and ``'``);
* the grading page of a submission (nbconvert's ``formgrade`` template, which must not
  autoescape: it writes the notebook's HTML) gets the gradebook's strings already HTML-escaped,
  backslashes included, so they stay text in its HTML, attributes and JavaScript strings.

nbgrader's JavaScript builds the rest of the pages from the API's JSON with ``.text()`` and
``.attr()``, which do not parse HTML, but for one line (:data:`SCRIPT_FIXES`), which this
extension serves corrected.

How: this extension registers, for each of nbgrader's Formgrader page routes, the same handler
with the two changes above. Jupyter loads server extensions in alphabetical order of their
module, so ``mlops_concepts...`` comes before ``nbgrader...``, and Tornado serves a path with the
first rule that matches: these handlers answer. Enabled for every server of this environment by
``etc/jupyter/jupyter_server_config.d/mlops_concepts.json`` (installed with the package).
"""

from __future__ import annotations

import os
import re
from html import escape

from jinja2 import Environment, FileSystemLoader
from jupyter_server.utils import url_path_join
from nbgrader.server_extensions.formgrader import handlers as formgrader
from nbgrader.server_extensions.formgrader.base import BaseHandler
from tornado import web

FORMGRADER = "nbgrader.server_extensions.formgrader"

# `var name = "{{ expression }}";` on a line of its own: how nbgrader's templates hand values to
# their JavaScript.
_JS_STRING = re.compile(r'^(\s*var\s+\w+\s*=\s*)"\{\{\s*([^{}]+?)\s*\}\}"\s*;', re.MULTILINE)

# The resources of the grading page that come from the gradebook (or are built from its names).
GRADEBOOK_RESOURCES = (
    "student",
    "last_name",
    "first_name",
    "assignment_id",
    "notebook_id",
    "notebook_path",
    "filename",
)


# nbgrader's scripts that hand gradebook text to jQuery as HTML: (file, [(line, fixed line)]).
SCRIPT_FIXES = {
    "manage_students_notebook_submissions.js": [
        ('this.$name.append(name + " (file missing)");', 'this.$name.text(name + " (file missing)");'),
    ],
}


def fixed_script(name: str) -> str:
    """nbgrader's script ``name`` with the fixes of :data:`SCRIPT_FIXES` (tested against the
    installed nbgrader by tests/unit/test_formgrader_pages.py)."""
    with open(os.path.join(formgrader.static_path, "js", name), encoding="utf-8") as f:
        text = f.read()
    for line, fixed in SCRIPT_FIXES[name]:
        text = text.replace(line, fixed)
    return text


def _formgrader_loaded(handler) -> None:
    # These routes are registered before nbgrader's Formgrader loads; when it does not (a broken
    # nbgrader_config.py), there is no Formgrader, and no page of it either.
    if "nbgrader_formgrader" not in handler.settings:
        raise web.HTTPError(404)


class FixedScript(web.RequestHandler):
    """Serves a script of :data:`SCRIPT_FIXES`, fixed (as nbgrader serves its static files: no login)."""

    def prepare(self):
        _formgrader_loaded(self)

    def get(self, name):
        self.set_header("Content-Type", "application/javascript; charset=UTF-8")
        self.write(fixed_script(name))


class InertTemplates(FileSystemLoader):
    """nbgrader's page templates, with every value handed to JavaScript as a JSON string."""

    def get_source(self, environment, template):
        source, filename, uptodate = super().get_source(environment, template)
        return _JS_STRING.sub(r"\1{{ \2 | tojson }};", source), filename, uptodate


def environment() -> Environment:
    return Environment(loader=InertTemplates([formgrader.template_path]), autoescape=True)


def escaped(text: str) -> str:
    """``text`` as HTML text, fit also for an HTML attribute and a JavaScript string."""
    return escape(text, quote=True).replace("\\", "&#92;")


class _EscapingExporter:
    """The Formgrader's nbconvert exporter, given the gradebook's strings already escaped."""

    def __init__(self, exporter):
        self.exporter = exporter

    def from_filename(self, filename, resources=None, **kwargs):
        resources = dict(resources or {})
        for key in GRADEBOOK_RESOURCES:
            if isinstance(resources.get(key), str):
                resources[key] = escaped(resources[key])
        return self.exporter.from_filename(filename, resources=resources, **kwargs)


class InertPages:
    """Mixed into each Formgrader page handler."""

    def prepare(self, *args, **kwargs):
        _formgrader_loaded(self)
        return super().prepare(*args, **kwargs)

    def render(self, name, **ns):
        env = self.settings.get("mlops_concepts_jinja2_env")
        if env is None:
            env = self.settings["mlops_concepts_jinja2_env"] = environment()
        return env.get_template(name).render(**ns)

    @property
    def exporter(self):
        return _EscapingExporter(self.settings["nbgrader_exporter"])


def inert(handler: type) -> type:
    return type(f"Inert{handler.__name__}", (InertPages, handler), {})


def rules(base_url: str) -> list[tuple]:
    """nbgrader's Formgrader page routes, each with its inert handler, and the fixed scripts
    (the other static files as they are)."""
    scripts = "|".join(re.escape(name) for name in SCRIPT_FIXES)
    out = [(url_path_join(base_url, f"formgrader/static/js/({scripts})"), FixedScript)]
    for pattern, handler, *kwargs in formgrader.default_handlers:
        if isinstance(handler, type) and issubclass(handler, BaseHandler):
            out.append((url_path_join(base_url, pattern.lstrip("/")), inert(handler), *kwargs))
    return out


def _load_jupyter_server_extension(serverapp) -> None:
    if not serverapp.jpserver_extensions.get(FORMGRADER):
        return  # no Formgrader on this server (a student's JupyterLab): no pages to serve
    webapp = serverapp.web_app
    if "nbgrader_formgrader" in webapp.settings:
        # nbgrader's routes are already in place, and Tornado would serve them first.
        serverapp.log.error(
            "mlops_concepts: the Formgrader was loaded before this extension; its pages are NOT "
            "made inert (see mlops_concepts/nbgrader_plugins/formgrader_pages.py)"
        )
    webapp.add_handlers(".*$", rules(webapp.settings["base_url"]))
    serverapp.log.info("mlops_concepts: Formgrader pages show gradebook text as text")


def _jupyter_server_extension_points():
    return [{"module": "mlops_concepts.nbgrader_plugins.formgrader_pages"}]

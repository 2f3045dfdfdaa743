"""The Formgrader's page templates, as mlops_concepts.nbgrader_plugins.formgrader_pages renders them.

The browser test (tests/browser/test_formgrader_ids.py) shows that nothing runs in the real
Formgrader; these check every template nbgrader ships, including ones that test does not open.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from nbgrader.server_extensions.formgrader import handlers as formgrader

from mlops_concepts.nbgrader_plugins.formgrader_pages import (
    GRADEBOOK_RESOURCES,
    SCRIPT_FIXES,
    environment,
    escaped,
    fixed_script,
    rules,
)

HOSTILE = "</script><script>alert(1)</script>\"'; alert(2); //\\<img src=x onerror=alert(3)>&amp;"
TEMPLATES = sorted(p.name for p in Path(formgrader.template_path).glob("*.tpl"))
SCRIPT = re.compile(r"<script[^>]*>(.*?)</script>", re.DOTALL)


@pytest.mark.parametrize("name", TEMPLATES)
def test_no_template_hands_a_raw_value_to_javascript(name):
    """After the rewrite, no ``{{ }}`` is left inside a JavaScript string of any template."""
    source, _, _ = environment().loader.get_source(environment(), name)
    for script in SCRIPT.findall(source):
        for line in script.splitlines():
            assert not re.search(r"[\"']\s*\{\{|\{\{[^}]*\}\}\s*[\"']", line), (name, line)


# nbgrader 0.9.6's formgrade_404.tpl imports a 'formgrade_macros.tpl' it does not ship: it never
# renders (the page is a 500 error), with or without this extension.
@pytest.mark.parametrize("name", [t for t in TEMPLATES if t != "formgrade_404.tpl"])
def test_every_template_renders_hostile_values_as_text(name):
    values = {
        key: HOSTILE
        for key in ("student_id", "assignment_id", "notebook_id", "course_dir", "exchange", "current_config")
    }
    values.update(base_url="/base", url_prefix="course", error_code=500, default_timezone=HOSTILE)
    page = environment().get_template(name).render(**values)
    assert "<script>alert(1)" not in page and "<img src=x" not in page
    for script in SCRIPT.findall(page):
        for var, literal in re.findall(r"var (\w+) = (.*);", script):
            if values.get(var) == HOSTILE:
                assert json.loads(literal) == HOSTILE, (name, var, literal)  # one whole JS string


def test_the_hostile_value_would_break_out_of_nbgraders_own_environment():
    """Control: with nbgrader's own Jinja environment, the same value becomes markup."""
    from jinja2 import Environment, FileSystemLoader

    plain = Environment(loader=FileSystemLoader([formgrader.template_path]))
    page = plain.get_template("manage_students_assignments.tpl").render(student_id=HOSTILE, base_url="/b")
    assert "<script>alert(1)</script>" in page


def test_escaped_is_text_in_html_attributes_and_javascript_strings():
    assert escaped(HOSTILE) == (
        "&lt;/script&gt;&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;; alert(2); //&#92;"
        "&lt;img src=x onerror=alert(3)&gt;&amp;amp;"
    )
    assert not set("<>\"'\\") & set(escaped(HOSTILE))
    assert {"student", "first_name", "last_name"} <= set(GRADEBOOK_RESOURCES)


# jQuery parses a string given to .append(), .html(), ... as HTML: a concatenation there is
# gradebook text read as markup.
HTML_SINK = re.compile(
    r"\.(append|prepend|html|after|before|replaceWith|wrap)\(\s*([\w.$]+|\"[^\"]*\"|'[^']*')\s*\+"
)
SCRIPTS = sorted(p.name for p in (Path(formgrader.static_path) / "js").glob("*.js"))


@pytest.mark.parametrize("name", SCRIPTS)
def test_no_script_hands_concatenated_text_to_jquery_as_html(name):
    text = (
        fixed_script(name)
        if name in SCRIPT_FIXES
        else (Path(formgrader.static_path) / "js" / name).read_text()
    )
    assert not HTML_SINK.search(text), (name, HTML_SINK.search(text).group(0))


def test_each_script_fix_still_applies_to_the_installed_nbgrader():
    for name, fixes in SCRIPT_FIXES.items():
        original = (Path(formgrader.static_path) / "js" / name).read_text()
        for line, fixed in fixes:
            assert line in original and fixed in fixed_script(name) and line not in fixed_script(name)


def test_every_page_route_of_the_formgrader_is_replaced():
    ours = {pattern for pattern, *_ in rules("/")[1:]}
    pages = {
        "/" + pattern.lstrip("/")
        for pattern, handler, *_ in formgrader.default_handlers
        if handler.__module__.startswith("nbgrader.server_extensions.formgrader.handlers")
    }
    assert pages and pages == ours


def test_the_extension_loads_before_nbgraders_formgrader():
    """Jupyter loads server extensions in alphabetical order; Tornado answers with the first."""
    assert sorted(
        ["nbgrader.server_extensions.formgrader", "mlops_concepts.nbgrader_plugins.formgrader_pages"]
    )[0] == ("mlops_concepts.nbgrader_plugins.formgrader_pages")

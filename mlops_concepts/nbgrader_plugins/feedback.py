"""What a student's feedback shows of a self-check: its verdict, not its plumbing.

A test cell is one ``check("q1_2b", answer)`` call (its key, items and title are in the release's
sidecar): an internal id that means nothing to a student. In the feedback
(``nbgrader generate_feedback``) this preprocessor replaces its source by one comment line,
``# Self-check for Exercise 1.2 (b)``; the verdict under it ("Exercise 1.2 (b): not correct.
Expected: ...") says the rest. It runs only in ``GenerateFeedback``: the autograded notebook and
the gradebook keep the real cell. :class:`NoteExtraNotebooks` says there which submitted notebooks
were kept but not graded.

:class:`FeedbackExporter` writes the page: nbconvert's HTML exporter, with its templates compiled
once per grading run (:func:`warm_up`).
"""

from __future__ import annotations

from pathlib import Path

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from nbconvert.exporters import HTMLExporter, TemplateExporter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.widgetsdatatypefilter import WidgetsDataTypeFilter
from nbgrader.preprocessors import NbGraderPreprocessor

from ..contract import cells
from ..contract.calls import AuthoringError
from ..contract.coursedir import assignment_folder
from ..contract.exercises import exercise_titles, read_check
from ..contract.folder_scan import Note
from ..contract.submissions import extra_notebooks, note_cell
from ..contract.untrusted import printable, quoted


def self_check_line(cell, titles: dict) -> str:
    try:
        title = read_check(cell).title
    except AuthoringError:
        title = None
    title = title or titles.get(cells.grade_id(cell))
    return f"# Self-check for {title}" if title else "# Self-check"


class HideCheckCalls(NbGraderPreprocessor):
    """In feedback, show each test cell as ``# Self-check for <exercise>`` and its verdict."""

    def preprocess(self, nb, resources):
        titles = exercise_titles(nb)
        for cell in nb.cells:
            if cells.is_test(cell):
                cell.source = self_check_line(cell, titles)
        return nb, resources


class NoteExtraNotebooks(NbGraderPreprocessor):
    """In feedback, say which submitted notebooks were kept but not graded.

    nbgrader grades only the notebooks named like those of the release; a student's other ones
    (JupyterLab's *Duplicate* makes ``<name>-Copy1.ipynb``, which the Assignments tab submits) are
    kept as they were sent and never cost a grade, with both commands. This puts a note at the top
    of each graded notebook's feedback, so the student knows the copy was not looked at. It reads
    the names in the student's ``submitted/`` folder only (links and odd names are not listed,
    see :func:`mlops_concepts.contract.folder_scan.scan`); each name is quoted and escaped for Markdown.
    """

    def preprocess(self, nb, resources):
        info = resources["nbgrader"]
        submitted = Path(assignment_folder(self, "submitted", resources, info["student"]))
        release = Path(assignment_folder(self, "release", resources))
        released = {p.stem: p for p in sorted(release.glob("*.ipynb"))}
        if not (submitted.is_dir() and released):
            return nb, resources
        try:
            extras = extra_notebooks(submitted, released)
        except Exception as err:  # a remark, not a grade: never worth a student's feedback
            self.log.warning("Extra notebooks not listed (%s)", printable(err, 300))
            return nb, resources
        graded = ", ".join(quoted(f"{n}.ipynb") for n in released)
        notes = [
            Note(
                "note",
                f"{quoted(name)} was kept but not graded: only the assignment's own notebooks "
                f"are graded ({graded})",
            )
            for name in extras
        ]
        if notes:
            nb.cells.insert(0, note_cell(notes))
        return nb, resources


class _CompiledTemplates(BytecodeCache):
    """Every template this process has compiled, for each exporter it makes next.

    nbconvert gives each exporter a Jinja environment of its own, which compiles the feedback
    template and the eight it extends (about 0.15 s) before the first page. A student's child
    makes one exporter; the grading run's forkserver compiles them once into this cache
    (:func:`warm_up`) and every child forked from it starts with them. Jinja checks each entry
    against the template's current source, so a changed template is compiled again.
    """

    def __init__(self):
        self._code: dict[str, tuple[str, object]] = {}

    def __len__(self) -> int:
        return len(self._code)

    def load_bytecode(self, bucket: Bucket) -> None:
        kept = self._code.get(bucket.key)
        if kept is not None and kept[0] == bucket.checksum:
            bucket.code = kept[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


COMPILED_TEMPLATES = _CompiledTemplates()


class FeedbackExporter(HTMLExporter):
    """nbgrader's feedback exporter, with the templates compiled once per process (and its forks),
    and without nbconvert's second pass over the page.

    nbconvert's ``HTMLExporter`` parses every finished page again with BeautifulSoup, to give
    images without ``alt`` a stock one and to make JupyterLab-template cells focusable: about
    0.2 s of a 400 KB page, on every student's page, changing nothing here. The feedback template
    is nbgrader's classic one, with none of the JupyterLab classes that pass looks for; and every
    image on the page already has its ``alt`` (the course's own from the lint, Markdown images
    from the renderer, a student's from :mod:`.defuse`, which the feedback runs again), so the
    page is written as the template renders it.
    """

    def _create_environment(self):
        environment = super()._create_environment()
        environment.bytecode_cache = COMPILED_TEMPLATES
        return environment

    def from_notebook_node(self, nb, resources=None, **kw):
        # HTMLExporter.from_notebook_node without its BeautifulSoup pass (see the class docstring).
        langinfo = nb.metadata.get("language_info", {})
        lexer = langinfo.get("pygments_lexer", langinfo.get("name", None))
        highlight_code = self.filters.get("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=self))
        resources = self._init_resources(resources)
        filter_data_type = WidgetsDataTypeFilter(
            notebook_metadata=self._nb_metadata, parent=self, resources=resources
        )
        self.register_filter("highlight_code", highlight_code)
        self.register_filter("filter_data_type", filter_data_type)
        return TemplateExporter.from_notebook_node(self, nb, resources, **kw)


def warm_up() -> None:
    """Write one small feedback page, as ``nbgrader generate_feedback`` configures the exporter:
    what every student's first page would do (compile the templates into
    :data:`COMPILED_TEMPLATES`, import and prepare the code highlighter, compile the Markdown
    renderer's patterns) is then done, in this process and in every process forked from it."""
    from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
    from nbgrader.converters import GenerateFeedback
    from nbgrader.coursedir import CourseDirectory

    config = GenerateFeedback(coursedir=CourseDirectory()).config
    nb = new_notebook(
        cells=[
            new_markdown_cell(
                "# A heading\n\nText with *emphasis*, `code`, a [link](https://jupyter.org) and "
                "$x^2$.\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n```python\nx = 1\n```"
            ),
            new_code_cell("def f(x):\n    return x + 1  # a comment\n\nprint(f(1))"),
        ],
        metadata={"language_info": {"name": "python", "pygments_lexer": "ipython3"}},
    )
    resources = {"nbgrader": {"score": 0, "max_score": 1, "late_penalty": 0, "notebook": "warm-up"}}
    FeedbackExporter(config=config).from_notebook_node(nb, resources)

"""nbgrader configuration of the MLOps Concepts course (the course directory is this folder).

Grading is hardened by the course package (``mlops_concepts.nbgrader_plugins``): answer keys are sealed at
release, submissions are rebuilt around the released cells, student code runs in a sandbox, and
scores are decided outside the student's kernel. See README.md, "For instructors".
"""

import os
import sys
from pathlib import Path

from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
from nbgrader.preprocessors import (
    AssignLatePenalties,
    ClearHiddenTests,
    ClearMarkScheme,
    ClearOutput,
    ClearSolutions,
    ComputeChecksums,
    DeduplicateIds,
    GetGrades,
    IgnorePattern,
    IncludeHeaderFooter,
    InstantiateTests,
    LimitOutput,
    LockCells,
    OverwriteCells,
    OverwriteKernelspec,
    SaveAutoGrades,
    SaveCells,
)

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the course package, even before `pip install -e .`
# nbgrader creates a new gradebook by running `alembic` by name: find the one beside this Python
# (the course's .venv), so `.venv/bin/nbgrader ...` works without activating the venv.
os.environ["PATH"] = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])

from mlops_concepts.assignment_plugins.diagrams_release import RenderDiagrams  # noqa: E402
from mlops_concepts.assignment_plugins.estimated_time import StateEstimatedTime  # noqa: E402
from mlops_concepts.assignment_plugins.seal import SealAnswerKeys  # noqa: E402
from mlops_concepts.assignment_plugins.stubs import CODE_STUB, TOP_LEVEL_STUB, TopLevelStubs  # noqa: E402
from mlops_concepts.nbgrader_plugins import admission  # noqa: E402
from mlops_concepts.nbgrader_plugins.defuse import DefuseStudentContent  # noqa: E402
from mlops_concepts.nbgrader_plugins.execute import SandboxedExecute  # noqa: E402
from mlops_concepts.nbgrader_plugins.export import SafeCsvExportPlugin  # noqa: E402
from mlops_concepts.nbgrader_plugins.feedback import FeedbackExporter, HideCheckCalls, NoteExtraNotebooks  # noqa: E402
from mlops_concepts.nbgrader_plugins.metadata import CheckCellMetadataOnce  # noqa: E402
from mlops_concepts.nbgrader_plugins.sanitize import RebuildFromRelease  # noqa: E402
from mlops_concepts.nbgrader_plugins.verdicts import GradeFromReports  # noqa: E402

c = get_config()  # noqa: F821 (provided by traitlets when nbgrader loads this file)

c.CourseDirectory.course_id = "mlops-concepts"
c.CourseDirectory.root = str(HERE)
# SQLite by default: nothing to install. Point MLOPS_CONCEPTS_DB_URL (or --CourseDirectory.db_url)
# at PostgreSQL, e.g. postgresql://user@host/gradebook, for a large class or parallel graders.
c.CourseDirectory.db_url = os.environ.get("MLOPS_CONCEPTS_DB_URL", f"sqlite:///{HERE / 'gradebook.db'}")

# A local exchange that needs no root (the default /srv/nbgrader/exchange does).
c.Exchange.root = os.environ.get("MLOPS_CONCEPTS_EXCHANGE", str(HERE / ".exchange"))

# Release: seal answer keys first, so the stored copies of locked cells are sealed too.
c.GenerateAssignment.preprocessors = [
    StateEstimatedTime,  # <!-- estimated-time --> becomes the time computed from the content
    SealAnswerKeys,
    RenderDiagrams,  # <!-- diagram: NAME --> becomes the picture, alt text and words
    IncludeHeaderFooter,
    InstantiateTests,
    LockCells,
    ClearSolutions,
    TopLevelStubs,  # a top-level stub is a comment, so Run All reaches the end (assignment_plugins/stubs.py)
    ClearOutput,
    CheckCellMetadataOnce,
    ComputeChecksums,
    SaveCells,
    ClearHiddenTests,
    ClearMarkScheme,
    ComputeChecksums,
    CheckCellMetadataOnce,
]
c.ClearSolutions.code_stub = {"python": CODE_STUB}
c.TopLevelStubs.code_stub = CODE_STUB
c.TopLevelStubs.top_level_stub = TOP_LEVEL_STUB
# "practice": self-checks say right or wrong at once. "exam": they confirm only the form, and the
# release carries no digest of a graded answer (docs/grading.md, "Where keys live").
c.SealAnswerKeys.mode = "practice"
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"

# Grading: rebuild each submission around the released cells, run it sandboxed, decide outside.
c.OverwriteCells.add_missing_cells = True
c.Autograde.sanitize_preprocessors = [
    ClearOutput,
    RebuildFromRelease,
    DeduplicateIds,
    OverwriteKernelspec,
    OverwriteCells,
    CheckCellMetadataOnce,
]
c.Autograde.autograde_preprocessors = [
    SandboxedExecute,
    GradeFromReports,
    DefuseStudentContent,  # student HTML/script made inert in what graders open
    IgnorePattern,
    ClearMetadataPreprocessor,
    LimitOutput,
    SaveAutoGrades,
    AssignLatePenalties,
    CheckCellMetadataOnce,
]
c.Execute.timeout = 60  # seconds per cell; chapter cells take well under 5 s
# nbconvert checks the whole notebook against the schema after every preprocessor (15 times per
# student); once, after the last one, is the same guarantee for what is saved, at a fraction of
# the time. A preprocessor that breaks the format is still refused, named as the last one.
c.Exporter.optimistic_validation = True
c.SandboxedExecute.memory_limit_mb = 2048

# Feedback: never show hidden test code; a self-check shows as "# Self-check for Exercise 1.2 (b)"
# and its verdict, not its check(...) call (HideCheckCalls, feedback only).
c.GenerateFeedback.preprocessors = [
    GetGrades,
    ClearHiddenTests,
    HideCheckCalls,
    NoteExtraNotebooks,  # "‹name-Copy1.ipynb› was kept but not graded" (never costs a grade)
    DefuseStudentContent,
    CSSHTMLHeaderPreprocessor,
]
c.ClearHiddenTests.enforce_metadata = False
c.GenerateFeedback.exporter_class = FeedbackExporter  # no second pass; templates compiled once per run

# Submitted files that are links, hard links, FIFOs or devices, odd names, malformed notebooks or
# timestamps: `mlops-concepts grade` stages every submission first; plain `nbgrader autograde` and
# `generate_feedback` refuse such a folder (before copying anything) and name that command; and
# `nbgrader collect` copies no link, hard link or special file (see mlops_concepts/nbgrader_plugins/).
c.Autograde.pre_convert_hook = "mlops_concepts.nbgrader_plugins.guard.refuse_unstaged"
c.GenerateFeedback.pre_convert_hook = "mlops_concepts.nbgrader_plugins.guard.refuse_unsafe_autograded"
c.ExchangeFactory.collect = "mlops_concepts.nbgrader_plugins.exchange.SafeExchangeCollect"
# An exchange whose modes let a student replace the course folder or read or rename another's
# submission is refused, with the fix; a missing one is created right (docs/security/exchange.md).
# Collect skips and lists what is not owned by the student it names, and bad inbound names.
c.ExchangeFactory.release_assignment = (
    "mlops_concepts.nbgrader_plugins.exchange.SafeExchangeReleaseAssignment"
)
c.ExchangeFactory.release_feedback = "mlops_concepts.nbgrader_plugins.exchange.SafeExchangeReleaseFeedback"

# grades.csv is data: every row written by the csv module (no id, name or email can forge a row or
# a column) and no text cell can start a spreadsheet formula (mlops_concepts/nbgrader_plugins/export.py).
# `mlops-concepts grade` writes it with the same plugin.
c.ExportApp.plugin_class = SafeCsvExportPlugin

# Student ids are untrusted (a student names their own folder): only letters, digits, '.', '_' and
# '-'. With roster_only, also only the students in the gradebook's student table (`nbgrader db
# student add/import`). Plain `nbgrader autograde` refuses, by name, every submission with a
# refused id or a folder staging would repair, grades the others and exits 1 with the list
# (mlops_concepts/nbgrader_plugins/admission.py, identity.py; docs/security/identity.md).
c.StudentIds.roster_only = False
admission.install()

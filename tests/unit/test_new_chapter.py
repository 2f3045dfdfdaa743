"""Adding chapter 5 touches only its own folders and the chapter list (and the README's table).

A throw-away chapter 5 is added to a temporary copy of the package and the course
(:mod:`support.new_chapter`): its source folder, its package folder, its chapter-list entry.
With nothing else changed, the package finds its diagrams and its lab data, released notebooks'
old module name for its lab works, and ``mlops-concepts check`` (the chapter linter) lints it and
finds it clean. Without the list entry, the same folders are invisible, and the linter says so.
The release of chapter 5 is in ``tests/integration/test_new_chapter_release.py``.
"""

from __future__ import annotations

import json

import pytest

from support.new_chapter import ALT_MARK, CHAPTER, FOLDER, add_chapter_five

DISCOVER = f"""
import json, mlops_concepts
from mlops_concepts.chapters import CHAPTERS
from mlops_concepts.diagrams import DIAGRAMS
from mlops_concepts import labs
found = {{
    "package": mlops_concepts.__file__,
    "chapters": list(CHAPTERS),
    "diagrams": {{n: d.alt for n, d in DIAGRAMS.items() if n.startswith("five_")}},
    "data": sorted(n for n in labs.data() if n.startswith("five_")),
}}
try:
    import mlops_concepts.labs.{FOLDER} as old
    found["old_name"] = old.__name__
except ModuleNotFoundError:
    found["old_name"] = None
if found["data"]:
    found["case"] = len(labs.cases("five_run_log", 2, seed=7))
print(json.dumps(found))
"""


def _discover(chapter):
    done = chapter.python(DISCOVER)
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    # The copy is what ran, not the installed package.
    assert found["package"].startswith(str(chapter.package)), found["package"]
    return found


def _check(chapter, *assignments):
    """``mlops-concepts check ...`` in the copy: the chapter linter, as an author runs it."""
    return chapter.python(
        "import sys; from mlops_concepts.class_grading.cli import console; "
        f"sys.argv = ['mlops-concepts', 'check', *{list(assignments)!r}]; console()"
    )


@pytest.fixture(scope="module")
def chapter_five(tmp_path_factory):
    return add_chapter_five(tmp_path_factory.mktemp("chapter5"))


def test_a_new_chapter_is_found_through_the_chapter_list(chapter_five):
    found = _discover(chapter_five)
    assert found["chapters"][-1] == CHAPTER
    assert found["diagrams"], "chapter 5's diagrams were not collected"
    assert all(alt.startswith(ALT_MARK) for alt in found["diagrams"].values())
    assert found["data"] == ["five_run_log", "five_run_log_ties"]
    assert found["case"] == 2
    assert found["old_name"] == f"mlops_concepts.chapters.{FOLDER}.lab"


def test_the_linter_lints_a_new_chapter_and_finds_it_clean(chapter_five):
    done = _check(chapter_five, CHAPTER)
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"{CHAPTER}: ok" in done.stdout, done.stdout


def test_without_its_list_entry_a_chapters_folder_is_not_found(tmp_path):
    unlisted = add_chapter_five(tmp_path, listed=False)
    found = _discover(unlisted)
    assert CHAPTER not in found["chapters"]
    assert found["diagrams"] == {} and found["data"] == [] and found["old_name"] is None
    done = _check(unlisted, CHAPTER)
    assert done.returncode == 1
    assert "unknown diagram 'five_" in done.stdout, done.stdout
    assert "five_run_log" in done.stdout, done.stdout

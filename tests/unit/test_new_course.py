"""``mlops-concepts new-course``: the files it makes, its hidden seeds, and what it refuses.

No nbgrader runs here (the gradebook and the exchange are the integration test's,
tests/integration/test_course_from_wheel.py, which also runs all of it from a wheel).
"""

from __future__ import annotations

import copy
import stat
import subprocess
from pathlib import PurePosixPath

import nbformat
import pytest
import tomllib

from mlops_concepts.authoring.lint import check_test_cells
from mlops_concepts.class_grading.new_course import Refused, create
from mlops_concepts.contract import cells
from mlops_concepts.contract.calls import AuthoringError
from mlops_concepts.contract.exercises import read_check
from mlops_concepts.course import shipped
from mlops_concepts.course.seeds import reseed
from support.course import ASSIGNMENTS, REPO, has_lab

LAB_CHAPTERS = [a for a in ASSIGNMENTS if has_lab(a)]


def _source(root, chapter):
    return nbformat.read(root / "source" / chapter / f"{chapter}.ipynb", as_version=4)


def _seeds(nb):
    return {c.grade_id: c.cases["seed"] for c in map(read_check, filter(cells.is_test, nb.cells)) if c.cases}


def test_the_package_carries_the_repositorys_course_files():
    assert shipped.chapters() == ASSIGNMENTS
    assert shipped.CONFIG.read_bytes() == (REPO / "nbgrader_config.py").read_bytes()
    for chapter in ASSIGNMENTS:
        assert _source(shipped.FILES, chapter) == _source(REPO, chapter)


def test_the_wheel_takes_every_tracked_file_of_the_course_folders():
    """A chapter that gains a file (a picture, a data file) must gain a package-data pattern."""
    patterns = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    patterns = patterns["mlops_concepts.course"]
    tracked = subprocess.run(
        ["git", "ls-files", "source", "examples"], cwd=REPO, capture_output=True, text=True, check=True
    ).stdout.split()
    assert tracked
    missed = [f for f in tracked if not any(PurePosixPath("files", f).match(p) for p in patterns)]
    assert missed == []


@pytest.mark.parametrize("chapter", LAB_CHAPTERS)
def test_reseed_gives_every_lab_check_a_new_seed_and_changes_nothing_else(chapter):
    public = _source(REPO, chapter)
    nb = copy.deepcopy(public)
    chosen = reseed(nb)
    assert chosen == _seeds(nb) and chosen.keys() == _seeds(public).keys()
    assert all(s != 0 and s != _seeds(public)[gid] for gid, s in chosen.items())
    assert len(set(chosen.values())) == len(chosen)
    assert check_test_cells(nb) == []
    for new, old in zip(nb.cells, public.cells, strict=True):
        if new != old:
            assert new.source.replace(str(chosen[cells.grade_id(new)]), "") == old.source.replace(
                str(_seeds(public)[cells.grade_id(old)]), ""
            )


def test_reseed_refuses_a_seed_it_cannot_find_exactly_once():
    nb = copy.deepcopy(_source(REPO, LAB_CHAPTERS[0]))
    lab = next(c for c in nb.cells if cells.is_test(c) and read_check(c).cases)
    lab.source += '\n# was {"seed": 7}'
    with pytest.raises(AuthoringError, match="hidden seed once"):
        reseed(nb)


def test_create_makes_a_private_course_with_seeds_of_its_own(tmp_path):
    one, two = tmp_path / "one", tmp_path / "two"
    two.mkdir()  # an empty folder is fine
    seeds_one, seeds_two = create(one), create(two)
    for root in (one, two):
        assert stat.S_IMODE(root.stat().st_mode) == 0o700
        assert (root / "nbgrader_config.py").read_bytes() == shipped.CONFIG.read_bytes()
        assert sorted(p.name for p in (root / "source").iterdir()) == ASSIGNMENTS
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one", "two"]  # no temporary folder left
    for chapter in LAB_CHAPTERS:
        assert seeds_one[chapter] == _seeds(_source(one, chapter))
        public = _seeds(_source(REPO, chapter))
        for gid in public:
            assert len({public[gid], seeds_one[chapter][gid], seeds_two[chapter][gid]}) == 3


@pytest.mark.parametrize("kind", ["file in it", "a file", "a link"])
def test_create_refuses_anything_but_a_new_or_empty_folder_and_changes_nothing(tmp_path, kind):
    target = tmp_path / "course"
    if kind == "file in it":
        target.mkdir()
        (target / "notes.txt").write_text("mine")
    elif kind == "a file":
        target.write_text("mine")
    else:
        (tmp_path / "elsewhere").mkdir()
        target.symlink_to(tmp_path / "elsewhere")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(Refused, match="is not empty"):
        create(target)
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before


def test_a_course_id_of_its_own_is_what_the_course_configuration_says(tmp_path):
    from mlops_concepts.contract.coursedir import course_config

    create(tmp_path / "spring", course_id="mlops-spring-2027")
    create(tmp_path / "plain")
    assert course_config(tmp_path / "spring").CourseDirectory.course_id == "mlops-spring-2027"
    assert course_config(tmp_path / "plain").CourseDirectory.course_id == "mlops-concepts"


@pytest.mark.parametrize("bad", ["", "../x", "a b", "x'; import os #", "-x", "a" * 65])
def test_a_course_id_that_could_name_another_folder_or_forge_code_is_refused(tmp_path, bad):
    with pytest.raises(Refused, match="course id"):
        create(tmp_path / "course", course_id=bad)
    assert list(tmp_path.iterdir()) == []

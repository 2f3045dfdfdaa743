"""A throw-away chapter 5 releases with real nbgrader, with nothing changed but its folders and
its chapter-list entry (:mod:`support.new_chapter`; discovery and the linter are in
``tests/unit/test_new_chapter.py``).

``nbgrader generate_assignment`` runs the course's own configuration, which wires in the
release plugins: chapter 5's diagram directives become its pictures (found through the chapter
list), and its lab checks are sealed from its own lab data (the hidden seeds go).
"""

from __future__ import annotations

import json
import re

import nbformat

from support.new_chapter import ALT_MARK, CHAPTER, add_chapter_five


def test_a_new_chapter_releases_with_its_own_diagrams_and_lab(tmp_path):
    chapter = add_chapter_five(tmp_path)
    done = chapter.nbgrader("generate_assignment", CHAPTER, "--force")
    assert done.returncode == 0, done.stdout + done.stderr

    release = nbformat.read(chapter.course / "release" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    source = nbformat.read(chapter.course / "source" / CHAPTER / f"{CHAPTER}.ipynb", as_version=4)
    asked = re.findall(r"<!--\s*diagram:\s*(\w+)", "\n".join(c.source for c in source.cells))
    assert asked and all(name.startswith("five_") for name in asked)

    markdown = [c for c in release.cells if c.cell_type == "markdown"]
    text = "\n".join(c.source for c in markdown)
    assert "<!-- diagram:" not in text
    attached = {name for c in markdown for name in (c.get("attachments") or {})}
    assert attached == {f"{name}.png" for name in asked}
    for name in asked:
        assert re.search(rf"!\[{re.escape(ALT_MARK)}[^\]]+\]\(attachment:{name}\.png\)", text), name

    # Its lab checks are sealed from chapter 5's own data: the sidecar names it, the hidden seeds
    # are gone, and the public examples' digests are there (computed from that data at release).
    sidecar = json.loads((chapter.course / "release" / CHAPTER / f".{CHAPTER}.checks.json").read_text())
    labs = {gid: c for gid, c in sidecar["checks"].items() if "cases" in c}
    assert labs, sidecar["checks"].keys()
    assert {c["cases"]["data"] for c in labs.values()} == {"five_run_log", "five_run_log_ties"}
    for gid, c in labs.items():
        assert "seed" not in c["cases"] and c["key"], gid
    assert '"seed"' not in "\n".join(c.source for c in release.cells if c.cell_type == "code")

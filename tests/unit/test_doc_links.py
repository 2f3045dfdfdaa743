"""No dead links in the README and docs/: every relative link or image names a file that exists.

(Binder links, which need the public repository's address, are tests/unit/test_binder.py's.)
"""

import re

import pytest

from support.course import REPO

PAGES = sorted([REPO / "README.md", REPO / "CHANGELOG.md", *(REPO / "docs").rglob("*.md")])
FENCED = re.compile(r"^```.*?^```", re.M | re.S)  # commands, not links
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")


def relative_links(text: str) -> list[str]:
    links = LINK.findall(FENCED.sub("", text))
    return [u for u in links if not re.match(r"[a-z][a-z0-9+.-]*:", u) and not u.startswith("#")]


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.relative_to(REPO).as_posix())
def test_every_relative_link_names_a_file(page):
    dead = [u for u in relative_links(page.read_text()) if not (page.parent / u.split("#")[0]).exists()]
    assert not dead, f"{page.relative_to(REPO)} links to files that do not exist: {dead}"


def test_the_link_finder_sees_links_and_images():
    text = '[a](docs/x.md) ![b](s.png "t") [c](https://x.org) [d](#top)\n```\n[e](no.md)\n```\n'
    assert relative_links(text) == ["docs/x.md", "s.png"]

import pytest

from course import ASSIGNMENTS, make_course


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """(course directory, assignment id) for every chapter, generated once per test session."""
    root = make_course(tmp_path_factory.mktemp(f"course-{request.param}"))
    return root, request.param


@pytest.fixture(scope="session")
def chromium_browser():
    """Debian's headless chromium, driven by Playwright, ONE for the whole test session.

    Playwright's sync API allows one running instance per thread: a second ``sync_playwright()``
    while the first is alive fails with "using Playwright Sync API inside the asyncio loop". So
    every browser test (tests/browser/, the report, the semester) shares this one.
    """
    import os
    from pathlib import Path

    chromium = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not Path(chromium).exists():
        message = f"{chromium} not found: apt-get install -y chromium (or set CHROMIUM)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            yield browser
        finally:
            browser.close()

import pytest

from course import ASSIGNMENTS, ROBUSTNESS_CHAPTERS, make_course

_COURSES: dict = {}


def _course(assignment, tmp_path_factory):
    if assignment not in _COURSES:
        _COURSES[assignment] = make_course(tmp_path_factory.mktemp(f"course-{assignment}"))
    return _COURSES[assignment], assignment


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """(course directory, assignment id) for every chapter, generated once per test session."""
    return _course(request.param, tmp_path_factory)


@pytest.fixture(scope="session", params=ROBUSTNESS_CHAPTERS)
def robustness_course(request, tmp_path_factory):
    """(course directory, assignment id) for the submission-robustness suites: see
    ``course.ROBUSTNESS_CHAPTERS``."""
    return _course(request.param, tmp_path_factory)


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

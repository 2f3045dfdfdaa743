import pytest

from support.course import ASSIGNMENTS, make_course

# Fixtures for tests with real Unix users (make_unix_user, user_python, shared_dir): see the module.
pytest_plugins = ["support.unix_users"]

_COURSES: dict = {}


def _course(assignment, tmp_path_factory):
    if assignment not in _COURSES:
        _COURSES[assignment] = make_course(
            tmp_path_factory.mktemp(f"course-{assignment}"), assignments=[assignment]
        )
    return _COURSES[assignment], assignment


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "chapters(select): the chapters a test runs on (support.course.on_chapters)"
    )


def pytest_collection_modifyitems(config, items):
    """Leave out the chapter × case pairs a test's ``chapters`` marker does not select.

    They are deselected here, at collection, rather than skipped while running: by design they
    would be hundreds of skips, and a real skip (a missing tool) would hide among them.
    """
    kept, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("chapters")
        params = getattr(getattr(item, "callspec", None), "params", {})
        if marker is not None and "course" in params and not marker.args[0](params["course"], params):
            left_out.append(item)
        else:
            kept.append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """(course directory, assignment id) for every chapter, generated once per test session."""
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
        browser = pw.chromium.launch(
            executable_path=chromium,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        try:
            yield browser
        finally:
            browser.close()


# Where the suite's time goes, per test file (setup, call and teardown summed), printed at the end of
# every run: CI's budget is spent per module, and this shows which shared fixture to look at first.
_FILE_SECONDS: dict[str, float] = {}


def pytest_runtest_logreport(report):
    path = report.nodeid.split("::", 1)[0]
    _FILE_SECONDS[path] = _FILE_SECONDS.get(path, 0.0) + report.duration


def pytest_terminal_summary(terminalreporter):
    if not _FILE_SECONDS:
        return
    terminalreporter.section("time per test file")
    for path, seconds in sorted(_FILE_SECONDS.items(), key=lambda kv: -kv[1])[:25]:
        terminalreporter.write_line(f"{seconds / 60:6.1f} min  {path}")

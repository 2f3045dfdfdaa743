import pytest

from course import ASSIGNMENTS, make_course


@pytest.fixture(scope="session", params=ASSIGNMENTS)
def course(request, tmp_path_factory):
    """(course directory, assignment id) for every chapter, generated once per test session."""
    root = make_course(tmp_path_factory.mktemp(f"course-{request.param}"))
    return root, request.param

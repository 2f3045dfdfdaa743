"""mlops_concepts.workspace: the learner's copy is made once and never overwritten; a student's
home gets the nbgrader_config.py that makes the Assignments tab fetch into it."""

from __future__ import annotations

import os

import pytest
from traitlets.config.loader import PyFileConfigLoader

from mlops_concepts import workspace
from mlops_concepts.workspace import WorkspaceError, copy_missing, student_config


@pytest.fixture
def release(tmp_path):
    rel = tmp_path / "release"
    for name in ("01-a", "02-b"):
        (rel / name).mkdir(parents=True)
        (rel / name / f"{name}.ipynb").write_text(f"released {name}")
    (rel / "01-a" / "data.csv").write_text("x\n1\n")
    (rel / "01-a" / ".ipynb_checkpoints").mkdir()
    (rel / "01-a" / ".ipynb_checkpoints" / "01-a-checkpoint.ipynb").write_text("old")
    (rel / "01-a" / ".mlops-progress.json").write_text("{}")
    (rel / "not-a-chapter").mkdir()
    return rel


def test_the_first_run_copies_every_chapter_and_nothing_else(release, tmp_path):
    into = tmp_path / "work"
    copied = copy_missing(release, into)
    assert sorted(p.relative_to(into).as_posix() for p in copied) == [
        "01-a/01-a.ipynb",
        "01-a/data.csv",
        "02-b/02-b.ipynb",
    ]
    assert (into / "01-a" / "01-a.ipynb").read_text() == "released 01-a"
    assert not any(p.name.startswith(".") for p in into.rglob("*"))  # no temporary file left


def test_a_second_run_keeps_the_learners_work_and_restores_only_what_is_missing(release, tmp_path):
    into = tmp_path / "work"
    copy_missing(release, into)
    (into / "01-a" / "01-a.ipynb").write_text("my answers")
    (into / "02-b" / "02-b.ipynb").unlink()
    (release / "01-a" / "01-a.ipynb").write_text("released again")  # make release ran
    copied = copy_missing(release, into)
    assert [p.relative_to(into).as_posix() for p in copied] == ["02-b/02-b.ipynb"]
    assert (into / "01-a" / "01-a.ipynb").read_text() == "my answers"


def test_a_link_in_the_copy_is_not_written_through(release, tmp_path):
    into = tmp_path / "work"
    target = tmp_path / "elsewhere.txt"
    target.write_text("keep me")
    (into / "01-a").mkdir(parents=True)
    os.symlink(target, into / "01-a" / "01-a.ipynb")
    copy_missing(release, into, ["01-a"])
    assert target.read_text() == "keep me"


def test_one_chapter_and_a_chapter_that_does_not_exist(release, tmp_path):
    into = tmp_path / "work"
    copy_missing(release, into, ["02-b"])
    assert sorted(p.name for p in into.iterdir()) == ["02-b"]
    with pytest.raises(WorkspaceError, match="no chapter 03-c"):
        copy_missing(release, into, ["03-c"])
    with pytest.raises(WorkspaceError, match="no release folder"):
        copy_missing(tmp_path / "nowhere", into)


def test_the_command_prints_the_notebook_to_open_and_says_errors_plainly(release, tmp_path, capsys):
    into = tmp_path / "work"
    args = ["learner", "--release", str(release), "--into", str(into)]
    assert workspace.main([*args, "--chapter", "02-b"]) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(into / "02-b" / "02-b.ipynb")
    assert "Copied 3 file(s)" in err
    assert workspace.main(args) == 0
    out, err = capsys.readouterr()
    assert out.strip() == str(into / "01-a" / "01-a.ipynb") and "Copied" not in err
    assert workspace.main([*args, "--chapter", "x\x1b[2J"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and "\x1b" not in err and "no chapter x\\x1b[2J" in err


def load(path):
    return PyFileConfigLoader(path.name, path=str(path.parent)).load_config()


def test_a_students_home_names_the_course_the_exchange_and_fetches_into_itself(tmp_path):
    home, exchange = tmp_path / "home", tmp_path / "ex"
    path = student_config(home, exchange, "mlops-concepts", "ada")
    config = load(path)
    assert config.CourseDirectory.course_id == "mlops-concepts"
    assert config.CourseDirectory.student_id == "ada"
    assert config.Exchange.root == str(exchange)
    assert config.Exchange.assignment_dir == str(home)
    assert config.Exchange.cache == str(home / ".nbgrader-cache")
    # rewritten with new settings, as it is ours
    student_config(home, tmp_path / "other", "mlops-concepts")
    config = load(path)
    assert config.Exchange.root == str(tmp_path / "other") and "student_id" not in config.CourseDirectory


def test_values_are_written_as_python_literals_not_code(tmp_path):
    home = tmp_path / "home"
    evil = "x'); import os; os.system('touch PWNED'); ('"
    path = student_config(home, tmp_path / "ex", evil)
    assert load(path).CourseDirectory.course_id == evil
    assert not (tmp_path / "PWNED").exists() and not os.path.exists("PWNED")


def test_a_config_the_student_wrote_is_left_alone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    (home / "nbgrader_config.py").write_text("c = get_config()\n# mine\n")
    with pytest.raises(WorkspaceError, match="not one `make student` wrote"):
        student_config(home, tmp_path / "ex", "mlops-concepts")
    assert (home / "nbgrader_config.py").read_text() == "c = get_config()\n# mine\n"

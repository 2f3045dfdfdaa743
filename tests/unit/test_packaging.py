"""The pins agree everywhere, and importing the package stays light."""

import re
import subprocess
import sys

from support.course import REPO


def test_environment_yml_pins_match_pyproject():
    text = (REPO / "pyproject.toml").read_text()
    block = text.split("\ndependencies = [", 1)[1].split("]", 1)[0]
    project = re.findall(r'"([^"]+)"', block)
    assert len(project) >= 6
    env = re.findall(r"^\s+- ([A-Za-z0-9_.-]+==[^\s]+)\s*$", (REPO / "environment.yml").read_text(), re.M)
    assert sorted(env) == sorted(project)


def test_importing_the_package_does_not_import_matplotlib():
    code = "import mlops_concepts, sys; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_postbuild_installs_the_package():
    text = (REPO / "postBuild").read_text()
    assert "pip install" in text and "-e ." in text


def test_a_wheel_installs_the_nbgrader_guard_into_the_environment(tmp_path):
    """`pip install .` (not editable: a grading server, say) puts the guard that stops nbgrader on
    a broken nbgrader_config.py into <prefix>/etc/jupyter/, as make and postBuild do."""
    import zipfile

    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--quiet",
            "-w",
            str(tmp_path),
            str(REPO),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("mlops_concepts-*.whl")
    with zipfile.ZipFile(wheel) as zf:
        guard = [n for n in zf.namelist() if n.endswith(".data/data/etc/jupyter/jupyter_config.py")]
        assert len(guard) == 1, zf.namelist()
        assert zf.read(guard[0]) == (REPO / "etc" / "jupyter" / "jupyter_config.py").read_bytes()
        pages = "etc/jupyter/jupyter_server_config.d/mlops_concepts.json"  # inert Formgrader pages
        found = [n for n in zf.namelist() if n.endswith(f".data/data/{pages}")]
        assert len(found) == 1, zf.namelist()
        assert zf.read(found[0]) == (REPO / pages).read_bytes()

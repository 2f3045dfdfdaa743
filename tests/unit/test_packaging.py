"""The pins agree everywhere, and importing the package stays light."""

import re
import subprocess
import sys
from importlib import metadata

import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name

from support.course import REPO


def _lock() -> dict[str, str]:
    """constraints.txt: normalised package name -> exact version."""
    pins = {}
    for line in (REPO / "constraints.txt").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.strip().split("==")
            pins[canonicalize_name(name)] = version
    return pins


def _requirements() -> list[Requirement]:
    """Every requirement of pyproject.toml: the dependencies and every extra."""
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    extras = [r for group in project["optional-dependencies"].values() for r in group]
    return [Requirement(r) for r in [*project["dependencies"], *extras]]


def test_every_requirement_is_locked_within_its_range():
    lock = _lock()
    for requirement in _requirements():
        name = canonicalize_name(requirement.name)
        assert name in lock, f"{requirement.name} is not in constraints.txt: run `make lock`"
        assert requirement.specifier.contains(lock[name], prereleases=True), (
            f"constraints.txt has {requirement.name}=={lock[name]}, outside pyproject.toml's {requirement}"
        )


def test_environment_yml_pins_the_locked_version_of_every_dependency():
    lock = _lock()
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    wanted = {canonicalize_name(Requirement(r).name) for r in project["dependencies"]}
    env = re.findall(r"^\s+- ([A-Za-z0-9_.-]+)==([^\s]+)\s*$", (REPO / "environment.yml").read_text(), re.M)
    pinned = {canonicalize_name(name): version for name, version in env}
    assert set(pinned) == wanted
    assert {name: lock[name] for name in wanted} == pinned


def test_this_environment_is_the_lock():
    """What the tests run on is what constraints.txt says (make installs from it)."""
    differ = {}
    for name, version in _lock().items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != version:
            differ[name] = (version, installed)
    assert not differ, f"locked vs installed: {differ}"


def _lowest_supported_python() -> str:
    """The lowest version pyproject.toml's ``requires-python`` (``>=X.Y``) admits: X.Y.0."""
    requires = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["requires-python"]
    match = re.fullmatch(r">=(\d+)\.(\d+)", requires)
    assert match, f"requires-python is {requires!r}: state the supported minimum as >=X.Y"
    return f"{match[1]}.{match[2]}.0"


def test_the_lock_installs_on_every_supported_python():
    """Each locked version runs on the lowest Python the project admits (so on Debian 12's 3.11.2,
    too, which once could not take the locked soupsieve 4.1.4: it needs 3.11.5). The installed
    metadata is the lock's (test_this_environment_is_the_lock)."""
    lowest = _lowest_supported_python()
    refused = {}
    for name, version in _lock().items():
        try:
            needs = metadata.metadata(name).get("Requires-Python")
        except metadata.PackageNotFoundError:
            continue  # test_this_environment_is_the_lock reports it
        for python in (lowest, "3.11.2"):  # 3.11.2: Debian 12's python3
            if needs and not SpecifierSet(needs).contains(python):
                refused[f"{name}=={version}"] = (needs, python)
    assert not refused, f"locked versions that a supported Python cannot install: {refused}"


def test_make_checks_the_supported_python():
    major, minor, _ = _lowest_supported_python().split(".")
    makefile = (REPO / "Makefile").read_text()
    assert f"sys.version_info < ({major}, {minor})" in makefile
    assert f"- python={major}.{minor}\n" in (REPO / "environment.yml").read_text()


def test_make_and_binder_install_from_the_lock():
    assert '-c constraints.txt -e ".[test]"' in (REPO / "Makefile").read_text()
    assert "pip install -c constraints.txt -e ." in (REPO / "postBuild").read_text()


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

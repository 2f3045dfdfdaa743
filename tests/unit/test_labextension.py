"""Our JupyterLab extension (labextension/): its committed build matches its source, and the wheel
carries that build into share/jupyter/labextensions/, where JupyterLab finds it.

The build is committed (as wheels on PyPI ship theirs), so that neither `make` nor CI needs node;
`make labextension` rebuilds it and records the hash of the source it was built from.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXT = REPO / "labextension"
NAME = "mlops-concepts-feedback"


def source_hash() -> str:
    """What the Makefile writes: sha256 of package.json then src/*.js (C order), concatenated."""
    files = [EXT / "package.json", *sorted((EXT / "src").glob("*.js"), key=lambda p: p.name.encode())]
    return hashlib.sha256(b"".join(p.read_bytes() for p in files)).hexdigest()


def test_the_committed_build_was_built_from_the_committed_source():
    recorded = (EXT / "prebuilt" / "source.sha256").read_text().strip()
    assert recorded == source_hash(), (
        "labextension/prebuilt/ is older than labextension/src or its package.json: run `make labextension`"
    )


def test_the_build_names_the_extension_and_holds_its_entry_point():
    built = json.loads((EXT / "prebuilt" / "package.json").read_text())
    assert built["name"] == NAME == json.loads((EXT / "package.json").read_text())["name"]
    entry = built["jupyterlab"]["_build"]["load"]
    assert (EXT / "prebuilt" / entry).is_file(), entry


def test_the_wheel_installs_the_build_where_jupyterlab_looks(tmp_path):
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet"]
        + ["-w", str(tmp_path), str(REPO)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    (wheel,) = tmp_path.glob("mlops_concepts-*.whl")
    prefix = f"share/jupyter/labextensions/{NAME}/"
    with zipfile.ZipFile(wheel) as zf:
        shipped = {
            name.split(".data/data/", 1)[1]: zf.read(name)
            for name in zf.namelist()
            if f".data/data/{prefix}" in name
        }
    prebuilt = EXT / "prebuilt"
    expected = {
        prefix + p.relative_to(prebuilt).as_posix(): p.read_bytes()
        for p in prebuilt.rglob("*")
        if p.is_file() and p.name != "source.sha256"
    }
    assert expected, "nothing built"
    assert shipped == expected

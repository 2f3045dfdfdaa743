"""The package's layout (docs/architecture.md): one package per runtime, imports only downward, no
import circles, no folder over a third of the package, no module over 600 lines.

The graph is read from the source (tests/support/imports.py), so a lazy import inside a function
counts for the layering too: it still runs, in the same process, when the function does.
"""

from __future__ import annotations

from support import imports

MAX_MODULE_LINES = 600


def test_no_module_imports_in_a_circle_at_import_time():
    graph = imports.build()
    assert imports.cycles(graph.top) == []


def test_every_group_of_the_package_has_a_layer():
    graph = imports.build()
    placed = {g for layer in imports.LAYERS for g in layer}
    unplaced = sorted({imports.group(m) for m in graph.files} - placed)
    assert unplaced == [], f"add to LAYERS in tests/support/imports.py and docs/architecture.md: {unplaced}"


def test_imports_go_only_down_the_layers():
    assert imports.upward(imports.build()) == []


def test_no_folder_holds_over_a_third_of_the_package():
    graph = imports.build()
    total = sum(graph.lines.values())
    over = {folder: n for folder, n in imports.folder_lines(graph).items() if 3 * n > total}
    assert over == {}, f"of {total} lines"


def test_no_module_is_over_600_lines():
    graph = imports.build()
    over = {m for m, n in graph.lines.items() if n > MAX_MODULE_LINES}
    assert over == set(), {m: graph.lines[m] for m in over}


# The checks themselves, on small graphs: each can fail.


def test_a_circle_is_found():
    edges = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert imports.cycles(edges) == [["a", "b", "c"]]
    assert imports.cycles({"a": {"b"}, "b": set()}) == []


def test_an_upward_import_and_a_same_layer_import_are_reported():
    graph = imports.Graph()
    graph.every["mlops_concepts.contract.cells"] = {"mlops_concepts.class_grading.pipeline"}
    graph.every["mlops_concepts.report.data"] = {"mlops_concepts.authoring.lint"}
    graph.every["mlops_concepts.class_grading.cli"] = {"mlops_concepts.contract.cells", "mlops_concepts.labs"}
    wrong = imports.upward(graph)
    assert len(wrong) == 2, wrong
    assert wrong[0].startswith("mlops_concepts.contract.cells -> mlops_concepts.class_grading.pipeline")
    assert wrong[1].startswith("mlops_concepts.report.data -> mlops_concepts.authoring.lint")


def test_a_lazy_import_counts_for_the_layers_but_not_for_circles(tmp_path, monkeypatch):
    package = tmp_path / "mlops_concepts"
    (package / "contract").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "contract" / "__init__.py").write_text("")
    (package / "contract" / "a.py").write_text("from . import b\n")
    lazy = "def f():\n    from . import a\n    from ..class_grading import c\n"
    (package / "contract" / "b.py").write_text(lazy)
    (package / "class_grading").mkdir()
    (package / "class_grading" / "__init__.py").write_text("")
    (package / "class_grading" / "c.py").write_text("from ..contract.a import X\n")
    monkeypatch.setattr(imports, "PACKAGE", package)
    monkeypatch.setattr(imports, "DATA", ())
    graph = imports.build()
    assert graph.top["mlops_concepts.contract.a"] == {"mlops_concepts.contract.b"}
    assert graph.top["mlops_concepts.contract.b"] == set()
    assert imports.cycles(graph.top) == []
    assert imports.cycles(graph.every) == [
        ["mlops_concepts.class_grading.c", "mlops_concepts.contract.a", "mlops_concepts.contract.b"]
    ]
    assert [w.split(" (")[0] for w in imports.upward(graph)] == [
        "mlops_concepts.contract.b -> mlops_concepts.class_grading.c"
    ]
    assert imports.folder_lines(graph) == {"contract": 4, "class_grading": 1}

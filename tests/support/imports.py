"""The course package's import graph, read from its source (nothing is imported), and its layers.

tests/unit/test_layout.py checks it; ``python tests/support/imports.py OUT.png`` draws it for
docs/architecture.md.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "mlops_concepts"
# The course files a wheel carries (links to the repository's own folders): data, not package code.
DATA = (PACKAGE / "course" / "files",)

# What runs in the student's kernel (and in the sandboxed grading kernel): one runtime, one group.
KERNEL = "kernel"
KERNEL_SIDE = {
    "",  # mlops_concepts/__init__.py
    "answers",
    "autograding",
    "keyboard",
    "widget_views",
    "progress",
    "checks",
    "function_checks",
    "checkpoints",
    "labs",
    "diagrams",
    "chapters",
}
# Lowest first. A group may import its own modules and any group of a LOWER layer, never one of its
# own layer or above (docs/architecture.md says why each sits where it does).
LAYERS = [
    (KERNEL,),
    ("contract",),
    ("assignment_plugins", "nbgrader_plugins"),
    ("authoring", "report", "workspace"),
    ("course",),
    ("class_grading",),
]


@dataclass
class Graph:
    lines: dict[str, int] = field(default_factory=dict)  # module: lines of its file
    files: dict[str, Path] = field(default_factory=dict)
    # module: modules it imports; `top` at import time only, `every` also inside functions
    top: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    every: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))


def module_name(path: Path) -> str:
    parts = ["mlops_concepts", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def group(module: str) -> str:
    """The runtime group of a module: its top-level package under mlops_concepts, or the kernel."""
    parts = module.split(".")
    name = parts[1] if len(parts) > 1 else ""
    return KERNEL if name in KERNEL_SIDE else name


def layer_of(name: str) -> int | None:
    for n, members in enumerate(LAYERS):
        if name in members:
            return n
    return None


def _imports(tree: ast.Module, module: str, is_package: bool, known: set[str]):
    """(imported module, at import time?) for every import statement of one file."""
    package = module if is_package else module.rsplit(".", 1)[0]

    def visit(node, at_import_time: bool):
        for child in ast.iter_child_nodes(node):
            deferred = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda)
            inner = at_import_time and not deferred
            if isinstance(child, ast.Import):
                for alias in child.names:
                    if alias.name in known:
                        yield alias.name, inner
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    base = package.split(".")
                    base = base[: len(base) - (child.level - 1)]
                    source = ".".join(base + ([child.module] if child.module else []))
                else:
                    source = child.module or ""
                for alias in child.names:
                    # `from pkg import sub` imports the module pkg.sub; `from mod import name`, mod
                    if f"{source}.{alias.name}" in known:
                        yield f"{source}.{alias.name}", inner
                    elif source in known:
                        yield source, inner
            yield from visit(child, inner)

    yield from visit(tree, True)


def build() -> Graph:
    graph = Graph()
    paths = [
        p
        for p in sorted(PACKAGE.rglob("*.py"))
        if not p.is_symlink() and not any(p.is_relative_to(d) for d in DATA)
    ]
    for p in paths:
        graph.files[module_name(p)] = p
    known = set(graph.files)
    for name, p in graph.files.items():
        text = p.read_text()
        graph.lines[name] = len(text.splitlines())
        for target, at_import_time in _imports(ast.parse(text), name, p.name == "__init__.py", known):
            if target != name:
                graph.every[name].add(target)
                if at_import_time:
                    graph.top[name].add(target)
    return graph


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found = []
    nodes = set(edges) | {t for ts in edges.values() for t in ts}
    for root in sorted(nodes):
        if root in index:
            continue
        work = [(root, iter(sorted(edges.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def upward(graph: Graph) -> list[str]:
    """Every import of a group of the same or a higher layer (other than the module's own group)."""
    wrong = []
    for source, targets in sorted(graph.every.items()):
        for target in sorted(targets):
            a, b = group(source), group(target)
            if a == b:
                continue
            la, lb = layer_of(a), layer_of(b)
            if la is None or lb is None or lb >= la:
                wrong.append(f"{source} -> {target} ({a}: layer {la}, {b}: layer {lb})")
    return wrong


def folder_lines(graph: Graph) -> dict[str, int]:
    """Lines of code under each folder of the package (not the package itself), subfolders included."""
    sizes: dict[str, int] = defaultdict(int)
    for name, p in graph.files.items():
        for parent in p.relative_to(PACKAGE).parents:
            if parent != Path("."):
                sizes[parent.as_posix()] += graph.lines[name]
    return dict(sizes)


def group_edges(graph: Graph) -> dict[str, set[str]]:
    edges: dict[str, set[str]] = defaultdict(set)
    for source, targets in graph.every.items():
        for target in targets:
            if group(source) != group(target):
                edges[group(source)].add(group(target))
    return edges


def draw(out: Path) -> None:
    """The groups, one row per layer (lowest at the bottom), an arrow per group-level import."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyBboxPatch

    graph = build()
    sizes: dict[str, int] = defaultdict(int)
    for name, n in graph.lines.items():
        sizes[group(name)] += n
    total = sum(sizes.values())
    where: dict[str, tuple[float, float]] = {}
    for row, members in enumerate(LAYERS):
        for col, name in enumerate(members):
            where[name] = ((col + 1) / (len(members) + 1), row)
    fig, ax = plt.subplots(figsize=(10, 8.5))
    ax.set_xlim(0, 1)
    ax.set_ylim(-0.6, len(LAYERS) - 0.4)
    ax.axis("off")
    for source, targets in sorted(group_edges(graph).items()):
        for target in sorted(targets):
            (x1, y1), (x2, y2) = where[source], where[target]
            ax.annotate(
                "",
                xy=(x2, y2 + 0.22),
                xytext=(x1, y1 - 0.22),
                arrowprops={"arrowstyle": "->", "color": "#888", "lw": 1, "connectionstyle": "arc3,rad=0.08"},
            )
    labels = {
        KERNEL: "kernel side (answers, checks,\ncheckpoints, labs, diagrams, ...)",
        "contract": "contract",
        "nbgrader_plugins": "nbgrader_plugins",
        "assignment_plugins": "assignment_plugins",
        "authoring": "authoring",
        "report": "report",
        "workspace": "workspace",
        "course": "course",
        "class_grading": "class_grading\n(mlops-concepts)",
    }
    for name, (x, y) in where.items():
        share = 100 * sizes.get(name, 0) / total
        width = min(0.3, 0.85 / (len(next(m for m in LAYERS if name in m)) + 1))
        ax.add_patch(
            FancyBboxPatch(
                (x - width / 2, y - 0.22),
                width,
                0.44,
                boxstyle="round,pad=0.01",
                facecolor="#e8f0fb" if name != KERNEL else "#eef7e8",
                edgecolor="#335",
            )
        )
        ax.text(x, y + 0.05, labels.get(name, name), ha="center", va="center", fontsize=9)
        size = f"{sizes.get(name, 0)} lines ({share:.0f}%)"
        ax.text(x, y - 0.17, size, ha="center", fontsize=7, color="#555")
    ax.set_title("mlops_concepts: import graph by group (arrows point at what is imported; layers bottom-up)")
    fig.tight_layout()
    fig.savefig(out, dpi=110)


if __name__ == "__main__":
    draw(Path(sys.argv[1]))

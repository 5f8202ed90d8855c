"""Import layers (STYLE.md point 1, DESIGN.md): checked on the source, so it stays so.

- ``sync/`` and ``devices/`` never import Qt;
- ``devices/`` never imports automerge;
- ``app/ui`` never imports automerge, directly or through a project module it imports
  (module-level imports, followed transitively: what loads when the UI starts);
- ``sync/`` never imports ``app`` or ``devices``; ``devices/`` takes from ``sync`` only
  its pure leaves (the error family and the vocabulary);
- no import cycle among the project's modules, counting every import (module-level,
  inside functions, and under ``TYPE_CHECKING``): a cycle hidden inside a function is
  still two modules that cannot be understood one without the other.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
QT = ("PySide6", "PyQt5", "PyQt6", "shiboken6", "pytestqt")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def sources(package: str) -> list[Path]:
    return sorted((ROOT / package).rglob("*.py"))


@cache
def imports(path: Path, *, top_level_only: bool = False) -> frozenset[str]:
    """Modules ``path`` imports (absolute names; relative imports resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    here = module_name(path)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    nodes = tree.body if top_level_only else list(ast.walk(tree))
    if top_level_only:  # also imports inside module-level if/try blocks
        nodes = [n for stmt in tree.body for n in ast.walk(stmt)
                 if not isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    out: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            out.add(base)
            out.update(f"{base}.{alias.name}" for alias in node.names)
    return frozenset(out)


def offending(names: frozenset[str] | set[str], banned: tuple[str, ...]) -> set[str]:
    return {n for n in names if n.split(".")[0] in banned}


@pytest.mark.parametrize("package", ["sync", "devices"])
def test_no_qt_below_the_ui(package: str) -> None:
    bad = {f"{p.relative_to(ROOT)}: {sorted(offending(imports(p), QT))}"
           for p in sources(package) if offending(imports(p), QT)}
    assert not bad, bad


def test_devices_never_import_automerge() -> None:
    bad = {str(p.relative_to(ROOT)) for p in sources("devices")
           if offending(imports(p), ("automerge",))}
    assert not bad, bad


def project_module(name: str) -> Path | None:
    base = ROOT / Path(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_the_ui_never_loads_automerge() -> None:
    ui = sources("app/ui")
    assert ui, "app/ui has no sources to check"
    bad = []
    for start in ui:
        seen: dict[str, str | None] = {module_name(start): None}
        todo = [start]
        while todo:
            path = todo.pop()
            for name in imports(path, top_level_only=True):
                if name.split(".")[0] == "automerge":
                    chain, at = [name], module_name(path)
                    while at is not None:
                        chain.append(at)
                        at = seen.get(at)
                    bad.append(" <- ".join(chain))
                    continue
                target = project_module(name)
                if target is not None and module_name(target) not in seen:
                    seen[module_name(target)] = module_name(path)
                    todo.append(target)
    assert not bad, "\n".join(sorted(set(bad)))


def test_the_scan_sees_imports() -> None:
    """Guard against a scan that silently finds nothing."""
    assert "automerge.core" in imports(ROOT / "sync" / "am_doc.py")
    assert "sync.errors" in imports(ROOT / "sync" / "lifecycle.py")
    assert offending({"PySide6.QtCore"}, QT) == {"PySide6.QtCore"}


PACKAGES = ("app", "sync", "devices")
DEVICES_MAY_USE = ("sync.errors", "sync.vocabulary")


def project_graph() -> dict[str, set[str]]:
    """module -> the project modules it imports (any kind of import)."""
    modules = {module_name(p): p for pkg in PACKAGES for p in sources(pkg)}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        deps = set()
        for imported in imports(path):
            parts = imported.split(".")
            for k in range(len(parts), 0, -1):  # the longest prefix that is a module
                candidate = ".".join(parts[:k])
                if candidate in modules:
                    if candidate != name:
                        deps.add(candidate)
                    break
        graph[name] = deps
    return graph


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                cycles.append(sorted(group))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return cycles


def test_no_import_cycles() -> None:
    cycles = import_cycles(project_graph())
    assert not cycles, "\n".join(" <-> ".join(c) for c in cycles)


def test_the_cycle_check_finds_cycles() -> None:
    assert import_cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert import_cycles({"a": {"b"}, "b": set()}) == []
    graph = project_graph()
    assert "sync.errors" in graph["sync.lifecycle"]  # the scan sees project imports


def test_sync_knows_nothing_of_app_or_devices() -> None:
    bad = {f"{p.relative_to(ROOT)}: {sorted(offending(imports(p), ('app', 'devices')))}"
           for p in sources("sync") if offending(imports(p), ("app", "devices"))}
    assert not bad, bad


def test_devices_take_only_the_pure_leaves_of_sync() -> None:
    bad = {}
    for path in sources("devices"):
        used = {n for n in imports(path) if n.split(".")[0] == "sync"}
        extra = {n for n in used if not n.startswith(DEVICES_MAY_USE)}
        if extra:
            bad[str(path.relative_to(ROOT))] = sorted(extra)
    assert not bad, bad

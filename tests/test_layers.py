"""Import layers (STYLE.md point 1, DESIGN.md): checked on the source, so it stays so.

- ``sync/`` and ``devices/`` never import Qt;
- ``devices/`` never imports automerge;
- ``app/ui`` never imports automerge, directly or through a project module it imports
  (module-level imports, followed transitively: what loads when the UI starts).
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

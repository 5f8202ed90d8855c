"""Run engine commands in-process against a ``TillEngine``, as the CLI does without an engine.

One registry per engine (``app.engine.commands.in_process_registry``), made on first use
and dropped with the engine, so tests read ``run(engine, "order.add", {...})``.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

from app.engine.commands import Registry, in_process_registry
from app.engine.till_engine import TillEngine

_registries: weakref.WeakKeyDictionary[TillEngine, Registry] = weakref.WeakKeyDictionary()


def registry(engine: TillEngine) -> Registry:
    found = _registries.get(engine)
    if found is None:
        found = _registries[engine] = in_process_registry(engine)
    return found


def run(engine: TillEngine, name: str, args: Mapping[str, Any] | None = None) -> Any:
    """Run command ``name`` with JSON arguments ``args`` on ``engine``."""
    return registry(engine).run(name, args or {})

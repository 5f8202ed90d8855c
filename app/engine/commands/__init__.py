"""The engine's command handlers, one module per domain, and the registry that binds them
to ``app/protocol.py``.

``build_registry(context)`` is called where the engine is wired (``app/engine/main.py``
for the long-running engine, ``app/client.LocalEngine`` for a CLI process): every domain
registers explicitly, and the peer, device and mailbox-status commands only when the
engine runs those parts. Nothing registers itself on import.
"""

from __future__ import annotations

from app.engine.commands import (
    alerts,
    backup,
    catalog,
    catalog_files,
    conversations,
    customers,
    devices,
    inbox,
    mailbox,
    maintenance,
    orders,
    peers,
    printing,
    purchasing,
    reports,
    shop,
    staff,
    templates,
)
from app.engine.commands.registry import EngineContext, Registry
from app.engine.intake_bridge import IntakeService
from app.engine.till_engine import TillEngine

__all__ = ["EngineContext", "Registry", "build_registry", "in_process_registry"]


def build_registry(context: EngineContext) -> Registry:
    """Every command ``context`` can serve."""
    registry = Registry(context)
    for domain in (shop, catalog, catalog_files, purchasing, customers, orders, staff, inbox,
                   alerts, maintenance, conversations, templates, mailbox, reports, backup,
                   printing):
        domain.register(registry)
    if context.peers is not None:
        peers.register(registry)
    if context.devices is not None:
        devices.register(registry)
    if context.mailbox is not None:
        mailbox.register_running(registry)
    return registry


def in_process_registry(engine: TillEngine) -> Registry:
    """The commands of an engine with no devices or peers: a CLI process, tests."""
    return build_registry(EngineContext(engine, IntakeService(engine)))

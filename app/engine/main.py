"""Wires the headless engine: ledger, read model, IPC, devices, peers (STYLE.md point 9).

All Automerge work runs on this one asyncio loop (single writer). Device drivers run in
their own threads and hand events over with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.engine import commands
from app.engine.ipc_server import IpcServer
from app.engine.till_engine import TillEngine
from sync.changes import Changes

log = logging.getLogger("countertop.engine")


@dataclass
class EngineOptions:
    """What ``countertop engine`` was asked to run."""

    data_dir: Path
    modem: str | None = None
    modem_pin: str | None = None
    callerid: str | None = None
    peers: list[str] = field(default_factory=list)
    relays: list[str] = field(default_factory=list)
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    interfaces: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    discovery: bool = True
    demo: bool = False


class EngineService:
    """The long-running engine: owns the TillEngine and everything attached to it."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self.engine = TillEngine(options.data_dir, role="countertop engine")
        self.ipc = IpcServer(self.dispatch, self.engine.data_dir.engine_info_path)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.extra_commands: dict[str, Any] = {}
        self.device_status: dict[str, Any] = {}  # device name -> last DeviceStatus
        self._stopping = asyncio.Event()
        self._attachments: list[Any] = []
        self.engine.subscribe(self._on_changes)

    def dispatch(self, cmd: str, args: dict[str, Any]) -> Any:
        handler = self.extra_commands.get(cmd)
        if handler is not None:
            return handler(args)
        return commands.run(self.engine, cmd, args)

    def _on_changes(self, changes: Changes) -> None:
        self.ipc.publish({"event": "changed", "changes": changes.to_json()})

    def publish(self, event: dict[str, Any]) -> None:
        """Thread-safe: post an event to every subscribed UI/CLI client."""
        if self.loop is None or self.loop.is_closed():
            return
        self.loop.call_soon_threadsafe(self.ipc.publish, event)

    def attach(self, component: Any) -> None:
        """Something with async ``start()``/``stop()`` that lives as long as the engine."""
        self._attachments.append(component)

    async def run(self) -> int:
        self.loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            try:
                self.loop.add_signal_handler(sig, self._stopping.set)
            except (NotImplementedError, RuntimeError):
                pass
        await self.ipc.start()
        started = []
        try:
            for component in self._attachments:
                await component.start()
                started.append(component)
            log.info("engine ready (till %s)", self.engine.identity.short_id)
            await self._stopping.wait()
        finally:
            for component in reversed(started):
                try:
                    await asyncio.wait_for(component.stop(), timeout=10)
                except Exception:
                    log.exception("stopping %s failed", component)
            await self.ipc.stop()
            self.engine.close()
        return 0

    def stop(self) -> None:
        """Thread-safe: ask a running engine to shut down (no-op once its loop is gone)."""
        if self.loop is not None and not self.loop.is_closed():
            self.loop.call_soon_threadsafe(self._stopping.set)


def run_engine(options: EngineOptions) -> int:
    """Run the engine in the foreground until SIGTERM/SIGINT; returns the exit code."""
    service = EngineService(options)
    from app.engine.wiring import attach_all

    attach_all(service)
    return asyncio.run(service.run())

"""The long-running engine: one data dir, its IPC, and everything attached to it.

``run_engine(options)`` is the composition root (STYLE.md point 9): it opens the
``TillEngine``, lets ``wiring.attach_all`` build the intake, device and peer parts,
builds the command registry from what was attached, and serves until SIGTERM/SIGINT.
All Automerge work runs on this one asyncio loop (single writer); device drivers run in
their own threads and hand events over with ``run_coroutine_threadsafe``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from typing import Any

from app import protocol
from app.engine import wiring
from app.engine.commands import Registry, build_registry
from app.engine.ipc_server import IpcServer
from app.engine.services import Attachment, EngineOptions
from app.engine.till_engine import TillEngine
from sync.changes import Changes

log = logging.getLogger("countertop.engine")

__all__ = ["EngineOptions", "EngineService", "run_engine"]


class EngineService:
    """The long-running engine (an ``EngineHost``): owns the TillEngine, the IPC server
    and every attachment, in that start order, and stops them in reverse."""

    def __init__(self, options: EngineOptions) -> None:
        self.options = options
        self.engine = TillEngine(options.data_dir, role="countertop engine")
        self.ipc = IpcServer(self.dispatch, self.engine.data_dir.engine_info_path)
        self.registry: Registry | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stopping = asyncio.Event()
        self._attachments: list[Attachment] = []
        self.engine.subscribe(self._on_changes)

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        return self._loop

    def serve(self, registry: Registry) -> None:
        """The commands IPC clients may run (set before ``run``)."""
        self.registry = registry

    def dispatch(self, cmd: str, args: dict[str, Any]) -> Any:
        if self.registry is None:
            raise RuntimeError("the engine serves no commands yet")
        return self.registry.run(cmd, args)

    def _on_changes(self, changes: Changes) -> None:
        self.ipc.publish(protocol.changed_event(changes.to_json()))

    def publish(self, event: protocol.Event) -> None:
        """Thread-safe: post an event to every subscribed UI/CLI client."""
        if self._loop is None or self._loop.is_closed():
            return
        self._loop.call_soon_threadsafe(self.ipc.publish, event)

    def attach(self, component: Attachment) -> None:
        """Something with async ``start()``/``stop()`` that lives as long as the engine."""
        self._attachments.append(component)

    async def run(self) -> int:
        self._loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            # Windows has no loop signal handlers: Ctrl+C still raises KeyboardInterrupt
            with contextlib.suppress(NotImplementedError, RuntimeError):
                self._loop.add_signal_handler(sig, self._stopping.set)
        await self.ipc.start()
        started: list[Attachment] = []
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
        if self._loop is not None and not self._loop.is_closed():
            self._loop.call_soon_threadsafe(self._stopping.set)


def build_service(options: EngineOptions) -> EngineService:
    """The engine with every part the options ask for, ready to ``run``."""
    service = EngineService(options)
    try:
        service.serve(build_registry(wiring.attach_all(service)))
    except BaseException:
        service.engine.close()
        raise
    return service


def run_engine(options: EngineOptions) -> int:
    """Run the engine in the foreground until SIGTERM/SIGINT; returns the exit code."""
    return asyncio.run(build_service(options).run())

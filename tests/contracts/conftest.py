"""The implementations the contract suites run against that need more than a constructor.

``engine_sink`` is the engine's ``EngineSink`` as a driver gets it in production: a real
``EngineService`` (a ``TillEngine`` in ``tmp_path`` holding a shop) running its asyncio
loop on a thread, and the sink with the ``Outbox`` the modem wiring gives it
(``app/engine/wiring.py``). How an EngineSink is built lives in this one fixture only,
so a change to its constructor or to the engine's wiring is a one-place edit here.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from app.engine.device_bridge import EngineSink, Outbox
from app.engine.main import EngineOptions, EngineService
from app.engine.services import DeviceBoard
from devices.events import OutgoingMessage
from tests.helpers.commands import registry, run
from tests.helpers.waiting import wait_until


@dataclass
class RunningEngineSink:
    """An ``EngineSink`` on a running engine, and a way to ask that engine what it holds."""

    service: EngineService
    sink: EngineSink
    board: DeviceBoard
    submitted: list[OutgoingMessage] = field(default_factory=list)  # handed to "the modem"

    def call(self, command: str, args: dict[str, Any] | None = None) -> Any:
        """Run an engine command on the engine's loop (its one writer); return the result."""
        loop = self.service.loop
        assert loop is not None and loop.is_running(), "the engine loop is not running"

        async def on_loop() -> Any:
            return self.service.dispatch(command, args or {})

        return asyncio.run_coroutine_threadsafe(on_loop(), loop).result(30)


@pytest.fixture
def engine_sink(tmp_path: Path) -> Iterator[RunningEngineSink]:
    """``EngineSink(service, intake=None, board)`` with an Outbox, on a started
    ``EngineService`` serving the in-process command registry.

    No intake (a delivered message is not parsed into a draft order): the contract is what
    the sink promises the drivers, and intake runs after ``deliver`` has returned anyway.
    """
    service = EngineService(EngineOptions(data_dir=tmp_path / "till", discovery=False))
    service.serve(registry(service.engine))
    run(service.engine, "shop.create", {"name": "Contract Deli", "currency": "GBP",
                                        "region": "GB"})
    submitted: list[OutgoingMessage] = []
    board = DeviceBoard()
    sink = EngineSink(service, None, board)
    sink.outbox = Outbox(service, submitted.append)
    service.attach(sink.outbox)
    exit_codes: list[int] = []
    loop_thread = threading.Thread(target=lambda: exit_codes.append(asyncio.run(service.run())),
                                   name="engine-loop", daemon=True)
    loop_thread.start()
    try:
        wait_until(lambda: service.loop is not None and service.loop.is_running(), 20,
                   what="the engine loop to start")
        running = RunningEngineSink(service, sink, board, submitted)
        running.call("shop.info")  # one round trip: the loop takes commands
        yield running
    finally:
        service.stop()
        loop_thread.join(20)
    assert exit_codes == [0], "the engine did not stop cleanly"

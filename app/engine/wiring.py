"""Builds the engine's long-lived parts and attaches them: intake, devices (real or
simulated), the SMS outbox, call announcements, peers.

Called once by ``app/engine/main.build_service``; returns the ``EngineContext`` the
command registry is built from, so every service a handler uses is passed in here
(STYLE.md point 9) and none is set on the engine from outside.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import threading
from pathlib import Path
from typing import Any

from app.engine.commands import EngineContext
from app.engine.device_bridge import CallAnnouncer, EngineSink, Outbox
from app.engine.intake_bridge import IntakeService
from app.engine.peer_wiring import PeerService
from app.engine.services import DeviceBoard, EngineHost

log = logging.getLogger("countertop.engine.wiring")

DEMO_CUSTOMERS_CALLING = ("+447700900123|ANN SMITH", "+447700900456", "private",
                          "+447700900789|J PATEL", "out-of-area")


def parse_port(spec: str, default_baud: int) -> tuple[str, int]:
    """``/dev/ttyUSB0@9600`` -> (url, baud); a bare port uses ``default_baud``."""
    url, sep, baud = spec.rpartition("@")
    if not sep or not baud.isdigit():
        return spec, default_baud
    return url, int(baud)


class DriverAttachment:
    """A threaded driver (start()/stop()) as an engine attachment."""

    def __init__(self, driver: Any, name: str) -> None:
        self.driver = driver
        self.name = name

    async def start(self) -> None:
        self.driver.start()

    async def stop(self) -> None:
        await asyncio.get_running_loop().run_in_executor(None, self.driver.stop)

    def __repr__(self) -> str:
        return f"<{self.name} driver>"


class DemoDevices:
    """Simulated modem and caller-ID on ptys that bring in messages and calls (demo mode)."""

    def __init__(self, root: Path, every: float = 12.0) -> None:
        from devices.simulated.caller_id_unit import CallerIdSimulator
        from devices.simulated.gsm_modem import GsmModemSimulator

        root.mkdir(parents=True, exist_ok=True)
        self.modem_path = root / "demo-modem"
        self.callerid_path = root / "demo-callerid"
        self.modem = GsmModemSimulator(self.modem_path)
        self.callerid = CallerIdSimulator(self.callerid_path, role="modem")
        self.every = every
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def plug_in(self) -> None:
        self.modem.start()
        self.callerid.start()

    async def start(self) -> None:
        from devices.simulated.caller_id_unit import run_demo as ring_demo
        from devices.simulated.gsm_modem import run_demo as sms_demo

        self._threads.append(sms_demo(self.modem, every=self.every, stop=self._stop))
        ring = threading.Thread(target=ring_demo, name="demo-caller-id", daemon=True,
                                args=(self.callerid, DEMO_CUSTOMERS_CALLING, self.every * 1.7,
                                      self._stop))
        ring.start()
        self._threads.append(ring)

    async def stop(self) -> None:
        self._stop.set()
        self.modem.stop()
        self.callerid.stop()


def attach_all(service: EngineHost) -> EngineContext:
    """Attach every part the engine options ask for; what the commands may use."""
    engine = service.engine
    options = service.options
    intake = IntakeService(engine)
    board = DeviceBoard()
    CallAnnouncer(service)

    modem_url = options.modem
    callerid_url = options.callerid
    if options.demo:
        demo = DemoDevices(engine.data_dir.root / "demo")
        demo.plug_in()
        modem_url = modem_url or str(demo.modem_path)
        callerid_url = callerid_url or str(demo.callerid_path)
        service.attach(demo)

    if modem_url:
        from devices.gsm.modem_driver import ModemDriver

        url, baud = parse_port(modem_url, 115200)
        sink = EngineSink(service, intake, board)
        from devices.gsm.part_store import PartStore

        # parts of long SMS wait in the (private) data dir, not on the SIM
        parts = PartStore(engine.data_dir.root / "sms-parts")
        driver = ModemDriver(url, sink, pin=options.modem_pin, baud=baud, part_store=parts)
        sink.outbox = Outbox(service, driver.submit)
        service.attach(DriverAttachment(driver, "modem"))
        service.attach(sink.outbox)
    if callerid_url:
        from devices.callerid.callerid_driver import CallerIdDriver

        url, baud = parse_port(callerid_url, 9600)
        tz = engine.ledger.tz if engine.has_shop else dt.UTC
        cid_driver = CallerIdDriver(url, EngineSink(service, intake, board, line_name="main"),
                                    tz=tz, baud=baud)
        service.attach(DriverAttachment(cid_driver, "caller-ID"))
    peers = PeerService(service)
    service.attach(peers)
    return EngineContext(engine, intake, peers=peers, devices=board)

"""Builds the engine's long-lived parts and attaches them: intake, devices (real or
simulated), the mailbox, the outbox of every channel, call announcements, peers.

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

from app.engine.backups import DailyBackup
from app.engine.commands import EngineContext
from app.engine.device_bridge import CallAnnouncer, EngineSink, Outbox
from app.engine.intake_bridge import IntakeService
from app.engine.mailbox_service import MailboxService
from app.engine.peer_wiring import PeerService
from app.engine.printing import AutoPrint
from app.engine.services import DeviceBoard, EngineHost

log = logging.getLogger("countertop.engine.wiring")

#: the demo's busy hour, compressed into a few minutes: (seconds after the previous event,
#: "sms" or "call", what). Uneven gaps, a rush in the middle, then it settles for good
#: (a demo that rings every 20 s forever was mistaken for a fault).
DEMO_HOUR: tuple[tuple[float, str, str], ...] = (
    (6, "sms", "+447700900123|Hi, 2 large margheritas for pickup at 7pm please"),
    (9, "call", "+447700900123|ANN SMITH"),
    (15, "sms", "+447700900456|Can I get a pepperoni and garlic bread delivered to 12 High "
                "St? 😀"),
    (4, "sms", "+447700900789|Do you have gluten free bases? If so 1 veggie supreme, no "
               "olives"),
    (11, "call", "private"),
    (7, "sms", "+447700900321|Table for 4 at 8? Or can we order 3 calzones to collect"),
    (3, "call", "+447700900789|J PATEL"),
    (18, "sms", "+447700900456|Sorry, make that 2 garlic breads"),
    (25, "call", "+447700900456"),
    (30, "sms", "+447700900654|Are you open on Sunday?"),
    (40, "call", "out-of-area"),
)


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

    def __init__(self, root: Path, every: float = 1.0,
                 schedule: tuple[tuple[float, str, str], ...] = DEMO_HOUR) -> None:
        """``every`` scales the gaps of ``schedule`` (tests make the hour pass quickly)."""
        from devices.simulated.caller_id_unit import CallerIdSimulator
        from devices.simulated.gsm_modem import GsmModemSimulator

        root.mkdir(parents=True, exist_ok=True)
        self.modem_path = root / "demo-modem"
        self.callerid_path = root / "demo-callerid"
        self.modem = GsmModemSimulator(self.modem_path)
        self.callerid = CallerIdSimulator(self.callerid_path, role="modem")
        self.every = every
        self.schedule = schedule
        #: set when the busy hour is over (tests wait for it)
        self.settled = threading.Event()
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def plug_in(self) -> None:
        self.modem.start()
        self.callerid.start()

    async def start(self) -> None:
        thread = threading.Thread(target=self._busy_hour, name="demo-busy-hour", daemon=True)
        thread.start()
        self._threads.append(thread)

    def _busy_hour(self) -> None:
        """Play the schedule once (messages on the modem, rings on the caller-ID), then
        stay quiet: the shop settles."""
        for gap, kind, what in self.schedule:
            if self._stop.wait(gap * self.every):
                return
            number, _, rest = what.partition("|")
            try:
                if kind == "sms":
                    self.modem.deliver_text(number, rest)
                elif number == "private":
                    self.callerid.ring_private()
                elif number == "out-of-area":
                    self.callerid.ring_out_of_area()
                else:
                    self.callerid.ring(number, rest or None)
            except (OSError, TimeoutError) as exc:
                log.warning("demo %s failed: %s", kind, exc)
        log.info("the demo's busy hour is over; the shop settles")
        self.settled.set()

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

    sink = EngineSink(service, intake, board)
    if modem_url:
        from devices.gsm.modem_driver import ModemDriver

        url, baud = parse_port(modem_url, 115200)
        from devices.gsm.part_store import PartStore

        # parts of long SMS wait in the (private) data dir, not on the SIM
        parts = PartStore(engine.data_dir.root / "sms-parts")
        driver = ModemDriver(url, sink, pin=options.modem_pin, baud=baud, part_store=parts)
        sink.outbox = Outbox(service, driver.submit)
        service.attach(DriverAttachment(driver, "modem"))
    else:
        sink.outbox = Outbox(service)  # email, once this till is given a mailbox
    # the mailbox it was given (`countertop mailbox set`), now or while it runs
    mailbox = MailboxService(service, sink, board)
    service.attach(mailbox)
    service.attach(sink.outbox)
    if callerid_url:
        from devices.callerid.callerid_driver import CallerIdDriver

        url, baud = parse_port(callerid_url, 9600)
        tz = engine.ledger.tz if engine.has_shop else dt.UTC
        cid_driver = CallerIdDriver(url, EngineSink(service, intake, board, line_name="main"),
                                    tz=tz, baud=baud)
        service.attach(DriverAttachment(cid_driver, "caller-ID"))
    service.attach(DailyBackup(engine))
    service.attach(AutoPrint(engine))
    peers = PeerService(service)
    service.attach(peers)
    return EngineContext(engine, intake, peers=peers, devices=board, mailbox=mailbox)

"""Serial transport for caller-ID: one thread that owns the port and feeds the parser.

The driver opens ``serial.serial_for_url(url)``, switches a voice modem to
caller-ID output (``AT+VCID=1``, falling back to ``AT#CID=1``; ``=2`` for
unformatted SDMF/MDMF), or just listens to a standalone unit, and hands every
``CallEvent`` to the engine's sink as soon as the parser completes it. Serial
errors and unplugging are reported as ``DeviceStatus`` and retried with growing
delays, so a USB modem that comes back on the same path is picked up again.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, tzinfo
from typing import Any

from devices.callerid.caller_id_formats import CallerIdOutput, CallerIdParser, DeviceNotice
from devices.errors import CallerIdNotSupported, ModemNotResponding
from devices.events import CallEvent, DeviceStatus, EventSink, QuarantinedInput
from devices.serial_port import open_port, port_errors

log = logging.getLogger("countertop.devices.callerid")

DEVICE = "callerid"
MODES = ("auto", "modem", "unit")
CID_FORMATS = ("formatted", "unformatted")
_FINAL_ERRORS = {"ERROR", "NO CARRIER", "+CME ERROR", "COMMAND NOT SUPPORT"}


class CallerIdDriver:
    """Reads a caller-ID modem or standalone unit on ``url`` and reports calls to ``sink``.

    ``mode``: ``"modem"`` initialises a voice modem, ``"unit"`` only listens,
    ``"auto"`` probes with ``AT`` and treats silence as a standalone unit.
    ``cid_format`` picks the modem's formatted (``DATE/TIME/NMBR/NAME``) or
    unformatted (SDMF/MDMF hex) output. ``tz`` is the shop's time zone (caller-ID
    times are local); ``clock`` is injectable for tests.
    """

    def __init__(
        self,
        url: str,
        sink: EventSink,
        *,
        tz: tzinfo,
        mode: str = "auto",
        baud: int = 9600,
        cid_format: str = "formatted",
        clock: Callable[[], datetime] | None = None,
        read_timeout: float = 0.05,
        command_timeout: float = 1.0,
        record_idle: float = 0.3,
        reconnect_delays: Sequence[float] = (0.2, 0.5, 1.0, 2.0, 5.0),
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
        if cid_format not in CID_FORMATS:
            raise ValueError(f"cid_format must be one of {CID_FORMATS}, not {cid_format!r}")
        self.url = url
        self._sink = sink
        self._mode = mode
        self._baud = baud
        self._cid_format = cid_format
        self._read_timeout = read_timeout
        self._command_timeout = command_timeout
        self._reconnect_delays = tuple(reconnect_delays) or (1.0,)
        self._parser = CallerIdParser(tz=tz, clock=clock,
                                      record_idle=timedelta(seconds=record_idle))
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._port: Any = None
        self._thread: threading.Thread | None = None
        self._pending = b""  # bytes read while waiting for a command's answer

    # -- lifecycle -------------------------------------------------------------

    def start(self) -> None:
        """Start the reader thread (returns at once; progress is reported as DeviceStatus)."""
        if self._thread is not None:
            raise RuntimeError("caller-ID driver already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name=f"callerid:{self.url}", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop reading and close the port."""
        self._stop.set()
        with self._lock:
            port = self._port
        if port is not None:
            try:
                port.cancel_read()
            except Exception:  # the port may already be gone; closing below is what matters
                log.debug("cancel_read on %s failed", self.url, exc_info=True)
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.error("caller-ID thread for %s did not stop within %.1f s", self.url, timeout)
            self._thread = None

    # -- thread ----------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        while not self._stop.is_set():
            self._status("connecting")
            port: Any = None
            try:
                port = open_port(self.url, baudrate=self._baud, timeout=self._read_timeout,
                                 write_timeout=self._command_timeout)
                with self._lock:
                    self._port = port
                detail = self._prepare(port)
                self._status("ok", detail)
                failures = 0
                self._read_loop(port)
            except port_errors() as exc:
                log.warning("caller-ID port %s lost: %s", self.url, exc)
                self._status("disconnected", str(exc))
            except (ModemNotResponding, CallerIdNotSupported) as exc:
                log.error("caller-ID device on %s: %s", self.url, exc)
                self._status("error", str(exc))
            finally:
                with self._lock:
                    self._port = None
                if port is not None:
                    try:
                        port.close()
                    except Exception:
                        log.debug("closing %s failed", self.url, exc_info=True)
                self._pending = b""
                self._dispatch(self._parser.close())
            if self._stop.is_set():
                break
            delay = self._reconnect_delays[min(failures, len(self._reconnect_delays) - 1)]
            failures += 1
            self._stop.wait(delay)
        self._status("disconnected", "stopped")

    def _read_loop(self, port: Any) -> None:
        if self._pending:
            leftover, self._pending = self._pending, b""
            self._dispatch(self._parser.feed(leftover))
        while not self._stop.is_set():
            data = port.read(port.in_waiting or 1)
            if data:
                self._dispatch(self._parser.feed(data))
            elif self._parser.has_pending:
                self._dispatch(self._parser.tick())

    # -- modem set-up ------------------------------------------------------------

    def _prepare(self, port: Any) -> str:
        """Bring the device into caller-ID mode; return a description for the status bar."""
        if self._mode == "unit":
            return "standalone caller-ID unit"
        probe_timeout = self._command_timeout if self._mode == "modem" else min(
            self._command_timeout, 0.5)
        answered = any(self._command(port, "AT", probe_timeout) is not None for _ in range(2))
        if not answered:
            if self._mode == "modem":
                raise ModemNotResponding("no answer to AT")
            return "standalone caller-ID unit (no answer to AT)"
        self._command(port, "ATE0", self._command_timeout)
        value = "1" if self._cid_format == "formatted" else "2"
        for command in (f"AT+VCID={value}", f"AT#CID={value}"):
            if self._command(port, command, self._command_timeout):
                return f"voice modem, {self._cid_format} caller-ID ({command})"
        raise CallerIdNotSupported("modem accepts neither AT+VCID nor AT#CID")

    def _command(self, port: Any, command: str, timeout: float) -> bool | None:
        """Send one AT command: True on OK, False on an error reply, None on silence.

        Other lines arriving meanwhile (a RING, caller-ID data, a unit's call line)
        go to the parser, so a call during set-up is not lost.
        """
        port.write(command.encode("ascii") + b"\r")
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self._stop.is_set():
            chunk = port.read(port.in_waiting or 1)
            if not chunk:
                continue
            self._pending += chunk
            while (end := re.search(rb"[\r\n]", self._pending)) is not None:
                raw, self._pending = self._pending[: end.start()], self._pending[end.end():]
                text = raw.decode("latin-1").strip()
                upper = text.upper()
                if not text or upper == command.upper():
                    continue
                if upper == "OK":
                    return True
                if upper in _FINAL_ERRORS or upper.startswith("+CME ERROR"):
                    return False
                self._dispatch(self._parser.feed_line(text))
        return None

    # -- output ------------------------------------------------------------------

    def _dispatch(self, items: list[CallerIdOutput]) -> None:
        for item in items:
            try:
                if isinstance(item, CallEvent):
                    self._sink.call(item)
                elif isinstance(item, QuarantinedInput):
                    self._sink.quarantine(item)
                elif isinstance(item, DeviceNotice):
                    log.info("caller-ID device notice on %s: %s %s", self.url, item.kind,
                             item.detail)
            except Exception:  # a failing sink must not kill the reader thread
                log.exception("caller-ID sink rejected %r", item)

    def _status(self, state: str, detail: str = "") -> None:
        try:
            self._sink.status(DeviceStatus(device=DEVICE, state=state, detail=detail,
                                           port=self.url))
        except Exception:
            log.exception("caller-ID status %s could not be reported", state)

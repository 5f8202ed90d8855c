"""Caller-ID simulator on a pseudo-terminal: a voice modem or a standalone serial unit.

Tests and the demo point the real driver (pyserial, ``serial_for_url``) at
``CallerIdSimulator.path``, a symlink the simulator re-points to a fresh pty on
``replug()``, so the device path is stable across unplug/replug like a udev
``/dev/serial/by-id`` link.

As a voice modem (``role="modem"``) it answers ``AT``, ``ATZ``, ``ATE0/1``,
``AT+VCID=n`` and ``AT#CID=n`` (either can be switched off to exercise the
driver's fallback) and, on ``ring()``, writes ``RING``, the caller-ID record in
the mode the host selected (0 none, 1 formatted, 2 SDMF/MDMF hex), then another
``RING``. As a standalone unit (``role="unit"``) it ignores input and writes one
line per call in TCI, Whozz Calling (CallerID.com) or NetCallerID format.

The SDMF/MDMF and line encoders are module functions so tests can round-trip
them through the parser.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import logging
import os
import select
import threading
from collections.abc import Sequence
from datetime import datetime, tzinfo
from pathlib import Path
from typing import Self

from devices.simulated.stable_pty import StablePty

log = logging.getLogger("countertop.devices.simulated.callerid")

ROLES = ("modem", "unit")
UNIT_FORMATS = ("tci", "whozz", "netcallerid")
UNFORMATTED_KINDS = ("mdmf", "sdmf")

# Reason codes for an absent number or name (SDMF/MDMF and modem formatted output).
REASON_PRIVATE = "P"
REASON_OUT_OF_AREA = "O"


# -- encoders -----------------------------------------------------------------

def xdmf_checksum(body: bytes) -> int:
    """The byte that makes the whole message sum to 0 modulo 256."""
    return (-sum(body)) % 256


def _stamp(when: datetime) -> bytes:
    return when.strftime("%m%d%H%M").encode("ascii")


def encode_sdmf(when: datetime, number: str | None, reason: str | None = None) -> bytes:
    """An SDMF call-setup message (type 0x04): MMDDhhmm then the number or a reason code."""
    payload = _stamp(when) + (number or reason or REASON_OUT_OF_AREA).encode("ascii")
    body = bytes([0x04, len(payload)]) + payload
    return body + bytes([xdmf_checksum(body)])


def encode_mdmf(
    when: datetime,
    number: str | None,
    name: str | None,
    *,
    number_reason: str | None = None,
    name_reason: str | None = None,
) -> bytes:
    """An MDMF call-setup message (type 0x80) with date/time, number and name parameters."""
    params = [(0x01, _stamp(when))]
    if number is not None:
        params.append((0x02, number.encode("ascii")))
    else:
        params.append((0x04, (number_reason or REASON_OUT_OF_AREA).encode("ascii")))
    if name is not None:
        params.append((0x07, name.encode("latin-1")))
    elif name_reason is not None:
        params.append((0x08, name_reason.encode("ascii")))
    payload = b"".join(bytes([kind, len(value)]) + value for kind, value in params)
    body = bytes([0x80, len(payload)]) + payload
    return body + bytes([xdmf_checksum(body)])


def _reason_word(reason: str | None) -> str:
    return "PRIVATE" if reason == REASON_PRIVATE else "OUT-OF-AREA"


def _dashed(number: str) -> str:
    if len(number) == 10 and number.isdigit():
        return f"{number[:3]}-{number[3:6]}-{number[6:]}"
    return number


def format_modem_record(when: datetime, number: str | None, name: str | None,
                        reason: str | None = None) -> list[str]:
    """The lines of a formatted (``AT+VCID=1``) record."""
    lines = [f"DATE = {when:%m%d}", f"TIME = {when:%H%M}",
             f"NMBR = {number if number is not None else (reason or REASON_OUT_OF_AREA)}"]
    if name is not None:
        lines.append(f"NAME = {name}")
    elif reason is not None:
        lines.append(f"NAME = {reason}")
    return lines


def format_tci_line(when: datetime, number: str | None, name: str | None,
                    reason: str | None = None, line: int = 1) -> str:
    """A 70-column TCI line: line, M/DD, h:mm AM, number right-justified to col 44, name."""
    hour = when.hour % 12 or 12
    number_field = _dashed(number) if number is not None else _reason_word(reason)
    return (f"{line:02d}" + f"{when.month}/{when.day:02d}".rjust(10)
            + f"{hour}:{when.minute:02d} {'PM' if when.hour >= 12 else 'AM'}".rjust(13)
            + number_field[-14:].rjust(19) + " " * 11 + (name or "")[:15].ljust(15))


def format_whozz_line(when: datetime, number: str | None, name: str | None,
                      reason: str | None = None, line: int = 1) -> str:
    """A Whozz Calling (CallerID.com format) inbound call-start line."""
    hour = when.hour % 12 or 12
    number_field = _dashed(number) if number is not None else _reason_word(reason)
    return (f"${line:02d} I S 0000 G A1 {when:%m/%d} {hour:02d}:{when.minute:02d} "
            f"{'PM' if when.hour >= 12 else 'AM'} {number_field.ljust(14)} {(name or '')[:15]}")


def format_netcallerid_line(when: datetime, number: str | None, name: str | None,
                            reason: str | None = None) -> str:
    """A NetCallerID line (without its CR terminator)."""
    if number is None and name is None:
        name = "-PRIVATE CALLER-" if reason == REASON_PRIVATE else "-UNKNOWN CALLER-"
    return f"###DATE{when:%m%d%H%M}...NMBR{number or ''}...NAME{name or ''}+++"


# -- the simulator ---------------------------------------------------------------

class CallerIdSimulator:
    """A scriptable caller-ID device behind a stable symlink to a pty."""

    def __init__(
        self,
        link_path: str | os.PathLike[str],
        *,
        role: str = "modem",
        unit_format: str = "tci",
        unformatted: str = "mdmf",
        supports_vcid: bool = True,
        supports_hash_cid: bool = True,
        tz: tzinfo | None = None,
    ) -> None:
        if role not in ROLES or unit_format not in UNIT_FORMATS or unformatted not in UNFORMATTED_KINDS:
            raise ValueError(f"unsupported simulator setup: {role}/{unit_format}/{unformatted}")
        self.path = str(link_path)
        self._pty = StablePty(self.path)
        self.role = role
        self.unit_format = unit_format
        self.unformatted = unformatted
        self.supports_vcid = supports_vcid
        self.supports_hash_cid = supports_hash_cid
        self._tz = tz
        self._lock = threading.Lock()
        self._changed = threading.Condition(self._lock)
        self._master: int | None = None
        self._slave: int | None = None
        self._session_stop: threading.Event | None = None
        self._reader: threading.Thread | None = None
        self._cid_mode = 0
        self._echo = True
        self.commands: list[str] = []  # every AT command received, for tests and debugging

    # -- lifecycle -----------------------------------------------------------

    def start(self) -> Self:
        """Plug the device in (create the pty and the symlink)."""
        self.replug()
        return self

    def stop(self) -> None:
        """Unplug and stop."""
        self.unplug()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def unplug(self) -> None:
        """Pull the cable: the link disappears and the open port gets an I/O error."""
        with self._lock:
            stop, reader = self._session_stop, self._reader
            self._session_stop = self._reader = None
        if stop is not None:
            stop.set()
        if reader is not None:
            reader.join(timeout=2)
        self._pty.unlink()
        with self._lock:
            self._pty.close()
            self._master = self._slave = None
            self._changed.notify_all()

    def replug(self) -> None:
        """Plug a (reset) device in again on a fresh pty behind the same path."""
        self.unplug()
        master = self._pty.open()
        slave = self._pty.slave
        stop = threading.Event()
        with self._lock:
            self._master, self._slave = master, slave
            self._cid_mode, self._echo = 0, True
            self._session_stop = stop
            self._reader = threading.Thread(target=self._serve_host, args=(master, stop),
                                            name="callerid-sim", daemon=True)
            self._reader.start()
            self._changed.notify_all()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    @property
    def cid_mode(self) -> int:
        """Caller-ID mode the host selected (0 off, 1 formatted, 2 unformatted)."""
        return self._cid_mode

    def wait_for_cid_mode(self, mode: int, timeout: float) -> bool:
        """Block until the host has switched caller-ID to ``mode`` (True) or timeout."""
        with self._changed:
            return self._changed.wait_for(lambda: self._cid_mode == mode, timeout)

    # -- scripting -----------------------------------------------------------

    def ring(self, number: str | None, name: str | None = None, when: datetime | None = None,
             *, reason: str | None = None, rings_after: int = 1) -> None:
        """One incoming call: RING, the caller-ID data in the current format, more RINGs."""
        when = when or datetime.now(self._tz)
        if self.role == "unit":
            self.write(self._unit_line(when, number, name, reason))
            return
        out = "\r\nRING\r\n"
        if self._cid_mode == 1:
            out += "\r\n" + "".join(f"{line}\r\n" for line in
                                    format_modem_record(when, number, name, reason)) + "\r\n"
        elif self._cid_mode == 2:
            if self.unformatted == "sdmf":
                frame = encode_sdmf(when, number, reason)
            else:
                frame = encode_mdmf(when, number, name, number_reason=reason,
                                    name_reason=reason if name is None else None)
            out += "\r\n" + frame.hex().upper() + "\r\n\r\n"
        out += "RING\r\n" * rings_after
        self.write(out.encode("latin-1"))

    def ring_private(self, when: datetime | None = None) -> None:
        """A caller who withheld the number."""
        self.ring(None, None, when, reason=REASON_PRIVATE)

    def ring_out_of_area(self, when: datetime | None = None) -> None:
        """A call whose number the network could not deliver."""
        self.ring(None, None, when, reason=REASON_OUT_OF_AREA)

    def ring_without_caller_id(self, rings: int = 2) -> None:
        """Rings with no caller-ID data at all (line without the service)."""
        self.write(b"\r\nRING\r\n" * rings)

    def send_garbage(self, data: bytes) -> None:
        """Line noise or a garbled record."""
        self.write(data)

    def write(self, data: bytes) -> None:
        """Write raw bytes as the device would send them."""
        with self._lock:
            master = self._master
            if master is None:
                raise OSError(errno.ENODEV, "caller-ID simulator is unplugged")
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(master, view):]
                except BlockingIOError:
                    _, ready, _ = select.select([], [master], [], 2.0)
                    if not ready:
                        raise TimeoutError("nobody reads the caller-ID port") from None

    def _unit_line(self, when: datetime, number: str | None, name: str | None,
                   reason: str | None) -> bytes:
        if self.unit_format == "tci":
            return (format_tci_line(when, number, name, reason) + "\r\n").encode("utf-8")
        if self.unit_format == "whozz":
            return (format_whozz_line(when, number, name, reason) + "\r\n").encode("utf-8")
        return (format_netcallerid_line(when, number, name, reason) + "\r").encode("utf-8")

    # -- modem command side ----------------------------------------------------

    def _serve_host(self, master: int, stop: threading.Event) -> None:
        """Read what the host sends: a modem answers AT commands, a unit ignores them."""
        pending = b""
        while not stop.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 1024)
            except (OSError, ValueError):
                return  # unplugged under us
            pending += data
            while b"\r" in pending:
                raw, pending = pending.split(b"\r", 1)
                command = raw.strip(b"\n ").decode("latin-1")
                if command and self.role == "modem":
                    self._answer(command)

    def _answer(self, command: str) -> None:
        self.commands.append(command)
        echo = self._echo
        reply = self._execute(command.upper())
        text = (command + "\r" if echo else "") + "".join(f"\r\n{line}\r\n" for line in reply)
        try:
            self.write(text.encode("latin-1"))
        except (OSError, TimeoutError):
            log.debug("simulator could not answer %r", command)

    def _execute(self, command: str) -> list[str]:
        if not command.startswith("AT"):
            return ["ERROR"]
        body = command[2:]
        with self._changed:
            if body in ("", "I", "&F"):
                return ["OK"]
            if body == "Z":
                self._cid_mode, self._echo = 0, True
                self._changed.notify_all()
                return ["OK"]
            if body in ("E0", "E1"):
                self._echo = body == "E1"
                return ["OK"]
            for prefix, supported in (("+VCID", self.supports_vcid), ("#CID", self.supports_hash_cid)):
                if body.startswith(prefix) and supported:
                    if body == prefix + "?":
                        return [f"{prefix}: {self._cid_mode}", "OK"]
                    if body[len(prefix):] in ("=0", "=1", "=2"):
                        self._cid_mode = int(body[-1])
                        self._changed.notify_all()
                        return ["OK"]
        return ["ERROR"]


# -- demo ---------------------------------------------------------------------------

def run_demo(simulator: CallerIdSimulator, numbers: Sequence[str], every: float,
             stop: threading.Event) -> None:
    """Ring every ``every`` seconds with the given numbers in turn until ``stop`` is set.

    An entry ``"private"`` or ``"out-of-area"`` rings without a number; an entry
    ``"number|name"`` sends a name too.
    """
    for entry in itertools.cycle(numbers or ["private"]):
        if stop.wait(every):
            return
        number, _, name = entry.partition("|")
        try:
            if number == "private":
                simulator.ring_private()
            elif number == "out-of-area":
                simulator.ring_out_of_area()
            else:
                simulator.ring(number, name or None)
        except (OSError, TimeoutError) as exc:
            log.warning("demo ring failed: %s", exc)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m devices.simulated.caller_id_unit LINK --every 5 5551234|Ann private``."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("link", help="path of the symlink the driver opens")
    parser.add_argument("numbers", nargs="*", default=["5551234|DEMO CALLER", "private"])
    parser.add_argument("--every", type=float, default=10.0)
    parser.add_argument("--role", choices=ROLES, default="modem")
    parser.add_argument("--unit-format", choices=UNIT_FORMATS, default="tci")
    args = parser.parse_intermixed_args(argv)
    logging.basicConfig(level=logging.INFO)
    stop = threading.Event()
    sim = CallerIdSimulator(Path(args.link), role=args.role, unit_format=args.unit_format)
    with sim:
        print(f"caller-ID {args.role} on {sim.path}; Ctrl-C stops", flush=True)
        try:
            run_demo(sim, args.numbers, args.every, stop)
        except KeyboardInterrupt:
            stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""GSM modem simulator on a pseudo-terminal, speaking the AT dialect of real modems.

The driver opens ``GsmModemSimulator.path`` with pyserial exactly as it would
open ``/dev/serial/by-id/...``: the path is a symlink the simulator points at a
fresh pty each time the "USB cable" is plugged in, and removes on ``unplug()``,
so "the device path may return" is part of the scenario.

The simulated modem keeps a SIM message store with indexes (``+CMTI`` on
arrival, ``+CMGL``/``+CMGR``/``+CMGD``), accepts ``+CMGS`` with the ``> ``
prompt and a PDU closed by Ctrl-Z, answers ``+CMGS: <mr>``, emits status
reports, and has PIN/SIM/registration/signal state. When the store is full,
new messages wait "at the network" and arrive as slots are freed, as on a real
SIM. Tests script it (deliver, drop indications, reset, unplug, garbage, slow or
silent modem, CMS errors on send); ``run_demo`` feeds it messages for the demo.
"""

from __future__ import annotations

import argparse
import errno
import itertools
import logging
import os
import random
import select
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Self

from devices.gsm.sms_pdu import (
    PduError,
    SmsDeliver,
    SmsSubmit,
    decode_pdu,
    encode_deliver,
    encode_status_report,
)
from devices.simulated.stable_pty import StablePty

log = logging.getLogger("countertop.devices.simulated.modem")

CTRL_Z = 0x1A
ESC = 0x1B

_CME_TEXT = {10: "SIM not inserted", 11: "SIM PIN required", 12: "SIM PUK required",
             16: "incorrect password", 3: "operation not allowed", 4: "operation not supported"}


@dataclass
class StoredMessage:
    """One SIM slot."""

    stat: int  # 0 received unread, 1 received read, 2 stored unsent, 3 stored sent
    pdu: str

    @property
    def tpdu_length(self) -> int:
        octets = len(self.pdu) // 2
        return octets - 1 - int(self.pdu[:2], 16)


@dataclass(frozen=True)
class SentMessage:
    """A PDU the host submitted with ``AT+CMGS``."""

    reference: int
    pdu: str
    decoded: SmsSubmit


class GsmModemSimulator:
    """A scriptable GSM modem behind a stable symlink to a pty."""

    def __init__(
        self,
        link_path: str | os.PathLike[str],
        *,
        pin: str | None = None,
        sim_present: bool = True,
        capacity: int = 30,
        signal_rssi: int = 20,
        registration: int = 1,
        boot_text_mode: bool = True,
        status_reports: bool = True,
    ) -> None:
        self.path = str(link_path)
        self._pty = StablePty(self.path)
        self.pin = pin
        self.sim_present = sim_present
        self.capacity = capacity
        self.signal_rssi = signal_rssi
        self.registration = registration
        self.boot_text_mode = boot_text_mode  # after a reset, CMGF is 1 as on many modems
        self.status_reports = status_reports
        self.supported_ds = {0, 1, 2}  # +CNMI <ds> values this modem accepts
        self.response_delay = 0.0  # seconds before each answer (a slow modem)
        self.line_rate: int | None = None  # bits/s to emulate a UART (115200 -> ~87 us/byte)
        self.silent = False  # reads commands but never answers (a hung modem)
        self.garble_reads = 0  # the next N listed/read PDUs are cut short on the line
        self.commands: list[str] = []  # every command line received, for tests
        self.sent: list[SentMessage] = []
        self.indications: list[tuple[int, str, float]] = []  # (index, pdu, monotonic time)
        self._lock = threading.RLock()
        self._changed = threading.Condition(self._lock)
        self._storage: dict[int, StoredMessage] = {}
        self._network_queue: deque[tuple[str, bool]] = deque()
        self._fail_sends: deque[int] = deque()
        self._pin_attempts = 3
        self._mr = itertools.count(random.randrange(256))
        self._master: int | None = None
        self._slave: int | None = None
        self._session_stop: threading.Event | None = None
        self._reader: threading.Thread | None = None
        self._boot_state()

    # ---------------------------------------------------------------- lifecycle

    def start(self) -> Self:
        """Plug the modem in (pty + symlink) without boot notices."""
        self._plug(announce=False)
        return self

    def stop(self) -> None:
        self.unplug()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def plugged(self) -> bool:
        return self._master is not None

    def unplug(self) -> None:
        """Pull the cable: the link disappears and the open port fails with an I/O error.
        The SIM keeps its messages."""
        with self._lock:
            stop, reader = self._session_stop, self._reader
            self._session_stop = self._reader = None
        if stop is not None:
            stop.set()
        if reader is not None and reader is not threading.current_thread():
            reader.join(timeout=2)
        self._pty.unlink()
        with self._lock:
            self._pty.close()
            self._master = self._slave = None
            self._changed.notify_all()

    def replug(self) -> None:
        """Plug the modem in again: a new pty behind the same path; the modem boots."""
        self._plug(announce=True)

    def _plug(self, *, announce: bool) -> None:
        self.unplug()
        master = self._pty.open()
        slave = self._pty.slave
        stop = threading.Event()
        with self._lock:
            self._master, self._slave = master, slave
            self._session_stop = stop
            if announce:
                self._boot_state()
            self._reader = threading.Thread(target=self._serve, args=(master, stop),
                                            name="gsm-modem-sim", daemon=True)
            self._reader.start()
            self._changed.notify_all()
        if announce:
            self._announce_boot()

    def _boot_state(self) -> None:
        self.echo = True
        self.cmgf = 1 if self.boot_text_mode else 0
        self.cmee = 0
        self.cnmi_mt = 0
        self.cnmi_ds = 0
        self.creg_n = 0
        self._pin_ok = self.pin is None
        self._pdu_expected: int | None = None

    def reset(self, *, silent: bool = False) -> None:
        """The modem restarts (brown-out, firmware watchdog): settings are lost, the SIM
        store is kept, boot notices are printed unless ``silent``."""
        with self._lock:
            self._boot_state()
        if not silent:
            self._announce_boot()

    def _announce_boot(self) -> None:
        pin_line = "+CPIN: READY" if self._pin_ok else "+CPIN: SIM PIN"
        if not self.sim_present:
            pin_line = "+CPIN: NOT INSERTED"
        self.write(f"\r\nRDY\r\n\r\n+CFUN: 1\r\n\r\n{pin_line}\r\n\r\nSMS Ready\r\n".encode())

    # ---------------------------------------------------------------- scripting

    def deliver(self, pdu_hex: str, *, indicate: bool = True) -> int | None:
        """A message arrives from the network: stored at the lowest free index and announced
        with ``+CMTI`` (when the host enabled it and ``indicate``). Returns the index, or
        None when the SIM is full and the network holds the message for later."""
        with self._lock:
            if len(self._storage) >= self.capacity or self._network_queue:
                self._network_queue.append((pdu_hex, indicate))
                return None
            return self._store(pdu_hex, indicate)

    def deliver_text(
        self,
        sender: str,
        text: str,
        *,
        when: datetime | None = None,
        order: Sequence[int] | None = None,
        drop_indications: Iterable[int] = (),
        reference: int | None = None,
        reference_bits: int = 8,
        force_ucs2: bool = False,
    ) -> list[str]:
        """Deliver ``text`` as real SMS-DELIVER PDU(s), multipart when long.

        ``order`` lists 0-based part positions in arrival order (a subset drops parts);
        ``drop_indications`` are positions whose ``+CMTI`` is lost. Returns all PDUs built.
        """
        when = when or datetime.now(UTC).replace(microsecond=0)
        if reference is None:
            reference = random.randrange(1 << reference_bits)
        pdus = encode_deliver(sender, text, scts=when, concat_reference=reference,
                              reference_bits=reference_bits, force_ucs2=force_ucs2)
        dropped = set(drop_indications)
        for position in (order if order is not None else range(len(pdus))):
            self.deliver(pdus[position], indicate=position not in dropped)
        return pdus

    def store_at(self, index: int, pdu_hex: str, stat: int = 1) -> None:
        """Put a PDU straight into SIM slot ``index`` (no indication), e.g. from a transcript."""
        with self._lock:
            self._storage[index] = StoredMessage(stat, pdu_hex)
            self._changed.notify_all()

    def fail_sends(self, count: int = 1, cms_code: int = 42) -> None:
        """The next ``count`` submissions fail with ``+CMS ERROR: cms_code``."""
        with self._lock:
            self._fail_sends.extend([cms_code] * count)

    def set_signal(self, rssi: int) -> None:
        with self._lock:
            self.signal_rssi = rssi

    def set_registration(self, stat: int) -> None:
        """Network registration changes; announced when the host asked (``+CREG=1``)."""
        with self._lock:
            self.registration = stat
            announce = self.creg_n >= 1
        if announce:
            self.write(f"\r\n+CREG: {stat}\r\n".encode())

    def send_garbage(self, data: bytes) -> None:
        """Line noise on the serial line."""
        self.write(data)

    def stored(self) -> dict[int, StoredMessage]:
        """A copy of the SIM store by index."""
        with self._lock:
            return {i: StoredMessage(m.stat, m.pdu) for i, m in self._storage.items()}

    @property
    def waiting_at_network(self) -> int:
        with self._lock:
            return len(self._network_queue)

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` (checked whenever the modem state changes) or timeout."""
        with self._changed:
            return self._changed.wait_for(predicate, timeout)

    def write(self, data: bytes) -> None:
        """Write raw bytes as the modem would send them (dropped when unplugged)."""
        with self._lock:
            master = self._master
            if master is None:
                return
            if self.line_rate:
                time.sleep(len(data) * 10 / self.line_rate)  # 8N1: 10 bits per byte
            view = memoryview(data)
            while view:
                try:
                    view = view[os.write(master, view):]
                except BlockingIOError:
                    _, ready, _ = select.select([], [master], [], 2.0)
                    if not ready:
                        log.warning("nobody reads the modem port; %d bytes dropped", len(view))
                        return
                except OSError as exc:
                    if exc.errno in (errno.EIO, errno.EBADF):
                        return
                    raise

    # ---------------------------------------------------------------- SIM store

    def _store(self, pdu_hex: str, indicate: bool, stat: int = 0) -> int:
        index = next(i for i in itertools.count(1) if i not in self._storage)
        self._storage[index] = StoredMessage(stat, pdu_hex)
        self._changed.notify_all()
        if indicate and self.cnmi_mt == 1 and self._master is not None:
            self.indications.append((index, pdu_hex, time.monotonic()))
            self.write(f'\r\n+CMTI: "SM",{index}\r\n'.encode())
        return index

    def _delete(self, index: int) -> None:
        self._storage.pop(index, None)
        while self._network_queue and len(self._storage) < self.capacity:
            pdu, indicate = self._network_queue.popleft()
            self._store(pdu, indicate)
        self._changed.notify_all()

    # ---------------------------------------------------------------- host side

    def _serve(self, master: int, stop: threading.Event) -> None:
        pending = bytearray()
        while not stop.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.05)
                if not ready:
                    continue
                data = os.read(master, 4096)
            except (OSError, ValueError):
                return
            if not data:
                continue
            pending.extend(data)
            self._consume(pending)

    def _consume(self, pending: bytearray) -> None:
        while pending:
            if self._pdu_expected is not None:
                end = next((i for i, b in enumerate(pending) if b in (CTRL_Z, ESC)), -1)
                if end < 0:
                    return
                body = bytes(pending[:end]).decode("latin-1").strip()
                terminator = pending[end]
                del pending[: end + 1]
                self._finish_submit(body, cancelled=terminator == ESC)
                continue
            cut = next((i for i, b in enumerate(pending) if b in (0x0D, 0x0A)), -1)
            if cut < 0:
                return
            line = bytes(pending[:cut]).decode("latin-1").strip()
            del pending[: cut + 1]
            if line:
                self._command(line)

    def _reply(self, lines: Sequence[str], final: str = "OK", *, echo_of: str | None = None) -> None:
        if self.silent:
            return
        if self.response_delay:
            time.sleep(self.response_delay)
        text = f"{echo_of}\r" if echo_of is not None and self.echo else ""
        if lines:  # as real modems print: a PDU line follows its header without a blank line
            text += "\r\n" + "\r\n".join(lines) + "\r\n"
        if final:
            text += f"\r\n{final}\r\n"
        self.write(text.encode("latin-1"))

    def _cme(self, code: int) -> str:
        if self.cmee == 0:
            return "ERROR"
        if self.cmee == 2:
            return f"+CME ERROR: {_CME_TEXT.get(code, 'unknown')}"
        return f"+CME ERROR: {code}"

    def _sim_error(self, sms: bool) -> str | None:
        """Error for SIM-dependent commands, None when the SIM is usable."""
        if not self.sim_present:
            return "+CMS ERROR: 310" if sms else self._cme(10)
        if not self._pin_ok:
            if self._pin_attempts <= 0:
                return "+CMS ERROR: 316" if sms else self._cme(12)
            return "+CMS ERROR: 311" if sms else self._cme(11)
        return None

    def _command(self, line: str) -> None:
        with self._lock:
            self.commands.append(line)
            self._changed.notify_all()
        upper = line.upper()
        if not upper.startswith("AT"):
            return  # modems ignore what is not a command
        with self._lock:
            try:
                lines, final = self._execute(upper[2:], line[2:])
            except (ValueError, IndexError):
                lines, final = [], "ERROR"
        if final is None:  # prompt already written
            return
        self._reply(lines, final, echo_of=line)

    def _execute(self, cmd: str, original: str) -> tuple[list[str], str | None]:
        """(info lines, final result) for one command; final None when the prompt was sent."""
        if cmd in ("", "Z"):
            if cmd == "Z":
                self.echo, self.cnmi_mt, self.cnmi_ds = True, 0, 0
            return [], "OK"
        if cmd in ("E0", "E1"):
            self.echo = cmd == "E1"
            return [], "OK"
        if cmd in ("I", "+CGMI"):
            return ["Countertop", "SIM800 simulator"] if cmd == "I" else ["Countertop"], "OK"
        if cmd == "+CGMM":
            return ["SIM800 simulator"], "OK"
        if cmd.startswith("+CMEE="):
            self.cmee = int(cmd[6:])
            return [], "OK"
        if cmd == "+CPIN?":
            if not self.sim_present:
                return [], self._cme(10)
            if self._pin_ok:
                return ["+CPIN: READY"], "OK"
            return ["+CPIN: SIM PUK" if self._pin_attempts <= 0 else "+CPIN: SIM PIN"], "OK"
        if cmd.startswith("+CPIN="):
            if not self.sim_present:
                return [], self._cme(10)
            if self._pin_ok:
                return [], self._cme(3)
            if self._pin_attempts <= 0:
                return [], self._cme(12)
            if original[6:].strip().strip('"') == self.pin:
                self._pin_ok = True
                self._pin_attempts = 3
                self._changed.notify_all()
                return [], "OK"
            self._pin_attempts -= 1
            return [], self._cme(16)
        if cmd == "+CSQ":
            return [f"+CSQ: {self.signal_rssi if self.sim_present else 99},99"], "OK"
        if cmd == "+CREG?":
            stat = self.registration if self.sim_present and self._pin_ok else 0
            return [f"+CREG: {self.creg_n},{stat}"], "OK"
        if cmd.startswith("+CREG="):
            self.creg_n = int(cmd[6:])
            return [], "OK"
        if cmd.startswith("+CMGF="):
            value = int(cmd[6:])
            if value not in (0, 1):
                return [], "ERROR"
            self.cmgf = value
            return [], "OK"
        if cmd == "+CMGF?":
            return [f"+CMGF: {self.cmgf}"], "OK"
        if cmd.startswith("+CNMI="):
            values = [int(v) if v.strip() else 0 for v in cmd[6:].split(",")]
            values += [0] * (5 - len(values))
            if values[3] not in self.supported_ds:
                return [], "ERROR"
            self.cnmi_mt, self.cnmi_ds = values[1], values[3]
            return [], "OK"
        if cmd.startswith("+CSCA"):
            return (['+CSCA: "+4477000000",145'], "OK") if cmd == "+CSCA?" else ([], "OK")
        sms_error = self._sim_error(sms=True)
        if cmd.startswith("+CPMS"):
            if sms_error:
                return [], sms_error
            used, cap = len(self._storage), self.capacity
            if cmd == "+CPMS?":
                return [f'+CPMS: "SM",{used},{cap},"SM",{used},{cap},"SM",{used},{cap}'], "OK"
            return [f"+CPMS: {used},{cap},{used},{cap},{used},{cap}"], "OK"
        if cmd.startswith("+CMGL"):
            if sms_error:
                return [], sms_error
            return self._list(cmd)
        if cmd.startswith("+CMGR="):
            if sms_error:
                return [], sms_error
            index = int(cmd[6:])
            message = self._storage.get(index)
            if message is None:
                return [], "+CMS ERROR: 321"
            lines = self._format_entry(None, message)
            if message.stat == 0:
                message.stat = 1
            return lines, "OK"
        if cmd.startswith("+CMGD="):
            if sms_error:
                return [], sms_error
            args = cmd[6:].split(",")
            if len(args) > 1 and args[1].strip() == "4":
                for index in list(self._storage):
                    self._delete(index)
            else:
                self._delete(int(args[0]))
            return [], "OK"
        if cmd.startswith("+CMGS="):
            if sms_error:
                return [], sms_error
            if self.cmgf != 0:
                return [], "+CMS ERROR: 305"
            self._pdu_expected = int(cmd[6:])
            if not self.silent:
                text = f"{'AT' + original}\r" if self.echo else ""
                self.write((text + "\r\n> ").encode("latin-1"))
            return [], None
        return [], "ERROR"

    def _format_entry(self, index: int | None, message: StoredMessage) -> list[str]:
        if self.cmgf == 1:  # text mode, as a modem that lost AT+CMGF=0 would print
            try:
                decoded = decode_pdu(message.pdu)
            except PduError:
                return ["+CMGR: \"REC READ\",\"\",,\"\"" if index is None else
                        f'+CMGL: {index},"REC READ","",,""', ""]
            stat = ("REC UNREAD", "REC READ", "STO UNSENT", "STO SENT")[message.stat]
            sender = decoded.sender.number if isinstance(decoded, SmsDeliver) else ""
            text = getattr(decoded, "text", "") or ""
            head = f'"{stat}","{sender}",,"26/01/01,00:00:00+00"'
            return [f"+CMGR: {head}" if index is None else f"+CMGL: {index},{head}", text]
        pdu = message.pdu
        if self.garble_reads > 0:
            self.garble_reads -= 1
            pdu = pdu[: len(pdu) // 2]
        if index is None:
            return [f"+CMGR: {message.stat},,{message.tpdu_length}", pdu]
        return [f"+CMGL: {index},{message.stat},,{message.tpdu_length}", pdu]

    def _list(self, cmd: str) -> tuple[list[str], str]:
        arg = cmd[6:].strip().strip('"') if cmd.startswith("+CMGL=") else "4"
        wanted = {"0": {0}, "1": {1}, "2": {2}, "3": {3}, "4": {0, 1, 2, 3},
                  "REC UNREAD": {0}, "REC READ": {1}, "ALL": {0, 1, 2, 3}}.get(arg)
        if wanted is None:
            return [], "+CMS ERROR: 302"
        if (self.cmgf == 1) != (not arg.isdigit()):
            return [], "+CMS ERROR: 302"  # numeric stat in text mode or vice versa
        lines: list[str] = []
        for index in sorted(self._storage):
            message = self._storage[index]
            if message.stat in wanted:
                lines += self._format_entry(index, message)
                if message.stat == 0:
                    message.stat = 1
        return lines, "OK"

    def _finish_submit(self, body: str, *, cancelled: bool) -> None:
        with self._lock:
            expected, self._pdu_expected = self._pdu_expected, None
            if cancelled:
                self._reply([], "OK")
                return
            if self._fail_sends:
                code = self._fail_sends.popleft()
                self._reply([], f"+CMS ERROR: {code}")
                return
            try:
                decoded = decode_pdu(body)
                octets = len(body) // 2 - 1 - int(body[:2], 16)
            except (PduError, ValueError):
                decoded, octets = None, -1
            if not isinstance(decoded, SmsSubmit) or octets != expected:
                self._reply([], "+CMS ERROR: 304")
                return
            reference = next(self._mr) % 256
            self.sent.append(SentMessage(reference, body, decoded))
            self._changed.notify_all()
            self._reply([f"+CMGS: {reference}"], "OK")
            if decoded.status_report_request and self.status_reports and self.cnmi_ds:
                now = datetime.now(UTC).replace(microsecond=0)
                report = encode_status_report(reference, decoded.recipient.number, scts=now,
                                              discharge_time=now, status=0)
                if self.cnmi_ds == 1:
                    self.write(f"\r\n+CDS: {report.tpdu_length}\r\n{report.hex}\r\n".encode())
                else:
                    index = next(i for i in itertools.count(1) if i not in self._storage)
                    self._storage[index] = StoredMessage(0, report.hex)
                    self.write(f'\r\n+CDSI: "SM",{index}\r\n'.encode())


DEMO_MESSAGES = (
    ("+447700900123", "Hi, 2 large margheritas for pickup at 7pm please"),
    ("+447700900456", "Can I get a pepperoni and garlic bread delivered to 12 High St? 😀"),
    ("+447700900789", "Do you have gluten free bases? If so 1 veggie supreme, no olives"),
)


def run_demo(
    simulator: GsmModemSimulator,
    *,
    every: float = 10.0,
    messages: Sequence[tuple[str, str]] = DEMO_MESSAGES,
    stop: threading.Event | None = None,
) -> threading.Thread:
    """Deliver a scripted message every ``every`` seconds in a background thread until
    ``stop`` is set. Returns the (daemon) thread."""
    stop = stop or threading.Event()

    def feed() -> None:
        for sender, text in itertools.cycle(messages):
            if stop.wait(every):
                return
            simulator.deliver_text(sender, text)

    thread = threading.Thread(target=feed, name="gsm-modem-demo", daemon=True)
    thread.start()
    return thread


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m devices.simulated.gsm_modem LINK``: a demo modem until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("link", type=Path, help="path of the symlink the driver opens")
    parser.add_argument("--every", type=float, default=10.0, help="seconds between messages")
    parser.add_argument("--pin", default=None, help="SIM PIN the driver must enter")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO)
    stop = threading.Event()
    with GsmModemSimulator(args.link, pin=args.pin) as simulator:
        run_demo(simulator, every=args.every, stop=stop)
        print(f"GSM modem simulator on {args.link}; Ctrl-C to stop", flush=True)
        try:
            while not stop.wait(1.0):
                pass
        except KeyboardInterrupt:
            stop.set()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

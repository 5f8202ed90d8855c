"""GSM modem driver: one thread owns the serial port and runs the SMS channel.

Receiving: on ``+CMTI`` (and in a periodic ``AT+CMGL=4`` sweep, because
indications get lost) each stored PDU is read, decoded, reassembled and handed
to ``sink.deliver``; only after that returns is the SIM copy deleted with
``AT+CMGD``. If the sink raises, the copy stays and delivery is retried. A part of
a longer message is first moved into the driver's ``PartStore`` (durable, on the
till's disk) and its SIM copy deleted at once, so waiting parts never fill the SIM. A PDU
that cannot be parsed is read twice to rule out a garbled line, then goes to
``sink.quarantine`` and is deleted only after that returns.

Sending: ``submit()`` queues an ``OutgoingMessage``; the thread sends its
part(s) with ``AT+CMGS`` in PDU mode, reports ``SendResult`` with the message
reference(s), retries transient failures with backoff and passes status
reports on as ``DeliveryReport``.

Recovery: a silent modem, a reset (boot notices, echo or text mode coming
back) or a vanished port (USB unplug) make the driver reopen the port with
backoff, re-initialise and sweep the SIM, which is the source of truth.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from devices.errors import ModemNotResponding
from devices.events import (
    DeliveryReport,
    DeviceStatus,
    EventSink,
    OutgoingMessage,
    QuarantinedInput,
    SendResult,
)
from devices.gsm.modem_at import (
    AtEvent,
    AtParser,
    DeliveredPdu,
    Echo,
    FinalResult,
    MessageListing,
    MessageRead,
    MessageSent,
    ModemReady,
    NewMessage,
    NewStatusReport,
    PinState,
    Prompt,
    Registration,
    SignalQuality,
    StatusReportPdu,
    TextModeLine,
    format_command,
    format_pdu_payload,
    is_unsolicited,
)
from devices.gsm.multipart import DEFAULT_TIMEOUT, AssembledMessage, Reassembler
from devices.gsm.part_store import PartStore
from devices.gsm.sms_pdu import (
    DecodedPdu,
    EncodedPdu,
    PduError,
    SmsDeliver,
    SmsStatusReport,
    SmsSubmit,
    decode_pdu,
    encode_submit,
)
from devices.serial_port import open_port, port_closed, port_errors

if TYPE_CHECKING:
    from serial import SerialBase

log = logging.getLogger("countertop.devices.modem")

DEVICE = "modem"


class _Stopping(Exception):
    """Internal: stop() was called while the thread was waiting on the modem."""


class _SimUnavailable(Exception):
    """Internal: the SIM is missing or locked; wait before trying again."""


class _ReinitNeeded(Exception):
    """Internal: the modem lost its settings (reset) in the middle of something."""


@dataclass
class _Response:
    final: FinalResult
    lines: list[AtEvent]


@dataclass
class _OutboxItem:
    message: OutgoingMessage
    pdus: list[EncodedPdu] | None = None
    references: list[int] = field(default_factory=list)
    attempts: int = 0
    not_before: float = 0.0


@dataclass
class _PendingDelivery:
    assembled: AssembledMessage
    attempts: int
    not_before: float


class ModemDriver:
    """SMS in and out through a GSM modem at ``url`` (anything ``serial_for_url`` opens)."""

    def __init__(
        self,
        url: str,
        sink: EventSink,
        *,
        pin: str | None = None,
        baud: int = 115200,
        sweep_interval: float = 30.0,
        command_timeout: float = 10.0,
        send_timeout: float = 60.0,
        multipart_timeout: float = DEFAULT_TIMEOUT,
        reconnect_delay: tuple[float, float] = (0.5, 30.0),
        send_attempts: int = 5,
        send_backoff: float = 2.0,
        sim_retry_interval: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        part_store: PartStore | None = None,
    ) -> None:
        self._url = url
        #: where parts of long messages wait (None: on the SIM, as before issue 15)
        self._parts = part_store
        self._sink = sink
        self._pin = pin
        self._baud = baud
        self._sweep_interval = sweep_interval
        self._command_timeout = command_timeout
        self._send_timeout = send_timeout
        self._reconnect_delay = reconnect_delay
        self._send_attempts = send_attempts
        self._send_backoff = send_backoff
        self._sim_retry_interval = sim_retry_interval
        self._clock = clock
        self._reassembler = Reassembler(timeout=multipart_timeout, clock=clock)
        self._parser = AtParser()
        self._port: SerialBase | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._outbox_lock = threading.Lock()
        self._outbox: deque[_OutboxItem] = deque()
        self._concat_refs = itertools.count(random.randrange(256))
        self._pending_events: deque[AtEvent] = deque()
        self._urcs: deque[AtEvent] = deque()
        self._pending_reads: deque[int] = deque()
        self._suspects: dict[int, tuple[str, int]] = {}
        self._undelivered: list[_PendingDelivery] = []
        self._skipped_outgoing: set[int] = set()
        self._needs_reinit = False
        self._pin_rejected = False
        self._next_sweep = 0.0
        self._signal_bars: int | None = None
        self._registered: bool | None = None
        self._status: DeviceStatus | None = None

    # ---------------------------------------------------------------- public API

    def start(self) -> None:
        """Start the driver thread (returns at once; connection happens in the thread)."""
        if self._thread is not None:
            raise RuntimeError("ModemDriver already started")
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="modem-driver", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close the port. Unsent outbox messages stay with the caller's
        outbox (they were never reported sent)."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout)
            if thread.is_alive():
                log.error("modem driver thread did not stop within %.1f s", timeout)

    def submit(self, message: OutgoingMessage) -> None:
        """Queue a message for sending; the outcome arrives as ``sink.send_result``."""
        with self._outbox_lock:
            self._outbox.append(_OutboxItem(message))

    @property
    def status(self) -> DeviceStatus | None:
        """The last status reported to the sink."""
        return self._status

    # ---------------------------------------------------------------- thread

    def _run(self) -> None:
        delay = self._reconnect_delay[0]
        while not self._stop.is_set():
            self._report("connecting")
            try:
                # exclusive: a second driver (another process) reading and deleting the same
                # SIM would race us, so the port is locked while we hold it.
                self._port = open_port(
                    self._url, baudrate=self._baud, timeout=0.05, write_timeout=5.0,
                    exclusive=True)
            except port_errors(ValueError) as exc:
                log.info("modem port %s not available: %s", self._url, exc)
                self._report("disconnected", str(exc))
                if self._stop.wait(delay):
                    break
                delay = min(delay * 2, self._reconnect_delay[1])
                continue
            log.info("modem port %s opened", self._url)
            initialised = False
            try:
                initialised = self._session()
            except _Stopping:
                pass
            except ModemNotResponding as exc:
                log.warning("modem on %s not responding: %s", self._url, exc)
                self._report("error", f"modem not responding ({exc})")
            except port_errors() as exc:
                log.warning("modem port %s lost: %s", self._url, exc)
                self._report("disconnected", str(exc))
            except Exception:  # a bug: log it with context, keep the channel alive
                log.exception("modem driver failed; reconnecting")
                self._report("error", "internal error, see log")
            finally:
                initialised = initialised or self._next_sweep > 0
                self._close_port()
            if initialised:
                delay = self._reconnect_delay[0]
            if self._stop.wait(delay):
                break
            delay = min(delay * 2, self._reconnect_delay[1])
        self._close_port()

    def _close_port(self) -> None:
        port, self._port = self._port, None
        if port is not None:
            try:
                port.close()
            except port_errors():
                pass

    def _session(self) -> bool:
        """Serve one open port until stop (returns) or failure (raises)."""
        self._parser.reset()
        self._reassembler.clear()
        self._pending_events.clear()
        self._urcs.clear()
        self._pending_reads.clear()
        self._suspects.clear()
        self._skipped_outgoing.clear()
        self._next_sweep = 0.0
        self._needs_reinit = True
        while not self._stop.is_set():
            try:
                if self._needs_reinit:
                    self._reassembler.clear()
                    self._pending_reads.clear()
                    # SIM copies are read again by the sweep; only +CMT messages live in memory.
                    self._undelivered = [p for p in self._undelivered
                                         if not p.assembled.storage_indexes]
                    self._reload_parts()
                    self._bring_up()
                self._service_once()
            except _ReinitNeeded:
                log.info("modem lost its settings (reset?); initialising again")
                self._needs_reinit = True
        return True

    def _bring_up(self) -> None:
        """Initialise until the SIM is usable, then sweep."""
        while True:
            try:
                self._initialise()
                self._needs_reinit = False  # echo seen before ATE0 took effect is expected
                break
            except _SimUnavailable:
                deadline = self._clock() + self._sim_retry_interval
                while self._clock() < deadline:  # listen for +CPIN: READY / boot notices
                    self._pump(0.1)
                    if any(isinstance(e, (ModemReady, PinState)) for e in self._urcs):
                        self._urcs.clear()
                        break
        self._sweep()

    def _service_once(self) -> None:
        if not self._urcs and not self._pending_reads:  # else work is already waiting
            self._pump(0.05)
        self._handle_urcs()
        if self._needs_reinit:
            raise _ReinitNeeded
        self._read_pending()
        self._retry_undelivered()
        for assembled in self._reassembler.expire():
            self._deliver(assembled)
        self._send_due()
        if self._clock() >= self._next_sweep:
            self._sweep()

    # ---------------------------------------------------------------- I/O

    def _require_port(self) -> SerialBase:
        if self._stop.is_set():
            raise _Stopping
        if self._port is None:
            raise port_closed("port closed")
        return self._port

    def _read_events(self) -> list[AtEvent]:
        if self._pending_events:
            events = list(self._pending_events)
            self._pending_events.clear()
            return events
        port = self._require_port()
        data = port.read(1)
        if data:
            waiting = port.in_waiting
            if waiting:
                data += port.read(waiting)
            return self._parser.feed(data)
        return []

    def _pump(self, duration: float) -> None:
        """Read for up to ``duration`` seconds outside any command; everything is a URC."""
        deadline = self._clock() + duration
        while True:
            events = self._read_events()
            for event in events:
                self._note_idle_event(event)
            if events and not self._pending_events:
                return
            if self._clock() >= deadline:
                return

    def _note_idle_event(self, event: AtEvent) -> None:
        if isinstance(event, (Echo, TextModeLine)):
            self._needs_reinit = True  # echo or text mode came back: settings were lost
        elif isinstance(event, PinState) or is_unsolicited(event):
            self._urcs.append(event)
        else:
            log.debug("modem said outside a command: %r", event)

    def _write(self, data: bytes) -> None:
        port = self._require_port()
        port.write(data)
        port.flush()

    def _command(self, command: str, *, timeout: float | None = None,
                 pdu: str | None = None) -> _Response:
        """Send one command and collect its answer; URCs arriving meanwhile are queued."""
        self._write(format_command(command))
        deadline = self._clock() + (timeout or self._command_timeout)
        prompt_answered = False
        collected: list[AtEvent] = []
        while True:
            if self._clock() > deadline:
                if pdu is not None and not prompt_answered:
                    self._write(b"\x1b")  # leave the prompt
                raise ModemNotResponding(f"no answer to {command}")
            events = self._read_events()
            for position, event in enumerate(events):
                if is_unsolicited(event):
                    self._urcs.append(event)
                elif isinstance(event, Echo):
                    if command.upper() != "ATE0":
                        self._needs_reinit = True
                elif isinstance(event, TextModeLine):
                    self._needs_reinit = True
                    collected.append(event)
                elif isinstance(event, FinalResult):
                    self._pending_events.extendleft(reversed(events[position + 1:]))
                    return _Response(event, collected)
                elif isinstance(event, Prompt):
                    if pdu is not None and not prompt_answered:
                        self._write(format_pdu_payload(pdu))
                        prompt_answered = True
                        deadline = self._clock() + self._send_timeout
                else:
                    collected.append(event)

    def _simple(self, command: str) -> FinalResult:
        return self._command(command).final

    # ---------------------------------------------------------------- init and status

    def _initialise(self) -> None:
        for attempt in range(3):
            try:
                self._command("AT", timeout=min(self._command_timeout, 2.0))
                break
            except ModemNotResponding:
                if attempt == 2:
                    raise
        self._command("ATE0")
        self._command("AT+CMEE=1")
        self._check_sim()
        if not self._simple("AT+CMGF=0").ok:
            raise ModemNotResponding("modem refuses PDU mode (AT+CMGF=0)")
        if not self._simple('AT+CPMS="SM","SM","SM"').ok:
            log.warning("modem refused AT+CPMS for SIM storage; using its default storage")
        for cnmi in ("AT+CNMI=2,1,0,1,0", "AT+CNMI=2,1,0,2,0", "AT+CNMI=1,1,0,0,0"):
            if self._simple(cnmi).ok:
                break
        else:
            log.warning("modem refused every AT+CNMI setting; relying on sweeps")
        self._simple("AT+CREG=1")
        self._poll_network()

    def _check_sim(self) -> None:
        response = self._command("AT+CPIN?")
        if not response.final.ok:
            if response.final.code == 10 or "not inserted" in response.final.meaning.lower():
                self._report("no_sim", "no SIM card in the modem")
            else:
                self._report("error", f"SIM problem: {response.final.meaning or response.final.kind}")
            raise _SimUnavailable
        state = next((e.state for e in response.lines if isinstance(e, PinState)), "READY")
        if state == "READY":
            return
        if state == "SIM PIN":
            if self._pin is None:
                self._report("pin_needed", "the SIM asks for a PIN; enter it in the settings")
                raise _SimUnavailable
            if self._pin_rejected:
                self._report("pin_needed", "the SIM rejected the PIN; not retried")
                raise _SimUnavailable
            result = self._simple(f'AT+CPIN="{self._pin}"')
            if result.ok:
                log.info("SIM PIN accepted")
                return
            if result.code == 16 or "incorrect" in result.meaning.lower():
                self._pin_rejected = True  # retrying would burn the SIM's remaining attempts
                log.error("the SIM rejected the configured PIN; not trying it again")
                self._report("pin_needed", "the SIM rejected the PIN; not retried")
            else:
                self._report("pin_needed", f"PIN entry failed: {result.meaning or result.kind}")
            raise _SimUnavailable
        if "PUK" in state:
            self._report("pin_needed", "the SIM is blocked and needs its PUK")
        else:
            self._report("pin_needed", f"the SIM asks for {state}")
        raise _SimUnavailable

    def _poll_network(self) -> None:
        response = self._command("AT+CREG?")
        for event in response.lines:
            if isinstance(event, Registration):
                self._registered = event.registered
        response = self._command("AT+CSQ")
        for event in response.lines:
            if isinstance(event, SignalQuality):
                self._signal_bars = event.bars
        self._report_network()

    def _report_network(self) -> None:
        if self._registered is False:
            self._report("no_network", "not registered on a network")
        else:
            self._report("ok")

    def _report(self, state: str, detail: str = "") -> None:
        status = DeviceStatus(DEVICE, state, detail, self._signal_bars, self._url)
        if status == self._status:
            return
        self._status = status
        try:
            self._sink.status(status)
        except Exception:
            log.exception("sink.status failed")

    # ---------------------------------------------------------------- receiving

    def _handle_urcs(self) -> None:
        while self._urcs:
            event = self._urcs.popleft()
            if isinstance(event, (NewMessage, NewStatusReport)):
                if event.index not in self._pending_reads:
                    self._pending_reads.append(event.index)
            elif isinstance(event, StatusReportPdu):
                self._handle_direct_status_report(event.pdu)
            elif isinstance(event, DeliveredPdu):
                self._handle_direct_message(event.pdu)
            elif isinstance(event, (ModemReady, PinState)):
                self._needs_reinit = True
            elif isinstance(event, Registration):
                self._registered = event.registered
                self._report_network()
            else:
                log.debug("ignoring %r", event)

    def _held(self, index: int) -> bool:
        return self._reassembler.holds(index) or any(
            index in p.assembled.storage_indexes for p in self._undelivered)

    def _read_pending(self) -> None:
        while self._pending_reads and not self._stop.is_set():
            index = self._pending_reads.popleft()
            if self._held(index):
                continue
            response = self._command(f"AT+CMGR={index}")
            if self._needs_reinit:
                raise _ReinitNeeded
            read = next((e for e in response.lines if isinstance(e, MessageRead)), None)
            if read is None:
                if not response.final.ok:
                    log.debug("index %d gone: %s", index, response.final.line)
                continue
            self._handle_stored(index, read.stat, read.pdu)

    def _sweep(self) -> None:
        """List everything on the SIM: catches lost indications and leftovers of crashes."""
        self._next_sweep = self._clock() + self._sweep_interval
        response = self._command("AT+CMGL=4", timeout=self._command_timeout * 3)
        if self._needs_reinit:
            raise _ReinitNeeded
        if not response.final.ok:
            log.warning("AT+CMGL=4 failed: %s", response.final.line)
            self._needs_reinit = True
            return
        self._poll_network()
        for event in response.lines:
            if isinstance(event, MessageListing):
                self._handle_stored(event.index, event.stat, event.pdu)

    def _handle_stored(self, index: int, stat: int, pdu: str | None) -> None:
        if self._held(index):
            return
        if stat in (2, 3):
            if index not in self._skipped_outgoing:
                self._skipped_outgoing.add(index)
                log.info("SIM index %d holds an outgoing message (stat %d); left alone", index, stat)
            return
        if not pdu:
            self._suspect(index, "", PduError("the modem listed the message without its PDU"))
            return
        try:
            decoded = decode_pdu(pdu)
        except PduError as exc:
            self._suspect(index, pdu, exc)
            return
        self._suspects.pop(index, None)
        if isinstance(decoded, SmsStatusReport):
            if self._report_delivery(decoded):
                self._delete(index)
        elif isinstance(decoded, SmsSubmit):
            if index not in self._skipped_outgoing:
                self._skipped_outgoing.add(index)
                log.info("SIM index %d holds an SMS-SUBMIT; left alone", index)
        else:
            self._take_part(decoded, pdu, index)

    def _take_part(self, decoded: SmsDeliver, pdu: str, index: int | None) -> None:
        """Reassemble a received PDU; a part of a longer message moves into the part store
        first (its SIM copy deleted now), so it never holds a SIM slot while it waits."""
        concat = decoded.concatenation
        key = None
        if self._parts is not None and concat is not None and concat.total > 1:
            try:
                key = self._parts.put(pdu)
            except OSError as exc:
                log.error("cannot keep an SMS part on disk (%s); it stays on the SIM", exc)
            else:
                if index is not None:
                    self._delete(index)
                index = None
        for assembled in self._reassembler.add(decoded, index, part_key=key):
            self._deliver(assembled)

    def _reload_parts(self) -> None:
        """Parts kept on disk before a restart or reconnect wait again for the rest."""
        if self._parts is None:
            return
        pending = {k for p in self._undelivered for k in p.assembled.part_keys}
        for key, pdu in self._parts.load():
            if key in pending:
                continue
            try:
                decoded = decode_pdu(pdu)
            except PduError as exc:
                if self._quarantine(pdu, str(exc), None):
                    self._parts.remove([key])
                continue
            if isinstance(decoded, SmsDeliver):
                for assembled in self._reassembler.add(decoded, None, part_key=key):
                    self._deliver(assembled)

    def _suspect(self, index: int, pdu: str, error: PduError) -> None:
        """An unreadable PDU: read it once more before quarantining, so a garbled serial line
        never costs a message."""
        previous, seen = self._suspects.get(index, (None, 0))
        if previous == pdu or seen >= 2:
            self._suspects.pop(index, None)
            if pdu and self._quarantine(pdu, str(error), index):
                self._delete(index)
            elif not pdu:
                log.error("SIM index %d keeps listing without a PDU; left on the SIM", index)
            return
        self._suspects[index] = (pdu, seen + 1)
        log.warning("unreadable PDU at SIM index %d (%s); reading it again", index, error)
        if index not in self._pending_reads:
            self._pending_reads.append(index)

    def _quarantine(self, raw: str, reason: str, index: int | None) -> bool:
        key = "sms-quarantine:" + hashlib.sha256(raw.encode()).hexdigest()[:40]
        log.error("quarantining SMS PDU%s: %s", f" from SIM index {index}" if index else "", reason)
        try:
            self._sink.quarantine(QuarantinedInput("sms", raw, reason, datetime.now(UTC), key))
        except Exception:
            log.exception("sink.quarantine failed; the PDU stays on the SIM")
            return False
        return True

    def _deliver(self, assembled: AssembledMessage, attempts: int = 0) -> None:
        try:
            self._sink.deliver(assembled.message)
        except Exception as exc:
            delay = min(self._sweep_interval, 0.5 * 2 ** min(attempts, 6))
            log.warning("sink did not store SMS from %s (%s); kept on the SIM, retry in %.1f s",
                        assembled.message.sender, exc, delay)
            self._undelivered.append(_PendingDelivery(assembled, attempts + 1,
                                                      self._clock() + delay))
            return
        for index in assembled.storage_indexes:
            self._delete(index)
        if self._parts is not None and assembled.part_keys:
            self._parts.remove(list(assembled.part_keys))

    def _retry_undelivered(self) -> None:
        now = self._clock()
        due = [p for p in self._undelivered if p.not_before <= now]
        if not due:
            return
        self._undelivered = [p for p in self._undelivered if p.not_before > now]
        for pending in due:
            self._deliver(pending.assembled, pending.attempts)

    def _delete(self, index: int) -> None:
        result = self._simple(f"AT+CMGD={index}")
        if not result.ok:
            log.warning("AT+CMGD=%d failed (%s); the copy is read again later and deduplicated",
                        index, result.line)

    def _decode_direct(self, pdu: str) -> DecodedPdu | None:
        """Decode a PDU the modem pushed straight to us (+CMT/+CDS). It has no SIM index to
        come back to, so an undecodable one is quarantined here; None means nothing to do."""
        try:
            return decode_pdu(pdu)
        except PduError as exc:
            self._quarantine(pdu, str(exc), None)
            return None

    def _handle_direct_message(self, pdu: str | None) -> None:
        if not pdu:
            return
        decoded = self._decode_direct(pdu)
        if isinstance(decoded, SmsDeliver):
            self._take_part(decoded, pdu, None)
        elif isinstance(decoded, SmsStatusReport):
            self._report_delivery(decoded)

    def _handle_direct_status_report(self, pdu: str | None) -> None:
        if not pdu:
            return
        decoded = self._decode_direct(pdu)
        if isinstance(decoded, SmsStatusReport):
            self._report_delivery(decoded)
        elif decoded is not None:
            self._quarantine(pdu, "+CDS carried a PDU that is not a status report", None)

    def _report_delivery(self, report: SmsStatusReport) -> bool:
        at = report.discharge_time or report.scts or datetime.now(UTC)
        try:
            self._sink.delivery_report(DeliveryReport(
                reference=str(report.message_reference), recipient=report.recipient.number,
                delivered=report.delivered, status=report.status_text, at=at, raw=report.raw))
        except Exception:
            log.exception("sink.delivery_report failed")
            return False
        return True

    # ---------------------------------------------------------------- sending

    def _next_outbox_item(self) -> _OutboxItem | None:
        now = self._clock()
        with self._outbox_lock:
            for item in self._outbox:
                if item.not_before <= now:
                    return item
        return None

    def _finish(self, item: _OutboxItem, result: SendResult) -> None:
        with self._outbox_lock, contextlib.suppress(ValueError):
            self._outbox.remove(item)  # already gone: a retry finished it
        try:
            self._sink.send_result(result)
        except Exception:
            log.exception("sink.send_result failed for %s", item.message.outbox_id)

    def _send_due(self) -> None:
        item = self._next_outbox_item()
        if item is None:
            return
        message = item.message
        if item.pdus is None:
            try:
                item.pdus = encode_submit(message.to, message.body,
                                          concat_reference=next(self._concat_refs) % 256,
                                          request_status_report=True)
            except ValueError as exc:
                log.error("cannot send %s: %s", message.outbox_id, exc)
                self._finish(item, SendResult(message.outbox_id, False, datetime.now(UTC),
                                              error=str(exc), retry=False))
                return
        while len(item.references) < len(item.pdus):
            pdu = item.pdus[len(item.references)]
            try:
                response = self._command(f"AT+CMGS={pdu.tpdu_length}", pdu=pdu.hex,
                                         timeout=self._send_timeout)
            except ModemNotResponding:
                self._schedule_retry(item, "modem did not confirm the send")
                raise
            sent = next((e for e in response.lines if isinstance(e, MessageSent)), None)
            if response.final.ok and sent is not None:
                item.references.append(sent.reference)
                continue
            final = response.final
            error = f"{final.kind} {final.code if final.code is not None else ''}".strip()
            error = f"{error}: {final.meaning}" if final.meaning else error
            if final.transient and item.attempts + 1 < self._send_attempts:
                self._schedule_retry(item, error)
                return
            log.error("sending %s failed: %s", message.outbox_id, error)
            self._finish(item, SendResult(message.outbox_id, False, datetime.now(UTC),
                                          reference=self._references(item), error=error,
                                          retry=final.transient))
            return
        log.info("sent %s in %d part(s), references %s", message.outbox_id, len(item.pdus),
                 self._references(item))
        self._finish(item, SendResult(message.outbox_id, True, datetime.now(UTC),
                                      reference=self._references(item)))

    @staticmethod
    def _references(item: _OutboxItem) -> str | None:
        return ",".join(str(r) for r in item.references) or None

    def _schedule_retry(self, item: _OutboxItem, error: str) -> None:
        item.attempts += 1
        delay = self._send_backoff * 2 ** (item.attempts - 1)
        item.not_before = self._clock() + delay
        log.warning("sending %s failed (%s); attempt %d, retry in %.1f s",
                    item.message.outbox_id, error, item.attempts, delay)

"""Connects channel drivers (modem, caller-ID) to the engine.

``EngineSink`` is the ``devices.events.EventSink`` the drivers call from their own
threads. Each call hops onto the engine's loop (the single Automerge writer) and, for
``deliver``, returns only after the message is fsynced in the ledger, so the driver may
then delete the SIM copy. The ``Outbox`` hands queued outgoing SMS (any till may queue
one; it syncs here) to the modem driver and records what became of them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from app import protocol
from app.engine.intake_bridge import IntakeService
from app.engine.services import DeviceBoard, EngineHost
from devices.events import (
    CallEvent,
    Channel,
    DeliveryReport,
    DeviceStatus,
    InboundMessage,
    OutgoingMessage,
    QuarantinedInput,
    SendResult,
)
from sync.changes import Changes
from sync.ledger import ShopLedger
from sync.phones import try_normalise_phone
from sync.read_model import queries

log = logging.getLogger("countertop.engine.devices")

T = TypeVar("T")
MAX_SEND_ATTEMPTS = 5


class EngineSink:
    """Driver events -> ledger commands, run on the engine loop."""

    def __init__(self, service: EngineHost, intake: IntakeService | None,
                 board: DeviceBoard, line_name: str | None = None) -> None:
        self.service = service
        self.engine = service.engine
        self.intake = intake
        self.board = board
        self.line_name = line_name
        self.outbox: Outbox | None = None

    def _on_loop(self, fn: Callable[[], T], timeout: float = 30.0) -> T:
        loop = self.service.loop
        if loop is None:
            raise RuntimeError("engine loop is not running")

        async def run() -> T:
            return fn()

        return asyncio.run_coroutine_threadsafe(run(), loop).result(timeout)

    def _region(self) -> str:
        return self.engine.ledger.region if self.engine.has_shop else "GB"

    # -- EventSink

    def deliver(self, message: InboundMessage) -> None:
        self._on_loop(lambda: self._deliver(message))

    def _deliver(self, m: InboundMessage) -> None:
        ledger = self.engine.require_shop()
        sender = try_normalise_phone(m.sender, ledger.region) if m.channel == Channel.SMS \
            else m.sender
        sender = sender or m.sender
        customer = ledger.customers.find(sender) if sender else None
        changes = self.engine.execute(lambda L: L.inbox.record_message(
            channel=m.channel.value, direction="in", sender=sender, recipient=m.recipient or "",
            body=m.body, received_at=m.received_at, raw=m.raw, dedupe_key=m.dedupe_key,
            subject=m.subject or "", customer_id=customer, missing_parts=m.missing_parts,
            meta=m.meta))
        mid = changes.created
        fresh = bool(changes.messages)
        if not fresh:
            log.info("message %s already stored (dedupe key %s)", mid, m.dedupe_key)
            return
        self.service.publish(protocol.new_message_event(mid, m.channel.value, customer))
        if self.intake is not None and mid and m.body.strip():
            loop = self.service.loop
            assert loop is not None
            # after the driver has its answer: parsing never delays the SIM delete
            loop.call_soon(functools.partial(self.intake.process_message, mid, m.body,
                                             channel=m.channel.value, customer_id=customer))

    def call(self, event: CallEvent) -> None:
        self._on_loop(lambda: self._call(event))

    def _call(self, e: CallEvent) -> None:
        ledger = self.engine.require_shop()
        number = try_normalise_phone(e.number, ledger.region) if e.number else None
        customer = ledger.customers.find(number) if number else None
        # the call announcer (below) publishes incoming_call for this new call record
        self.engine.execute(lambda L: L.inbox.record_call(
            number=number, name=e.name, at=e.at, presentation=e.presentation, raw=e.raw,
            customer_id=customer, answered=e.answered, line=e.line or self.line_name))

    def quarantine(self, item: QuarantinedInput) -> None:
        log.error("quarantined %s input: %s", item.source, item.reason)
        self._on_loop(lambda: self.engine.execute(lambda L: L.inbox.quarantine(
            source=item.source, raw=item.raw, reason=item.reason, at=item.at,
            dedupe_key=item.dedupe_key)))

    def status(self, status: DeviceStatus) -> None:
        self.board.report(status)
        self.service.publish(protocol.device_status_event(
            status.device, status.state, status.detail, status.signal_bars, status.port))

    def send_result(self, result: SendResult) -> None:
        self._on_loop(lambda: self.outbox.record_result(result) if self.outbox else None)

    def delivery_report(self, report: DeliveryReport) -> None:
        self._on_loop(lambda: self.outbox.record_report(report) if self.outbox else None)


class Outbox:
    """Queued outgoing SMS -> the modem driver; results and delivery reports -> ledger."""

    def __init__(self, service: EngineHost, submit: Callable[[OutgoingMessage], None]) -> None:
        self.service = service
        self.engine = service.engine
        self._submit = submit
        self._submitted: set[str] = set()
        self.engine.subscribe(self._on_changes)

    async def start(self) -> None:
        # on start, anything this engine was sending when it stopped goes out again
        self.pump(include_sending=True)

    async def stop(self) -> None:
        return None

    def _on_changes(self, changes: Changes) -> None:
        if changes.messages:
            self.pump()

    def pump(self, include_sending: bool = False) -> int:
        """Submit every queued outgoing SMS not yet handed to the driver."""
        if not self.engine.has_shop:
            return 0
        states = ("queued", "sending") if include_sending else ("queued",)
        rows = queries.queued_outgoing_sms(self.engine.read_model.conn, states)
        count = 0
        for row in rows:
            mid = row["id"]
            if mid in self._submitted:
                continue
            self._submitted.add(mid)
            self.engine.execute(functools.partial(_set_state, mid=mid, state="sending"))
            self._submit(OutgoingMessage(outbox_id=mid, channel=Channel.SMS, to=row["recipient"],
                                         body=row["body"], attempt=int(row["attempts"] or 0)))
            count += 1
        return count

    def record_result(self, result: SendResult) -> None:
        mid = result.outbox_id
        attempts = queries.message_attempts(self.engine.read_model.conn, mid) + 1
        if result.ok:
            fields: dict[str, Any] = {"state": "sent", "reference": result.reference or "",
                                      "attempts": attempts, "error": "",
                                      "sent_at": result.at}
        elif result.retry and attempts < MAX_SEND_ATTEMPTS:
            fields = {"state": "queued", "error": result.error or "", "attempts": attempts}
            self._submitted.discard(mid)
        else:
            fields = {"state": "failed", "error": result.error or "send failed",
                      "attempts": attempts}
        self.engine.execute(lambda L: L.inbox.update_message(mid, **fields))

    def record_report(self, report: DeliveryReport) -> None:
        for mid, reference in queries.outgoing_sms_with_references(self.engine.read_model.conn):
            refs = {r.strip() for r in str(reference).split(",")}
            if report.reference in refs:
                self.engine.execute(functools.partial(
                    _set_state, mid=mid, state="delivered" if report.delivered else "failed",
                    delivered_at=report.at if report.delivered else None,
                    error="" if report.delivered else report.status))
                return
        log.warning("delivery report for unknown message reference %s", report.reference)


def _set_state(ledger: ShopLedger, *, mid: str, **fields: Any) -> Changes:
    """The outbox's ledger command: new state (and details) of outgoing message ``mid``."""
    return ledger.inbox.update_message(mid, **fields)


class CallAnnouncer:
    """Publishes ``incoming_call`` for every new, recent call record, wherever it rang.

    Calls reach other tills as records synced into the documents; announcing from the
    change stream (local command or remote merge alike) makes every till pop the
    caller's card, not only the one with the caller-ID unit.
    """

    RECENT = dt.timedelta(minutes=2)

    def __init__(self, service: EngineHost) -> None:
        self.service = service
        self.engine = service.engine
        self._announced: set[str] = set()
        self.engine.subscribe(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        fresh = [c for c in changes.calls if c not in self._announced]
        if not fresh:
            return
        now = dt.datetime.now(dt.UTC)
        conn = self.engine.read_model.conn
        for call_id in fresh:
            self._announced.add(call_id)
            call = queries.call_row(conn, call_id)
            if call is None:
                continue
            try:
                at = dt.datetime.fromisoformat(call["at"])
            except (TypeError, ValueError):
                continue
            if now - at > self.RECENT:
                continue  # an old call arriving by sync after a partition: no pop-up
            self.service.publish(protocol.incoming_call_event(call, call["customer_id"]))

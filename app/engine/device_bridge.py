"""Connects channel drivers (modem, caller-ID, mailbox) to the engine.

``EngineSink`` is the ``devices.events.EventSink`` the drivers call from their own
threads. Each call hops onto the engine's loop (the single Automerge writer) and, for
``deliver``, returns only after the message is fsynced in the ledger, so the driver may
then delete the SIM copy or flag the IMAP message. The ``Outbox`` (``outbox.py``) hands
queued outgoing messages to the driver of their channel and records what became of
them; an email bounce marks the message it names. What an incoming message means for
the shop beyond the inbox (an opt-out, a rating) is ``customer_notices.InboundRules``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from collections.abc import Callable
from typing import TypeVar

from app import protocol
from app.engine.customer_notices import InboundRules
from app.engine.intake_bridge import IntakeService
from app.engine.outbox import Outbox
from app.engine.services import DeviceBoard, EngineHost
from devices.events import (
    CallEvent,
    Channel,
    DeliveryReport,
    DeviceStatus,
    InboundMessage,
    QuarantinedInput,
    SendResult,
)
from sync.changes import Changes
from sync.phones import try_normalise_phone
from sync.read_model import queries

log = logging.getLogger("countertop.engine.devices")

T = TypeVar("T")

__all__ = ["CallAnnouncer", "EngineSink", "Outbox"]


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
        bounce_for = m.meta.get("bounce_for", "")
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
        if bounce_for and mid and self._bounced(str(mid), m):
            return  # shown on the message it bounces, not as a conversation of its own
        self.service.publish(protocol.new_message_event(mid, m.channel.value, customer))
        text = m.meta.get("preview") or m.body  # an email's own words, without the quote
        handled = bool(mid) and InboundRules(self.engine).apply(
            str(mid), text, customer_id=customer, auto=bool(m.meta.get("auto")))
        if self.intake is not None and mid and text.strip() and not handled \
                and not m.meta.get("auto"):
            loop = self.service.loop
            assert loop is not None
            # after the driver has its answer: parsing never delays the SIM delete
            loop.call_soon(functools.partial(self.intake.process_message, mid, text,
                                             channel=m.channel.value, customer_id=customer))

    def _bounced(self, mid: str, m: InboundMessage) -> bool:
        """A bounce of a message we sent: mark that one, keep this one read beside it."""
        if self.outbox is None:
            return False
        reason = " ".join(x for x in (m.meta.get("bounce_status", ""),
                                      m.meta.get("bounce_reason", "")) if x)
        original = self.outbox.record_bounce(m.meta["bounce_for"],
                                             f"bounced: {reason}" if reason else "bounced")
        if original is None:
            return False
        row = queries.message_meta(self.engine.read_model.conn, original)
        self.engine.execute(lambda L: L.inbox.update_message(
            mid, read=True, state="bounce",
            customer_id=row.get("customer_id") if row else None))
        return True

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

"""Typed values that channel drivers emit, and the sink the engine gives them.

Drivers (GSM modem, caller-ID, mailbox) are sans-IO parsers plus a thin
transport; neither knows about Automerge or Qt. They hand these values to an
``EventSink`` supplied by the engine. ``EventSink.deliver`` returns only once
the message is durable in the shop ledger, so a driver may delete the device
copy (``AT+CMGD``, an IMAP flag) right after it returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from sync.vocabulary import Channel

__all__ = ["CallEvent", "Channel", "DeliveryReport", "DeviceStatus", "EventSink",
           "InboundMessage", "OutgoingMessage", "QuarantinedInput", "SendResult"]


@dataclass(frozen=True)
class InboundMessage:
    """One message received on a channel, complete or with marked gaps.

    ``dedupe_key`` must be stable across re-reads of the same message (a modem
    copy read again after a crash, an IMAP message fetched twice) so the ledger
    stores it once. ``raw`` keeps the source for audit (hex PDUs, RFC 822).
    """

    channel: Channel
    sender: str
    body: str
    received_at: datetime
    dedupe_key: str
    raw: str
    recipient: str | None = None
    subject: str | None = None
    missing_parts: tuple[int, ...] = ()
    meta: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class CallEvent:
    """A ring with caller-ID data (number and/or name may be withheld)."""

    at: datetime
    number: str | None
    name: str | None
    # "ok", "private" (withheld), "unavailable" (out of area), or "unknown"
    presentation: str
    raw: str
    line: str | None = None
    answered: bool | None = None


@dataclass(frozen=True)
class OutgoingMessage:
    """A message queued in the shop outbox that the channel owner must send."""

    outbox_id: str
    channel: Channel
    to: str
    body: str
    attempt: int = 0
    subject: str = ""  # email only, as are the threading headers below
    in_reply_to: str = ""
    references: tuple[str, ...] = ()
    auto: bool = False  # a notification, not a person's reply (Auto-Submitted)


@dataclass(frozen=True)
class SendResult:
    """What became of one send attempt."""

    outbox_id: str
    ok: bool
    at: datetime
    reference: str | None = None  # modem message reference(s), Message-ID, ...
    error: str | None = None
    retry: bool = False  # True when the failure is transient and worth retrying


@dataclass(frozen=True)
class DeliveryReport:
    """A status report for a sent message (SMS-STATUS-REPORT, an email bounce)."""

    reference: str
    recipient: str
    delivered: bool
    status: str
    at: datetime
    raw: str


@dataclass(frozen=True)
class QuarantinedInput:
    """Input a driver could not parse, kept raw so nothing is silently dropped."""

    source: str  # "sms", "callerid", "email", ...
    raw: str
    reason: str
    at: datetime
    dedupe_key: str | None = None


@dataclass(frozen=True)
class DeviceStatus:
    """Health of one device, shown in the status bar."""

    device: str  # "modem", "callerid", "mailbox"
    state: str  # "ok", "connecting", "disconnected", "no_sim", "pin_needed", "no_network", "error"
    detail: str = ""
    signal_bars: int | None = None  # 0..5 for the modem
    port: str | None = None


class EventSink(Protocol):
    """What the engine offers a driver. Called from the driver's own thread."""

    def deliver(self, message: InboundMessage) -> None:
        """Store the message durably; return only when it is on disk. Raises on failure."""

    def call(self, event: CallEvent) -> None:
        """Record a call and broadcast the incoming-call event."""

    def quarantine(self, item: QuarantinedInput) -> None:
        """Keep unparseable input raw, durably, for staff to inspect."""

    def status(self, status: DeviceStatus) -> None:
        """Report the device's state (not persisted across restarts)."""

    def send_result(self, result: SendResult) -> None:
        """Record the outcome of sending an outbox message."""

    def delivery_report(self, report: DeliveryReport) -> None:
        """Record a delivery report for a previously sent message."""

"""The shop outbox, for every channel this till can send on.

Any till may queue an outgoing message (a reply, a status notification): it is a message
record with ``direction: out`` and ``state: queued`` in the shop's documents, so it syncs
to the till that owns the channel, whose ``Outbox`` hands it to the driver: the modem for
SMS, the SMTP sender for email. The driver answers with a ``SendResult``; the outbox
records it on the message (sent with its reference, failed with the reason) and owns
the retry policy: a transient failure (no network, a 4xx answer) puts the message back
in the queue and tries again after a backoff that doubles up to ``BACKOFF_CAP`` seconds.
A delivery report (an SMS status report) or a bounce marks the sent message delivered
or failed.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any

from app.engine.services import EngineHost
from devices.events import Channel, DeliveryReport, OutgoingMessage, SendResult
from sync.changes import Changes
from sync.ledger import ShopLedger
from sync.read_model import queries

log = logging.getLogger("countertop.engine.outbox")

#: attempts before a message is marked failed, per channel (the modem retries within
#: each attempt itself; an SMTP server may be unreachable for an afternoon)
MAX_ATTEMPTS = {Channel.SMS: 5, Channel.EMAIL: 20}
BACKOFF_FIRST = 2.0
BACKOFF_CAP = 600.0

Submit = Callable[[OutgoingMessage], None]


def _set_state(ledger: ShopLedger, *, mid: str, **fields: Any) -> Changes:
    """The outbox's ledger command: new state (and details) of outgoing message ``mid``."""
    return ledger.inbox.update_message(mid, **fields)


class Outbox:
    """Queued outgoing messages -> the channel's driver; results and reports -> ledger."""

    def __init__(self, service: EngineHost, submit: Submit | None = None, *,
                 channels: dict[Channel, Submit] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.service = service
        self.engine = service.engine
        self._submitters: dict[Channel, Submit] = dict(channels or {})
        if submit is not None:
            self._submitters[Channel.SMS] = submit
        self._submitted: set[str] = set()
        self._not_before: dict[str, float] = {}
        self._clock = clock
        self._timer: Any = None
        self.engine.subscribe(self._on_changes)

    def set_channel(self, channel: Channel, submit: Submit | None) -> None:
        """Send ``channel`` through ``submit`` from now on (None: this till no longer can)."""
        if submit is None:
            self._submitters.pop(channel, None)
        else:
            self._submitters[channel] = submit
            self.pump(include_sending=True)

    @property
    def channels(self) -> tuple[Channel, ...]:
        return tuple(self._submitters)

    async def start(self) -> None:
        # on start, anything this engine was sending when it stopped goes out again
        self.pump(include_sending=True)

    async def stop(self) -> None:
        if self._timer is not None:
            self._timer.cancel()

    def _on_changes(self, changes: Changes) -> None:
        if changes.messages:
            self.pump()

    def pump(self, include_sending: bool = False) -> int:
        """Submit every queued message of a channel this till sends on, when it is due."""
        if not self.engine.has_shop or not self._submitters:
            return 0
        states = ("queued", "sending") if include_sending else ("queued",)
        channels = tuple(c.value for c in self._submitters)
        now = self._clock()
        count = 0
        for row in queries.queued_outgoing(self.engine.read_model.conn, channels, states):
            mid = row["id"]
            if mid in self._submitted:
                continue
            due = self._not_before.get(mid, 0.0)
            if due > now:
                self._wake_at(due - now)
                continue
            channel = Channel(row["channel"])
            submit = self._submitters.get(channel)
            if submit is None:
                continue
            self._submitted.add(mid)
            self.engine.execute(functools.partial(_set_state, mid=mid, state="sending"))
            meta = row.get("meta") or {}
            submit(OutgoingMessage(
                outbox_id=mid, channel=channel, to=row["recipient"], body=row["body"],
                attempt=int(row["attempts"] or 0), subject=row.get("subject") or "",
                in_reply_to=str(meta.get("in_reply_to") or ""),
                references=tuple(str(meta.get("references") or "").split()),
                auto=bool(meta.get("auto"))))
            count += 1
        return count

    def _wake_at(self, delay: float) -> None:
        loop = self.service.loop
        if loop is None:
            return
        if self._timer is not None:
            if self._timer.when() <= loop.time() + delay:
                return
            self._timer.cancel()
        self._timer = loop.call_later(delay + 0.01, self._fire)

    def _fire(self) -> None:
        self._timer = None
        self.pump()

    def record_result(self, result: SendResult) -> None:
        mid = result.outbox_id
        conn = self.engine.read_model.conn
        attempts = queries.message_attempts(conn, mid) + 1
        row = queries.message_meta(conn, mid)
        channel = Channel(row["channel"]) if row else Channel.SMS
        self._submitted.discard(mid)
        if result.ok:
            self._not_before.pop(mid, None)
            fields: dict[str, Any] = {"state": "sent", "reference": result.reference or "",
                                      "attempts": attempts, "error": "",
                                      "sent_at": result.at}
        elif result.retry and attempts < MAX_ATTEMPTS.get(channel, 5):
            delay = min(BACKOFF_FIRST * 2 ** (attempts - 1), BACKOFF_CAP)
            self._not_before[mid] = self._clock() + delay
            fields = {"state": "queued", "attempts": attempts,
                      "error": f"{result.error or 'not sent'}; trying again in "
                               f"{delay:.0f} s"}
            self._wake_at(delay)
        else:
            self._not_before.pop(mid, None)
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

    def record_bounce(self, reference: str, reason: str) -> str | None:
        """A bounce names the Message-ID we sent: mark that message failed, with why."""
        mid = queries.outgoing_by_reference(self.engine.read_model.conn, reference)
        if mid is None:
            return None
        self.engine.execute(functools.partial(
            _set_state, mid=mid, state="bounced", error=reason or "bounced",
            delivered_at=None))
        return str(mid)

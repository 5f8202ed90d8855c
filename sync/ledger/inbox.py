"""The inbox: messages (SMS, email, chats, quarantined device input) and calls.

Messages and calls go into this till's period document for the month they arrived in
(outbound messages: this month). A message is stored once per ``dedupe_key`` (what its
channel identifies it by), and its id is a hash of that key, so a message two tills both
stored has the same id in both period documents (``LedgerDocuments.index`` uses one
copy). Input a driver cannot parse is kept too (``quarantine``), visible to staff, never
dropped.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sync.am_doc import Obj, Reader, Root
from sync.changes import Changes
from sync.doc_storage import StoredDocument
from sync.errors import CommandRejected, NotFound
from sync.ids import DocId
from sync.ledger.records import CHANNELS, new_id

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

log = logging.getLogger("countertop.sync.ledger")


class InboxManager:
    """``ledger.inbox``: record and update messages, link them to orders, record calls."""

    def __init__(self, ledger: LedgerCore, *,
                 locate_message: Callable[[str], DocId | None] | None = None) -> None:
        self.ledger = ledger
        #: the read model's lookup of a message's period document (None in plain tests)
        self.locate_message = locate_message

    def message_by_key(self, dedupe_key: str) -> str | None:
        hit = self.ledger.docs.message_keys.get(dedupe_key)
        return hit[1] if hit else None

    def record_message(self, *, channel: str, direction: str, sender: str, recipient: str,
                       body: str, received_at: dt.datetime, raw: str = "",
                       dedupe_key: str | None = None, subject: str = "",
                       customer_id: str | None = None, state: str = "received",
                       missing_parts: Iterable[int] = (),
                       meta: Mapping[str, str] | None = None) -> Changes:
        """Store an inbound or outbound message once (``dedupe_key``), durably."""
        if channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {channel!r}")
        if direction not in ("in", "out"):
            raise CommandRejected("direction is in or out")
        docs = self.ledger.docs
        key = dedupe_key or f"{channel}:{direction}:{secrets.token_hex(8)}"
        existing = docs.message_keys.get(key)
        if existing is not None:
            return Changes(created=existing[1])
        mid = "msg_" + hashlib.sha256(key.encode()).hexdigest()[:16]
        period = docs.my_period(received_at if direction == "in" else None)
        with docs.write(period) as w:
            w.put_map(w.ensure_map(Root, "messages"), mid, {
                "id": mid, "channel": channel, "direction": direction, "from": sender,
                "to": recipient, "subject": subject, "body": body, "received_at": received_at,
                "raw": raw, "dedupe_key": key, "read": direction == "out", "order_id": None,
                "customer_id": customer_id, "state": state,
                "missing_parts": [int(p) for p in missing_parts], "meta": dict(meta or {}),
                "attempts": 0, "reference": "", "error": "", "till": self.ledger.till_id})
        docs.message_keys[key] = (period.doc_id, mid)
        docs.messages[mid] = period.doc_id
        return Changes(messages={mid}, created=mid)

    def _message_tx(self, mid: str) -> tuple[StoredDocument, Obj]:
        docs = self.ledger.docs
        doc_id = docs.messages.get(mid)
        if doc_id is None and self.locate_message is not None:
            doc_id = self.locate_message(mid)
            if doc_id is not None:
                docs.index(doc_id)
        if doc_id is not None:
            stored = docs.store.get(doc_id)
            obj = Reader(stored.doc).path("messages", mid)
            if obj is not None:
                return stored, obj
        raise NotFound(f"no message {mid}")

    def update_message(self, mid: str, **fields: Any) -> Changes:
        """Set message fields: read, state, order_id, customer_id, reference, error, attempts,
        intake (the parser's proposal as JSON text)."""
        allowed = {"read", "state", "order_id", "customer_id", "reference", "error", "attempts",
                   "delivered_at", "sent_at", "intake", "not_before"}
        bad = set(fields) - allowed
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a message")
        stored, _ = self._message_tx(mid)
        with self.ledger.docs.write(stored) as w:
            obj = w.path("messages", mid)
            assert obj is not None
            for key, value in fields.items():
                w.put(obj, key, value)
        return Changes(messages={mid})

    def link_message(self, mid: str, oid: str) -> Changes:
        """Mark message ``mid`` read and answered by order ``oid`` (a message this till has
        not seen yet is logged, not refused: the order stands without the link)."""
        try:
            return self.update_message(mid, order_id=oid, read=True)
        except NotFound:
            log.warning("order %s names message %s, which this till has not seen", oid, mid)
            return Changes()

    def record_call(self, *, number: str | None, name: str | None, at: dt.datetime,
                    presentation: str, raw: str = "", customer_id: str | None = None,
                    answered: bool | None = None, line: str | None = None) -> Changes:
        docs = self.ledger.docs
        cid = new_id("call")
        period = docs.my_period(at)
        with docs.write(period) as w:
            w.put_map(w.ensure_map(Root, "calls"), cid, {
                "id": cid, "number": number, "name": name, "at": at,
                "presentation": presentation, "raw": raw, "customer_id": customer_id,
                "answered": answered, "line": line, "till": self.ledger.till_id})
        return Changes(calls={cid}, created=cid)

    def quarantine(self, *, source: str, raw: str, reason: str, at: dt.datetime,
                   dedupe_key: str | None = None) -> Changes:
        """Keep unparseable device input, visible to staff, never dropped."""
        key = dedupe_key or f"quarantine:{source}:{hashlib.sha256(raw.encode()).hexdigest()}"
        return self.record_message(channel="sms" if source == "sms" else "phone"
                                   if source == "callerid" else "email" if source == "email"
                                   else "web", direction="in", sender=source, recipient="",
                                   body=f"[unreadable {source} input: {reason}]",
                                   received_at=at, raw=raw, dedupe_key=key, state="quarantined")

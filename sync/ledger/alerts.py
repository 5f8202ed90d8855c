"""Alerts staff must see: a product's stock went below zero, a till's changes were
refused, two orders share a number.

Tills sell without asking each other (DESIGN.md "Conflicts"), so a level can go below
zero, e.g. when two tills sell the last loaf at once; after each command or merge the
engine checks the levels it touched and raises an overbooking alert. Its id is
deterministic per (sku, location), so two tills raising it at once write the same record
and the merge keeps one.
"""

from __future__ import annotations

import hashlib
import logging
from decimal import Decimal
from typing import TYPE_CHECKING

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import NotFound
from sync.money import qty_str

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

log = logging.getLogger("countertop.sync.ledger")


class AlertManager:
    """``ledger.alerts``: raise and resolve overbooking alerts (in the shop document)."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def raise_overbooking(self, sku: str, location: str, level: Decimal) -> Changes:
        """Record that stock went below zero. Deterministic id: concurrent raises merge."""
        ledger = self.ledger
        aid = f"overbook_{hashlib.sha1(f'{sku}|{location}'.encode()).hexdigest()[:12]}"
        reader = Reader(ledger.shop_doc.doc)
        existing = reader.path("alerts", aid)
        if existing is not None and reader.value(existing, "resolved_at") is None:
            return Changes()
        with ledger.docs.write(ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "alerts"), aid, {
                "id": aid, "kind": "overbooking", "sku": sku, "location": location,
                "level": qty_str(level) if level != 0 else "0", "raised_at": ledger.clock(),
                "raised_by": ledger.till_id, "resolved_at": None, "resolved_by": None,
                "note": ""})
        log.warning("overbooking: %s at %s is %s", sku, location, level)
        return Changes(alerts={aid})

    def raise_refused(self, author: str | None, doc_id: str, reason: str,
                      count: int) -> Changes:
        """Another till's changes were refused (``sync.authority``): who, where, why.

        One alert per (author, reason): tills refusing the same thing write the same
        record. Columns reuse the alert row: ``sku`` names the author till, ``location``
        the document, ``level`` the reason.
        """
        who = author or "unknown"
        aid = "refused_" + hashlib.sha1(f"{who}|{reason}".encode()).hexdigest()[:12]
        return self._raise_once(aid, {
            "id": aid, "kind": "refused_changes", "sku": who, "location": doc_id,
            "level": f"{reason} ({count} change{'s' if count != 1 else ''})"},
            f"refused {count} change(s) from {who[:12]} in {doc_id}: {reason}")

    def raise_duplicate_number(self, number: str, order_ids: list[str]) -> Changes:
        """Two orders carry the same number (a till reissued it after losing its disk's
        last writes): staff must renumber or merge them."""
        aid = "dupnum_" + hashlib.sha1(number.encode()).hexdigest()[:12]
        return self._raise_once(aid, {
            "id": aid, "kind": "duplicate_order_number", "sku": number, "location": "",
            "level": ", ".join(sorted(order_ids))},
            f"order number {number} is held by {len(order_ids)} orders")

    def _raise_once(self, aid: str, fields: dict[str, object], message: str) -> Changes:
        ledger = self.ledger
        reader = Reader(ledger.shop_doc.doc)
        existing = reader.path("alerts", aid)
        if existing is not None and reader.value(existing, "resolved_at") is None:
            return Changes()
        with ledger.docs.write(ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "alerts"), aid, {
                **fields, "raised_at": ledger.clock(), "raised_by": ledger.till_id,
                "resolved_at": None, "resolved_by": None, "note": ""})
        log.warning("alert: %s", message)
        return Changes(alerts={aid})

    def resolve(self, alert_id: str, *, note: str = "", by: str = "") -> Changes:
        """Mark an alert handled, with who did and what they noted."""
        ledger = self.ledger
        reader = Reader(ledger.shop_doc.doc)
        if reader.path("alerts", alert_id) is None:
            raise NotFound(f"no alert {alert_id}")
        with ledger.docs.write(ledger.shop_doc) as w:
            obj = w.path("alerts", alert_id)
            assert obj is not None
            w.put(obj, "resolved_at", ledger.clock())
            w.put(obj, "resolved_by", by or ledger.till_id)
            w.put(obj, "note", note)
        return Changes(alerts={alert_id})

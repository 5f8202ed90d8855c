"""Alerts staff must see: a product's stock went below zero.

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

    def raise_low_rating(self, order_id: str, number: str, rating: int,
                         comment: str) -> Changes:
        """A customer rated an order poorly: staff should see it (one alert per order)."""
        ledger = self.ledger
        aid = f"rating_{hashlib.sha1(order_id.encode()).hexdigest()[:12]}"
        with ledger.docs.write(ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "alerts"), aid, {
                "id": aid, "kind": "low_rating", "sku": number, "location": order_id,
                "level": str(rating), "raised_at": ledger.clock(),
                "raised_by": ledger.till_id, "resolved_at": None, "resolved_by": None,
                "note": comment[:500]})
        log.warning("low rating %s for order %s", rating, number)
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

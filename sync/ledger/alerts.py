"""Alerts staff must see: a product's stock went below zero or fell to its low-stock
level, a customer rated an order poorly, a till's changes were refused, two orders
share a number.

Tills sell without asking each other (DESIGN.md "Conflicts"), so a level can go below
zero, e.g. when two tills sell the last loaf at once; after each command or merge the
engine checks the levels it touched and raises an overbooking alert. Its id is
deterministic per (sku, location), so two tills raising it at once write the same record
and the merge keeps one.

A low-stock alert (``check_low_stock``) is raised when a level falls to the product's
threshold and resolves itself when stock comes back above it; dismissed by staff while
still low, it stays quiet until the level has recovered once. An alert remembers the
stock move that raised it (``cause``), so undoing that adjustment clears it too.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable
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

    def raise_overbooking(self, sku: str, location: str, level: Decimal,
                          cause: str = "") -> Changes:
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
                "note": "", "cause": cause})
        log.warning("overbooking: %s at %s is %s", sku, location, level)
        return Changes(alerts={aid})

    def check_low_stock(self, levels: Iterable[tuple[str, str, Decimal, bool]],
                        cause: str = "") -> Changes:
        """Raise, re-arm or resolve the low-stock alert of each (sku, location, level,
        is_low); every write in one transaction (a catalog import checks thousands)."""
        ledger = self.ledger
        reader = Reader(ledger.shop_doc.doc)
        raise_: list[tuple[str, str, str, Decimal]] = []
        settle: list[tuple[str, bool]] = []  # (alert id, still open)
        for sku, location, level, is_low in levels:
            aid = low_stock_alert_id(sku, location)
            obj = reader.path("alerts", aid)
            current = reader.to_py(obj) if obj is not None else None
            if is_low:
                if current is None or (current.get("resolved_at") is not None
                                       and current.get("recovered_at")):
                    raise_.append((aid, sku, location, level))
            elif current is not None and not current.get("recovered_at"):
                settle.append((aid, current.get("resolved_at") is None))
        if not raise_ and not settle:
            return Changes()
        now = ledger.clock()
        with ledger.docs.write(ledger.shop_doc) as w:
            amap = w.ensure_map(Root, "alerts")
            for aid, sku, location, level in raise_:
                w.put_map(amap, aid, {
                    "id": aid, "kind": "low_stock", "sku": sku, "location": location,
                    "level": qty_str(level) if level != 0 else "0", "raised_at": now,
                    "raised_by": ledger.till_id, "resolved_at": None, "resolved_by": None,
                    "note": "", "cause": cause, "recovered_at": None})
            for aid, still_open in settle:
                obj = w.obj(amap, aid)
                assert obj is not None
                if still_open:
                    w.put(obj, "resolved_at", now)
                    w.put(obj, "resolved_by", "auto")
                    w.put(obj, "note", "stock back above the low-stock level")
                w.put(obj, "recovered_at", now)
        return Changes(alerts={a for a, *_ in raise_} | {a for a, _ in settle})

    def resolve_caused_by(self, move_id: str, *, by: str = "") -> Changes:
        """Resolve the open alerts that stock move ``move_id`` raised (its undo)."""
        ledger = self.ledger
        alerts = Reader(ledger.shop_doc.doc).value(Root, "alerts", {}) or {}
        hits = [aid for aid, a in alerts.items()
                if a.get("cause") == move_id and a.get("resolved_at") is None]
        if not hits:
            return Changes()
        with ledger.docs.write(ledger.shop_doc) as w:
            for aid in hits:
                obj = w.path("alerts", aid)
                assert obj is not None
                w.put(obj, "resolved_at", ledger.clock())
                w.put(obj, "resolved_by", by or ledger.till_id)
                w.put(obj, "note", "the adjustment that raised it was undone")
                if a_kind(alerts[aid]) == "low_stock":
                    w.put(obj, "recovered_at", ledger.clock())
        return Changes(alerts=set(hits))

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


def low_stock_alert_id(sku: str, location: str) -> str:
    """Deterministic per (sku, location): two tills raising it write one record."""
    return f"low_{hashlib.sha1(f'{sku}|{location}'.encode()).hexdigest()[:12]}"


def a_kind(alert: dict[str, object]) -> str:
    return str(alert.get("kind") or "")

"""Suppliers and purchase orders: who the shop buys from, what it ordered, what came in.

Both live in the shop document (``suppliers``, ``purchase_orders``). A purchase order
keeps its lines (SKU, quantity, unit cost) and an explicit state (draft, sent,
cancelled); what was *received* is not stored on it. Each delivery is a stock move in
the receiving till's period document naming the order and line (``catalog.receive``),
so two tills booking in parts of one delivery at once both count, the stock and the
receipt are one transaction, and the read model adds the moves up into "partly
received" and "received".

Numbers are ``PO-`` + the till's prefix + its own sequence (the count of orders it made),
unique without coordination, as order numbers are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger.checks import check_email
from sync.ledger.records import new_id
from sync.money import qty_str

if TYPE_CHECKING:
    from sync.ledger.catalog import CatalogManager
    from sync.ledger.documents import LedgerCore
    from sync.ledger.tills import TillManager

PO_STATES = ("draft", "sent", "cancelled")
#: how a purchase order can go to its supplier; "email" waits for the outbox (issue 12)
SEND_CHANNELS = ("pdf", "email", "phone", "in person")
MAX_SUPPLIER_NAME = 120
MAX_LEAD_DAYS = 365


def _supplier_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise CommandRejected("the supplier needs a name")
    if len(text) > MAX_SUPPLIER_NAME:
        raise CommandRejected(f"the supplier's name is longer than {MAX_SUPPLIER_NAME} "
                              "characters")
    return text


def _lead_days(value: Any) -> int:
    try:
        days = int(value)
    except (TypeError, ValueError):
        raise CommandRejected(f"lead time {value!r} is not a whole number of days") from None
    if not 0 <= days <= MAX_LEAD_DAYS:
        raise CommandRejected(f"lead time must be 0 to {MAX_LEAD_DAYS} days, not {days}")
    return days


class PurchasingManager:
    """``ledger.purchasing``: suppliers and the purchase orders sent to them."""

    def __init__(self, ledger: LedgerCore, *, catalog: CatalogManager,
                 tills: TillManager | None = None) -> None:
        self.ledger = ledger
        self.catalog = catalog
        self.tills = tills

    # ------------------------------------------------------------------ suppliers

    def suppliers(self) -> dict[str, dict[str, Any]]:
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "suppliers", {}) or {})

    def supplier(self, supplier_id: str) -> dict[str, Any]:
        found = self.suppliers().get(supplier_id)
        if found is None:
            raise NotFound(f"no supplier {supplier_id}")
        return dict(found)

    def add_supplier(self, name: str, *, contact: str = "", products: Iterable[str] = (),
                     lead_time_days: int = 0, email: str = "", phone: str = "",
                     notes: str = "") -> Changes:
        name = _supplier_name(name)
        skus = self._skus(products)
        sid = new_id("sup")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "suppliers"), sid, {
                "id": sid, "name": name, "contact": str(contact or "").strip(),
                "products": skus, "lead_time_days": _lead_days(lead_time_days),
                "email": check_email(email) if email else "", "phone": str(phone).strip(),
                "notes": str(notes or ""), "active": True})
        return Changes(suppliers={sid}, created=sid)

    def update_supplier(self, supplier_id: str, **fields: Any) -> Changes:
        """Change a supplier: name, contact, email, phone, lead time, products, notes,
        active (archived suppliers stay, named on their old orders)."""
        allowed = {"name", "contact", "email", "phone", "lead_time_days", "products",
                   "notes", "active"}
        bad = set(fields) - allowed
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a supplier")
        self.supplier(supplier_id)
        writes: dict[str, Any] = {}
        for key, value in fields.items():
            if key == "name":
                writes[key] = _supplier_name(value)
            elif key == "email":
                writes[key] = check_email(value) if value else ""
            elif key == "lead_time_days":
                writes[key] = _lead_days(value)
            elif key == "products":
                writes[key] = self._skus(value or [])
            elif key == "active":
                writes[key] = bool(value)
            else:
                writes[key] = str(value or "").strip()
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("suppliers", supplier_id)
            assert obj is not None
            for key, value in writes.items():
                w.put(obj, key, value)
        return Changes(suppliers={supplier_id})

    def _skus(self, products: Iterable[str]) -> list[str]:
        skus: list[str] = []
        for sku in products:
            sku = str(sku).strip()
            self.catalog.product(sku)
            if sku not in skus:
                skus.append(sku)
        return skus

    # ------------------------------------------------------------------ purchase orders

    def orders(self) -> dict[str, dict[str, Any]]:
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "purchase_orders", {}) or {})

    def order(self, po_id: str) -> dict[str, Any]:
        found = self.orders().get(po_id)
        if found is None:
            raise NotFound(f"no purchase order {po_id}")
        return dict(found)

    def create_order(self, supplier_id: str, lines: Iterable[tuple[str, Decimal, int | None]],
                     *, notes: str = "", by: str = "") -> Changes:
        """A draft purchase order: (sku, quantity, unit cost or None) per line."""
        supplier = self.supplier(supplier_id)
        if supplier.get("active") is False:
            raise CommandRejected(f"{supplier['name']} is archived; restore it first")
        records: dict[str, dict[str, Any]] = {}
        for pos, (sku, qty, cost) in enumerate(lines):
            self.catalog.product(sku)
            if qty <= 0:
                raise CommandRejected(f"order at least some {sku}")
            if cost is not None and cost < 0:
                raise CommandRejected(f"the cost of {sku} cannot be negative")
            records[new_id("pol")] = {"sku": sku, "qty": qty_str(qty), "cost": cost,
                                      "pos": pos}
        if not records:
            raise CommandRejected("a purchase order needs at least one line")
        ledger = self.ledger
        mine = [o for o in self.orders().values() if o.get("till") == ledger.till_id]
        prefix = self.tills.prefix() if self.tills is not None else "A"
        po_id = new_id("po")
        number = f"PO-{prefix}{len(mine) + 1:03d}"
        now = ledger.clock()
        with ledger.docs.write(ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "purchase_orders"), po_id, {
                "id": po_id, "number": number, "supplier_id": supplier_id, "state": "draft",
                "lines": records, "notes": str(notes or ""), "created_at": now,
                "created_by": by, "till": ledger.till_id, "sent_at": None, "sent_via": "",
                "cancelled_at": None})
        return Changes(purchase_orders={po_id}, created=po_id)

    def mark_sent(self, po_id: str, *, via: str = "pdf", by: str = "") -> Changes:
        """The order went to the supplier (as a PDF, by phone, ...)."""
        po = self.order(po_id)
        if via not in SEND_CHANNELS:
            raise CommandRejected(f"send by one of: {', '.join(SEND_CHANNELS)}")
        if po.get("state") == "cancelled":
            raise CommandRejected(f"{po['number']} was cancelled")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("purchase_orders", po_id)
            assert obj is not None
            w.put(obj, "state", "sent")
            w.put(obj, "sent_at", self.ledger.clock())
            w.put(obj, "sent_via", via)
            w.put(obj, "sent_by", by)
        return Changes(purchase_orders={po_id})

    def cancel_order(self, po_id: str, *, received_any: bool, by: str = "") -> Changes:
        po = self.order(po_id)
        if po.get("state") == "cancelled":
            raise CommandRejected(f"{po['number']} is already cancelled")
        if received_any:
            raise CommandRejected(f"goods already came in against {po['number']}; it cannot "
                                  "be cancelled")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("purchase_orders", po_id)
            assert obj is not None
            w.put(obj, "state", "cancelled")
            w.put(obj, "cancelled_at", self.ledger.clock())
            w.put(obj, "cancelled_by", by)
        return Changes(purchase_orders={po_id})

    def receive(self, po_id: str, counts: Mapping[str, Decimal],
                outstanding: Mapping[str, Decimal], *, by: str = "") -> Changes:
        """Book in a delivery against ``po_id``: PO line id -> quantity that came.

        ``outstanding`` (line -> still to come, from the read model) bounds each line:
        more than was ordered is refused, so a typing slip cannot double the stock."""
        po = self.order(po_id)
        if po.get("state") == "cancelled":
            raise CommandRejected(f"{po['number']} was cancelled")
        lines = po.get("lines") or {}
        booked: dict[tuple[str, str], Decimal] = {}
        for line_id, qty in counts.items():
            line = lines.get(line_id)
            if line is None:
                raise NotFound(f"{po['number']} has no line {line_id}")
            if qty == 0:
                continue
            if qty < 0:
                raise CommandRejected(f"a delivery of {line['sku']} cannot be negative; adjust "
                                      "the stock to send goods back")
            left = outstanding.get(line_id, Decimal(str(line["qty"])))
            if qty > left:
                raise CommandRejected(f"only {qty_str(left)} of {line['sku']} is still to come "
                                      f"on {po['number']}, not {qty_str(qty)}")
            booked[(str(line["sku"]), line_id)] = qty
        if not booked:
            raise CommandRejected("say how much of each line came in")
        changes = self.catalog.receive(booked, po=po_id, reason=f"delivery {po['number']}",
                                       by=by)
        changes.purchase_orders.add(po_id)
        return changes

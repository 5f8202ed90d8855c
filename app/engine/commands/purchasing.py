"""Supplier and purchase-order commands: suppliers, reorder advice, drafting, sending and
receiving purchase orders.

Sending: the window renders the order as a PDF (``app/ui/purchase_order_pdf.py``) and
marks it sent; ``via="email"`` is the hook for the shop's outbox, which issue 12 is
building: until a mail channel exists it is refused in plain words, and
``send_by_email`` is the one function to fill in then.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import money_fields
from app.engine.commands.registry import EngineContext, Registry
from app.engine.till_engine import TillEngine
from sync.catalog_prices import price_of
from sync.errors import CommandRejected, CommandUnavailable, NotFound
from sync.money import parse_quantity
from sync.read_model import queries as q


def supplier_id(engine: TillEngine, ref: str) -> str:
    """The supplier an id or exact name (any case) names."""
    engine.require_shop()
    conn = engine.read_model.conn
    if q.supplier_row(conn, ref) is not None:
        return ref
    hits = [s for s in q.list_suppliers(conn, include_archived=True)
            if s["name"].lower() == ref.strip().lower()]
    if len(hits) > 1:
        raise CommandRejected(f"{len(hits)} suppliers are called {ref!r}; use the id")
    if not hits:
        raise NotFound(f"no supplier {ref!r}")
    return str(hits[0]["id"])


def _supplier(engine: TillEngine, sid: str) -> p.SupplierRow:
    row = q.supplier_row(engine.read_model.conn, sid)
    if row is None:
        raise NotFound(f"no supplier {sid}")
    return cast(p.SupplierRow, row)


def supplier_add(ctx: EngineContext, a: p.SupplierAdd) -> p.SupplierRow:
    ctx.engine.require_shop()
    changes = ctx.engine.execute(lambda L: L.purchasing.add_supplier(
        a.name, contact=a.contact, products=a.products, lead_time_days=a.lead_time_days,
        email=a.email, phone=a.phone, notes=a.notes))
    return _supplier(ctx.engine, str(changes.created))


def supplier_update(ctx: EngineContext, a: p.SupplierUpdate) -> p.SupplierRow:
    engine = ctx.engine
    sid = supplier_id(engine, a.supplier)
    fields: dict[str, Any] = {k: getattr(a, k) for k in (
        "name", "contact", "email", "phone", "lead_time_days", "notes")
        if getattr(a, k) is not None}
    if a.products is not None or a.add_products or a.remove_products:
        current = a.products if a.products is not None else \
            list(_supplier(engine, sid).get("products") or [])
        gone = set(a.remove_products)
        fields["products"] = [s for s in current if s not in gone] + list(a.add_products)
    if a.archive and a.restore:
        raise CommandRejected("archive or restore, not both")
    if a.archive or a.restore:
        fields["active"] = a.restore
    if not fields:
        raise CommandRejected("say what to change (see `countertop supplier edit --help`)")
    engine.execute(lambda L: L.purchasing.update_supplier(sid, **fields))
    return _supplier(engine, sid)


def supplier_list(ctx: EngineContext, a: p.SupplierList) -> list[p.SupplierRow]:
    ctx.engine.require_shop()
    return cast(list[p.SupplierRow], q.list_suppliers(ctx.engine.read_model.conn,
                                                      include_archived=a.all))


def _since(engine: TillEngine, days: int) -> str:
    return (engine.ledger.clock() - dt.timedelta(days=days)).astimezone(dt.UTC).isoformat()


def reorder_list(ctx: EngineContext, a: p.ReorderList) -> list[p.ReorderRow]:
    engine = ctx.engine
    engine.require_shop()
    if not 1 <= a.days <= 365 or not 0 <= a.cover_days <= 365:
        raise CommandRejected("days is 1 to 365 and cover days 0 to 365")
    return cast(list[p.ReorderRow], q.reorder_suggestions(
        engine.read_model.conn, since=_since(engine, a.days), days=a.days,
        cover_days=a.cover_days))


def _po(engine: TillEngine, ref: str) -> p.PurchaseOrderDetail:
    engine.require_shop()
    po = q.purchase_order(engine.read_model.conn, ref.strip())
    if po is None:
        raise NotFound(f"no purchase order {ref}")
    for line in po["lines"]:
        money_fields(engine, line, "cost")
    return cast(p.PurchaseOrderDetail, money_fields(engine, po, "total_cost"))


def _po_lines(engine: TillEngine, raw: list[str]) -> list[tuple[str, Decimal, int | None]]:
    currency = engine.ledger.currency
    out = []
    for item in raw:
        head, _, cost = item.partition("@")
        sku, sep, qty = head.rpartition(":")
        if not sep or not sku.strip():
            raise CommandRejected(f"line {item!r} should look like SKU:QTY or SKU:QTY@COST")
        out.append((sku.strip(), parse_quantity(qty),
                    price_of(cost, currency, f"the cost of {sku.strip()}") if cost.strip()
                    else None))
    return out


def po_create(ctx: EngineContext, a: p.PoCreate) -> p.PurchaseOrderDetail:
    engine = ctx.engine
    sid = supplier_id(engine, a.supplier)
    lines = _po_lines(engine, a.lines)
    if a.suggested:
        have = {sku for sku, _q, _c in lines}
        supplied = set(_supplier(engine, sid).get("products") or [])
        for row in q.reorder_suggestions(engine.read_model.conn, since=_since(engine, 28)):
            if row["sku"] in supplied and row["sku"] not in have:
                lines.append((row["sku"], Decimal(row["suggested"]), None))
        if not lines:
            raise CommandRejected("nothing this supplier sells needs reordering now")
    changes = engine.execute(lambda L: L.purchasing.create_order(sid, lines, notes=a.notes,
                                                                 by=a.by))
    return _po(engine, str(changes.created))


def po_show(ctx: EngineContext, a: p.PoRef) -> p.PurchaseOrderDetail:
    return _po(ctx.engine, a.po)


def po_list(ctx: EngineContext, a: p.PoList) -> list[p.PurchaseOrderDetail]:
    engine = ctx.engine
    engine.require_shop()
    return [_po(engine, str(po["id"]))
            for po in q.purchase_orders(engine.read_model.conn, open_only=a.open)]


def send_by_email(ctx: EngineContext, po: p.PurchaseOrderDetail) -> None:
    """The outbox hook: queue the order to the supplier's email address.

    Email is being built (issue 12); until the engine has a mail channel this refuses,
    and the window offers the PDF instead."""
    raise CommandUnavailable("sending purchase orders by email needs the mail outbox, which "
                             "is not set up yet; send the PDF instead")


def po_send(ctx: EngineContext, a: p.PoSend) -> p.PurchaseOrderDetail:
    engine = ctx.engine
    po = _po(engine, a.po)
    if po["state"] == "cancelled":
        raise CommandRejected(f"{po['number']} was cancelled")
    if a.via == "email":
        send_by_email(ctx, po)
    engine.execute(lambda L: L.purchasing.mark_sent(po["id"], via=a.via, by=a.by))
    return _po(engine, po["id"])


def po_receive(ctx: EngineContext, a: p.PoReceive) -> p.PurchaseOrderDetail:
    engine = ctx.engine
    po = _po(engine, a.po)
    lines = po["lines"]
    outstanding = {ln["line_id"]: Decimal(ln["outstanding_milli"]) / 1000 for ln in lines}
    counts: dict[str, Decimal] = {}
    if a.all:
        counts = {lid: left for lid, left in outstanding.items() if left > 0}
        if not counts:
            raise CommandRejected(f"everything on {po['number']} has come in already")
    for item in a.lines:
        ref, sep, qty = item.rpartition(":")
        if not sep or not ref.strip():
            raise CommandRejected(f"line {item!r} should look like SKU:QTY")
        ref = ref.strip()
        match = [ln for ln in lines if ln["line_id"] == ref] or \
            [ln for ln in lines if ln["sku"] == ref and ln["outstanding_milli"] > 0] or \
            [ln for ln in lines if ln["sku"] == ref]
        if not match:
            raise NotFound(f"{po['number']} has no line for {ref}")
        amount = Decimal(qty.strip().replace(",", ".")) if qty.strip() else Decimal(-1)
        if not amount.is_finite() or amount < 0:
            raise CommandRejected(f"say how much of {ref} came in, not {qty!r}")
        lid = str(match[0]["line_id"])
        counts[lid] = counts.get(lid, Decimal(0)) + amount
    if not counts:
        raise CommandRejected("say what came in (--line SKU:QTY, or --all)")
    engine.execute(lambda L: L.purchasing.receive(po["id"], counts, outstanding, by=a.by))
    return _po(engine, po["id"])


def po_cancel(ctx: EngineContext, a: p.PoCancel) -> p.PurchaseOrderDetail:
    engine = ctx.engine
    po = _po(engine, a.po)
    received = any(ln["received_milli"] for ln in po["lines"])
    engine.execute(lambda L: L.purchasing.cancel_order(po["id"], received_any=received,
                                                       by=a.by))
    return _po(engine, po["id"])


def register(reg: Registry) -> None:
    reg.add(p.SUPPLIER_ADD, supplier_add)
    reg.add(p.SUPPLIER_UPDATE, supplier_update)
    reg.add(p.SUPPLIER_LIST, supplier_list)
    reg.add(p.REORDER_LIST, reorder_list)
    reg.add(p.PO_CREATE, po_create)
    reg.add(p.PO_SHOW, po_show)
    reg.add(p.PO_LIST, po_list)
    reg.add(p.PO_SEND, po_send)
    reg.add(p.PO_RECEIVE, po_receive)
    reg.add(p.PO_CANCEL, po_cancel)

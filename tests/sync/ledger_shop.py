"""Real ledgers on real document stores for the ledger tests, and two-till merging.

A second till gets a copy of the shop document (as pairing would give it); ``sync_docs``
merges every document of one store into another with ``Document.merge`` and persists
it, which is what replication does with the bytes it receives.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from automerge.core import Document

from sync.am_doc import Reader, Root
from sync.doc_storage import DocumentStore
from sync.ids import DocId, TillId
from sync.ledger import LineInput, ShopLedger

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def fixed_clock() -> dt.datetime:
    return NOW


def new_ledger(root: Path, till: str = "till-a", shop_doc: DocId | None = None) -> ShopLedger:
    return ShopLedger(DocumentStore(root), TillId(till), shop_doc, clock=fixed_clock)


def corner_shop(root: Path, till: str = "till-a") -> ShopLedger:
    """A shop with BREAD (5 in stock), MILK (10) and FLOUR (2.5 kg)."""
    ledger = new_ledger(root, till)
    ledger.shop.create("Corner Shop", currency="EUR", region="GB")
    ledger.catalog.add_product("BREAD", "Sourdough bread", 250, stock=Decimal(5))
    ledger.catalog.add_product("MILK", "Whole milk", 120, stock=Decimal(10))
    ledger.catalog.add_product("FLOUR", "Rye flour", 310, unit="kg", stock=Decimal("2.5"))
    return ledger


def line(sku: str, qty: str | int) -> LineInput:
    return LineInput(quantity=Decimal(str(qty)), sku=sku)


def order_of(ledger: ShopLedger, *lines: LineInput, customer: str | None = None) -> str:
    changes = ledger.orders.create(customer_id=customer, lines=lines)
    assert changes.created is not None
    return changes.created


def stock_level(ledger: ShopLedger, sku: str, location: str = "main") -> dict[str, Decimal]:
    """on_hand / reserved / available over every document the store holds: goods counted
    in and out (the per-till registers) plus what every order holds in its merged state."""
    from sync.read_model.stock_projection import order_stock

    on_hand = reserved = 0
    for doc_id in ledger.store.ids():
        reader = Reader(ledger.store.get(doc_id).doc)
        registers = reader.value(Root, "stock") or {}
        for reg in registers.values():
            if reg["sku"] == sku and reg["location"] == location:
                on_hand += reg["on_hand"]
                reserved += reg["reserved"]
        for order in (reader.value(Root, "orders") or {}).values():
            held_on_hand, held = order_stock(order).get((sku, location), (0, 0))
            on_hand += held_on_hand
            reserved += held
    return {"on_hand": Decimal(on_hand) / 1000, "reserved": Decimal(reserved) / 1000,
            "available": Decimal(on_hand - reserved) / 1000}


def fork_till(a: ShopLedger, root_b: Path, till_b: str = "till-b") -> ShopLedger:
    """Pair a second till: A adds it as a member, B receives the shop document."""
    a.tills.add(till_b, "Till 2")
    store_b = DocumentStore(root_b)
    assert a.shop_doc_id is not None
    store_b.create(a.shop_doc_id, Document.load(a.shop_doc.doc.save()))
    return ShopLedger(store_b, TillId(till_b), a.shop_doc_id, clock=fixed_clock)


def sync_docs(src: ShopLedger, dst: ShopLedger) -> list[DocId]:
    """Merge every document of ``src``'s store into ``dst``'s; returns the ids that changed."""
    changed = []
    for doc_id in src.store.ids():
        theirs = src.store.get(doc_id).doc
        if dst.store.exists(doc_id):
            stored = dst.store.get(doc_id)
            before = stored.doc.get_heads()
            stored.doc.merge(theirs)
            stored.persist()
            if stored.doc.get_heads() != before:
                changed.append(doc_id)
        else:
            dst.store.create(doc_id, Document.load(theirs.save()))
            changed.append(doc_id)
    for doc_id in changed:
        if doc_id != dst.shop_doc_id:
            dst.docs.reindex(doc_id)
    return changed


def field(ledger: ShopLedger, ref: str, key: str) -> Any:
    return ledger.orders.get(ref)[key]

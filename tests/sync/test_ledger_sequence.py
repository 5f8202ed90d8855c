"""Order numbers continue across restarts without a running counter at the document root.

A period document keeps ``seq_base`` (see ``sync.ledger.documents.doc_seq``); these tests
restart the ledger on the same store and check numbering goes on, also for a document
written by an older version that bumped a root ``seq`` on every order.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sync.am_doc import Reader, Root
from sync.doc_storage import DocumentStore
from sync.ids import TillId
from sync.ledger import ImportedOrder, LineInput, ShopLedger

NOW = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)
TILL = TillId("till0sequence0test0000001")


def _ledger(root: Path, shop: str | None = None) -> ShopLedger:
    return ShopLedger(DocumentStore(root), TILL, shop, clock=lambda: NOW)  # type: ignore[arg-type]


def _new_shop(root: Path) -> ShopLedger:
    ledger = _ledger(root)
    ledger.shop.create("Sequence Shop")
    ledger.catalog.add_product("BUN", "Bun", 120)
    return ledger


def _order(ledger: ShopLedger) -> str:
    oid = ledger.orders.create(customer_id=None, lines=[LineInput(Decimal(1), sku="BUN")]).created
    assert oid is not None
    return str(ledger.orders.get(oid)["number"])


def test_numbers_continue_after_restart(tmp_path: Path) -> None:
    ledger = _new_shop(tmp_path)
    numbers = [_order(ledger) for _ in range(3)]
    shop = ledger.shop_doc_id
    ledger.store.close()
    again = _ledger(tmp_path, shop)
    numbers.append(_order(again))
    assert numbers == ["A-0001", "A-0002", "A-0003", "A-0004"]
    period = again.store.get(again.docs.my_period_docs()[-1])
    assert Reader(period.doc).value(Root, "seq") is None  # no running counter is written


def test_document_from_an_older_version_keeps_counting(tmp_path: Path) -> None:
    ledger = _new_shop(tmp_path)
    _order(ledger)
    period = ledger.docs.my_period()
    with period.doc.transaction() as tx:  # what the older version left: a running seq only
        tx.delete(Root, "seq_base")
    with ledger.docs.write(period) as w:
        w.put(Root, "seq", 7)
    ledger.docs.seq = 7
    shop = ledger.shop_doc_id
    ledger.store.close()
    again = _ledger(tmp_path, shop)
    assert _order(again) == "A-0008"
    assert _order(again) == "A-0009"
    again.store.close()
    third = _ledger(tmp_path, shop)
    assert _order(third) == "A-0010"


def test_import_into_older_months_moves_the_latest_sequence(tmp_path: Path) -> None:
    ledger = _new_shop(tmp_path)
    assert _order(ledger) == "A-0001"
    past = [ImportedOrder(created_at=NOW - dt.timedelta(days=60 + i),
                          lines=[LineInput(Decimal(1), sku="BUN")]) for i in range(5)]
    ledger.orders.import_many(past)
    shop = ledger.shop_doc_id
    ledger.store.close()
    again = _ledger(tmp_path, shop)
    assert _order(again) == "A-0007"

"""The record hints each ledger change carries, which spare a receiving till a full diff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from automerge.core import Document, ScalarType

from app.engine.till_engine import TillEngine
from sync.am_doc import Root
from sync.am_touch import touched_since
from sync.read_model import queries
from tests.conftest import demo_shop
from tests.helpers.commands import run


def _copy(doc: Document) -> Document:
    return Document.load(doc.save())


SECOND_TILL = "b" * 64


@pytest.fixture
def shared(tmp_path: Path) -> Iterator[TillEngine]:
    """The demo shop on a till that shares it with a second one (so hints are written)."""
    engine = TillEngine(tmp_path / "a")
    try:
        demo_shop(engine)
        engine.execute(lambda L: L.tills.add(SECOND_TILL, "Till B"))
        yield engine
    finally:
        engine.close()


def test_a_till_alone_writes_no_hints(tmp_path: Path) -> None:
    engine = TillEngine(tmp_path / "a")
    try:
        demo_shop(engine)
        shop = engine.store.get(engine.ledger.shop_doc_id).doc  # type: ignore[arg-type]
        before = shop.get_heads()
        run(engine, "customer.update", {"customer": "ann@example.com", "notes": "VIP"})
        assert touched_since(shop, before) is None  # no hint: a receiver would diff
        engine.execute(lambda L: L.tills.add(SECOND_TILL, "Till B"))
        before = shop.get_heads()
        run(engine, "customer.update", {"customer": "ann@example.com", "notes": "VIP!"})
        ann = engine.ledger.customers.find("ann@example.com")
        assert touched_since(shop, before) == {("customers", ann)}
    finally:
        engine.close()


def test_hints_name_exactly_the_records_a_command_touched(shared: TillEngine) -> None:
    engine = shared
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:1"]})
    period = engine.store.get(engine.ledger.orders.locate(order["id"])[1]).doc
    shop = engine.store.get(engine.ledger.shop_doc_id).doc  # type: ignore[arg-type]
    p0, s0 = period.get_heads(), shop.get_heads()
    run(engine, "order.pay", {"order": order["number"], "amount": "1", "method": "cash"})
    run(engine, "customer.update", {"customer": "ann@example.com", "notes": "VIP"})
    assert touched_since(period, p0) == {("orders", order["id"])}
    ann = engine.ledger.customers.find("ann@example.com")
    assert touched_since(shop, s0) == {("customers", ann)}
    # a receiving till sees the same hints after a merge
    other = _copy(period)
    before = other.get_heads()
    run(engine, "order.update", {"order": order["number"], "notes": "ring twice"})
    other.merge(period)
    assert touched_since(other, before) == {("orders", order["id"])}


def test_a_change_without_a_hint_makes_the_caller_diff(shared: TillEngine) -> None:
    engine = shared
    shop = engine.store.get(engine.ledger.shop_doc_id).doc  # type: ignore[arg-type]
    foreign = _copy(shop)
    before = foreign.get_heads()
    with foreign.transaction() as tx:  # another program writing the document
        tx.put(Root, "note", ScalarType.Str, "hello")
    assert touched_since(foreign, before) is None
    assert touched_since(foreign, foreign.get_heads()) == set()


def test_remote_projection_from_hints_equals_a_rebuild(tmp_path: Path) -> None:
    a, b = TillEngine(tmp_path / "a"), TillEngine(tmp_path / "b")
    try:
        demo_shop(a)
        a.execute(lambda L: L.tills.add(b.identity.till_id, "Till B"))
        for doc_id in a.store.ids():
            b.store.create(doc_id, _copy(a.store.get(doc_id).doc))
        b.ledger.attach_shop(a.ledger.shop_doc_id)  # type: ignore[arg-type]
        b.catch_up()
        o = run(a, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:2", "MILK:1"]})
        run(a, "order.set_status", {"order": o["number"], "status": "confirmed"})
        run(a, "customer.add", {"name": "Bob", "phones": ["+447700900999"]})
        for doc_id in a.store.ids():
            if not b.store.exists(doc_id):
                b.store.create(doc_id)
            b.store.get(doc_id).doc.merge(a.store.get(doc_id).doc)
            b.store.get(doc_id).persist()
        b.merged_remote(a.store.ids())
        assert queries.locate_order(b.read_model.conn, o["id"]) is not None
        incremental = b.read_model.snapshot()
        b.rebuild_read_model()
        assert b.read_model.snapshot() == incremental
    finally:
        a.close()
        b.close()

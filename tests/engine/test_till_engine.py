"""TillEngine: commands project into the read model, overbooking alerts, remote merges."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from app.engine.till_engine import TillEngine
from sync.changes import Changes
from sync.errors import CommandRejected, DataDirLocked, NoShop
from sync.ids import DocId
from sync.ledger import LineInput, ShopLedger
from tests.engine.remote_till import deliver, second_till
from tests.helpers.commands import run


def open_alerts(engine: TillEngine, kind: str = "overbooking") -> list[dict[str, Any]]:
    return [a for a in run(engine, "alert.list", {}) if a["kind"] == kind]


def stock_of(engine: TillEngine, sku: str) -> dict[str, Any]:
    (row,) = [r for r in run(engine, "stock.list", {}) if r["sku"] == sku]
    return dict(row)


def test_commands_notify_listeners_with_what_changed(engine: TillEngine) -> None:
    seen: list[Changes] = []
    unsubscribe = engine.subscribe(seen.append)
    order = run(engine, "order.add", {"lines": ["BREAD:1"]})
    assert seen[-1].orders == {order["id"]}
    unsubscribe()
    run(engine, "order.add", {"lines": ["BREAD:1"]})
    assert len(seen) == 1


def test_overbooking_raises_an_alert_that_stays_until_resolved(engine: TillEngine) -> None:
    order = run(engine, "order.add", {"lines": ["BREAD:7"]})
    assert open_alerts(engine) == []
    seen: list[Changes] = []
    engine.subscribe(seen.append)
    run(engine, "order.set_status", {"order": order["number"], "status": "confirmed"})
    (alert,) = open_alerts(engine)
    assert (alert["sku"], alert["location"], alert["level"]) == ("BREAD", "main", "-2")
    (low,) = open_alerts(engine, "low_stock")  # BREAD warns at 1
    assert seen[-1].alerts == {alert["id"], low["id"]}
    assert stock_of(engine, "BREAD")["overbooked"] == 1
    # more stock arrives: the level is fine again, the alert waits for a person
    run(engine, "stock.adjust", {"sku": "BREAD", "delta": "10", "reason": "bake"})
    assert stock_of(engine, "BREAD")["available"] == "8"
    assert [a["id"] for a in open_alerts(engine)] == [alert["id"]]
    assert open_alerts(engine, "low_stock") == []  # back above its level: resolved itself
    run(engine, "alert.resolve", {"alert": alert["id"], "note": "baked"})
    assert open_alerts(engine) == []
    closed = {a["kind"]: a for a in run(engine, "alert.list", {"all": True})}
    assert closed["overbooking"]["note"] == "baked" and closed["overbooking"]["resolved_at"]
    assert closed["low_stock"]["resolved_by"] == "auto"


def test_no_alert_while_available_stays_at_zero_or_more(engine: TillEngine) -> None:
    order = run(engine, "order.add", {"lines": ["BREAD:5", "FLOUR:2.5"]})
    run(engine, "order.set_status", {"order": order["id"], "status": "confirmed"})
    assert stock_of(engine, "BREAD")["available"] == "0"
    assert open_alerts(engine) == []


def test_a_second_writer_is_refused_naming_the_holder(engine: TillEngine,
                                                      data_dir: Path) -> None:
    with pytest.raises(DataDirLocked) as err:
        TillEngine(data_dir, role="second engine")
    message = str(err.value)
    assert "pytest" in message and f"pid {__import__('os').getpid()}" in message
    assert str(data_dir.resolve()) in message


def test_commands_need_a_shop(data_dir: Path) -> None:
    eng = TillEngine(data_dir)
    try:
        with pytest.raises(NoShop, match="shop create"):
            run(eng, "order.add", {"lines": ["BREAD:1"]})
        assert run(eng, "shop.info", {})["shop"] is None
    finally:
        eng.close()


def test_engine_reopens_with_its_shop(engine: TillEngine, data_dir: Path) -> None:
    order = run(engine, "order.add", {"customer": "07700 900123", "lines": ["MILK:2"]})
    engine.close()
    again = TillEngine(data_dir)
    try:
        shown = run(again, "order.show", {"order": order["number"]})
        assert shown["customer_name"] == "Ann Smith" and shown["total"] == 240
        assert run(again, "order.add", {"lines": ["MILK:1"]})["number"] == "A-0002"
    finally:
        again.close()


# ---------------------------------------------------------------------- remote merges


def test_merge_that_goes_below_zero_raises_an_alert(engine: TillEngine,
                                                    tmp_path: Path) -> None:
    b = second_till(engine, tmp_path / "till-b")
    mine = run(engine, "order.add", {"lines": ["BREAD:4"]})
    run(engine, "order.set_status", {"order": mine["id"], "status": "confirmed"})
    theirs = b.orders.create(customer_id=None,
                             lines=[LineInput(quantity=Decimal(3), sku="BREAD")]).created
    assert theirs is not None
    b.orders.set_status(theirs, "collected")
    assert open_alerts(engine) == []
    seen: list[Changes] = []
    engine.subscribe(seen.append)
    changes = engine.merged_remote(deliver(b, engine))
    assert theirs in changes.orders and "BREAD" in changes.stock
    (alert,) = open_alerts(engine)
    assert (alert["sku"], alert["level"]) == ("BREAD", "-2")
    assert seen and alert["id"] in seen[-1].alerts
    row = stock_of(engine, "BREAD")
    assert (row["on_hand"], row["reserved"], row["available"]) == ("2", "4", "-2")
    # B's order is now an order of this till's read model and ledger
    shown = run(engine, "order.show", {"order": "B-0001"})
    assert shown["status"] == "collected" and shown["till"] == "till-b"
    run(engine, "order.set_status", {"order": "B-0001", "status": "closed"})


def test_merge_that_stays_above_zero_raises_nothing(engine: TillEngine,
                                                    tmp_path: Path) -> None:
    b = second_till(engine, tmp_path / "till-b")
    b.orders.create(customer_id=None, lines=[LineInput(quantity=Decimal(2), sku="MILK")])
    b.customers.add("Bob", phones=["07700900456"])
    changes = engine.merged_remote(deliver(b, engine))
    assert len(changes.customers) == 1 and len(changes.orders) == 1
    assert open_alerts(engine) == []
    assert run(engine, "customer.find", {"ref": "07700 900456"})["name"] == "Bob"


def test_opposite_merges_on_two_tills_settle_on_one_customer(engine: TillEngine,
                                                            tmp_path: Path) -> None:
    b = second_till(engine, tmp_path / "till-b")
    x = run(engine, "customer.add", {"name": "Kim", "phones": ["07700900111"]})["id"]
    y = run(engine, "customer.add", {"name": "Kimberly", "emails": ["kim@example.com"]})["id"]
    order = run(engine, "order.add", {"customer": y, "lines": ["MILK:1"]})
    engine.merged_remote(deliver_shop_to(b, engine))
    # each till merges the pair the other way round before they sync
    engine.execute(lambda L: L.customers.merge(x, y))
    b.customers.merge(y, x)
    engine.merged_remote(deliver(b, engine))
    kept = min(x, y)
    assert run(engine, "order.show", {"order": order["id"]})["customer_id"] == kept
    assert run(engine, "customer.find", {"ref": "07700900111"})["id"] == kept
    live = engine.read_model.snapshot()
    engine.rebuild_read_model()
    assert engine.read_model.snapshot() == live


def deliver_shop_to(b: ShopLedger, engine: TillEngine) -> list[DocId]:
    """Give B the engine's shop document (what sync does the other way)."""
    theirs = engine.ledger.shop_doc
    stored = b.store.get(theirs.doc_id)
    stored.doc.merge(theirs.doc)
    stored.persist()
    return []


def test_undo_status_of_several_orders_reports_the_ones_that_moved_on(
        engine: TillEngine) -> None:
    a = run(engine, "order.add", {"lines": ["BREAD:1"]})
    b = run(engine, "order.add", {"lines": ["BREAD:2"]})
    for order in (a, b):
        run(engine, "order.set_status", {"order": order["id"], "status": "confirmed"})
    assert stock_of(engine, "BREAD")["reserved"] == "3"
    run(engine, "order.set_status", {"order": b["id"], "status": "ready"})  # b moved on
    got = run(engine, "order.undo_status", {"moves": [
        {"order": a["id"], "from": "new", "to": "confirmed"},
        {"order": b["id"], "from": "new", "to": "confirmed"}]})
    assert [o["status"] for o in got["undone"]] == ["new"]
    (refused,) = got["refused"]
    assert refused["order"] == b["id"]
    assert "is ready now, not confirmed" in refused["reason"]
    assert stock_of(engine, "BREAD")["reserved"] == "2"
    # a single move that cannot be undone is a plain refusal
    with pytest.raises(CommandRejected, match="is new now, not confirmed"):
        run(engine, "order.undo_status", {"order": a["number"], "from": "new", "to": "confirmed"})

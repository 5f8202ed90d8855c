"""The read model is a cache: incremental updates equal a rebuild, and losing it loses nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from app.engine.till_engine import TillEngine
from sync.read_model.projector import ReadModel
from tests.helpers.commands import run

NOW = dt.datetime.now(dt.UTC)


def varied_workload(engine: TillEngine) -> None:
    """Products, customers, merges, orders, status moves, payments, returns, messages, calls,
    alerts: everything the read model projects."""
    run(engine, "product.add", {"sku": "CAKE", "name": "Carrot cake", "price": "12.00",
                                "stock": "1", "aliases": ["carrot"], "tax_rate": "20"})
    run(engine, "product.update", {"sku": "MILK", "fields": {"price": "1.30"}})
    run(engine, "product.alias", {"sku": "BREAD", "alias": "loaf"})
    run(engine, "supplier.add", {"name": "Mill Co", "products": ["FLOUR"]})
    bob = run(engine, "customer.add", {"name": "Bob Jones", "phones": ["07700900456"],
                                       "notes": "side door"})
    dup = run(engine, "customer.add", {"name": "Bobby", "emails": ["bob@example.com"]})
    run(engine, "customer.update", {"customer": bob["id"], "add_tags": ["regular"]})
    run(engine, "customer.merge", {"keep": bob["id"], "merge": dup["id"]})
    sms = engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="in", sender="+447700900456", recipient="",
        body="2 loaves for 5pm please", received_at=NOW, dedupe_key="sms:42"))
    engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="in", sender="+447700900999", recipient="",
        body="who is this", received_at=NOW, dedupe_key="sms:43"))
    engine.execute(lambda L: L.inbox.record_call(number="+447700900123", name="ANN", at=NOW,
                                                 presentation="available"))
    engine.execute(lambda L: L.inbox.quarantine(source="sms", raw="zz", reason="bad PDU", at=NOW))
    a = run(engine, "order.add", {"customer": "07700 900456", "lines": ["BREAD:2"],
                                  "channel": "sms", "source_messages": [sms.created],
                                  "tags": ["pickup"], "notes": "sliced"})
    run(engine, "order.set_status", {"order": a["id"], "status": "confirmed"})
    run(engine, "order.add_line", {"order": a["id"], "line": "MILK:1"})
    run(engine, "order.pay", {"order": a["id"], "amount": "6.30", "method": "card"})
    run(engine, "order.set_status", {"order": a["id"], "status": "collected"})
    run(engine, "order.return", {"order": a["id"], "lines": {
        a["lines"][0]["line_id"]: "1"}, "reason": "stale"})
    b = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["CAKE:2"],
                                  "delivery_address": "1 High St", "assignee": "sam"})
    run(engine, "order.set_status", {"order": b["number"], "status": "confirmed"})  # alert
    c = run(engine, "order.add", {"lines": [{"description": "Card", "unit_price": "1.99"}]})
    run(engine, "order.set_status", {"order": c["id"], "status": "cancelled"})
    run(engine, "order.update", {"order": b["id"], "notes": "ring twice",
                                 "add_tags": ["gift"]})
    run(engine, "stock.adjust", {"sku": "FLOUR", "delta": "-0.5", "reason": "spilt"})
    (alert,) = run(engine, "alert.list", {})
    run(engine, "alert.resolve", {"alert": alert["id"], "note": "baking"})
    run(engine, "message.update", {"message": sms.created, "read": True})


def snapshot(engine: TillEngine) -> dict[str, list[tuple[Any, ...]]]:
    return engine.read_model.snapshot()


def test_incremental_updates_equal_a_rebuild(engine: TillEngine) -> None:
    varied_workload(engine)
    incremental = snapshot(engine)
    assert len(incremental["orders"]) == 3 and len(incremental["alerts"]) == 1
    incoming = [m for m in incremental["messages"] if m[3] == "in"]
    drafts = [m for m in incremental["messages"] if m[12] == "draft"]  # status notices
    assert len(incoming) == 3 and len(incremental["calls"]) == 1 and drafts
    engine.rebuild_read_model()
    assert snapshot(engine) == incremental


def test_rebuild_after_reopening_equals_the_live_model(engine: TillEngine,
                                                       data_dir: Path) -> None:
    varied_workload(engine)
    live = snapshot(engine)
    engine.close()
    again = TillEngine(data_dir)
    try:
        assert snapshot(again) == live
        again.rebuild_read_model()
        assert snapshot(again) == live
    finally:
        again.close()


def test_a_deleted_read_model_is_rebuilt_on_open(engine: TillEngine, data_dir: Path) -> None:
    varied_workload(engine)
    live = snapshot(engine)
    path = engine.data_dir.read_model_path
    engine.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    again = TillEngine(data_dir)
    try:
        assert snapshot(again) == live
    finally:
        again.close()


def test_a_read_model_that_fell_behind_catches_up(engine: TillEngine, data_dir: Path) -> None:
    """The engine died after persisting a command but before projecting it."""
    run(engine, "order.add", {"lines": ["BREAD:1"]})
    path = engine.data_dir.read_model_path
    stale = ReadModel(path).snapshot()
    behind = engine.read_model.conn.execute("SELECT * FROM doc_state").fetchall()
    engine.execute(lambda L: L.customers.add("Cy", phones=["07700900777"]))
    oid = engine.execute(lambda L: L.orders.create(customer_id=None)).created
    live = snapshot(engine)
    assert live != stale
    # put the read model's bookkeeping back to where it was, as a crash would leave it
    with engine.read_model._transaction():
        engine.read_model.conn.execute("DELETE FROM doc_state")
        engine.read_model.conn.executemany(
            "INSERT INTO doc_state VALUES (?,?,?,?,?,?)", behind)
        engine.read_model.conn.execute("DELETE FROM orders WHERE id=?", (oid,))
        engine.read_model.conn.execute("DELETE FROM customers WHERE name='Cy'")
    engine.close()
    again = TillEngine(data_dir)
    try:
        assert snapshot(again) == live
    finally:
        again.close()


def test_a_read_model_of_another_schema_is_replaced(engine: TillEngine, data_dir: Path) -> None:
    varied_workload(engine)
    live = snapshot(engine)
    engine.read_model.conn.execute("PRAGMA user_version=1")
    engine.close()
    again = TillEngine(data_dir)
    try:
        assert snapshot(again) == live
    finally:
        again.close()


def test_search_finds_orders_customers_and_messages(engine: TillEngine) -> None:
    varied_workload(engine)
    assert [o["customer_name"] for o in run(engine, "order.list", {"search": "sourd"})] == [
        "Bob Jones"]
    assert {o["number"] for o in run(engine, "order.list", {"search": "A0002"})} == {"A-0002"}
    assert [c["name"] for c in run(engine, "customer.list", {"search": "side"})] == [
        "Bob Jones"]
    assert [m["body"] for m in run(engine, "message.list", {"search": "loaves"})] == [
        "2 loaves for 5pm please"]
    # messages from a known number are the customer's
    (msg,) = run(engine, "message.list", {"search": "loaves"})
    assert msg["customer_name"] == "Bob Jones"
    assert run(engine, "order.list", {"search": '"); DROP'}) == []


def test_merged_customer_is_hidden_and_their_contacts_find_the_kept_one(
        engine: TillEngine) -> None:
    varied_workload(engine)
    names = [c["name"] for c in run(engine, "customer.list", {})]
    assert "Bobby" not in names and "Bob Jones" in names
    assert run(engine, "customer.find", {"ref": "bob@example.com"})["name"] == "Bob Jones"


def test_stock_rows_sum_every_document(engine: TillEngine) -> None:
    varied_workload(engine)
    rows = {r["sku"]: r for r in run(engine, "stock.list", {})}
    assert (rows["BREAD"]["on_hand"], rows["BREAD"]["reserved"]) == ("4", "0")
    assert rows["CAKE"]["available"] == "-1" and rows["CAKE"]["overbooked"] == 1
    assert rows["FLOUR"]["on_hand"] == "2"
    assert Decimal(rows["MILK"]["on_hand"]) == 9


def test_records_of_a_merged_customer_follow_the_merge(engine: TillEngine) -> None:
    """Messages, calls and orders made under the merged customer move to the kept one,
    the same whether projected incrementally or rebuilt (ids sort either way round)."""
    for i in range(4):
        keep = run(engine, "customer.add", {"name": "Kim", "phones": [f"0770090011{i}"]})
        dup = run(engine, "customer.add", {"name": "Kimberly",
                                           "emails": [f"kim{i}@example.com"]})
        mail, phone = f"kim{i}@example.com", f"+44770090011{i}"
        engine.execute(lambda L, mail=mail: L.inbox.record_message(
            channel="email", direction="in", sender=mail, recipient="", body="hello",
            received_at=NOW, dedupe_key=f"mail:{mail}"))
        engine.execute(lambda L, phone=phone: L.inbox.record_call(
            number=phone, name=None, at=NOW, presentation="available", customer_id=None))
        order = run(engine, "order.add", {"customer": dup["id"], "lines": ["MILK:1"]})
        run(engine, "customer.merge", {"keep": keep["id"], "merge": dup["id"]})
        card = run(engine, "customer.find", {"ref": keep["id"]})
        assert [o["id"] for o in card["recent_orders"]] == [order["id"]]
        assert [m["body"] for m in card["messages"]] == ["hello"]
        assert run(engine, "order.show", {"order": order["id"]})["customer_name"] == "Kim"
        live = snapshot(engine)
        engine.rebuild_read_model()
        assert snapshot(engine) == live
        run(engine, "customer.update", {"customer": keep["id"], "name": f"Kim {i}"})


def test_messages_sent_before_the_customer_existed_become_theirs(engine: TillEngine) -> None:
    engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="out", sender="shop", recipient="+447700900222",
        body="your order is ready", received_at=NOW, dedupe_key="out:1"))
    engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="in", sender="+447700900222", recipient="",
        body="thanks", received_at=NOW, dedupe_key="in:1"))
    run(engine, "customer.add", {"name": "Dee", "phones": ["07700 900222"]})
    card = run(engine, "customer.find", {"ref": "07700900222"})
    assert sorted(m["body"] for m in card["messages"]) == ["thanks", "your order is ready"]
    live = snapshot(engine)
    engine.rebuild_read_model()
    assert snapshot(engine) == live


def old_message(engine: TillEngine) -> str:
    """A message from three months ago: it lives in a period document not loaded at start."""
    changes = engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="in", sender="+447700900123", recipient="",
        body="old news", received_at=NOW - dt.timedelta(days=95), dedupe_key="old:1"))
    assert changes.created is not None
    # newer periods of this till, so the old one is neither this month's nor the last two
    engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="in", sender="+447700900123", recipient="",
        body="last month", received_at=NOW - dt.timedelta(days=33), dedupe_key="old:2"))
    run(engine, "order.add", {"lines": ["MILK:1"]})
    return changes.created


def test_a_deleted_read_model_gets_old_periods_back(engine: TillEngine,
                                                   data_dir: Path) -> None:
    old_message(engine)
    live = snapshot(engine)
    path = engine.data_dir.read_model_path
    engine.close()
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    again = TillEngine(data_dir)
    try:
        assert [m["body"] for m in run(again, "message.list", {"search": "old"})] == [
            "old news"]
        assert snapshot(again) == live
    finally:
        again.close()


def test_a_change_to_an_old_period_that_was_not_projected_is_caught_up(
        engine: TillEngine, data_dir: Path) -> None:
    """The engine died after persisting a change to an old period, before projecting it."""
    mid = old_message(engine)
    engine.ledger.inbox.update_message(mid, read=True)  # persisted, never projected
    engine.close()
    again = TillEngine(data_dir)
    try:
        (msg,) = run(again, "message.list", {"search": "old"})
        assert msg["read"] == 1
        live = snapshot(again)
        again.rebuild_read_model()
        assert snapshot(again) == live
    finally:
        again.close()


def test_search_pages_newest_first_even_when_orders_share_a_millisecond(
        engine: TillEngine) -> None:
    """Search walks its rows by ``seq`` (creation time, then id hash bits): 1,500 orders of
    the same millisecond collide in those bits (~17 expected pairs) and must each still
    get a row of their own, all found, none twice."""
    from app.ui.read_store import OrderFilter, ReadStore
    from sync.ledger import ImportedOrder, LineInput
    from sync.read_model import queries as q

    same = dt.datetime(2026, 3, 1, 12, 0, 0, 123000, tzinfo=dt.UTC)
    later = [dt.datetime(2026, 3, 2, tzinfo=dt.UTC) + dt.timedelta(minutes=i) for i in range(5)]
    line = [LineInput(quantity=Decimal(1), sku="BREAD")]
    engine.execute(lambda L: L.orders.import_many(
        [ImportedOrder(created_at=same, lines=line, notes="zebra") for _ in range(1500)]
        + [ImportedOrder(created_at=t, lines=line, notes="zebra late",
                         statuses=[(t, "cancelled")]) for t in later]))
    conn = engine.read_model.conn
    seqs = conn.execute("SELECT seq FROM orders WHERE notes LIKE 'zebra%'").fetchall()
    assert len({s[0] for s in seqs}) == 1505
    wanted = {r[0] for r in conn.execute("SELECT id FROM orders WHERE notes LIKE 'zebra%'")}

    first = q.list_orders(conn, search="zebra", limit=5)
    assert [o["created_at"] for o in first] == sorted((o["created_at"] for o in first),
                                                      reverse=True)
    assert {o["notes"] for o in first} == {"zebra late"}

    store = ReadStore(engine.data_dir.root)
    try:
        f = OrderFilter(search="zebra")
        assert store.order_count(f) == 1505
        seen = store.order_ids(f, 100)
        while True:
            more = store.order_ids_after(f, seen[-1], 400)
            assert more is not None
            if not more:
                break
            seen += more
        assert len(seen) == len(set(seen)) == 1505 and set(seen) == wanted
        rows = store.orders_by_id(seen)
        created = [rows[i]["created_at"] for i in seen]
        assert created == sorted(created, reverse=True)
        # oldest first, offset paging, and the search with another filter
        oldest = OrderFilter(search="zebra", order_by="created_at")
        assert store.order_ids(oldest, 2000) == seen[::-1]
        assert store.order_ids(f, 10, offset=1495) == seen[1495:]
        cancelled = OrderFilter(search="zebra", statuses=("cancelled",))
        assert store.order_count(cancelled) == 5
        assert store.order_ids(cancelled, 10) == seen[:5]
    finally:
        store.close()
    # an edit keeps the order's search row: found once, still in its place
    run(engine, "order.update", {"order": seen[0], "notes": "zebra late, ring twice"})
    assert q.list_orders(conn, search="ring twice")[0]["id"] == seen[0]
    assert len(q.list_orders(conn, search="zebra", limit=2000)) == 1505

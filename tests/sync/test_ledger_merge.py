"""Two tills editing at once: their documents merge, counters from both count."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sync.ledger import ShopLedger
from tests.sync.ledger_shop import corner_shop, fork_till, line, order_of, stock_level, sync_docs


def two_tills(tmp_path: Path) -> tuple[ShopLedger, ShopLedger]:
    a = corner_shop(tmp_path / "a")
    b = fork_till(a, tmp_path / "b")
    sync_docs(a, b)  # B sees the catalog's stock
    return a, b


def test_sales_on_both_tills_both_count(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oa = order_of(a, line("BREAD", 2))
    ob = order_of(b, line("BREAD", 1))
    a.orders.set_status(oa, "collected")
    b.orders.set_status(ob, "confirmed")
    b.catalog.adjust_stock("MILK", Decimal(-1), reason="spilt")
    a.catalog.adjust_stock("MILK", Decimal(4), reason="delivery")
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (a, b):
        assert stock_level(till, "BREAD") == {"on_hand": 3, "reserved": 1, "available": 2}
        assert stock_level(till, "MILK")["on_hand"] == 13
    assert a.orders.get(ob)["number"] == "B-0001" and b.orders.get(oa)["number"] == "A-0001"


def test_concurrent_edits_of_one_order_keep_both_reservations(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 1))
    a.orders.set_status(oid, "confirmed")
    sync_docs(a, b)
    # both tills add a line to the same confirmed order before they sync again
    a.orders.add_line(oid, line("MILK", 2))
    b.orders.add_line(oid, line("MILK", 3))
    b.orders.update(oid, notes="from b")
    a.orders.update(oid, assignee="sam")
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (a, b):
        o = till.orders.get(oid)
        assert (o["notes"], o["assignee"]) == ("from b", "sam")
        milk = sorted(ln["qty"] for ln in o["lines"].values() if ln["sku"] == "MILK")
        assert milk == ["2", "3"]
        assert stock_level(till, "MILK")["reserved"] == 5
        assert stock_level(till, "BREAD")["reserved"] == 1


def test_order_numbers_stay_unique_across_tills(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    for _ in range(3):
        order_of(a)
        order_of(b)
    sync_docs(a, b)
    sync_docs(b, a)
    numbers = [a.orders.get(o)["number"] for o in a.docs.orders]
    assert len(numbers) == 6 and len(set(numbers)) == 6
    assert sorted(numbers) == ["A-0001", "A-0002", "A-0003", "B-0001", "B-0002", "B-0003"]


def test_customers_added_on_both_tills_merge(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    ann = a.customers.add("Ann", phones=["07700900123"]).created
    bob = b.customers.add("Bob", phones=["07700900456"]).created
    sync_docs(a, b)
    sync_docs(b, a)
    assert set(a.customers.all()) == set(b.customers.all()) == {ann, bob}
    assert b.customers.find("07700900123") == ann


def test_tills_paired_at_the_same_time_still_number_uniquely(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    a.tills.set_role(b.till_id, "manager")  # only managers pair tills (issue 15)
    sync_docs(a, b)
    # A pairs till C while B pairs till D, before they sync: both hand out prefix C
    c = fork_till(a, tmp_path / "c", "till-c")
    d = fork_till(b, tmp_path / "d", "till-d")
    assert a.tills.all()["till-c"]["prefix"] == b.tills.all()["till-d"]["prefix"] == "C"
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (c, d):
        sync_docs(a, till)
    numbers = {till.till_id: till.orders.get(order_of(till))["number"] for till in (c, d)}
    assert sorted(numbers.values()) == ["C-0001", "C2-0001"]
    first = min(("till-c", "till-d"), key=lambda t: (a.tills.all()[t]["joined_at"], t))
    assert numbers[first] == "C-0001"


def test_the_same_order_collected_on_two_tills_at_once_counts_once(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 2))
    a.orders.set_status(oid, "confirmed")
    sync_docs(a, b)
    a.orders.set_status(oid, "collected")
    b.orders.set_status(oid, "collected")
    sync_docs(a, b)
    sync_docs(b, a)
    assert stock_level(a, "BREAD") == {"on_hand": 3, "reserved": 0, "available": 3}


def test_confirm_and_cancel_at_once_follow_the_status_that_wins(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 2))
    sync_docs(a, b)
    a.orders.set_status(oid, "confirmed")
    b.orders.set_status(oid, "cancelled")
    sync_docs(a, b)
    sync_docs(b, a)
    status = a.orders.get(oid)["status"]
    assert status == b.orders.get(oid)["status"]
    expected = 2 if status == "confirmed" else 0
    for till in (a, b):
        assert stock_level(till, "BREAD") == {"on_hand": 5, "reserved": expected,
                                              "available": 5 - expected}

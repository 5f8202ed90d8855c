"""Two tills editing at once: their documents merge, counters from both count."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

from sync.shop_ledger import ShopLedger
from tests.sync.ledger_shop import fork_till, line, order_of, shop_ledger, stock_level, sync_docs


def two_tills(tmp_path: Path) -> tuple[ShopLedger, ShopLedger]:
    a = shop_ledger(tmp_path / "a")
    b = fork_till(a, tmp_path / "b")
    sync_docs(a, b)  # B sees the catalog's stock
    return a, b


def test_sales_on_both_tills_both_count(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oa = order_of(a, line("BREAD", 2))
    ob = order_of(b, line("BREAD", 1))
    a.set_status(oa, "collected")
    b.set_status(ob, "confirmed")
    b.adjust_stock("MILK", Decimal(-1), reason="spilt")
    a.adjust_stock("MILK", Decimal(4), reason="delivery")
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (a, b):
        assert stock_level(till, "BREAD") == {"on_hand": 3, "reserved": 1, "available": 2}
        assert stock_level(till, "MILK")["on_hand"] == 13
    assert a.order(ob)["number"] == "B-0001" and b.order(oa)["number"] == "A-0001"


def test_concurrent_edits_of_one_order_keep_both_reservations(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 1))
    a.set_status(oid, "confirmed")
    sync_docs(a, b)
    # both tills add a line to the same confirmed order before they sync again
    a.add_line(oid, line("MILK", 2))
    b.add_line(oid, line("MILK", 3))
    b.update_order(oid, notes="from b")
    a.update_order(oid, assignee="sam")
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (a, b):
        o = till.order(oid)
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
    numbers = [a.order(o)["number"] for o in a._orders]
    assert len(numbers) == 6 and len(set(numbers)) == 6
    assert sorted(numbers) == ["A-0001", "A-0002", "A-0003", "B-0001", "B-0002", "B-0003"]


def test_customers_added_on_both_tills_merge(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    ann = a.add_customer("Ann", phones=["07700900123"]).created
    bob = b.add_customer("Bob", phones=["07700900456"]).created
    sync_docs(a, b)
    sync_docs(b, a)
    assert set(a.customers()) == set(b.customers()) == {ann, bob}
    assert b.find_customer("07700900123") == ann


def test_tills_paired_at_the_same_time_still_number_uniquely(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    # A pairs till C while B pairs till D, before they sync: both hand out prefix C
    c = fork_till(a, tmp_path / "c", "till-c")
    d = fork_till(b, tmp_path / "d", "till-d")
    assert a.tills()["till-c"]["prefix"] == b.tills()["till-d"]["prefix"] == "C"
    sync_docs(a, b)
    sync_docs(b, a)
    for till in (c, d):
        sync_docs(a, till)
    numbers = {till.till_id: till.order(order_of(till))["number"] for till in (c, d)}
    assert sorted(numbers.values()) == ["C-0001", "C2-0001"]
    first = min(("till-c", "till-d"), key=lambda t: (a.tills()[t]["joined_at"], t))
    assert numbers[first] == "C-0001"


def test_the_same_order_collected_on_two_tills_at_once_counts_once(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 2))
    a.set_status(oid, "confirmed")
    sync_docs(a, b)
    a.set_status(oid, "collected")
    b.set_status(oid, "collected")
    sync_docs(a, b)
    sync_docs(b, a)
    assert stock_level(a, "BREAD") == {"on_hand": 3, "reserved": 0, "available": 3}


def test_confirm_and_cancel_at_once_follow_the_status_that_wins(tmp_path: Path) -> None:
    a, b = two_tills(tmp_path)
    oid = order_of(a, line("BREAD", 2))
    sync_docs(a, b)
    a.set_status(oid, "confirmed")
    b.set_status(oid, "cancelled")
    sync_docs(a, b)
    sync_docs(b, a)
    status = a.order(oid)["status"]
    assert status == b.order(oid)["status"]
    expected = 2 if status == "confirmed" else 0
    for till in (a, b):
        assert stock_level(till, "BREAD") == {"on_hand": 5, "reserved": expected,
                                              "available": 5 - expected}

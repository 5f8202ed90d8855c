"""Order commands: create, lines, header edits, payments, returns, numbering."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from sync.errors import CommandRejected, NotFound
from sync.ledger import FulfilmentInput, LineInput, ShopLedger
from tests.sync.ledger_shop import NOW, corner_shop, line, new_ledger, order_of


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return corner_shop(tmp_path)


def live_lines(order: dict[str, object]) -> list[dict[str, object]]:
    lines = order["lines"]
    assert isinstance(lines, dict)
    return sorted((ln for ln in lines.values() if not ln["removed"]), key=lambda ln: ln["pos"])


def test_create_order_prices_lines_from_the_catalog(ledger: ShopLedger) -> None:
    cid = ledger.customers.add("Ann", phones=["07700900123"]).created
    changes = ledger.orders.create(
        customer_id=cid, channel="phone", notes="ring bell", tags=["regular"], assignee="sam",
        due_at=NOW + dt.timedelta(hours=2), custom_fields={"table": "4"},
        fulfilment=FulfilmentInput(kind="delivery", address="1 High St"),
        lines=[line("BREAD", 2), LineInput(quantity=Decimal("0.75"), sku="FLOUR"),
               LineInput(quantity=Decimal(1), description="Birthday card", unit_price=199),
               LineInput(quantity=Decimal(3), sku="MILK", unit_price=100, notes="skimmed")])
    assert changes.orders == {changes.created}
    o = ledger.orders.get(str(changes.created))
    assert o["number"] == "A-0001" and o["status"] == "new" and o["channel"] == "phone"
    assert o["customer_id"] == cid and o["assignee"] == "sam" and o["notes"] == "ring bell"
    # 2 x 2.50 + 0.75 x 3.10 (2.325 -> 2.32, half-even) + 1.99 + 3 x 1.00
    assert o["total"] == 500 + 232 + 199 + 300
    assert [(ln["sku"], ln["qty"], ln["unit_price"]) for ln in live_lines(o)] == [
        ("BREAD", "2", 250), ("FLOUR", "0.75", 310), (None, "1", 199), ("MILK", "3", 100)]
    assert o["fulfilment"] == {"kind": "delivery", "address": "1 High St", "carrier": "",
                               "tracking": ""}
    assert o["custom"] == {"table": "4"} and o["tags"] == {"regular": True}
    assert o["history"][0]["new"] == "new" and o["stock_state"] == "none"


def test_order_numbers_follow_the_till_sequence_across_reopening(tmp_path: Path) -> None:
    ledger = corner_shop(tmp_path)
    numbers = [ledger.orders.get(order_of(ledger))["number"] for _ in range(3)]
    assert numbers == ["A-0001", "A-0002", "A-0003"]
    doc = ledger.shop_doc_id
    ledger.store.close()
    again = new_ledger(tmp_path, shop_doc=doc)
    assert again.orders.get(order_of(again))["number"] == "A-0004"
    # numbers and ids both find the order, case-insensitively for numbers
    assert again.orders.locate("a-0002")[0] == again.orders.locate("A-0002")[0]


@pytest.mark.parametrize("kwargs, message", [
    ({"channel": "pigeon"}, "unknown channel 'pigeon'"),
    ({"customer_id": "cus_nope"}, "no customer cus_nope"),
    ({"lines": [LineInput(quantity=Decimal(1), sku="NOPE")]}, "unknown SKU 'NOPE'"),
    ({"lines": [LineInput(quantity=Decimal(1), description=" ")]},
     "a free-text line needs a description"),
    ({"lines": [LineInput(quantity=Decimal(1), description="Card")]},
     "free-text line 'Card' needs a price"),
    ({"lines": [LineInput(quantity=Decimal(1), sku="BREAD", unit_price=-1)]},
     "a line price cannot be negative"),
    ({"fulfilment": FulfilmentInput(kind="drone")}, "fulfilment is pickup or delivery"),
    ({"due_at": dt.datetime(2026, 11, 23, 17)}, "due time needs a timezone"),
])
def test_create_order_refuses(ledger: ShopLedger, kwargs: dict[str, object],
                              message: str) -> None:
    args: dict[str, object] = {"customer_id": None, **kwargs}
    with pytest.raises(CommandRejected) as err:
        ledger.orders.create(**args)  # type: ignore[arg-type]
    assert str(err.value).startswith(message)
    # nothing was written: the next order still gets the first number
    assert ledger.orders.get(order_of(ledger))["number"] == "A-0001"


def test_inactive_products_cannot_be_ordered(ledger: ShopLedger) -> None:
    ledger.catalog.update_product("MILK", active=False)
    with pytest.raises(CommandRejected, match="no longer sold"):
        ledger.orders.create(customer_id=None, lines=[line("MILK", 1)])


def test_add_and_update_lines_recompute_the_total(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 1))
    changes = ledger.orders.add_line(oid, line("MILK", 2))
    lid = changes.created
    assert lid is not None and ledger.orders.get(oid)["total"] == 250 + 240
    ledger.orders.update_line(oid, lid, quantity=Decimal(3), unit_price=100, notes="big ones")
    o = ledger.orders.get(oid)
    assert o["total"] == 250 + 300 and o["lines"][lid]["notes"] == "big ones"
    ledger.orders.update_line(oid, lid, remove=True)
    o = ledger.orders.get(oid)
    assert o["total"] == 250 and len(live_lines(o)) == 1
    assert [h["field"] for h in o["history"]].count("total") == 3
    with pytest.raises(NotFound, match="has no line ln_nope"):
        ledger.orders.update_line(oid, "ln_nope", notes="x")
    with pytest.raises(CommandRejected, match="cannot be negative"):
        ledger.orders.update_line(oid, lid, unit_price=-1)
    with pytest.raises(NotFound, match="no order A-9999"):
        ledger.orders.add_line("A-9999", line("MILK", 1))


@pytest.mark.parametrize("status", ["delivered", "collected", "closed", "cancelled"])
def test_lines_of_finished_orders_are_frozen(ledger: ShopLedger, status: str) -> None:
    oid = order_of(ledger, line("BREAD", 1))
    ledger.orders.set_status(oid, status)
    lid = next(iter(ledger.orders.get(oid)["lines"]))
    with pytest.raises(CommandRejected, match=f"a {status} order cannot be changed"):
        ledger.orders.add_line(oid, line("MILK", 1))
    with pytest.raises(CommandRejected, match=f"a {status} order cannot be changed"):
        ledger.orders.update_line(oid, lid, quantity=Decimal(2))


def test_update_order_header_fields(ledger: ShopLedger) -> None:
    ann = ledger.customers.add("Ann").created
    oid = order_of(ledger)
    ledger.orders.update(oid, assignee="sam", notes="no nuts", due_at=NOW, customer_id=ann,
                         fulfilment=FulfilmentInput(kind="delivery", address="2 Low Rd",
                                                    carrier="bike", tracking="T1"),
                         custom_fields={"table": "7"}, add_tags=["urgent", "x"],
                         remove_tags=["x"], by="kim")
    ledger.orders.update(oid, assignee="sam")  # same assignee: no new history entry
    ledger.orders.update(oid, due_at=None)
    o = ledger.orders.get(oid)
    assert (o["assignee"], o["notes"], o["customer_id"], o["due_at"]) == (
        "sam", "no nuts", ann, None)
    assert o["fulfilment"]["carrier"] == "bike" and o["custom"] == {"table": "7"}
    assert o["tags"] == {"urgent": True, "x": False}
    assignee = [h for h in o["history"] if h["field"] == "assignee"]
    assert [(h["old"], h["new"], h["by"]) for h in assignee] == [("", "sam", "kim")]
    with pytest.raises(NotFound):
        ledger.orders.update(oid, customer_id="cus_nope")
    with pytest.raises(CommandRejected, match="pickup or delivery"):
        ledger.orders.update(oid, fulfilment=FulfilmentInput(kind="teleport"))
    assert ledger.orders.get(oid)["fulfilment"]["kind"] == "delivery"


def test_payments_and_refunds(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    changes = ledger.orders.record_payment(oid, 300, method="cash", reference="till 1", by="sam")
    ledger.orders.record_payment(oid, 200, method="card")
    ledger.orders.record_payment(oid, 50, method="cash", refund=True)
    pays = ledger.orders.get(oid)["payments"]
    assert pays[changes.created]["amount"] == 300 and pays[changes.created]["by"] == "sam"
    assert sorted((p["kind"], p["amount"]) for p in pays.values()) == [
        ("payment", 200), ("payment", 300), ("refund", 50)]
    with pytest.raises(CommandRejected, match="unknown payment method 'bitcoin'"):
        ledger.orders.record_payment(oid, 1, method="bitcoin")
    with pytest.raises(CommandRejected, match="more than zero"):
        ledger.orders.record_payment(oid, 0, method="cash")
    ledger.orders.set_status(oid, "cancelled")
    with pytest.raises(CommandRejected, match="cancelled order cannot take payments"):
        ledger.orders.record_payment(oid, 100, method="cash")
    ledger.orders.record_payment(oid, 450, method="cash", refund=True)
    assert len(ledger.orders.get(oid)["payments"]) == 4


def test_return_part_then_the_rest(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 3), line("MILK", 1))
    with pytest.raises(CommandRejected, match="only a delivered, collected or closed order"):
        ledger.orders.record_return(oid)
    ledger.orders.set_status(oid, "collected")
    bread = next(k for k, v in ledger.orders.get(oid)["lines"].items() if v["sku"] == "BREAD")
    ledger.orders.record_return(oid, {bread: Decimal(1)}, reason="stale")
    o = ledger.orders.get(oid)
    assert o["status"] == "collected" and o["lines"][bread]["returned_qty"] == "1"
    with pytest.raises(CommandRejected, match="cannot return 3 of line .*: 2 left"):
        ledger.orders.record_return(oid, {bread: Decimal(3)})
    with pytest.raises(NotFound, match="has no line ln_nope"):
        ledger.orders.record_return(oid, {"ln_nope": Decimal(1)})
    ledger.orders.record_return(oid)  # everything left
    o = ledger.orders.get(oid)
    assert o["status"] == "returned"
    assert all(ln["returned_qty"] == ln["qty"] for ln in o["lines"].values())
    assert [h["new"] for h in o["history"] if h["field"] == "status"] == [
        "new", "collected", "returned"]
    with pytest.raises(CommandRejected, match="cannot return"):
        ledger.orders.record_return(oid, {bread: Decimal(1)})


def test_returning_the_rest_skips_lines_already_returned(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 3), line("MILK", 1))
    ledger.orders.set_status(oid, "collected")
    bread = next(k for k, v in ledger.orders.get(oid)["lines"].items() if v["sku"] == "BREAD")
    ledger.orders.record_return(oid, {bread: Decimal(3)})
    ledger.orders.record_return(oid)
    assert ledger.orders.get(oid)["status"] == "returned"
    with pytest.raises(CommandRejected, match="nothing left to return"):
        ledger.orders.record_return(oid)

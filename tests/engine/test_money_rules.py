"""Money that adds up, through the engine's commands: tax per rate, discounts, returns,
refunds never beyond what was paid, change due, sanity limits, and history in words."""

from __future__ import annotations

import re
from typing import Any

import pytest

from sync.errors import CommandRejected, NeedsConfirmation
from tests.helpers.commands import run


def sale(engine: Any, *lines: str, status: str = "collected", **kw: Any) -> dict[str, Any]:
    order = run(engine, "order.add", {"lines": list(lines), **kw})
    if status != "new":
        order = run(engine, "order.set_status", {"order": order["id"], "status": status})
    return order


def test_amounts_read_in_the_shop_locale(engine: Any) -> None:
    order = sale(engine, "BREAD:2", status="new")
    assert order["total_text"] == "€5.00"  # a GB shop selling in EUR
    run(engine, "shop.set_setting", {"key": "locale", "value": "de_DE"})
    assert run(engine, "order.show", {"order": order["id"]})["total_text"] == "5,00\xa0€"


@pytest.mark.parametrize("currency, region, price, minor, text", [
    ("XOF", "SN", "1500", 1500, "F\u202fCFA\xa01.500"),
    ("UGX", "UG", "25000", 25000, "USh\xa025,000"),
    ("JPY", "JP", "980", 980, "￥980"),
])
def test_currencies_without_decimals(tmp_path: Any, currency: str, region: str, price: str,
                                     minor: int, text: str) -> None:
    from app.engine.till_engine import TillEngine

    eng = TillEngine(tmp_path / currency, role="pytest")
    try:
        run(eng, "shop.create", {"name": "Shop", "currency": currency, "region": region})
        product = run(eng, "product.add", {"sku": "X", "name": "Thing", "price": price})
        assert product["price"] == minor
        assert product["price_text"].replace(" ", "\xa0") == text.replace(" ", "\xa0")
        with pytest.raises(CommandRejected, match=f"more decimals than {currency} allows"):
            run(eng, "product.add", {"sku": "Y", "name": "Other", "price": "1.50"})
    finally:
        eng.close()


def test_a_twenty_digit_price_is_a_clear_error(engine: Any) -> None:
    with pytest.raises(CommandRejected, match="implausibly large amount of money"):
        run(engine, "order.add", {"lines": [{"description": "Gold", "qty": "1",
                                             "unit_price": "12345678901234567890"}]})
    with pytest.raises(CommandRejected, match="implausibly large amount"):
        run(engine, "order.pay", {"order": sale(engine, "BREAD:1")["id"],
                                  "amount": "1e30", "method": "cash"})


def test_absurd_amounts_and_quantities_want_a_confirmation(engine: Any) -> None:
    with pytest.raises(NeedsConfirmation, match="more than the shop's limit"):
        run(engine, "order.add", {"lines": ["BREAD:500"]})
    assert run(engine, "order.add", {"lines": ["BREAD:500"], "confirm": True})["total"] == 125000
    with pytest.raises(NeedsConfirmation, match=re.escape("€20,000.00 is more than")):
        run(engine, "order.add", {"lines": [{"description": "Cake", "qty": "1",
                                             "unit_price": "20000"}]})
    run(engine, "shop.set_setting", {"key": "sanity_quantity", "value": "1000"})
    run(engine, "order.add", {"lines": ["BREAD:500"]})


def test_fractions_only_for_measured_units(engine: Any) -> None:
    assert run(engine, "order.add", {"lines": ["FLOUR:1.5"]})["total"] == 465
    with pytest.raises(CommandRejected, match=r"sold by the piece: 1\.5 is not a whole number"):
        run(engine, "order.add", {"lines": ["BREAD:1.5"]})
    order = run(engine, "order.add", {"lines": ["BREAD:1"]})
    with pytest.raises(CommandRejected, match="sold by the piece"):
        run(engine, "order.update_line", {"order": order["id"], "line_id": "1", "qty": "0.5"})


def test_an_order_with_no_lines_is_a_draft(engine: Any) -> None:
    order = run(engine, "order.add", {"lines": ["BREAD:1"]})
    run(engine, "order.update_line", {"order": order["id"], "line_id": "1", "remove": True})
    with pytest.raises(CommandRejected, match="no items is a draft"):
        run(engine, "order.set_status", {"order": order["id"], "status": "collected"})
    run(engine, "order.set_status", {"order": order["id"], "status": "cancelled"})


def test_tax_per_rate_included_and_added(engine: Any) -> None:
    run(engine, "product.add", {"sku": "WINE", "name": "Red wine", "price": "12.00",
                                "tax_rate": "20"})
    run(engine, "product.add", {"sku": "CAKE", "name": "Cake", "price": "3.15",
                                "tax_rate": "5"})
    inclusive = run(engine, "order.add", {"lines": ["WINE:1", "CAKE:1"]})
    assert inclusive["total"] == 1515 and inclusive["tax"] == 200 + 15
    assert [(t["rate"], t["tax_text"]) for t in inclusive["tax_lines"]] == [
        ("5", "€0.15"), ("20", "€2.00")]
    run(engine, "shop.set_setting", {"key": "prices_include_tax", "value": False})
    added = run(engine, "order.add", {"lines": ["WINE:1", "CAKE:1"]})
    assert added["total"] == 1200 + 240 + 315 + 16 and added["prices_include_tax"] == 0
    # the setting is kept on each order: the first order still adds up as it did
    assert run(engine, "order.show", {"order": inclusive["id"]})["total"] == 1515
    lines = {ln["sku"]: ln for ln in added["lines"]}
    assert lines["WINE"]["tax_rate"] == "20", "a line carries its product's rate"


def test_discounts_per_line_and_per_order(engine: Any) -> None:
    order = sale(engine, "BREAD:2", "MILK:1", status="new")  # 5.00 + 1.20
    order = run(engine, "order.discount", {"order": order["id"], "line": "1", "percent": "10"})
    assert order["total"] == 450 + 120 and order["lines"][0]["discount_amount"] == 50
    order = run(engine, "order.discount", {"order": order["id"], "amount": "0.70"})
    assert order["total"] == 500 and order["discount"] == 120
    with pytest.raises(CommandRejected, match="either a percentage or an amount"):
        run(engine, "order.discount", {"order": order["id"], "amount": "1", "percent": "5"})
    with pytest.raises(CommandRejected, match="more than the"):
        run(engine, "order.discount", {"order": order["id"], "amount": "100"})
    with pytest.raises(CommandRejected, match="not a percentage"):
        run(engine, "order.discount", {"order": order["id"], "percent": "ten"})
    texts = [h["text"] for h in order["history"]]
    assert "Gave 10% off Sourdough bread" in texts and "Gave €0.70 off the order" in texts
    assert "Changed the total from €6.20 to €5.70" in texts
    order = run(engine, "order.discount", {"order": order["id"], "percent": "0"})
    assert order["total"] == 570


def test_cash_beyond_the_balance_gives_change_card_asks(engine: Any) -> None:
    order = sale(engine, "BREAD:2")  # 5.00
    paid = run(engine, "order.pay", {"order": order["id"], "amount": "20", "method": "cash"})
    assert (paid["paid"], paid["balance"], paid["change_due"]) == (500, 0, 1500)
    assert paid["change_due_text"] == "€15.00"
    assert "Took €5.00 by cash, €15.00 change" in [h["text"] for h in paid["history"]]
    other = sale(engine, "BREAD:1")
    with pytest.raises(NeedsConfirmation, match="more than the order needs"):
        run(engine, "order.pay", {"order": other["id"], "amount": "10", "method": "card"})
    got = run(engine, "order.pay", {"order": other["id"], "amount": "10", "method": "card",
                                    "confirm": True})
    assert got["balance"] == -750


def test_a_refund_never_exceeds_what_was_paid(engine: Any) -> None:
    order = sale(engine, "BREAD:2")
    run(engine, "order.pay", {"order": order["id"], "amount": "3", "method": "card"})
    run(engine, "order.pay", {"order": order["id"], "amount": "2", "method": "cash"})
    with pytest.raises(CommandRejected, match=re.escape("more than the €5.00 paid on this order")):
        run(engine, "order.pay", {"order": order["id"], "amount": "5.01", "method": "cash",
                                  "refund": True})
    with pytest.raises(CommandRejected, match=re.escape("more than the €3.00 paid by card")):
        run(engine, "order.pay", {"order": order["id"], "amount": "4", "method": "card",
                                  "refund": True})
    run(engine, "order.pay", {"order": order["id"], "amount": "3", "method": "card",
                              "refund": True})


def test_return_per_line_then_refund_owes_nothing(engine: Any) -> None:
    order = sale(engine, "BREAD:2", "MILK:1")
    run(engine, "order.pay", {"order": order["id"], "amount": "6.20", "method": "card"})
    back = run(engine, "order.return", {"order": order["id"], "lines": {"1": "1"},
                                        "reason": "dropped", "restock": True, "by": "Ann"})
    line = back["lines"][0]
    assert line["returned_qty"] == "1" and line["returned_amount"] == 250
    assert (back["returned"], back["adjusted_total"], back["balance"]) == (250, 370, -250)
    assert "Ann returned 1 × Sourdough bread (dropped), restocked" in \
        [h["text"] for h in back["history"]]
    back = run(engine, "order.return", {"order": order["id"], "restock": False})
    assert back["status"] == "returned" and back["adjusted_total"] == 0
    done = run(engine, "order.pay", {"order": order["id"], "amount": "6.20", "method": "card",
                                     "refund": True})
    assert (done["balance"], done["paid"], done["refunded"]) == (0, 0, 620)
    stock = {s["sku"]: s for s in run(engine, "stock.list")}
    assert stock["BREAD"]["on_hand"] == "4", "one loaf restocked, one written off"


def test_exchange_makes_a_linked_order_paid_with_the_credit(engine: Any) -> None:
    order = sale(engine, "BREAD:2")
    run(engine, "order.pay", {"order": order["id"], "amount": "5", "method": "cash"})
    new = run(engine, "order.exchange", {"order": order["id"], "lines": {"1": "1"},
                                         "new_lines": ["MILK:1"], "reason": "wrong loaf"})
    assert new["exchange_of"] == order["id"] and new["total"] == 120
    assert new["paid"] == 120 and new["balance"] == 0
    old = run(engine, "order.show", {"order": order["id"]})
    assert old["exchanged_for"] == new["id"]
    assert (old["adjusted_total"], old["paid"], old["balance"]) == (250, 380, -130)


def test_who_did_it_is_the_signed_in_member(engine: Any, tmp_path: Any) -> None:
    run(engine, "staff.add", {"name": "Maria", "role": "manager", "pin": "9999"})
    run(engine, "staff.add", {"name": "Ann", "role": "counter", "pin": "1234",
                              "by": "Maria"})
    with pytest.raises(CommandRejected, match="no staff member called 'Zed'"):
        run(engine, "order.add", {"lines": ["BREAD:1"], "by": "Zed"})
    run(engine, "staff.sign_in", {"name": "ann", "pin": "1234"})
    order = sale(engine, "BREAD:1")
    assert {h["by"] for h in order["history"]} == {"Ann"}
    assert order["history"][-1]["text"] == "Ann moved it from new to collected"
    assert run(engine, "staff.current")["staff"]["name"] == "Ann"
    names = [(s["name"], s["role"]) for s in run(engine, "staff.list")]
    assert names == [("Maria", "manager"), ("Ann", "counter")]


def test_what_needs_a_manager(engine: Any) -> None:
    from sync.errors import NeedsManager

    order = sale(engine, "BREAD:2")
    run(engine, "order.pay", {"order": order["id"], "amount": "5", "method": "cash"})
    # no manager yet: nobody to ask, so nothing is held up
    run(engine, "order.pay", {"order": order["id"], "amount": "1", "method": "cash",
                              "refund": True})
    run(engine, "staff.add", {"name": "Maria", "role": "manager", "pin": "9999"})
    with pytest.raises(NeedsManager, match="adding staff needs a manager"):
        run(engine, "staff.add", {"name": "Ann", "role": "manager", "pin": "1234"})
    run(engine, "staff.add", {"name": "Ann", "pin": "1234", "manager_pin": "9999"})
    run(engine, "staff.sign_in", {"name": "Ann", "pin": "1234"})
    refund = {"order": order["id"], "amount": "1", "method": "cash", "refund": True}
    with pytest.raises(NeedsManager, match="a refund needs a manager"):
        run(engine, "order.pay", refund)
    with pytest.raises(NeedsManager, match="not a manager's PIN"):
        run(engine, "order.pay", {**refund, "manager_pin": "1234"})
    run(engine, "order.pay", {**refund, "manager_pin": "9999"})
    with pytest.raises(NeedsManager, match="writing goods off"):
        run(engine, "order.return", {"order": order["id"], "restock": False})
    open_order = sale(engine, "BREAD:1", "MILK:1", status="new")
    run(engine, "order.discount", {"order": open_order["id"], "percent": "10"})
    with pytest.raises(NeedsManager, match="a discount above 10%"):
        run(engine, "order.discount", {"order": open_order["id"], "percent": "50"})
    with pytest.raises(NeedsManager, match="changing the price of Sourdough bread"):
        run(engine, "order.update_line", {"order": open_order["id"], "line_id": "1",
                                          "unit_price": "0.50"})
    with pytest.raises(NeedsManager, match="changing the price"):
        run(engine, "order.add", {"lines": [{"sku": "MILK", "qty": "1", "unit_price": "0.10"}]})
    run(engine, "staff.sign_in", {"name": "Maria", "pin": "9999"})
    run(engine, "order.discount", {"order": open_order["id"], "percent": "50"})


def test_wrong_pins_lock_the_till_for_a_while(engine: Any) -> None:
    run(engine, "staff.add", {"name": "Ann", "pin": "1234"})
    for _ in range(5):
        with pytest.raises(CommandRejected, match="do not match"):
            run(engine, "staff.sign_in", {"name": "Ann", "pin": "0000"})
    with pytest.raises(CommandRejected, match="too many wrong PINs"):
        run(engine, "staff.sign_in", {"name": "Ann", "pin": "1234"})


@pytest.mark.parametrize("args, message", [
    ({"name": "", "pin": "1234"}, "needs a name"),
    ({"name": "Ann", "pin": ""}, "PIN is required"),
    ({"name": "Ann", "pin": "12"}, "4 to 12 digits"),
    ({"name": "Ann", "pin": "\uff11\uff12\uff13\uff14"}, "digits only"),
    ({"name": "Ann", "pin": "12ab"}, "digits only"),
    ({"name": "A" * 300, "pin": "1234"}, "at most 60 characters"),
    ({"name": "Ann", "pin": "1234", "role": "owner"}, "unknown role"),
])
def test_staff_bad_input(engine: Any, args: dict[str, str], message: str) -> None:
    with pytest.raises(CommandRejected, match=message):
        run(engine, "staff.add", args)


def test_staff_names_are_unique_and_unicode_is_fine(engine: Any) -> None:
    run(engine, "staff.add", {"name": "  Zoë   Łukasiewicz ", "pin": "1234"})
    with pytest.raises(CommandRejected, match="already a staff member"):
        run(engine, "staff.add", {"name": "zoë łukasiewicz", "pin": "5678"})
    assert run(engine, "staff.list")[0]["name"] == "Zoë Łukasiewicz"

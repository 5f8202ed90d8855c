"""Catalog and stock commands: add/update product, aliases, stock adjustments, suppliers."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sync.errors import CommandRejected
from sync.ledger import ShopLedger
from tests.sync.ledger_shop import corner_shop, stock_level


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return corner_shop(tmp_path)


def test_add_product_with_initial_stock(ledger: ShopLedger) -> None:
    changes = ledger.catalog.add_product("EGGS", "Free range eggs", 299, aliases=["eggs", " "],
                                         stock=Decimal(12), low_stock=Decimal(3),
                                         option_groups={"size": ["M", "L"]})
    assert changes.created == "EGGS" and changes.products == {"EGGS"}
    assert changes.stock == {"EGGS"}
    p = ledger.catalog.product("EGGS")
    assert (p["name"], p["price"], p["aliases"], p["low_stock"], p["active"]) == (
        "Free range eggs", 299, ["eggs"], "3", True)
    assert p["option_groups"] == {"size": ["M", "L"]}
    assert stock_level(ledger, "EGGS")["on_hand"] == 12


def test_add_product_without_stock_touches_no_stock(ledger: ShopLedger) -> None:
    changes = ledger.catalog.add_product("JAM", "Jam", 350)
    assert changes.stock == set()
    assert stock_level(ledger, "JAM")["on_hand"] == 0


@pytest.mark.parametrize("sku, name, price, message", [
    ("", "X", 1, "SKU '' must be non-empty, without spaces or ':'"),
    ("A B", "X", 1, "SKU 'A B' must be non-empty, without spaces or ':'"),
    ("A:B", "X", 1, "SKU 'A:B' must be non-empty, without spaces or ':'"),
    ("NEW", " ", 1, "the product needs a name"),
    ("NEW", "X", -1, "price cannot be negative"),
    ("BREAD", "X", 1, "SKU BREAD already exists"),
])
def test_add_product_refuses(ledger: ShopLedger, sku: str, name: str, price: int,
                             message: str) -> None:
    with pytest.raises(CommandRejected) as err:
        ledger.catalog.add_product(sku, name, price)
    assert str(err.value) == message


def test_add_product_refuses_a_bad_tax_rate(ledger: ShopLedger) -> None:
    with pytest.raises(CommandRejected, match="tax rate"):
        ledger.catalog.add_product("TEA", "Tea", 100, tax_rate="twenty")
    assert "TEA" not in ledger.catalog.products()


def test_update_product(ledger: ShopLedger) -> None:
    assert ledger.catalog.update_product("BREAD", price=275, active=False,
                                         low_stock="2").products == {"BREAD"}
    p = ledger.catalog.product("BREAD")
    assert (p["price"], p["active"], p["low_stock"]) == (275, False, "2")
    with pytest.raises(CommandRejected, match="cannot change barcode of a product"):
        ledger.catalog.update_product("BREAD", barcode="X")
    with pytest.raises(CommandRejected, match="unknown SKU 'NOPE'"):
        ledger.catalog.update_product("NOPE", price=1)


def test_aliases_are_kept_once_case_insensitively(ledger: ShopLedger) -> None:
    ledger.catalog.add_alias("BREAD", "loaf")
    ledger.catalog.add_alias("BREAD", " Loaf ")
    ledger.catalog.add_alias("BREAD", "sourdough")
    assert ledger.catalog.product("BREAD")["aliases"] == ["loaf", "sourdough"]
    with pytest.raises(CommandRejected, match="alias is empty"):
        ledger.catalog.add_alias("BREAD", "  ")
    with pytest.raises(CommandRejected, match="unknown SKU"):
        ledger.catalog.add_alias("NOPE", "x")


def test_adjust_stock_counts_in_and_out_with_a_reason(ledger: ShopLedger) -> None:
    changes = ledger.catalog.adjust_stock("BREAD", Decimal(10), reason="delivery", by="sam")
    assert changes.stock == {"BREAD"}
    ledger.catalog.adjust_stock("BREAD", Decimal(-3), reason="stale")
    ledger.catalog.adjust_stock("FLOUR", Decimal("0.125"), reason="top up")
    assert stock_level(ledger, "BREAD")["on_hand"] == 12
    assert stock_level(ledger, "FLOUR")["on_hand"] == Decimal("2.625")
    with pytest.raises(CommandRejected, match="a reason is required"):
        ledger.catalog.adjust_stock("BREAD", Decimal(1), reason=" ")
    with pytest.raises(CommandRejected, match="zero changes nothing"):
        ledger.catalog.adjust_stock("BREAD", Decimal(0), reason="count")
    with pytest.raises(CommandRejected, match="unknown SKU"):
        ledger.catalog.adjust_stock("NOPE", Decimal(1), reason="x")


def test_stock_moves_are_recorded(ledger: ShopLedger) -> None:
    from sync.am_doc import Reader, Root

    ledger.catalog.adjust_stock("MILK", Decimal(-2), reason="spilt", by="sam")
    moves = [m for d in ledger.store.ids()
             for m in (Reader(ledger.store.get(d).doc).value(Root, "stock_moves") or {}).values()]
    spilt = [m for m in moves if m["reason"] == "spilt"]
    assert spilt and spilt[0]["delta"] == "-2" and spilt[0]["by"] == "sam"


def test_add_supplier(ledger: ShopLedger) -> None:
    changes = ledger.purchasing.add_supplier(" Mill Co ", contact="01234", products=["FLOUR"],
                                          lead_time_days=3)
    assert changes.suppliers == {changes.created}
    from sync.am_doc import Reader

    sup = Reader(ledger.shop_doc.doc).value(Reader(ledger.shop_doc.doc).path("suppliers"),
                                            str(changes.created))
    assert sup["name"] == "Mill Co" and sup["products"] == ["FLOUR"]
    with pytest.raises(CommandRejected, match="needs a name"):
        ledger.purchasing.add_supplier(" ")
    with pytest.raises(CommandRejected, match="unknown SKU"):
        ledger.purchasing.add_supplier("Dairy", products=["NOPE"])


@pytest.mark.parametrize("fields, message", [
    ({"name": " "}, "the product needs a name"),
    ({"price": -5}, "price must be a non-negative amount in minor units"),
    ({"tax_rate": "lots"}, "tax rate 'lots' is not a number"),
    ({"low_stock": "some"}, "'some' is not a quantity"),
    ({"low_stock": "-1"}, "stock level '-1' must be zero or more"),
])
def test_update_product_refuses_bad_values(ledger: ShopLedger, fields: dict[str, object],
                                           message: str) -> None:
    with pytest.raises(CommandRejected) as err:
        ledger.catalog.update_product("BREAD", **fields)
    assert str(err.value) == message
    assert ledger.catalog.product("BREAD")["name"] == "Sourdough bread"


def test_add_product_refuses_a_bad_low_stock(ledger: ShopLedger) -> None:
    with pytest.raises(CommandRejected, match="must be zero or more"):
        ledger.catalog.add_product("TEA", "Tea", 100, low_stock=Decimal(-1))

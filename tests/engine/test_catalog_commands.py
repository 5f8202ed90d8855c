"""Issue 11 catalog commands on an in-process engine (as the CLI runs them): product edit,
variant and option prices on order lines, bulk prices, import and export, stock undo and
low-stock alerts, suppliers, purchase orders with partial deliveries, reorder advice,
customers' contacts, duplicates and merge previews. Bad input for every new field."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import pytest

from sync.errors import CommandRejected
from tests.helpers.commands import run


def product(engine: Any, sku: str) -> dict[str, Any]:
    (row,) = [p for p in run(engine, "product.list", {}) if p["sku"] == sku]
    return dict(row)


def test_product_edit_and_priced_variants_and_options(engine: Any) -> None:
    run(engine, "product.update", {"sku": "BREAD", "variants": ["Half", "Whole=4.00"],
                                   "option_groups": {"Slice": ["no", "yes=0.30"]},
                                   "add_aliases": ["loaf"], "unit": "each",
                                   "low_stock": "none"})
    p = product(engine, "BREAD")
    assert p["variant_prices"] == {"Whole": 400} and p["option_prices"] == {"Slice": {"yes": 30}}
    assert "loaf" in p["aliases"] and p["low_stock"] is None
    order = run(engine, "order.add", {"lines": [{"sku": "BREAD", "qty": "1",
                                                 "modifiers": ["Whole", "yes"]},
                                                {"sku": "BREAD", "qty": "1"}]})
    assert [ln["unit_price"] for ln in order["lines"]] == [430, 250]
    run(engine, "product.update", {"sku": "BREAD", "archive": True})
    assert product(engine, "BREAD")["active"] == 0
    with pytest.raises(CommandRejected, match="no longer sold"):
        run(engine, "order.add", {"lines": ["BREAD:1"]})


@pytest.mark.parametrize("args, words", [
    ({"price": "-1"}, "cannot be negative"),
    ({"price": "99999999999999999999"}, "implausibly large"),
    ({"name": " "}, "needs a name"),
    ({"name": "é" * 201}, "longer than 200"),
    ({"unit": "parsec"}, "unknown unit"),
    ({"tax_rate": "-5"}, "zero or more"),
    ({"low_stock": "-1"}, "zero or more"),
    ({"variants": ["A", "a"]}, "listed twice"),
    ({"variants": ["Big=-3"]}, "cannot be negative"),
    ({"option_groups": {"Size": []}}, "has no options"),
    ({"add_aliases": ["x" * 101]}, "longer than 100"),
    ({"archive": True, "restore": True}, "not both"),
    ({}, "say what to change"),
])
def test_product_edit_refuses_bad_input(engine: Any, args: dict[str, Any], words: str) -> None:
    with pytest.raises(CommandRejected, match=words):
        run(engine, "product.update", {"sku": "MILK", **args})
    assert product(engine, "MILK")["price"] == 120


def test_reprice_dry_run_then_write(engine: Any) -> None:
    preview = run(engine, "product.reprice", {"skus": ["BREAD", "MILK"], "percent": "10",
                                              "dry_run": True})
    assert {r["sku"]: r["new"] for r in preview["changed"]} == {"BREAD": 275, "MILK": 132}
    assert not preview["written"] and product(engine, "BREAD")["price"] == 250
    done = run(engine, "product.reprice", {"search": "milk", "amount": "-0.20"})
    assert done["written"] and product(engine, "MILK")["price"] == 100
    for bad, words in (({"percent": "lots"}, "not a percentage"),
                       ({"percent": "5", "amount": "1"}, "exactly one"),
                       ({"amount": "-50"}, "negative"), ({"to": "-1"}, "negative")):
        with pytest.raises(CommandRejected, match=words):
            run(engine, "product.reprice", {"skus": ["MILK"], **bad})


def write(path: Path, rows: list[list[str]]) -> str:
    with open(path, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    return str(path)


def test_import_is_all_or_nothing_unless_told(engine: Any, tmp_path: Path) -> None:
    path = write(tmp_path / "c.csv", [["sku", "name", "price", "options"],
                                      ["TEA", "Tea", "1.50", "Milk=none,oat=0.40"],
                                      ["JAM", "Jam", "", ""]])
    with pytest.raises(CommandRejected, match=r"1 of 2 rows have errors.*nothing was imported"):
        run(engine, "product.import", {"path": path})
    assert not [p for p in run(engine, "product.list", {}) if p["sku"] == "TEA"]
    report = run(engine, "product.import", {"path": path, "skip_errors": True})
    assert report["written"] and report["add"] == 1 and report["errors"] == 1
    assert product(engine, "TEA")["option_prices"] == {"Milk": {"oat": 40}}


def test_export_round_trips(engine: Any, tmp_path: Path) -> None:
    run(engine, "product.update", {"sku": "FLOUR", "variants": ["1 kg", "5 kg=12.00"]})
    for fmt in ("csv", "xlsx"):
        out = tmp_path / f"cat.{fmt}"
        assert run(engine, "product.export", {"format": fmt, "out": str(out)})["products"] == 3
        report = run(engine, "product.import", {"path": str(out), "dry_run": True})
        assert (report["unchanged"], report["errors"]) == (3, 0), report["rows"]


def test_formula_looking_text_is_text_in_exports(engine: Any, tmp_path: Path) -> None:
    run(engine, "product.add", {"sku": "EVIL", "name": "=HYPERLINK(\"x\")", "price": "1"})
    out = tmp_path / "c.xlsx"
    run(engine, "product.export", {"format": "xlsx", "out": str(out)})
    from openpyxl import load_workbook

    cells = [c.value for row in load_workbook(out).active.iter_rows() for c in row]
    assert "=HYPERLINK(\"x\")" in cells  # stored as a string, not a formula
    report = run(engine, "product.import", {"path": str(out), "dry_run": True})
    assert report["unchanged"] == 4


def test_stock_undo_clears_the_alert_it_raised(engine: Any) -> None:
    run(engine, "product.update", {"sku": "MILK", "low_stock": "2"})
    done = run(engine, "stock.adjust", {"sku": "MILK", "delta": "-9", "reason": "spilt"})
    assert done["alerts"], "MILK fell to its low-stock level"
    kinds = {a["kind"] for a in run(engine, "alert.list", {})}
    assert "low_stock" in kinds
    undone = run(engine, "stock.undo", {"move": done["move"]})
    assert undone["delta"] == "9"
    assert not [a for a in run(engine, "alert.list", {}) if a["kind"] == "low_stock"]
    with pytest.raises(CommandRejected, match="already taken back"):
        run(engine, "stock.undo", {"move": done["move"]})
    with pytest.raises(CommandRejected, match="itself an undo"):
        run(engine, "stock.undo", {"move": undone["move"]})
    with pytest.raises(CommandRejected, match="no stock adjustment"):
        run(engine, "stock.undo", {"move": "mv_nope"})
    with pytest.raises(CommandRejected, match="implausibly large"):
        run(engine, "stock.adjust", {"sku": "MILK", "delta": "1e9", "reason": "x"})


def test_purchase_order_partial_deliveries(engine: Any) -> None:
    sup = run(engine, "supplier.add", {"name": "Dairy Co", "products": ["MILK"],
                                       "lead_time_days": 2, "email": "o@dairy.example"})
    run(engine, "product.update", {"sku": "MILK", "low_stock": "2"})
    run(engine, "stock.adjust", {"sku": "MILK", "delta": "-9", "reason": "spilt"})
    (tip,) = [r for r in run(engine, "po.suggest", {}) if r["sku"] == "MILK"]
    assert tip["supplier_id"] == sup["id"] and tip["suggested"] >= 1
    po = run(engine, "po.create", {"supplier": "dairy co", "suggested": True})
    assert po["number"].startswith("PO-A") and po["state"] == "draft"
    with pytest.raises(CommandRejected, match="mail outbox"):
        run(engine, "po.send", {"po": po["number"], "via": "email"})
    run(engine, "po.send", {"po": po["number"], "via": "pdf"})
    ordered = po["lines"][0]["qty_milli"] // 1000
    part = run(engine, "po.receive", {"po": po["number"], "lines": ["MILK:1"]})
    assert part["state"] == "partly received"
    with pytest.raises(CommandRejected, match="still to come"):
        run(engine, "po.receive", {"po": po["number"], "lines": [f"MILK:{ordered + 5}"]})
    with pytest.raises(CommandRejected, match="SKU:QTY"):
        run(engine, "po.receive", {"po": po["number"], "lines": ["MILK"]})
    whole = run(engine, "po.receive", {"po": po["number"], "all": True})
    assert whole["state"] == "received"
    assert [r for r in run(engine, "po.suggest", {}) if r["sku"] == "MILK"] == []
    for bad, words in (({"supplier": "Nobody", "lines": ["MILK:1"]}, "no supplier"),
                       ({"supplier": sup["id"], "lines": ["MILK:0"]}, "more than zero"),
                       ({"supplier": sup["id"], "lines": ["NOPE:1"]}, "unknown SKU"),
                       ({"supplier": sup["id"], "lines": ["MILK:1@-2"]}, "negative"),
                       ({"supplier": sup["id"]}, "at least one line")):
        with pytest.raises(CommandRejected, match=words):
            run(engine, "po.create", bad)


@pytest.mark.parametrize("args, words", [
    ({"name": ""}, "needs a name"), ({"name": "x" * 121}, "longer than 120"),
    ({"name": "S", "lead_time_days": -1}, "0 to 365"),
    ({"name": "S", "email": "nope"}, "not an email"),
    ({"name": "S", "products": ["NOPE"]}, "unknown SKU"),
])
def test_supplier_bad_input(engine: Any, args: dict[str, Any], words: str) -> None:
    with pytest.raises(CommandRejected, match=words):
        run(engine, "supplier.add", args)


def test_customer_contacts_duplicates_and_merge_preview(engine: Any) -> None:
    ann = run(engine, "customer.find", {"ref": "07700 900123"})
    other = run(engine, "customer.add", {"name": "A. Smith", "phones": ["+447700900123"],
                                         "emails": ["ann@example.com"]})
    (group,) = [g for g in run(engine, "customer.duplicates", {}) if g["kind"] == "phone"]
    assert group["contact"] == "+447700900123" and len(group["customers"]) == 2
    preview = run(engine, "customer.merge", {"keep": ann["id"], "merge": other["id"],
                                             "preview": True})
    assert "ann@example.com" in preview["result"]["emails"]
    assert run(engine, "customer.find", {"ref": other["id"]})["merged_into"] is None
    run(engine, "customer.update", {"customer": ann["id"], "add_phones": ["07700 900124"],
                                    "remove_phones": ["07700 900123"]})
    assert run(engine, "customer.find", {"ref": ann["id"]})["phones"] == ["+447700900124"]
    for bad, words in (({"remove_phones": ["07700 900999"]}, "has no phone"),
                       ({"name": "x" * 301}, "longer than 300"),
                       ({"add_emails": ["bad"]}, "not an email")):
        with pytest.raises(CommandRejected, match=words):
            run(engine, "customer.update", {"customer": ann["id"], **bad})

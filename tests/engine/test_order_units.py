"""Issue 14 through a real engine: quantities with units on order lines (converted
exactly, what was asked kept, old lines read as before) and option aliases."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sync.am_doc import Root
from sync.errors import CommandRejected, NotFound
from tests.conftest import CliRunner
from tests.helpers.commands import run


def _hardware(engine: Any) -> None:
    run(engine, "product.add", {"sku": "PAINT", "name": "Masonry paint", "price": "20",
                                "option_groups": {"Size": ["2.5L", "5L"]},
                                "variants": ["white", "cream"]})
    run(engine, "product.add", {"sku": "HAM", "name": "Honey roast ham", "price": "3",
                                "unit": "100g"})


# -- order lines with units ---------------------------------------------------------------

def test_a_line_in_another_unit_is_converted_and_keeps_what_was_asked(engine: Any) -> None:
    order = run(engine, "order.add", {"lines": [
        {"sku": "FLOUR", "qty": "3", "unit": "lb", "asked": "3lb of rye flour"}]})
    (line,) = order["lines"]
    assert (line["qty"], line["unit"], line["asked_qty"], line["asked_unit"]) == (
        "1.361", "kg", "3", "lb")
    assert line["asked"] == "3lb of rye flour"
    assert order["total"] == 422  # 1.361 kg at 3.10


def test_a_line_in_its_own_unit_is_as_before(engine: Any) -> None:
    (line,) = run(engine, "order.add", {"lines": ["FLOUR:0.5"]})["lines"]
    assert (line["qty"], line["unit"], line["asked_qty"], line["asked"]) == ("0.5", "kg", "", "")


@pytest.mark.parametrize(("line", "words"), [
    ({"sku": "FLOUR", "qty": "4", "unit": "each"}, "sold by kg"),
    ({"sku": "FLOUR", "qty": "2", "unit": "m"}, "cannot be said"),
    ({"sku": "FLOUR", "qty": "2", "unit": "千克"}, "cannot be said"),
    ({"sku": "FLOUR", "qty": "0.4", "unit": "g"}, "less than 0.001"),
    ({"sku": "FLOUR", "qty": "-3", "unit": "lb"}, "more than zero"),
    ({"sku": "FLOUR", "qty": "5000000", "unit": "g"}, "implausibly large"),
    ({"sku": "BREAD", "qty": "2", "unit": "kg"}, "sold by each"),
])
def test_units_that_cannot_be_said_are_refused_in_plain_words(engine: Any, line: Any,
                                                               words: str) -> None:
    with pytest.raises(CommandRejected, match=words):
        run(engine, "order.add", {"lines": [line]})


def test_the_customers_words_are_kept_short(engine: Any) -> None:
    (line,) = run(engine, "order.add", {"lines": [
        {"sku": "FLOUR", "qty": "1", "asked": "x" * 5000}]})["lines"]
    assert len(line["asked"]) == 200


def test_update_line_converts_too(engine: Any) -> None:
    order = run(engine, "order.add", {"lines": ["FLOUR:1"]})
    lid = order["lines"][0]["line_id"]
    changed = run(engine, "order.update_line", {"order": order["id"], "line_id": lid,
                                                "qty": "500", "unit": "g", "asked": "500g"})
    (line,) = changed["lines"]
    assert (line["qty"], line["asked_qty"], line["asked_unit"]) == ("0.5", "500", "g")
    with pytest.raises(CommandRejected, match="goes with a quantity"):
        run(engine, "order.update_line", {"order": order["id"], "line_id": lid, "unit": "g"})


def test_a_line_from_before_units_reads_as_before(engine: Any) -> None:
    order = run(engine, "order.add", {"lines": ["FLOUR:2"]})
    ledger = engine.ledger
    oid, doc_id = ledger.orders.locate(order["id"])

    def old_style(L: Any) -> Any:  # what an older version wrote: no unit, no asked amount
        from sync.changes import Changes

        with L.docs.write(L.docs.store.get(doc_id)) as w:
            lines = w.path("orders", oid, "lines")
            w.put_map(lines, "ln_old", {"sku": "FLOUR", "description": "Rye flour",
                                        "qty": "1.5", "unit_price": 310, "notes": "",
                                        "modifiers": [], "removed": False,
                                        "returned_qty": "0", "stock_qty": "0", "pos": 1})
        assert w.value(Root, "orders") is not None
        return Changes(orders={oid})

    engine.execute(old_style)
    detail = run(engine, "order.show", {"order": order["id"]})
    old = next(ln for ln in detail["lines"] if ln["line_id"] == "ln_old")
    assert (old["qty"], old["unit"], old["asked_qty"]) == ("1.5", "", "")
    changed = run(engine, "order.update_line", {"order": order["id"], "line_id": "ln_old",
                                                "qty": "1", "unit": "lb"})
    old = next(ln for ln in changed["lines"] if ln["line_id"] == "ln_old")
    assert old["qty"] == "0.454"  # the product's unit stands in for the missing one


# -- option aliases -----------------------------------------------------------------------

def test_an_option_alias_is_stored_listed_and_read_by_the_parser(engine: Any) -> None:
    _hardware(engine)
    before = run(engine, "intake.parse", {"text": "a trade tub of masonry paint"})
    assert not before["lines"][0]["size"]
    row = run(engine, "product.option_alias", {"sku": "PAINT", "group": "size",
                                               "option": "5l", "alias": "trade tub"})
    assert row["option_aliases"] == {"Size": {"5L": ["trade tub"]}}
    run(engine, "product.option_alias", {"sku": "PAINT", "group": "Size", "option": "5L",
                                         "alias": "TRADE TUB"})  # known: no second copy
    run(engine, "product.option_alias", {"sku": "PAINT", "group": "variant",
                                         "option": "cream", "alias": "crème"})
    listed = {p["sku"]: p for p in run(engine, "product.list", {})}["PAINT"]
    assert listed["option_aliases"] == {"Size": {"5L": ["trade tub"]},
                                        "variant": {"cream": ["crème"]}}
    after = run(engine, "intake.parse", {"text": "a trade tub of crème masonry paint"})
    (line,) = after["lines"]
    assert line["size"]["name"] == "5L" and [v["name"] for v in line["variants"]] == ["cream"]


@pytest.mark.parametrize(("args", "words"), [
    ({"sku": "NOPE", "group": "Size", "option": "5L", "alias": "x"}, "unknown SKU"),
    ({"sku": "PAINT", "group": "Colour", "option": "5L", "alias": "x"}, "no option group"),
    ({"sku": "PAINT", "group": "Size", "option": "10L", "alias": "x"}, "has no option"),
    ({"sku": "PAINT", "group": "Size", "option": "5L", "alias": ""}, "empty"),
    ({"sku": "PAINT", "group": "Size", "option": "5L", "alias": "  ... "}, "empty"),
    ({"sku": "PAINT", "group": "Size", "option": "5L", "alias": "y" * 61}, "at most 60"),
    ({"sku": "PAINT", "group": "Size", "option": "5L", "alias": "5l"}, "own name"),
    ({"sku": "HAM", "group": "variant", "option": "x", "alias": "y"}, "no option group"),
])
def test_bad_option_aliases_are_refused(engine: Any, args: dict[str, str], words: str
                                        ) -> None:
    _hardware(engine)
    with pytest.raises((CommandRejected, NotFound), match=words):
        run(engine, "product.option_alias", args)


def test_option_alias_from_the_command_line(cli: CliRunner, data_dir: Path) -> None:
    assert cli("shop", "create", "--name", "Hardware").returncode == 0
    assert cli("product", "add", "--sku", "PAINT", "--name", "Masonry paint", "--price", "20",
               "--option", "Size=2.5L,5L").returncode == 0
    done = cli("product", "option-alias", "PAINT", "Size", "2.5L", "2.5 litre", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["option_aliases"] == {"Size": {"2.5L": ["2.5 litre"]}}
    bad = cli("product", "option-alias", "PAINT", "Size", "1L", "small tin")
    assert bad.returncode == 2 and "has no option '1L'" in bad.stderr

"""The dev sets themselves: every file reads, every gold names what its catalog sells.

A wrong gold line would score the parser against a typo; these checks keep the data
honest. The accuracy floors are in ``test_devset_floors.py``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.intake import devset_eval as ev

SHOPS = {name: ev.load_shop(name) for name in ev.SHOPS}


def _options(product: dict[str, object]) -> set[str]:
    names = {str(v).lower() for v in product.get("variants") or []}  # type: ignore[attr-defined]
    for options in (product.get("option_groups") or {}).values():  # type: ignore[attr-defined]
        names.update(str(o).lower() for o in options)
    return names


@pytest.mark.parametrize("name", ev.SHOPS)
def test_each_shop_has_forty_messages_and_a_held_out_half(name: str) -> None:
    shop = SHOPS[name]
    tune, held = shop.examples["tune"], shop.examples["heldout"]
    assert len(tune) + len(held) >= 40
    if name in ev.UNSEEN_SHOPS:
        assert not tune  # an unseen shop type: nothing of it is tuned on
    else:
        assert abs(len(tune) - len(held)) <= 1
    ids = [e.id for e in tune + held]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize("name", ev.SHOPS)
def test_gold_lines_name_products_and_options_of_the_catalog(name: str) -> None:
    shop = SHOPS[name]
    products = {str(p["sku"]): p for p in shop.catalog["products"]}
    for ex in shop.examples["tune"] + shop.examples["heldout"]:
        for line in ex.gold.lines + ex.last_order:
            for sku in line.skus:
                assert sku in products, f"{ex.id}: unknown sku {sku}"
                assert line.options <= _options(products[sku]), f"{ex.id}: {line.options}"
            assert line.amount > 0
            # the unit converts to the selling unit, or is a count of pieces
            ev.gold_key(line, str(products[line.skus[0]].get("unit") or "each"))


@pytest.mark.parametrize(("gold", "expected"), [
    ("question", ev.Gold("question")),
    ("SOUR-W 2 ; CROISSANT 6 ; when 2026-11-28 morning",
     ev.Gold("order", (ev.GoldLine(("SOUR-W",), Decimal(2), ""),
                       ev.GoldLine(("CROISSANT",), Decimal(6), "")), "2026-11-28 morning")),
    ("MINCE-B 0.5 kg {lean} ; PORK-CHOP 4 each",
     ev.Gold("order", (ev.GoldLine(("MINCE-B",), Decimal("0.5"), "kg", frozenset({"lean"})),
                       ev.GoldLine(("PORK-CHOP",), Decimal(4), "each")))),
    ("VEG-BOX 1 {medium} !{mushrooms} ; when 2026-11-26T10:00",
     ev.Gold("order", (ev.GoldLine(("VEG-BOX",), Decimal(1), "", frozenset({"medium"}),
                                   frozenset({"mushrooms"})),), "2026-11-26T10:00")),
    ("?SOUR-W|SOUR-S 1", ev.Gold("order", (ev.GoldLine(("SOUR-W", "SOUR-S"), Decimal(1), ""),))),
])
def test_gold_syntax(gold: str, expected: ev.Gold) -> None:
    assert ev.parse_gold(gold) == expected


@pytest.mark.parametrize("bad", ["", "SOUR-W", "SOUR-W two", "when 2026-11-28",
                                 "SOUR-W 1 ; when tomorrow", "SOUR-W 1 ; when 2026-11-28 brunch",
                                 "?SOUR-W 1"])
def test_bad_gold_is_refused(bad: str) -> None:
    with pytest.raises(ev.GoldSyntaxError):
        ev.parse_gold(bad)


def test_gold_quantities_convert_with_the_evaluators_own_table() -> None:
    three_lb = ev.GoldLine(("STEW",), Decimal(3), "lb")
    assert ev.gold_key(three_lb, "kg")[1] == ("sell", Decimal("1.361"))
    assert ev.gold_key(ev.GoldLine(("P",), Decimal(200), "g"), "100g")[1] == ("sell", Decimal(2))
    assert ev.gold_key(ev.GoldLine(("P",), Decimal(4), "each"), "kg")[1] == ("count", Decimal(4))
    with pytest.raises(ev.GoldSyntaxError):
        ev.gold_key(ev.GoldLine(("P",), Decimal(4), "kg"), "m")


def test_a_time_matches_at_the_precision_the_gold_gives() -> None:
    at = {"at": "2026-11-28T09:00:00+00:00", "precision": "part_of_day"}
    assert ev.when_matches("2026-11-28 morning", at)
    assert not ev.when_matches("2026-11-28 evening", at)
    assert not ev.when_matches("2026-11-28", at)   # the gold gives a day, not a time
    assert not ev.when_matches(None, at)
    assert ev.when_matches(None, None)
    assert ev.when_matches("2026-11-28T09:00", {"at": "2026-11-28T09:00:00+00:00",
                                                "precision": "exact"})

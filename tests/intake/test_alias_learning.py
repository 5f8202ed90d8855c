"""Staff corrections become aliases, and the next message parses with them."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.intake.alias_learning import AliasRejected, learn_alias
from app.intake.order_parser import parse_order
from tests.intake.shop_catalog import shop_catalog

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))


def test_product_alias_strips_counts_and_sizes() -> None:
    cat = shop_catalog()
    learned = learn_alias("2 large margs", cat, sku="MARG")
    assert learned is not None and learned.alias == "margs"
    assert learned.to_dict() == {"alias": "margs", "sku": "MARG"}
    updated = cat.with_aliases([learned.to_dict()])
    (line,) = parse_order("3 small margs please", updated, NOW).lines
    assert (line.sku, line.quantity, line.size and line.size.option_id) == ("MARG", 3, "S")


def test_option_alias_strips_qualifier_and_product() -> None:
    cat = shop_catalog()
    learned = learn_alias("xtra shrooms pizza", cat, group_id="topping", option_id="MUSHROOM")
    assert learned is not None and learned.alias == "xtra shrooms"
    # "xtra" was unknown too, so it stays part of the alias: the shop's own spelling
    updated = cat.with_aliases([learned.to_dict()])
    (line,) = parse_order("a pizza with xtra shrooms", updated, NOW).lines
    assert [m.option_id for m in line.modifiers] == ["MUSHROOM"]


def test_nothing_to_learn_when_words_already_mean_the_choice() -> None:
    cat = shop_catalog()
    assert learn_alias("a large coke", cat, sku="COKE") is None
    assert learn_alias("two", cat, sku="COKE") is None


def test_misread_words_record_what_they_meant_before() -> None:
    cat = shop_catalog()
    learned = learn_alias("hamm", cat, group_id="topping", option_id="PEPPERONI")
    assert learned is not None and learned.alias == "hamm"
    assert learned.previously == ("option topping/HAM",)


@pytest.mark.parametrize("kwargs", [
    {"sku": "NOPE"}, {"group_id": "topping", "option_id": "NOPE"}, {},
    {"group_id": "topping"},
])
def test_unknown_targets_are_rejected(kwargs: dict[str, str]) -> None:
    with pytest.raises(AliasRejected):
        learn_alias("whatever", shop_catalog(), **kwargs)

"""IntakeCatalog built from plain dicts: validation, plurals, bare size words, aliases."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from app.intake.catalog_model import CatalogError, IntakeCatalog, Measure, parse_measure
from tests.intake.shop_catalog import shop_catalog, shop_catalog_dict


@pytest.mark.parametrize("data", [
    {"products": [{"name": "no sku"}]},
    {"products": [{"sku": "A"}, {"sku": "A"}]},
    {"products": [{"sku": "A", "option_groups": ["missing"]}]},
    {"option_groups": [{"id": "g", "role": "garnish"}]},
    {"option_groups": [{"id": "g", "options": [{"name": "no id"}]}]},
    {"option_groups": [{"id": "g"}, {"id": "g"}]},
    ["not", "a", "mapping"],
])
def test_malformed_catalogs_are_refused(data: Any) -> None:
    with pytest.raises(CatalogError):
        IntakeCatalog.from_dict(data)


def test_plurals_and_bare_size_words_are_indexed() -> None:
    cat = shop_catalog()
    assert cat.longest_match(["olives"], 0) is not None
    assert cat.longest_match(["croissants"], 0) is not None
    hit = cat.longest_match(["family", "pizza"], 0)  # from "family size"
    assert hit is not None and hit[1][0].option_id == "FAM"


def test_longest_match_prefers_the_longer_phrase() -> None:
    cat = shop_catalog()
    hit = cat.longest_match(["margherita", "pizza"], 0)
    assert hit is not None and hit[0] == 2 and hit[1][0].sku == "MARG"


def test_with_aliases_returns_a_new_catalog() -> None:
    cat = shop_catalog()
    learned = cat.with_aliases([{"alias": "marg", "sku": "MARG"},
                                {"alias": "chz", "group_id": "topping", "option_id": "CHEESE"}])
    assert learned.longest_match(["marg"], 0) is not None
    assert learned.longest_match(["chz"], 0) is not None
    assert cat.longest_match(["marg"], 0) is None  # the original is untouched
    assert shop_catalog_dict()["products"][1].get("aliases") == ["margherita pizza"]


@pytest.mark.parametrize(("text", "measure"), [
    ("2 l", Measure(Decimal(2), "l")), ("500 ml", Measure(Decimal("0.5"), "l")),
    ("16 oz", Measure(Decimal(16), "floz")), ("1.5 kg", Measure(Decimal("1.5"), "kg")),
    ("250 g", Measure(Decimal("0.25"), "kg")), ("2.5L", Measure(Decimal(2500), "ml")),
    ("6x50mm", Measure(Decimal(6), "mm", (Decimal(6), Decimal(50)))),
    ("4 x 40", Measure(Decimal(4), "", (Decimal(4), Decimal(40)))),
    ("12 inch", Measure(Decimal("30.48"), "cm")), ("13kg", Measure(Decimal(13000), "g")),
])
def test_parse_measure(text: str, measure: Measure) -> None:
    found = parse_measure(text)
    assert found is not None and found.same_as(measure)


def test_unreadable_measure_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    data = {"option_groups": [{"id": "g", "options": [{"id": "x", "measure": "a bucket"}]}]}
    cat = IntakeCatalog.from_dict(data)
    assert cat.measured_options == []
    assert "unreadable measure" in caplog.text

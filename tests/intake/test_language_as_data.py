"""Another language is data: a small German pack parses a German message unchanged code."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from zoneinfo import ZoneInfo

from app.intake.catalog_model import IntakeCatalog
from app.intake.language_en import ENGLISH
from app.intake.order_parser import parse_order

# Deliberately tiny: enough words to show the grammar is language-free.
GERMAN = dataclasses.replace(
    ENGLISH,
    code="de-test",
    units={"ein": 1, "eine": 1, "einen": 1, "zwei": 2, "drei": 3, "vier": 4},
    tens={"zwanzig": 20},
    articles=frozenset(),
    count_phrases={"ein paar": 2, "ein dutzend": 12},
    count_glue=frozenset({"von"}),
    qualifiers={"extra": "extra", "viel": "extra", "wenig": "light"},
    negations=frozenset({"ohne", "kein", "keine", "keinen", "nicht"}),
    positives=frozenset({"mit", "dazu"}),
    conjunctions=frozenset({"und", "oder", ","}),
    contrasts=frozenset({"aber"}),
    clause_breaks=frozenset({"bitte", "danke", "."}),
    stopwords=frozenset({"ich", "hätte", "gerne", "bitte", "zum", "um", "und", "mit", "ohne"}),
    pickup_phrases=frozenset({"abholen", "abholung", "zum abholen"}),
    delivery_phrases=frozenset({"liefern", "lieferung"}),
    relative_days={"heute": 0, "morgen": 1, "übermorgen": 2},
    weekdays={"montag": 0, "samstag": 5},
    clock_cues=frozenset({"um", "gegen", "bis"}),
    oclock_words=frozenset({"uhr"}),
    plural_forms=lambda word: [],
)

CATALOG = IntakeCatalog.from_dict({
    "option_groups": [
        {"id": "size", "role": "size", "options": [
            {"id": "L", "name": "groß", "aliases": ["große", "großen"]}]},
        {"id": "topping", "role": "modifier", "options": [
            {"id": "HAM", "name": "Schinken"}, {"id": "OLIVE", "name": "Oliven"},
            {"id": "CHEESE", "name": "Käse"}]},
    ],
    "products": [{"sku": "PIZZA", "name": "Pizza", "aliases": ["Pizzen"],
                  "option_groups": ["size", "topping"]}],
}, GERMAN)


def test_german_message() -> None:
    now = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
    order = parse_order("Ich hätte gerne zwei große Pizzen mit Schinken und extra Käse, "
                        "ohne Oliven. Morgen um 18 Uhr zum Abholen, danke!", CATALOG, now)
    (line,) = order.lines
    assert (line.sku, line.quantity, line.size and line.size.option_id) == ("PIZZA", 2, "L")
    assert [(m.option_id, m.qualifier) for m in line.modifiers] == [
        ("HAM", None), ("CHEESE", "extra")]
    assert [x.option_id for x in line.exclusions] == ["OLIVE"]
    assert order.fulfilment == "pickup"
    assert order.requested_time is not None
    assert order.requested_time.at == datetime(2026, 11, 24, 18, 0, tzinfo=now.tzinfo)

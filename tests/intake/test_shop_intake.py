"""Intake for any shop: weights and units, option measures, head nouns, packs, references
back, amendments, messages that are not orders, and nothing lost silently.

A small catalog of its own (a deli counter, a hardware shelf, a bakery case), with the
shape an owner types through ``product add``; the examples are not the dev sets'.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.engine.intake_bridge import catalog_dict
from app.intake.catalog_model import IntakeCatalog
from app.intake.draft_order import DraftLine, DraftOrder, IntakeContext
from app.intake.line_parts import PriorLine
from app.intake.order_parser import parse_order

NOW = datetime(2026, 11, 25, 9, 30, tzinfo=ZoneInfo("Europe/London"))  # a Wednesday
PRODUCTS = [
    {"sku": "STEAK", "name": "Braising steak", "price": "13", "unit": "kg"},
    {"sku": "HAM", "name": "Honey roast ham", "price": "3", "unit": "100g"},
    {"sku": "CHOPS", "name": "Lamb chops", "price": "18", "unit": "kg"},
    {"sku": "LEAD", "name": "Extension lead", "price": "8",
     "option_groups": {"Length": ["2m", "10m"]}},
    {"sku": "ROLLER", "name": "Paint roller", "price": "6"},
    {"sku": "PAINT", "name": "Masonry paint", "price": "20",
     "option_groups": {"Size": ["2.5L", "5L"]}},
    {"sku": "SCREW", "name": "Screws (box of 100)", "price": "4",
     "option_groups": {"Size": ["4x40mm", "6x50mm"]}},
    {"sku": "EGG6", "name": "Duck eggs, half dozen", "price": "3"},
    {"sku": "EGG12", "name": "Duck eggs, dozen", "price": "5.5"},
    {"sku": "BAP", "name": "Bread bap", "price": "0.5"},
    {"sku": "CROIS", "name": "Croissant", "price": "1.8"},
    {"sku": "CHOC-CROIS", "name": "Chocolate croissant", "price": "2.2"},
    {"sku": "BLOOMER", "name": "White bloomer", "price": "3"},
    {"sku": "COB", "name": "Granary bloomer", "price": "3.2"},
    {"sku": "ROLL", "name": "Sausage roll", "price": "2.4"},
]
CATALOG = IntakeCatalog.from_dict(catalog_dict(PRODUCTS, "GBP"))


def parse(text: str, context: IntakeContext | None = None) -> DraftOrder:
    return parse_order(text, CATALOG, NOW, context)


def only(text: str) -> DraftLine:
    (line,) = parse(text).lines
    return line


def options(line: DraftLine) -> list[str]:
    return [o.name for o in ([line.size] if line.size else []) + line.variants + line.modifiers]


# -- weights and units ---------------------------------------------------------------------

@pytest.mark.parametrize(("text", "quantity", "amount", "unit"), [
    ("3lb of braising steak", "1.361", "3", "lb"),
    ("half a kilo of braising steak", "0.5", "0.5", "kg"),
    ("a pound and a half of braising steak", "0.68", "1.5", "lb"),
    ("1/2 lb braising steak", "0.227", "0.5", "lb"),
    ("750g braising steak", "0.75", "750", "g"),
    ("braising steak, about 1.2kg", "1.2", "1.2", "kg"),
    ("250g honey roast ham", "2.5", "250", "g"),
    ("a quarter of honey roast ham", "1.134", "0.25", "lb"),
])
def test_amounts_convert_to_the_selling_unit_and_keep_the_customers_words(
        text: str, quantity: str, amount: str, unit: str) -> None:
    line = only(text)
    assert line.quantity == Decimal(quantity)
    assert (line.amount, line.amount_unit) == (Decimal(amount), unit)
    assert line.said and line.said.lower() in text.lower()


def test_a_count_of_something_sold_by_weight_stays_a_count_to_weigh() -> None:
    line = only("4 lamb chops please")
    assert line.quantity is None and (line.amount, line.amount_unit) == (Decimal(4), "")
    assert line.unit == "kg" and any("weigh" in n for n in line.notes)
    assert line.confidence < 0.7


def test_a_weight_for_something_sold_each_is_not_invented() -> None:
    line = only("2kg of croissants")
    assert line.quantity is None and any("sold by each" in n for n in line.notes)


# -- options written another way, head nouns, packs ------------------------------------------

@pytest.mark.parametrize(("text", "option"), [
    ("a 2.5 litre tin of masonry paint", "2.5L"), ("masonry paint 5 litres", "5L"),
    ("a box of 4 x 40 screws", "4x40mm"), ("6x50mm screws", "6x50mm"),
    ("a 10m extension lead", "10m"), ("10 metre lead", "10m"),
])
def test_options_match_by_their_measure(text: str, option: str) -> None:
    assert options(only(text)) == [option]


def test_a_head_noun_names_its_product_when_no_other_shares_it() -> None:
    assert only("a 10m lead").sku == "LEAD"
    assert only("2 rollers").sku == "ROLLER"


def test_a_shared_head_noun_is_left_to_staff_with_the_alternatives() -> None:
    line = only("2 bloomers please")
    assert line.sku is None and line.alternatives == ["BLOOMER", "COB"]
    assert line.confidence <= 0.3
    assert only("2 granary bloomers").sku == "COB"


@pytest.mark.parametrize(("text", "sku", "qty"), [
    ("a dozen duck eggs", "EGG12", "1"), ("6 duck eggs", "EGG6", "1"),
    ("2 boxes of 6 duck eggs", "EGG6", "2"), ("18 duck eggs", "EGG6", "3"),
])
def test_packs_named_in_the_product_pick_the_box(text: str, sku: str, qty: str) -> None:
    line = only(text)
    assert (line.sku, line.quantity) == (sku, Decimal(qty))


def test_a_pack_of_a_product_sold_each_counts_its_pieces() -> None:
    assert only("2 boxes of 6 bread baps").quantity == Decimal(12)
    assert only("a dozen bread baps").quantity == Decimal(12)
    line = only("3 trays of sausage rolls")
    assert (line.quantity, line.amount_unit) == (Decimal(3), "tray")
    assert line.confidence < 1.0  # how many in a tray is anyone's guess


def test_ones_refer_back_to_the_product_just_named() -> None:
    order = parse("2 chocolate croissants and 3 plain ones")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [
        ("CHOC-CROIS", Decimal(2)), ("CROIS", Decimal(3))]


# -- the usual, amendments ---------------------------------------------------------------------

LAST = (PriorLine(sku="CROIS", amount=Decimal(4)),
        PriorLine(sku="STEAK", amount=Decimal(1), amount_unit="kg"))


def test_the_usual_is_the_customers_last_order() -> None:
    order = parse("the usual for friday please", IntakeContext(last_order=LAST))
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [
        ("CROIS", Decimal(4)), ("STEAK", Decimal(1))]
    assert order.requested_time is not None and order.requested_time.at.day == 27


def test_the_usual_without_a_last_order_says_so() -> None:
    order = parse("the usual please")
    assert not order.lines and any("usual" in n for n in order.notes)


@pytest.mark.parametrize(("text", "expected"), [
    ("3 croissants, actually make that 5", [("CROIS", "5")]),
    ("500g braising steak and 2 croissants, swap the 500g for a kilo",
     [("STEAK", "1"), ("CROIS", "2")]),
    ("2 croissants and a sausage roll, forget the croissants", [("ROLL", "1")]),
    ("a 2m extension lead, sorry make the lead a 10m one", [("LEAD", "1")]),
])
def test_the_latest_word_wins_within_a_message(text: str, expected: list[tuple[str, str]]
                                                ) -> None:
    order = parse(text)
    assert [(ln.sku, str(ln.quantity)) for ln in order.lines] == expected
    if "10m" in text:
        assert options(order.lines[0]) == ["10m"]


def test_a_second_message_changes_the_open_draft_and_says_how() -> None:
    first = parse("2 croissants and 500g braising steak for saturday")
    previous = tuple(p for p in (PriorLine.from_json(dict(ln.to_json(), line_id=f"ln{i}"))
                                 for i, ln in enumerate(first.lines)) if p is not None)
    second = parse("can you make the steak a kilo, and forget the croissants",
                   IntakeContext(previous=previous, previous_time=first.requested_time))
    assert second.kind == "amendment"
    assert [(ln.sku, str(ln.quantity), ln.line_id) for ln in second.lines] == [
        ("STEAK", "1", "ln1")]
    assert [ln.sku for ln in second.removed] == ["CROIS"]
    assert {c["change"] for c in second.changes} == {"quantity", "remove"}
    assert second.requested_time == first.requested_time  # still for saturday


# -- not orders ----------------------------------------------------------------------------

@pytest.mark.parametrize(("text", "kind"), [
    ("what do you charge for the honey roast ham?", "question"),
    ("do you have any duck eggs this week?", "question"),
    ("I brought the extension lead back yesterday", "past"),
    ("the croissants were lovely, thank you", "past"),
    ("Evening all", "chatter"),
    ("Thanks so much!", "chatter"),
])
def test_questions_past_events_and_chatter_order_nothing(text: str, kind: str) -> None:
    order = parse(text)
    assert not order.lines and order.kind == kind and order.requested_time is None
    assert order.leftover and order.leftover[0].reason == kind


def test_a_question_with_a_count_of_stock_is_a_request() -> None:
    assert only("have you got 2 white bloomers for tomorrow?").sku == "BLOOMER"


def test_if_so_orders_what_the_question_asked_about() -> None:
    order = parse("Do you still do the chocolate croissants? If so I'll have three")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("CHOC-CROIS", Decimal(3))]


def test_a_greeting_is_no_time_and_a_date_is_no_count() -> None:
    order = parse("Morning! 2 croissants for sat 28th")
    assert [(ln.sku, ln.quantity) for ln in order.lines] == [("CROIS", Decimal(2))]
    assert order.requested_time is not None
    assert (order.requested_time.at.day, order.requested_time.precision) == (28, "day")


def test_put_aside_trays_is_not_a_time() -> None:
    order = parse("could you put aside 3 trays of sausage rolls")
    assert order.requested_time is None


# -- nothing lost silently ------------------------------------------------------------------

def test_an_exclusion_the_catalog_does_not_know_becomes_a_note() -> None:
    line = only("a sausage roll, no mustard")
    assert line.unknown_exclusions == ["mustard"]
    assert any("mustard" in n for n in line.notes)


def test_every_unused_stretch_is_shown_and_lowers_confidence() -> None:
    clean = parse("2 croissants please")
    messy = parse("2 croissants please and a frobnicator with zorbles")
    assert clean.confidence > messy.confidence
    assert any("frobnicator" in x.text for x in messy.leftover)
    assert messy.unparsed


def test_a_pasted_message_repeating_one_phrase_is_one_line_and_no_draft() -> None:
    text = " ".join(["2 croissants"] * 80)
    order = parse(text)
    assert len(order.lines) == 1 and order.confidence < 0.5
    assert any("80 times" in n for n in order.lines[0].notes)


def test_a_sign_off_is_not_part_of_the_address() -> None:
    order = parse("2 croissants, deliver to 12 Mill Lane. Cheers, Dave")
    assert order.address == "12 Mill Lane"

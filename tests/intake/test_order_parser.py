"""parse_order on a small made-up shop: items, counts, units, negation, time, address, budget."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from app.intake.order_parser import DraftLine, DraftOrder, parse_order
from tests.intake.shop_catalog import shop_catalog

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))  # Monday
CATALOG = shop_catalog()


def parse(text: str) -> DraftOrder:
    return parse_order(text, CATALOG, NOW)


def summary(line: DraftLine) -> tuple[object, ...]:
    return (line.sku, str(line.quantity), line.size.option_id if line.size else None,
            tuple(v.option_id for v in line.variants),
            tuple((m.option_id, m.qualifier) for m in line.modifiers),
            tuple(x.option_id for x in line.exclusions))


def lines(text: str) -> list[tuple[object, ...]]:
    return [summary(line) for line in parse(text).lines]


# -- counts and multiple items ------------------------------------------------------------

@pytest.mark.parametrize(("text", "expected"), [
    ("two dozen croissants and a couple of cokes",
     [("CROISSANT", "24", None, (), (), ()), ("COKE", "2", None, (), (), ())]),
    ("3x margherita, 2 x large pizza",
     [("MARG", "3", None, (), (), ()), ("PIZZA", "2", "L", (), (), ())]),
    ("pepperoni pizza x2", [("PIZZA", "2", None, (), (("PEPPERONI", None),), ())]),
    ("a dozen eggs", [("EGG", "12", None, (), (), ())]),
    ("half a dozen free-range eggs", [("EGG", "6", None, (), (), ())]),
    ("2 med pizzas", [("PIZZA", "2", "M", (), (), ())]),
    ("a family pizza", [("PIZZA", "1", "FAM", (), (), ())]),
    ("one large two topping pizza with ham and olives",
     [("PIZZA", "1", "L", (), (("HAM", None), ("OLIVE", None)), ())]),
])
def test_counts(text: str, expected: list[tuple[object, ...]]) -> None:
    assert lines(text) == expected


def test_several_items_each_with_their_own_attributes() -> None:
    assert lines("a large ham pizza, two small pizzas with olives and a margherita and 3 cokes") \
        == [("PIZZA", "1", "L", (), (("HAM", None),), ()),
            ("PIZZA", "2", "S", (), (("OLIVE", None),), ()),
            ("MARG", "1", None, (), (), ()),
            ("COKE", "3", None, (), (), ())]


def test_options_before_a_second_noun_start_a_second_item() -> None:
    assert lines("a pepperoni pizza and ham pizza") == [
        ("PIZZA", "1", None, (), (("PEPPERONI", None),), ()),
        ("PIZZA", "1", None, (), (("HAM", None),), ())]


def test_a_second_article_for_an_option_is_the_same_item() -> None:
    assert lines("a pie with mushrooms and a thin crust") == [
        ("PIZZA", "1", None, ("THIN",), (("MUSHROOM", None),), ())]


def test_partitive_split() -> None:
    assert lines("three medium pizzas, one with ham, one with olives and one with onions") == [
        ("PIZZA", "1", "M", (), (("ONION", None),), ()),
        ("PIZZA", "1", "M", (), (("HAM", None),), ()),
        ("PIZZA", "1", "M", (), (("OLIVE", None),), ())]


@pytest.mark.parametrize(("text", "expected"), [
    ("two pizzas, one ham and one mushroom",
     [("PIZZA", "1", None, (), (("MUSHROOM", None),), ()),
      ("PIZZA", "1", None, (), (("HAM", None),), ())]),
    ("two large pizzas, one with olives, the other with ham",
     [("PIZZA", "1", "L", (), (("HAM", None),), ()),
      ("PIZZA", "1", "L", (), (("OLIVE", None),), ())]),
    ("one pizza with ham and another with olives",
     [("PIZZA", "1", None, (), (("HAM", None),), ()),
      ("PIZZA", "1", None, (), (("OLIVE", None),), ())]),
    ("two pizzas with ham and one with olives",  # parallel, not partitive: three pizzas
     [("PIZZA", "2", None, (), (("HAM", None),), ()),
      ("PIZZA", "1", None, (), (("OLIVE", None),), ())]),
    ("large pizzas with ham, three of them please",
     [("PIZZA", "3", "L", (), (("HAM", None),), ())]),
    ("three medium pizzas and two large",
     [("PIZZA", "3", "M", (), (), ()), ("PIZZA", "2", "L", (), (), ())]),
])
def test_some_of_them(text: str, expected: list[tuple[object, ...]]) -> None:
    assert lines(text) == expected


def test_one_as_a_pronoun_is_a_new_item() -> None:
    assert lines("a large pizza with ham and also a large one with olives") == [
        ("PIZZA", "1", "L", (), (("HAM", None),), ()),
        ("PIZZA", "1", "L", (), (("OLIVE", None),), ())]


def test_apposition_splits_even_after_attributes() -> None:
    # no "and" before "one": one of the two, not a third pizza
    assert lines("two large pizzas with ham, one without onions") == [
        ("PIZZA", "1", "L", (), (("HAM", None),), ()),
        ("PIZZA", "1", "L", (), (("HAM", None),), ("ONION",))]


def test_both_and_all_apply_to_every_item() -> None:
    assert lines("two large pizzas and a medium pizza, all with olives") == [
        ("PIZZA", "2", "L", (), (("OLIVE", None),), ()),
        ("PIZZA", "1", "M", (), (("OLIVE", None),), ())]
    # without the distributive word only the last item gets them
    assert lines("two large pizzas and a medium pizza with olives") == [
        ("PIZZA", "2", "L", (), (), ()), ("PIZZA", "1", "M", (), (("OLIVE", None),), ())]


def test_instead_of_excludes() -> None:
    assert lines("a margherita with ham instead of olives") == [
        ("MARG", "1", None, (), (("HAM", None),), ("OLIVE",))]


def test_measure_before_of_belongs_to_the_next_noun() -> None:
    assert lines("a large ham pizza and 1.5 litres of coke") == [
        ("PIZZA", "1", "L", (), (("HAM", None),), ()), ("COKE", "1", None, ("BOTTLE",), (), ())]


def test_variant_named_without_its_head_word() -> None:
    # "thin crust" is in the catalog; people write "a thin pizza"
    assert lines("a thin pizza with ham") == [("PIZZA", "1", None, ("THIN",), (("HAM", None),),
                                                 ())]
    assert lines("a stuffed pie") == [("PIZZA", "1", None, ("STUFFED",), (), ())]


def test_implicit_product_from_options() -> None:
    order = parse("a large ham and pineapple on thin crust")
    assert [summary(line) for line in order.lines] == [
        ("PIZZA", "1", "L", ("THIN",), (("HAM", None), ("PINEAPPLE", None)), ())]
    assert order.lines[0].implicit_product
    assert order.lines[0].confidence < 1.0


# -- units -----------------------------------------------------------------------------------

def test_weight_converted_to_the_products_unit() -> None:
    (line,) = parse("500 g of comte").lines
    assert line.sku == "COMTE" and line.unit == "kg" and line.quantity == Decimal("0.5")
    (line,) = parse("2 kg comte cheese").lines
    assert line.quantity == Decimal(2)


@pytest.mark.parametrize("text", ["a 1.5 l coke", "1.5 litre coca-cola", "coke 1,5l"])
def test_volume_picks_the_variant_with_that_measure(text: str) -> None:
    assert lines(text) == [("COKE", "1", None, ("BOTTLE",), (), ())]


# -- negation and qualifiers -------------------------------------------------------------

@pytest.mark.parametrize(("text", "mods", "excl"), [
    ("large pizza with ham but no olives", (("HAM", None),), ("OLIVE",)),
    ("a pizza with no ham and extra cheese", (("CHEESE", "extra"),), ("HAM",)),
    ("pizza without onions or olives", (), ("ONION", "OLIVE")),
    ("pizza with no onion please oh and mushrooms", (("MUSHROOM", None),), ("ONION",)),
    ("a pizza hold the ham, light on the cheese", (("CHEESE", "light"),), ("HAM",)),
    ("a ham pizza but not too much cheese", (("HAM", None), ("CHEESE", "light")), ()),
    ("pizza with extra ham and onions", (("HAM", "extra"), ("ONION", None)), ()),
    ("pizza with double cheese, don't put any olives on it", (("CHEESE", "double"),),
     ("OLIVE",)),
    ("a ham pizza without the extra cheese", (("HAM", None),), ("CHEESE",)),
])
def test_negation_scope_and_qualifiers(text: str, mods: tuple[object, ...],
                                       excl: tuple[str, ...]) -> None:
    (line,) = parse(text).lines
    assert tuple((m.option_id, m.qualifier) for m in line.modifiers) == mods
    assert tuple(x.option_id for x in line.exclusions) == excl


@pytest.mark.parametrize(("text", "mods", "excl", "variants"), [
    ("a large pizza with ham but not a thin crust", (("HAM", None),), ("THIN",), ()),
    ("a pizza with zero onions and extra ham", (("HAM", "extra"),), ("ONION",), ()),
    ("i'm allergic to mushrooms, so a pizza with olives", (("OLIVE", None),), ("MUSHROOM",),
     ()),
    ("a pizza, i hate olives, with ham on a thin crust", (("HAM", None),), ("OLIVE",),
     ("THIN",)),
])
def test_more_ways_to_say_no(text: str, mods: tuple[object, ...], excl: tuple[str, ...],
                             variants: tuple[str, ...]) -> None:
    (line,) = parse(text).lines
    assert tuple((m.option_id, m.qualifier) for m in line.modifiers) == mods
    assert tuple(x.option_id for x in line.exclusions) == excl
    assert tuple(v.option_id for v in line.variants) == variants


def test_negated_qualified_option_keeps_its_qualifier() -> None:
    (line,) = parse("a pizza with ham and no extra cheese").lines
    assert [(x.option_id, x.qualifier) for x in line.exclusions] == [("CHEESE", "extra")]


def test_negated_variant() -> None:
    assert lines("a large pie but not thin crust") == [("PIZZA", "1", "L", (), (), ("THIN",))]
    (line,) = parse("a large pie but not thin crust").lines
    assert [x.option_id for x in line.exclusions] == ["THIN"]


def test_negated_product_is_not_ordered() -> None:
    assert lines("a margherita, no coke") == [("MARG", "1", None, (), (), ())]


# -- catalog words that are also English -------------------------------------------------

def test_stopword_alias_needs_context() -> None:
    assert lines("can i get a coke") == [("COKE", "1", None, (), (), ())]
    assert lines("a coke can") == [("COKE", "1", None, ("CAN",), (), ())]


def test_typos_match_with_lower_confidence() -> None:
    (line,) = parse("a pizza with peperoni and mushroms").lines
    assert [m.option_id for m in line.modifiers] == ["PEPPERONI", "MUSHROOM"]
    assert 0.7 < line.confidence < 1.0


# -- time, fulfilment, address, budget ------------------------------------------------------

def test_time_is_not_a_quantity() -> None:
    order = parse("2 pizzas at 7")
    assert [summary(line) for line in order.lines] == [("PIZZA", "2", None, (), (), ())]
    assert order.requested_time is not None
    assert order.requested_time.at == datetime(2026, 11, 23, 19, 0, tzinfo=NOW.tzinfo)


def test_delivery_with_address_and_time() -> None:
    order = parse("please deliver to 12 Baker Street at 7, 2 pizzas")
    assert order.fulfilment == "delivery"
    assert order.address == "12 Baker Street"
    assert order.requested_time is not None and order.requested_time.at.hour == 19
    assert [summary(line) for line in order.lines] == [("PIZZA", "2", None, (), (), ())]


def test_address_without_cue_needs_a_street_word() -> None:
    order = parse("12 Main St, 3 pizzas")
    assert order.address == "12 Main St" and order.fulfilment == "delivery"
    assert [line.quantity for line in order.lines] == [Decimal(3)]
    assert parse("12 pizzas").address is None


def test_pickup() -> None:
    order = parse("I'll pick it up at 6, a large ham pizza")
    assert order.fulfilment == "pickup"
    assert order.address is None
    assert order.requested_time is not None and order.requested_time.at.hour == 18
    assert lines("I'll pick it up at 6, a large ham pizza") == [
        ("PIZZA", "1", "L", (), (("HAM", None),), ())]


@pytest.mark.parametrize(("text", "amount", "currency"), [
    ("a pizza under 50", "50", "EUR"),
    ("a pizza, no more than $30", "30", "USD"),
    ("budget is 25.50 euros, surprise me", "25.50", "EUR"),
    ("max £20 for 2 pizzas", "20", "GBP"),
])
def test_budget(text: str, amount: str, currency: str) -> None:
    order = parse(text)
    assert order.budget is not None
    assert (order.budget.amount, order.budget.currency) == (Decimal(amount), currency)
    assert order.budget.minor_units == int(Decimal(amount) * 100)


def test_count_after_budget_words_is_not_money() -> None:
    order = parse("up to 3 pizzas please")
    assert order.budget is None
    assert [line.quantity for line in order.lines] == [Decimal(3)]


# -- result shape ---------------------------------------------------------------------------------

def test_to_json_is_plain_json() -> None:
    order = parse("Big margherita w/ extra mozzarella & no onions for Saturday 5pm, "
                  "deliver to 4 Elm Road, under 40")
    data = json.loads(json.dumps(order.to_json()))
    (line,) = data["lines"]
    assert line["sku"] == "MARG" and line["quantity"] == "1"
    assert line["size"]["option"] == "L"
    assert [m["option"] for m in line["modifiers"]] == ["CHEESE"]
    assert line["modifiers"][0]["qualifier"] == "extra"
    assert [x["option"] for x in line["exclusions"]] == ["ONION"]
    assert data["requested_time"]["at"] == "2026-11-28T17:00:00+01:00"
    assert data["fulfilment"] == "delivery" and data["address"] == "4 Elm Road"
    assert data["budget"] == {"amount": "40", "currency": "EUR", "minor_units": 4000,
                              "text": "under 40"}
    text = order.text
    assert text[line["span"][0]:line["span"][1]] == line["text"]
    assert line["text"].startswith("Big margherita")


def test_empty_and_unrelated_messages() -> None:
    for text in ("", "   ", "hello, are you open on sunday?", "!!!"):
        order = parse(text)
        assert order.lines == [] and order.confidence == 0.0


def test_confidence_orders_exact_above_guesses() -> None:
    exact = parse("a large ham pizza").confidence
    fuzzy = parse("a large hamm pizza with peperoni").confidence
    unknown_words = parse("a large ham pizza with zorblax and quux frobnitz").confidence
    assert exact == 1.0
    assert fuzzy < exact and unknown_words < exact
    assert parse("a large ham pizza with zorblax").unparsed == ["zorblax"]


def test_common_words_are_not_abbreviations() -> None:
    from app.intake.catalog_model import IntakeCatalog
    cat = IntakeCatalog.from_dict({"products": [
        {"sku": "PICKLES", "name": "pickles"}, {"sku": "CARAMEL", "name": "caramel"}]})
    # "pick" and "care" start catalog words; they must not become items
    assert parse_order("could you pick a good one for me, i don't care", cat, NOW).lines == []
    # while a real abbreviation still does
    assert [line.sku for line in parse_order("2 caram please", cat, NOW).lines] == ["CARAMEL"]


def test_unknown_word_inside_an_item_lowers_that_item() -> None:
    order = parse("three large zorblax pizzas and a coke")
    pizza, coke = order.lines
    assert pizza.confidence < 1.0 and "unknown word 'zorblax'" in pizza.notes
    assert coke.confidence == 1.0


def test_long_message_is_truncated_not_refused() -> None:
    order = parse("a ham pizza " * 1000)
    assert order.lines and len(order.text) == 4000


# -- real-life message shapes -------------------------------------------------------------------

def test_sms_with_abbreviations() -> None:
    order = parse("Hey! 2x marg, 1x pizza ham+pineapple, 2 cokes, 1 w/o onions")
    assert [summary(line) for line in order.lines] == [
        ("MARG", "2", None, (), (), ()),
        ("PIZZA", "1", None, (), (("HAM", None), ("PINEAPPLE", None)), ()),
        ("COKE", "2", None, (), (), ()),
        ("PIZZA", "1", None, (), (), ("ONION",))]
    assert order.lines[0].confidence < 1.0  # "marg" was an abbreviation, not an alias


def test_phone_numbers_are_not_counts() -> None:
    order = parse("6 eggs please. Call me on 0176 1234567 or +49 (30) 123-4567")
    assert [summary(line) for line in order.lines] == [("EGG", "6", None, (), (), ())]


def test_delivery_address_by_street_pattern_keeps_the_time() -> None:
    order = parse("pls deliver 3 large pizzas to 221B Baker St by 7pm")
    assert order.address == "221B Baker St"
    assert order.fulfilment == "delivery"
    assert order.requested_time is not None and order.requested_time.at.hour == 19
    assert [line.quantity for line in order.lines] == [Decimal(3)]


def test_email_order_with_list_and_address_block() -> None:
    order = parse("Hello,\nI would like to order the following for delivery on Friday evening:\n"
                  "- 2 x large pizza with mushrooms\n- 1 x margherita, thin crust\n"
                  "- 3 cans of coke\nAddress: Hauptstraße 12, 10115 Berlin\nBest regards,\nMax")
    assert [summary(line) for line in order.lines] == [
        ("PIZZA", "2", "L", (), (("MUSHROOM", None),), ()),
        ("MARG", "1", None, ("THIN",), (), ()),
        ("COKE", "3", None, ("CAN",), (), ())]
    assert order.address == "Hauptstraße 12, 10115 Berlin"
    assert order.fulfilment == "delivery"
    assert order.requested_time is not None
    assert order.requested_time.at == datetime(2026, 11, 27, 18, 0, tzinfo=NOW.tzinfo)


def test_pickup_with_weekday_and_hour() -> None:
    order = parse("Order for Saturday: 4 croissants, 2 margheritas – I'll collect around 11")
    assert order.fulfilment == "pickup"
    assert order.requested_time is not None
    assert order.requested_time.at == datetime(2026, 11, 28, 11, 0, tzinfo=NOW.tzinfo)
    assert order.requested_time.text == "for Saturday around 11"

"""Money in minor units, quantities as decimals, phone numbers as E.164."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.errors import CommandRejected
from sync.money import format_money, line_total, milli, parse_money, parse_quantity, qty_str
from sync.phones import normalise_phone, try_normalise_phone


@pytest.mark.parametrize("text, currency, minor", [
    ("2.50", "EUR", 250), (" 2,5 ", "EUR", 250), ("0", "EUR", 0), ("-1.20", "EUR", -120),
    ("1e2", "GBP", 10000), ("100", "JPY", 100), ("1.234", "KWD", 1234), (Decimal("3.1"), "EUR", 310),
    (2.5, "EUR", 250),
])
def test_parse_money(text: object, currency: str, minor: int) -> None:
    assert parse_money(text, currency) == minor  # type: ignore[arg-type]


@pytest.mark.parametrize("text, currency, message", [
    ("1.234", "EUR", "1.234 has more decimals than EUR allows"),
    ("1.5", "JPY", "1.5 has more decimals than JPY allows"),
    ("abc", "EUR", "'abc' is not an amount of money"),
    ("", "EUR", "'' is not an amount of money"),
    ("NaN", "EUR", "'NaN' is not an amount of money"),
    ("Infinity", "EUR", "'Infinity' is not an amount of money"),
    ("1,000.50", "EUR", "'1,000.50' is not an amount of money"),
])
def test_parse_money_refuses(text: str, currency: str, message: str) -> None:
    with pytest.raises(CommandRejected) as err:
        parse_money(text, currency)
    assert str(err.value) == message


def test_format_money() -> None:
    assert format_money(250, "EUR") == "2.50"
    assert format_money(-5, "EUR") == "-0.05"
    assert format_money(1500, "JPY") == "1500"
    assert format_money(1234, "BHD") == "1.234"


@pytest.mark.parametrize("text, qty", [("2", Decimal(2)), ("0.75", Decimal("0.75")),
                                       ("1,5", Decimal("1.5")), ("10", Decimal(10)),
                                       (3, Decimal(3))])
def test_parse_quantity(text: object, qty: Decimal) -> None:
    assert parse_quantity(text) == qty  # type: ignore[arg-type]


@pytest.mark.parametrize("text, message", [
    ("0", "quantity must be more than zero, not 0"), ("-1", "more than zero"),
    ("x", "'x' is not a quantity"), ("NaN", "more than zero"), ("2e6", "implausibly large"),
])
def test_parse_quantity_refuses(text: str, message: str) -> None:
    with pytest.raises(CommandRejected, match=message):
        parse_quantity(text)


def test_quantity_text_and_arithmetic() -> None:
    assert qty_str(parse_quantity("10")) == "10"
    assert qty_str(Decimal("2.500")) == "2.5"
    assert line_total(Decimal("0.75"), 310) == 232  # 232.5 rounds half to even
    assert line_total(Decimal("1.5"), 310) == 465
    assert milli(Decimal("0.125")) == 125 and milli(Decimal(-3)) == -3000


@pytest.mark.parametrize("text, region, e164", [
    ("07700 900123", "GB", "+447700900123"), ("+44 7700 900123", "DE", "+447700900123"),
    ("(202) 555-0100", "US", "+12025550100"), ("030 1234567", "de", "+49301234567"),
])
def test_normalise_phone(text: str, region: str, e164: str) -> None:
    assert normalise_phone(text, region) == e164


@pytest.mark.parametrize("text, message", [("", "phone number is empty"),
                                           ("call me", "'call me' is not a phone number"),
                                           ("12", "not a possible phone number")])
def test_normalise_phone_refuses(text: str, message: str) -> None:
    with pytest.raises(CommandRejected, match=message):
        normalise_phone(text, "GB")


def test_device_numbers_are_kept_when_not_a_number() -> None:
    assert try_normalise_phone("07700900123", "GB") == "+447700900123"
    assert try_normalise_phone("PRIVATE", "GB") == "PRIVATE"
    assert try_normalise_phone("", "GB") is None and try_normalise_phone(None, "GB") is None

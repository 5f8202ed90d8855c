"""sync.units: exact conversions by definition, counts kept apart from weights."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync import units


@pytest.mark.parametrize(("amount", "frm", "to", "expected"), [
    ("3", "lb", "kg", "1.36077711"),
    ("0.5", "kg", "g", "500"),
    ("250", "g", "100g", "2.5"),
    ("1", "lb", "100g", "4.5359237"),
    ("2.5", "l", "ml", "2500"),
    ("1", "pt", "ml", "568.26125"),
    ("10", "m", "mm", "10000"),
    ("4", "in", "mm", "101.6"),
    ("1", "dozen", "each", "12"),
    ("3", "each", "bunch", "3"),
    ("8", "oz", "g", "226.7961850"),
])
def test_conversions_are_exact(amount: str, frm: str, to: str, expected: str) -> None:
    assert units.convert(Decimal(amount), frm, to) == Decimal(expected)


@pytest.mark.parametrize(("frm", "to"), [("each", "kg"), ("kg", "l"), ("m", "g"),
                                         ("tray", "kg")])
def test_no_conversion_across_dimensions(frm: str, to: str) -> None:
    assert units.convert(Decimal(4), frm, to) is None


@pytest.mark.parametrize(("typed", "code", "dimension"), [
    ("kg", "kg", "mass"), ("Kilo", "kg", "mass"), ("100g", "100g", "mass"),
    ("per 100 g", "100g", "mass"), ("500ml", "500ml", "volume"), ("", "each", "count"),
    ("stem", "stem", "count"), ("Punnet", "punnet", "count"), ("metre", "m", "length"),
])
def test_units_owners_type(typed: str, code: str, dimension: str) -> None:
    u = units.unit(typed)
    assert (u.code, u.dimension) == (code, dimension)


def test_odd_unit_text_never_raises() -> None:
    for text in ("0g", "-5kg", "1e9999 kg", "💐", "x" * 500, "3.5.5 l"):
        assert units.unit(text).dimension in {"mass", "volume", "length", "count"}


def test_stored_rounds_to_thousandths() -> None:
    assert units.stored(Decimal("1.36077711")) == Decimal("1.361")
    assert str(units.stored(Decimal("10.0000"))) == "10"

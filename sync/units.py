"""Selling units and exact conversions between them: mass, volume, length, counts.

A product is sold by a unit an owner types ("each", "kg", "100g", "m", "stem",
"punnet"); a customer asks in another ("3 lb", "half a kilo", "750 g"). This table turns
one into the other with ``Decimal`` arithmetic and the legal definitions (1 lb =
0.45359237 kg, 1 in = 25.4 mm, 1 imperial pint = 568.26125 ml), so "3 lb" of a product
sold by the kg is exactly 1.36077711 kg, rounded once, where it is stored.

Why a table and not ``pint``: the shop needs about twenty units, all of them fixed by
definition; ``pint`` works in floats unless told otherwise, brings a registry parsed at
import (the engine starts on every till), and its unit names are not the customer's
words anyway ("kilo", "a pound and a half", "quarter" live in the intake language pack).
Twenty exact rows can be read and checked in a minute.

Count-like units (each, stem, bunch, tray, box...) are their own dimension: a count
converts to a count (a "dozen" is 12 each), never to a weight. "oz" is the avoirdupois
ounce; the imperial fluid ounce is "floz" (UK shops; US recipes are not our customers).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

MASS, VOLUME, LENGTH, COUNT = "mass", "volume", "length", "count"


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: its code, what it measures and how many base units (g, ml, mm, pieces)
    one of it holds."""

    code: str
    dimension: str
    factor: Decimal

    @property
    def measured(self) -> bool:
        return self.dimension != COUNT


_D = Decimal
_TABLE: dict[str, Unit] = {u.code: u for u in (
    Unit("mg", MASS, _D("0.001")), Unit("g", MASS, _D(1)), Unit("kg", MASS, _D(1000)),
    Unit("oz", MASS, _D("28.349523125")), Unit("lb", MASS, _D("453.59237")),
    Unit("st", MASS, _D("6350.29318")),
    Unit("ml", VOLUME, _D(1)), Unit("cl", VOLUME, _D(10)), Unit("l", VOLUME, _D(1000)),
    Unit("floz", VOLUME, _D("28.4130625")), Unit("pt", VOLUME, _D("568.26125")),
    Unit("gal", VOLUME, _D("4546.09")),
    Unit("mm", LENGTH, _D(1)), Unit("cm", LENGTH, _D(10)), Unit("m", LENGTH, _D(1000)),
    Unit("in", LENGTH, _D("25.4")), Unit("ft", LENGTH, _D("304.8")),
    Unit("yd", LENGTH, _D("914.4")),
    Unit("each", COUNT, _D(1)), Unit("dozen", COUNT, _D(12)),
)}
#: spellings owners type for the same units (product add --unit)
_SPELLINGS = {
    "kgs": "kg", "kilo": "kg", "kilos": "kg", "kilogram": "kg", "kilograms": "kg",
    "gram": "g", "grams": "g", "gr": "g", "lbs": "lb", "pound": "lb", "pounds": "lb",
    "ounce": "oz", "ounces": "oz", "litre": "l", "litres": "l", "liter": "l", "liters": "l",
    "ltr": "l", "millilitre": "ml", "milliliter": "ml", "pint": "pt", "pints": "pt",
    "fl oz": "floz", "metre": "m", "metres": "m", "meter": "m", "meters": "m", "mtr": "m",
    "centimetre": "cm", "millimetre": "mm", "inch": "in", "inches": "in", "foot": "ft",
    "feet": "ft", "yard": "yd", "yards": "yd", "ea": "each", "pc": "each", "pcs": "each",
    "piece": "each", "pieces": "each", "unit": "each", "item": "each", "": "each",
}
_MULTIPLE = re.compile(r"^(\d+(?:\.\d+)?)\s*([a-z ]+)$")
#: stored quantities keep thousandths (stock counts milli-units, sync.money.milli)
STORED = Decimal("0.001")


def unit(text: str) -> Unit:
    """The unit an owner typed: a known code or spelling, a multiple ("100g", "500 ml"),
    or any other word as a count-like unit of its own ("stem", "punnet", "bag")."""
    key = " ".join(str(text or "").lower().replace("per ", "").split())
    key = _SPELLINGS.get(key, key)
    found = _TABLE.get(key)
    if found is not None:
        return found
    m = _MULTIPLE.match(key)
    if m is not None:
        base = _TABLE.get(_SPELLINGS.get(m.group(2).strip(), m.group(2).strip()))
        amount = Decimal(m.group(1))
        if base is not None and amount > 0:
            return Unit(key.replace(" ", ""), base.dimension, base.factor * amount)
    return Unit(key, COUNT, Decimal(1))


def known(code: str) -> bool:
    """Is ``code`` one of the table's units (or a multiple of one)?"""
    return unit(code).measured or code in _TABLE


def convert(amount: Decimal, from_unit: str, to_unit: str) -> Decimal | None:
    """``amount`` of ``from_unit`` in ``to_unit``, exactly; None across dimensions.

    A plain count ("each", or a unit word the table does not know) converts one to one
    into another count-like unit: "3" of a product sold by the bunch is 3 bunches.
    """
    a, b = unit(from_unit), unit(to_unit)
    if a.dimension != b.dimension:
        return None
    return amount * a.factor / b.factor


def stored(amount: Decimal) -> Decimal:
    """``amount`` rounded the way a ledger line keeps it (thousandths, half to even)."""
    q = amount.quantize(STORED, rounding=ROUND_HALF_EVEN)
    return q.to_integral_value() if q == q.to_integral_value() else q

"""Amounts with units, the way customers write them, and measures on catalog options.

An *amount* is what a customer asks for: "3lb", "half a kilo", "a pound and a half",
"1/2 lb", "750g", "a quarter" (of a pound, at a deli counter), "2 boxes of 6", "8
rashers", "3 trays". It keeps the customer's unit (a ``sync.units`` code, a pack word
such as "tray", or nothing for a plain count) and, for packs, how many each holds.
:func:`selling_quantity` turns it into the product's selling unit, exactly, or says it
cannot ("4 pork chops" of a product sold by the kg is a count to weigh, not 4 kg).

A *measure* is what an option is ("2.5L", "750ml", "13kg", "10m", "6x50mm", "4 inch"):
read from the option's name or its ``measure``, compared by value, so "2.5 litre",
"2500ml" and "2.5L" are the same option, and "4 x 40" finds "4x40mm". Words for units
come from the language pack (``measure_units``: word -> unit code); conversions from
:mod:`sync.units`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.intake.language_pack import LanguagePack
from app.intake.number_words import NumberReading, read_number
from sync import units

#: an ounce is both a weight and a fluid measure: the same number of them match
_OUNCES = frozenset({"oz", "floz"})


@dataclass(frozen=True)
class Measure:
    """A size with a unit ("2.5 l", "13 kg"), or dimensions ("6 x 50 mm"; the unit may be
    missing when a customer writes "4 x 40")."""

    amount: Decimal
    unit: str
    dims: tuple[Decimal, ...] = ()

    def same_as(self, other: Measure) -> bool:
        if self.dims or other.dims:
            return self.dims == other.dims and (
                not self.unit or not other.unit or self.unit == other.unit)
        if {self.unit, other.unit} <= _OUNCES:
            return self.amount == other.amount
        a, b = units.unit(self.unit), units.unit(other.unit)
        return a.measured and a.dimension == b.dimension and \
            self.amount * a.factor == other.amount * b.factor


@dataclass(frozen=True)
class Amount:
    """What a customer asked for: ``value`` of ``unit`` ("" for a plain count, a unit
    code, or a pack word like "tray"); ``pack_of`` pieces in each pack ("boxes of 6")."""

    value: Decimal
    unit: str = ""
    pack_of: Decimal | None = None

    @property
    def measured(self) -> bool:
        return bool(self.unit) and units.unit(self.unit).measured

    @property
    def pieces(self) -> Decimal:
        """How many items a count-like amount is ("2 boxes of 6" -> 12)."""
        return self.value * (self.pack_of or 1)

    def text(self) -> str:
        value = format(self.value.normalize(), "f") if self.value == self.value.to_integral() \
            else format(self.value, "f")
        if self.pack_of is not None:
            return f"{value} {self.unit} of {format(self.pack_of.normalize(), 'f')}"
        return f"{value} {self.unit}".strip()


def selling_quantity(amount: Amount, selling_unit: str) -> Decimal | None:
    """``amount`` in the product's selling unit, or None when it cannot be said."""
    sell = units.unit(selling_unit)
    if amount.measured:
        return units.convert(amount.value, amount.unit, selling_unit)
    if sell.measured:
        return None  # pieces of something sold by weight, volume or length: weigh it
    return units.convert(amount.pieces, "each", sell.code)


def _unit_at(words: Sequence[str], i: int, lang: LanguagePack) -> tuple[str, int] | None:
    for n in (2, 1):
        if i + n <= len(words):
            code = lang.measure_units.get(" ".join(words[i:i + n]))
            if code is not None:
                return code, i + n
    return None


def _after_half(words: Sequence[str], end: int, lang: LanguagePack,
                value: Decimal) -> tuple[Decimal, int]:
    """"a pound *and a half*": the half may follow the unit."""
    rest = " ".join(words[end:end + 3])
    for half in lang.half_phrases:
        if rest == half or rest.startswith(half + " "):
            return value + Decimal("0.5"), end + len(half.split())
    return value, end


def read_measure(words: Sequence[str], i: int, lang: LanguagePack,
                 reading: NumberReading | None) -> tuple[NumberReading, Amount, int] | None:
    """A measured amount at ``words[i]``: "3 lb", "half a kilo", "a pound and a half",
    "1/2 lb", "a quarter". ``reading`` is :func:`read_number` at ``i``. Returns (the
    count part, the amount, end)."""
    if i >= len(words):
        return None
    for phrase, (text, code) in lang.bare_measures.items():
        n = phrase.count(" ") + 1
        if " ".join(words[i:i + n]) == phrase:
            return (NumberReading(Decimal(text), i, i + n),
                    Amount(Decimal(text), code), i + n)
    pair = " ".join(words[i:i + 2])
    if pair in lang.half_of_words:
        unit = _unit_at(words, i + 2, lang)
        if unit is None:
            return None
        return (NumberReading(Decimal("0.5"), i, unit[1]), Amount(Decimal("0.5"), unit[0]),
                unit[1])
    if reading is None or reading.marker_before or reading.marker_after:
        return None
    unit = _unit_at(words, reading.end, lang)
    if unit is None:
        return None
    value, end = reading.value, unit[1]
    if reading.from_article:
        value, end = _after_half(words, end, lang, value)
    return reading, Amount(value, unit[0]), end


def read_pack(words: Sequence[str], lang: LanguagePack, reading: NumberReading | None,
              is_catalog_word: Callable[[int], bool] | None = None
              ) -> tuple[NumberReading, Amount, int] | None:
    """A count of packs: "3 trays", "2 boxes of 6", "a bag of", "x3 punnets", from the
    count ``reading`` (:func:`read_number`). ``is_catalog_word(j)`` says a word is the
    catalog's own (then it is no pack word)."""
    if reading is None or reading.end >= len(words):
        return None
    word = words[reading.end]
    pack = lang.pack_nouns.get(word)
    if pack is None or (is_catalog_word is not None and is_catalog_word(reading.end)):
        return None
    end = reading.end + 1
    pack_of = None
    if end + 1 < len(words) and words[end] in lang.count_glue:
        inner = read_number(words, end + 1, lang)
        if inner is not None and not inner.from_article and inner.value > 0 and \
                not inner.marker_after and \
                _unit_at(words, inner.end, lang) is None and not (
                    is_catalog_word is not None and is_catalog_word(end + 1)):
            pack_of, end = inner.value, inner.end
    return reading, Amount(reading.value, pack, pack_of), end


def read_dims(words: Sequence[str], i: int, lang: LanguagePack) -> tuple[Measure, int] | None:
    """"6 x 50 mm", "4 x 40", "5 by 50": dimensions with an optional unit."""
    if i + 2 >= len(words) or not _digits(words[i]):
        return None
    if words[i + 1] not in lang.times_markers and words[i + 1] not in lang.dimension_words:
        return None
    if not _digits(words[i + 2]):
        return None
    dims = (Decimal(words[i]), Decimal(words[i + 2]))
    unit = _unit_at(words, i + 3, lang)
    if unit is not None and units.unit(unit[0]).dimension == units.LENGTH:
        return Measure(dims[0], unit[0], dims), unit[1]
    return Measure(dims[0], "", dims), i + 3


def _digits(word: str) -> bool:
    try:
        Decimal(word)
    except InvalidOperation:
        return False
    return word[:1].isdigit()


_NAME_MEASURE = re.compile(r"^\s*(\d+(?:[.,]\d+)?)\s*(?:(?:x|\*|by)\s*(\d+(?:[.,]\d+)?))?"
                           r"\s*([a-z][a-z .]*?)?\s*$")


def parse_measure(text: str, lang: LanguagePack) -> Measure | None:
    """"2 l", "2.5L", "500 ml", "16 oz", "13kg", "6x50mm", "4 x 40" -> Measure, or None."""
    m = _NAME_MEASURE.match(str(text).lower())
    if m is None:
        return None
    try:
        first = Decimal(m.group(1).replace(",", "."))
        second = Decimal(m.group(2).replace(",", ".")) if m.group(2) else None
    except InvalidOperation:
        return None
    word = " ".join((m.group(3) or "").replace(".", " ").split())
    code = lang.measure_units.get(word) if word else ""
    if code is None:
        return None
    if second is not None:
        if code and units.unit(code).dimension != units.LENGTH:
            return None
        return Measure(first, code, (first, second))
    if not code or first <= 0:
        return None
    return Measure(first, code)

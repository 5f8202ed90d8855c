"""Counts as customers write them: words, digits, group nouns, times markers."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.intake.language_en import ENGLISH
from app.intake.number_words import read_number
from app.intake.text_tokens import tokenize


def _read(text: str):
    words = [t.text for t in tokenize(text)]
    return read_number(words, 0, ENGLISH)


@pytest.mark.parametrize(("text", "value", "end"), [
    ("3 pizzas", "3", 1),
    ("three pizzas", "3", 1),
    ("twelve", "12", 1),
    ("twenty five pizzas", "25", 2),
    ("twenty-five pizzas", "25", 2),
    ("one hundred and two", "102", 4),
    ("two dozen eggs", "24", 2),
    ("a dozen eggs", "12", 2),
    ("half a dozen eggs", "6", 3),
    ("a couple of cokes", "2", 3),
    ("a couple cokes", "2", 2),
    ("a pair of", "2", 3),
    ("seven and a half", "7.5", 4),
    ("seven point five", "7.5", 3),
    ("16.9 fl oz", "16.9", 1),
    ("3 dozen", "36", 2),
    ("just one", "1", 2),
])
def test_reads_counts(text: str, value: str, end: int) -> None:
    reading = _read(text)
    assert reading is not None
    assert reading.value == Decimal(value)
    assert reading.end == end
    assert reading.explicit


def test_article_is_a_weak_one() -> None:
    reading = _read("a pizza")
    assert reading is not None and reading.value == 1 and reading.from_article
    assert not reading.explicit


@pytest.mark.parametrize(("text", "before", "after"), [
    ("x3", True, False), ("3x", False, True), ("3 x pizza", False, True), ("x 3", True, False),
])
def test_times_markers(text: str, before: bool, after: bool) -> None:
    reading = _read(text)
    assert reading is not None and reading.value == 3
    assert (reading.marker_before, reading.marker_after) == (before, after)


@pytest.mark.parametrize("text", ["pizza", "", "point five", "and", "of"])
def test_not_a_count(text: str) -> None:
    assert _read(text) is None


def test_two_number_words_in_a_row_are_two_counts() -> None:
    # "one two" is not 12; the parser sees two counts, each alone
    reading = _read("one two")
    assert reading is not None and reading.value == 1 and reading.end == 1

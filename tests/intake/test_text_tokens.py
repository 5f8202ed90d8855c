"""Tokenising: offsets into the original text, hyphens, digits next to letters, abbreviations."""

from __future__ import annotations

from app.intake.text_tokens import tokenize


def words(text: str) -> list[str]:
    return [t.text for t in tokenize(text)]


def test_offsets_point_into_the_original() -> None:
    text = "Two Jalapeño-Pizzas, 500ml Coke"
    tokens = tokenize(text)
    assert [t.text for t in tokens] == ["two", "jalapeno", "pizzas", ",", "500", "ml", "coke"]
    assert [text[t.start:t.end] for t in tokens] == [
        "Two", "Jalapeño", "Pizzas", ",", "500", "ml", "Coke"]


def test_digits_letters_and_times_markers_split() -> None:
    assert words("x3 3x 7up 2l") == ["x", "3", "3", "x", "7", "up", "2", "l"]


def test_apostrophes_stay_in_words() -> None:
    assert words("I’d like, don't") == ["i'd", "like", ",", "don't"]


def test_decimal_comma_and_thousands() -> None:
    assert words("1,5 l and 1,000") == ["1.5", "l", "and", "1000"]


def test_abbreviation_dot_is_not_a_full_stop() -> None:
    assert words("2 dr. peppers") == ["2", "dr", "peppers"]
    assert words("no ham. also a coke") == ["no", "ham", ".", "also", "a", "coke"]


def test_apostrophe_s_is_dropped_from_longer_words() -> None:
    assert words("2 pizza's, that's it") == ["2", "pizza", ",", "that's", "it"]

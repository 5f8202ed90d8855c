"""Requested times relative to an injected now (Monday 2026-11-23 10:00, Berlin)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from app.intake.requested_time import find_requested_time

TZ = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=TZ)  # a Monday


def at(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=TZ)


@pytest.mark.parametrize(("text", "expected", "precision"), [
    ("tomorrow morning", at(24, 9), "part_of_day"),
    ("for Saturday 5pm", at(28, 17), "exact"),
    ("at 7", at(23, 19), "exact"),
    ("tonight", at(23, 19), "part_of_day"),
    ("in 30 minutes", at(23, 10, 30), "exact"),
    ("in an hour", at(23, 11), "exact"),
    ("friday evening", at(27, 18), "part_of_day"),
    ("at 7.30 tonight", at(23, 19, 30), "exact"),
    ("tomorrow at 9am", at(24, 9), "exact"),
    ("tomorrow at 18:45", at(24, 18, 45), "exact"),
    ("on dec 5th at noon", at(5, 12, month=12), "exact"),
    ("the 28th of november at 8pm", at(28, 20), "exact"),
    ("next monday", at(30, 0), "day"),
    ("monday at 9", at(23, 21), "exact"),  # 9 o'clock this morning has passed
    ("by 6", at(23, 18), "exact"),
    ("at 8", at(23, 20), "exact"),  # 8 this morning has passed: this evening
])
def test_phrases(text: str, expected: datetime, precision: str) -> None:
    found = find_requested_time(text, NOW)
    assert found is not None, text
    assert found.at == expected
    assert found.precision == precision


def test_asap_is_now() -> None:
    found = find_requested_time("asap please", NOW)
    assert found is not None and found.at == NOW and found.precision == "asap"


@pytest.mark.parametrize("text", [
    "two large pizzas", "for 2 people", "a 7.5 fl oz coke", "at 7 pizzas", "may i have a pie",
])
def test_no_time(text: str) -> None:
    assert find_requested_time(text, NOW, reserved={"pizzas", "coke", "pie"}) is None


def test_catalog_word_is_not_a_time_without_a_cue() -> None:
    assert find_requested_time("six lunch pizzas", NOW, reserved={"lunch"}) is None
    found = find_requested_time("six pizzas for lunch", NOW, reserved={"lunch"})
    assert found is not None and found.at == at(23, 12)


def test_spans_point_into_the_text() -> None:
    text = "Two pies for Saturday 5pm please"
    found = find_requested_time(text, NOW)
    assert found is not None
    assert [text[s:e] for s, e in found.spans] == ["for Saturday", "5pm"]
    assert found.to_json()["at"] == "2026-11-28T17:00:00+01:00"


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError):
        find_requested_time("tomorrow", datetime(2026, 11, 23, 10, 0))

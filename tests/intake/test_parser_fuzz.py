"""Any text, however odd, gives a DraftOrder that serialises; the parser never crashes."""

from __future__ import annotations

import json
from datetime import datetime
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.intake.order_parser import parse_order
from tests.intake.shop_catalog import shop_catalog

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=ZoneInfo("Europe/Berlin"))
CATALOG = shop_catalog()
_WORDS = sorted({*(" ".join(k) for k in CATALOG.phrases),
                 *(" ".join(k) for k in CATALOG.grammar_phrases),
                 "2", "x3", "3x", "7.5", "1,5", "$", "€", "12", "at", "pm", "tomorrow",
                 "saturday", "deliver to", "street", "under", "dozen", "-", "'", ",", "."})


def _check(text: str) -> None:
    order = parse_order(text, CATALOG, NOW)
    data = json.loads(json.dumps(order.to_json()))
    assert 0.0 <= data["confidence"] <= 1.0
    for line in order.lines:
        assert 0.0 <= line.confidence <= 1.0
        assert 0 <= line.span[0] <= line.span[1] <= len(order.text)
        # None: an amount that cannot be said in the selling unit (weigh it)
        assert line.quantity is None or line.quantity >= 0
        assert line.amount is None or line.amount >= 0


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_arbitrary_unicode_never_crashes(text: str) -> None:
    _check(text)


@settings(max_examples=400, deadline=None)
@given(st.lists(st.sampled_from(_WORDS), max_size=40))
def test_catalog_and_grammar_word_salad_never_crashes(words: list[str]) -> None:
    _check(" ".join(words))

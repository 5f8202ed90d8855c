"""Issue 14 through a real engine: messages drafted with units, the usual from the
customer's last order, and a second message that changes the draft the first one made."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from tests.helpers.commands import run

ANN = "07700 900123"  # the demo shop's customer (tests/conftest.py)


# -- messages: units, the usual, a second message ---------------------------------------------

def _receive(engine: Any, text: str) -> dict[str, Any]:
    got = run(engine, "message.receive", {"channel": "sms", "from": ANN, "text": text})
    (msg,) = [m for m in run(engine, "message.list", {}) if m["id"] == got["id"]]
    return msg


def test_a_weight_in_pounds_becomes_a_draft_in_kilos(engine: Any) -> None:
    msg = _receive(engine, "3lb of rye flour for friday please")
    (order,) = run(engine, "order.list", {})
    detail = run(engine, "order.show", {"order": order["id"]})
    (line,) = detail["lines"]
    assert (line["sku"], line["qty"], line["asked_qty"], line["asked_unit"]) == (
        "FLOUR", "1.361", "3", "lb")
    assert line["asked"] == "3lb"
    assert msg["order_id"] == order["id"]


def test_a_count_of_something_sold_by_weight_is_only_suggested(engine: Any) -> None:
    msg = _receive(engine, "4 rye flours please")
    assert run(engine, "order.list", {}) == []
    proposal = json.loads(msg["intake"])
    assert proposal["decision"] == "suggestion" and proposal["lines"][0]["quantity"] is None


def test_a_question_makes_no_order(engine: Any) -> None:
    _receive(engine, "do you have any sourdough bread left today?")
    assert run(engine, "order.list", {}) == []


def test_the_usual_is_the_customers_last_order(engine: Any) -> None:
    run(engine, "order.add", {"customer": ANN, "lines": ["BREAD:2", "MILK:1"]})
    _receive(engine, "the usual please")
    orders = run(engine, "order.list", {})
    assert len(orders) == 2 and orders[0]["tags"] == ["auto"]
    detail = run(engine, "order.show", {"order": orders[0]["id"]})
    assert [(ln["sku"], ln["qty"]) for ln in detail["lines"]] == [("BREAD", "2"), ("MILK", "1")]


def test_a_second_message_changes_the_draft_and_the_history_says_so(engine: Any) -> None:
    first = _receive(engine, "2 sourdough bread and 1 whole milk for saturday")
    (order,) = run(engine, "order.list", {})
    assert first["order_id"] == order["id"]
    second = _receive(engine, "sorry, make the bread 3 and forget the milk")
    assert run(engine, "order.list", {})[0]["id"] == order["id"]  # no second order
    detail = run(engine, "order.show", {"order": order["id"]})
    live = [(ln["sku"], ln["qty"]) for ln in detail["lines"] if not ln["removed"]]
    assert live == [("BREAD", "3")]
    assert [ln["sku"] for ln in detail["lines"] if ln["removed"]] == ["MILK"]
    notes = [h["new"] for h in detail["history"] if h["field"] == "intake"]
    assert notes and "remove" in notes[0] and "3" in notes[0]
    assert sorted(detail["source_messages"]) == sorted([first["id"], second["id"]])
    assert second["order_id"] == order["id"]
    assert json.loads(second["intake"])["kind"] == "amendment"


def test_a_second_message_of_its_own_is_a_second_order(engine: Any) -> None:
    _receive(engine, "2 sourdough bread for saturday")
    _receive(engine, "1 whole milk for next tuesday")
    assert len(run(engine, "order.list", {})) == 2


def test_amounts_in_json_are_decimal_text(engine: Any) -> None:
    out = run(engine, "intake.parse", {"text": "half a kilo of rye flour"})
    (line,) = out["lines"]
    assert (line["quantity"], line["amount"], line["amount_unit"]) == ("0.5", "0.5", "kg")
    assert Decimal(line["quantity"]) == Decimal("0.5")

"""Intake through the engine's command table: catalog options, parse, correction learning."""

from __future__ import annotations

from typing import Any

import pytest

from sync.errors import CommandRejected
from tests.helpers.commands import run


def _pizzeria(engine: Any) -> None:
    run(engine, "product.add", {"sku": "MARG", "name": "Margherita pizza", "price": "9",
                                "aliases": ["margherita"], "option_groups": {"Size": ["small", "large"],
                                                  "Toppings": ["olives", "cheese", "ham"]}})
    run(engine, "product.add", {"sku": "COKE", "name": "Coke", "price": "2",
                                "variants": ["can", "bottle"]})


def test_parse_uses_the_shops_option_groups(engine: Any) -> None:
    _pizzeria(engine)
    out = run(engine, "intake.parse", {"text": "2 large margherita pizzas, extra cheese, "
                                               "no olives and a bottle of coke"})
    marg, coke = out["lines"]
    assert (marg["sku"], marg["quantity"], marg["size"]["name"]) == ("MARG", "2", "large")
    assert [m["name"] for m in marg["modifiers"]] == ["cheese"]
    assert marg["modifiers"][0]["qualifier"] == "extra"
    assert [x["name"] for x in marg["exclusions"]] == ["olives"]
    assert (coke["sku"], [v["name"] for v in coke["variants"]]) == ("COKE", ["bottle"])
    assert out["decision"] == "draft"


def test_a_correction_is_remembered_as_an_alias(engine: Any) -> None:
    _pizzeria(engine)
    before = run(engine, "intake.parse", {"text": "3 margs please"})
    assert before["decision"] != "draft"
    learned = run(engine, "intake.correct", {"text": "margs", "sku": "MARG"})
    assert learned == {"sku": "MARG", "alias": "margs", "learned": True, "previously": []}
    products = {p["sku"]: p for p in run(engine, "product.list", {})}
    assert products["MARG"]["aliases"] == ["margherita", "margs"]
    after = run(engine, "intake.parse", {"text": "3 margs please"})
    assert (after["lines"][0]["sku"], after["lines"][0]["quantity"]) == ("MARG", "3")
    assert after["decision"] == "draft"


def test_received_message_becomes_a_draft_order_linked_to_it(engine: Any) -> None:
    _pizzeria(engine)
    got = run(engine, "message.receive", {"channel": "sms", "from": "07700 900123",
                                          "text": "2 large margheritas for 7pm please"})
    orders = run(engine, "order.list", {})
    assert len(orders) == 1 and orders[0]["tags"] == ["auto"]
    assert orders[0]["source_messages"] == [got["id"]]
    assert orders[0]["customer_name"] == "Ann Smith"
    msg = run(engine, "message.list", {})[0]
    assert msg["order_id"] == orders[0]["id"] and msg["intake"]


def test_bad_corrections_are_refused_in_plain_words(engine: Any) -> None:
    _pizzeria(engine)
    with pytest.raises(CommandRejected, match="no product"):
        run(engine, "intake.correct", {"text": "margs", "sku": "NOPE"})
    with pytest.raises(CommandRejected, match="give the words"):
        run(engine, "intake.correct", {"text": "", "sku": "MARG"})


def test_message_receive_keeps_time_subject_and_read_state(engine: Any) -> None:
    got = run(engine, "message.receive", {
        "channel": "email", "from": "ann@example.com", "subject": "Order for Friday",
        "text": "hello", "received_at": "2026-11-20T10:00:00+00:00", "read": True,
        "intake": False})
    (msg,) = [m for m in run(engine, "message.list", {}) if m["id"] == got["id"]]
    assert (msg["subject"], msg["received_at"], msg["read"]) == (
        "Order for Friday", "2026-11-20T10:00:00.000+00:00", 1)
    with pytest.raises(CommandRejected, match="timezone"):
        run(engine, "message.receive", {"from": "x@example.com", "text": "hi",
                                        "channel": "email", "received_at": "2026-11-20T10:00"})

"""The registry: JSON arguments become typed parameters, refused in plain words; commands
the engine cannot serve here are named as such."""

from __future__ import annotations

from typing import Any

import pytest

from app import protocol
from app.engine.commands.registry import params_from_json
from sync.errors import CommandRejected, CommandUnavailable
from tests.helpers.commands import registry


def test_required_parameters_are_asked_for() -> None:
    with pytest.raises(CommandRejected, match=r"^order is required$"):
        params_from_json(protocol.OrderRef, {})
    with pytest.raises(CommandRejected, match=r"^order is required$"):
        params_from_json(protocol.OrderRef, {"order": None})


def test_values_take_the_parameter_types() -> None:
    p = params_from_json(protocol.OrderAdd, {"lines": "BREAD:1", "tags": "", "channel": "",
                                             "custom_fields": {"gift": 1}, "customer": None})
    assert p.lines == ["BREAD:1"]  # one value is a list of one
    assert p.tags == []
    assert p.channel == "counter"  # empty text where the default is a word: the default
    assert p.custom_fields == {"gift": "1"}
    assert p.customer is None


def test_bad_values_are_refused_in_plain_words() -> None:
    with pytest.raises(CommandRejected, match=r"^limit must be a whole number, not 'ten'$"):
        params_from_json(protocol.OrderList, {"limit": "ten"})
    with pytest.raises(CommandRejected, match="custom_fields must be an object"):
        params_from_json(protocol.OrderAdd, {"custom_fields": "gift"})


def test_unset_is_not_none() -> None:
    assert params_from_json(protocol.OrderUpdate, {"order": "A-1"}).due_at is protocol.UNSET
    assert params_from_json(protocol.OrderUpdate, {"order": "A-1", "due_at": None}).due_at \
        is None


def test_json_round_trip_leaves_defaults_out() -> None:
    params = protocol.OrderSetStatus(order="A-1", status="ready")
    assert protocol.ORDER_SET_STATUS.to_json(params) == {"order": "A-1", "status": "ready"}
    assert params_from_json(protocol.OrderSetStatus,
                            protocol.ORDER_SET_STATUS.to_json(params)) == params


def test_unknown_and_unavailable_commands(engine: Any) -> None:
    reg = registry(engine)
    with pytest.raises(CommandRejected, match=r"unknown command 'no\.such'"):
        reg.run("no.such", {})
    with pytest.raises(CommandUnavailable, match=r"peers\.status needs the running engine"):
        reg.run("peers.status", {})
    assert "order.add" in reg.names() and "peers.status" not in reg.names()


def test_typed_calls(engine: Any) -> None:
    reg = registry(engine)
    order = reg.call(protocol.ORDER_ADD, protocol.OrderAdd(lines=["BREAD:2"]))
    assert order["number"] == "A-0001" and order["total"] == 500

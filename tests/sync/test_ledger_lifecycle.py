"""Every status move, legal and illegal, with its message; and what each does to stock."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

from sync import lifecycle
from sync.errors import CommandRejected
from sync.ledger import ShopLedger
from tests.sync.ledger_shop import corner_shop, line, order_of, stock_level

S = lifecycle.STATUSES
LEGAL = {
    "new": {"confirmed", "preparing", "ready", "out_for_delivery", "shipped", "delivered",
            "collected", "closed", "cancelled"},
    "confirmed": {"preparing", "ready", "out_for_delivery", "shipped", "delivered",
                  "collected", "closed", "cancelled"},
    "preparing": {"ready", "out_for_delivery", "shipped", "delivered", "collected", "closed",
                  "cancelled"},
    "ready": {"out_for_delivery", "shipped", "delivered", "collected", "closed", "cancelled"},
    "out_for_delivery": {"delivered", "collected", "closed", "cancelled"},
    "shipped": {"delivered", "collected", "closed", "cancelled"},
    "delivered": {"closed", "returned"},
    "collected": {"closed", "returned"},
    "closed": {"returned"},
    "cancelled": set(),
    "returned": {"closed"},
}
SAME_STEP = {frozenset({"out_for_delivery", "shipped"}), frozenset({"delivered", "collected"})}


def expected_refusal(current: str, target: str) -> str:
    if current == target:
        return f"the order is already {target}"
    if target == "cancelled":
        extra = "; record a return instead" if current in ("delivered", "collected",
                                                           "closed") else ""
        return f"a {current} order cannot be cancelled{extra}"
    if target == "returned":
        return ("only a delivered, collected or closed order can be returned, "
                f"this one is {current}")
    if current in ("cancelled", "returned"):
        return f"a {current} order cannot change status"
    if target == "new":
        return "an order cannot go back to new"
    if frozenset({current, target}) in SAME_STEP:
        return f"an order that is {current} cannot become {target}"
    return f"an order cannot go back from {current} to {target}"


PAIRS = [(c, t) for c in S for t in S]


@pytest.mark.parametrize("current, target", PAIRS)
def test_check_transition(current: str, target: str) -> None:
    if target in LEGAL[current]:
        lifecycle.check_transition(current, target)
    else:
        with pytest.raises(CommandRejected) as err:
            lifecycle.check_transition(current, target)
        assert str(err.value) == expected_refusal(current, target)


def test_unknown_status_lists_the_known_ones() -> None:
    with pytest.raises(CommandRejected) as err:
        lifecycle.check_transition("new", "lost")
    assert str(err.value) == f"unknown status 'lost'; use one of: {', '.join(S)}"


@pytest.fixture(scope="module")
def shop(tmp_path_factory: pytest.TempPathFactory) -> ShopLedger:
    return corner_shop(tmp_path_factory.mktemp("lifecycle"))


def order_in(ledger: ShopLedger, status: str) -> str:
    oid = order_of(ledger, line("MILK", 1))
    if status == "returned":
        ledger.orders.set_status(oid, "collected")
        ledger.orders.record_return(oid)
    elif status != "new":
        ledger.orders.set_status(oid, status)
    assert ledger.orders.get(oid)["status"] == status
    return oid


@pytest.mark.parametrize("current, target", PAIRS)
def test_set_status_follows_the_rules(shop: ShopLedger, current: str, target: str) -> None:
    oid = order_in(shop, current)
    history = len(shop.orders.get(oid)["history"])
    if target in LEGAL[current] and target != "returned":
        changes = shop.orders.set_status(oid, target, by="sam")
        assert changes.orders == {oid}
        o = shop.orders.get(oid)
        assert o["status"] == target
        assert o["history"][-1]["field"] == "status"
        assert (o["history"][-1]["old"], o["history"][-1]["new"]) == (current, target)
        assert o["history"][-1]["by"] == "sam" and o["history"][-1]["till"] == "till-a"
        return
    with pytest.raises(CommandRejected) as err:
        shop.orders.set_status(oid, target)
    if target == "returned" and target in LEGAL[current]:
        assert str(err.value) == "use `order return` to record what came back"
    else:
        assert str(err.value) == expected_refusal(current, target)
    o = shop.orders.get(oid)
    assert o["status"] == current and len(o["history"]) == history


# ---------------------------------------------------------------------- stock effects


@pytest.fixture
def ledger(tmp_path: Path) -> ShopLedger:
    return corner_shop(tmp_path)


def level(ledger: ShopLedger, sku: str = "BREAD") -> tuple[Decimal, Decimal]:
    got = stock_level(ledger, sku)
    return got["on_hand"], got["reserved"]


def test_confirm_reserves_and_preparing_ready_keep_it(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2), line("FLOUR", "0.75"))
    assert level(ledger) == (5, 0)
    changes = ledger.orders.set_status(oid, "confirmed")
    assert changes.stock == {"BREAD", "FLOUR"}
    assert level(ledger) == (5, 2)
    assert level(ledger, "FLOUR") == (Decimal("2.5"), Decimal("0.75"))
    for status in ("preparing", "ready"):
        assert ledger.orders.set_status(oid, status).stock == set()
        assert level(ledger) == (5, 2)
    assert ledger.orders.get(oid)["stock_state"] == "reserved"


def test_cancel_releases_the_reservation(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "confirmed")
    assert ledger.orders.set_status(oid, "cancelled").stock == {"BREAD"}
    assert level(ledger) == (5, 0)
    assert ledger.orders.get(oid)["stock_state"] == "none"


def test_cancelling_a_new_order_touches_no_stock(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    assert ledger.orders.set_status(oid, "cancelled").stock == set()
    assert level(ledger) == (5, 0)


@pytest.mark.parametrize("fulfil", ["out_for_delivery", "shipped", "delivered", "collected",
                                    "closed"])
def test_fulfilling_takes_goods_off_the_shelf_and_releases(ledger: ShopLedger,
                                                           fulfil: str) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "confirmed")
    assert ledger.orders.set_status(oid, fulfil).stock == {"BREAD"}
    assert level(ledger) == (3, 0)
    assert ledger.orders.get(oid)["stock_state"] == "fulfilled"


def test_fulfilling_straight_from_new_and_then_closing_counts_once(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "out_for_delivery")
    ledger.orders.set_status(oid, "delivered")
    ledger.orders.set_status(oid, "closed")
    assert level(ledger) == (3, 0)


def test_cancelling_an_order_out_for_delivery_puts_goods_back(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "out_for_delivery")
    ledger.orders.set_status(oid, "cancelled")
    assert level(ledger) == (5, 0)


def test_return_with_and_without_restock(ledger: ShopLedger) -> None:
    a = order_of(ledger, line("BREAD", 2))
    b = order_of(ledger, line("BREAD", 1))
    ledger.orders.set_status(a, "collected")
    ledger.orders.set_status(b, "delivered")
    assert level(ledger) == (2, 0)
    assert ledger.orders.record_return(a, restock=True).stock == {"BREAD"}
    assert level(ledger) == (4, 0)
    assert ledger.orders.record_return(b, restock=False).stock == set()
    assert level(ledger) == (4, 0)
    # closing a returned order moves no stock
    ledger.orders.set_status(a, "closed")
    assert level(ledger) == (4, 0)


def test_editing_lines_of_a_confirmed_order_moves_only_the_difference(
        ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "confirmed")
    lid = next(iter(ledger.orders.get(oid)["lines"]))
    assert ledger.orders.update_line(oid, lid, quantity=Decimal(3)).stock == {"BREAD"}
    assert level(ledger) == (5, 3)
    assert ledger.orders.update_line(oid, lid, notes="sliced").stock == set()
    milk = ledger.orders.add_line(oid, line("MILK", 4))
    assert milk.stock == {"MILK"} and level(ledger, "MILK") == (10, 4)
    ledger.orders.update_line(oid, lid, remove=True)
    assert level(ledger) == (5, 0)
    ledger.orders.set_status(oid, "collected")
    assert level(ledger) == (5, 0) and level(ledger, "MILK") == (6, 0)


def test_free_text_lines_move_no_stock(ledger: ShopLedger) -> None:
    from sync.ledger import LineInput

    oid = order_of(ledger, LineInput(quantity=Decimal(1), description="Cake", unit_price=900))
    assert ledger.orders.set_status(oid, "collected").stock == set()


def test_undo_takes_the_last_move_back_and_stock_follows(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "confirmed")
    ledger.orders.set_status(oid, "collected")
    assert level(ledger) == (3, 0)
    changes = ledger.orders.undo_status(oid, moved_from="confirmed", moved_to="collected")
    assert changes.stock == {"BREAD"}
    order = ledger.orders.get(oid)
    assert order["status"] == "confirmed"
    assert level(ledger) == (5, 2)
    last = order["history"][-1]
    assert (last["field"], last["old"], last["new"]) == ("status", "collected", "confirmed")


def test_undo_brings_a_cancelled_order_back_with_its_reservation(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "preparing")
    ledger.orders.set_status(oid, "cancelled")
    assert level(ledger) == (5, 0)
    ledger.orders.undo_status(oid, moved_from="preparing", moved_to="cancelled")
    assert ledger.orders.get(oid)["status"] == "preparing"
    assert level(ledger) == (5, 2)


def test_undo_is_refused_once_the_order_moved_on(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "confirmed")
    ledger.orders.set_status(oid, "ready")
    with pytest.raises(CommandRejected, match="is ready now, not confirmed; that move can no "
                                              "longer be undone"):
        ledger.orders.undo_status(oid, moved_from="new", moved_to="confirmed")
    with pytest.raises(CommandRejected, match="last status move of this order was not new "
                                              "to ready"):
        ledger.orders.undo_status(oid, moved_from="new", moved_to="ready")
    # an undo is itself the last move: undoing twice is refused
    ledger.orders.undo_status(oid, moved_from="confirmed", moved_to="ready")
    with pytest.raises(CommandRejected, match="is confirmed now, not ready"):
        ledger.orders.undo_status(oid, moved_from="confirmed", moved_to="ready")
    assert ledger.orders.get(oid)["status"] == "confirmed"


def test_a_return_cannot_be_undone(ledger: ShopLedger) -> None:
    oid = order_of(ledger, line("BREAD", 2))
    ledger.orders.set_status(oid, "collected")
    ledger.orders.record_return(oid, restock=True)
    ledger.orders.set_status(oid, "closed")
    with pytest.raises(CommandRejected, match="a return cannot be undone"):
        ledger.orders.undo_status(oid, moved_from="returned", moved_to="closed")
    assert ledger.orders.get(oid)["status"] == "closed"

"""The order board and table against the real engine: moves by drop, by key, refusals."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QMimeData, QModelIndex, Qt

from app.ui.order_models import ORDER_MIME
from tests.ui.conftest import new_order


def column(window: Any, key: str) -> Any:
    return next(c for c in window.board.columns if c.key == key)


def test_board_shows_counts_and_cards(window: Any, store: Any) -> None:
    counts = store.status_counts()
    new = column(window, "new")
    assert new.count.text() == str(counts.get("new", 0))
    assert int(column(window, "out").count.text()) == counts.get("out_for_delivery", 0) + \
        counts.get("shipped", 0)
    numbers = {new.model.row_at(r)["number"] for r in range(new.model.rowCount())}
    assert "A-0001" in numbers


def test_dropping_a_card_moves_the_order(qtbot: Any, window: Any, shop_engine: Any) -> None:
    window.show_page(1)
    order = new_order(shop_engine, customer="07700 900123")
    qtbot.waitUntil(lambda: column(window, "new").model.row_for_id(order["id"]) >= 0)
    data = QMimeData()
    data.setData(ORDER_MIME, order["id"].encode())
    preparing = column(window, "preparing")
    preparing.model.dropMimeData(data, Qt.DropAction.MoveAction, -1, -1, QModelIndex())
    qtbot.waitUntil(lambda: preparing.model.row_for_id(order["id"]) >= 0, timeout=10_000)
    assert column(window, "new").model.row_for_id(order["id"]) < 0
    assert shop_engine.call("order.show", {"order": order["id"]})["status"] == "preparing"


def test_ctrl_right_advances_and_backwards_moves_are_refused(qtbot: Any, window: Any,
                                                             shop_engine: Any) -> None:
    window.show_page(1)
    order = new_order(shop_engine)
    new = column(window, "new")
    qtbot.waitUntil(lambda: new.model.row_for_id(order["id"]) >= 0)
    new.list.setCurrentIndex(new.model.index(new.model.row_for_id(order["id"]), 0))
    new.list.setFocus()
    qtbot.keyClick(new.list, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    confirmed = column(window, "confirmed")
    qtbot.waitUntil(lambda: confirmed.model.row_for_id(order["id"]) >= 0, timeout=10_000)
    # back to new: the engine refuses, and its reason is shown
    with qtbot.waitSignal(window.actions_.sig_error, timeout=10_000) as refused:
        window.actions_.move_to_column([order["id"]], "new")
    assert "back" in refused.args[0].lower()
    assert window.notifier.toasts, "the refusal is shown in a toast"


def test_ctrl_z_takes_back_a_batch_of_moves(qtbot: Any, window: Any, shop_engine: Any) -> None:
    window.show_page(1)
    orders = [new_order(shop_engine) for _ in range(2)]
    ids = [o["id"] for o in orders]
    new = column(window, "new")
    qtbot.waitUntil(lambda: all(new.model.row_for_id(i) >= 0 for i in ids), timeout=10_000)
    window.actions_.cancel(ids)
    qtbot.waitUntil(lambda: window.undo_action.text() == "&Undo move of 2 orders",
                    timeout=10_000)
    qtbot.waitUntil(lambda: all(new.model.row_for_id(i) < 0 for i in ids), timeout=10_000)
    assert {shop_engine.call("order.show", {"order": i})["status"] for i in ids} == \
        {"cancelled"}
    qtbot.keyClick(window, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: all(new.model.row_for_id(i) >= 0 for i in ids), timeout=10_000)
    assert {shop_engine.call("order.show", {"order": i})["status"] for i in ids} == {"new"}
    assert not window.undo_action.isEnabled()
    history = shop_engine.call("order.show", {"order": ids[0]})["history"]
    assert [(h["old"], h["new"]) for h in history if h["field"] == "status"] == \
        [(None, "new"), ("new", "cancelled"), ("cancelled", "new")]


def test_overdue_orders_are_flagged(window: Any, store: Any) -> None:
    from app.ui.order_models import due_state

    late = [r for r in store.orders_by_id(store.order_ids(
        __import__("app.ui.read_store", fromlist=["OrderFilter"]).OrderFilter(
            statuses=("preparing",)), 50)).values() if due_state(r) == "overdue"]
    assert late, "the demo has a late order in preparation"


def test_table_filters_by_status_chip_and_opens_on_enter(qtbot: Any, window: Any) -> None:
    window.show_page(2)
    view = window.orders
    chip = next(c for c in view.chips if c.property("status_key") == "cancelled")
    qtbot.mouseClick(chip, Qt.MouseButton.LeftButton)
    assert view.model.rowCount() >= 1
    assert {view.model.row_at(r)["status"] for r in range(view.model.rowCount())} == \
        {"cancelled"}
    view.table.setCurrentIndex(view.model.index(0, 0))
    qtbot.keyClick(view.table, Qt.Key.Key_Return)
    oid = view.model.id_at(0)
    assert oid in window.editors
    assert window.editors[oid].draft.status == "cancelled"


def test_ctrl_right_keeps_moving_the_same_card(qtbot: Any, window: Any,
                                               shop_engine: Any) -> None:
    """Issue 11: Ctrl+→ / ] moved a card once, then focus was lost."""
    window.show_page(1)
    order = new_order(shop_engine)
    new = column(window, "new")
    qtbot.waitUntil(lambda: new.model.row_for_id(order["id"]) >= 0)
    new.list.setCurrentIndex(new.model.index(new.model.row_for_id(order["id"]), 0))
    new.list.setFocus()
    steps = [("confirmed", Qt.Key.Key_Right), ("preparing", Qt.Key.Key_BracketRight),
             ("ready", Qt.Key.Key_Right)]
    for key, pressed in steps:
        target = column(window, key)
        focused = next(c for c in window.board.columns if c.list.hasFocus() or
                       c.list.currentIndex().data(Qt.ItemDataRole.UserRole) == order["id"])
        modifier = Qt.KeyboardModifier.ControlModifier if pressed == Qt.Key.Key_Right \
            else Qt.KeyboardModifier.NoModifier
        qtbot.keyClick(focused.list, pressed, modifier)
        qtbot.waitUntil(lambda t=target: t.model.row_for_id(order["id"]) >= 0, timeout=10_000)
        qtbot.waitUntil(lambda t=target: t.list.currentIndex().data(Qt.ItemDataRole.UserRole)
                        == order["id"], timeout=10_000)
        assert target.list.hasFocus() or window.board.focusWidget() is target.list
    assert shop_engine.call("order.show", {"order": order["id"]})["status"] == "ready"


def test_move_to_menu_offers_only_forward_moves_and_collected(qtbot: Any, window: Any,
                                                             shop_engine: Any) -> None:
    window.show_page(1)
    order = new_order(shop_engine)
    shop_engine.call("order.set_status", {"order": order["id"], "status": "ready"})
    ready = column(window, "ready")
    qtbot.waitUntil(lambda: ready.model.row_for_id(order["id"]) >= 0, timeout=10_000)
    targets = dict(window.board.move_targets([order["id"]]))
    assert "new" not in targets and "confirmed" not in targets and "ready" not in targets
    assert targets["delivered"] == "Collected"  # a pickup is collected, not delivered
    assert targets["out"] == "Shipped"
    delivery = new_order(shop_engine, customer="07700 900123",
                         fulfilment={"kind": "delivery", "address": "1 High St"})
    labels = dict(window.board.move_targets([delivery["id"]]))
    assert labels["delivered"] == "Delivered" and labels["out"] == "Out for delivery"
    assert "new" not in labels

"""The order editor: validation in plain words, saving new and edited orders, payments,
undo, the unsaved-changes guard, and the printed ticket."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app.ui.order_draft import DraftLine, OrderDraft, draft_from_message, edit_commands, validate
from tests.ui.conftest import activate, new_order


def test_validation_speaks_plain_words() -> None:
    draft = OrderDraft()
    assert validate(draft, {"PZ-MARG"}) == ["Add at least one item to the order."]
    draft.lines = [DraftLine(sku="PZ-MARG", qty="two"), DraftLine(description="Candle"),
                   DraftLine(sku="NOPE", qty="1"), DraftLine(sku="PZ-MARG", qty="0")]
    draft.fulfilment = "delivery"
    problems = validate(draft, {"PZ-MARG"})
    assert "The quantity of PZ-MARG is not a number." in problems
    assert "Give Candle a price (it is not a catalog product)." in problems
    assert any(p.startswith("NOPE is not in the catalog") for p in problems)
    assert "The quantity of PZ-MARG must be more than zero." in problems
    assert "A delivery needs an address." in problems


def test_draft_from_message_tolerates_broken_intake() -> None:
    draft = draft_from_message({"id": "m1", "channel": "sms", "direction": "in",
                                "sender": "+447700900001", "intake": "{not json"})
    assert draft.source_messages == ["m1"] and len(draft.lines) == 1
    unknown = draft_from_message({"id": "m2", "channel": "sms", "direction": "in",
                                  "sender": "+1", "intake": '{"lines": [{"sku": "GONE", '
                                  '"product": "Old pizza", "quantity": "2"}]}'}, {"PZ-MARG"})
    assert unknown.lines[0].sku is None and unknown.lines[0].description == "Old pizza"


def test_draft_from_message_leaves_weighing_and_choosing_to_staff() -> None:
    intake = {"lines": [
        {"sku": "CHOPS", "product": "Lamb chops", "quantity": None, "amount": "4",
         "said": "4", "unit": "kg", "amount_unit": ""},
        {"sku": "STEAK", "product": "Braising steak", "quantity": "1.361", "amount": "3",
         "amount_unit": "lb", "unit": "kg", "said": "3lb"},
        {"sku": None, "product": "White bloomer or Granary bloomer", "quantity": "2",
         "alternatives": ["BLOOMER", "COB"]}]}
    draft = draft_from_message({"id": "m3", "channel": "sms", "direction": "in",
                                "sender": "+1", "intake": json.dumps(intake)},
                               {"CHOPS", "STEAK", "BLOOMER", "COB"})
    chops, steak, bread = draft.lines
    assert chops.qty == "" and "asked: 4" in chops.notes  # validate asks for a weight
    assert (steak.qty, steak.notes) == ("1.361", "asked: 3lb")
    assert bread.sku is None and "pick one: BLOOMER, COB" in bread.notes
    assert any("quantity of Lamb chops is not a number" in p
               for p in validate(draft, {"CHOPS", "STEAK"}))


def test_edit_commands_are_minimal() -> None:
    before = OrderDraft(order_id="o1", lines=[DraftLine(sku="A", qty="1", line_id="l1",
                                                        unit_price=100)], tags=["x"])
    after = before.copy()
    after.lines[0].qty = "3"
    after.lines.append(DraftLine(sku="B", qty="1"))
    after.tags = ["y"]
    cmds = [(request.name, request.json()) for request in edit_commands(before, after, "EUR")]
    assert cmds == [("order.update", {"order": "o1", "add_tags": ["y"], "remove_tags": ["x"]}),
                    ("order.update_line", {"order": "o1", "line_id": "l1", "qty": "3"}),
                    ("order.add_line", {"order": "o1", "line": {
                        "qty": "1", "notes": "", "modifiers": [], "sku": "B"}})]
    assert edit_commands(before, before.copy(), "EUR") == []


def test_new_order_by_keyboard(qtbot: Any, window: Any, store: Any) -> None:
    editor = window.new_order()
    editor.customer_picker.setText("Grace")
    editor.customer_picker._search("Grace")
    editor.customer_picker._activated(editor.customer_picker._labels.stringList()[0])
    assert "Grace Hughes" in editor.customer_label.text()
    qtbot.keyClicks(editor.picker, "veggie")
    qtbot.keyClick(editor.picker, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.picker, "PZ-VEG")
    qtbot.keyClick(editor.picker, Qt.Key.Key_Return)
    qtbot.keyClicks(editor.picker, "limonata")
    qtbot.keyClick(editor.picker, Qt.Key.Key_Return)
    lines = editor.draft.live_lines()
    assert [(ln.sku, ln.qty) for ln in lines] == [("PZ-VEG", "2"), ("DR-SANP", "1")]
    assert editor.total_label.text() == "Total  £22.20"
    editor.tags.setText("vegan, counter")
    editor.notes.setPlainText("No cheese")
    activate(qtbot, editor)
    with qtbot.waitSignal(editor.sig_saved, timeout=10_000) as saved:
        qtbot.keyClick(editor.picker, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    order = store.order_detail(saved.args[0])
    assert order["customer_name"] == "Grace Hughes" and order["total"] == 2220
    assert order["tags"] == ["counter", "vegan"] and order["notes"] == "No cheese"
    assert not editor.is_dirty()
    assert editor.title.text().startswith("Order A-")


def test_invalid_order_is_not_sent(qtbot: Any, window: Any) -> None:
    editor = window.new_order()
    editor._add_free_line()
    editor.lines_model.setData(editor.lines_model.index(0, 0), "Birthday candles")
    editor.delivery.setChecked(True)
    editor.save()
    assert "Give Birthday candles a price" in editor.problems.text()
    assert "A delivery needs an address." in editor.problems.text()
    assert editor.draft.order_id is None
    editor.lines_model.setData(editor.lines_model.index(0, 2), "abc")
    assert "not an amount of money" in editor.problems.text()


def test_undo_and_the_unsaved_changes_guard(qtbot: Any, window: Any) -> None:
    editor = window.new_order()
    assert not editor.is_dirty()
    editor._product_picked({"sku": "PZ-MARG", "name": "Margherita"})
    editor._product_picked({"sku": "DR-COKE", "name": "Coca-Cola 330 ml"})
    assert editor.is_dirty()
    activate(qtbot, editor)
    qtbot.keyClick(editor.picker, Qt.Key.Key_Z, Qt.KeyboardModifier.ControlModifier)
    assert [ln.sku for ln in editor.draft.live_lines()] == ["PZ-MARG"]
    editor.undo()
    assert editor.draft.live_lines() == []
    assert not editor.is_dirty()


def test_editing_a_saved_order_and_taking_payment(qtbot: Any, window: Any, store: Any,
                                                  shop_engine: Any) -> None:
    due = (dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)).isoformat()
    order = new_order(shop_engine, customer="07700 900214", due_at=due)
    editor = window.open_order(order["id"])
    assert not editor.is_dirty(), "opening an order changes nothing"
    editor.lines_model.setData(editor.lines_model.index(0, 1), "3")
    editor._product_picked({"sku": "SD-GARL", "name": "Garlic bread"})
    editor.assignee.setCurrentText("Marco")
    with qtbot.waitSignal(editor.sig_saved, timeout=10_000):
        editor.save()
        assert editor._saving, editor.problems.text()
    detail = store.order_detail(order["id"])
    assert detail["assignee"] == "Marco"
    assert [(ln["sku"], ln["qty"]) for ln in detail["lines"] if not ln["removed"]] == \
        [("PZ-MARG", "3"), ("SD-GARL", "1")]
    editor.pay_amount.setText("10")
    editor._take_payment()
    qtbot.waitUntil(lambda: editor.draft.paid == 1000, timeout=10_000)
    # the session's shop is shared: other tests may have repriced the catalog, so the
    # balance is what this order's total leaves after the £10 paid
    owed = store.money(store.order_detail(order["id"])["total"] - 1000)
    assert "To pay" in editor.balance_label.text() and owed in editor.balance_label.text()
    assert any("10.00" in editor.payments.item(i).text() for i in range(editor.payments.count()))


def test_engine_refusal_is_shown(qtbot: Any, window: Any, shop_engine: Any) -> None:
    order = new_order(shop_engine)
    shop_engine.call("order.set_status", {"order": order["id"], "status": "cancelled"})
    editor = window.open_order(order["id"])
    editor._product_picked({"sku": "DR-WATR", "name": "Still water"})
    editor.save()
    qtbot.waitUntil(lambda: not editor._saving, timeout=10_000)
    assert editor.problems.text() and "Saving" not in editor.problems.text()


def test_ticket_is_a_pdf(window: Any, shop_engine: Any) -> None:
    order = new_order(shop_engine, customer="07700 900123")
    path = window.print_ticket(order["id"])
    assert isinstance(path, Path) and path.read_bytes().startswith(b"%PDF")

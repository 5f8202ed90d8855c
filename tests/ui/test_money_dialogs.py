"""The order editor's money dialogs against a real engine: return, refund, discount,
exchange, payment with change due, the confirmation question; bad input in each."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication

from app.ui.money_dialogs import (
    ConfirmDialog,
    DiscountDialog,
    ExchangeDialog,
    RefundDialog,
    ReturnDialog,
)
from tests.helpers.screenshots import screenshots_dir
from tests.ui.conftest import new_order


def shot(widget: Any, name: str) -> Path:
    QApplication.processEvents()
    shots = screenshots_dir()
    shots.mkdir(parents=True, exist_ok=True)
    path = shots / f"{name}.png"
    assert widget.grab().save(str(path)), path
    return path


def sold(engine: Any, *lines: tuple[str, str], paid: str | None = "card") -> dict[str, Any]:
    order = new_order(engine, lines=[{"sku": s, "qty": q} for s, q in lines])
    engine.call("order.set_status", {"order": order["id"], "status": "collected"})
    if paid:
        engine.call("order.pay", {"order": order["id"], "amount": str(order["total"] / 100),
                                  "method": paid})
    return engine.call("order.show", {"order": order["id"]})


def open_saved(qtbot: Any, window: Any, order: dict[str, Any]) -> Any:
    qtbot.waitUntil(lambda: window.store.order_detail(order["id"]) is not None
                    and window.store.order_detail(order["id"])["paid"] == order["paid"],
                    timeout=10_000)
    return window.open_order(order["id"])


def test_return_then_refund_from_the_editor(qtbot: Any, window: Any, shop_engine: Any) -> None:
    order = sold(shop_engine, ("PZ-MARG", "2"), ("DR-COKE", "1"))
    editor = open_saved(qtbot, window, order)
    assert editor.return_button.isEnabled() and not editor.discount_button.isEnabled()
    editor.open_return()
    dialog = editor.money_dialog
    assert isinstance(dialog, ReturnDialog)
    dialog._ok()
    assert dialog.error.text() == "Choose at least one item to return."
    dialog.spins[0][1].setValue(5)  # capped at what was sold
    assert dialog.spins[0][1].value() == 2
    dialog.spins[0][1].setValue(1)
    dialog._ok()
    assert dialog.error.text() == "Say why it came back."
    dialog.reason.setCurrentText("dropped")
    assert dialog.error.text() == ""
    shot(dialog, "return-dialog")
    dialog._ok()
    qtbot.waitUntil(lambda: editor.draft.lines[0].returned_qty == "1", timeout=10_000)
    assert "To give back" in editor.balance_label.text()
    history = [editor.history.item(i).text() for i in range(editor.history.count())]
    assert any("Returned 1 × Margherita (dropped), restocked" in h for h in history), history

    editor.open_refund()
    refund = editor.money_dialog
    assert isinstance(refund, RefundDialog)
    margherita = order["lines"][0]["amount"] // 2  # one of the two came back
    assert refund.minor() == margherita, "it offers what is owed back"
    for bad, words in (("", "Type the amount"), ("-3", "more than zero"), ("abc", "not an "
                       "amount"), ("9" * 30, "implausibly large"), ("1.234", "more decimals"),
                           (str(order["paid"]), "more than the")):
        refund.amount.setText(bad)
        assert words in refund.problem(), (bad, refund.problem())
    refund.amount.setText(editor.store.money(margherita))
    shot(refund, "refund-dialog")
    refund._ok()
    qtbot.waitUntil(lambda: editor.draft.refunded == margherita, timeout=10_000)
    assert "Settled" in editor.balance_label.text()


def test_discount_dialog(qtbot: Any, window: Any, shop_engine: Any) -> None:
    order = new_order(shop_engine, lines=[{"sku": "PZ-MARG", "qty": "2"}])
    editor = open_saved(qtbot, window, order)
    editor.open_discount()
    dialog = editor.money_dialog
    assert isinstance(dialog, DiscountDialog)
    for bad, words in (("", "Type the discount"), ("ten", "not a percentage"),
                       ("150", "between 0 and 100"), ("-5", "between 0 and 100")):
        dialog.value.setText(bad)
        assert words in dialog.problem(), bad
    dialog.amount.setChecked(True)
    dialog.value.setText("x" * 500)
    assert "not an amount" in dialog.problem()
    dialog.percent.setChecked(True)
    dialog.value.setText("10")
    shot(dialog, "discount-dialog")
    dialog._ok()
    total = order["total"]
    qtbot.waitUntil(lambda: editor.draft.discount is not None, timeout=10_000)
    assert editor.draft_money().total == total - round(total * 0.1)
    assert "Discounts" in editor.balance_label.text()


def test_cash_gives_change_and_a_large_card_payment_asks(qtbot: Any, window: Any,
                                                         shop_engine: Any) -> None:
    order = sold(shop_engine, ("PZ-MARG", "1"), paid=None)
    editor = open_saved(qtbot, window, order)
    editor.pay_amount.setText("50")
    editor.pay_method.setCurrentText("cash")
    editor._take_payment()
    qtbot.waitUntil(lambda: "Change due" in editor.pay_hint.text(), timeout=10_000)
    assert editor.store.money(5000 - order["total"]) in editor.pay_hint.text()
    editor.tabs.setCurrentIndex(1)
    shot(editor, "editor-change-due")
    second = sold(shop_engine, ("PZ-MARG", "1"), paid=None)
    editor2 = open_saved(qtbot, window, second)
    editor2.pay_amount.setText("500")
    editor2.pay_method.setCurrentText("card")
    editor2._take_payment()
    qtbot.waitUntil(lambda: editor2.findChild(ConfirmDialog) is not None, timeout=10_000)
    ask = editor2.findChild(ConfirmDialog)
    shot(ask, "confirm-card-overpayment")
    ask.reject()
    qtbot.waitUntil(lambda: "Not done" in editor2.problems.text(), timeout=5_000)
    assert editor2.draft.paid == 0


def test_exchange_dialog(qtbot: Any, window: Any, shop_engine: Any) -> None:
    order = sold(shop_engine, ("PZ-MARG", "1"))
    editor = open_saved(qtbot, window, order)
    editor.open_exchange()
    dialog = editor.money_dialog
    assert isinstance(dialog, ExchangeDialog)
    dialog.spins[0][1].setValue(1)
    dialog.reason.setCurrentText("wrong pizza")
    assert dialog.problem() == "Add what the customer takes instead."
    dialog.product.setCurrentIndex(dialog.product.findData("PZ-VEG"))
    dialog.add_item()
    shot(dialog, "exchange-dialog")
    dialog._ok()
    qtbot.waitUntil(lambda: getattr(editor, "exchanged", None) is not None, timeout=10_000)
    new = shop_engine.call("order.show", {"order": editor.exchanged})
    assert new["exchange_of"] == order["id"] and new["paid"] > 0


@pytest.mark.parametrize("text", ["", "   ", "\u202e" * 3, "x" * 300, "Zoë ✓"])
def test_return_reason_bad_input(qtbot: Any, store: Any, shop_engine: Any, text: str) -> None:
    order = sold(shop_engine, ("DR-COKE", "1"), paid=None)
    dialog = ReturnDialog(order, store)
    qtbot.addWidget(dialog)
    dialog.spins[0][1].setValue(1)
    dialog.reason.setCurrentText(text)
    if text.strip():
        assert dialog.problem() == ""
        assert len(dialog.request().params.reason) <= 200
    else:
        assert dialog.problem() == "Say why it came back."

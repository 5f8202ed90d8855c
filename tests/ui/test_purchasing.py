"""The Suppliers page against the session engine: suppliers, the reorder suggestion, a
purchase order drafted, sent as a PDF, received in two deliveries (stock follows)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from tests.ui.test_screenshots import not_blank, save


def page(window: Any, qtbot: Any) -> Any:
    window.show_page(6)
    return window.suppliers


def test_supplier_to_delivery(qtbot: Any, window: Any, store: Any, shop_engine: Any,
                              tmp_path: Path) -> None:
    view = page(window, qtbot)
    dialog = view.edit_supplier(None)
    dialog._ok()
    assert dialog.error.text() == "Give the supplier a name."
    dialog.name.setText("Caseificio Rossì & Figli")
    dialog.email.setText("ordini@rossi.example")
    dialog.lead.setValue(2)
    dialog.products.setText("DL-MOZZ, DS-CANN")
    dialog._ok()
    qtbot.waitUntil(lambda: any(s["name"].startswith("Caseificio") for s in store.suppliers()),
                    timeout=10_000)
    supplier = next(s for s in store.suppliers() if s["name"].startswith("Caseificio"))
    assert supplier["products"] == ["DL-MOZZ", "DS-CANN"]
    qtbot.waitUntil(lambda: any(r["sku"] == "DL-MOZZ" and r["supplier_id"] == supplier["id"]
                                for r in view._suggestions), timeout=10_000)
    assert view.suppliers.count() >= 1
    # draft from the ticked suggestions of this supplier only
    for r, row in enumerate(view._suggestions):
        tick = view.reorder.item(r, 0)
        tick.setCheckState(Qt.CheckState.Checked if row["supplier_id"] == supplier["id"]
                           else Qt.CheckState.Unchecked)
    mozz = next(r for r, row in enumerate(view._suggestions) if row["sku"] == "DL-MOZZ")
    view.reorder.item(mozz, 7).setText("10")
    shot = save(window, "suppliers")
    assert not_blank(shot)
    before = {po["id"] for po in store.purchase_orders()}
    view.draft_from_suggestions()
    qtbot.waitUntil(lambda: len(store.purchase_orders()) > len(before), timeout=10_000)
    po = next(p for p in store.purchase_orders() if p["id"] not in before)
    line = next(ln for ln in po["lines"] if ln["sku"] == "DL-MOZZ")
    assert line["qty_milli"] == 10_000 and po["state"] == "draft"
    qtbot.waitUntil(lambda: any(p["id"] == po["id"] for p in view._pos), timeout=10_000)
    view.orders.selectRow(next(i for i, p in enumerate(view._pos) if p["id"] == po["id"]))
    view.data_dir = tmp_path
    path = view.send_selected()
    assert path is not None and path.read_bytes().startswith(b"%PDF")
    qtbot.waitUntil(lambda: store.purchase_order(po["id"])["state"] == "sent", timeout=10_000)

    stock_before = next(r for r in store.stock() if r["sku"] == "DL-MOZZ")["on_hand_milli"]
    view.orders.selectRow(next(i for i, p in enumerate(view._pos) if p["id"] == po["id"]))
    receive = view.receive_selected()
    row = next(i for i, ln in enumerate(receive.lines) if ln["sku"] == "DL-MOZZ")
    for bad, words in (("-1", "negative"), ("lots", "not a quantity"), ("11", "still to come")):
        receive.set_received(row, bad)
        receive._ok()
        assert words in receive.error.text()
    for r in range(len(receive.lines)):
        receive.set_received(r, "0")
    receive._ok()
    assert "Nothing came in" in receive.error.text()
    receive.set_received(row, "4")
    save(receive, "purchase-order-receive")
    receive._ok()
    qtbot.waitUntil(lambda: store.purchase_order(po["id"])["state"] == "partly received",
                    timeout=10_000)
    assert next(r for r in store.stock() if r["sku"] == "DL-MOZZ")["on_hand_milli"] == \
        stock_before + 4000
    shop_engine.call("po.receive", {"po": po["number"], "all": True})
    qtbot.waitUntil(lambda: store.purchase_order(po["id"])["state"] == "received",
                    timeout=10_000)
    with pytest.raises(Exception, match="cannot be cancelled"):
        shop_engine.call("po.cancel", {"po": po["number"]})


def test_supplier_bad_input_is_refused(qtbot: Any, window: Any, store: Any) -> None:
    view = page(window, qtbot)
    for field, value, words in (("email", "not-an-email", "not an email"),
                                ("products", "NOPE-1", "unknown sku"),
                                ("name", "x" * 121, "longer than 120")):
        dialog = view.edit_supplier(None)
        dialog.name.setMaxLength(500)
        dialog.name.setText("Bad supplier")
        getattr(dialog, field).setText(value)
        with qtbot.waitSignal(window.actions_.sig_error, timeout=10_000) as refused:
            dialog._ok()
        assert words in refused.args[0].lower()
    assert not any(s["name"] == "Bad supplier" for s in store.suppliers())

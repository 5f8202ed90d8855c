"""Staff at the till against a real engine of their own (staff change who may do what,
so not in the shared demo shop): the Ctrl+U switcher, the manager's PIN asked on the
spot, and Settings → Staff."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from app.ui.money_dialogs import ManagerPinDialog, RefundDialog
from app.ui.staff_dialogs import AddStaffDialog, StaffSection
from tests.ui.conftest import EngineProcess, activate
from tests.ui.test_money_dialogs import shot


@pytest.fixture(scope="module")
def staffed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EngineProcess]:
    engine = EngineProcess(tmp_path_factory.mktemp("staff") / "till")
    try:
        engine.call("shop.create", {"name": "Deli", "currency": "GBP", "region": "GB"})
        engine.call("product.add", {"sku": "CAKE", "name": "Tiramisu", "price": "4.50",
                                    "tax_rate": "20"})
        engine.call("staff.add", {"name": "Maria", "role": "manager", "pin": "9999"})
        engine.call("staff.add", {"name": "Ann", "pin": "1234", "by": "Maria"})
        yield engine
    finally:
        engine.stop()


@pytest.fixture
def staff_window(qtbot: Any, staffed: EngineProcess, settings: Any, theme: Any
                 ) -> Iterator[Any]:
    from app.ui.engine_link import EngineLink
    from app.ui.main_window import MainWindow
    from app.ui.read_store import ReadStore

    link = EngineLink(staffed.data_dir, start_engine=False)
    link.start()
    qtbot.waitUntil(lambda: link.connected, timeout=10_000)
    store = ReadStore(staffed.data_dir)
    win = MainWindow(link, store, settings, theme, Path(staffed.data_dir))
    win.show()
    qtbot.waitExposed(win)
    win.reload_all()
    yield win
    for editor in list(win.editors.values()) + list(win._new_editors):
        editor.discard_and_close()
    win.close()
    link.close()
    store.close()


def test_ctrl_u_switches_who_is_at_the_till(qtbot: Any, staff_window: Any,
                                            staffed: EngineProcess) -> None:
    activate(qtbot, staff_window)
    qtbot.keyClick(staff_window, Qt.Key.Key_U, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: getattr(staff_window, "staff_switcher", None) is not None
                    and staff_window.staff_switcher.isVisible(), timeout=5_000)
    switcher = staff_window.staff_switcher
    names = [switcher.people.item(i).text() for i in range(switcher.people.count())]
    assert names[0].startswith("Maria") and names[1].startswith("Ann")
    switcher.people.setCurrentRow(1)
    switcher.pin.setText("0000")
    switcher._sign_in()
    qtbot.waitUntil(lambda: "do not match" in switcher.error.text(), timeout=10_000)
    assert switcher.pin.text() == "", "a wrong PIN is not left in the field"
    switcher.pin.setText("1234")
    shot(switcher, "staff-switcher")
    qtbot.keyClick(switcher.pin, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (staff_window.signed_in or {}).get("name") == "Ann",
                    timeout=10_000)
    assert "Ann" in staff_window.staff_button.text()
    order = staffed.call("order.add", {"lines": ["CAKE:2"]})
    assert order["history"][0]["by"] == "Ann", "the engine records who is signed in"


def test_a_refund_asks_for_a_managers_pin(qtbot: Any, staff_window: Any,
                                          staffed: EngineProcess) -> None:
    staffed.call("staff.sign_in", {"name": "Ann", "pin": "1234"})
    order = staffed.call("order.add", {"lines": ["CAKE:1"]})
    staffed.call("order.set_status", {"order": order["id"], "status": "collected"})
    staffed.call("order.pay", {"order": order["id"], "amount": "4.50", "method": "cash"})
    qtbot.waitUntil(lambda: (staff_window.store.order_detail(order["id"]) or {}).get("paid")
                    == 450, timeout=10_000)
    editor = staff_window.open_order(order["id"])
    assert "Tax 20% (incl.)" in editor.balance_label.text()
    editor.open_refund()
    refund = editor.money_dialog
    assert isinstance(refund, RefundDialog)
    refund._ok()
    qtbot.waitUntil(lambda: editor.findChild(ManagerPinDialog) is not None, timeout=10_000)
    ask = editor.findChild(ManagerPinDialog)
    qtbot.keyClicks(ask.pin, "ab")
    assert ask.pin.text() == "", "the field takes digits only"
    for bad in ("", "12", "abcd", "1" * 13):
        ask.pin.setText(bad)
        ask._ok()
        assert "4 to 12 digits" in ask.error.text()
    ask.pin.setText("9999")
    shot(ask, "manager-pin")
    ask._ok()
    qtbot.waitUntil(lambda: editor.draft.refunded == 450, timeout=10_000)
    detail = staffed.call("order.show", {"order": order["id"]})
    assert any(h["text"] == "Ann refunded £4.50 by cash" for h in detail["history"])


def test_settings_staff_section(qtbot: Any, staff_window: Any, staffed: EngineProcess) -> None:
    staffed.call("staff.sign_in", {"name": "Maria", "pin": "9999"})
    settings = staff_window.open_settings()
    section = settings.findChild(StaffSection)
    assert section is not None and section.list.count() >= 2
    dialog = AddStaffDialog(section)
    qtbot.addWidget(dialog)
    for name, pin, again, problem in (("", "1234", "1234", "needs a name"),
                                      ("   ", "1234", "1234", "needs a name"),
                                      ("Bo", "12", "12", "4 to 12 digits"),
                                      ("Bo", "1234", "4321", "not the same")):
        dialog.name.setText(name)
        dialog.pin.setText(pin)
        dialog.again.setText(again)
        assert problem in dialog.problem()
    dialog.name.setText("Zoë " + "x" * 100)
    assert len(dialog.name.text()) == 60, "names are cut at the shop's limit"
    dialog.name.setText("  Zoë  ")
    dialog.pin.setText("5555")
    dialog.again.setText("5555")
    assert dialog.problem() == ""
    section._send(dialog.request(), "Zoë added.")
    qtbot.waitUntil(lambda: section.status.text() == "Zoë added.", timeout=10_000)
    shot(settings, "settings-staff")
    assert any(s["name"] == "Zoë" for s in staffed.call("staff.list"))
    settings.reject()

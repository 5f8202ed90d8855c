"""Screen-pop on an incoming call, the stock page, settings, status bar, notifications."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt

from app.till_settings import SCHEMA, TillSettings
from tests.ui.conftest import activate


def test_incoming_call_pops_the_callers_card(qtbot: Any, window: Any, link: Any,
                                             store: Any) -> None:
    customer = store.customers("Ann Smith")[0]
    call = {"id": "call_test", "number": "+447700900123", "name": "ANN SMITH",
            "at": "2026-11-23T12:00:00+00:00", "presentation": "ok"}
    # the event arrives on the client's reader thread, like a real engine event
    sender = threading.Thread(target=link.inject_event, args=(
        {"event": "incoming_call", "call": call, "customer_id": None},))
    with qtbot.waitSignal(link.sig_incoming_call, timeout=1_000):
        sender.start()
    sender.join()
    pop = window.screen_pop
    qtbot.waitUntil(pop.isVisible, timeout=1_000)
    assert pop.card.customer_id == customer["id"]
    assert pop.card.name.text() == "Ann Smith"
    assert "nuts" in pop.card.notes.text()
    assert pop.card.orders.count() >= 1
    assert pop.card.orders.item(0).text().startswith("A-")
    activate(qtbot, pop)
    qtbot.keyClick(pop, Qt.Key.Key_N)
    editor = window._new_editors[-1]
    assert editor.draft.customer_id == customer["id"]
    assert editor.draft.channel == "phone"
    assert not pop.isVisible()


def test_unknown_caller_gets_an_empty_card(qtbot: Any, window: Any, link: Any) -> None:
    link.inject_event({"event": "incoming_call", "customer_id": None, "call": {
        "number": "+447700900777", "at": "2026-11-23T12:00:00+00:00", "presentation": "ok"}})
    qtbot.waitUntil(window.screen_pop.isVisible, timeout=1_000)
    assert window.screen_pop.card.name.text() == "Unknown caller"
    assert window.screen_pop.card.phone.text() == "+447700900777"
    window.screen_pop._new_order("")
    assert window._new_editors[-1].draft.customer_phone == "+447700900777"


def test_stock_adjust_resolve_and_undo(qtbot: Any, window: Any, store: Any,
                                       shop_engine: Any) -> None:
    window.show_page(4)
    view = window.stock
    row = next(r for r in range(view.model.rowCount())
               if view.model.row(r)["sku"] == "DR-WATR")
    before = int(view.model.row(row)["on_hand_milli"])
    window.actions_.adjust_stock("DR-WATR", "12", "delivery received")
    qtbot.waitUntil(lambda: any(r["sku"] == "DR-WATR" and r["on_hand_milli"] == before + 12000
                                for r in store.stock()), timeout=10_000)
    qtbot.waitUntil(lambda: any(
        view.model.row(r)["sku"] == "DR-WATR" and
        view.model.row(r)["on_hand_milli"] == before + 12000
        for r in range(view.model.rowCount())), timeout=10_000)
    assert window.undo_action.isEnabled()
    window.actions_.undo_last()
    qtbot.waitUntil(lambda: any(r["sku"] == "DR-WATR" and r["on_hand_milli"] == before
                                for r in store.stock()), timeout=10_000)
    alerts = store.alerts()
    assert alerts, "the demo overbooks the mozzarella"
    assert view.alerts_model.rowCount() == len(alerts)
    view.alerts.setCurrentIndex(view.alerts_model.index(0, 0))
    view.resolve_selected()
    qtbot.waitUntil(lambda: view.alerts_model.rowCount() == len(alerts) - 1, timeout=10_000)


def test_adjust_dialog_checks_input(qtbot: Any) -> None:
    from app.ui.stock_view import AdjustStockDialog

    dialog = AdjustStockDialog("DR-COKE", "Coca-Cola", "main")
    qtbot.addWidget(dialog)
    dialog.delta.setText("lots")
    assert dialog.check() == "Type how much to add (12) or remove (-2)."
    dialog.delta.setText("0")
    assert dialog.check() == "A change of zero changes nothing."
    dialog.delta.setText("-2")
    assert dialog.reason.currentData() == ""  # no reason is chosen for staff
    assert dialog.check() == "Choose why the stock changes."
    dialog.reason.setCurrentIndex(dialog.reason.findData("breakage"))
    dialog.note.setText("dropped a crate")
    assert dialog.check() == ""
    assert dialog.values() == ("-2", "breakage: dropped a crate")


def test_settings_schema_round_trip(tmp_path: Path) -> None:
    settings = TillSettings(tmp_path)
    assert {s.name for s in SCHEMA} >= {"till_name", "modem_port", "callerid_port", "theme"}
    settings.set("modem_port", "/dev/ttyUSB0")
    settings.set("theme", "dark")
    settings.save()
    again = TillSettings(tmp_path)
    assert again.get("modem_port") == "/dev/ttyUSB0" and again.get("theme") == "dark"
    (tmp_path / "ui_settings.json").write_text('{"sound": "loud", "theme": 3}')
    broken = TillSettings(tmp_path)
    assert broken.get("sound") is True and broken.get("theme") == "system"


def test_settings_dialog_saves_and_switches_theme(qtbot: Any, window: Any) -> None:
    from app.ui.theme import DARK

    dialog = window.open_settings()
    dialog.fields["till_name"].setText("Front counter")
    combo = dialog.fields["theme"]
    combo.setCurrentIndex(combo.findData("dark"))
    dialog.save()
    assert window.settings.get("till_name") == "Front counter"
    assert window.theme.palette is DARK
    assert TillSettings(window.settings.path.parent).get("theme") == "dark"


def test_status_bar_shows_devices_and_peers(qtbot: Any, window: Any, link: Any) -> None:
    link.inject_event({"event": "device_status", "device": "modem", "state": "ok",
                       "detail": "SIM ready", "signal_bars": 3})
    qtbot.waitUntil(lambda: "modem" in window.status.devices, timeout=1_000)
    label = window.status.devices["modem"]
    assert "Modem ready" in label.text() and "▮▮▮▯" in label.text()
    qtbot.waitUntil(lambda: window.status.peers_supported is not None, timeout=10_000)
    assert window.status.peers.text().startswith("Peers")


def test_notifications_fall_back_to_toasts(qtbot: Any, window: Any, shop_engine: Any) -> None:
    window.show_page(1)
    with qtbot.waitSignal(window.notifier.sig_notified, timeout=10_000,
                          check_params_cb=lambda t, _x, _l: t.startswith("New SMS")):
        shop_engine.call("message.receive", {"channel": "sms", "from": "07700 900183",
                                             "text": "Are you open late tonight?",
                                             "intake": False})
    assert any(t.isVisible() for t in window.notifier.toasts)
    assert not window.nav.badge.isHidden()


def test_pairing_dialog_lists_pending_tills(qtbot: Any, window: Any, link: Any) -> None:
    from app.ui.settings_dialog import PairingDialog

    dialog = PairingDialog(link)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "Waiting for a till" in dialog.status.text() or
                    not dialog.available, timeout=10_000)
    assert dialog.requests.count() == 0
    assert not dialog.approve.isEnabled()
    dialog._timer.stop()


def test_ctrl_digits_switch_views(qtbot: Any, window: Any) -> None:
    activate(qtbot, window)
    for digit, page in ((Qt.Key.Key_1, window.inbox), (Qt.Key.Key_3, window.orders),
                        (Qt.Key.Key_5, window.stock), (Qt.Key.Key_2, window.board)):
        qtbot.keyClick(window, digit, Qt.KeyboardModifier.ControlModifier)
        assert window.stack.currentWidget() is page


def test_new_shop_form_takes_the_currency_from_the_region(qtbot: Any) -> None:
    """Issue 11: the new-shop form defaulted to EUR for a GB shop."""
    from app.ui.settings_dialog import ShopForm

    form = ShopForm()
    qtbot.addWidget(form)
    assert form.region.currentData() == "GB" and form.currency.currentText() == "GBP"
    form.region.setCurrentIndex(form.region.findData("CH"))
    assert form.currency.currentText() == "CHF"
    form.region.setCurrentIndex(form.region.findData("DE"))
    assert form.params().currency == "EUR"
    form.currency.setCurrentText("USD")
    form.currency.activated.emit(form.currency.currentIndex())  # staff chose one
    form.region.setCurrentIndex(form.region.findData("GB"))
    assert form.params().currency == "USD"


def test_pairing_dialog_shows_this_tills_address(qtbot: Any, link: Any) -> None:
    from app.ui.settings_dialog import PairingDialog

    dialog = PairingDialog(link)
    qtbot.addWidget(dialog)
    qtbot.waitUntil(lambda: "asking" not in dialog.address.text(), timeout=10_000)
    status = link.client.call("peers.status", {})
    # the test engine runs without mDNS: its listening address is the one to give
    expected = (status["addresses"] or [f"{status['listen_host']}:{status['listen_port']}"])[0]
    assert expected in dialog.address.text() and str(status["listen_port"]) in expected
    dialog.reject()


def test_status_bar_formats_merges_and_keeps_updating(qtbot: Any, link: Any) -> None:
    """Issue 11: "Updated HH:MM" froze when the engine reported peers, and a float
    ``last_merge`` could not be formatted."""
    from app.ui.status_bar import TillStatusBar, when_of
    from sync.changes import Changes

    bar = TillStatusBar(link)
    qtbot.addWidget(bar)
    qtbot.waitUntil(lambda: bar.peers_supported is True, timeout=10_000)
    assert "does not report" not in bar.peers.text()
    bar.on_peers({"peers": [], "last_merge": 1_790_000_000.5})
    assert "synced" in bar.last_sync.text()
    bar._on_changed(Changes(orders={"x"}))
    assert bar.last_sync.text().startswith("Updated ")
    assert when_of("nonsense") is None and when_of(None) is None
    assert when_of(1_790_000_000.5) is not None

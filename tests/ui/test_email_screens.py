"""The new screens of issue 12, driven by keyboard where staff would, and saved as PNGs
(build/screenshots/): an email conversation, quick replies, the notice bar, and the
mailbox, customer-message and quick-reply settings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt

from tests.ui.test_inbox import select
from tests.ui.test_screenshots import not_blank, save


def test_email_conversation_and_quick_replies(qtbot: Any, window: Any, shop_engine: Any) -> None:
    window.resize(1360, 820)
    shop_engine.call("quick_reply.add", {"name": "gluten",
                                         "text": "Hi {customer}, all our bases can be made "
                                                 "gluten-free for 2.00 extra."})
    shop_engine.call("quick_reply.add", {"name": "opening times",
                                         "text": "We are open 11:00-23:00 every day."})
    select(window, qtbot, lambda r: r.get("last_channel") == "email")
    conv = window.inbox.conversation
    assert "Reply by email" in conv.reply.placeholderText()
    shots = [save(window, "inbox-email-conversation")]
    conv.reply.setFocus()
    qtbot.keyClicks(conv.reply, "/")
    qtbot.waitUntil(lambda: not conv.picker.isHidden())
    assert conv.picker.count() >= 2
    shots.append(save(window, "inbox-quick-replies"))
    qtbot.keyClick(conv.reply, Qt.Key.Key_Escape)
    assert conv.picker.isHidden()
    conv.reply.clear()
    assert all(not_blank(s) for s in shots)


def test_notice_bar_screenshot(qtbot: Any, window: Any, shop_engine: Any) -> None:
    shop_engine.call("shop.set_setting", {"key": "notify_mode", "value": "confirm"})
    try:
        customer = shop_engine.call("customer.add", {"name": "Priya Nair",
                                                     "emails": ["priya@example.com"]})
        order = shop_engine.call("order.add", {"customer": customer["id"],
                                               "lines": ["PZ-MARG:2"]})
        window.show_page(1)
        shop_engine.call("order.set_status", {"order": order["id"], "status": "ready"})
        qtbot.waitUntil(lambda: "Priya" in window.notice_bar.text.text(), timeout=10_000)
        assert "by email" in window.notice_bar.text.text()
        path = save(window, "board-notice-bar")
        assert not_blank(path)
        window.notice_bar.setFocus()
        qtbot.keyClick(window.notice_bar, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: window.notice_bar.isHidden()
                        or "Priya" not in window.notice_bar.text.text(), timeout=10_000)
    finally:
        shop_engine.call("shop.set_setting", {"key": "notify_mode", "value": "off"})


def test_settings_pages_for_mail_templates_and_quick_replies(qtbot: Any, window: Any,
                                                              shop_engine: Any) -> None:
    dialog = window.open_settings()
    dialog.resize(760, 720)
    tabs = dialog.tabs
    tabs.setCurrentWidget(dialog.mailbox)
    qtbot.waitUntil(lambda: dialog.mailbox.status.text() != "", timeout=10_000)
    assert "No mailbox" in dialog.mailbox.status.text()
    dialog.mailbox.imap_host.setText("imap.example.com")
    dialog.mailbox.user.setText("orders@luigis.example")
    shots = [save(dialog, "settings-mailbox")]
    tabs.setCurrentWidget(dialog.notifications)
    page = dialog.notifications
    qtbot.waitUntil(lambda: bool(page.templates), timeout=10_000)
    page.names.setCurrentRow(1)  # ready for pickup
    assert "ready for pickup" in page.preview.text()
    page.text.setPlainText("Hi {customer}, {order} is ready. {total} to pay.")
    assert "Hi Ann, A-0042 is ready. 24.50 to pay." in page.preview.text()
    shots.append(save(dialog, "settings-customer-messages"))
    page.save_template()
    qtbot.waitUntil(lambda: page.status.text() == "Saved.", timeout=10_000)
    assert window.store.edited_templates()["ready"]["text"].startswith("Hi {customer}")
    from sync.ledger.replies import TEMPLATE_DEFAULTS  # put the session shop's words back

    shop_engine.call("template.set", {"name": "ready", "text": TEMPLATE_DEFAULTS["ready"][1]})
    tabs.setCurrentWidget(dialog.quick_replies)
    dialog.quick_replies.reload()
    shots.append(save(dialog, "settings-quick-replies"))
    dialog.reject()
    assert all(not_blank(s) for s in shots[:2]) and shots[2].stat().st_size > 10_000

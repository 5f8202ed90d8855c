"""The conversation inbox: one row per customer across channels, the thread, assigning,
tagging, done and snoozed, replying on the customer's channel, quick replies by keyboard,
the one-key confirm of a prepared notice, and turning a message into an order."""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from app.ui import operations as ops
from app.ui.order_models import ROW_ROLE


def select(window: Any, qtbot: Any, predicate: Any) -> dict[str, Any]:
    """Select the conversation whose latest message (or row) matches ``predicate``."""
    window.show_page(0)
    inbox = window.inbox
    inbox.status.setCurrentIndex(inbox.status.findData("all"))
    model = inbox.model
    for row in range(model.rowCount()):
        data = model.row_at(row)
        items = window.store.conversation_items(data["key"])
        if predicate(data) or any(predicate(i) for i in items if i.get("kind") == "message"):
            inbox.list.setCurrentIndex(model.index(row, 0))
            qtbot.waitUntil(lambda d=data: inbox.conversation.row is not None and
                            inbox.conversation.row["key"] == d["key"])
            assert inbox.conversation.message is not None
            return dict(inbox.conversation.message)
    raise AssertionError("no such conversation in the inbox")


def test_inbox_lists_one_conversation_per_customer_newest_first(window: Any) -> None:
    inbox = window.inbox
    inbox.status.setCurrentIndex(inbox.status.findData("all"))
    model = inbox.model
    rows = [model.row_at(r) for r in range(model.rowCount())]
    keys = [r["key"] for r in rows]
    assert len(keys) == len(set(keys)), "one row per customer"
    assert {"sms", "email", "whatsapp"} <= {c for r in rows for c in r["channels"]}
    assert [r["last_at"] for r in rows] == sorted((r["last_at"] for r in rows), reverse=True)
    unread = next(r for r in range(model.rowCount()) if model.row_at(r)["unread"])
    assert model.index(unread, 0).data(Qt.ItemDataRole.FontRole).bold()
    assert [r for r in rows if r.get("customer_name")], "names resolved from number or address"


def test_channel_filter_and_search(qtbot: Any, window: Any) -> None:
    inbox = window.inbox
    inbox.status.setCurrentIndex(inbox.status.findData("all"))
    inbox.channel.setCurrentIndex(inbox.channel.findData("email"))
    assert inbox.model.rowCount() >= 1
    assert all("email" in inbox.model.row_at(r)["channels"]
               for r in range(inbox.model.rowCount()))
    inbox.channel.setCurrentIndex(0)
    inbox.search.setText("gluten")
    assert inbox.model.rowCount() == 1
    items = window.store.conversation_items(inbox.model.row_at(0)["key"])
    assert any("gluten" in str(i.get("body")).lower() for i in items)
    inbox.search.setText("")


def test_conversation_shows_the_thread_and_the_proposal(qtbot: Any, window: Any) -> None:
    msg = select(window, qtbot, lambda r: "office lunch" in str(r.get("body")).lower())
    conv = window.inbox.conversation
    assert conv.name.text() == "Ryan Shah"
    assert not conv.proposal.isHidden()
    assert "Margherita" in conv.proposal.text()
    texts = [w.text() for w in conv.thread.findChildren(type(conv.name))]
    assert any("office lunch" in t.lower() for t in texts)
    assert msg["customer_id"]


def test_assign_tag_done_and_filters(qtbot: Any, window: Any, shop_engine: Any) -> None:
    got = shop_engine.call("message.receive", {"channel": "sms", "from": "07700 900777",
                                               "text": "do you deliver to Leith?",
                                               "intake": False})
    key = shop_engine.call("message.list", {"search": "Leith"})[0]["sender"]
    inbox = window.inbox
    window.show_page(0)
    inbox.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: inbox.model.row_for_id(key) >= 0, timeout=10_000)
    inbox.select_conversation(key)
    conv = inbox.conversation
    qtbot.waitUntil(lambda: conv.row is not None and conv.row["key"] == key)
    window.settings.set("staff_name", "Maria")
    conv.take()
    qtbot.waitUntil(lambda: "Maria" in conv.chips.text(), timeout=10_000)
    inbox.view.setCurrentIndex(inbox.view.findData("mine"))
    assert [inbox.model.row_at(r)["key"] for r in range(inbox.model.rowCount())] == [key]
    inbox.view.setCurrentIndex(inbox.view.findData("unassigned"))
    assert inbox.model.row_for_id(key) < 0
    inbox.view.setCurrentIndex(0)
    window.actions_.run(ops.tag(key, add=["delivery"]))
    qtbot.waitUntil(lambda: "#delivery" in conv.chips.text(), timeout=10_000)
    inbox.reload()
    inbox.tag.setCurrentIndex(inbox.tag.findData("delivery"))
    assert [inbox.model.row_at(r)["key"] for r in range(inbox.model.rowCount())] == [key]
    inbox.tag.setCurrentIndex(0)
    inbox.select_conversation(key)
    qtbot.waitUntil(lambda: conv.row is not None and conv.row["key"] == key)
    conv.toggle_done()
    qtbot.waitUntil(lambda: inbox.model.row_for_id(key) < 0, timeout=10_000)  # open only
    inbox.status.setCurrentIndex(inbox.status.findData("done"))
    assert inbox.model.row_for_id(key) >= 0
    # the customer writes again: the conversation opens by itself, on every till
    shop_engine.call("message.receive", {"channel": "sms", "from": "07700 900777",
                                         "text": "and to Portobello?", "intake": False})
    inbox.status.setCurrentIndex(0)
    qtbot.waitUntil(lambda: inbox.model.row_for_id(key) >= 0, timeout=10_000)
    assert got["id"]


def test_quick_reply_is_inserted_by_keyboard_and_filled_in(qtbot: Any, window: Any,
                                                           shop_engine: Any) -> None:
    shop_engine.call("quick_reply.add", {"name": "hours",
                                         "text": "Hi {customer}, we are open 11-23 daily."})
    qtbot.waitUntil(lambda: any(r["name"] == "hours" for r in window.store.quick_replies()),
                    timeout=10_000)
    select(window, qtbot, lambda r: "office lunch" in str(r.get("body")).lower())
    conv = window.inbox.conversation
    conv.reply.setFocus()
    qtbot.keyClicks(conv.reply, "/hou")
    assert not conv.picker.isHidden() and conv.picker.count() == 1
    qtbot.keyClick(conv.reply, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: conv.reply.toPlainText() == "Hi Ryan, we are open 11-23 daily.",
                    timeout=10_000)
    assert conv.picker.isHidden()
    conv.reply.clear()


def test_a_prepared_notice_goes_out_with_one_key(qtbot: Any, window: Any,
                                                 shop_engine: Any) -> None:
    shop_engine.call("shop.set_setting", {"key": "notify_mode", "value": "confirm"})
    customer = shop_engine.call("customer.add", {"name": "Nora Quinn",
                                                 "phones": ["07700 900321"]})
    order = shop_engine.call("order.add", {"customer": customer["id"], "lines": ["PZ-MARG:1"]})
    window.show_page(1)
    shop_engine.call("order.set_status", {"order": order["id"], "status": "ready"})
    bar = window.notice_bar
    qtbot.waitUntil(lambda: not bar.isHidden() and "Nora" in bar.text.text(), timeout=10_000)
    assert "ready for pickup" in bar.text.text()
    draft = bar.draft
    assert draft is not None
    bar.setFocus()
    qtbot.keyClick(bar, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: (window.store.message(draft["id"]) or {}).get("state")
                    in ("queued", "sending"), timeout=10_000)
    shop_engine.call("shop.set_setting", {"key": "notify_mode", "value": "off"})
    shown = shop_engine.call("order.show", {"order": order["id"]})
    assert [h["new"] for h in shown["history"] if h["field"] == "notice"] == ["ready: draft"]
    qtbot.waitUntil(lambda: bar.isHidden(), timeout=10_000)


def test_message_becomes_a_draft_order_linked_to_it(qtbot: Any, window: Any, store: Any,
                                                     shop_engine: Any) -> None:
    window.show_page(0)
    got = shop_engine.call("message.receive", {
        "channel": "sms", "from": "07700 900950", "text": "hi, 3 wings and a tiramisu",
        "intake": False})
    qtbot.waitUntil(lambda: window.inbox.model.row_for_id("+447700900950") >= 0,
                    timeout=10_000)
    message = select(window, qtbot, lambda r: r.get("id") == got["id"])
    # the parser's proposal travels in the message row; give this one a known proposal
    message = dict(message, intake=json.dumps({"lines": [
        {"sku": "SD-WING", "product": "Chicken wings (6)", "quantity": "3",
         "modifiers": [{"name": "extra hot"}], "exclusions": [{"name": "celery"}]},
        {"sku": "DS-TIRA", "product": "Tiramisu", "quantity": "1"}],
        "requested_time": {"at": "2026-11-23T19:30:00+00:00"}, "fulfilment": "pickup",
        "confidence": 0.7}))
    editor = window.order_from_message(message)
    lines = editor.draft.live_lines()
    assert [(ln.sku, ln.qty) for ln in lines] == [("SD-WING", "3"), ("DS-TIRA", "1")]
    assert lines[0].modifiers == ["+extra hot", "no celery"]
    assert editor.draft.source_messages == [got["id"]]
    assert editor.draft.channel == "sms"
    assert editor.has_due.isChecked()
    with qtbot.waitSignal(editor.sig_saved, timeout=10_000) as saved:
        editor.save()
    order_id = saved.args[0]
    qtbot.waitUntil(lambda: (store.message(got["id"]) or {}).get("order_id") == order_id,
                    timeout=10_000)
    order = store.order_detail(order_id)
    assert order is not None and order["channel"] == "sms"
    assert [ln["sku"] for ln in order["lines"]] == ["SD-WING", "DS-TIRA"]


def test_message_without_proposal_gives_an_empty_draft(qtbot: Any, window: Any) -> None:
    message = select(window, qtbot, lambda r: "sunday" in str(r.get("body")).lower())
    window.inbox.conversation.make_order()
    editor = window._new_editors[-1]
    assert len(editor.draft.lines) == 1 and not editor.draft.lines[0].sku
    assert editor.draft.customer_phone == message["sender"]
    editor.save()
    assert "needs a product" in editor.problems.text()


def test_reply_queues_an_sms(qtbot: Any, window: Any, store: Any) -> None:
    select(window, qtbot, lambda r: r.get("last_channel") == "sms"
           and r.get("last_direction") == "in")
    conv = window.inbox.conversation
    assert "Reply by SMS to +44" in conv.reply.placeholderText()
    conv.reply.setPlainText("Yes, see you at 7!")
    conv.send_reply()
    qtbot.waitUntil(lambda: "Queued" in conv.reply_status.text() or
                    "not available" in conv.reply_status.text(), timeout=10_000)
    if "Queued" in conv.reply_status.text():
        assert conv.reply.toPlainText() == ""
        qtbot.waitUntil(lambda: any(
            r["direction"] == "out" and r["body"] == "Yes, see you at 7!"
            for r in store.messages_by_id(store.message_ids(
                __import__("app.ui.read_store", fromlist=["MessageFilter"]).MessageFilter(),
                50)).values()), timeout=10_000)


def test_email_replies_go_by_email(qtbot: Any, window: Any, store: Any) -> None:
    select(window, qtbot, lambda r: r.get("last_channel") == "email"
           and r.get("last_direction") == "in")
    conv = window.inbox.conversation
    assert "Reply by email to" in conv.reply.placeholderText() and conv.reply.isEnabled()
    conv.reply.setPlainText("Thanks, noted!")
    conv.send_reply()
    qtbot.waitUntil(lambda: "Queued" in conv.reply_status.text(), timeout=10_000)
    assert "mailbox" in conv.reply_status.text()


def test_opening_a_conversation_marks_it_read(qtbot: Any, window: Any, store: Any) -> None:
    select(window, qtbot, lambda r: bool(r.get("unread")))
    key = window.inbox.conversation.row["key"]
    qtbot.waitUntil(lambda: store.conversations_by_key([key])[key]["unread"] == 0,
                    timeout=10_000)
    row = window.inbox.model.row_for_id(key)
    qtbot.waitUntil(lambda: window.inbox.model.index(row, 0).data(ROW_ROLE)["unread"] == 0,
                    timeout=10_000)


def test_reply_box_follows_the_conversation(qtbot: Any, window: Any) -> None:
    """Issue 11: the reply box kept the previous conversation's number as its placeholder
    (and a reply typed to one customer stayed ready to go to the next)."""
    def sms_in(r: dict[str, Any]) -> bool:
        return r.get("channel") == "sms" and r.get("direction") == "in"

    first = select(window, qtbot, sms_in)
    conv = window.inbox.conversation
    assert first["sender"] in conv.reply.placeholderText()
    conv.reply.setPlainText("Your order is ready")
    second = select(window, qtbot, lambda r: sms_in(r) and r.get("sender") != first["sender"])
    assert second["sender"] in conv.reply.placeholderText()
    assert first["sender"] not in conv.reply.placeholderText()
    assert conv.reply.toPlainText() == ""
    select(window, qtbot, lambda r: r.get("channel") == "email")
    assert "Reply by email" in conv.reply.placeholderText()  # email replies exist (issue 12)

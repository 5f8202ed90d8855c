"""Conversations, replies by channel, status notices, templates, quick replies, opt-out and
feedback, through the command table on a real engine (Automerge + SQLite)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from app.engine.customer_notices import parse_rating
from app.engine.till_engine import TillEngine
from devices.events import Channel, InboundMessage
from sync.errors import CommandRejected, NotFound
from tests.helpers.commands import run

ANN_PHONE = "+447700900123"


def email_in(engine: TillEngine, sender: str, text: str, *, msgid: str,
             subject: str = "Order", **meta: str) -> str:
    """An email as the mailbox driver hands it to the ledger (no IMAP here)."""
    m = InboundMessage(channel=Channel.EMAIL, sender=sender, body=text,
                       received_at=dt.datetime.now(dt.UTC), dedupe_key=f"email:{msgid}",
                       raw="", subject=subject, meta={"message_id": msgid, **meta})
    customer = engine.ledger.customers.find(sender)
    changes = engine.execute(lambda L: L.inbox.record_message(
        channel="email", direction="in", sender=sender, recipient="shop@example.com",
        body=m.body, received_at=m.received_at, dedupe_key=m.dedupe_key, subject=subject,
        customer_id=customer, meta=m.meta))
    return str(changes.created)


def convs(engine: TillEngine, **args: Any) -> list[dict[str, Any]]:
    return list(run(engine, "conversation.list", args))


def test_one_conversation_per_customer_across_channels(engine: TillEngine) -> None:
    run(engine, "message.receive", {"channel": "sms", "from": "07700 900123", "text": "hi"})
    email_in(engine, "ann@example.com", "and by email", msgid="<e1@x>")
    run(engine, "message.receive", {"channel": "whatsapp", "from": "07700 900999",
                                    "text": "who is this"})
    rows = convs(engine)
    ann = next(r for r in rows if r["customer_name"] == "Ann Smith")
    assert ann["channels"] == ["email", "sms"] and ann["unread"] == 2 and ann["items"] == 2
    stranger = next(r for r in rows if r["key"] == "+447700900999")
    assert stranger["customer_id"] is None and stranger["unread"] == 1
    assert rows[0]["key"] == "+447700900999"  # newest first
    run(engine, "conversation.read", {"key": "ann@example.com"})
    assert next(r for r in convs(engine) if r["key"] == ann["key"])["unread"] == 0
    assert [r["key"] for r in convs(engine, unread=True)] == ["+447700900999"]
    assert [r["key"] for r in convs(engine, channel="email")] == [ann["key"]]


def test_assign_tag_done_snooze_and_reopen_on_a_new_message(engine: TillEngine) -> None:
    run(engine, "message.receive", {"channel": "sms", "from": "07700 900123", "text": "hi"})
    key = convs(engine)[0]["key"]
    row = run(engine, "conversation.assign", {"key": ANN_PHONE, "to": "Maria"})
    assert row["assignee"] == "Maria"
    assert [r["key"] for r in convs(engine, mine=True, me="Maria")] == [key]
    assert convs(engine, unassigned=True) == []
    run(engine, "conversation.tag", {"key": key, "add": ["vip", "catering"]})
    run(engine, "conversation.tag", {"key": key, "remove": ["catering"]})
    assert convs(engine, tag="vip")[0]["tags"] == ["vip"]
    assert run(engine, "conversation.set_status", {"key": key, "status": "done"})["status"] \
        == "done"
    assert convs(engine) == [] and convs(engine, status="done")[0]["key"] == key
    run(engine, "message.receive", {"channel": "sms", "from": "07700 900123",
                                    "text": "one more thing"})
    assert convs(engine)[0]["key"] == key  # a new message opens it again
    run(engine, "conversation.set_status", {"key": key, "status": "snoozed", "hours": 2})
    assert convs(engine) == [] and convs(engine, status="snoozed")[0]["key"] == key
    with pytest.raises(CommandRejected, match="snooze"):
        run(engine, "conversation.set_status", {"key": key, "status": "snoozed"})
    with pytest.raises(CommandRejected, match="--me"):
        run(engine, "conversation.list", {"mine": True})


def test_replies_go_back_on_the_channel_the_customer_used(engine: TillEngine) -> None:
    mid = email_in(engine, "Ann@Example.com".lower(), "Two loaves?", msgid="<ann-1@x>",
                   subject="Bread", references="<root@x>")
    queued = run(engine, "message.reply", {"message": mid, "text": "Yes!"})
    assert (queued["channel"], queued["to"], queued["subject"]) == (
        "email", "ann@example.com", "Re: Bread")
    out = run(engine, "message.list", {"direction": "out"})[0]
    assert out["meta"]["in_reply_to"] == "<ann-1@x>"
    assert out["meta"]["references"] == "<root@x> <ann-1@x>"
    sms = run(engine, "message.receive", {"channel": "sms", "from": "07700 900123",
                                          "text": "also by text"})
    assert run(engine, "message.reply", {"message": sms["id"], "text": "ok"})["channel"] == "sms"
    # a pasted WhatsApp chat is answered by SMS to the customer's phone
    chat = run(engine, "message.receive", {"channel": "whatsapp", "from": "07700 900123",
                                           "text": "via whatsapp"})
    reply = run(engine, "message.reply", {"message": chat["id"], "text": "got it"})
    assert (reply["channel"], reply["to"]) == ("sms", ANN_PHONE)
    nobody = run(engine, "message.receive", {"channel": "web", "from": "web form",
                                             "text": "anonymous"})
    with pytest.raises(CommandRejected, match="no phone number or email"):
        run(engine, "message.reply", {"message": nobody["id"], "text": "?"})


def test_status_changes_tell_the_customer_per_the_shop_setting(engine: TillEngine) -> None:
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:1"]})
    run(engine, "order.set_status", {"order": order["id"], "status": "confirmed"})
    (draft,) = run(engine, "message.list", {"state": "draft"})
    assert draft["recipient"] == ANN_PHONE and "is confirmed" in draft["body"]
    assert "Hi Ann" in draft["body"] and order["number"] in draft["body"]
    run(engine, "message.confirm", {"message": draft["id"]})
    assert run(engine, "message.list", {"state": "queued"})[0]["id"] == draft["id"]
    run(engine, "shop.set_setting", {"key": "notify_mode", "value": "auto"})
    detail = run(engine, "order.set_status", {"order": order["id"], "status": "ready"})
    assert [h["new"] for h in detail["history"] if h["field"] == "notice"] == [
        "confirmed: draft", "ready: queued"]
    assert len(run(engine, "message.list", {"state": "queued"})) == 2
    run(engine, "order.notify", {"order": order["id"], "kind": "delayed"})
    run(engine, "shop.set_setting", {"key": "notify_mode", "value": "off"})
    run(engine, "order.set_status", {"order": order["id"], "status": "cancelled"})
    assert len(run(engine, "message.list", {"state": "queued"})) == 3


def test_opted_out_customers_are_never_messaged_automatically(engine: TillEngine) -> None:
    run(engine, "shop.set_setting", {"key": "notify_mode", "value": "auto"})
    run(engine, "customer.opt_out", {"customer": "ann@example.com"})
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:1"]})
    detail = run(engine, "order.set_status", {"order": order["id"], "status": "ready"})
    assert [h["new"] for h in detail["history"] if h["field"] == "notice"] == [
        "ready: not sent: customer opted out"]
    assert run(engine, "message.list", {"direction": "out"}) == []
    # texting START opts back in; STOP opts out again (InboundRules)
    run(engine, "customer.opt_out", {"customer": "ann@example.com", "opt_out": False})
    assert run(engine, "customer.find", {"ref": "ann@example.com"})["opt_out"] == 0


def test_templates_are_editable_with_a_preview(engine: TillEngine) -> None:
    names = [t["name"] for t in run(engine, "template.list")]
    assert names == ["confirmed", "ready", "out_for_delivery", "delayed", "cancelled",
                     "feedback"]
    run(engine, "template.set", {"name": "ready", "text": "{customer}: {order} is ready, "
                                                         "{total} please."})
    preview = run(engine, "template.preview", {"name": "ready"})
    assert preview["text"] == "Ann: A-0042 is ready, 24.50 please."
    with pytest.raises(CommandRejected, match="unknown placeholder"):
        run(engine, "template.set", {"name": "ready", "text": "{nope}"})
    with pytest.raises(NotFound):
        run(engine, "template.preview", {"name": "exploded"})
    run(engine, "shop.set_setting", {"key": "notify_mode", "value": "auto"})
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:2"]})
    run(engine, "order.set_status", {"order": order["id"], "status": "ready"})
    (sent,) = run(engine, "message.list", {"state": "queued"})
    assert sent["body"] == f"Ann: {order['number']} is ready, 5.00 please."


def test_quick_replies_fill_their_placeholders(engine: TillEngine) -> None:
    run(engine, "message.receive", {"channel": "sms", "from": "07700 900123", "text": "hi"})
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:1"]})
    added = run(engine, "quick_reply.add", {"name": "total", "text": "Hi {customer}, order "
                                                                     "{order} is {total}."})
    assert [r["name"] for r in run(engine, "quick_reply.list")] == ["total"]
    filled = run(engine, "quick_reply.fill", {"id": added["id"], "key": "ann@example.com"})
    assert filled["text"] == f"Hi Ann, order {order['number']} is 2.50."
    run(engine, "quick_reply.update", {"id": added["id"], "archived": True})
    assert run(engine, "quick_reply.list") == []


def test_feedback_is_asked_recognised_kept_and_low_ratings_alert(engine: TillEngine) -> None:
    run(engine, "shop.set_setting", {"key": "notify_mode", "value": "auto"})
    run(engine, "shop.set_setting", {"key": "feedback_request", "value": True})
    order = run(engine, "order.add", {"customer": "ann@example.com", "lines": ["BREAD:1"]})
    run(engine, "order.set_status", {"order": order["id"], "status": "collected"})
    asked = run(engine, "message.list", {"state": "queued"})
    assert len(asked) == 1 and "rating from 1" in asked[0]["body"]
    # the reply comes in through a device (EngineSink runs the rules; here, directly)
    from app.engine.customer_notices import InboundRules

    mid = email_in(engine, "ann@example.com", "2 - the bread was stale", msgid="<fb@x>")
    customer = engine.ledger.customers.find("ann@example.com")
    assert InboundRules(engine).apply(mid, "2 - the bread was stale", customer_id=customer,
                                      auto=False)
    shown = run(engine, "order.show", {"order": order["id"]})
    assert shown["feedback"] is not None and '"rating":2' in shown["feedback"]
    assert '"comment":"the bread was stale"' in shown["feedback"]
    card = run(engine, "customer.find", {"ref": "ann@example.com"})
    assert order["id"] in card["feedback"]
    (alert,) = [a for a in run(engine, "alert.list") if a["kind"] == "low_rating"]
    assert (alert["sku"], alert["level"]) == (order["number"], "2")
    # a second "5" is an ordinary message now: the order has its rating
    assert not InboundRules(engine).apply(mid, "5", customer_id=customer, auto=False)


def test_stop_opts_out(engine: TillEngine) -> None:
    from app.engine.customer_notices import InboundRules

    customer = engine.ledger.customers.find("ann@example.com")
    mid = email_in(engine, "ann@example.com", "STOP", msgid="<stop@x>")
    assert InboundRules(engine).apply(mid, "STOP", customer_id=customer, auto=False)
    assert run(engine, "customer.find", {"ref": "ann@example.com"})["opt_out"] == 1


@pytest.mark.parametrize(("text", "rating"), [
    ("5", (5, "")), ("4/5 lovely", (4, "lovely")), ("3 stars, ok", (3, "ok")),
    ("★★★★", (4, "")), ("2 loaves please", None), ("10", None), ("hello", None)])
def test_ratings_are_recognised(text: str, rating: tuple[int, str] | None) -> None:
    assert parse_rating(text) == rating

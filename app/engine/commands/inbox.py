"""Inbox commands: messages (listed, marked, typed in by staff), calls, the SMS outbox,
and the order parser (a proposal for a text; learning a product's alias)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import when
from app.engine.commands.registry import EngineContext, Registry
from app.intake.alias_learning import AliasRejected, learn_alias
from sync.errors import CommandRejected
from sync.phones import normalise_phone, try_normalise_phone
from sync.read_model import queries as q
from sync.vocabulary import PHONE_CHANNELS

#: 10 concatenated parts of 153 GSM 7-bit characters
MAX_SMS_TEXT = 1530


def message_list(ctx: EngineContext, a: p.MessageList) -> list[p.MessageRow]:
    """The inbox; each row also has ``from`` (the sender), the email's ``meta`` (threading
    headers, attachments, defects) and its ``preview`` (quotes and signature trimmed)."""
    ctx.engine.require_shop()
    rows = q.list_messages(
        ctx.engine.read_model.conn, channel=a.channel, unread_only=a.unread, search=a.search,
        direction=a.direction, state=a.state, limit=a.limit)
    for row in rows:
        row["from"] = row["sender"]
        row["meta"] = json.loads(row["meta"]) if row.get("meta") else {}
    return cast(list[p.MessageRow], rows)


def message_update(ctx: EngineContext, a: p.MessageUpdate) -> p.Ok:
    fields: dict[str, Any] = {k: v for k, v in (
        ("read", a.read), ("order_id", a.order_id), ("customer_id", a.customer_id))
        if v is not p.UNSET}
    ctx.engine.execute(lambda L: L.inbox.update_message(a.message, **fields))
    return {"ok": True}


def message_receive(ctx: EngineContext, a: p.MessageReceive) -> p.Created:
    """Record an inbound message typed or pasted by staff (e.g. a WhatsApp chat)."""
    engine = ctx.engine
    ledger = engine.require_shop()
    sender = a.sender.strip()
    if not sender:
        raise CommandRejected("say who the message is from")
    if not a.text.strip():
        raise CommandRejected("the message is empty")
    if a.channel in PHONE_CHANNELS:
        sender = try_normalise_phone(sender, ledger.region) or sender
    received = when(a.received_at, "received_at") or dt.datetime.now(dt.UTC)
    customer = ledger.customers.find(sender)
    changes = engine.execute(lambda L: L.inbox.record_message(
        channel=a.channel, direction="in", sender=sender, recipient="", body=a.text,
        received_at=received, subject=a.subject, customer_id=customer))
    if a.read and changes.created:
        engine.execute(lambda L: L.inbox.update_message(str(changes.created), read=True))
    if a.intake and changes.messages:
        ctx.intake.process_message(str(changes.created), a.text, channel=a.channel,
                                   customer_id=ledger.customers.find(sender))
    return {"id": changes.created}


def call_list(ctx: EngineContext, a: p.Limit) -> list[p.CallRow]:
    ctx.engine.require_shop()
    return cast(list[p.CallRow], q.list_calls(ctx.engine.read_model.conn, limit=a.limit))


def sms_send(ctx: EngineContext, a: p.SmsSend) -> p.SmsQueued:
    """Put a message in the shop outbox (any till); the till with the modem sends it."""
    ledger = ctx.engine.require_shop()
    if not a.text.strip():
        raise CommandRejected("the message is empty")
    if len(a.text) > MAX_SMS_TEXT:
        raise CommandRejected("the message is too long for SMS (10 parts at most)")
    number = normalise_phone(a.to, ledger.region)
    customer = ledger.customers.find(number)
    changes = ctx.engine.execute(lambda L: L.inbox.record_message(
        channel="sms", direction="out", sender="", recipient=number, body=a.text,
        received_at=dt.datetime.now(dt.UTC), customer_id=customer, state="queued"))
    return {"id": changes.created, "to": number, "state": "queued"}


def intake_parse(ctx: EngineContext, a: p.IntakeParse) -> p.IntakeProposal:
    if not a.text.strip():
        raise CommandRejected("give the message text to parse")
    ctx.engine.require_shop()
    return ctx.intake.parse(a.text)


def intake_correct(ctx: EngineContext, a: p.IntakeCorrect) -> p.AliasLearned:
    """Staff corrected a proposed line: remember the customer's words as a product alias."""
    span, sku = a.text.strip(), a.sku.strip()
    if not span or not sku:
        raise CommandRejected("give the words the customer used and the SKU they meant")
    ctx.engine.require_shop()
    try:
        learned = learn_alias(span, ctx.intake.catalog(), sku=sku)
    except AliasRejected as exc:
        raise CommandRejected(str(exc)) from None
    if learned is None:
        return {"sku": sku, "alias": None, "learned": False}
    ctx.engine.execute(lambda L: L.catalog.add_alias(sku, learned.alias))
    return {"sku": sku, "alias": learned.alias, "learned": True,
            "previously": list(learned.previously)}


def register(reg: Registry) -> None:
    reg.add(p.MESSAGE_LIST, message_list)
    reg.add(p.MESSAGE_UPDATE, message_update)
    reg.add(p.MESSAGE_RECEIVE, message_receive)
    reg.add(p.CALL_LIST, call_list)
    reg.add(p.SMS_SEND, sms_send)
    reg.add(p.INTAKE_PARSE, intake_parse)
    reg.add(p.INTAKE_CORRECT, intake_correct)

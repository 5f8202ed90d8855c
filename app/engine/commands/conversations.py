"""Conversation commands: the inbox as one thread per customer (or unknown sender),
assigning, tagging, done and snoozed, replies through the customer's own channel, and
the one-key confirm of a prepared notification."""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import money_fields, when
from app.engine.commands.registry import EngineContext, Registry
from app.engine.customer_notices import queue_reply, route_for
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger import ShopLedger
from sync.read_model import queries as q


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds")


def conversation_key(ctx: EngineContext, ref: str) -> str:
    """The conversation a customer id, phone number or address names."""
    ref = ref.strip()
    if not ref:
        raise CommandRejected("say which conversation: a customer, phone number or address")
    ledger = ctx.engine.require_shop()
    found = ledger.customers.find(ref)
    if found:
        return found
    if "@" in ref:
        return ref.lower()
    from sync.phones import try_normalise_phone

    return try_normalise_phone(ref, ledger.region) or ref


def _row(ctx: EngineContext, key: str) -> p.ConversationRow:
    row = q.conversation_by_key(ctx.engine.read_model.conn, key, _now())
    if row is None:
        state = ctx.engine.ledger.conversations.get(key)
        if not state:
            raise NotFound(f"no conversation with {key}")
        return cast(p.ConversationRow, {"key": key, **state})
    return cast(p.ConversationRow, row)


def conversation_list(ctx: EngineContext, a: p.ConversationList) -> list[p.ConversationRow]:
    ctx.engine.require_shop()
    if a.mine and not a.me.strip():
        raise CommandRejected("say who you are for --mine: --me NAME")
    f = q.ConversationFilter(status="" if a.status == "all" else a.status, me=a.me.strip(),
                             mine=a.mine, unassigned=a.unassigned, unread=a.unread,
                             channel=a.channel, tag=a.tag, search=a.search)
    return cast(list[p.ConversationRow], q.conversation_rows(
        ctx.engine.read_model.conn, f, _now(), limit=a.limit, offset=a.offset))


def conversation_show(ctx: EngineContext, a: p.ConversationRef) -> p.ConversationDetail:
    key = conversation_key(ctx, a.key)
    out = cast(dict[str, Any], _row(ctx, key))
    conn = ctx.engine.read_model.conn
    out["items"] = q.conversation_items(conn, key)
    customer = out.get("customer_id")
    out["orders"] = [money_fields(ctx.engine, o, "total", "paid", "balance")
                     for o in q.list_orders(conn, customer_id=customer, limit=10)] \
        if customer else []
    try:
        route = route_for(conn, key)
        out["reply_channel"], out["reply_to"] = route.channel, route.to
    except CommandRejected:
        out["reply_channel"] = out["reply_to"] = None
    return cast(p.ConversationDetail, out)


def conversation_assign(ctx: EngineContext, a: p.ConversationAssign) -> p.ConversationRow:
    key = conversation_key(ctx, a.key)
    ctx.engine.execute(lambda L: L.conversations.assign(key, a.to, by=a.by))
    return _row(ctx, key)


def conversation_tag(ctx: EngineContext, a: p.ConversationTag) -> p.ConversationRow:
    key = conversation_key(ctx, a.key)
    ctx.engine.execute(lambda L: L.conversations.tag(key, add=a.add, remove=a.remove,
                                                     by=a.by))
    return _row(ctx, key)


def conversation_set_status(ctx: EngineContext,
                            a: p.ConversationSetStatus) -> p.ConversationRow:
    key = conversation_key(ctx, a.key)
    until = when(a.until, "until") if a.until else None
    if a.status == "snoozed" and until is None:
        if a.hours <= 0:
            raise CommandRejected("snooze --until TIME or --for-hours N")
        until = dt.datetime.now(dt.UTC) + dt.timedelta(hours=a.hours)
    ctx.engine.execute(lambda L: L.conversations.set_status(key, a.status, until=until,
                                                            by=a.by))
    return _row(ctx, key)


def conversation_read(ctx: EngineContext, a: p.ConversationRef) -> p.ConversationRow:
    key = conversation_key(ctx, a.key)
    for mid in q.conversation_unread_ids(ctx.engine.read_model.conn, key):
        ctx.engine.execute(functools.partial(_mark_read, mid=mid))
    return _row(ctx, key)


def _mark_read(ledger: ShopLedger, *, mid: str) -> Changes:
    return ledger.inbox.update_message(mid, read=True)


def _queued(ctx: EngineContext, mid: str | None) -> p.Queued:
    row = q.message_meta(ctx.engine.read_model.conn, str(mid)) if mid else None
    if row is None:
        return {"id": mid, "state": "queued"}
    return {"id": mid, "channel": row["channel"], "to": row["recipient"],
            "subject": row["subject"], "state": row["state"]}


def conversation_reply(ctx: EngineContext, a: p.ConversationReply) -> p.Queued:
    key = conversation_key(ctx, a.key)
    conn = ctx.engine.read_model.conn
    route = route_for(conn, key)
    customer = key if q.customer_contacts(conn, key) else None
    changes = queue_reply(ctx.engine, route, a.text, customer_id=customer, subject=a.subject)
    return _queued(ctx, changes.created)


def message_reply(ctx: EngineContext, a: p.MessageReply) -> p.Queued:
    """Answer ``message`` on its own channel (an email threaded onto it)."""
    ctx.engine.require_shop()
    conn = ctx.engine.read_model.conn
    msg = q.message_meta(conn, a.message)
    if msg is None:
        raise NotFound(f"no message {a.message}")
    key = msg.get("customer_id") or (msg["sender"] if msg["direction"] == "in"
                                     else msg["recipient"])
    route = route_for(conn, key, prefer=msg)
    changes = queue_reply(ctx.engine, route, a.text, customer_id=msg.get("customer_id"),
                          subject=a.subject, order_id=msg.get("order_id"))
    if not msg.get("read"):
        ctx.engine.execute(lambda L: L.inbox.update_message(a.message, read=True))
    return _queued(ctx, changes.created)


def message_confirm(ctx: EngineContext, a: p.MessageRef) -> p.Queued:
    row = q.message_meta(ctx.engine.read_model.conn, a.message)
    if row is None:
        raise NotFound(f"no message {a.message}")
    if row["state"] != "draft":
        raise CommandRejected(f"that message is {row['state']}, not waiting to be sent")
    ctx.engine.execute(lambda L: L.inbox.update_message(a.message, state="queued"))
    return _queued(ctx, a.message)


def message_discard(ctx: EngineContext, a: p.MessageRef) -> p.Ok:
    row = q.message_meta(ctx.engine.read_model.conn, a.message)
    if row is None:
        raise NotFound(f"no message {a.message}")
    if row["state"] != "draft":
        raise CommandRejected(f"that message is {row['state']}; only a draft can be dropped")
    ctx.engine.execute(lambda L: L.inbox.update_message(a.message, state="discarded"))
    return {"ok": True}


def register(reg: Registry) -> None:
    reg.add(p.CONVERSATION_LIST, conversation_list)
    reg.add(p.CONVERSATION_SHOW, conversation_show)
    reg.add(p.CONVERSATION_ASSIGN, conversation_assign)
    reg.add(p.CONVERSATION_TAG, conversation_tag)
    reg.add(p.CONVERSATION_SET_STATUS, conversation_set_status)
    reg.add(p.CONVERSATION_READ, conversation_read)
    reg.add(p.CONVERSATION_REPLY, conversation_reply)
    reg.add(p.MESSAGE_REPLY, message_reply)
    reg.add(p.MESSAGE_CONFIRM, message_confirm)
    reg.add(p.MESSAGE_DISCARD, message_discard)

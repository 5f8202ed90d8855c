"""Template commands: the status-change templates and their preview, quick replies,
telling a customer about their order now, and opting a customer out."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.arguments import customer_id, order_ref
from app.engine.commands.conversations import conversation_key
from app.engine.commands.orders import order_show
from app.engine.commands.registry import EngineContext, Registry
from app.engine.customer_notices import Notifier, fill
from sync.errors import CommandRejected, NotFound
from sync.ledger.replies import TEMPLATE_DEFAULTS
from sync.read_model import queries as q


def template_list(ctx: EngineContext, _: p.NoParams) -> list[p.TemplateRow]:
    ledger = ctx.engine.require_shop()
    return [cast(p.TemplateRow, ledger.replies.template(name)) for name in TEMPLATE_DEFAULTS]


def template_set(ctx: EngineContext, a: p.TemplateSet) -> p.TemplateRow:
    ctx.engine.require_shop()
    ctx.engine.execute(lambda L: L.replies.set_template(a.name, text=a.text, subject=a.subject,
                                                        enabled=a.enabled))
    return cast(p.TemplateRow, ctx.engine.ledger.replies.template(a.name))


def template_preview(ctx: EngineContext, a: p.TemplatePreview) -> dict[str, str]:
    ctx.engine.require_shop()
    if a.name not in TEMPLATE_DEFAULTS:
        raise NotFound(f"no template {a.name!r}; there are: {', '.join(TEMPLATE_DEFAULTS)}")
    ref = order_ref(ctx.engine, a.order) if a.order else None
    return Notifier(ctx.engine).preview(a.name, ref)


def quick_reply_list(ctx: EngineContext, _: p.NoParams) -> list[p.QuickReplyRow]:
    ctx.engine.require_shop()
    return cast(list[p.QuickReplyRow], q.quick_reply_rows(ctx.engine.read_model.conn))


def _quick_reply(ctx: EngineContext, rid: str) -> p.QuickReplyRow:
    for row in q.quick_reply_rows(ctx.engine.read_model.conn, archived=True):
        if row["id"] == rid:
            return cast(p.QuickReplyRow, row)
    raise NotFound(f"no quick reply {rid}")


def quick_reply_add(ctx: EngineContext, a: p.QuickReplyAdd) -> p.QuickReplyRow:
    ctx.engine.require_shop()
    changes = ctx.engine.execute(lambda L: L.replies.add_quick_reply(a.name, a.text))
    return _quick_reply(ctx, str(changes.created))


def quick_reply_update(ctx: EngineContext, a: p.QuickReplyUpdate) -> p.QuickReplyRow:
    ctx.engine.require_shop()
    ctx.engine.execute(lambda L: L.replies.update_quick_reply(
        a.id, name=a.name, text=a.text, archived=a.archived))
    return _quick_reply(ctx, a.id)


def quick_reply_fill(ctx: EngineContext, a: p.QuickReplyFill) -> dict[str, str]:
    """The saved words with {customer}, {order}, ... filled in (their latest order)."""
    reply = _quick_reply(ctx, a.id)
    engine = ctx.engine
    conn = engine.read_model.conn
    order = None
    if a.order:
        order = q.order_detail(conn, order_ref(engine, a.order))
    elif a.key:
        key = conversation_key(ctx, a.key)
        latest = q.list_orders(conn, customer_id=key, limit=1)
        order = latest[0] if latest else None
        if order is None and q.customer_contacts(conn, key):
            name = q.customer_name(conn, key) or ""
            return {"text": fill(reply["text"], {"customer": name.split()[0] if name
                                                 else "there"})}
    notifier = Notifier(engine)
    values = notifier.values(order) if order else {"shop": notifier.settings()["shop"]}
    return {"text": fill(reply["text"], values)}


def order_notify(ctx: EngineContext, a: p.OrderNotify) -> p.OrderDetail:
    """Tell the customer now (a delay, or a notice that was switched off at the time)."""
    if a.kind not in TEMPLATE_DEFAULTS:
        raise CommandRejected(f"no template {a.kind!r}; there are: "
                              f"{', '.join(TEMPLATE_DEFAULTS)}")
    ref = order_ref(ctx.engine, a.order)
    oid = ctx.engine.ledger.orders.locate(ref)[0]
    Notifier(ctx.engine).notify(oid, a.kind, by=a.by, mode="auto")
    return order_show(ctx, p.OrderRef(order=ref))


def customer_opt_out(ctx: EngineContext, a: p.CustomerOptOut) -> p.CustomerRow:
    cid = customer_id(ctx.engine, a.customer)
    ctx.engine.execute(lambda L: L.customers.set_opt_out(cid, a.opt_out))
    rows = q.list_customers_by_id(ctx.engine.read_model.conn, cid)
    return cast(p.CustomerRow, rows[0])


def register(reg: Registry) -> None:
    reg.add(p.TEMPLATE_LIST, template_list)
    reg.add(p.TEMPLATE_SET, template_set)
    reg.add(p.TEMPLATE_PREVIEW, template_preview)
    reg.add(p.QUICK_REPLY_LIST, quick_reply_list)
    reg.add(p.QUICK_REPLY_ADD, quick_reply_add)
    reg.add(p.QUICK_REPLY_UPDATE, quick_reply_update)
    reg.add(p.QUICK_REPLY_FILL, quick_reply_fill)
    reg.add(p.ORDER_NOTIFY, order_notify)
    reg.add(p.CUSTOMER_OPT_OUT, customer_opt_out)

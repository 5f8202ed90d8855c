"""Order commands: take, list, show, move along the lifecycle (and back, once), edit,
lines, payments and returns."""

from __future__ import annotations

import functools
from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import (
    customer_id,
    fulfilment,
    line_inputs,
    money,
    money_fields,
    order_ref,
    when,
)
from app.engine.commands.registry import EngineContext, Registry
from app.engine.customer_notices import Notifier
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger import ShopLedger
from sync.lifecycle import STATUSES
from sync.money import parse_quantity
from sync.read_model import queries as q


def order_add(ctx: EngineContext, a: p.OrderAdd) -> p.OrderDetail:
    engine = ctx.engine
    engine.require_shop()
    cid = customer_id(engine, a.customer) if a.customer else None
    lines = line_inputs(engine, a.lines)
    due = when(a.due_at)
    fulfil = fulfilment(a.fulfilment, a.delivery_address)
    changes = engine.execute(lambda L: L.orders.create(
        customer_id=cid, lines=lines, channel=a.channel, notes=a.notes, tags=a.tags,
        assignee=a.assignee, due_at=due, fulfilment=fulfil, custom_fields=a.custom_fields,
        source_message_ids=a.source_messages, by=a.by))
    return order_show(ctx, p.OrderRef(order=str(changes.created)))


def order_list(ctx: EngineContext, a: p.OrderList) -> list[p.OrderRow]:
    engine = ctx.engine
    engine.require_shop()
    if a.status and a.status not in STATUSES:
        raise CommandRejected(f"unknown status {a.status!r}; use one of: {', '.join(STATUSES)}")
    rows = q.list_orders(engine.read_model.conn, status=a.status, search=a.search,
                         limit=a.limit, open_only=a.open)
    return [cast(p.OrderRow, money_fields(engine, r, "total", "paid", "balance"))
            for r in rows]


def order_show(ctx: EngineContext, a: p.OrderRef) -> p.OrderDetail:
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    found = engine.ledger.orders.locate(ref)  # raises NotFound in plain words
    detail = q.order_detail(engine.read_model.conn, found[0])
    if detail is None:
        raise NotFound(f"no order {ref}")
    for line in detail["lines"]:
        money_fields(engine, line, "unit_price", "line_total")
    for pay in detail["payments"]:
        money_fields(engine, pay, "amount")
    return cast(p.OrderDetail, money_fields(engine, detail, "total", "paid", "balance"))


def order_set_status(ctx: EngineContext, a: p.OrderSetStatus) -> p.OrderDetail:
    """Move the order; the customer hears about it as the shop's templates say
    (``customer_notices.Notifier``: at once, after a one-key confirm, or not at all)."""
    ref = order_ref(ctx.engine, a.order)
    ctx.engine.execute(lambda L: L.orders.set_status(ref, a.status, by=a.by))
    oid = ctx.engine.ledger.orders.locate(ref)[0]
    Notifier(ctx.engine).status_changed(oid, a.status, by=a.by)
    return order_show(ctx, p.OrderRef(order=ref))


def order_undo_status(ctx: EngineContext, a: p.OrderUndoStatus
                      ) -> p.OrderDetail | p.UndoneMoves:
    """Take back the last status move of one order (``order``, ``from``, ``to``) or of
    several (``moves``). Each order is its own transaction: a move that can no longer be
    undone is reported in ``refused`` and the others still go back."""
    moves: list[Any] = a.moves or [{"order": a.order, "from": a.moved_from, "to": a.moved_to}]
    undone: list[p.OrderDetail] = []
    refused: list[dict[str, str]] = []
    for move in moves:
        if not isinstance(move, dict):
            raise CommandRejected("each move is an object with order, from and to")
        ref = order_ref(ctx.engine, _need(move, "order"))
        moved_from, moved_to = _need(move, "from"), _need(move, "to")
        try:
            ctx.engine.execute(functools.partial(_undo, ref=ref, moved_from=moved_from,
                                                 moved_to=moved_to, by=a.by))
        except CommandRejected as exc:
            if len(moves) == 1:
                raise
            refused.append({"order": ref, "reason": str(exc)})
            continue
        undone.append(order_show(ctx, p.OrderRef(order=ref)))
    if not undone:
        raise CommandRejected("; ".join(f"{r['order']}: {r['reason']}" for r in refused))
    return undone[0] if len(moves) == 1 else {"undone": undone, "refused": refused}


def _undo(ledger: ShopLedger, *, ref: str, moved_from: str, moved_to: str, by: str) -> Changes:
    return ledger.orders.undo_status(ref, moved_from=moved_from, moved_to=moved_to, by=by)


def _need(move: dict[str, Any], key: str) -> str:
    value = move.get(key)
    if value is None:
        raise CommandRejected(f"{key} is required")
    return str(value)


def order_pay(ctx: EngineContext, a: p.OrderPay) -> p.OrderDetail:
    ref = order_ref(ctx.engine, a.order)
    amount = money(ctx.engine, a.amount)
    ctx.engine.execute(lambda L: L.orders.record_payment(
        ref, amount, method=a.method, reference=a.reference, refund=a.refund, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_update(ctx: EngineContext, a: p.OrderUpdate) -> p.OrderDetail:
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    cid = customer_id(engine, a.customer) if a.customer else None
    due: Any = False if a.due_at is p.UNSET else when(a.due_at)
    fulfil = fulfilment(a.fulfilment, a.delivery_address)
    engine.execute(lambda L: L.orders.update(
        ref, assignee=a.assignee, notes=a.notes, due_at=due, fulfilment=fulfil,
        custom_fields=a.custom_fields or None, add_tags=a.add_tags, remove_tags=a.remove_tags,
        customer_id=cid, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_add_line(ctx: EngineContext, a: p.OrderAddLine) -> p.OrderDetail:
    ref = order_ref(ctx.engine, a.order)
    (line,) = line_inputs(ctx.engine, [a.line])
    ctx.engine.execute(lambda L: L.orders.add_line(ref, line, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_update_line(ctx: EngineContext, a: p.OrderUpdateLine) -> p.OrderDetail:
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    qty = parse_quantity(a.qty) if a.qty not in (None, "") else None
    price = money(engine, a.unit_price) if a.unit_price not in (None, "") else None
    engine.execute(lambda L: L.orders.update_line(ref, a.line_id, quantity=qty, unit_price=price,
                                           notes=a.notes, remove=a.remove, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_return(ctx: EngineContext, a: p.OrderReturn) -> p.OrderDetail:
    ref = order_ref(ctx.engine, a.order)
    parsed = {str(k): parse_quantity(v) for k, v in a.lines.items()} if a.lines else None
    ctx.engine.execute(lambda L: L.orders.record_return(ref, parsed, restock=a.restock,
                                                reason=a.reason, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def register(reg: Registry) -> None:
    reg.add(p.ORDER_ADD, order_add)
    reg.add(p.ORDER_LIST, order_list)
    reg.add(p.ORDER_SHOW, order_show)
    reg.add(p.ORDER_SET_STATUS, order_set_status)
    reg.add(p.ORDER_UNDO_STATUS, order_undo_status)
    reg.add(p.ORDER_PAY, order_pay)
    reg.add(p.ORDER_UPDATE, order_update)
    reg.add(p.ORDER_ADD_LINE, order_add_line)
    reg.add(p.ORDER_UPDATE_LINE, order_update_line)
    reg.add(p.ORDER_RETURN, order_return)

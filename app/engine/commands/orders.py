"""Order commands: take, list, show, move along the lifecycle (and back, once), edit,
lines, payments, refunds, returns, discounts and exchanges.

Before the ledger writes, each handler makes the checks that need the shop's settings
or a person (``guards``): amounts and quantities beyond the sanity limits want
``confirm``; refunds, price overrides, discounts above the limit and write-offs want a
manager (``StaffDesk.require_manager``)."""

from __future__ import annotations

import functools
from decimal import Decimal
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
from app.engine.commands.guards import (
    check_amount,
    check_quantity,
    discount_limit,
    in_selling_unit,
    price_override,
)
from app.engine.commands.registry import EngineContext, Registry
from app.engine.customer_notices import Notifier
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger import LineInput, ShopLedger
from sync.lifecycle import STATUSES
from sync.money import parse_quantity
from sync.order_history import history_text
from sync.order_totals import AMOUNT, PERCENT
from sync.read_model import queries as q

ORDER_MONEY = ("total", "paid", "balance", "subtotal", "discount", "tax", "returned",
               "adjusted_total", "refunded")


def _check_lines(ctx: EngineContext, lines: list[LineInput], confirm: bool,
                 manager_pin: str, by: str) -> None:
    """Sanity limits and price overrides of lines about to be written."""
    for line in lines:
        what = line.description or line.sku or "item"
        product = ctx.engine.ledger.catalog.products().get(line.sku or "") or {}
        check_quantity(ctx, in_selling_unit(line.quantity, line.unit,
                                            str(product.get("unit") or "each")), confirm, what)
        if line.unit_price is not None:
            check_amount(ctx, line.unit_price, confirm, f"the price of {what}")
            if price_override(ctx, line.sku, line.unit_price):
                ctx.staff.require_manager(by, manager_pin, f"changing the price of {what}")


def order_add(ctx: EngineContext, a: p.OrderAdd) -> p.OrderDetail:
    engine = ctx.engine
    engine.require_shop()
    cid = customer_id(engine, a.customer) if a.customer else None
    lines = line_inputs(engine, a.lines)
    _check_lines(ctx, lines, a.confirm, a.manager_pin, a.by)
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
    return [cast(p.OrderRow, money_fields(engine, r, *ORDER_MONEY)) for r in rows]


def order_show(ctx: EngineContext, a: p.OrderRef) -> p.OrderDetail:
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    found = engine.ledger.orders.locate(ref)  # raises NotFound in plain words
    detail = q.order_detail(engine.read_model.conn, found[0])
    if detail is None:
        raise NotFound(f"no order {ref}")
    for line in detail["lines"]:
        money_fields(engine, line, "unit_price", "line_total", "discount_amount", "amount",
                     "returned_amount")
    for pay in detail["payments"]:
        money_fields(engine, pay, "amount", "tendered", "change")
    for tax in detail["tax_lines"]:
        money_fields(engine, tax, "net", "tax")
    for entry in detail["history"]:
        entry["text"] = history_text(entry, engine.ledger.money_text)
    return cast(p.OrderDetail, money_fields(engine, detail, *ORDER_MONEY, "change_due"))


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
    """A payment (cash over what is owed gives change: ``change_due`` in the answer) or,
    with ``refund``, money given back, which needs a manager."""
    ref = order_ref(ctx.engine, a.order)
    amount = money(ctx.engine, a.amount)
    check_amount(ctx, amount, a.confirm, "a refund of" if a.refund else "a payment of")
    if a.refund:
        ctx.staff.require_manager(a.by, a.manager_pin, "a refund")
    changes = ctx.engine.execute(lambda L: L.orders.record_payment(
        ref, amount, method=a.method, reference=a.reference, refund=a.refund,
        confirm=a.confirm, by=a.by))
    detail = order_show(ctx, p.OrderRef(order=ref))
    made = next((x for x in detail.get("payments", []) if x["id"] == changes.created), None)
    if made is not None and made.get("change"):
        detail["change_due"] = int(made["change"])
        money_fields(ctx.engine, cast(dict[str, Any], detail), "change_due")
    return detail


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
    _check_lines(ctx, [line], a.confirm, a.manager_pin, a.by)
    ctx.engine.execute(lambda L: L.orders.add_line(ref, line, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_update_line(ctx: EngineContext, a: p.OrderUpdateLine) -> p.OrderDetail:
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    line_id = line_of(ctx, ref, a.line_id)
    stored = engine.ledger.orders.get(ref)["lines"][line_id]
    what = str(stored.get("description") or "item")
    qty = parse_quantity(a.qty) if a.qty not in (None, "") else None
    price = money(engine, a.unit_price, "line price") if a.unit_price not in (None, "") else None
    if a.unit and qty is None:
        raise CommandRejected("a unit goes with a quantity (qty)")
    if qty is not None:
        selling = str(stored.get("unit") or "") or str(
            engine.ledger.catalog.products().get(str(stored.get("sku") or ""), {}).get("unit")
            or "each")
        check_quantity(ctx, in_selling_unit(qty, a.unit, selling), a.confirm, what)
    if price is not None and price != stored.get("unit_price"):
        check_amount(ctx, price, a.confirm, f"the price of {what}")
        if stored.get("sku"):
            ctx.staff.require_manager(a.by, a.manager_pin, f"changing the price of {what}")
    engine.execute(lambda L: L.orders.update_line(
        ref, line_id, quantity=qty, unit_price=price, notes=a.notes, remove=a.remove,
        unit=(a.unit or "").strip() or None, asked=a.asked, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def line_of(ctx: EngineContext, ref: str, line: str) -> str:
    """The id of the line ``line`` names: its id, or its number on the order (1, 2, ...)
    counting the lines still on it, as ``order show`` and the ticket list them."""
    lines = ctx.engine.ledger.orders.get(ref).get("lines") or {}
    if line in lines:
        return str(line)
    text = str(line).strip()
    if text.isdigit():
        live = [lid for lid, ln in sorted(lines.items(), key=lambda kv: (
            int(kv[1].get("pos") or 0), kv[0])) if not ln.get("removed")]
        n = int(text)
        if 1 <= n <= len(live):
            return str(live[n - 1])
    raise NotFound(f"order {ref} has no line {line}")


def _returned(ctx: EngineContext, ref: str, lines: dict[str, Any] | None
              ) -> dict[str, Decimal] | None:
    if not lines:
        return None
    return {line_of(ctx, ref, str(k)): parse_quantity(v) for k, v in lines.items()}


def order_return(ctx: EngineContext, a: p.OrderReturn) -> p.OrderDetail:
    ref = order_ref(ctx.engine, a.order)
    parsed = _returned(ctx, ref, a.lines)
    if not a.restock:
        ctx.staff.require_manager(a.by, a.manager_pin, "writing goods off")
    ctx.engine.execute(lambda L: L.orders.record_return(ref, parsed, restock=a.restock,
                                                        reason=a.reason, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def order_discount(ctx: EngineContext, a: p.OrderDiscount) -> p.OrderDetail:
    """A percentage or an amount off a line or the order; above the shop's limit
    (``discount_limit``, percent) it needs a manager."""
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    given = [x for x in (a.percent, a.amount) if x not in (None, "")]
    if len(given) != 1:
        raise CommandRejected("give either a percentage or an amount off")
    line_id = line_of(ctx, ref, a.line) if a.line else None
    value: Decimal | int
    if a.percent not in (None, ""):
        kind, value = PERCENT, _percent(a.percent)
    else:
        kind, value = AMOUNT, money(engine, a.amount, "discount")
    size = engine.ledger.orders.discount_percent(ref, kind=kind, value=value, line_id=line_id)
    if size > discount_limit(ctx):
        ctx.staff.require_manager(a.by, a.manager_pin,
                                  f"a discount above {discount_limit(ctx)}%")
    engine.execute(lambda L: L.orders.set_discount(ref, kind=kind, value=value,
                                                   line_id=line_id, by=a.by))
    return order_show(ctx, p.OrderRef(order=ref))


def _percent(value: Any) -> Decimal:
    try:
        pct = Decimal(str(value).strip().rstrip("%").strip().replace(",", "."))
    except ArithmeticError:
        raise CommandRejected(f"{value!r} is not a percentage") from None
    if not pct.is_finite():
        raise CommandRejected(f"{value!r} is not a percentage")
    if pct != pct.quantize(Decimal("0.01")):
        raise CommandRejected(f"a discount of {value}% has more than two decimals")
    return pct


def order_exchange(ctx: EngineContext, a: p.OrderExchange) -> p.OrderDetail:
    """A return on the order and a new linked order with what goes out instead; the
    answer is the new order."""
    engine = ctx.engine
    ref = order_ref(engine, a.order)
    parsed = _returned(ctx, ref, a.lines)
    if not parsed:
        raise CommandRejected("say which lines come back (LINE:QTY)")
    new_lines = line_inputs(engine, a.new_lines)
    _check_lines(ctx, new_lines, False, a.manager_pin, a.by)
    if not a.restock:
        ctx.staff.require_manager(a.by, a.manager_pin, "writing goods off")
    changes = engine.execute(lambda L: L.orders.exchange(
        ref, parsed, new_lines, reason=a.reason, restock=a.restock, by=a.by))
    return order_show(ctx, p.OrderRef(order=str(changes.created)))


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
    reg.add(p.ORDER_DISCOUNT, order_discount)
    reg.add(p.ORDER_EXCHANGE, order_exchange)

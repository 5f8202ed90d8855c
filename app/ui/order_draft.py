"""An order being written in the editor, before the engine has it.

``draft_from_message`` turns a message (and the intake parser's proposal stored with it,
when there is one) into a draft; ``to_order_add`` turns a draft into the ``order.add``
arguments. Pure Python, no Qt: the message-to-order rules are tested on their own.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import logging
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app import protocol as p
from app.ui import operations as ops
from sync.money import format_money, parse_money
from sync.order_totals import OrderMoney, order_totals

log = logging.getLogger("countertop.ui.draft")


@dataclass
class DraftLine:
    """One line: a catalog product (sku) or a free-text item with its own price."""

    sku: str | None = None
    description: str = ""
    qty: str = "1"
    unit_price: int | None = None  # minor units; None: the catalog price
    notes: str = ""
    modifiers: list[str] = field(default_factory=list)
    line_id: str | None = None  # set for lines the engine already has
    removed: bool = False
    tax_rate: str | None = None  # kept on saved lines; the product's rate for new ones
    discount: dict[str, Any] | None = None  # the line's own discount (saved lines)
    returned_qty: str = "0"

    def quantity(self) -> Decimal | None:
        try:
            qty = Decimal(str(self.qty).replace(",", "."))
        except InvalidOperation:
            return None
        return qty if qty.is_finite() else None


@dataclass
class OrderDraft:
    """Everything the editor edits. ``order_id`` is None for a new order."""

    order_id: str | None = None
    number: str = ""
    status: str = "new"
    customer_id: str | None = None
    customer_name: str = ""
    customer_phone: str = ""
    channel: str = "counter"
    lines: list[DraftLine] = field(default_factory=list)
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    assignee: str = ""
    due_at: str | None = None  # ISO with offset
    fulfilment: str = "pickup"
    address: str = ""
    custom_fields: dict[str, str] = field(default_factory=dict)
    source_messages: list[str] = field(default_factory=list)
    payments: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)
    paid: int = 0
    intake_confidence: float | None = None
    discount: dict[str, Any] | None = None  # the order's discount
    prices_include_tax: bool | None = None  # None: the shop's setting (a new order)
    refunded: int = 0

    def copy(self) -> OrderDraft:
        return copy.deepcopy(self)

    def live_lines(self) -> list[DraftLine]:
        return [ln for ln in self.lines if not ln.removed]


def line_total(line: DraftLine, price_of: dict[str, int]) -> int:
    qty = line.quantity() or Decimal(0)
    price = line.unit_price if line.unit_price is not None else price_of.get(line.sku or "", 0)
    return int((qty * price).to_integral_value())


def draft_total(draft: OrderDraft, price_of: dict[str, int]) -> int:
    return draft_money(draft, {sku: {"price": price} for sku, price in price_of.items()}).total


def draft_money(draft: OrderDraft, products: dict[str, dict[str, Any]],
                inclusive_default: bool = True) -> OrderMoney:
    """Every figure of the draft as the engine will work it out (``order_totals``): tax
    per rate, discounts, returns, with catalog prices and rates for new lines."""
    lines: dict[str, dict[str, Any]] = {}
    for n, ln in enumerate(draft.lines):
        product = products.get(ln.sku or "") or {}
        price = ln.unit_price if ln.unit_price is not None else int(product.get("price") or 0)
        qty = ln.quantity()
        lines[ln.line_id or f"new{n}"] = {
            "qty": str(qty if qty is not None and qty > 0 else 0), "unit_price": price,
            "pos": n, "removed": ln.removed, "discount": ln.discount,
            "tax_rate": ln.tax_rate if ln.tax_rate is not None else
            str(product.get("tax_rate") or "0"), "returned_qty": ln.returned_qty}
    inclusive = draft.prices_include_tax
    return order_totals({"lines": lines, "discount": draft.discount,
                         "prices_include_tax": inclusive_default if inclusive is None
                         else inclusive})


def validate(draft: OrderDraft, known_skus: set[str]) -> list[str]:
    """Problems in plain words (empty: the draft can be saved)."""
    problems: list[str] = []
    if not draft.live_lines():
        problems.append("Add at least one item to the order.")
    for n, line in enumerate(draft.live_lines(), start=1):
        what = line.description or line.sku or f"line {n}"
        qty = line.quantity()
        if qty is None:
            problems.append(f"The quantity of {what} is not a number.")
        elif qty <= 0:
            problems.append(f"The quantity of {what} must be more than zero.")
        if line.sku and line.sku not in known_skus:
            problems.append(f"{line.sku} is not in the catalog; pick a product or type a "
                            "free-text item with a price.")
        if not line.sku:
            if not line.description.strip():
                problems.append(f"Line {n} needs a product or a description.")
            if line.unit_price is None:
                problems.append(f"Give {what} a price (it is not a catalog product).")
        if line.unit_price is not None and line.unit_price < 0:
            problems.append(f"The price of {what} cannot be negative.")
    if draft.fulfilment == "delivery" and not draft.address.strip():
        problems.append("A delivery needs an address.")
    return problems


def _modifier_words(line: dict[str, Any]) -> list[str]:
    words: list[str] = []
    size = line.get("size")
    if isinstance(size, dict) and size.get("name"):
        words.append(str(size["name"]))
    for key, prefix in (("variants", ""), ("modifiers", "+"), ("exclusions", "no ")):
        for opt in line.get(key) or []:
            if isinstance(opt, dict) and opt.get("name"):
                name = str(opt["name"])
                if prefix == "+" and opt.get("role") in ("remove", "exclude"):
                    words.append("no " + name)
                else:
                    words.append(prefix + name)
    return words


def draft_from_message(message: dict[str, Any], known_skus: set[str] | None = None) -> OrderDraft:
    """A new-order draft from a message: intake lines when present, the source linked."""
    draft = OrderDraft(channel=str(message.get("channel") or "sms"),
                       customer_id=message.get("customer_id") or None,
                       customer_name=str(message.get("customer_name") or ""),
                       source_messages=[str(message["id"])] if message.get("id") else [])
    if message.get("direction") == "in":
        draft.customer_phone = str(message.get("sender") or "")
    else:
        draft.customer_phone = str(message.get("recipient") or "")
    intake: Any = message.get("intake")
    if isinstance(intake, str) and intake.strip():
        try:
            intake = json.loads(intake)
        except ValueError:
            log.warning("message %s has unreadable intake JSON; starting an empty draft",
                        message.get("id"))
            intake = None
    if isinstance(intake, dict):
        draft.intake_confidence = float(intake.get("confidence") or 0) or None
        for line in intake.get("lines") or []:
            if not isinstance(line, dict):
                continue
            sku = line.get("sku") or None
            if sku and known_skus is not None and sku not in known_skus:
                sku = None
            notes = [str(n) for n in line.get("notes") or [] if n]
            qty = line.get("quantity")
            if qty is None and "quantity" in line:
                qty = ""  # "4 chops" of something sold by the kg: staff weigh them
            said = str(line.get("said") or "")
            if said and said != str(line.get("quantity")):
                notes.insert(0, f"asked: {said}")
            if line.get("alternatives"):
                notes.insert(0, "pick one: " + ", ".join(map(str, line["alternatives"])))
            draft.lines.append(DraftLine(
                sku=sku, description=str(line.get("product") or line.get("text") or ""),
                qty=str(qty if qty is not None else "1"), notes="; ".join(notes),
                modifiers=_modifier_words(line)))
        when = intake.get("requested_time")
        if isinstance(when, dict) and when.get("at"):
            draft.due_at = str(when["at"])
        if intake.get("fulfilment") in ("pickup", "delivery"):
            draft.fulfilment = str(intake["fulfilment"])
        if intake.get("address"):
            draft.address = str(intake["address"])
            draft.fulfilment = "delivery"
        unparsed = [str(u) for u in intake.get("unparsed") or [] if str(u).strip()]
        if unparsed:
            draft.notes = "Not understood: " + " / ".join(unparsed)
    if not draft.lines:
        draft.lines.append(DraftLine())
    return draft


def draft_from_order(detail: dict[str, Any]) -> OrderDraft:
    """An editable draft of an order the engine has (``order.show``/``order_detail``)."""
    custom = detail.get("custom") or {}
    if isinstance(custom, str):
        custom = json.loads(custom or "{}")
    tags = detail.get("tags") or []
    if isinstance(tags, str):
        tags = json.loads(tags or "[]")
    sources = detail.get("source_messages") or []
    if isinstance(sources, str):
        sources = json.loads(sources or "[]")
    return OrderDraft(
        order_id=str(detail["id"]), number=str(detail.get("number") or ""),
        status=str(detail.get("status") or "new"), customer_id=detail.get("customer_id"),
        customer_name=str(detail.get("customer_name") or ""),
        channel=str(detail.get("channel") or "counter"),
        lines=[DraftLine(sku=ln.get("sku"), description=str(ln.get("description") or ""),
                         qty=str(ln.get("qty") or "1"), unit_price=int(ln.get("unit_price") or 0),
                         notes=str(ln.get("notes") or ""),
                         modifiers=list(ln.get("modifiers") or []),
                         line_id=str(ln.get("line_id")), removed=bool(ln.get("removed")),
                         tax_rate=str(ln.get("tax_rate") or "0"),
                         discount=_json_obj(ln.get("discount")),
                         returned_qty=str(ln.get("returned_qty") or "0"))
               for ln in detail.get("lines") or []],
        notes=str(detail.get("notes") or ""), tags=list(tags),
        assignee=str(detail.get("assignee") or ""), due_at=detail.get("due_at"),
        fulfilment=str(detail.get("fulfilment") or "pickup"),
        address=str(detail.get("address") or ""),
        custom_fields={str(k): str(v) for k, v in dict(custom).items()},
        source_messages=list(sources), payments=list(detail.get("payments") or []),
        history=list(detail.get("history") or []), paid=int(detail.get("paid") or 0),
        discount=_json_obj(detail.get("order_discount")),
        prices_include_tax=bool(detail.get("prices_include_tax", 1)),
        refunded=int(detail.get("refunded") or 0))


def _json_obj(value: Any) -> dict[str, Any] | None:
    if isinstance(value, str) and value:
        try:
            value = json.loads(value)
        except ValueError:
            return None
    return dict(value) if isinstance(value, dict) else None


def line_args(line: DraftLine, currency: str) -> dict[str, Any]:
    out: dict[str, Any] = {"qty": line.qty, "notes": line.notes, "modifiers": line.modifiers}
    if line.sku:
        out["sku"] = line.sku
    if line.description and not line.sku:
        out["description"] = line.description
    if line.unit_price is not None:
        out["unit_price"] = format_money(line.unit_price, currency)
    return out


def to_order_add(draft: OrderDraft, currency: str) -> p.OrderAdd:
    """``order.add`` parameters for a new order."""
    return p.OrderAdd(
        customer=draft.customer_id, channel=draft.channel, notes=draft.notes,
        tags=list(draft.tags), assignee=draft.assignee, due_at=draft.due_at,
        custom_fields=dict(draft.custom_fields), source_messages=list(draft.source_messages),
        lines=[line_args(ln, currency) for ln in draft.live_lines()],
        fulfilment={"kind": draft.fulfilment, "address": draft.address})


def edit_commands(before: OrderDraft, after: OrderDraft,
                  currency: str) -> list[p.Request[Any, p.OrderDetail]]:
    """The engine requests that turn the saved order ``before`` into ``after``."""
    assert after.order_id is not None
    oid = after.order_id
    cmds: list[p.Request[Any, p.OrderDetail]] = []
    update: dict[str, Any] = {}
    if after.notes != before.notes:
        update["notes"] = after.notes
    if after.assignee != before.assignee:
        update["assignee"] = after.assignee
    if _instant(after.due_at) != _instant(before.due_at):
        update["due_at"] = after.due_at
    if after.customer_id != before.customer_id and after.customer_id:
        update["customer"] = after.customer_id
    if _fulfilment_key(after) != _fulfilment_key(before):
        update["fulfilment"] = {"kind": after.fulfilment, "address": after.address}
    if after.custom_fields != before.custom_fields:
        update["custom_fields"] = after.custom_fields
    add_tags = [t for t in after.tags if t not in before.tags]
    remove_tags = [t for t in before.tags if t not in after.tags]
    if add_tags:
        update["add_tags"] = add_tags
    if remove_tags:
        update["remove_tags"] = remove_tags
    if update:
        cmds.append(ops.update_order(p.OrderUpdate(order=oid, **update)))
    old_lines = {ln.line_id: ln for ln in before.lines if ln.line_id}
    for line in after.lines:
        if line.line_id is None:
            if not line.removed:
                cmds.append(ops.add_line(oid, line_args(line, currency)))
            continue
        old = old_lines.get(line.line_id)
        if old is None or old.removed:
            continue
        if line.removed:
            cmds.append(ops.update_line(p.OrderUpdateLine(order=oid, line_id=line.line_id,
                                                          remove=True)))
            continue
        change: dict[str, Any] = {}
        if line.qty != old.qty:
            change["qty"] = line.qty
        if line.unit_price != old.unit_price and line.unit_price is not None:
            change["unit_price"] = format_money(line.unit_price, currency)
        if line.notes != old.notes:
            change["notes"] = line.notes
        if change:
            cmds.append(ops.update_line(p.OrderUpdateLine(order=oid, line_id=line.line_id,
                                                          **change)))
    return cmds


def _instant(text: str | None) -> Any:
    if not text:
        return None
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return text
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return when.astimezone(dt.UTC).replace(second=0, microsecond=0)


def _fulfilment_key(d: OrderDraft) -> tuple[str, str]:
    return d.fulfilment, d.address if d.fulfilment == "delivery" else ""


def parse_price(text: str, currency: str, locale: str | None = None) -> int | None:
    """Typed price text -> minor units; None for empty; raises CommandRejected if wrong.
    The currency's symbol and the locale's grouping are understood ("£1,234.50")."""
    cleaned = text.strip()
    if not cleaned:
        return None
    return parse_money(cleaned, currency, locale)

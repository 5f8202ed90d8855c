"""The money commands on an order: payments (with change due), refunds (never more than
was paid), returns (restocked or written off, with a reason) and discounts.

The rules a counter needs, checked where the money is written so every caller gets them:

- a refund never exceeds what was taken on that order, net of earlier refunds; a card
  or transfer refund never exceeds what that method took (the money goes back the way
  it came); cash and vouchers may give back any money taken;
- cash handed over beyond what is owed is recorded as the amount owed, with the
  ``tendered`` sum and the ``change`` to give back; any other method paying more than
  is owed is refused with ``NeedsConfirmation`` unless ``confirm`` (the window asks);
- a return names each line's quantity, why, and whether the goods go back on the shelf
  (``restock``) or are written off; a fully returned order becomes ``returned``.

Every one of them appends a history entry (``order_history`` words them for people).
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from sync import lifecycle
from sync.am_doc import Obj, Writer
from sync.changes import Changes
from sync.errors import CommandRejected, NeedsConfirmation, NotFound
from sync.ledger.order_base import OrderBase
from sync.ledger.records import PAYMENT_METHODS, compact_json, new_id
from sync.money import qty_str
from sync.order_totals import AMOUNT, PERCENT, discount_amount, order_totals, payments_by_method
from sync.vocabulary import EXCHANGE_CREDIT, SAME_WAY_REFUNDS


class OrderMoney(OrderBase):
    """Payments, refunds, returns and discounts (``ledger.orders``)."""

    def record_payment(self, ref: str, amount: int, *, method: str, reference: str = "",
                       refund: bool = False, confirm: bool = False, by: str = "") -> Changes:
        """Record money taken (or, with ``refund``, given back) for an order.

        Cash beyond what is owed is kept as ``tendered`` with the ``change`` due; other
        methods beyond what is owed need ``confirm``. A refund is refused when it is more
        than was paid (see the module docstring)."""
        if method not in PAYMENT_METHODS and method != EXCHANGE_CREDIT:
            raise CommandRejected(f"unknown payment method {method!r}; use one of: "
                                  f"{', '.join(PAYMENT_METHODS)}")
        if amount <= 0:
            raise CommandRejected("the amount must be more than zero")
        pid = new_id("pay")
        with self._order_tx(ref) as (w, obj, oid):
            order = w.to_py(obj)
            if str(order.get("status")) == lifecycle.CANCELLED and not refund:
                raise CommandRejected("a cancelled order cannot take payments")
            record: dict[str, Any] = {"id": pid, "kind": "refund" if refund else "payment",
                                      "method": method, "amount": amount,
                                      "reference": reference, "at": self.ledger.clock(),
                                      "till": self.ledger.till_id, "by": by}
            if refund:
                self._check_refund(order, amount, method)
            else:
                record.update(self._tender(order, amount, method, confirm))
            pays = w.ensure_map(obj, "payments")
            w.put_map(pays, pid, record)
            entry = {"amount": record["amount"], "method": method}
            if record.get("change"):
                entry["change"] = record["change"]
            self._history(w, obj, record["kind"], None, compact_json(entry), by)
        return self._changes(oid, created=pid)

    def _owed(self, order: Mapping[str, Any]) -> int:
        paid = sum(payments_by_method(order.get("payments") or {}).values())
        return order_totals(order).adjusted - paid

    def _tender(self, order: Mapping[str, Any], amount: int, method: str,
                confirm: bool) -> dict[str, Any]:
        """How a payment of ``amount`` is recorded: cash over what is owed gives change."""
        owed = self._owed(order)
        if amount <= owed:
            return {}
        m = self.ledger.money_text
        if method == "cash" and owed > 0:
            return {"amount": owed, "tendered": amount, "change": amount - owed}
        if not confirm:
            what = "nothing is owed" if owed <= 0 else f"only {m(owed)} is owed"
            raise NeedsConfirmation(f"{m(amount)} by {method} is more than the order needs "
                                    f"({what}); confirm to take it anyway")
        return {}

    def _check_refund(self, order: Mapping[str, Any], amount: int, method: str) -> None:
        by_method = payments_by_method(order.get("payments") or {})
        paid = sum(by_method.values())
        m = self.ledger.money_text
        if amount > paid:
            raise CommandRejected(f"a refund of {m(amount)} is more than the "
                                  f"{m(max(paid, 0))} paid on this order")
        if method in SAME_WAY_REFUNDS and amount > by_method.get(method, 0):
            raise CommandRejected(f"a refund of {m(amount)} by {method} is more than the "
                                  f"{m(max(by_method.get(method, 0), 0))} paid by {method} "
                                  "on this order")

    def record_return(self, ref: str, lines: Mapping[str, Decimal] | None = None, *,
                      restock: bool = True, reason: str = "", by: str = "") -> Changes:
        """Record goods coming back: the whole order (``lines`` None) or some quantities,
        back on the shelf (``restock``) or written off."""
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.FINISHED and status != lifecycle.RETURNED:
                raise CommandRejected(f"only a delivered, collected or closed order can be "
                                      f"returned, this one is {status}")
            all_lines = self._lines(w, obj)
            wanted = dict(lines) if lines is not None else {
                lid: Decimal(line["qty"]) - Decimal(line.get("returned_qty") or "0")
                for lid, (_, line) in all_lines.items() if not line.get("removed")}
            if lines is None:
                wanted = {lid: qty for lid, qty in wanted.items() if qty > 0}
            if not wanted:
                raise CommandRejected(f"order {ref} has nothing left to return")
            skus: set[str] = set()
            items = []
            for lid, qty in wanted.items():
                skus |= self._return_line(w, ref, all_lines, lid, qty, restock)
                items.append([qty_str(qty), str(all_lines[lid][1].get("description") or "")])
            fully = all(Decimal(w.value(lo, "returned_qty") or "0") >= Decimal(li["qty"])
                        for lo, li in all_lines.values() if not li.get("removed"))
            hist = {"lines": {k: qty_str(v) for k, v in wanted.items()}, "restock": restock,
                    "reason": reason, "items": items}
            self._history(w, obj, "return", None, compact_json(hist), by)
            if fully and status != lifecycle.RETURNED:
                w.put(obj, "status", lifecycle.RETURNED)
                self._history(w, obj, "status", status, lifecycle.RETURNED, by)
        return self._changes(oid, skus)

    def _return_line(self, w: Writer, ref: str, all_lines: dict[str, tuple[Obj, dict[str, Any]]],
                     lid: str, qty: Decimal, restock: bool) -> set[str]:
        if lid not in all_lines:
            raise NotFound(f"order {ref} has no line {lid}")
        lobj, line = all_lines[lid]
        if line.get("removed"):
            raise CommandRejected(f"line {lid} was taken off the order; nothing to return")
        already = Decimal(line.get("returned_qty") or "0")
        if qty <= 0 or already + qty > Decimal(line["qty"]):
            raise CommandRejected(f"cannot return {qty_str(qty)} of line {lid}: "
                                  f"{qty_str(Decimal(line['qty']) - already)} left")
        w.put(lobj, "returned_qty", qty_str(already + qty))
        if not line.get("sku"):
            return set()
        # back on the shelf: the read model adds restocked_qty to the level
        key = "restocked_qty" if restock else "written_off_qty"
        w.put(lobj, key, qty_str(Decimal(line.get(key) or "0") + qty))
        return {str(line["sku"])} if restock else set()

    def set_discount(self, ref: str, *, kind: str, value: Decimal | int,
                     line_id: str | None = None, by: str = "") -> Changes:
        """A percentage or an amount (minor units) off one line, or off the whole order;
        zero takes the discount away. Returns the changes; the history keeps the old and
        new discount and the total moves with it."""
        if kind not in (PERCENT, AMOUNT):
            raise CommandRejected("a discount is a percentage or an amount")
        if value < 0:
            raise CommandRejected("a discount cannot be negative")
        if kind == PERCENT and value > 100:
            raise CommandRejected(f"a discount of {value}% is more than the whole price")
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            target, item = obj, "the order"
            if line_id is not None:
                target_line = w.path("orders", oid, "lines", line_id)
                if target_line is None or w.value(target_line, "removed"):
                    raise NotFound(f"order {ref} has no line {line_id}")
                target = target_line
                item = str(w.value(target_line, "description") or "")
            old = w.value(target, "discount")
            new = None if value == 0 else {
                "kind": kind, "value": str(value) if kind == PERCENT else int(value)}
            if kind == AMOUNT and new is not None:
                base = self._discount_base(w.to_py(obj), line_id)
                if int(value) > base:
                    m = self.ledger.money_text
                    raise CommandRejected(f"a discount of {m(int(value))} is more than the "
                                          f"{m(base)} it is taken from")
            if new is None:
                w.put(target, "discount", None)
            else:
                w.put_map(target, "discount", new)
            self._history(w, obj, "discount", compact_json(old) if old else None,
                          compact_json(new) if new else None, by, line=line_id, item=item)
            self._recompute_total(w, obj, by)
        return self._changes(oid)

    @staticmethod
    def _discount_base(order: Mapping[str, Any], line_id: str | None) -> int:
        """What a discount on ``line_id`` (None: the order) is taken from."""
        money = order_totals(order)
        if line_id is not None:
            return money.lines[line_id].subtotal if line_id in money.lines else 0
        return money.subtotal - money.line_discounts

    def discount_percent(self, ref: str, *, kind: str, value: Decimal | int,
                         line_id: str | None = None) -> Decimal:
        """How large a proposed discount is, as a percentage of what it is taken from
        (the engine asks a manager above the shop's limit)."""
        if kind == PERCENT:
            return Decimal(value)
        base = self._discount_base(self.get(ref), line_id)
        off = discount_amount({"kind": AMOUNT, "value": int(value)}, base)
        return Decimal(100) if base <= 0 and off else Decimal(off * 100) / max(base, 1)

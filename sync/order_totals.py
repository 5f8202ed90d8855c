"""An order's money, worked out from its stored state: lines, discounts, tax, returns.

One function (``order_totals``) for the ledger (which stores ``total`` and writes its
changes into the history), the read model (which shows every figure) and the ticket, so
the three can never disagree. Pure: integers in minor units, ``Decimal`` rates,
``ROUND_HALF_EVEN`` (banker's rounding, as tax authorities and most tills use).

The order of operations, as on a till receipt:

1. a line's subtotal is quantity x unit price; its own discount (a percentage, or an
   amount capped at the subtotal) gives the line total;
2. an order discount (percentage or amount) is spread over the lines in proportion to
   their totals (largest remainder, so the parts add up to the discount exactly);
3. tax is worked out per rate on what is left: with prices that include tax (the shop's
   setting, kept on each order when it is taken) the tax is the part of the price,
   ``net x r / (100 + r)``; otherwise it is added, ``net x r / 100``. One rounding per
   rate, then spread back over that rate's lines;
4. a returned quantity gives back its share of its line's final amount (discounts and
   tax included), so a fully returned order comes to zero.

Old orders (no tax rate on their lines, no flag) read as they always did: rate 0,
prices as charged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

PERCENT, AMOUNT = "percent", "amount"


@dataclass
class LineMoney:
    """One line's figures (minor units)."""

    subtotal: int = 0
    discount: int = 0  # the line's own discount
    order_discount: int = 0  # its share of the order discount
    tax: int = 0  # its share of its rate's tax
    amount: int = 0  # what the line finally costs, tax included
    returned: int = 0  # what its returned quantity gives back
    rate: str = "0"


@dataclass
class OrderMoney:
    """An order's figures (minor units). ``total`` is the sale; ``adjusted`` what it
    comes to after returns."""

    lines: dict[str, LineMoney] = field(default_factory=dict)
    subtotal: int = 0
    line_discounts: int = 0
    order_discount: int = 0
    tax: dict[str, int] = field(default_factory=dict)  # rate -> tax
    net: dict[str, int] = field(default_factory=dict)  # rate -> amount before tax
    total: int = 0
    returned: int = 0
    adjusted: int = 0
    prices_include_tax: bool = True

    @property
    def discount(self) -> int:
        return self.line_discounts + self.order_discount

    def tax_lines(self) -> list[dict[str, Any]]:
        """``[{"rate", "net", "tax"}]`` for every rate with a tax, lowest rate first."""
        return [{"rate": rate, "net": self.net[rate], "tax": self.tax[rate]}
                for rate in sorted(self.tax, key=Decimal) if Decimal(rate) != 0]


def _dec(value: Any, default: str = "0") -> Decimal:
    try:
        out = Decimal(str(value if value not in (None, "") else default))
    except (InvalidOperation, ValueError):
        return Decimal(default)
    return out if out.is_finite() else Decimal(default)


def _round(value: Decimal) -> int:
    return int(value.quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def discount_amount(discount: Mapping[str, Any] | None, base: int) -> int:
    """What ``discount`` (``{"kind": "percent", "value": "10"}`` or ``{"kind": "amount",
    "value": 150}``) takes off ``base``; never more than ``base``, never negative."""
    if not discount or base <= 0:
        return 0
    kind = discount.get("kind")
    if kind == PERCENT:
        off = _round(Decimal(base) * _dec(discount.get("value")) / 100)
    elif kind == AMOUNT:
        off = int(_dec(discount.get("value")))
    else:
        return 0
    return max(0, min(base, off))


def allocate(total: int, weights: list[int]) -> list[int]:
    """``total`` split in proportion to ``weights``, parts adding up to ``total`` exactly
    (largest remainder; ties to the earlier weight)."""
    whole = sum(weights)
    if not weights:
        return []
    if whole <= 0:
        return [total] + [0] * (len(weights) - 1) if total else [0] * len(weights)
    shares = [total * w // whole for w in weights]
    rest = total - sum(shares)
    order = sorted(range(len(weights)), key=lambda i: (-(total * weights[i] % whole), i))
    for i in order[:rest]:
        shares[i] += 1
    return shares


def order_totals(order: Mapping[str, Any]) -> OrderMoney:
    """Every figure of a stored order (see the module docstring)."""
    inclusive = bool(order.get("prices_include_tax", True))
    out = OrderMoney(prices_include_tax=inclusive)
    live: list[tuple[str, Mapping[str, Any]]] = []
    for lid, line in sorted((order.get("lines") or {}).items(),
                            key=lambda kv: (int(kv[1].get("pos") or 0), kv[0])):
        if line.get("removed"):
            continue
        sub = _round(_dec(line.get("qty")) * int(line.get("unit_price") or 0))
        money = LineMoney(subtotal=sub, rate=_rate_key(str(line.get("tax_rate") or "0")))
        money.discount = discount_amount(line.get("discount"), sub)
        out.lines[lid] = money
        live.append((lid, line))
    after_lines = [out.lines[lid].subtotal - out.lines[lid].discount for lid, _ in live]
    out.subtotal = sum(m.subtotal for m in out.lines.values())
    out.line_discounts = sum(m.discount for m in out.lines.values())
    out.order_discount = discount_amount(order.get("discount"), sum(after_lines))
    for (lid, _), share in zip(live, allocate(out.order_discount, after_lines), strict=True):
        out.lines[lid].order_discount = share
    by_rate: dict[str, list[str]] = {}
    for lid, _ in live:
        by_rate.setdefault(out.lines[lid].rate, []).append(lid)
    for rate, lids in by_rate.items():
        bases = [out.lines[lid].subtotal - out.lines[lid].discount - out.lines[lid].order_discount
                 for lid in lids]
        base = sum(bases)
        r = Decimal(rate)
        tax = _round(Decimal(base) * r / (100 + r) if inclusive else Decimal(base) * r / 100)
        out.tax[rate] = tax
        out.net[rate] = base - tax if inclusive else base
        for lid, part, line_base in zip(lids, allocate(tax, bases), bases, strict=True):
            m = out.lines[lid]
            m.tax = part
            m.amount = line_base + (0 if inclusive else part)
    out.total = sum(m.amount for m in out.lines.values())
    for lid, line in live:
        m = out.lines[lid]
        qty, back = _dec(line.get("qty")), _dec(line.get("returned_qty"))
        if qty > 0 and back > 0:
            m.returned = m.amount if back >= qty else _round(m.amount * back / qty)
    out.returned = sum(m.returned for m in out.lines.values())
    out.adjusted = out.total - out.returned
    return out


def _rate_key(rate: str) -> str:
    """One key per rate however it was typed ("20", "20.0", "20.00" -> "20")."""
    value = _dec(rate)
    text = format(value.normalize(), "f")
    return text if "." not in text else text.rstrip("0").rstrip(".")


def payments_by_method(payments: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    """method -> money taken less money given back, over an order's payments."""
    out: dict[str, int] = {}
    for pay in payments.values():
        amount = int(pay.get("amount") or 0)
        sign = -1 if pay.get("kind") == "refund" else 1
        method = str(pay.get("method") or "other")
        out[method] = out.get(method, 0) + sign * amount
    return out

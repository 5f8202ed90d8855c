"""An order's history as a person would write it.

"Ann changed the total from £30.40 to £28.60", "Returned 1 × Tiramisu (dropped),
restocked", "Marco took £20.00 by card". One wording for ``order show`` (the engine adds
it as ``text`` to each entry) and the editor's History tab, which formats the entries
it reads from the read model with the same function. Pure: the caller passes how money
reads (``money``: minor units -> "£1,234.50").
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

Money = Callable[[int], str]

STATUS_WORDS = {"new": "new", "confirmed": "confirmed", "preparing": "preparing",
                "ready": "ready", "out_for_delivery": "out for delivery",
                "shipped": "sent", "delivered": "delivered", "collected": "collected",
                "closed": "closed", "cancelled": "cancelled", "returned": "returned"}


def _json(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _int(value: Any) -> int | None:
    try:
        return int(str(value))
    except (TypeError, ValueError):
        return None


def _amount(money: Money, value: Any) -> str:
    minor = _int(value)
    return money(minor) if minor is not None else str(value or "")


def _discount(money: Money, d: Any) -> str:
    d = _json(d)
    if not isinstance(d, Mapping):
        return ""
    if d.get("kind") == "percent":
        return f"{d.get('value')}%"
    return _amount(money, d.get("value"))


def history_text(entry: Mapping[str, Any], money: Money) -> str:
    """One history entry (a stored entry or an ``order_history`` row) in words."""
    who = str(entry.get("by") or "").strip()
    detail = _json(entry.get("detail")) or {}
    if not isinstance(detail, Mapping):
        detail = {}
    item = str(entry.get("item") or detail.get("item") or "an item")
    field, old, new = str(entry.get("field") or ""), entry.get("old"), entry.get("new")
    text = _phrase(field, old, new, item, money)
    if who:
        return f"{who} {text}"
    return text[:1].upper() + text[1:]


def _status(old: Any, new: Any, item: str, money: Money) -> str:
    w = STATUS_WORDS
    if old in (None, ""):
        return f"took the order ({w.get(str(new), new)})"
    return f"moved it from {w.get(str(old), old)} to {w.get(str(new), new)}"


def _total(old: Any, new: Any, item: str, money: Money) -> str:
    return f"changed the total from {_amount(money, old)} to {_amount(money, new)}"


def _assignee(old: Any, new: Any, item: str, money: Money) -> str:
    return f"assigned it to {new}" if new else f"took {old} off it"


def _qty(old: Any, new: Any, item: str, money: Money) -> str:
    return f"changed {item} from {old} to {new}"


def _price(old: Any, new: Any, item: str, money: Money) -> str:
    return f"changed the price of {item} from {_amount(money, old)} to {_amount(money, new)}"


def _line(old: Any, new: Any, item: str, money: Money) -> str:
    return f"added {new}" if new else f"took {old} off the order"


def _discounted(old: Any, new: Any, item: str, money: Money) -> str:
    on = item if item != "an item" else "the order"
    if not new:
        return f"took the discount off {on}"
    was = f" (was {_discount(money, old)})" if old else ""
    return f"gave {_discount(money, new)} off {on}{was}"


_PHRASES: dict[str, Callable[[Any, Any, str, Money], str]] = {
    "status": _status, "total": _total, "assignee": _assignee, "qty": _qty,
    "price": _price, "line": _line, "discount": _discounted,
    "payment": lambda old, new, item, money: _payment("payment", _json(new), money),
    "refund": lambda old, new, item, money: _payment("refund", _json(new), money),
    "return": lambda old, new, item, money: _return(_json(new)),
    "exchange": lambda old, new, item, money: f"exchanged goods for order {new}",
}


def _phrase(field: str, old: Any, new: Any, item: str, money: Money) -> str:
    phrase = _PHRASES.get(field)
    if phrase is not None:
        return phrase(old, new, item, money)
    if old not in (None, ""):
        return f"changed {field} from {old} to {new}"
    return f"set {field} to {new}"


def _payment(kind: str, p: Any, money: Money) -> str:
    if not isinstance(p, Mapping):
        return f"recorded a {kind}"
    method = str(p.get("method") or "")
    amount = _amount(money, p.get("amount"))
    if kind == "refund":
        return f"refunded {amount} by {method}" if method != "exchange" else \
            f"moved {amount} of credit to the exchange"
    if method == "exchange":
        return f"applied {amount} of credit from the exchanged order"
    change = f", {_amount(money, p['change'])} change" if p.get("change") else ""
    return f"took {amount} by {method}{change}"


def _return(r: Any) -> str:
    if not isinstance(r, Mapping):
        return "recorded a return"
    items = r.get("items") or [[q, lid] for lid, q in (r.get("lines") or {}).items()]
    what = ", ".join(f"{q} × {name}" for q, name in items) or "goods"
    reason = f" ({r['reason']})" if r.get("reason") else ""
    fate = "restocked" if r.get("restock", True) else "written off"
    return f"returned {what}{reason}, {fate}"

"""What ``countertop`` prints for people; ``--json`` prints the whole result instead.

One renderer per result shape, chosen by command name; anything without one prints as
indented JSON.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any


def _order(o: dict[str, Any]) -> None:
    print(f"{o['number']}  {o['status']}  {o.get('customer_name') or '-'}  "
          f"total {o.get('total_text')}  paid {o.get('paid_text')}  due {o.get('balance_text')}"
          f"  (id {o['id']})")
    n = 0
    for line in o.get("lines", []):
        if line.get("removed"):
            continue
        n += 1
        extra = ""
        if line.get("discount_amount"):
            extra += f"  less {line.get('discount_amount_text')}"
        if line.get("returned_qty") not in (None, "0"):
            extra += f"  returned {line['returned_qty']}"
        print(f"  {n}. {line['qty']} x {line['description']} @ {line.get('unit_price_text')}"
              f"{extra}  [{line['line_id']}]")
    for label, key in (("discount", "discount"), ("returned", "returned"),
                       ("refunded", "refunded")):
        if o.get(key):
            print(f"  {label} {o.get(key + '_text')}")
    for tax in o.get("tax_lines") or []:
        print(f"  tax {tax['rate']}% {tax.get('tax_text')} (on {tax.get('net_text')})")
    if o.get("change_due"):
        print(f"  change due {o.get('change_due_text')}")
    for entry in o.get("history") or []:
        if entry.get("text"):
            print(f"  · {str(entry.get('at') or '')[:16].replace('T', ' ')}  {entry['text']}")


def _staff(rows: list[dict[str, Any]]) -> None:
    for s in rows:
        gone = "" if s.get("active", 1) else "  (no longer working here)"
        print(f"{s['name']:<28} {s['role']}{gone}")


def _orders(rows: list[dict[str, Any]]) -> None:
    for o in rows:
        print(f"{o['number']:<8} {o['status']:<16} {(o.get('customer_name') or '-'):<24} "
              f"{o.get('total_text'):>10}  {o['created_at'][:16]}")


def _products(rows: list[dict[str, Any]]) -> None:
    for p in rows:
        print(f"{p['sku']:<12} {p['name']:<30} {p['price_text']:>8}  "
              f"stock {p['available_milli'] / 1000:g}")


def _stock(rows: list[dict[str, Any]]) -> None:
    for s in rows:
        flag = " OVERBOOKED" if s["overbooked"] else " low" if s["is_low"] else ""
        print(f"{s['sku']:<12} {s['location']:<8} on hand {s['on_hand']:>6}  reserved "
              f"{s['reserved']:>6}  available {s['available']:>6}{flag}")


def _customers(rows: list[dict[str, Any]]) -> None:
    for c in rows:
        print(f"{c['id']}  {c['name']:<28} {', '.join(c['phones'] + c['emails'])}")


def _shop(result: dict[str, Any]) -> None:
    shop = result.get("shop")
    if not shop:
        print(json.dumps(result, indent=2, default=str))
        return
    print(f"{shop['name']}  ({shop['currency']}, region {shop['region']}, {shop['timezone']})")
    for till in result.get("tills", []):
        me = "  <- this till" if till["id"] == result.get("till_id") else ""
        gone = "  (removed)" if till["removed"] else ""
        print(f"  till {till['prefix']}: {till['name']}  {till['id'][:12]}{gone}{me}")


RENDERERS: dict[str, Callable[[Any], None]] = {
    **dict.fromkeys(("order.add", "order.show", "order.set_status", "order.pay",
                     "order.return", "order.update", "order.discount", "order.exchange",
                     "order.add_line", "order.update_line"), _order),
    "staff.list": _staff,
    "order.list": _orders, "product.list": _products, "stock.list": _stock,
    "customer.list": _customers, "shop.create": _shop, "shop.info": _shop,
}


def print_human(cmd: str, result: Any) -> None:
    """Short, readable output for people; ``--json`` gives everything."""
    render = RENDERERS.get(cmd)
    if render is None:
        print(json.dumps(result, indent=2, default=str))
    else:
        render(result)

"""What ``countertop`` prints for people; ``--json`` prints the whole result instead."""

from __future__ import annotations

import json
from typing import Any

ORDER_RESULTS = ("order.add", "order.show", "order.set_status", "order.pay", "order.return",
                 "order.update")


def print_human(cmd: str, result: Any) -> None:
    """Short, readable output for people; ``--json`` gives everything."""
    if cmd in ORDER_RESULTS:
        o = result
        print(f"{o['number']}  {o['status']}  {o.get('customer_name') or '-'}  "
              f"total {o.get('total_text')}  paid {o.get('paid_text')}  due {o.get('balance_text')}"
              f"  (id {o['id']})")
        for line in o.get("lines", []):
            if not line.get("removed"):
                print(f"  {line['qty']} x {line['description']} @ {line.get('unit_price_text')}"
                      f"  [{line['line_id']}]")
        return
    if cmd == "order.list":
        for o in result:
            print(f"{o['number']:<8} {o['status']:<16} {(o.get('customer_name') or '-'):<24} "
                  f"{o.get('total_text'):>10}  {o['created_at'][:16]}")
        return
    if cmd == "product.list":
        for p in result:
            print(f"{p['sku']:<12} {p['name']:<30} {p['price_text']:>8}  "
                  f"stock {p['available_milli'] / 1000:g}")
        return
    if cmd == "stock.list":
        for s in result:
            flag = " OVERBOOKED" if s["overbooked"] else " low" if s["is_low"] else ""
            print(f"{s['sku']:<12} {s['location']:<8} on hand {s['on_hand']:>6}  reserved "
                  f"{s['reserved']:>6}  available {s['available']:>6}{flag}")
        return
    if cmd == "customer.list":
        for c in result:
            print(f"{c['id']}  {c['name']:<28} {', '.join(c['phones'] + c['emails'])}")
        return
    if cmd in ("shop.create", "shop.info") and result.get("shop"):
        shop = result["shop"]
        print(f"{shop['name']}  ({shop['currency']}, region {shop['region']}, {shop['timezone']})")
        for till in result.get("tills", []):
            me = "  <- this till" if till["id"] == result.get("till_id") else ""
            gone = "  (removed)" if till["removed"] else ""
            print(f"  till {till['prefix']}: {till['name']}  {till['id'][:12]}{gone}{me}")
        return
    print(json.dumps(result, indent=2, default=str))

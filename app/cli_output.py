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


def _suppliers(rows: list[dict[str, Any]]) -> None:
    for s in rows:
        print(f"{s['id']}  {s['name']:<28} lead {s['lead_time_days']}d  "
              f"{', '.join(s['products']) or '-'}{'' if s.get('active') else '  (archived)'}")


def _po(po: dict[str, Any]) -> None:
    print(f"{po['number']}  {po['state']}  {po.get('supplier_name') or '-'}  "
          f"total {po.get('total_cost_text')}  (id {po['id']})")
    for line in po.get("lines", []):
        print(f"  {line['sku']:<12} ordered {line['qty_milli'] / 1000:g}  received "
              f"{line['received_milli'] / 1000:g}  to come {line['outstanding_milli'] / 1000:g}"
              f"  [{line['line_id']}]")


def _pos(rows: list[dict[str, Any]]) -> None:
    for po in rows:
        print(f"{po['number']:<10} {po['state']:<16} {(po.get('supplier_name') or '-'):<24} "
              f"{len(po['lines'])} lines  {po['created_at'][:16]}")


def _import(report: dict[str, Any]) -> None:
    for row in report["rows"]:
        if row["action"] == "error":
            print(f"row {row['row']}: {row.get('sku') or '?'}: {'; '.join(row['errors'])}")
    verb = "imported" if report["written"] else "would import (nothing written)"
    print(f"{report['add']} new, {report['update']} changed, {report['unchanged']} unchanged, "
          f"{report['errors']} with errors: {verb}")


def _reorder(rows: list[dict[str, Any]]) -> None:
    for r in rows:
        print(f"{r['sku']:<12} {r['name'][:28]:<28} available {r['available_milli'] / 1000:g}  "
              f"order {r['suggested']}  from {r.get('supplier_name') or '(no supplier)'}")


def _adjusted(result: dict[str, Any]) -> None:
    levels = ", ".join(f"{s['location']} {s['available']}" for s in result["levels"])
    print(f"{result['sku']} {result['delta']}: now {levels}  (move {result['move']}; "
          f"`countertop stock undo {result['move']}` takes it back)")


def _report(r: dict[str, Any]) -> None:
    from app.reports.tables import cell_text

    span = r["date_from"] if r["date_from"] == r["date_to"] else \
        f"{r['date_from']} to {r['date_to']}"
    print(f"{r['title']}  ({span}, amounts in {r['currency']})")
    for t in r["tables"]:
        cols = t["columns"]
        cells = [[c["label"] or c["key"] for c in cols]]
        cells += [[cell_text(row.get(c["key"]), c["kind"], row, c["key"], r["currency"])
                   for c in cols] for row in t["rows"]]
        totals = t.get("totals") or {}
        if any(c["key"] in totals for c in cols):
            cells.append([cell_text(totals[c["key"]], c["kind"], totals, c["key"],
                                    r["currency"]) if c["key"] in totals else
                          ("Total" if n == 0 else "") for n, c in enumerate(cols)])
        widths = [max(len(str(row[n])) for row in cells) for n in range(len(cols))]
        print(f"\n{t['title']}")
        for row in cells:
            print("  " + "  ".join(str(v).ljust(w) if c["kind"] == "text" else str(v).rjust(w)
                                   for v, w, c in zip(row, widths, cols, strict=True)))
    if r.get("written"):
        print(f"\nwritten to {r['written']}")


RENDERERS: dict[str, Callable[[Any], None]] = {
    "supplier.list": _suppliers, "po.list": _pos, "po.suggest": _reorder,
    **dict.fromkeys(("po.create", "po.show", "po.send", "po.receive", "po.cancel"), _po),
    "product.import": _import, **dict.fromkeys(("stock.adjust", "stock.undo"), _adjusted),
    **dict.fromkeys(("order.add", "order.show", "order.set_status", "order.pay",
                     "order.return", "order.update", "order.discount", "order.exchange",
                     "order.add_line", "order.update_line"), _order),
    "staff.list": _staff,
    "order.list": _orders, "product.list": _products, "stock.list": _stock,
    "customer.list": _customers, "shop.create": _shop, "shop.info": _shop,
    **dict.fromkeys(("report.sales", "report.orders", "report.customers", "report.refunds",
                     "report.tax", "report.stock", "report.messages", "report.cashup"),
                    _report),
}


def print_human(cmd: str, result: Any) -> None:
    """Short, readable output for people; ``--json`` gives everything."""
    render = RENDERERS.get(cmd)
    if render is None:
        print(json.dumps(result, indent=2, default=str))
    else:
        render(result)

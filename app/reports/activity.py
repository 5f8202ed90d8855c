"""Reports on how the shop runs: orders by status and age and how long they take,
customers (top and repeat), refunds and returns with their reasons, stock (value, slow
movers, stock-outs) and messages by channel and hour (when the rush comes)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

from app.protocol import Report
from app.reports.periods import Period
from app.reports.sales import ReportContext
from app.reports.tables import chart, col, median, nearest_rank, qty, report, table
from sync import lifecycle
from sync.read_model import report_queries as rq
from sync.read_model.codecs import parse_iso_ms

AGES = ((3600, "under 1 h"), (4 * 3600, "1–4 h"), (86400, "4–24 h"), (3 * 86400, "1–3 days"),
        (None, "over 3 days"))


def _range_report(name: str, title: str, ctx: ReportContext, period: Period,
                  tables: list[Any], totals: dict[str, Any] | None = None) -> Report:
    return report(name, title, currency=ctx.currency, date_from=str(period.first),
                  date_to=str(period.last), till=ctx.till, tables=tables, totals=totals)


def orders_report(ctx: ReportContext, period: Period) -> Report:
    """Open orders by status and age (now), orders taken in the range by status, and
    the time from first message to order and from order to delivered or collected."""
    now_ms = int(ctx.now.timestamp() * 1000)
    ages: dict[str, dict[str, Any]] = {s: {"status": s, **{label: 0 for _, label in AGES},
                                           "total": 0} for s in lifecycle.OPEN_STATUSES}
    for row in rq.open_orders(ctx.conn, ctx.till):
        age = (now_ms - parse_iso_ms(row["created_at"])) / 1000
        label = next(lbl for limit, lbl in AGES if limit is None or age < limit)
        ages[row["status"]][label] += 1
        ages[row["status"]]["total"] += 1
    age_rows = list(ages.values())
    scope = period.scope(ctx.till)
    statuses = rq.statuses_in(ctx.conn, scope)
    status_rows = [{"status": s, "orders": statuses.get(s, 0)} for s in lifecycle.STATUSES
                   if statuses.get(s)]
    to_order = rq.message_to_order_seconds(ctx.conn, scope)
    handover = rq.order_to_handover_seconds(ctx.conn, scope)
    timing = [_timing("First message → order", to_order)]
    for kind, label in (("pickup", "Order → collected"), ("delivery", "Order → delivered")):
        timing.append(_timing(label, [s for k, s in handover if k == kind]))
    open_total = sum(r["total"] for r in age_rows)
    return _range_report("orders", "Orders by status and age", ctx, period, [
        table("Open orders by age (now)", [col("status", "Status"),
                                           *[col(lbl, lbl, "count") for _, lbl in AGES],
                                           col("total", "Open", "count")],
              age_rows, {"total": open_total},
              chart("bar", "status", *[lbl for _, lbl in AGES], title="Open orders by age")),
        table("Orders taken, by status now", [col("status", "Status"),
                                              col("orders", "Orders", "count")],
              status_rows, {"orders": sum(statuses.values())},
              chart("bar", "status", "orders", title="Orders by status")),
        table("How long it takes", [col("step", "Step"), col("count", "Orders", "count"),
                                    col("median", "Median", "seconds"),
                                    col("p90", "9 in 10 within", "seconds"),
                                    col("mean", "Average", "seconds")], timing),
    ], {"open_orders": open_total, "orders": sum(statuses.values())})


def _timing(step: str, seconds: list[float]) -> dict[str, Any]:
    return {"step": step, "count": len(seconds), "median": median(seconds),
            "p90": nearest_rank(seconds, 90),
            "mean": sum(seconds) / len(seconds) if seconds else None}


def customers_report(ctx: ReportContext, period: Period, top: int = 20) -> Report:
    """The customers who spent most, and how many came back."""
    scope = period.scope(ctx.till)
    rows = rq.top_customers(ctx.conn, scope, top)
    for r in rows:
        r["name"] = r["name"] or r["id"]
        r["last"] = str(r["last"] or "")[:10]
    counts = rq.customer_counts(ctx.conn, scope)
    n = counts["customers"]
    rate = round(100.0 * counts["repeat"] / n, 1) if n else 0.0
    returning = round(100.0 * counts["returning"] / n, 1) if n else 0.0
    summary = [{"item": "Customers who ordered", "value": str(n)},
               {"item": "…of them twice or more in the range", "value": f"{rate:.1f}%"},
               {"item": "…of them had ordered before", "value": f"{returning:.1f}%"},
               {"item": "Orders with no customer named", "value": str(counts["walk_in_orders"])}]
    return _range_report("customers", "Customers", ctx, period, [
        table(f"Top {top} customers", [col("name", "Customer"), col("orders", "Orders", "count"),
                                       col("sales", "Spent", "money"), col("last", "Last order")],
              rows, None, chart("hbar", "name", "sales", title="Top customers")),
        table("Repeat customers", [col("item", ""), col("value", "")], summary),
    ], {**counts, "repeat_rate": rate, "returning_rate": returning})


def refunds_report(ctx: ReportContext, period: Period) -> Report:
    """Every refund and every return in the range, with reasons, and the totals."""
    start, end = period.start, period.end
    refund_rows = [{"at": str(r["at"])[:16].replace("T", " "), "number": r["number"] or "",
                    "method": r["method"], "amount": int(r["amount"] or 0),
                    "reason": r["reference"] or "", "by": r["by"] or ""}
                   for r in rq.refunds(ctx.conn, start, end, ctx.till)]
    return_rows = []
    for r in rq.returns(ctx.conn, start, end, ctx.till):
        lines = rq.line_values(ctx.conn, r["order_id"])
        items, value = [], 0
        for lid, amount in r["lines"].items():
            desc, price, _ = lines.get(lid, ("?", 0, "0"))
            items.append(f"{amount} × {desc}")
            value += int((Decimal(str(amount)) * price).quantize(Decimal(1), ROUND_HALF_EVEN))
        return_rows.append({"at": str(r["at"])[:16].replace("T", " "), "number": r["number"],
                            "items": ", ".join(items), "value": value,
                            "restocked": "yes" if r["restock"] else "no",
                            "reason": r["reason"] or "(none given)", "by": r["by"] or ""})
    reasons: dict[str, dict[str, Any]] = {}
    for row in [*return_rows, *({"reason": r["reason"] or "(none given)", "value": r["amount"]}
                                for r in refund_rows)]:
        g = reasons.setdefault(row["reason"], {"reason": row["reason"], "count": 0, "value": 0})
        g["count"] += 1
    for r in return_rows:
        reasons[r["reason"]]["value"] += r["value"]
    totals = {"refunds": len(refund_rows), "refunded": sum(r["amount"] for r in refund_rows),
              "returns": len(return_rows), "returned_value": sum(r["value"] for r in return_rows)}
    return _range_report("refunds", "Refunds and returns", ctx, period, [
        table("Reasons", [col("reason", "Reason"), col("count", "Times", "count"),
                          col("value", "Goods returned", "money")],
              sorted(reasons.values(), key=lambda g: -g["count"]), None,
              chart("bar", "reason", "count", title="Reasons")),
        table("Refunds", [col("at", "When"), col("number", "Order"), col("method", "Method"),
                          col("amount", "Amount", "money"), col("reason", "Reason"),
                          col("by", "By")], refund_rows,
              {"amount": totals["refunded"]}),
        table("Returns", [col("at", "When"), col("number", "Order"), col("items", "Goods"),
                          col("value", "Value", "money"), col("restocked", "Restocked"),
                          col("reason", "Reason"), col("by", "By")], return_rows,
              {"value": totals["returned_value"]}),
    ], totals)


def stock_report(ctx: ReportContext, period: Period, slow: int = 20) -> Report:
    """Stock value (at sale prices), the slowest movers over the range, stock-outs."""
    sold = rq.quantities_sold(ctx.conn, period.scope(ctx.till))
    value_rows, outs = [], []
    for p in rq.stock_values(ctx.conn):
        on_hand = int(p["on_hand_milli"])
        value = int((Decimal(on_hand) * int(p["price"] or 0) / 1000)
                    .quantize(Decimal(1), ROUND_HALF_EVEN))
        row = {"sku": p["sku"], "name": p["name"], "category": p["category"] or "Uncategorised",
               "on_hand": qty(on_hand / 1000), "available": qty(p["available_milli"] / 1000),
               "price": int(p["price"] or 0), "value": value,
               "sold": qty(sold.get(p["sku"], 0.0)), "_sold": sold.get(p["sku"], 0.0),
               "active": bool(p["active"])}
        value_rows.append(row)
        if row["active"] and int(p["available_milli"]) <= 0:
            outs.append(row)
    slow_rows = sorted((r for r in value_rows if r["active"]),
                       key=lambda r: (r["_sold"], -r["value"], r["name"]))[:slow]
    for r in value_rows:
        r.pop("_sold")
        r.pop("active")
    by_value = sorted(value_rows, key=lambda r: (-r["value"], r["name"]))
    total_value = sum(r["value"] for r in value_rows)
    stock_cols = [col("name", "Product"), col("sku", "SKU"), col("category", "Category"),
                  col("on_hand", "On hand", "qty"), col("available", "Available", "qty")]
    return _range_report("stock", "Stock", ctx, period, [
        table("Stock value (at sale prices)", [*stock_cols, col("price", "Price", "money"),
                                               col("value", "Value", "money")],
              by_value, {"value": total_value},
              chart("hbar", "name", "value", title="Stock value")),
        table(f"Slow movers (sold in the range, the {slow} least)",
              [*stock_cols, col("sold", "Sold", "qty"), col("value", "Value", "money")],
              slow_rows),
        table("Stock-outs (nothing available)", stock_cols, outs, {}),
    ], {"stock_value": total_value, "products": len(value_rows), "stock_outs": len(outs)})


def messages_report(ctx: ReportContext, period: Period) -> Report:
    """Incoming messages by channel, and by hour of the day in the shop's timezone."""
    by_hour: dict[int, dict[str, Any]] = {h: {"hour": f"{h:02d}:00", "messages": 0}
                                          for h in range(24)}
    channels: dict[str, int] = {}
    for r in rq.messages_by_utc_hour(ctx.conn, period.start, period.end):
        try:
            utc = dt.datetime.fromisoformat(str(r["hour"]) + ":00+00:00")
        except ValueError:
            continue
        local = utc.astimezone(ctx.tz).hour
        n = int(r["n"])
        slot = by_hour[local]
        slot["messages"] += n
        slot[r["channel"]] = int(slot.get(r["channel"], 0)) + n
        channels[r["channel"]] = channels.get(r["channel"], 0) + n
    names = sorted(channels, key=lambda c: -channels[c])
    for slot in by_hour.values():
        for c in names:
            slot.setdefault(c, 0)
    total = sum(channels.values())
    channel_rows = [{"channel": c, "messages": channels[c],
                     "share": round(100.0 * channels[c] / total, 1) if total else 0.0}
                    for c in names]
    return _range_report("messages", "Messages", ctx, period, [
        table("By channel", [col("channel", "Channel"), col("messages", "Messages", "count"),
                             col("share", "Share", "percent")], channel_rows,
              {"messages": total}, chart("bar", "channel", "messages", title="By channel")),
        table("By hour of the day", [col("hour", "Hour"), col("messages", "All", "count"),
                                     *[col(c, c, "count") for c in names]],
              list(by_hour.values()), {"messages": total},
              chart("bar", "hour", *(names or ["messages"]), title="When the rush comes")),
    ], {"messages": total})

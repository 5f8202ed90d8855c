"""Sales reports: by day, week or month, product, category, channel, staff member or
till; tax per rate; and the end-of-day cash-up (Z report) of one till or the shop.

Sales are orders not cancelled, on the day they were taken, at their totals (their
lines' totals, so by product adds up to the same figure). Takings are payments less
refunds when the money moved; the cash-up is about takings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from app.protocol import Report
from app.reports.periods import Period
from app.reports.tables import chart, col, qty, report, table
from sync.read_model import report_queries as rq
from sync.vocabulary import PAYMENT_METHODS


@dataclass
class ReportContext:
    """What every report reads with: the read model, the shop's currency and timezone,
    today, the shop's tills (id -> row) and the till the report is limited to."""

    conn: Any
    currency: str
    tz: dt.tzinfo
    now: dt.datetime
    tills: dict[str, dict[str, Any]]
    till: str | None = None

    @property
    def today(self) -> dt.date:
        return self.now.astimezone(self.tz).date()

    def till_label(self, till_id: str | None) -> str:
        if not till_id:
            return "Whole shop"
        row = self.tills.get(till_id)
        return f"{row['name']} ({row['prefix']})" if row else till_id[:12]


def _average(sales: int, orders: int) -> int:
    return int((Decimal(sales) / orders).quantize(Decimal(1), ROUND_HALF_EVEN)) if orders else 0


def sales_report(ctx: ReportContext, period: Period, by: str) -> Report:
    """``countertop report sales``."""
    scope = period.scope(ctx.till)
    totals = rq.sales_totals(ctx.conn, scope)
    totals["average"] = _average(totals["sales"], totals["orders"])
    money_cols = [col("orders", "Orders", "count"), col("sales", "Sales", "money"),
                  col("average", "Average order", "money")]
    if by in ("day", "week", "month"):
        rows = [dict(r, average=_average(int(r["sales"]), int(r["orders"])))
                for r in rq.sales_by_time(ctx.conn, period.buckets(by), ctx.till)]
        label = {"day": "Day", "week": "Week", "month": "Month"}[by]
        tables = [table(f"Sales by {by}", [col("key", label), *money_cols], rows, dict(totals),
                        chart("line" if by == "day" else "bar", "key", "sales",
                              title=f"Sales by {by}"))]
    elif by in ("product", "category"):
        products = rq.sales_by_product(ctx.conn, scope)
        tables = [_by_category(products, totals)] if by == "category" else []
        tables.append(_by_product(products, totals))
    else:
        rows = rq.sales_by(ctx.conn, scope, by)
        for r in rows:
            r["average"] = _average(int(r["sales"]), int(r["orders"]))
            if by == "till":
                r["key"] = ctx.till_label(r["key"])
            elif by == "staff":
                r["key"] = r["key"] or "(not recorded)"
        label = {"channel": "Channel", "staff": "Staff member", "till": "Till"}[by]
        tables = [table(f"Sales by {label.lower()}", [col("key", label), *money_cols], rows,
                        dict(totals), chart("bar", "key", "sales", title=f"Sales by {by}"))]
    return report("sales", f"Sales by {by}", currency=ctx.currency, date_from=str(period.first),
                  date_to=str(period.last), till=ctx.till, tables=tables, totals=totals)


def _by_product(products: list[dict[str, Any]], totals: dict[str, int]) -> Any:
    rows = [{"sku": p["sku"], "name": p["name"], "category": p["category"] or "Uncategorised",
             "qty": qty(p["qty"]), "returned": qty(p["returned"]), "orders": p["orders"],
             "sales": int(p["sales"] or 0)} for p in products]
    return table("Sales by product", [
        col("name", "Product"), col("sku", "SKU"), col("category", "Category"),
        col("qty", "Sold", "qty"), col("returned", "Returned", "qty"),
        col("orders", "Orders", "count"), col("sales", "Sales", "money")],
        rows, {"sales": totals["sales"], "orders": totals["orders"]},
        chart("hbar", "name", "sales", title="Best sellers"))


def _by_category(products: list[dict[str, Any]], totals: dict[str, int]) -> Any:
    groups: dict[str, dict[str, Any]] = {}
    for p in products:
        name = p["category"] or "Uncategorised"
        g = groups.setdefault(name, {"key": name, "products": 0, "qty": 0.0, "sales": 0})
        g["products"] += 1
        g["qty"] += float(p["qty"] or 0)
        g["sales"] += int(p["sales"] or 0)
    rows = sorted(groups.values(), key=lambda g: (-g["sales"], g["key"]))
    for g in rows:
        g["qty"] = qty(g["qty"])
        g["share"] = round(100.0 * g["sales"] / totals["sales"], 1) if totals["sales"] else 0.0
    return table("Sales by category", [
        col("key", "Category"), col("products", "Products", "count"), col("qty", "Sold", "qty"),
        col("sales", "Sales", "money"), col("share", "Share", "percent")],
        rows, {"sales": totals["sales"]}, chart("bar", "key", "sales", title="Sales by category"))


# ---------------------------------------------------------------------- tax


def _rate(text: str) -> Decimal:
    try:
        return Decimal(str(text or "0"))
    except InvalidOperation:
        return Decimal(0)


def tax_report(ctx: ReportContext, period: Period) -> Report:
    """Sales and the tax they hold, per rate. Prices are taken as tax-inclusive (the
    shop's sale prices); the tax is worked out on each rate's total, as a return is."""
    groups: dict[str, dict[str, Any]] = {}
    for p in rq.sales_by_product(ctx.conn, period.scope(ctx.till)):
        rate = _rate(p["tax_rate"])
        key = f"{rate.normalize():f}"
        g = groups.setdefault(key, {"rate": key, "sales": 0, "products": 0})
        g["sales"] += int(p["sales"] or 0)
        g["products"] += 1
    rows = []
    for key in sorted(groups, key=lambda k: _rate(k)):
        g = groups[key]
        rate = _rate(key)
        tax = int((Decimal(g["sales"]) * rate / (100 + rate)).quantize(Decimal(1), ROUND_HALF_EVEN))
        rows.append({"rate": f"{key}%", "products": g["products"], "sales": g["sales"],
                     "net": g["sales"] - tax, "tax": tax})
    totals = {"sales": sum(r["sales"] for r in rows), "net": sum(r["net"] for r in rows),
              "tax": sum(r["tax"] for r in rows)}
    return report("tax", "Tax per rate", currency=ctx.currency, date_from=str(period.first),
                  date_to=str(period.last), till=ctx.till, totals=totals, tables=[table(
                      "Tax per rate", [col("rate", "Rate"), col("products", "Products", "count"),
                                       col("sales", "Sales incl. tax", "money"),
                                       col("net", "Net", "money"), col("tax", "Tax", "money")],
                      rows, dict(totals), chart("bar", "rate", "net", "tax", title="Tax"))])


# ---------------------------------------------------------------------- cash-up


def cashup_figures(ctx: ReportContext, day: dt.date, opening_float: int) -> dict[str, Any]:
    """The day's sales, payments and refunds by method, takings by staff, expected cash."""
    period = Period(day, day, ctx.tz)
    start, end = period.start, period.end
    sales = rq.sales_totals(ctx.conn, period.scope(ctx.till))
    moved = rq.payments_by_method(ctx.conn, start, end, ctx.till)
    methods: dict[str, dict[str, Any]] = {
        m: {"method": m, "payments": 0, "taken": 0, "refunds": 0, "refunded": 0}
               for m in PAYMENT_METHODS}
    for r in moved:
        m = methods.setdefault(str(r["method"]), {"method": str(r["method"]), "payments": 0,
                                                  "taken": 0, "refunds": 0, "refunded": 0})
        if r["kind"] == "refund":
            m["refunds"] += int(r["count"])
            m["refunded"] += int(r["amount"] or 0)
        else:
            m["payments"] += int(r["count"])
            m["taken"] += int(r["amount"] or 0)
    rows = [dict(m, net=m["taken"] - m["refunded"]) for m in methods.values()]
    taken = sum(m["taken"] for m in rows)
    refunded = sum(m["refunded"] for m in rows)
    cash = next(m for m in rows if m["method"] == "cash")
    staff = [{"staff": r["staff"] or "(not recorded)", "payments": int(r["count"]),
              "net": int(r["net"] or 0)} for r in rq.payments_by_staff(ctx.conn, start, end,
                                                                       ctx.till)]
    return {"day": day.isoformat(), "till": ctx.till or "", "till_name": ctx.till_label(ctx.till),
            "orders": sales["orders"], "sales": sales["sales"], "taken": taken,
            "refunded": refunded, "takings": taken - refunded, "methods": rows, "staff": staff,
            "opening_float": opening_float, "expected_cash": opening_float + cash["net"]}


def cashup_report(ctx: ReportContext, figures: dict[str, Any],
                  closed: dict[str, Any] | None) -> Report:
    """The Z report of ``figures``; ``closed`` is the record when the day was closed."""
    totals: dict[str, Any] = {k: figures[k] for k in (
        "orders", "sales", "taken", "refunded", "takings", "opening_float", "expected_cash")}
    if closed is not None:
        totals.update(counted_cash=int(closed["counted_cash"]),
                      difference=int(closed["difference"]))
    summary = [{"item": label, "amount": totals[key]} for key, label in (
        ("sales", "Sales (orders taken)"), ("taken", "Payments taken"),
        ("refunded", "Refunds given"), ("takings", "Takings"), ("opening_float", "Opening float"),
        ("expected_cash", "Cash expected in the drawer"), ("counted_cash", "Cash counted"),
        ("difference", "Difference (counted − expected)")) if key in totals]
    title = f"Cash-up {figures['day']} · {figures['till_name']}"
    if closed is not None:
        title += f" · closed by {closed.get('closed_by') or 'staff'}"
    tables = [
        table("Summary", [col("item", ""), col("amount", "Amount", "money")], summary),
        table("Payments by method", [
            col("method", "Method"), col("payments", "Payments", "count"),
            col("taken", "Taken", "money"), col("refunds", "Refunds", "count"),
            col("refunded", "Refunded", "money"), col("net", "Net", "money")],
            figures["methods"], {"taken": totals["taken"], "refunded": totals["refunded"],
                                 "net": totals["takings"]},
            chart("bar", "method", "net", title="Takings by method")),
        table("Takings by staff member", [col("staff", "Staff member"),
                                          col("payments", "Payments", "count"),
                                          col("net", "Net", "money")], figures["staff"]),
    ]
    out = report("cashup", title, currency=ctx.currency, date_from=figures["day"],
                 date_to=figures["day"], till=ctx.till, tables=tables, totals=totals)
    out["closed"] = closed
    return out

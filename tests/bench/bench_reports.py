"""Reports on the 300k-order synthetic shop (issue 13), measured at the end of a busy
month: every report over the last full month, the cash-up of its last day, and sales by
month over a year. Each figure is the median of three runs on a read-only connection to
the cached shop's read model (reports only read), with the machine's baseline ratio.
Goal: each under 1 s.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time
from typing import Any
from zoneinfo import ZoneInfo

from app.reports import activity, sales
from app.reports.periods import Period
from app.reports.sales import ReportContext
from sync.read_model import queries as q
from tests.bench.harness import report
from tests.bench.synthetic_shop import TIMEZONE, ensure_shop

BENCH = "reports"
RUNS = 3


def _median_ms(fn: Any) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times)


def main() -> None:
    shop, _ = ensure_shop()
    conn = q.open_readonly(shop.root / "read_model.sqlite3")
    tz = ZoneInfo(TIMEZONE)
    now = dt.datetime.now(dt.UTC)
    first = (now.astimezone(tz).date().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last = now.astimezone(tz).date().replace(day=1) - dt.timedelta(days=1)
    ctx = ReportContext(conn, "GBP", tz, dt.datetime.combine(last, dt.time(22), tz),
                        {t["id"]: t for t in q.list_tills(conn)})
    month = Period(first, last, tz)
    year = Period(last - dt.timedelta(days=364), last, tz)
    orders_in_month = sales.sales_report(ctx, month, "day")["totals"]["orders"]
    cases = {f"sales_by_{by}": (lambda by=by: sales.sales_report(ctx, month, by))
             for by in ("day", "week", "product", "category", "channel", "staff", "till")}
    cases.update({
        "sales_by_month_year": lambda: sales.sales_report(ctx, year, "month"),
        "tax": lambda: sales.tax_report(ctx, month),
        "orders": lambda: activity.orders_report(ctx, month),
        "customers": lambda: activity.customers_report(ctx, month),
        "refunds": lambda: activity.refunds_report(ctx, month),
        "stock": lambda: activity.stock_report(ctx, month),
        "messages": lambda: activity.messages_report(ctx, month),
        "cashup_day": lambda: sales.cashup_report(ctx, sales.cashup_figures(ctx, last, 0), None),
    })
    for name, fn in cases.items():
        report(BENCH, f"{name}_ms", _median_ms(fn), "ms", goal="< 1000",
               orders=shop.orders, month=f"{first:%Y-%m}", orders_in_month=orders_in_month)
    conn.close()


if __name__ == "__main__":
    main()

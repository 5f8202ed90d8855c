"""Report commands: sales, orders, customers, refunds, tax, stock, messages, and the
end-of-day cash-up (which, given the cash counted, closes the day and keeps a record).

Each builds its report on the engine's read model (``app/reports``) and, asked with
``out``, writes it to a CSV, XLSX or PDF file too.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import money
from app.engine.commands.registry import EngineContext, Registry
from app.reports import activity, sales
from app.reports.files import format_of, write_report
from app.reports.periods import Period, parse_day
from app.reports.sales import ReportContext
from sync.errors import CommandRejected, NotFound
from sync.read_model import queries as q
from sync.read_model import report_queries as rq


def report_context(ctx: EngineContext, till_ref: str) -> ReportContext:
    engine = ctx.engine
    ledger = engine.require_shop()
    conn = engine.read_model.conn
    tills = {t["id"]: t for t in q.list_tills(conn)}
    return ReportContext(conn, ledger.currency, ledger.tz, ledger.clock(), tills,
                         find_till(tills, till_ref))


def find_till(tills: dict[str, dict[str, Any]], ref: str) -> str | None:
    """The till a report names: by id (or its first characters), name or letter."""
    ref = ref.strip()
    if not ref:
        return None
    low = ref.lower()
    for tid, t in tills.items():
        if tid == ref or str(t.get("name") or "").lower() == low \
                or str(t.get("prefix") or "").lower() == low:
            return tid
    starts = [tid for tid in tills if len(ref) >= 4 and tid.lower().startswith(low)]
    if len(starts) == 1:
        return starts[0]
    names = ", ".join(f"{t['name']} ({t['prefix']})" for t in tills.values())
    raise NotFound(f"no till {ref!r}; the shop's tills are: {names}")


def _finish(report: p.Report, out: str) -> p.Report:
    if out:
        path = Path(out).expanduser()
        format_of(path)
        report["written"] = str(write_report(report, path))
    return report


def _ranged(build: Callable[[ReportContext, Period], p.Report]
            ) -> Callable[[EngineContext, p.ReportRange], p.Report]:
    def handler(ctx: EngineContext, a: p.ReportRange) -> p.Report:
        rc = report_context(ctx, a.till)
        if a.out:
            format_of(Path(a.out))  # refuse a bad name before the work
        period = Period.from_text(a.date_from, a.date_to, rc.tz, rc.today)
        return _finish(build(rc, period), a.out)
    return handler


def report_sales(ctx: EngineContext, a: p.ReportSales) -> p.Report:
    if a.group_by not in p.REPORT_BY:
        raise CommandRejected(f"group sales by {', '.join(p.REPORT_BY)}, not {a.group_by!r}")
    rc = report_context(ctx, a.till)
    if a.out:
        format_of(Path(a.out))
    period = Period.from_text(a.date_from, a.date_to, rc.tz, rc.today)
    return _finish(sales.sales_report(rc, period, a.group_by), a.out)


def report_cashup(ctx: EngineContext, a: p.ReportCashup) -> p.Report:
    """The day's Z report; with ``counted`` the day is closed and the record kept."""
    rc = report_context(ctx, a.till)
    if a.out:
        format_of(Path(a.out))
    day = parse_day(a.date, "--date") if a.date else rc.today
    opening = money(ctx.engine, a.opening_float, "float") \
        if a.opening_float not in (None, "") else 0
    counted = money(ctx.engine, a.counted, "counted cash") if a.counted not in (None, "") \
        else None
    figures = sales.cashup_figures(rc, day, opening)
    made = None
    if counted is not None:
        made = ctx.engine.execute(lambda L: L.cashups.close_day(
            till=rc.till, day=day.isoformat(), expected_cash=int(figures["expected_cash"]),
            counted_cash=counted, opening_float=opening, figures=figures, by=a.by)).created
    found = rq.cashups(rc.conn, till=rc.till or "", day=day.isoformat(), record=made, limit=1)
    closed = _record(rc, found[0]) if found else None
    return _finish(sales.cashup_report(rc, figures, cast(dict[str, Any] | None, closed)), a.out)


def _record(rc: ReportContext, row: dict[str, Any]) -> p.CashupRecord:
    from sync.money import format_money

    out = cast(p.CashupRecord, dict(row, till_name=rc.till_label(row.get("till"))))
    for key in ("expected_cash", "counted_cash", "difference", "opening_float"):
        out[f"{key}_text"] = format_money(int(row[key] or 0), rc.currency)  # type: ignore[literal-required]
    return out


def cashup_list(ctx: EngineContext, a: p.CashupList) -> list[p.CashupRecord]:
    rc = report_context(ctx, "")
    return [_record(rc, r) for r in rq.cashups(rc.conn, limit=a.limit)]


def register(reg: Registry) -> None:
    reg.add(p.REPORT_SALES, report_sales)
    reg.add(p.REPORT_ORDERS, _ranged(activity.orders_report))
    reg.add(p.REPORT_CUSTOMERS, _ranged(activity.customers_report))
    reg.add(p.REPORT_REFUNDS, _ranged(activity.refunds_report))
    reg.add(p.REPORT_TAX, _ranged(sales.tax_report))
    reg.add(p.REPORT_STOCK, _ranged(activity.stock_report))
    reg.add(p.REPORT_MESSAGES, _ranged(activity.messages_report))
    reg.add(p.REPORT_CASHUP, report_cashup)
    reg.add(p.CASHUP_LIST, cashup_list)

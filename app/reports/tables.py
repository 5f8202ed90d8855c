"""The shape every report has (``app.protocol.Report``): tables of typed columns, with
totals, the chart that shows each best, and the text twin of every amount of money.

Column kinds say how a value reads and exports: ``text``, ``money`` (integer minor
units), ``count``, ``qty`` (a decimal quantity), ``percent`` and ``seconds``.
"""

from __future__ import annotations

from typing import Any

from app.protocol import Report, ReportColumn, ReportTable
from sync.money import format_money

KINDS = ("text", "money", "count", "qty", "percent", "seconds")


def col(key: str, label: str, kind: str = "text") -> ReportColumn:
    assert kind in KINDS, kind
    return {"key": key, "label": label, "kind": kind}


def chart(kind: str, x: str, *y: str, title: str = "") -> dict[str, Any]:
    """``bar`` (categories), ``line`` (time), ``hbar`` (a ranking) of columns ``y`` by ``x``."""
    return {"kind": kind, "x": x, "y": list(y), "title": title}


def table(title: str, columns: list[ReportColumn], rows: list[dict[str, Any]],
          totals: dict[str, Any] | None = None,
          chart_spec: dict[str, Any] | None = None) -> ReportTable:
    return {"title": title, "columns": columns, "rows": rows, "totals": totals or {},
            "chart": chart_spec}


def report(name: str, title: str, *, currency: str, date_from: str, date_to: str,
           till: str | None, tables: list[ReportTable],
           totals: dict[str, Any] | None = None) -> Report:
    """The report, with ``*_text`` beside every amount of money in its rows and totals."""
    for t in tables:
        money = [c["key"] for c in t["columns"] if c["kind"] == "money"]
        for row in [*t["rows"], t["totals"]]:
            add_money_text(row, money, currency)
    out: Report = {"report": name, "title": title, "currency": currency,
                   "date_from": date_from, "date_to": date_to, "till": till, "tables": tables,
                   "totals": dict(totals or {}), "written": None, "closed": None}
    add_money_text(out["totals"], [k for k, v in out["totals"].items()
                                   if isinstance(v, int) and not isinstance(v, bool)
                                   and k not in NOT_MONEY], currency)
    return out


#: integer totals that are counts, not money
NOT_MONEY = frozenset({"orders", "count", "customers", "repeat", "returning",
                       "walk_in_orders", "refunds", "returns", "messages", "products",
                       "stock_outs", "open_orders", "payments"})


def add_money_text(row: dict[str, Any], keys: list[str], currency: str) -> None:
    for key in keys:
        value = row.get(key)
        if isinstance(value, int) and not isinstance(value, bool):
            row[f"{key}_text"] = format_money(value, currency)


def qty(value: float | None) -> str:
    """A summed quantity as short decimal text ("3", "2.5")."""
    text = f"{round(float(value or 0), 3):.3f}".rstrip("0").rstrip(".")
    return text if text not in ("", "-0") else "0"


def median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def nearest_rank(values: list[float], pct: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def duration_text(seconds: float | None) -> str:
    """'45 s', '12 min', '3.5 h', '2.1 days'."""
    if seconds is None:
        return "–"
    s = float(seconds)
    if s < 90:
        return f"{s:.0f} s"
    if s < 90 * 60:
        return f"{s / 60:.0f} min"
    if s < 36 * 3600:
        return f"{s / 3600:.1f} h"
    return f"{s / 86400:.1f} days"


def cell_text(value: Any, kind: str, row: dict[str, Any] | None = None, key: str = "",
              currency: str = "") -> str:
    """How a value reads in a table, a CSV or a PDF."""
    if value is None or value == "":
        return "" if kind == "text" else "–"
    if kind == "money":
        if row is not None and f"{key}_text" in row:
            return str(row[f"{key}_text"])
        return format_money(int(value), currency) if currency else str(value)
    if kind == "percent":
        return f"{float(value):.1f}%"
    if kind == "seconds":
        return duration_text(float(value))
    if kind == "qty":
        return qty(float(value)) if not isinstance(value, str) else value
    return str(value)

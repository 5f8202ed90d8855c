"""Maintenance commands: export the shop's orders, rebuild the read model.

An export carries the orders, their lines and their payments: JSON as one document of
full orders; CSV as three files (``orders.csv``, ``orders-lines.csv``,
``orders-payments.csv``); XLSX as one workbook with a sheet of each. Amounts in CSV and
XLSX are in the currency (``12.50``); JSON keeps integer minor units.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from app.reports.files import write_file
from sync.errors import CommandRejected
from sync.money import exponent, format_money
from sync.read_model import queries as q
from sync.read_model import report_queries as rq

CSV_COLUMNS = ("number", "id", "created_at", "status", "channel", "customer_name",
               "customer_id", "total", "paid", "balance", "assignee", "due_at", "fulfilment",
               "address", "notes", "tags", "tax", "discount", "returned", "refunded",
               "total_text", "paid_text", "balance_text")
LINE_COLUMNS = ("number", "order_id", "line_id", "pos", "sku", "description", "qty", "unit",
                "unit_price", "line_total", "tax_rate", "returned_qty", "removed", "notes",
                "modifiers", "asked")
PAYMENT_COLUMNS = ("number", "order_id", "id", "at", "kind", "method", "amount", "reference",
                   "till", "by")
#: amounts: plain decimals for spreadsheets, and in CSV ``<amount>_text`` twins as people
#: read them in the shop's locale ("£1,234.50")
MONEY = {"total", "paid", "balance", "tax", "discount", "returned", "refunded", "unit_price",
         "line_total", "amount"}


def rebuild(ctx: EngineContext, _: p.NoParams) -> p.RebuildResult:
    result = ctx.engine.rebuild_read_model()
    return {"documents": int(result["documents"]), "seconds": float(result["seconds"])}


def _cells(row: dict[str, Any], columns: Sequence[str], currency: str,
           money_text: Callable[[int], str]) -> list[Any]:
    out = []
    for c in columns:
        value = row.get(c)
        if c.endswith("_text") and c.removesuffix("_text") in MONEY:
            value = money_text(int(row.get(c.removesuffix("_text")) or 0))
        elif c in MONEY and value is not None:
            value = format_money(int(value), currency)
        elif c == "tags" and isinstance(value, list):
            value = " ".join(value)
        out.append("" if value is None else value)
    return out


def _csv(columns: Sequence[str], rows: Iterable[dict[str, Any]], currency: str,
         money_text: Callable[[int], str]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cells(row, columns, currency, money_text))
    return buf.getvalue().encode("utf-8")


def _xlsx(sheets: list[tuple[str, Sequence[str], list[dict[str, Any]]]], currency: str) -> bytes:
    import xlsxwriter

    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf, {"in_memory": True, "constant_memory": False})
    exp = exponent(currency)
    money = book.add_format({"num_format": "0" + ("." + "0" * exp if exp else "")})
    bold = book.add_format({"bold": True})
    for name, columns, rows in sheets:
        ws = book.add_worksheet(name)
        ws.write_row(0, 0, columns, bold)
        for r, row in enumerate(rows, start=1):
            for n, c in enumerate(columns):
                value = row.get(c)
                if value is None:
                    continue
                if c in MONEY:
                    ws.write_number(r, n, int(value) / 10 ** exp, money)
                elif isinstance(value, (int, float)) and not isinstance(value, bool):
                    ws.write_number(r, n, value)
                else:
                    ws.write_string(r, n, " ".join(value) if isinstance(value, list)
                                    else str(value))
        ws.freeze_panes(1, 0)
    book.close()
    return buf.getvalue()


def export(ctx: EngineContext, a: p.Export) -> p.ExportResult:
    """Write orders (with lines and payments) to a CSV, XLSX or JSON file."""
    engine = ctx.engine
    engine.require_shop()
    if a.format not in ("csv", "json", "xlsx"):
        raise CommandRejected("export format is csv, xlsx or json")
    conn = engine.read_model.conn
    orders = q.list_orders(conn, limit=10**9, order_by="created_at")
    path = Path(a.out).expanduser()
    currency = engine.ledger.currency
    files = [path]
    if a.format == "json":
        full = [q.order_detail(conn, o["id"]) for o in orders]
        lines = sum(len(o["lines"]) for o in full if o)
        payments = sum(len(o["payments"]) for o in full if o)
        data = {"shop": q.shop_info(conn), "orders": full,
                "customers": q.list_customers(conn, limit=10**9, include_merged=True),
                "products": q.list_products(conn), "stock": q.list_stock(conn)}
        write_file(path, json.dumps(data, indent=1, default=str).encode("utf-8"))
    else:
        line_rows = rq.export_lines(conn)
        pay_rows = rq.export_payments(conn)
        for row in line_rows:
            row["modifiers"] = " ".join(json.loads(row.get("modifiers") or "[]"))
        lines, payments = len(line_rows), len(pay_rows)
        if a.format == "csv":
            stem = path.stem
            files = [path, path.with_name(f"{stem}-lines.csv"),
                     path.with_name(f"{stem}-payments.csv")]
            for target, columns, rows in zip(files, (CSV_COLUMNS, LINE_COLUMNS, PAYMENT_COLUMNS),
                                             (orders, line_rows, pay_rows), strict=True):
                write_file(target, _csv(columns, rows, currency, engine.ledger.money_text))
        else:
            plain = tuple(c for c in CSV_COLUMNS if not c.endswith("_text"))
            write_file(path, _xlsx([("Orders", plain, orders),
                                    ("Lines", LINE_COLUMNS, line_rows),
                                    ("Payments", PAYMENT_COLUMNS, pay_rows)], currency))
    return {"path": str(path), "orders": len(orders), "format": a.format, "lines": lines,
            "payments": payments, "files": [str(f) for f in files]}


def register(reg: Registry) -> None:
    reg.add(p.EXPORT, export)
    reg.add(p.REBUILD_READ_MODEL, rebuild)

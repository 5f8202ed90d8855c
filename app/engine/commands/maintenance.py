"""Maintenance commands: export the shop's orders, rebuild the read model."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from sync.errors import CommandRejected
from sync.money import format_money
from sync.read_model import queries as q

CSV_COLUMNS = ("number", "id", "created_at", "status", "channel", "customer_name",
               "customer_id", "total", "paid", "balance", "assignee", "due_at", "fulfilment",
               "address", "notes", "tags", "tax", "discount", "returned", "refunded",
               "total_text", "paid_text", "balance_text")
#: amounts in the CSV: plain decimals for spreadsheets, and ``_text`` twins as people read
#: them in the shop's locale ("£1,234.50")
CSV_MONEY = ("total", "paid", "balance", "tax", "discount", "returned", "refunded")


def rebuild(ctx: EngineContext, _: p.NoParams) -> p.RebuildResult:
    result = ctx.engine.rebuild_read_model()
    return {"documents": int(result["documents"]), "seconds": float(result["seconds"])}


def export(ctx: EngineContext, a: p.Export) -> p.ExportResult:
    """Write orders (with lines and payments) to a CSV or JSON file."""
    engine = ctx.engine
    engine.require_shop()
    conn = engine.read_model.conn
    orders = q.list_orders(conn, limit=10**9, order_by="created_at")
    path = Path(a.out).expanduser()
    if a.format == "json":
        full = [q.order_detail(conn, o["id"]) for o in orders]
        data = {"shop": q.shop_info(conn), "orders": full,
                "customers": q.list_customers(conn, limit=10**9, include_merged=True),
                "products": q.list_products(conn), "stock": q.list_stock(conn)}
        text = json.dumps(data, indent=1, default=str)
    elif a.format == "csv":
        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(CSV_COLUMNS)
        currency = engine.ledger.currency
        for o in orders:
            row = dict(o, tags=" ".join(o["tags"]))
            for key in CSV_MONEY:
                minor = int(o.get(key) or 0)
                row[key] = format_money(minor, currency)
                row[f"{key}_text"] = engine.ledger.money_text(minor)
            writer.writerow(["" if row.get(c) is None else row.get(c) for c in CSV_COLUMNS])
        text = buf.getvalue()
    else:
        raise CommandRejected("export format is csv or json")
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:
        raise CommandRejected(f"cannot write {path}: {exc.strerror or exc}") from None
    return {"path": str(path), "orders": len(orders), "format": a.format}


def register(reg: Registry) -> None:
    reg.add(p.EXPORT, export)
    reg.add(p.REBUILD_READ_MODEL, rebuild)

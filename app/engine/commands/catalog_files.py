"""Catalog file commands: import products from CSV or XLSX (preview first), export them.

An import reads every row and checks it the way the ledger will (the same checks,
``sync.ledger.product_records``) before anything is written: each row says whether it
adds a product, updates one (and which fields), changes nothing, or what is wrong with
it. ``dry_run`` stops there (the window's preview); otherwise the good rows are written
in a few large transactions (``catalog.import_products``), refused as a whole while any
row has an error unless ``skip_errors``. Empty cells of a known product leave its field
as it is, so a supplier's sheet of SKUs and prices updates just the prices; the
``stock`` column counts in the initial stock of new products only.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

from app import protocol as p
from app.catalog_files import read_rows, write_rows
from app.engine.commands.registry import EngineContext, Registry
from sync.catalog_prices import (
    option_specs,
    options_text,
    price_of,
    variant_specs,
    variants_text,
)
from sync.errors import CommandRejected
from sync.ledger.checks import check_level, check_rate
from sync.ledger.product_records import check_aliases, check_name, check_sku, check_unit
from sync.money import format_money, parse_quantity, qty_str
from sync.read_model import queries as q

_TRUE = {"1", "yes", "y", "true", "active", "on", "sold"}
_FALSE = {"0", "no", "n", "false", "archived", "inactive", "off"}


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split("|") if part.strip()]


def _options(text: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for group in _split(text):
        name, sep, values = group.partition("=")
        if not sep or not name.strip():
            raise CommandRejected(f"option group {group!r} should look like GROUP=a,b=PRICE")
        out[name.strip()] = [v for v in values.split(",") if v.strip()]
    return out


def _flag(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise CommandRejected(f"active is yes or no, not {text!r}")


def _field(key: str, text: str, currency: str) -> Any:
    """The ledger value of one cell (as ``update_product`` takes it)."""
    if key == "name":
        return check_name(text)
    if key == "price":
        return price_of(text, currency)
    if key == "unit":
        return check_unit(text)
    if key == "tax_rate":
        return check_rate(text.rstrip("%").strip())
    if key == "low_stock":
        return qty_str(check_level(text.replace(",", ".")))
    if key == "active":
        return _flag(text)
    if key == "aliases":
        return check_aliases(_split(text))
    if key == "variants":
        return variant_specs(_split(text), currency)
    if key == "options":
        return option_specs(_options(text), currency)
    raise KeyError(key)


_FIELD_OF = {"options": "option_groups"}


def _same(key: str, new: Any, product: dict[str, Any]) -> bool:
    if key == "variants":
        names = list(product.get("variants") or [])
        prices = product.get("variant_prices") or {}
        return list(new) == names and {k: v for k, v in new.items() if v is not None} == prices
    if key == "options":
        groups = product.get("option_groups") or {}
        prices = product.get("option_prices") or {}
        return ({g: list(o) for g, o in new.items()} == groups
                and {g: {k: v for k, v in o.items() if v} for g, o in new.items()
                     if any(o.values())} == prices)
    if key == "active":
        return bool(new) == bool(product.get("active"))
    if key == "low_stock":
        return str(new) == str(product.get("low_stock") or "")
    return bool(new == product.get(key))


def _values(row: dict[str, str], currency: str, errors: list[str]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for key in ("name", "price", "unit", "tax_rate", "low_stock", "active", "aliases",
                "variants", "options"):
        if key in row:
            try:
                values[key] = _field(key, row[key], currency)
            except CommandRejected as exc:
                errors.append(str(exc))
    return values


def _stock(row: dict[str, str], errors: list[str]) -> Decimal | None:
    if "stock" not in row:
        return None
    try:
        if Decimal(row["stock"].replace(",", ".")) == 0:
            return None
        return parse_quantity(row["stock"])
    except (CommandRejected, ArithmeticError):
        errors.append(f"stock {row['stock']!r} is not a quantity (more than zero)")
        return None


def check_row(number: int, row: dict[str, str], known: dict[str, dict[str, Any]],
              seen: set[str], currency: str) -> tuple[p.ImportRow, dict[str, Any] | None]:
    """What one row would do, and the ledger row to write (None: nothing, or an error)."""
    report: p.ImportRow = {"row": number, "sku": row.get("sku", ""), "name": row.get("name", ""),
                           "action": "error", "errors": [], "changes": []}
    errors = report["errors"]
    try:
        sku = check_sku(row.get("sku", ""))
    except CommandRejected as exc:
        errors.append(str(exc))
        return report, None
    if sku in seen:
        errors.append(f"SKU {sku} is in the file twice")
        return report, None
    seen.add(sku)
    product = known.get(sku)
    if product is not None and not report["name"]:
        report["name"] = str(product.get("name") or "")
    values = _values(row, currency, errors)
    stock = _stock(row, errors) if product is None else None
    if product is None:
        errors.extend(f"a new product needs a {key}" for key in ("name", "price")
                      if key not in row)
    if errors:
        return report, None
    if product is None:
        report["action"] = "add"
        out = {_FIELD_OF.get(k, k): v for k, v in values.items()}
        out["sku"] = sku
        if stock is not None:
            out["stock"] = stock
        return report, out
    changed = {k: v for k, v in values.items() if not _same(k, v, product)}
    report["changes"] = sorted(changed)
    report["action"] = "update" if changed else "unchanged"
    if not changed:
        return report, None
    out = {_FIELD_OF.get(k, k): v for k, v in changed.items()}
    out["sku"] = sku
    return report, out


def product_import(ctx: EngineContext, a: p.ProductImport) -> p.ImportReport:
    engine = ctx.engine
    engine.require_shop()
    path = Path(a.path).expanduser()
    fmt, rows = read_rows(path)
    conn = engine.read_model.conn
    known = q.products_by_sku(conn, [r.get("sku", "").strip() for _n, r in rows])
    currency = engine.ledger.currency
    seen: set[str] = set()
    reports: list[p.ImportRow] = []
    writes: list[dict[str, Any]] = []
    for number, row in rows:
        report, write = check_row(number, row, known, seen, currency)
        reports.append(report)
        if write is not None:
            writes.append(write)
    counts = {k: sum(1 for r in reports if r["action"] == k)
              for k in ("add", "update", "unchanged", "error")}
    written = False
    if not a.dry_run:
        if counts["error"] and not a.skip_errors:
            first = next(r for r in reports if r["action"] == "error")
            raise CommandRejected(f"{counts['error']} of {len(reports)} rows have errors (row "
                                  f"{first['row']}: {first['errors'][0]}); nothing was "
                                  "imported. Fix them, or import the good rows only")
        if writes:
            engine.execute(lambda L: L.catalog.import_products(writes, by=a.by))
            written = True
    return {"path": str(path), "format": fmt, "rows": reports, "add": counts["add"],
            "update": counts["update"], "unchanged": counts["unchanged"],
            "errors": counts["error"], "written": written}


def export_row(product: dict[str, Any], currency: str) -> dict[str, Any]:
    """One product as the columns of a catalog file."""
    on_hand = Decimal(int(product.get("on_hand_milli") or 0)) / 1000
    return {
        "sku": product["sku"], "name": product["name"],
        "price": format_money(int(product["price"]), currency), "unit": product["unit"],
        "tax_rate": product.get("tax_rate") or "0", "low_stock": product.get("low_stock") or "",
        "active": "yes" if product.get("active") else "no",
        "aliases": "|".join(product.get("aliases") or []),
        "variants": "|".join(variants_text(product.get("variants") or [],
                                           product.get("variant_prices") or {}, currency)),
        "options": "|".join(f"{g}={','.join(opts)}" for g, opts in options_text(
            product.get("option_groups") or {}, product.get("option_prices") or {},
            currency).items()),
        "stock": qty_str(on_hand),
    }


def product_export(ctx: EngineContext, a: p.ProductExport) -> p.CatalogExported:
    engine = ctx.engine
    engine.require_shop()
    path = Path(a.out).expanduser()
    currency = engine.ledger.currency
    rows = q.all_products(engine.read_model.conn, include_archived=a.include_archived)
    try:
        count = write_rows(path, a.format, (export_row(r, currency) for r in rows))
    except OSError as exc:
        raise CommandRejected(f"cannot write {path}: {exc.strerror or exc}") from None
    return {"path": str(path), "products": count, "format": a.format}


def register(reg: Registry) -> None:
    reg.add(p.PRODUCT_IMPORT, product_import)
    reg.add(p.PRODUCT_EXPORT, product_export)

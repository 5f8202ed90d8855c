"""Catalog commands: products, their aliases, stock levels and adjustments, suppliers."""

from __future__ import annotations

from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import money, money_fields, signed_quantity
from app.engine.commands.registry import EngineContext, Registry
from app.engine.till_engine import TillEngine
from sync.errors import NotFound
from sync.money import parse_quantity
from sync.read_model import queries as q


def product_add(ctx: EngineContext, a: p.ProductAdd) -> p.ProductRow:
    engine = ctx.engine
    engine.require_shop()
    price = money(engine, a.price, "price")
    stock = parse_quantity(a.stock) if a.stock not in (None, "", 0, "0") else None
    low = signed_quantity(a.low_stock) if a.low_stock not in (None, "") else None
    changes = engine.execute(lambda L: L.catalog.add_product(
        a.sku, a.name, price, aliases=a.aliases, unit=a.unit, tax_rate=a.tax_rate,
        stock=stock, low_stock=low, variants=a.variants,
        option_groups=a.option_groups or None, by=a.by))
    return product_row(engine, str(changes.created))


def product_row(engine: TillEngine, sku: str) -> p.ProductRow:
    for row in q.list_products(engine.read_model.conn):
        if row["sku"] == sku:
            return cast(p.ProductRow, money_fields(engine, row, "price"))
    raise NotFound(f"unknown SKU {sku!r}")


def product_update(ctx: EngineContext, a: p.ProductUpdate) -> p.ProductRow:
    engine = ctx.engine
    fields: dict[str, Any] = dict(a.fields)
    if "price" in fields:
        fields["price"] = money(engine, fields["price"], "price")
    engine.execute(lambda L: L.catalog.update_product(a.sku, **fields))
    return product_row(engine, a.sku)


def product_alias(ctx: EngineContext, a: p.ProductAlias) -> p.ProductRow:
    ctx.engine.execute(lambda L: L.catalog.add_alias(a.sku, a.alias))
    return product_row(ctx.engine, a.sku)


def product_option_alias(ctx: EngineContext, a: p.ProductOptionAlias) -> p.ProductRow:
    """Another word for an option ("2.5 litre" for the Size "2.5L"): the parser reads it."""
    ctx.engine.require_shop()
    ctx.engine.execute(lambda L: L.catalog.add_option_alias(a.sku, a.group, a.option, a.alias))
    return product_row(ctx.engine, a.sku)


def product_list(ctx: EngineContext, a: p.ProductList) -> list[p.ProductRow]:
    engine = ctx.engine
    engine.require_shop()
    return [cast(p.ProductRow, money_fields(engine, r, "price"))
            for r in q.list_products(engine.read_model.conn, search=a.search)]


def stock_list(ctx: EngineContext, _: p.NoParams) -> list[p.StockRow]:
    ctx.engine.require_shop()
    return cast(list[p.StockRow], q.list_stock(ctx.engine.read_model.conn))


def stock_adjust(ctx: EngineContext, a: p.StockAdjust) -> list[p.StockRow]:
    engine = ctx.engine
    delta = signed_quantity(a.delta)
    engine.execute(lambda L: L.catalog.adjust_stock(a.sku, delta, reason=a.reason,
                                            location=a.location, by=a.by))
    return [cast(p.StockRow, r) for r in q.list_stock(engine.read_model.conn)
            if r["sku"] == a.sku]


def supplier_add(ctx: EngineContext, a: p.SupplierAdd) -> p.Created:
    changes = ctx.engine.execute(lambda L: L.catalog.add_supplier(
        a.name, contact=a.contact, products=a.products, lead_time_days=a.lead_time_days))
    return {"id": changes.created}


def register(reg: Registry) -> None:
    reg.add(p.PRODUCT_ADD, product_add)
    reg.add(p.PRODUCT_UPDATE, product_update)
    reg.add(p.PRODUCT_ALIAS, product_alias)
    reg.add(p.PRODUCT_OPTION_ALIAS, product_option_alias)
    reg.add(p.PRODUCT_LIST, product_list)
    reg.add(p.STOCK_LIST, stock_list)
    reg.add(p.STOCK_ADJUST, stock_adjust)
    reg.add(p.SUPPLIER_ADD, supplier_add)

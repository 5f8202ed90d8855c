"""Catalog commands: products, their aliases and prices, stock levels, adjustments and
their undo."""

from __future__ import annotations

from typing import Any, cast

from app import protocol as p
from app.engine.commands.arguments import money_fields, signed_quantity
from app.engine.commands.registry import EngineContext, Registry
from app.engine.till_engine import TillEngine
from sync.catalog_prices import option_specs, price_of, repriced, variant_specs
from sync.errors import CommandRejected, NotFound
from sync.money import format_money, parse_quantity
from sync.read_model import queries as q


def product_add(ctx: EngineContext, a: p.ProductAdd) -> p.ProductRow:
    engine = ctx.engine
    engine.require_shop()
    currency = engine.ledger.currency
    price = price_of(a.price, currency)
    stock = parse_quantity(a.stock) if a.stock not in (None, "", 0, "0") else None
    low = signed_quantity(a.low_stock) if a.low_stock not in (None, "") else None
    variants = variant_specs(a.variants, currency)
    options = option_specs(a.option_groups, currency)
    changes = engine.execute(lambda L: L.catalog.add_product(
        a.sku, a.name, price, aliases=a.aliases, unit=a.unit, tax_rate=a.tax_rate,
        stock=stock, low_stock=low, variants=variants, option_groups=options or None,
        by=a.by))
    return product_row(engine, str(changes.created))


def product_row(engine: TillEngine, sku: str) -> p.ProductRow:
    row = q.products_by_sku(engine.read_model.conn, [sku]).get(sku)
    if row is None:
        raise NotFound(f"unknown SKU {sku!r}")
    return cast(p.ProductRow, money_fields(engine, row, "price"))


def _update_fields(engine: TillEngine, a: p.ProductUpdate) -> dict[str, Any]:
    """The ledger fields for a ``product.update``: the typed parameters over ``fields``."""
    currency = engine.ledger.currency
    fields: dict[str, Any] = dict(a.fields)
    if "price" in fields:
        fields["price"] = price_of(fields["price"], currency)
    for key in ("name", "unit", "tax_rate", "category"):
        if getattr(a, key) is not None:
            fields[key] = getattr(a, key)
    if a.price is not None:
        fields["price"] = price_of(a.price, currency)
    if a.low_stock is not p.UNSET:
        low = a.low_stock
        fields["low_stock"] = None if low is None or str(low).strip().lower() in (
            "", "none", "off") else signed_quantity(low)
    if a.archive and a.restore:
        raise CommandRejected("archive or restore, not both")
    if a.archive or a.restore:
        fields["active"] = a.restore
    fields.update(_list_fields(engine, a, fields))
    return fields


def _list_fields(engine: TillEngine, a: p.ProductUpdate, fields: dict[str, Any]
                 ) -> dict[str, Any]:
    """Variants, option groups and aliases of a ``product.update``, read."""
    currency = engine.ledger.currency
    fields = {k: v for k, v in fields.items() if k in ("variants", "option_groups")}
    if a.variants is not None:
        fields["variants"] = variant_specs(a.variants, currency)
    elif isinstance(fields.get("variants"), (list, dict)):
        fields["variants"] = variant_specs(fields["variants"], currency)
    if a.option_groups is not None:
        fields["option_groups"] = option_specs(a.option_groups, currency)
    elif isinstance(fields.get("option_groups"), dict):
        fields["option_groups"] = option_specs(fields["option_groups"], currency)
    if a.aliases is not None or a.add_aliases or a.remove_aliases:
        current = a.aliases if a.aliases is not None else \
            list(engine.ledger.catalog.product(a.sku).get("aliases") or [])
        gone = {x.strip().lower() for x in a.remove_aliases}
        fields["aliases"] = [x for x in current if x.strip().lower() not in gone] + \
            list(a.add_aliases)
    return fields


def product_update(ctx: EngineContext, a: p.ProductUpdate) -> p.ProductRow:
    engine = ctx.engine
    engine.require_shop()
    fields = _update_fields(engine, a)
    if not fields:
        raise CommandRejected("say what to change (see `countertop product edit --help`)")
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


def product_reprice(ctx: EngineContext, a: p.ProductReprice) -> p.Repriced:
    """New prices for the named (or searched) products, all in one transaction."""
    engine = ctx.engine
    engine.require_shop()
    conn = engine.read_model.conn
    currency = engine.ledger.currency
    skus = list(dict.fromkeys([*a.skus, *a.prices]))
    if a.search:
        skus += [s for s in q.product_skus(conn, q.ProductFilter(search=a.search),
                                           limit=1_000_000) if s not in skus]
    if not skus:
        raise CommandRejected("name the products to reprice (--sku, or --search)")
    rows = q.products_by_sku(conn, skus)
    missing = [s for s in skus if s not in rows]
    if missing:
        raise NotFound(f"unknown SKU {missing[0]!r}")
    new: dict[str, int] = {}
    for sku in skus:
        old = int(rows[sku]["price"])
        if sku in a.prices:
            new[sku] = price_of(a.prices[sku], currency, f"the new price of {sku}")
        else:
            new[sku] = repriced(old, currency, percent=a.percent, amount=a.amount, to=a.to)
    changed = {s: v for s, v in new.items() if v != int(rows[s]["price"])}
    if changed and not a.dry_run:
        engine.execute(lambda L: L.catalog.set_prices(changed))
    out: list[p.RepricedRow] = [{
        "sku": s, "name": str(rows[s]["name"]), "old": int(rows[s]["price"]), "new": v,
        "old_text": format_money(int(rows[s]["price"]), currency),
        "new_text": format_money(v, currency)} for s, v in changed.items()]
    return {"changed": out, "count": len(out), "written": bool(changed) and not a.dry_run}


def stock_list(ctx: EngineContext, _: p.NoParams) -> list[p.StockRow]:
    ctx.engine.require_shop()
    return cast(list[p.StockRow], q.list_stock(ctx.engine.read_model.conn))


def _adjusted(engine: TillEngine, sku: str, changes: Any) -> p.StockAdjusted:
    move = q.stock_move(engine.read_model.conn, str(changes.created)) or {}
    return {"move": str(changes.created), "sku": sku, "delta": str(move.get("delta") or ""),
            "levels": [cast(p.StockRow, r) for r in q.list_stock(engine.read_model.conn)
                       if r["sku"] == sku],
            "alerts": sorted(changes.alerts)}


def stock_adjust(ctx: EngineContext, a: p.StockAdjust) -> p.StockAdjusted:
    engine = ctx.engine
    engine.require_shop()
    delta = signed_quantity(a.delta)
    changes = engine.execute(lambda L: L.catalog.adjust_stock(
        a.sku, delta, reason=a.reason, location=a.location, by=a.by))
    return _adjusted(engine, a.sku, changes)


def stock_undo(ctx: EngineContext, a: p.StockUndo) -> p.StockAdjusted:
    """Take back an adjustment with a move the other way; the alerts it raised go too."""
    engine = ctx.engine
    engine.require_shop()
    move = q.stock_move(engine.read_model.conn, a.move)
    if move is None:
        raise NotFound(f"no stock adjustment {a.move}")
    if move.get("undone_by"):
        raise CommandRejected("that adjustment was already taken back")
    if move.get("undoes"):
        raise CommandRejected("that was itself an undo; adjust the stock instead")
    if move.get("po"):
        raise CommandRejected("a delivery against a purchase order is not undone here; "
                              "adjust the stock with a reason instead")

    def both(L: Any) -> Any:
        changes = L.catalog.undo_adjustment(a.move, move, by=a.by)
        return changes.merge(L.alerts.resolve_caused_by(a.move, by=a.by))

    changes = engine.execute(both)
    return _adjusted(engine, str(move["sku"]), changes)


def stock_moves(ctx: EngineContext, a: p.StockMoves) -> list[p.StockMoveRow]:
    ctx.engine.require_shop()
    return cast(list[p.StockMoveRow], q.stock_moves(ctx.engine.read_model.conn, a.sku,
                                                    a.limit))


def register(reg: Registry) -> None:
    reg.add(p.PRODUCT_ADD, product_add)
    reg.add(p.PRODUCT_UPDATE, product_update)
    reg.add(p.PRODUCT_ALIAS, product_alias)
    reg.add(p.PRODUCT_OPTION_ALIAS, product_option_alias)
    reg.add(p.PRODUCT_LIST, product_list)
    reg.add(p.PRODUCT_REPRICE, product_reprice)
    reg.add(p.STOCK_LIST, stock_list)
    reg.add(p.STOCK_ADJUST, stock_adjust)
    reg.add(p.STOCK_UNDO, stock_undo)
    reg.add(p.STOCK_MOVES, stock_moves)

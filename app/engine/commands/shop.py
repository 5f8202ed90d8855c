"""Shop commands: create the shop, read it, set shop-wide settings."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from sync.read_model import queries as q


def shop_create(ctx: EngineContext, a: p.ShopCreate) -> p.ShopInfo:
    ctx.engine.execute(lambda L: L.shop.create(
        a.name, currency=a.currency, region=a.region, timezone=a.timezone,
        till_name=a.till_name))
    return shop_info(ctx, p.NoParams())


def shop_info(ctx: EngineContext, _: p.NoParams) -> p.ShopInfo:
    engine = ctx.engine
    if not engine.has_shop:
        return {"shop": None, "till_id": engine.identity.till_id}
    conn = engine.read_model.conn
    return {"shop": q.shop_info(conn), "shop_doc": str(engine.ledger.shop_doc_id),
            "till_id": engine.identity.till_id,
            "tills": cast(list[p.TillRow], q.list_tills(conn))}


def shop_set_setting(ctx: EngineContext, a: p.ShopSetSetting) -> p.Ok:
    ctx.engine.execute(lambda L: L.shop.set_setting(a.key, a.value))
    return {"ok": True}


def register(reg: Registry) -> None:
    reg.add(p.SHOP_CREATE, shop_create)
    reg.add(p.SHOP_INFO, shop_info)
    reg.add(p.SHOP_SET_SETTING, shop_set_setting)

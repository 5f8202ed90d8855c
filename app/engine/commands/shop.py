"""Shop commands: create the shop, read it, set shop-wide settings, a till's role."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from sync.errors import NotFound
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


def till_set_role(ctx: EngineContext, a: p.TillSetRole) -> p.TillRole:
    """Till roles live in the shop document; any engine holding the data dir may write
    one (a manager till's, or the change is refused here and by the other tills)."""
    ctx.staff.require_manager(a.by, a.manager_pin, "changing a till's role")
    ref = a.till.strip().lower().replace("-", "")
    ledger = ctx.engine.require_shop()
    matches = [t for t in ledger.tills.members() if ref and t.startswith(ref)]
    if len(matches) != 1:
        raise NotFound(f"no single member till matches {a.till!r}")
    ctx.engine.execute(lambda L: L.tills.set_role(matches[0], a.role))
    return {"till_id": matches[0], "role": a.role}


def register(reg: Registry) -> None:
    reg.add(p.TILL_SET_ROLE, till_set_role)
    reg.add(p.SHOP_CREATE, shop_create)
    reg.add(p.SHOP_INFO, shop_info)
    reg.add(p.SHOP_SET_SETTING, shop_set_setting)

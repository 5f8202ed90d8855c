"""Customer commands: add, edit, list, find (the screen-pop card), merge."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.arguments import customer_id
from app.engine.commands.registry import EngineContext, Registry
from app.engine.till_engine import TillEngine
from sync.errors import NotFound
from sync.read_model import queries as q


def _row(engine: TillEngine, cid: str) -> p.CustomerRow:
    rows = q.list_customers_by_id(engine.read_model.conn, cid)
    if not rows:
        raise NotFound(f"no customer {cid}")
    return cast(p.CustomerRow, rows[0])


def customer_add(ctx: EngineContext, a: p.CustomerAdd) -> p.CustomerRow:
    ctx.engine.require_shop()
    changes = ctx.engine.execute(lambda L: L.customers.add(
        a.name, phones=a.phones, emails=a.emails, addresses=a.addresses, notes=a.notes,
        tags=a.tags))
    return _row(ctx.engine, str(changes.created))


def customer_update(ctx: EngineContext, a: p.CustomerUpdate) -> p.CustomerRow:
    cid = customer_id(ctx.engine, a.customer)
    ctx.engine.execute(lambda L: L.customers.update(
        cid, name=a.name, add_phones=a.add_phones, add_emails=a.add_emails,
        add_addresses=a.add_addresses, notes=a.notes, add_tags=a.add_tags,
        remove_tags=a.remove_tags))
    return _row(ctx.engine, cid)


def customer_list(ctx: EngineContext, a: p.CustomerList) -> list[p.CustomerRow]:
    ctx.engine.require_shop()
    return cast(list[p.CustomerRow], q.list_customers(ctx.engine.read_model.conn,
                                                      search=a.search, limit=a.limit))


def customer_find(ctx: EngineContext, a: p.CustomerFind) -> p.CustomerCard:
    cid = customer_id(ctx.engine, a.ref)
    card = q.customer_card(ctx.engine.read_model.conn, cid)
    if card is None:
        raise NotFound(f"no customer {cid}")
    return cast(p.CustomerCard, card)


def customer_merge(ctx: EngineContext, a: p.CustomerMerge) -> p.CustomerRow:
    keep = customer_id(ctx.engine, a.keep)
    other = customer_id(ctx.engine, a.merge)
    ctx.engine.execute(lambda L: L.customers.merge(keep, other))
    return _row(ctx.engine, keep)


def register(reg: Registry) -> None:
    reg.add(p.CUSTOMER_ADD, customer_add)
    reg.add(p.CUSTOMER_UPDATE, customer_update)
    reg.add(p.CUSTOMER_LIST, customer_list)
    reg.add(p.CUSTOMER_FIND, customer_find)
    reg.add(p.CUSTOMER_MERGE, customer_merge)

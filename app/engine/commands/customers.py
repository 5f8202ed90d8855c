"""Customer commands: add, edit, list, find (the screen-pop card), merge."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.arguments import customer_id
from app.engine.commands.registry import EngineContext, Registry
from app.engine.till_engine import TillEngine
from sync.errors import CommandRejected, NotFound
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
        remove_tags=a.remove_tags, remove_phones=a.remove_phones, remove_emails=a.remove_emails,
        remove_addresses=a.remove_addresses))
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


def customer_merge(ctx: EngineContext,
                   a: p.CustomerMerge) -> p.CustomerRow | p.MergePreview:
    """Fold one customer into another; with ``preview``, what that would make."""
    keep = customer_id(ctx.engine, a.keep)
    other = customer_id(ctx.engine, a.merge)
    if keep == other:
        raise CommandRejected("those are already the same customer")
    if a.preview:
        preview = q.merge_preview(ctx.engine.read_model.conn, keep, other)
        if preview is None:
            raise NotFound(f"no customer {other}")
        return cast(p.MergePreview, preview)
    ctx.engine.execute(lambda L: L.customers.merge(keep, other))
    return _row(ctx.engine, keep)


def customer_duplicates(ctx: EngineContext,
                        a: p.CustomerDuplicates) -> list[p.DuplicateGroup]:
    ctx.engine.require_shop()
    cid = customer_id(ctx.engine, a.customer) if a.customer else None
    return cast(list[p.DuplicateGroup], q.customer_duplicates(ctx.engine.read_model.conn, cid))


def register(reg: Registry) -> None:
    reg.add(p.CUSTOMER_ADD, customer_add)
    reg.add(p.CUSTOMER_UPDATE, customer_update)
    reg.add(p.CUSTOMER_LIST, customer_list)
    reg.add(p.CUSTOMER_FIND, customer_find)
    reg.add(p.CUSTOMER_MERGE, customer_merge)
    reg.add(p.CUSTOMER_DUPLICATES, customer_duplicates)

"""Staff commands: add and change members (a manager's job once the shop has one), list
them, sign in and out at this till (``StaffDesk``)."""

from __future__ import annotations

from typing import Any, cast

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from sync.errors import NotFound
from sync.read_model import queries as q


def staff_row(ctx: EngineContext, ref: str) -> p.StaffRow:
    for row in q.list_staff(ctx.engine.read_model.conn):
        if ref in (row["id"], row["name"]):
            return cast(p.StaffRow, row)
    raise NotFound(f"no staff member {ref!r}")


def staff_add(ctx: EngineContext, a: p.StaffAdd) -> p.StaffRow:
    ctx.engine.require_shop()
    ctx.staff.require_manager(a.by, a.manager_pin, "adding staff")
    changes = ctx.engine.execute(lambda L: L.staff.add(a.name, a.role, a.pin, by=a.by))
    return staff_row(ctx, str(changes.created))


def staff_update(ctx: EngineContext, a: p.StaffUpdate) -> p.StaffRow:
    ctx.engine.require_shop()
    found = ctx.engine.ledger.staff.find(a.staff)
    if found is None:
        raise NotFound(f"no staff member {a.staff!r}")
    me = ctx.staff.current()
    own_pin = (me is not None and me["id"] == found[0] and a.pin is not None
               and a.name is None and a.role is None and a.active is None)
    if not own_pin:  # anyone may change their own PIN; the rest is a manager's
        ctx.staff.require_manager(a.by, a.manager_pin, "changing staff")
    ctx.engine.execute(lambda L: L.staff.update(found[0], name=a.name, role=a.role, pin=a.pin,
                                                active=a.active, by=a.by))
    return staff_row(ctx, found[0])


def staff_list(ctx: EngineContext, a: p.StaffList) -> list[p.StaffRow]:
    ctx.engine.require_shop()
    rows = q.list_staff(ctx.engine.read_model.conn, active_only=not a.all)
    return cast(list[p.StaffRow], rows)


def _signed(member: dict[str, Any] | None) -> p.SignedIn:
    if member is None:
        return {"staff": None}
    return {"staff": {"id": member["id"], "name": member["name"], "role": member["role"],
                      "active": 1}}


def staff_sign_in(ctx: EngineContext, a: p.StaffSignIn) -> p.SignedIn:
    ctx.engine.require_shop()
    return _signed(ctx.staff.sign_in(a.name, a.pin))


def staff_sign_out(ctx: EngineContext, _: p.NoParams) -> p.SignedIn:
    ctx.staff.sign_out()
    return {"staff": None}


def staff_current(ctx: EngineContext, _: p.NoParams) -> p.SignedIn:
    return _signed(ctx.staff.current())


def register(reg: Registry) -> None:
    reg.add(p.STAFF_ADD, staff_add)
    reg.add(p.STAFF_UPDATE, staff_update)
    reg.add(p.STAFF_LIST, staff_list)
    reg.add(p.STAFF_SIGN_IN, staff_sign_in)
    reg.add(p.STAFF_SIGN_OUT, staff_sign_out)
    reg.add(p.STAFF_CURRENT, staff_current)

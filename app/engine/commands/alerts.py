"""Alert commands: the open stock alerts, and marking one dealt with."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from sync.read_model import queries as q


def alert_list(ctx: EngineContext, a: p.AlertList) -> list[p.AlertRow]:
    ctx.engine.require_shop()
    return cast(list[p.AlertRow], q.list_alerts(ctx.engine.read_model.conn,
                                                open_only=not a.all))


def alert_resolve(ctx: EngineContext, a: p.AlertResolve) -> p.Ok:
    ctx.engine.execute(lambda L: L.alerts.resolve(a.alert, note=a.note, by=a.by))
    return {"ok": True}


def register(reg: Registry) -> None:
    reg.add(p.ALERT_LIST, alert_list)
    reg.add(p.ALERT_RESOLVE, alert_resolve)

"""Print commands: a receipt or a kitchen ticket on this till's ESC/POS printer."""

from __future__ import annotations

from typing import cast

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from app.engine.printing import print_order


def print_ticket(ctx: EngineContext, a: p.PrintTicket) -> p.PrintResult:
    return cast(p.PrintResult, print_order(ctx.engine, a.order, a.kind, a.printer))


def register(reg: Registry) -> None:
    reg.add(p.PRINT_TICKET, print_ticket)

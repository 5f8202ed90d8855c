"""Peer commands (the long-running engine only): sync status, pairing, removing a till,
document heads."""

from __future__ import annotations

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from app.engine.services import PeerControl


def _peers(ctx: EngineContext) -> PeerControl:
    assert ctx.peers is not None  # registered only with peers (build_registry)
    return ctx.peers


def peers_status(ctx: EngineContext, _: p.NoParams) -> p.PeersStatus:
    return _peers(ctx).status()


def pair_pending(ctx: EngineContext, _: p.NoParams) -> list[p.JoinRequestRow]:
    return _peers(ctx).pending()


async def pair_approve(ctx: EngineContext, a: p.PairCode) -> p.Approved:
    """Runs the pairing confirmation with the new till (a round trip), so it is awaited
    by the IPC server rather than answered at once."""
    return await _peers(ctx).approve(a.code, a.till)


def pair_decline(ctx: EngineContext, a: p.PairDecline) -> p.JoinRequestRow:
    return _peers(ctx).decline(a.till)


def till_remove(ctx: EngineContext, a: p.TillRemove) -> p.TillRemoved:
    ctx.staff.require_manager(a.by, a.manager_pin, "removing a till")
    return {"removed": _peers(ctx).remove_till(a.till)["removed"]}


def sync_heads(ctx: EngineContext, _: p.NoParams) -> p.DocHeads:
    return _peers(ctx).heads()


def register(reg: Registry) -> None:
    reg.add(p.PEERS_STATUS, peers_status)
    reg.add(p.PAIR_PENDING, pair_pending)
    reg.add(p.PAIR_APPROVE, pair_approve)
    reg.add(p.PAIR_DECLINE, pair_decline)
    reg.add(p.TILL_REMOVE, till_remove)
    reg.add(p.SYNC_HEADS, sync_heads)

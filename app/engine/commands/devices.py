"""Device commands (the long-running engine only): what the modem and caller-ID report."""

from __future__ import annotations

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry


def devices_status(ctx: EngineContext, _: p.NoParams) -> p.DeviceStates:
    assert ctx.devices is not None  # registered only with devices (build_registry)
    return ctx.devices.states()


def register(reg: Registry) -> None:
    reg.add(p.DEVICES_STATUS, devices_status)

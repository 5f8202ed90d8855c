"""The small interfaces the engine's parts depend on, instead of on each other.

``app/engine/main.py`` builds the long-running engine and implements ``EngineHost``;
the device, intake and peer bridges take an ``EngineHost`` (never the entry module), and
command handlers reach peers and devices through ``PeerControl`` and ``DeviceBoard``.
So the import graph runs one way: main -> wiring -> bridges -> services.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from app.engine.till_engine import TillEngine
from app.protocol import (
    Approved,
    DeviceStates,
    DocHeads,
    Event,
    JoinRequestRow,
    MailboxStatus,
    PeersStatus,
)
from devices.events import DeviceStatus
from devices.mailbox.mail_config import MailboxConfig


@dataclass
class EngineOptions:
    """What ``countertop engine`` was asked to run."""

    data_dir: Path
    modem: str | None = None
    modem_pin: str | None = None
    callerid: str | None = None
    peers: list[str] = field(default_factory=list)
    relays: list[str] = field(default_factory=list)
    #: sent as ``Authorization: Bearer`` at the relay's upgrade (``sync.peers.relay``)
    relay_token: str = ""
    #: CA file for a relay with a private certificate (default: the system's CAs)
    relay_ca: str | None = None
    listen_host: str = "127.0.0.1"
    listen_port: int = 0
    interfaces: list[str] = field(default_factory=lambda: ["127.0.0.1"])
    discovery: bool = True
    demo: bool = False


class Attachment(Protocol):
    """Something that lives as long as the engine: started after IPC, stopped before it."""

    def start(self) -> Awaitable[None]: ...
    def stop(self) -> Awaitable[None]: ...


class EngineHost(Protocol):
    """The running engine as its bridges see it."""

    engine: TillEngine
    options: EngineOptions

    @property
    def loop(self) -> asyncio.AbstractEventLoop | None:
        """The engine's loop (the single Automerge writer) once it runs."""

    def publish(self, event: Event) -> None:
        """Thread-safe: send an event to every subscribed UI/CLI client."""

    def attach(self, component: Attachment) -> None:
        """Start ``component`` with the engine and stop it with it."""


class PeerControl(Protocol):
    """What the peer commands ask of the peer layer."""

    def status(self) -> PeersStatus: ...
    def pending(self) -> list[JoinRequestRow]: ...
    def approve(self, code: str, till: str = "") -> Awaitable[Approved]: ...
    def decline(self, till: str = "") -> JoinRequestRow: ...
    def remove_till(self, ref: str) -> dict[str, str]: ...
    def heads(self) -> DocHeads: ...


class MailboxControl(Protocol):
    """What the mailbox commands ask of the mailbox this engine runs."""

    def configure(self, config: MailboxConfig) -> Path: ...
    def status(self) -> MailboxStatus: ...


class DeviceBoard:
    """The last state each device reported (``devices.status``)."""

    def __init__(self) -> None:
        self._states: dict[str, DeviceStatus] = {}

    def report(self, status: DeviceStatus) -> None:
        self._states[status.device] = status

    def states(self) -> DeviceStates:
        return {name: dict(vars(status)) for name, status in self._states.items()}

    def get(self, device: str) -> DeviceStatus | None:
        return self._states.get(device)

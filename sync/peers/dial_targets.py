"""Where the peer set dials, and how long it waits before dialling again.

A target is a static ``host:port`` (configured, or entered by hand) or a till found over
mDNS; the peer set keeps one dial loop per target. :class:`Backoff` spaces the retries of
dial loops and relay loops alike: exponential, with jitter so that tills which lost the
network together do not redial in step.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from sync.ids import TillId


@dataclass(frozen=True)
class Backoff:
    """Reconnect delays: exponential from ``initial`` to ``maximum``, full jitter."""

    initial: float = 0.5
    maximum: float = 30.0
    factor: float = 2.0
    #: the ceiling for a member we were linked with: it is on our LAN and was there a
    #: moment ago, so one cheap SYN a second or so finds it soon after the network heals
    member_maximum: float = 1.0

    def delay(self, attempt: int, *, member: bool = False) -> float:
        top = min(self.maximum, self.member_maximum) if member else self.maximum
        ceiling = min(top, self.initial * self.factor ** max(0, attempt))
        return random.uniform(ceiling / 2, ceiling)


@dataclass
class _Target:
    """Somewhere to dial: a static ``host:port`` or a discovered till."""

    key: str
    host: str
    port: int
    till_id: TillId | None
    static: bool
    hosts: tuple[str, ...] = ()
    state: str = "idle"
    last_error: str = ""
    attempts: int = 0
    #: a member we were linked with: redial it fast (issue 15, point 11)
    was_linked: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)
    task: asyncio.Task[None] | None = None


def _split_host_port(address: str) -> tuple[str, int]:
    host, sep, port = address.rpartition(":")
    if not sep or not port.isdigit():
        raise ValueError(f"static peer {address!r} is not HOST:PORT")
    return host.strip("[]"), int(port)

"""What the network layer needs to know about the shop's members, supplied by the engine.

The peer layer never reads the shop document itself: the engine (which owns the ledger)
answers these questions, so the member list has one owner and one writer.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Protocol

from sync.ids import TillId


@dataclass(frozen=True)
class JoinRequest:
    """A till that is not (yet) a member asked to join this shop.

    ``code`` is the pairing code both screens show; staff compare it before approving.
    """

    till_id: TillId
    name: str
    address: str
    code: str
    received_at: float = field(default_factory=time.time)


class Membership(Protocol):
    """The shop's member list as the engine sees it right now."""

    def is_member(self, till_id: TillId) -> bool:
        """True when ``till_id`` may sync with us; asked on every connect and periodically."""
        ...

    def shop_id_hash(self) -> str:
        """Stable hash of the shop id, advertised over mDNS and checked in every hello."""
        ...

    def join_requested(self, request: JoinRequest) -> None:
        """A non-member asked to join; show ``request.code`` to staff for approval."""
        ...

    def admit(self, request: JoinRequest) -> str:
        """Staff approved ``request``: add it to the shop's members, return the shop document URL.

        Called by :meth:`sync.peers.pairing.JoinDesk.approve`; may raise to refuse.
        """
        ...


def hash_shop_id(shop_id: str) -> str:
    """The shop id hash peers advertise: enough to tell shops apart, not to reveal the id."""
    return hashlib.sha256(b"countertop-shop\x00" + shop_id.encode()).hexdigest()[:32]

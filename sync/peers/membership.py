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

    ``ref`` is its short id, for staff to name it when several wait; the pairing code
    is shown only on the new till (``sync.peers.pairing``). ``cert`` is its certificate
    (DER), which the member list keeps so others can check what it signs.
    """

    till_id: TillId
    name: str
    address: str
    ref: str
    cert: bytes = field(default=b"", repr=False)
    received_at: float = field(default_factory=time.time)

    def row(self) -> dict[str, object]:
        """What ``pair list`` shows (no certificate bytes)."""
        return {"till_id": self.till_id, "name": self.name, "address": self.address,
                "ref": self.ref, "received_at": self.received_at}


class Membership(Protocol):
    """The shop's member list as the engine sees it right now."""

    def is_member(self, till_id: TillId) -> bool:
        """True when ``till_id`` may sync with us; asked on every connect and periodically."""
        ...

    def shop_id_hash(self) -> str:
        """Stable hash of the shop id, advertised over mDNS and checked in every hello."""
        ...

    def join_requested(self, request: JoinRequest) -> None:
        """A non-member asked to join; tell staff (they type the code its screen shows)."""
        ...

    def admit(self, request: JoinRequest) -> str:
        """Staff approved ``request``: add it to the shop's members, return the shop document URL.

        Called by :meth:`sync.peers.pairing.JoinDesk.approve`; may raise to refuse.
        """
        ...


def hash_shop_id(shop_id: str) -> str:
    """The shop id hash peers advertise: enough to tell shops apart, not to reveal the id."""
    return hashlib.sha256(b"countertop-shop\x00" + shop_id.encode()).hexdigest()[:32]

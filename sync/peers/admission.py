"""Who may start a handshake with this till: per-address limits, slots kept for members.

Before TLS and the hello, a connection is only an address; the listener cannot tell a
member from a stranger, and every handshake in progress costs a socket, a TLS state and
a task. An outside review held all 32 handshake slots with 40 silent TLS connections and
a real member was dropped. So (issue 15, point 5):

* one address may hold at most ``per_address`` handshakes at once; the rest are closed
  at once, before TLS;
* ``general`` slots serve any address, and ``reserved`` more serve only addresses a
  member linked from before (or that are configured or discovered member addresses),
  so a flood from strangers, even from many addresses, leaves members a way in;
* a handshake must finish quickly (``LinkLimits.hello_timeout``, enforced by the caller),
  so a slot is held seconds, not minutes.

A member's address is a hint, not an identity (the hello proves who it is): an attacker
who spoofs it can at most use a reserved slot, which still times out fast.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field

log = logging.getLogger("countertop.sync.peers.admission")


@dataclass
class Ticket:
    """One admitted handshake; ``release()`` when the hello is done (idempotent)."""

    admission: Admission
    host: str
    reserved: bool
    released: bool = False

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.admission._leave(self)


@dataclass
class Admission:
    """Handshake slots of one listener (single event loop, no locking needed)."""

    per_address: int = 8
    general: int = 32
    reserved: int = 8
    _by_host: Counter[str] = field(default_factory=Counter)
    _general_used: int = 0
    _reserved_used: int = 0
    _members: set[str] = field(default_factory=set)
    refused: int = 0

    def remember_member(self, host: str) -> None:
        """``host`` is where a member till connects from (or is dialled at)."""
        if host:
            self._members.add(host)

    def is_member_address(self, host: str) -> bool:
        return host in self._members

    def enter(self, host: str) -> Ticket | None:
        """A slot for a new connection from ``host``, or None: close it now."""
        if self._by_host[host] >= self.per_address:
            self._refuse(host, "too many handshakes from this address")
            return None
        if self._general_used < self.general:
            self._general_used += 1
            reserved = False
        elif host in self._members and self._reserved_used < self.reserved:
            self._reserved_used += 1
            reserved = True
        else:
            self._refuse(host, "every handshake slot is busy")
            return None
        self._by_host[host] += 1
        return Ticket(self, host, reserved)

    def in_progress(self) -> int:
        return self._general_used + self._reserved_used

    def _refuse(self, host: str, why: str) -> None:
        self.refused += 1
        if self.refused == 1 or self.refused % 100 == 0:
            log.warning("dropping a connection from %s: %s (%d dropped so far)", host, why,
                        self.refused)
        return None

    def _leave(self, ticket: Ticket) -> None:
        self._by_host[ticket.host] -= 1
        if self._by_host[ticket.host] <= 0:
            del self._by_host[ticket.host]
        if ticket.reserved:
            self._reserved_used -= 1
        else:
            self._general_used -= 1

"""Pairing a new till with a shop: the short code both screens show, and the join flow.

Existing till (the *sponsor*) side: :class:`JoinDesk` keeps join requests pending until
staff approve the code (``approve(code)``), then asks the engine to admit the member
(:meth:`Membership.admit`, which returns the shop document URL) and tells the new till.
New till side: :func:`request_join` dials the sponsor with purpose ``join``, reports the
code to show, and waits for the verdict. The new till then syncs as an ordinary member.

The code is derived from both certificate fingerprints, each side computing it from what
it verified itself, so a machine in the middle would make the two screens disagree.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sync.errors import NotFound
from sync.identity import TillIdentity
from sync.ids import TillId
from sync.peers.membership import JoinRequest, Membership
from sync.peers.tls_link import (
    PROTOCOL_VERSION,
    ClientHello,
    LinkError,
    LinkLimits,
    PeerRejected,
    TlsLink,
    dial,
)

log = logging.getLogger("countertop.sync.peers.pairing")

CODE_DIGITS = 6


class UnknownPairingCode(NotFound, LookupError):
    """No pending join request shows that code (typo, or the new till went away)."""


def pairing_code(till_a: str, till_b: str) -> str:
    """Six digits, shown as ``123 456``, from SHA-256 of the sorted pair of fingerprints."""
    low, high = sorted((till_a.lower(), till_b.lower()))
    digest = hashlib.sha256(b"countertop-pairing\x00" + low.encode() + b"\x00" + high.encode())
    number = int.from_bytes(digest.digest()[:8], "big") % 10**CODE_DIGITS
    digits = f"{number:0{CODE_DIGITS}d}"
    return f"{digits[:3]} {digits[3:]}"


def _normalise(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


@dataclass(frozen=True)
class JoinAccepted:
    """What a new till learns when staff approve it: where the shop's data lives."""

    shop_doc_url: str
    shop_id_hash: str
    sponsor_till_id: TillId
    sponsor_address: str


class _PendingJoin:
    def __init__(self, request: JoinRequest) -> None:
        self.request = request
        self.verdict: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()


class JoinDesk:
    """Sponsor side of pairing: pending join requests and the staff's verdicts."""

    def __init__(
        self,
        identity: TillIdentity,
        membership: Membership,
        *,
        name: str = "",
        join_timeout: float = 600.0,
        max_pending: int = 8,
    ) -> None:
        self._identity = identity
        self._membership = membership
        self._name = name
        self._join_timeout = join_timeout
        self._max_pending = max_pending
        self._pending: dict[TillId, _PendingJoin] = {}
        self._changed = asyncio.Condition()

    def pending(self) -> list[JoinRequest]:
        """Join requests waiting for staff, oldest first."""
        return sorted((p.request for p in self._pending.values()), key=lambda r: r.received_at)

    async def wait_for_request(self, timeout: float) -> JoinRequest:
        """Wait until at least one join request is pending (for tests and the engine's UI)."""
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: bool(self._pending))
        return self.pending()[0]

    def approve(self, code: str) -> JoinRequest:
        """Staff confirmed ``code``: admit that till through the engine and tell it so."""
        pending = self._find(code)
        url = self._membership.admit(pending.request)
        if not pending.verdict.done():
            pending.verdict.set_result(url)
        log.info("join of %s (%s) approved", pending.request.till_id[:12], pending.request.name)
        return pending.request

    def decline(self, code: str) -> JoinRequest:
        """Staff refused ``code``: tell the new till and forget the request."""
        pending = self._find(code)
        if not pending.verdict.done():
            pending.verdict.set_result(None)
        log.info("join of %s (%s) declined", pending.request.till_id[:12], pending.request.name)
        return pending.request

    def _find(self, code: str) -> _PendingJoin:
        wanted = _normalise(code)
        matches = [p for p in self._pending.values() if _normalise(p.request.code) == wanted]
        if len(matches) != 1:
            raise UnknownPairingCode(f"no single pending join request shows code {code!r}")
        return matches[0]

    async def handle(self, link: TlsLink, hello: ClientHello) -> None:
        """Serve one ``join`` link until staff decide, the new till leaves, or time runs out."""
        if len(self._pending) >= self._max_pending and hello.till_id not in self._pending:
            await link.refuse("too many join requests pending; try again later")
            return
        code = pairing_code(self._identity.till_id, hello.till_id)
        request = JoinRequest(hello.till_id, hello.name, link.peer_address, code)
        previous = self._pending.get(hello.till_id)
        if previous is not None and not previous.verdict.done():
            previous.verdict.set_result(None)  # the same till asked again: the newer link wins
        pending = _PendingJoin(request)
        await self._set(hello.till_id, pending)
        try:
            await link.write_control(
                {"type": "join-pending", "version": PROTOCOL_VERSION,
                 "till": self._identity.till_id, "name": self._name}
            )
            log.info("join request from %s (%s) at %s, code %s",
                     hello.till_id[:12], hello.name, link.peer_address, code)
            self._membership.join_requested(request)
            url = await self._await_verdict(link, pending)
            if url is None:
                await link.write_control({"type": "join-declined", "version": PROTOCOL_VERSION})
            else:
                await link.write_control(
                    {"type": "join-accepted", "version": PROTOCOL_VERSION,
                     "shop_doc_url": url, "shop": self._membership.shop_id_hash()}
                )
        except (TimeoutError, LinkError) as exc:
            log.info("join request from %s ended: %s", hello.till_id[:12], exc or type(exc).__name__)
        finally:
            if self._pending.get(hello.till_id) is pending:
                await self._set(hello.till_id, None)
            await link.close()

    async def _await_verdict(self, link: TlsLink, pending: _PendingJoin) -> str | None:
        """Wait for staff, but give up if the new till hangs up or time runs out."""
        hang_up = asyncio.ensure_future(link.read_control(timeout=self._join_timeout))
        waiting: set[asyncio.Future[Any]] = {pending.verdict, hang_up}
        try:
            done, _ = await asyncio.wait(
                waiting, timeout=self._join_timeout,
                return_when=asyncio.FIRST_COMPLETED,
            )
        finally:
            hang_up.cancel()
        if pending.verdict in done:
            return pending.verdict.result()
        if not done:
            raise TimeoutError("nobody approved the join request in time")
        raise LinkError("the new till hung up before staff decided")

    async def _set(self, till_id: TillId, pending: _PendingJoin | None) -> None:
        async with self._changed:
            if pending is None:
                self._pending.pop(till_id, None)
            else:
                self._pending[till_id] = pending
            self._changed.notify_all()


async def request_join(
    host: str,
    port: int,
    *,
    identity: TillIdentity,
    name: str,
    on_code: Callable[[str], None],
    timeout: float = 600.0,
    limits: LinkLimits | None = None,
) -> JoinAccepted:
    """New till side: ask the till at ``host:port`` to let us join its shop.

    ``on_code`` receives the pairing code to show on this screen as soon as the sponsor
    answers. Raises :class:`PeerRejected` when staff decline or the sponsor refuses.
    """
    link, reply = await dial(
        host, port, identity=identity, shop_id_hash="", purpose="join", name=name, limits=limits
    )
    try:
        if reply.kind != "join-pending":
            raise PeerRejected(f"unexpected answer to a join request: {reply.kind!r}",
                               peer_till_id=reply.till_id)
        on_code(pairing_code(identity.till_id, reply.till_id))
        verdict = await link.read_control(timeout=timeout)
        if verdict.get("type") == "join-accepted":
            return JoinAccepted(
                shop_doc_url=str(verdict.get("shop_doc_url", "")),
                shop_id_hash=str(verdict.get("shop", "")),
                sponsor_till_id=reply.till_id,
                sponsor_address=f"{host}:{port}",
            )
        raise PeerRejected(f"join {verdict.get('type', 'refused')}", peer_till_id=reply.till_id)
    finally:
        await link.close()

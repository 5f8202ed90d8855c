"""Pairing a new till with a shop: a code shown on the new till, typed on a shop till.

Threat: an active attacker on the shop's LAN (a spoofed or mistyped address puts him
between the new till and the shop's till). The version this replaces derived a 6-digit
code from both certificate fingerprints with nothing committed first, so the man in the
middle ground certificates until his code matched (1.7 M tries, 310 s in one thread).

Now (issue 15, point 1) the code is a password for SPAKE2, a balanced PAKE, from the
maintained ``spake2`` package (Brian Warner's, the one Magic Wormhole uses; pure Python
on ``cryptography``; we write no group arithmetic ourselves):

1. The new till picks a random 6-digit code, shows it, and dials the shop's till with a
   ``join`` hello that carries its first SPAKE2 message (``pake``). The hello is signed
   for this TLS session (``tls_link``: listener's fingerprint and fresh challenge).
2. Staff type that code on the shop's till (``pair.approve CODE``). Only then does the
   shop's till answer with its SPAKE2 message and a confirmation MAC.
3. The new till checks that MAC and answers with its own; the shop's till checks it,
   makes the new till a member, and sends the shop document's URL.

Both SPAKE2 identities and the confirmation transcript hold each side's *own view* of
the two certificate fingerprints and the session's challenge (``transcript``). A man in
the middle terminates two TLS sessions, so the two views differ (his certificate on one
side, the other's on the other) and no relaying of messages makes the keys agree; to get
in he must run SPAKE2 himself, which gives him one guess of the code per attempt, with
no offline test of other guesses (that is what a PAKE is for): 1 in 10^6 per approval
staff make for him. Grinding certificates gains nothing, since the code is random and
never depends on a certificate. A failed confirmation ends that request; the new till
asks again with a new code.

Which request staff approve: with one pending, that one; with several, staff name it
(``pair.approve CODE --till REF``, REF from ``pair list``): trying the typed code on
every pending request would hand an attacker who floods requests one guess per request.
Pending requests are bounded per address and in total (:class:`JoinDesk`), so
throwaway requests cannot keep a real one out.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from spake2 import SPAKE2_A, SPAKE2_B
from spake2.spake2 import SPAKEError

from sync.errors import CommandRejected, NotFound
from sync.identity import TillIdentity, format_short_id
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
CONFIRM_TIMEOUT = 30.0
_DOMAIN = b"countertop-pair-v2\x00"


class UnknownPairingCode(NotFound, LookupError):
    """No pending join request matches (the new till went away, or several wait and
    the request was not named)."""


class PairingCodeMismatch(CommandRejected):
    """The typed code is not the one the new till shows; that request is over."""


def new_pairing_code() -> str:
    """A fresh random code, shown as ``123 456`` on the new till."""
    digits = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    return f"{digits[:3]} {digits[3:]}"


def normalise_code(code: str) -> str:
    return "".join(ch for ch in code if ch.isdigit())


def transcript(new_till: str, sponsor: str, challenge: bytes, msg_a: bytes,
               msg_b: bytes) -> bytes:
    """What both confirmations cover: each side's view of both fingerprints, the TLS
    session's challenge and both SPAKE2 messages."""
    return b"\x00".join((_DOMAIN, new_till.lower().encode(), sponsor.lower().encode(),
                         challenge, msg_a, msg_b))


def _spake_ids(new_till: str, sponsor: str) -> dict[str, bytes]:
    return {"idA": b"new:" + new_till.lower().encode(),
            "idB": b"shop:" + sponsor.lower().encode()}


def confirmation(key: bytes, role: bytes, data: bytes) -> bytes:
    return hmac.new(key, role + b"\x00" + data, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _unb64(text: Any) -> bytes:
    try:
        return base64.b64decode(str(text), validate=True)
    except ValueError:
        return b""


@dataclass(frozen=True)
class JoinAccepted:
    """What a new till learns when staff approve it: where the shop's data lives."""

    shop_doc_url: str
    shop_id_hash: str
    sponsor_till_id: TillId
    sponsor_address: str


class _PendingJoin:
    def __init__(self, request: JoinRequest, hello: ClientHello) -> None:
        self.request = request
        self.hello = hello
        loop = asyncio.get_running_loop()
        #: the code staff typed, or None when they declined
        self.verdict: asyncio.Future[str | None] = loop.create_future()
        #: what became of an approval (the request, or the reason it failed)
        self.outcome: asyncio.Future[JoinRequest] = loop.create_future()

    @property
    def host(self) -> str:
        return self.request.address.rpartition(":")[0]


class JoinDesk:
    """Sponsor side of pairing: pending join requests and the staff's verdicts."""

    def __init__(
        self,
        identity: TillIdentity,
        membership: Membership,
        *,
        name: str = "",
        join_timeout: float = 600.0,
        max_pending: int = 16,
        max_pending_per_address: int = 2,
    ) -> None:
        self._identity = identity
        self._membership = membership
        self._name = name
        self._join_timeout = join_timeout
        self._max_pending = max_pending
        self._per_address = max_pending_per_address
        self._pending: dict[TillId, _PendingJoin] = {}
        self._changed = asyncio.Condition()

    def pending(self) -> list[JoinRequest]:
        """Join requests waiting for staff, oldest first."""
        return sorted((p.request for p in self._pending.values()), key=lambda r: r.received_at)

    async def wait_for_request(self, timeout: float, count: int = 1) -> JoinRequest:
        """Wait until ``count`` join requests are pending (tests and the engine's UI)."""
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: len(self._pending) >= count)
        return self.pending()[-1]

    async def approve(self, code: str, till: str = "") -> JoinRequest:
        """Staff typed ``code`` (shown on the new till): run the confirmation with that
        till; it becomes a member only if the codes match (``PairingCodeMismatch``)."""
        if len(normalise_code(code)) != CODE_DIGITS:
            raise CommandRejected(f"type the {CODE_DIGITS}-digit code the new till shows")
        pending = self._find(till)
        if pending.verdict.done():
            raise CommandRejected("that join request is already being answered")
        pending.verdict.set_result(normalise_code(code))
        return await asyncio.shield(pending.outcome)

    def decline(self, till: str = "") -> JoinRequest:
        """Staff refused the request (named by ``till`` when several wait)."""
        pending = self._find(till)
        if not pending.verdict.done():
            pending.verdict.set_result(None)
        log.info("join of %s (%s) declined", pending.request.till_id[:12], pending.request.name)
        return pending.request

    def _find(self, till: str) -> _PendingJoin:
        ref = till.strip().lower().replace("-", "")
        waiting = [p for p in self._pending.values() if not p.verdict.done()]
        if ref:
            matches = [p for p in waiting if p.request.till_id.startswith(ref)
                       or p.request.name.lower() == till.strip().lower()]
        else:
            matches = waiting
        if len(matches) == 1:
            return matches[0]
        if not matches:
            raise UnknownPairingCode(f"no till {'named ' + repr(till) + ' ' if ref else ''}"
                                     "is waiting to join")
        raise UnknownPairingCode(
            f"{len(matches)} tills are waiting to join: name the one whose screen shows the "
            "code (" + ", ".join(f"{p.request.name or 'Till'} {p.request.ref}"
                                 for p in matches) + ")")

    def _admissible(self, hello: ClientHello, host: str) -> str:
        """Why a new join request is refused, or '' to take it."""
        if len(hello.pake) < 32:
            return "a join request needs a pairing message (update the new till)"
        others = [p for t, p in self._pending.items() if t != hello.till_id]
        if sum(1 for p in others if p.host == host) >= self._per_address:
            return "too many join requests from this address; try again later"
        if len(others) >= self._max_pending:
            return "too many join requests pending; try again later"
        return ""

    async def handle(self, link: TlsLink, hello: ClientHello) -> None:
        """Serve one ``join`` link until staff decide, the new till leaves, or time runs out."""
        host = link.peer_address.rpartition(":")[0]
        why = self._admissible(hello, host)
        if why:
            await link.refuse(why)
            return
        request = JoinRequest(hello.till_id, hello.name, link.peer_address,
                              format_short_id(hello.till_id), cert=hello.cert_der)
        previous = self._pending.get(hello.till_id)
        if previous is not None and not previous.verdict.done():
            previous.verdict.set_result(None)  # the same till asked again: the newer link wins
        pending = _PendingJoin(request, hello)
        await self._set(hello.till_id, pending)
        try:
            await link.write_control(
                {"type": "join-pending", "version": PROTOCOL_VERSION,
                 "till": self._identity.till_id, "name": self._name}
            )
            log.info("join request from %s (%s) at %s", hello.till_id[:12], hello.name,
                     link.peer_address)
            self._membership.join_requested(request)
            code = await self._await_verdict(link, pending)
            if code is None:
                await link.write_control({"type": "join-declined", "version": PROTOCOL_VERSION})
                return
            await self._confirm(link, pending, code)
        except (TimeoutError, LinkError) as exc:
            log.info("join request from %s ended: %s", hello.till_id[:12], exc or type(exc).__name__)
            if not pending.outcome.done():
                pending.outcome.set_exception(CommandRejected(
                    f"the new till did not finish pairing: {exc or 'timed out'}"))
        finally:
            if self._pending.get(hello.till_id) is pending:
                await self._set(hello.till_id, None)
            if not pending.outcome.done():
                pending.outcome.set_exception(CommandRejected("the join request ended"))
            pending.outcome.exception()  # retrieved: nobody may be awaiting it
            await link.close()

    async def _confirm(self, link: TlsLink, pending: _PendingJoin, code: str) -> None:
        """SPAKE2 with the typed code; admit the till only if both confirmations check."""
        hello = pending.hello
        spake = SPAKE2_B(code.encode(), **_spake_ids(hello.till_id, self._identity.till_id))
        msg_b = spake.start()
        try:
            key = spake.finish(hello.pake)
        except (SPAKEError, ValueError) as exc:
            await link.refuse("the pairing message is malformed")
            raise PairingCodeMismatch(f"the new till's pairing message is malformed: {exc}") \
                from None
        data = transcript(hello.till_id, self._identity.till_id, hello.challenge, hello.pake,
                          msg_b)
        await link.write_control({"type": "join-proof", "version": PROTOCOL_VERSION,
                                  "pake": _b64(msg_b),
                                  "confirm": _b64(confirmation(key, b"shop", data))})
        reply = await link.read_control(timeout=CONFIRM_TIMEOUT)
        theirs = _unb64(reply.get("confirm")) if reply.get("type") == "join-confirm" else b""
        if not hmac.compare_digest(theirs, confirmation(key, b"new", data)):
            log.warning("join of %s (%s) at %s: the typed code does not match; refused",
                        hello.till_id[:12], hello.name, link.peer_address)
            failure = PairingCodeMismatch(
                "the code does not match the one on the new till's screen; the new till "
                "must ask again")
            pending.outcome.set_exception(failure)
            await link.refuse("pairing code mismatch")
            return
        try:
            url = self._membership.admit(pending.request)
        except CommandRejected as exc:
            pending.outcome.set_exception(exc)
            await link.refuse(str(exc))
            return
        await link.write_control(
            {"type": "join-accepted", "version": PROTOCOL_VERSION,
             "shop_doc_url": url, "shop": self._membership.shop_id_hash()})
        log.info("join of %s (%s) approved", hello.till_id[:12], hello.name)
        pending.outcome.set_result(pending.request)

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
            hang_up.cancel()  # and wait for it: the confirmation reads the link next
            await asyncio.gather(hang_up, return_exceptions=True)
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
    code: str | None = None,
    local_host: str | None = None,
) -> JoinAccepted:
    """New till side: ask the till at ``host:port`` to let us join its shop.

    ``on_code`` receives the code to show on this screen (staff type it on the shop's
    till) as soon as the shop's till has taken the request. Raises
    :class:`PeerRejected` when staff decline, the codes do not match, or the shop's
    till (or an impostor at its address) fails the confirmation.
    """
    shown = code or new_pairing_code()
    secret = normalise_code(shown).encode()
    # the sponsor's id is known only after TLS: the SPAKE2 side A is made per attempt
    link, reply = await _dial_join(host, port, identity, name, secret, limits, local_host)
    spake, msg_a = reply.body["_spake"]
    try:
        if reply.kind != "join-pending":
            raise PeerRejected(f"unexpected answer to a join request: {reply.kind!r}",
                               peer_till_id=reply.till_id)
        on_code(shown)
        proof = await link.read_control(timeout=timeout)
        if proof.get("type") != "join-proof":
            raise PeerRejected(f"join {proof.get('type', 'refused')}: "
                               f"{proof.get('reason', '')}".rstrip(": "),
                               peer_till_id=reply.till_id)
        msg_b = _unb64(proof.get("pake"))
        try:
            key = spake.finish(msg_b)
        except (SPAKEError, ValueError):
            raise PeerRejected("the shop's till sent a malformed pairing message",
                               peer_till_id=reply.till_id) from None
        data = transcript(identity.till_id, reply.till_id, reply.body["challenge"], msg_a,
                          msg_b)
        if not hmac.compare_digest(_unb64(proof.get("confirm")),
                                   confirmation(key, b"shop", data)):
            await link.write_control({"type": "join-failed", "version": PROTOCOL_VERSION})
            raise PeerRejected("the code typed on the shop's till does not match this one "
                               "(or something between the tills is not the shop's till)",
                               peer_till_id=reply.till_id)
        await link.write_control({"type": "join-confirm", "version": PROTOCOL_VERSION,
                                  "confirm": _b64(confirmation(key, b"new", data))})
        verdict = await link.read_control(timeout=CONFIRM_TIMEOUT)
        if verdict.get("type") == "join-accepted":
            return JoinAccepted(
                shop_doc_url=str(verdict.get("shop_doc_url", "")),
                shop_id_hash=str(verdict.get("shop", "")),
                sponsor_till_id=reply.till_id,
                sponsor_address=f"{host}:{port}",
            )
        raise PeerRejected(f"join {verdict.get('type', 'refused')}: "
                           f"{verdict.get('reason', '')}".rstrip(": "),
                           peer_till_id=reply.till_id)
    finally:
        await link.close()


async def _dial_join(host: str, port: int, identity: TillIdentity, name: str, secret: bytes,
                     limits: LinkLimits | None, local_host: str | None) -> tuple[TlsLink, Any]:
    """Dial with purpose ``join``: the SPAKE2 identities need the listener's fingerprint,
    which TLS gives before the hello is sent, so the first message is made then."""
    made: dict[str, Any] = {}

    def pake_for(server_id: str) -> bytes:
        spake = SPAKE2_A(secret, **_spake_ids(identity.till_id, server_id))
        made["spake"] = (spake, spake.start())
        return bytes(made["spake"][1])

    link, reply = await dial(host, port, identity=identity, shop_id_hash="", purpose="join",
                             name=name, limits=limits, pake=pake_for, local_host=local_host)
    reply.body["_spake"] = made["spake"]
    return link, reply

"""One authenticated, framed link between two tills over TLS on asyncio streams.

Security model (DESIGN.md "Peers and security"): no certificate authority; a till is its
certificate's SHA-256 fingerprint. Python's ``ssl`` module has no verify callback, and
OpenSSL refuses a self-signed *client* certificate unless it is preloaded as a trust
anchor, which a shop cannot do for a till that is only now joining. So:

* the TLS server presents its certificate; the dialler checks its fingerprint itself
  (``getpeercert(binary_form=True)``) against the till it meant to reach. TLS 1.2+ has
  the server sign the handshake with that certificate's key, so the dialler's session
  ends at the holder of that key and nobody else can read or write inside it;
* the listener speaks first inside the session: a ``challenge`` with 32 fresh random
  bytes. The dialler's hello carries its certificate and a signature over the hello,
  the *server's* fingerprint and that challenge (``hello_signed_bytes``). A signature
  made for one till is useless at any other, and one made for one session is useless
  in the next: a captured hello is worthless.

Why a challenge and not a TLS exporter (RFC 5705/8446 ``export_keying_material``):
CPython 3.11's ``ssl.SSLObject`` has no exporter API, and reaching into OpenSSL through
ctypes would tie the engine to one libssl build. The challenge gives the property the
exporter would: the listener knows the signature was made for *this* session, because
the nonce exists only in it; and the dialler signs only for the certificate its own TLS
session verified, so a machine in the middle (which cannot present the listener's key)
never obtains a signature the listener accepts. Pairing builds on the same binding
(``sync.peers.pairing``: both fingerprints and the challenge go into its transcript).

After the hello exchange the link carries length-prefixed frames: ``u32 length | u8 kind |
payload``. ``MESSAGE`` frames hold one automerge-repo wire message each, so a
:class:`TlsLink` is a samod ``Transport`` (``send``/``recv``/``close``) that a
``Repo.connect``/``Repo.accept`` can run over. Frame sizes are bounded, silent peers time
out (both sides send ``KEEPALIVE`` frames on idle links, often enough that a dead link
is noticed in seconds), and every failure is a typed :class:`LinkError` with a logged
reason, never an unhandled crash. Who may start a handshake at all (per address, with
slots kept for known members) is :mod:`sync.peers.admission`.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import secrets
import ssl
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NoReturn

from sync.errors import PeerError
from sync.identity import (
    TillIdentity,
    certificate_der,
    fingerprint_der,
    sign,
    verify_signature,
)
from sync.ids import TillId

log = logging.getLogger("countertop.sync.peers.link")

PROTOCOL_VERSION = 2
"""Countertop link protocol version; a peer speaking another one is refused with a reason.

Version 2 (issue 15): the listener's challenge, hellos bound to it, SPAKE2 pairing."""

# Timeouts use ``asyncio.timeout`` rather than ``asyncio.wait_for``: on Python 3.11 a
# ``wait_for`` whose inner read completes as the task is cancelled swallows the
# cancellation, and ``Repo.stop``/``PeerSet.stop`` then wait forever on a recv loop.

Purpose = Literal["sync", "join"]

_HEADER = struct.Struct("!IB")
KIND_HELLO = 0x01
KIND_MESSAGE = 0x02
KIND_KEEPALIVE = 0x03
_HELLO_DOMAIN = b"countertop-hello-v2\x00"
CHALLENGE_BYTES = 32


class LinkError(PeerError):
    """A link failed in an expected way (peer gone, misbehaving or refused)."""


class LinkClosed(LinkError):
    """The peer closed the connection (possibly in the middle of a frame)."""


class LinkTimedOut(LinkError):
    """The peer stayed silent longer than the idle or handshake timeout."""


class LinkProtocolError(LinkError):
    """The peer sent bytes that break the Countertop link protocol."""


class FrameTooLarge(LinkProtocolError):
    """A frame header announced more bytes than this link accepts."""


class PeerRejected(LinkError):
    """The hello exchange ended in a refusal (by us or by the peer); ``reason`` says why."""

    def __init__(self, reason: str, *, peer_till_id: TillId | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.peer_till_id = peer_till_id


@dataclass(frozen=True)
class LinkLimits:
    """Bounds that keep a hostile or broken peer from exhausting a till."""

    #: an automerge sync message carries at most a whole document: the biggest shop
    #: document measured (20k customers) saves to ~6 MiB, so 16 MiB leaves room
    max_frame_bytes: int = 16 * 1024 * 1024
    max_hello_bytes: int = 64 * 1024
    handshake_timeout: float = 10.0
    #: a connection that has not finished TLS and sent its hello by then is dropped
    hello_timeout: float = 3.0
    idle_timeout: float = 15.0
    #: both sides send a KEEPALIVE this often on an idle link: the heartbeat
    keepalive_interval: float = 0.5
    #: heard nothing for this long (four heartbeats): the dialler redials at once, in
    #: parallel, and a new link replaces this one (``PeerSet``); TCP alone noticed a dead
    #: link only after its retransmission backoff, seconds after the network healed
    suspect_after: float = 2.0
    #: TCP connect + TLS bound for those fast redials
    redial_timeout: float = 1.0
    send_timeout: float = 30.0
    close_timeout: float = 2.0


@dataclass(frozen=True)
class ClientHello:
    """What a dialling till says first, already verified (certificate, signature, version)."""

    till_id: TillId
    shop_id_hash: str
    purpose: Purpose
    name: str
    repo_peer_id: str
    cert_der: bytes = b""
    #: the session's challenge the hello answered (pairing puts it in its transcript)
    challenge: bytes = b""
    #: join hellos: the new till's first SPAKE2 message (``sync.peers.pairing``)
    pake: bytes = b""


@dataclass(frozen=True)
class ServerReply:
    """The listening till's answer to a hello (``welcome``, ``join-pending``...)."""

    kind: str
    till_id: TillId
    body: dict[str, Any] = field(default_factory=dict)


def server_ssl_context(identity: TillIdentity) -> ssl.SSLContext:
    """TLS context for accepting links: presents our certificate, requests none (see module)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_cert_chain(identity.cert_path, identity.key_path)
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def client_ssl_context() -> ssl.SSLContext:
    """TLS context for dialling: the server's fingerprint is checked by us, not by a CA."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _canonical(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, sort_keys=True, separators=(",", ":")).encode()


def hello_signed_bytes(fields: dict[str, Any], server_till_id: str, challenge: bytes) -> bytes:
    """What a hello's signature covers: its fields, the listener's id and the session's
    challenge (see the module docstring)."""
    return (_HELLO_DOMAIN + server_till_id.encode() + b"\x00" + challenge + b"\x00"
            + _canonical(fields))


class TlsLink:
    """A framed, authenticated link to one peer; implements the samod ``Transport`` protocol."""

    def __init__(
        self,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
        *,
        limits: LinkLimits,
        peer_address: str,
        dialed_by_us: bool,
    ) -> None:
        self._reader = reader
        self._writer = writer
        self.limits = limits
        self.peer_address = peer_address
        self.dialed_by_us = dialed_by_us
        self.peer_till_id: TillId | None = None
        self.peer_name = ""
        self.peer_repo_id = ""
        self.purpose: Purpose = "sync"
        self.bytes_sent = 0
        self.bytes_received = 0
        self.messages_sent = 0
        self.messages_received = 0
        self.last_received_at: float | None = None
        self.last_message_at: float | None = None
        self._heard = time.monotonic()
        self._last_sent_at = time.monotonic()
        self._closed = asyncio.Event()
        self._keepalive_task: asyncio.Task[None] | None = None

    # -- samod Transport -------------------------------------------------------------

    async def send(self, msg: bytes) -> None:
        """Send one automerge-repo message."""
        await self._write_frame(KIND_MESSAGE, bytes(msg))
        self.messages_sent += 1

    async def recv(self) -> bytes:
        """Next automerge-repo message; raises a :class:`LinkError` when the link ends."""
        while True:
            # readexactly() on buffered bytes never yields: without this a peer streaming
            # frames would keep the loop, and every other link, waiting.
            await asyncio.sleep(0)
            kind, payload = await self._read_frame(
                self.limits.max_frame_bytes, self.limits.idle_timeout
            )
            if kind == KIND_KEEPALIVE:
                continue
            if kind == KIND_MESSAGE and payload:
                self.messages_received += 1
                self.last_message_at = time.time()
                return payload
            await self._fail(LinkProtocolError(f"unexpected frame kind {kind:#x} on a sync link"))

    async def close(self) -> None:
        """Close the link (idempotent, bounded in time)."""
        if self._closed.is_set():
            return
        self._closed.set()
        task = self._keepalive_task
        if task is not None and task is not asyncio.current_task():
            task.cancel()
        writer = self._writer
        try:
            writer.close()
            async with asyncio.timeout(self.limits.close_timeout):
                await writer.wait_closed()
        except (TimeoutError, OSError, ssl.SSLError, RuntimeError):
            writer.transport.abort()

    # -- life cycle -------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._closed.is_set()

    def silent_for(self) -> float:
        """Seconds since the last frame arrived (any kind: keepalives count)."""
        return time.monotonic() - self._heard

    def excuse_silence(self) -> None:
        """Our own loop was stalled: frames may be waiting unread; start counting anew."""
        self._heard = time.monotonic()

    async def wait_closed(self) -> None:
        await self._closed.wait()

    def start_keepalive(self) -> None:
        """Send ``KEEPALIVE`` frames while idle so the peer's idle timeout never fires."""
        if self._keepalive_task is None:
            self._keepalive_task = asyncio.create_task(
                self._keepalive_loop(), name=f"keepalive {self.peer_address}"
            )

    async def _keepalive_loop(self) -> None:
        interval = self.limits.keepalive_interval
        try:
            while not self._closed.is_set():
                idle = time.monotonic() - self._last_sent_at
                if idle >= interval:
                    await self._write_frame(KIND_KEEPALIVE, b"")
                    idle = 0.0
                await asyncio.sleep(interval - idle)
        except LinkError as exc:
            log.info("keepalive to %s stopped: %s", self.peer_address, exc)
            await self.close()

    # -- frames -----------------------------------------------------------------------

    async def _write_frame(self, kind: int, payload: bytes) -> None:
        if self._closed.is_set():
            raise LinkClosed("link is closed")
        if len(payload) > self.limits.max_frame_bytes:
            raise FrameTooLarge(f"refusing to send a {len(payload)}-byte frame")
        data = _HEADER.pack(len(payload), kind) + payload
        try:
            self._writer.write(data)
            async with asyncio.timeout(self.limits.send_timeout):
                await self._writer.drain()
        except TimeoutError:
            await self._fail(LinkTimedOut(f"peer {self.peer_address} stopped reading"))
        except (OSError, ssl.SSLError, RuntimeError) as exc:
            await self._fail(LinkClosed(f"send to {self.peer_address} failed: {exc}"))
        self.bytes_sent += len(data)
        self._last_sent_at = time.monotonic()

    async def _read_frame(self, max_bytes: int, timeout: float) -> tuple[int, bytes]:
        try:
            async with asyncio.timeout(timeout):
                header = await self._reader.readexactly(_HEADER.size)
            length, kind = _HEADER.unpack(header)
            if length > max_bytes:
                await self._fail(
                    FrameTooLarge(f"{self.peer_address} announced a {length}-byte frame "
                                  f"(limit {max_bytes})")
                )
            async with asyncio.timeout(timeout):
                payload = await self._reader.readexactly(length)
        except asyncio.IncompleteReadError as exc:
            what = "mid-frame" if exc.partial else "between frames"
            await self._fail(LinkClosed(f"{self.peer_address} closed the link {what}"))
        except TimeoutError:
            await self._fail(LinkTimedOut(f"{self.peer_address} silent for {timeout:.1f} s"))
        except (OSError, ssl.SSLError) as exc:
            await self._fail(LinkClosed(f"{self.peer_address}: {exc}"))
        self.bytes_received += _HEADER.size + length
        self.last_received_at = time.time()
        self._heard = time.monotonic()
        return kind, payload

    async def _fail(self, exc: LinkError) -> NoReturn:
        """Close the link and raise ``exc``; peers that break the protocol get no second try."""
        level = logging.INFO if isinstance(exc, LinkClosed) else logging.WARNING
        log.log(level, "link %s: %s", self.peer_address, exc)
        await self.close()
        raise exc

    # -- hello exchange ---------------------------------------------------------------

    async def write_control(self, message: dict[str, Any]) -> None:
        """Send one hello-phase JSON message (hello, welcome, refusal, join replies)."""
        await self._write_frame(KIND_HELLO, _canonical(message))

    async def read_control(self, timeout: float | None = None) -> dict[str, Any]:
        """Read one hello-phase JSON message; anything else is a protocol error."""
        kind, payload = await self._read_frame(
            self.limits.max_hello_bytes,
            self.limits.handshake_timeout if timeout is None else timeout,
        )
        if kind != KIND_HELLO:
            await self._fail(LinkProtocolError(f"expected a hello frame, got kind {kind:#x}"))
        try:
            message = json.loads(payload)
        except (UnicodeDecodeError, json.JSONDecodeError):
            message = None
        if not isinstance(message, dict) or not isinstance(message.get("type"), str):
            await self._fail(LinkProtocolError("hello frame is not a JSON object with a type"))
        return dict(message)

    async def refuse(self, reason: str) -> None:
        """Tell the peer why it is refused (best effort), log it, and close."""
        log.warning("refusing %s (%s): %s", self.peer_address, self.peer_till_id or "?", reason)
        try:
            await self.write_control(
                {"type": "refused", "version": PROTOCOL_VERSION, "reason": reason}
            )
        except LinkError:
            pass
        await self.close()


def _peer_cert_der(writer: asyncio.StreamWriter) -> bytes | None:
    ssl_object = writer.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return bytes(der) if der else None


def new_challenge() -> bytes:
    """Fresh random bytes the listener sends first; the hello must sign them."""
    return secrets.token_bytes(CHALLENGE_BYTES)


async def send_challenge(link: TlsLink, challenge: bytes) -> None:
    """Server side, first thing inside TLS: the nonce this session's hello must sign."""
    await link.write_control({"type": "challenge", "version": PROTOCOL_VERSION,
                              "nonce": base64.b64encode(challenge).decode()})


async def read_challenge(link: TlsLink) -> bytes:
    """Client side: the listener's challenge (an older Countertop sends none and times out)."""
    try:
        msg = await link.read_control(link.limits.hello_timeout)
    except LinkTimedOut:
        raise LinkTimedOut(f"{link.peer_address} sent no challenge (a Countertop older than "
                           f"link protocol {PROTOCOL_VERSION}?)") from None
    if msg.get("type") == "refused":
        raise PeerRejected(str(msg.get("reason", "refused"))[:300],
                           peer_till_id=link.peer_till_id)
    if msg.get("type") != "challenge" or msg.get("version") != PROTOCOL_VERSION:
        await link.close()
        raise PeerRejected(f"{link.peer_address} speaks link protocol {msg.get('version')!r}, "
                           f"this till {PROTOCOL_VERSION}: update the older till",
                           peer_till_id=link.peer_till_id)
    try:
        nonce = base64.b64decode(str(msg.get("nonce", "")), validate=True)
    except ValueError:
        nonce = b""
    if len(nonce) != CHALLENGE_BYTES:
        await link.close()
        raise LinkProtocolError(f"{link.peer_address} sent a malformed challenge")
    return nonce


async def read_client_hello(
    link: TlsLink, identity: TillIdentity, shop_id_hash: str, challenge: bytes
) -> ClientHello:
    """Server side: read and verify the dialler's hello to ``challenge``.

    Checks protocol version, certificate fingerprint against the claimed till id, the
    signature (key possession, bound to our fingerprint and this session's challenge)
    and, for ``sync``, the shop. On failure the peer is told why and
    :class:`PeerRejected` is raised. Membership is the caller's decision.
    """
    msg = await link.read_control(link.limits.hello_timeout)
    version = msg.get("version")
    if msg.get("type") != "hello":
        await link.refuse(f"expected hello, got {msg.get('type')!r}")
        raise PeerRejected("no hello")
    if version != PROTOCOL_VERSION:
        reason = (f"protocol version {version!r} not supported (this till speaks "
                  f"{PROTOCOL_VERSION}): update the older till")
        await link.refuse(reason)
        raise PeerRejected(reason)
    fields = {k: v for k, v in msg.items() if k != "sig"}
    try:
        cert_der = base64.b64decode(str(msg["cert"]), validate=True)
        signature = base64.b64decode(str(msg["sig"]), validate=True)
        pake = base64.b64decode(str(msg.get("pake", "")), validate=True)
        claimed = TillId(str(msg["till"]))
        purpose = str(msg["purpose"])
        shop = str(msg.get("shop", ""))
        name = str(msg.get("name", ""))[:80]
        repo_peer_id = str(msg.get("peer", ""))[:200]
    except (KeyError, ValueError) as exc:
        await link.refuse(f"malformed hello: {exc}")
        raise PeerRejected("malformed hello") from exc
    if purpose not in ("sync", "join"):
        await link.refuse(f"unknown purpose {purpose!r}")
        raise PeerRejected("unknown purpose")
    if fingerprint_der(cert_der) != claimed:
        await link.refuse("certificate does not match the claimed till id")
        raise PeerRejected("fingerprint mismatch")
    signed = hello_signed_bytes(fields, identity.till_id, challenge)
    if not verify_signature(cert_der, signed, signature):
        await link.refuse("hello signature does not verify for this session")
        raise PeerRejected("bad signature (forged, or replayed from another session)",
                           peer_till_id=claimed)
    link.peer_till_id = claimed
    link.peer_name = name
    link.peer_repo_id = repo_peer_id
    link.purpose = "join" if purpose == "join" else "sync"
    if link.purpose == "sync" and shop != shop_id_hash:
        await link.refuse("this till belongs to another shop")
        raise PeerRejected("other shop", peer_till_id=claimed)
    return ClientHello(claimed, shop, link.purpose, name, repo_peer_id, cert_der, challenge,
                       pake)


async def send_welcome(
    link: TlsLink, identity: TillIdentity, shop_id_hash: str, repo_peer_id: str
) -> None:
    """Server side: accept a verified ``sync`` hello; MESSAGE frames may follow."""
    await link.write_control(
        {
            "type": "welcome",
            "version": PROTOCOL_VERSION,
            "till": identity.till_id,
            "shop": shop_id_hash,
            "peer": repo_peer_id,
        }
    )


def hello_message(
    identity: TillIdentity,
    server_till_id: str,
    challenge: bytes,
    *,
    shop_id_hash: str,
    purpose: str,
    name: str = "",
    repo_peer_id: str = "",
    pake: bytes = b"",
    version: int = PROTOCOL_VERSION,
) -> dict[str, Any]:
    """The dialler's hello for the till whose TLS fingerprint is ``server_till_id``,
    signed for the session whose challenge is ``challenge``."""
    fields: dict[str, Any] = {
        "type": "hello",
        "version": version,
        "till": identity.till_id,
        "shop": shop_id_hash,
        "purpose": purpose,
        "name": name,
        "peer": repo_peer_id,
        "cert": base64.b64encode(certificate_der(identity)).decode(),
    }
    if pake:
        fields["pake"] = base64.b64encode(pake).decode()
    signature = sign(identity, hello_signed_bytes(fields, server_till_id, challenge))
    return {**fields, "sig": base64.b64encode(signature).decode()}


async def dial(
    host: str,
    port: int,
    *,
    identity: TillIdentity,
    shop_id_hash: str,
    purpose: Purpose,
    name: str = "",
    repo_peer_id: str = "",
    expected_till_id: TillId | None = None,
    limits: LinkLimits | None = None,
    pake: bytes | Callable[[str], bytes] = b"",
    local_host: str | None = None,
    connect_timeout: float | None = None,
) -> tuple[TlsLink, ServerReply]:
    """Client side: open TLS to ``host:port``, check the server's fingerprint, answer its
    challenge with our hello.

    Returns the link and the server's first reply (``welcome`` for sync, ``join-pending``
    for join; ``ServerReply.body["challenge"]`` holds the session's challenge as bytes).
    Raises :class:`PeerRejected` when refused, other :class:`LinkError`s when the peer
    is unreachable, silent or broken. ``local_host`` binds the source address;
    ``pake`` (join only) is the pairing message, or makes it from the listener's id.
    ``connect_timeout`` bounds TCP + TLS (default ``handshake_timeout``): short for a
    member that was just linked, so a SYN lost in a partition is retried, not waited on.
    """
    limits = limits or LinkLimits()
    address = f"{host}:{port}"
    try:
        reader, writer = await asyncio.wait_for(
            asyncio.open_connection(
                host, port, ssl=client_ssl_context(), server_hostname="countertop-till",
                ssl_handshake_timeout=limits.handshake_timeout,
                local_addr=(local_host, 0) if local_host else None,
            ),
            connect_timeout or limits.handshake_timeout,
        )
    except TimeoutError as exc:
        raise LinkTimedOut(f"{address}: TLS handshake timed out") from exc
    except (OSError, ssl.SSLError) as exc:
        raise LinkClosed(f"{address}: {exc}") from exc
    link = TlsLink(reader, writer, limits=limits, peer_address=address, dialed_by_us=True)
    cert_der = _peer_cert_der(writer)
    if cert_der is None:
        await link.close()
        raise LinkProtocolError(f"{address} presented no certificate")
    server_id = fingerprint_der(cert_der)
    link.peer_till_id = server_id
    link.purpose = purpose
    if expected_till_id is not None and server_id != expected_till_id:
        await link.close()
        raise PeerRejected(
            f"{address} is till {server_id[:12]}, expected {expected_till_id[:12]}",
            peer_till_id=server_id,
        )
    try:
        challenge = await read_challenge(link)
        await link.write_control(
            hello_message(identity, server_id, challenge, shop_id_hash=shop_id_hash,
                          purpose=purpose, name=name, repo_peer_id=repo_peer_id,
                          pake=pake(server_id) if callable(pake) else pake)
        )
        reply = await link.read_control()
    except BaseException:  # cancelled or failed mid-hello: never leave the socket open
        await link.close()
        raise
    kind = str(reply.get("type"))
    if kind == "refused":
        reason = str(reply.get("reason", "no reason given"))[:300]
        log.warning("%s (%s) refused us: %s", address, server_id[:12], reason)
        await link.close()
        raise PeerRejected(reason, peer_till_id=server_id)
    if reply.get("version") != PROTOCOL_VERSION:
        await link.close()
        raise PeerRejected(
            f"{address} speaks protocol version {reply.get('version')!r}", peer_till_id=server_id
        )
    if kind == "welcome":
        if reply.get("till") != server_id or (purpose == "sync" and reply.get("shop") != shop_id_hash):
            await link.close()
            raise PeerRejected(f"{address} welcome does not match its certificate or shop",
                               peer_till_id=server_id)
        link.peer_repo_id = str(reply.get("peer", ""))[:200]
    return link, ServerReply(kind, server_id, {**reply, "challenge": challenge})


async def accept_tls(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limits: LinkLimits,
    context: ssl.SSLContext,
) -> TlsLink:
    """Server side: run TLS over a freshly accepted TCP stream, bounded by
    ``limits.hello_timeout`` (a silent or stalling client is dropped fast)."""
    peer = writer.get_extra_info("peername")
    address = f"{peer[0]}:{peer[1]}" if isinstance(peer, tuple) else str(peer)
    try:
        async with asyncio.timeout(limits.hello_timeout):
            await writer.start_tls(context, ssl_handshake_timeout=limits.hello_timeout)
    except TimeoutError:
        writer.transport.abort()
        raise LinkTimedOut(f"{address}: no TLS handshake within "
                           f"{limits.hello_timeout:.1f} s") from None
    except (OSError, ssl.SSLError, RuntimeError) as exc:
        writer.transport.abort()
        raise LinkClosed(f"{address}: TLS handshake failed: {exc}") from None
    return TlsLink(reader, writer, limits=limits, peer_address=address, dialed_by_us=False)

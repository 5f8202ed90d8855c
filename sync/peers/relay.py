"""Sync through a standard automerge-repo sync server (``countertop engine --relay wss://HOST``).

A relay is an ordinary automerge-repo websocket server: one CBOR wire message per binary
websocket message, exactly what the ``Repo`` speaks, so the transport here only moves bytes.
It uses the maintained ``websockets.asyncio`` client (the transport bundled with automerge
imports the deprecated legacy API) and maps its failures onto our :class:`LinkError` types.

What a relay is trusted with (issue 15, point 9):

* **it reads what it stores.** A standard sync server holds the documents in the clear
  (it must, to sync them): run the shop's relay where the shop would keep its data.
* **it cannot write for the tills.** Every change that comes through it is checked like
  any other (``sync.authority``): unsealed, or sealed by no member, it is refused.
* **only the operator's clients reach it.** Only ``wss://`` is accepted, and the till
  sends ``Authorization: Bearer TOKEN`` at the upgrade (``--relay-token``), which the
  operator checks in a reverse proxy in front of the sync server (or a server that
  supports it); ``--relay-ca`` names the CA of a private relay certificate.
* documents go by their relay ids there (``am_doc.relay_doc_id``): ids from before issue
  15 are not UUIDs, which automerge-repo 1.x refuses.
"""

from __future__ import annotations

import asyncio
import logging
import ssl
import time
from collections.abc import Callable
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI

from sync.peers.dial_targets import Backoff
from sync.peers.sync_repo import SyncRepo
from sync.peers.tls_link import (
    LinkClosed,
    LinkError,
    LinkLimits,
    LinkProtocolError,
    LinkTimedOut,
    PeerRejected,
)

log = logging.getLogger("countertop.sync.peers.relay")


class RelayTransport:
    """samod ``Transport`` over a websocket to a relay, with byte counters for status/bench."""

    #: tells the replicator this is a sync server: documents go by their relay ids
    relay = True

    def __init__(self, url: str, websocket: ClientConnection) -> None:
        self.url = url
        self._ws = websocket
        self.bytes_sent = 0
        self.bytes_received = 0
        self.last_message_at: float | None = None
        self.closed = False

    @classmethod
    async def open(cls, url: str, limits: LinkLimits | None = None, *, token: str = "",
                   ca_file: str | None = None) -> RelayTransport:
        """Connect to the relay at ``url`` (``wss://`` only), presenting ``token``;
        raises a :class:`LinkError` when it cannot."""
        limits = limits or LinkLimits()
        if not url.startswith("wss://"):
            raise LinkProtocolError(f"relay {url}: only wss:// relays are used (a relay holds "
                                    "the shop's data; ws:// would send it in the clear)")
        context = ssl.create_default_context(cafile=ca_file)
        headers = {"Authorization": f"Bearer {token}"} if token else None
        try:
            websocket = await connect(
                url,
                ssl=context,
                additional_headers=headers,
                max_size=limits.max_frame_bytes,
                open_timeout=limits.handshake_timeout,
                ping_interval=limits.keepalive_interval,
                ping_timeout=limits.idle_timeout,
                close_timeout=limits.close_timeout,
            )
        except TimeoutError as exc:
            raise LinkTimedOut(f"relay {url}: handshake timed out") from exc
        except InvalidStatus as exc:
            code = exc.response.status_code
            why = "the relay refused our token" if code in (401, 403) else f"HTTP {code}"
            raise PeerRejected(f"relay {url}: {why}") from exc
        except (OSError, InvalidHandshake, InvalidURI) as exc:
            raise LinkClosed(f"relay {url}: {exc}") from exc
        return cls(url, websocket)

    async def send(self, msg: bytes) -> None:
        try:
            await self._ws.send(bytes(msg))
        except ConnectionClosed as exc:
            raise LinkClosed(f"relay {self.url} closed: {exc}") from exc
        self.bytes_sent += len(msg)

    async def recv(self) -> bytes:
        try:
            msg = await self._ws.recv()
        except ConnectionClosed as exc:
            self.closed = True
            raise LinkClosed(f"relay {self.url} closed: {exc}") from exc
        if isinstance(msg, str):
            log.warning("relay %s sent a text frame; closing", self.url)
            await self.close()
            raise LinkProtocolError("relay sent a text frame")
        self.bytes_received += len(msg)
        self.last_message_at = time.time()
        return msg

    async def close(self) -> None:
        self.closed = True
        await self._ws.close()


#: a relay linked this long that synced no document is shown as a fault
RELAY_SILENT_FAULT = 10.0


@dataclass
class _Relay:
    url: str
    state: str = "idle"
    last_error: str = ""
    transport: RelayTransport | None = None
    task: asyncio.Task[None] | None = None
    connected_at: float = 0.0

    def health(self, synced: int | None) -> tuple[str, str]:
        """(state, error) for status: connected only once the relay synced a document."""
        if self.state != "connected" or synced is None or synced > 0:
            return self.state, self.last_error
        if time.monotonic() - self.connected_at < RELAY_SILENT_FAULT:
            return "connecting", self.last_error
        return "fault", ("the relay accepted the link but synced no document (a sync "
                         "server that refuses these document ids, or the wrong server?)")


async def run_relay(relay: _Relay, repo: SyncRepo, *, limits: LinkLimits, backoff: Backoff,
                    token: str, ca_file: str | None, stopping: Callable[[], bool]) -> None:
    """Keep one relay linked (a ``PeerSet`` task): open, sync until it ends, back off."""
    attempts = 0
    while not stopping():
        relay.state = "connecting"
        try:
            transport = await RelayTransport.open(relay.url, limits, token=token,
                                                  ca_file=ca_file)
        except LinkError as exc:
            relay.state, relay.last_error = "backoff", str(exc)
            log.info("relay %s: %s", relay.url, exc)
            await asyncio.sleep(backoff.delay(attempts))
            attempts += 1
            continue
        relay.transport = transport
        relay.state = "connected"
        relay.connected_at = time.monotonic()
        relay.last_error = ""
        attempts = 0
        try:
            reason = await repo.connect(transport)
            log.info("relay %s link ended: %s", relay.url, reason)
        except LinkError as exc:
            log.info("relay %s link ended: %s", relay.url, exc)
        except Exception as exc:  # the sync engine gave up on the relay: retry later
            relay.last_error = str(exc)
            log.warning("sync with relay %s failed: %s", relay.url, exc, exc_info=True)
        finally:
            await transport.close()
        relay.state = "backoff"
        await asyncio.sleep(backoff.delay(attempts))
        attempts += 1

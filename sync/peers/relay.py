"""Sync through a standard automerge-repo sync server (``countertop engine --relay ws(s)://HOST``).

A relay is an ordinary JS automerge-repo websocket server: one CBOR wire message per binary
websocket message, exactly what the ``Repo`` speaks, so the transport here only moves bytes.
It uses the maintained ``websockets.asyncio`` client (the transport bundled with automerge
imports the deprecated legacy API) and maps its failures onto our :class:`LinkError` types.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidURI

from sync.peers.tls_link import LinkClosed, LinkLimits, LinkProtocolError, LinkTimedOut

log = logging.getLogger("countertop.sync.peers.relay")


class RelayTransport:
    """samod ``Transport`` over a websocket to a relay, with byte counters for status/bench."""

    def __init__(self, url: str, websocket: ClientConnection) -> None:
        self.url = url
        self._ws = websocket
        self.bytes_sent = 0
        self.bytes_received = 0
        self.last_message_at: float | None = None
        self.closed = False

    @classmethod
    async def open(cls, url: str, limits: LinkLimits | None = None) -> RelayTransport:
        """Connect to the relay at ``url``; raises a :class:`LinkError` when it cannot."""
        limits = limits or LinkLimits()
        try:
            websocket = await connect(
                url,
                max_size=limits.max_frame_bytes,
                open_timeout=limits.handshake_timeout,
                ping_interval=limits.keepalive_interval,
                ping_timeout=limits.idle_timeout,
                close_timeout=limits.close_timeout,
            )
        except TimeoutError as exc:
            raise LinkTimedOut(f"relay {url}: handshake timed out") from exc
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


@dataclass
class _Relay:
    url: str
    state: str = "idle"
    last_error: str = ""
    transport: RelayTransport | None = None
    task: asyncio.Task[None] | None = None

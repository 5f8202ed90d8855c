"""One acceptance suite for every samod ``Transport`` the peer layer provides.

The interface: ``send(bytes)``, ``recv() -> bytes``, ``close()``. What the Repo depends
on: messages arrive whole and in order both ways, large ones (1 MiB) too; and when the
other end goes away ``recv`` raises instead of hanging, so ``Repo.connect``/``accept``
return; ``close`` may be called twice.

Run against: automerge's own ``InMemoryTransport`` (the reference, exempt from the
close test: it has no other end to lose), ``TlsLink`` (our TLS framing between tills)
and ``RelayTransport`` (websocket to a relay). A new transport adds a pair factory to
``_factories`` and its name to ``KINDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import warnings
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from websockets.asyncio.server import ServerConnection, serve
from websockets.exceptions import ConnectionClosed

from sync.identity import TillIdentity, load_or_create
from sync.peers.relay import RelayTransport
from sync.peers.tls_link import (
    TlsLink,
    accept_tls,
    dial,
    new_challenge,
    read_client_hello,
    send_challenge,
    send_welcome,
    server_ssl_context,
)
from tests.sync.peers.conftest import FAST_LIMITS, run
from tests.sync.peers.relay_proxy import loopback_certificate

with warnings.catch_warnings():
    # automerge.transports also imports its websocket transport, built on websockets'
    # deprecated legacy API; we only want the in-memory reference transport here.
    warnings.simplefilter("ignore", DeprecationWarning)
    from automerge.transports import InMemoryTransport

PairFactory = Callable[[], contextlib.AbstractAsyncContextManager[tuple[Any, Any]]]


@pytest.fixture
def make_identity(tmp_path: Path) -> Callable[[str], TillIdentity]:
    """On-disk till identities (key pair and certificate), one directory per name."""

    def make(name: str) -> TillIdentity:
        return load_or_create(tmp_path / name)

    return make


class _ServerSideWebsocket:
    """The relay's end of a websocket, as a Transport (what a sync server does)."""

    def __init__(self, ws: ServerConnection) -> None:
        self.ws = ws

    async def send(self, msg: bytes) -> None:
        await self.ws.send(msg)

    async def recv(self) -> bytes:
        try:
            data = await self.ws.recv()
        except ConnectionClosed as exc:
            raise ConnectionError("closed") from exc
        assert isinstance(data, bytes)
        return data

    async def close(self) -> None:
        await self.ws.close()


def _factories(make_identity: Callable[[str], TillIdentity]) -> dict[str, PairFactory]:
    @contextlib.asynccontextmanager
    async def in_memory() -> AsyncIterator[tuple[Any, Any]]:
        yield InMemoryTransport.create_pair()

    @contextlib.asynccontextmanager
    async def tls() -> AsyncIterator[tuple[Any, Any]]:
        a, b = make_identity("a"), make_identity("b")
        accepted: asyncio.Future[TlsLink] = asyncio.get_running_loop().create_future()

        async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            link = await accept_tls(reader, writer, FAST_LIMITS, server_ssl_context(a))
            challenge = new_challenge()
            await send_challenge(link, challenge)
            await read_client_hello(link, a, "shop", challenge)
            await send_welcome(link, a, "shop", "")
            accepted.set_result(link)
            await link.wait_closed()

        server = await asyncio.start_server(on_client, "127.0.0.1", 0)
        port = server.sockets[0].getsockname()[1]
        client, _ = await dial("127.0.0.1", port, identity=b, shop_id_hash="shop",
                               purpose="sync", limits=FAST_LIMITS)
        server_link = await accepted
        try:
            yield client, server_link
        finally:
            await client.close()
            await server_link.close()
            server.close()
            await server.wait_closed()

    @contextlib.asynccontextmanager
    async def relay() -> AsyncIterator[tuple[Any, Any]]:
        accepted: asyncio.Future[_ServerSideWebsocket] = (
            asyncio.get_running_loop().create_future())

        async def handler(ws: ServerConnection) -> None:
            accepted.set_result(_ServerSideWebsocket(ws))
            await ws.wait_closed()

        cert, key = loopback_certificate(make_identity("relay").cert_path.parent / "tls")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        async with serve(handler, "127.0.0.1", 0, max_size=None, ssl=context) as server:
            port = next(iter(server.sockets)).getsockname()[1]
            client = await RelayTransport.open(f"wss://127.0.0.1:{port}", FAST_LIMITS,
                                               token="t", ca_file=str(cert))
            other = await accepted
            try:
                yield client, other
            finally:
                await client.close()

    return {"in-memory (reference)": in_memory, "tls-link": tls, "relay-websocket": relay}


KINDS = ["in-memory (reference)", "tls-link", "relay-websocket"]


@pytest.mark.parametrize("kind", KINDS)
def test_messages_arrive_whole_and_in_order_both_ways(
    kind: str, make_identity: Callable[[str], TillIdentity]
) -> None:
    async def scenario() -> None:
        async with _factories(make_identity)[kind]() as (left, right):
            messages = [bytes([i % 256]) * (1 + i * 37) for i in range(50)]
            messages.append(bytes(range(256)) * 4096)  # 1 MiB
            sender = asyncio.create_task(_send_all(left, messages))
            received = [await right.recv() for _ in messages]
            await sender
            assert received == messages
            await right.send(b"back")
            assert await left.recv() == b"back"

    run(scenario())


async def _send_all(transport: Any, messages: list[bytes]) -> None:
    for msg in messages:
        await transport.send(msg)


@pytest.mark.parametrize("kind", [k for k in KINDS if k != "in-memory (reference)"])
def test_recv_raises_when_the_other_end_closes(
    kind: str, make_identity: Callable[[str], TillIdentity]
) -> None:
    # InMemoryTransport is exempt: it has no notion of the other end going away.
    async def scenario() -> None:
        async with _factories(make_identity)[kind]() as (left, right):
            await left.send(b"last words")
            await left.close()
            await left.close()  # idempotent
            assert await right.recv() == b"last words"
            with pytest.raises(Exception):
                await right.recv()

    run(scenario())

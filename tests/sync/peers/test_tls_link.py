"""Hostile and broken peers against a real listening PeerSet on 127.0.0.1.

Each attack must end with the attacker's connection closed, a logged reason, no document
bytes sent to it, and the listener still serving a good member afterwards.
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import ssl
import struct
from collections.abc import Awaitable, Callable
from typing import Any

import pytest

from sync.identity import TillIdentity, fingerprint_der
from sync.peers.tls_link import (
    KIND_HELLO,
    KIND_KEEPALIVE,
    KIND_MESSAGE,
    PeerRejected,
    client_ssl_context,
    dial,
    hello_message,
)
from tests.sync.peers.conftest import (
    FAST_LIMITS,
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)

HEADER = struct.Struct("!IB")


def frame(kind: int, payload: bytes) -> bytes:
    return HEADER.pack(len(payload), kind) + payload


def control(message: dict[str, Any]) -> bytes:
    return frame(KIND_HELLO, json.dumps(message).encode())


raw_control = control


async def read_control_frame(reader: asyncio.StreamReader) -> dict[str, Any]:
    length, kind = HEADER.unpack(await asyncio.wait_for(reader.readexactly(HEADER.size), 5))
    assert kind == KIND_HELLO
    message: dict[str, Any] = json.loads(await reader.readexactly(length))
    return message


async def read_all_frames(reader: asyncio.StreamReader, timeout: float = 5.0) -> list[tuple[int, bytes]]:
    """Every frame until the server hangs up (raises TimeoutError if it never does)."""
    data = await asyncio.wait_for(reader.read(), timeout)
    frames = []
    while data:
        length, kind = HEADER.unpack(data[: HEADER.size])
        frames.append((kind, data[HEADER.size : HEADER.size + length]))
        data = data[HEADER.size + length :]
    return frames


async def open_tls(port: int, host: str = "127.0.0.1", local: str | None = None,
                   ) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, str, bytes]:
    """TLS to the listener, and the session's challenge it sends first."""
    reader, writer = await asyncio.open_connection(
        host, port, ssl=client_ssl_context(), local_addr=(local, 0) if local else None)
    der = writer.get_extra_info("ssl_object").getpeercert(binary_form=True)
    challenge = await read_control_frame(reader)
    assert challenge["type"] == "challenge"
    return reader, writer, fingerprint_der(der), base64.b64decode(challenge["nonce"])


class Shop:
    """Till A (listening, holds a document) and the identities the attacks use."""

    def __init__(self, make_identity: Callable[[str], TillIdentity]) -> None:
        self.a = make_identity("a")
        self.b = make_identity("b")
        self.member = make_identity("m")
        self.stranger = make_identity("x")
        ids = {self.a.till_id, self.b.till_id, self.member.till_id}
        self.members_a = ShopMembers("shop", ids)
        self.members_b = ShopMembers("shop", ids)


async def with_listening_a(
    shop: Shop, attack: Callable[[int, Any], Awaitable[None]]
) -> None:
    """Run ``attack`` against A, then prove a good member (B) still syncs A's document."""
    bus = ChangeBus()
    async with running_repo(bus) as (repo_a, _), running_repo(bus) as (repo_b, store_b):
        handle = await repo_a.create()
        with handle.change() as doc:
            doc["secret"] = "shop data"
        async with running_peer_set(repo_a, shop.a, shop.members_a) as peers_a:
            await attack(peers_a.port, repo_a)
            async with running_peer_set(
                repo_b, shop.b, shop.members_b, static_peers=[f"127.0.0.1:{peers_a.port}"]
            ) as peers_b:
                await peers_b.wait_linked({shop.a.till_id}, 10)
                doc_id = str(handle.document_id)
                await bus.wait_for(lambda: store_b.has_doc(doc_id))
                handle_b = await repo_b.find(str(handle.url))
                assert handle_b is not None
                await bus.wait_for(lambda: doc_value(handle_b, "secret") == "shop data")


def test_non_member_is_refused_and_gets_no_document_bytes(
    make_identity: Callable[[str], TillIdentity], caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        reader, writer, server_id, challenge = await open_tls(port)
        writer.write(control(hello_message(
            shop.stranger, server_id, challenge, shop_id_hash=shop.members_a.shop_id_hash(),
            purpose="sync")))
        frames = await read_all_frames(reader)
        assert [kind for kind, _ in frames] == [KIND_HELLO]
        reply = json.loads(frames[0][1])
        assert reply["type"] == "refused" and "not a member" in reply["reason"]
        assert repo_a._hub.connections() == []  # never handed to the Repo
        writer.close()

    with caplog.at_level(logging.WARNING, logger="countertop.sync.peers"):
        run(with_listening_a(shop, attack))
    assert any("not a member" in r.getMessage() and shop.stranger.till_id[:12] in r.getMessage()
               for r in caplog.records)


def test_non_member_dialling_gets_peer_rejected(make_identity: Callable[[str], TillIdentity]) -> None:
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        with pytest.raises(PeerRejected, match="not a member"):
            await dial("127.0.0.1", port, identity=shop.stranger,
                       shop_id_hash=shop.members_a.shop_id_hash(), purpose="sync",
                       limits=FAST_LIMITS)

    run(with_listening_a(shop, attack))


def test_wrong_protocol_version_is_refused_with_reason(
    make_identity: Callable[[str], TillIdentity], caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        reader, writer, server_id, challenge = await open_tls(port)
        writer.write(control(hello_message(
            shop.member, server_id, challenge, shop_id_hash=shop.members_a.shop_id_hash(),
            purpose="sync", version=99)))
        frames = await read_all_frames(reader)
        reply = json.loads(frames[-1][1])
        assert reply["type"] == "refused" and "protocol version 99" in reply["reason"]
        assert all(kind == KIND_HELLO for kind, _ in frames)
        writer.close()

    with caplog.at_level(logging.WARNING):
        run(with_listening_a(shop, attack))
    assert any("protocol version 99" in r.getMessage() for r in caplog.records)


def test_dialler_refuses_a_server_that_is_not_the_expected_till(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        with pytest.raises(PeerRejected, match="expected"):
            await dial("127.0.0.1", port, identity=shop.member,
                       shop_id_hash=shop.members_a.shop_id_hash(), purpose="sync",
                       expected_till_id=shop.b.till_id, limits=FAST_LIMITS)

    run(with_listening_a(shop, attack))


async def _member_link(shop: Shop, port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """A verified member link, welcomed, ready for raw frames."""
    reader, writer, server_id, challenge = await open_tls(port)
    writer.write(control(hello_message(
        shop.member, server_id, challenge, shop_id_hash=shop.members_a.shop_id_hash(),
        purpose="sync")))
    length, kind = HEADER.unpack(await reader.readexactly(HEADER.size))
    welcome = json.loads(await reader.readexactly(length))
    assert kind == KIND_HELLO and welcome["type"] == "welcome"
    return reader, writer


async def _expect_hang_up(reader: asyncio.StreamReader) -> None:
    """The server must close on us: read until EOF, bounded."""
    async def drain() -> None:
        while await reader.read(65536):
            pass
    await asyncio.wait_for(drain(), 8)


ATTACKS: dict[str, tuple[str, Callable[[Shop, int], Awaitable[None]]]] = {}


def attack(name: str, logged: str) -> Callable[[Callable[[Shop, int], Awaitable[None]]], Any]:
    def register(fn: Callable[[Shop, int], Awaitable[None]]) -> Any:
        ATTACKS[name] = (logged, fn)
        return fn
    return register


@attack("oversized hello frame", "frame")
async def _oversized_hello(shop: Shop, port: int) -> None:
    reader, writer, _, _ = await open_tls(port)
    writer.write(HEADER.pack(1 << 30, KIND_HELLO))
    await _expect_hang_up(reader)


@attack("oversized message frame after welcome", "frame")
async def _oversized_message(shop: Shop, port: int) -> None:
    reader, writer = await _member_link(shop, port)
    writer.write(HEADER.pack(FAST_LIMITS.max_frame_bytes + 1, KIND_MESSAGE))
    await _expect_hang_up(reader)


@attack("truncated frame then close", "mid-frame")
async def _truncated(shop: Shop, port: int) -> None:
    _reader, writer, _, _ = await open_tls(port)
    writer.write(HEADER.pack(500, KIND_HELLO) + b'{"type": "hel')
    await writer.drain()
    writer.close()


@attack("garbage instead of frames", "handshake")
async def _garbage(shop: Shop, port: int) -> None:
    reader, writer, _, _ = await open_tls(port)
    writer.write(b"GET / HTTP/1.1\r\nHost: till\r\n\r\n" + bytes(range(256)))
    await _expect_hang_up(reader)


@attack("garbage JSON hello", "JSON")
async def _garbage_json(shop: Shop, port: int) -> None:
    reader, writer, _, _ = await open_tls(port)
    writer.write(frame(KIND_HELLO, b"\xff\xfe not json"))
    await _expect_hang_up(reader)


@attack("forged hello signed by another key", "signature")
async def _forged(shop: Shop, port: int) -> None:
    reader, writer, server_id, challenge = await open_tls(port)
    real = hello_message(shop.member, server_id, challenge,
                         shop_id_hash=shop.members_a.shop_id_hash(), purpose="sync")
    forged = hello_message(shop.stranger, server_id, challenge,
                           shop_id_hash=shop.members_a.shop_id_hash(), purpose="sync")
    real["sig"] = forged["sig"]  # claims the member's certificate, cannot sign for it
    writer.write(control(real))
    frames = await read_all_frames(reader)
    assert json.loads(frames[-1][1])["type"] == "refused"


@attack("garbage automerge message from a member", "WeDisconnected")
async def _garbage_message(shop: Shop, port: int) -> None:
    reader, writer = await _member_link(shop, port)
    writer.write(frame(KIND_MESSAGE, b"\xa1\x64type\x64join" + bytes(range(40))))
    writer.write(frame(KIND_MESSAGE, bytes(range(200))))
    await _expect_hang_up(reader)  # samod drops a connection that speaks garbage


@attack("member silent after welcome", "silent")
async def _silent_member(shop: Shop, port: int) -> None:
    reader, _writer = await _member_link(shop, port)
    # A real peer's keepalives keep the link up; one sending nothing is dropped.
    await _expect_hang_up(reader)


@attack("silent after TCP connect", "")
async def _silent_tcp(shop: Shop, port: int) -> None:
    reader, _writer = await asyncio.open_connection("127.0.0.1", port)
    await _expect_hang_up(reader)  # the TLS handshake timeout closes it


@attack("stops in the middle of the TLS handshake", "")
async def _mid_tls(shop: Shop, port: int) -> None:
    _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40)
    await writer.drain()
    writer.close()


@attack("silent after TLS", "silent")
async def _silent_tls(shop: Shop, port: int) -> None:
    reader, _writer, _, _ = await open_tls(port)
    await _expect_hang_up(reader)


@pytest.mark.parametrize("name", list(ATTACKS))
def test_hostile_peer_is_cut_off_and_listener_keeps_serving(
    name: str, make_identity: Callable[[str], TillIdentity], caplog: pytest.LogCaptureFixture
) -> None:
    shop = Shop(make_identity)
    logged, fn = ATTACKS[name]

    async def attack_then_wait(port: int, repo_a: Any) -> None:
        await fn(shop, port)

    with caplog.at_level(logging.INFO):
        run(with_listening_a(shop, attack_then_wait))
    if logged:
        assert any(logged in r.getMessage() for r in caplog.records
                   if r.name.startswith("countertop")), [r.getMessage() for r in caplog.records]


def test_flood_peers_do_not_starve_a_good_peer(make_identity: Callable[[str], TillIdentity]) -> None:
    shop = Shop(make_identity)

    async def flood(port: int, repo_a: Any) -> None:
        stop = asyncio.Event()

        async def keepalive_flood() -> None:
            _reader, writer = await _member_link(shop, port)
            burst = frame(KIND_KEEPALIVE, b"") * 2000
            try:
                while not stop.is_set():
                    writer.write(burst)
                    await writer.drain()
            except (ConnectionError, ssl.SSLError):
                pass
            writer.close()

        async def garbage_flood() -> None:
            try:
                _reader, writer, _, _ = await open_tls(port)
                writer.write(HEADER.pack(60000, KIND_HELLO) + b"x" * 1000)
                await writer.drain()
                await stop.wait()
                writer.close()
            except (ConnectionError, ssl.SSLError):
                pass

        tasks = [asyncio.create_task(keepalive_flood())]
        tasks += [asyncio.create_task(garbage_flood()) for _ in range(20)]
        await asyncio.sleep(0)  # let the floods start before the good peer arrives
        flood.stop = stop  # type: ignore[attr-defined]
        flood.tasks = tasks  # type: ignore[attr-defined]

    async def scenario() -> None:
        try:
            await with_listening_a(shop, flood)
        finally:
            flood.stop.set()  # type: ignore[attr-defined]
            await asyncio.gather(*flood.tasks, return_exceptions=True)  # type: ignore[attr-defined]

    run(scenario())


def test_a_captured_hello_is_worthless_in_another_session(
    make_identity: Callable[[str], TillIdentity], caplog: pytest.LogCaptureFixture
) -> None:
    """Issue 15, point 2: a hello is signed for one session's challenge. Replayed in the
    next session (a fresh challenge) it is refused, and nothing of the shop is sent."""
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        reader, writer, server_id, challenge = await open_tls(port)
        captured = control(hello_message(
            shop.member, server_id, challenge, shop_id_hash=shop.members_a.shop_id_hash(),
            purpose="sync"))
        writer.write(captured)
        assert (await read_control_frame(reader))["type"] == "welcome"  # genuine here
        writer.close()
        for _ in range(3):  # the same bytes, in new sessions
            reader, writer, _, fresh = await open_tls(port)
            assert fresh != challenge
            writer.write(captured)
            frames = await read_all_frames(reader)
            assert [kind for kind, _ in frames] == [KIND_HELLO]
            reply = json.loads(frames[0][1])
            assert reply["type"] == "refused" and "signature" in reply["reason"]
            writer.close()

    with caplog.at_level(logging.WARNING):
        run(with_listening_a(shop, attack))
    assert any("replayed" in r.getMessage() for r in caplog.records)


def test_a_till_of_the_old_protocol_is_told_to_update(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    shop = Shop(make_identity)

    async def attack(port: int, repo_a: Any) -> None:
        reader, writer, server_id, _challenge = await open_tls(port)
        writer.write(control(hello_message(
            shop.member, server_id, b"", shop_id_hash=shop.members_a.shop_id_hash(),
            purpose="sync", version=1)))
        reply = json.loads((await read_all_frames(reader))[-1][1])
        assert reply["type"] == "refused" and "update the older till" in reply["reason"]

    run(with_listening_a(shop, attack))

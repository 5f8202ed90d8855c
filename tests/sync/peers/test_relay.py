"""Relays: standard automerge-repo sync servers, behind TLS and a token (issue 15, point 9).

Two servers, as published: ``@automerge/automerge-repo-sync-server`` 0.2.8 (the only
published build; automerge-repo 1.2.1) and a JS automerge-repo 2.5.6 server
(tests/sync/js/peer.mjs). Each runs on 127.0.0.1 behind :class:`TokenProxy` (wss://,
bearer token), as a shop's operator would run them.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest
from automerge.core import ROOT, ScalarType
from websockets.asyncio.server import ServerConnection, serve

from sync.am_doc import _base58, new_doc_id
from sync.doc_storage import DocumentStore
from sync.identity import TillIdentity
from sync.ids import DocId
from sync.peers import relay as relay_module
from sync.peers.relay import RelayTransport
from sync.replication import Replicator
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)
from tests.sync.peers.js_peer import SYNC_SERVER_1X, JsPeer, js_unavailable_reason
from tests.sync.peers.relay_proxy import TokenProxy

TOKEN = "operator-issued-token"


@pytest.fixture
def js_available() -> None:
    reason = js_unavailable_reason()
    if reason:
        pytest.skip(reason)


@contextlib.asynccontextmanager
async def sync_server(kind: str, tmp_path: Path) -> AsyncIterator[tuple[JsPeer, TokenProxy]]:
    """A published sync server (``1.x`` or ``2.x``) behind a TLS + token proxy."""
    store = tmp_path / f"server-{kind}"
    store.mkdir(parents=True, exist_ok=True)
    if kind == "1.x":
        server = await JsPeer.start(script=SYNC_SERVER_1X,
                                    env={**os.environ, "DATA_DIR": str(store)})
    else:
        server = await JsPeer.start("--listen", "0", "--storage", str(store))
    proxy = await TokenProxy(f"ws://127.0.0.1:{server.port}", TOKEN, tmp_path / kind).start()
    try:
        yield server, proxy
    finally:
        await proxy.stop()
        await server.stop()


def _relay_row(peers: Any) -> dict[str, Any]:
    return next(r for r in peers.status() if r["kind"] == "relay")


def _relay_connected(peers: Any) -> bool:
    return _relay_row(peers)["state"] == "connected"


@pytest.mark.usefixtures("js_available")
def test_documents_cross_between_python_and_a_js_sync_server(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path
) -> None:
    till = make_identity("a")

    async def scenario() -> None:
        bus = ChangeBus()
        async with sync_server("2.x", tmp_path) as (server, proxy), running_repo(bus) as (
                repo, _store), running_peer_set(
                repo, till, ShopMembers("shop", {till.till_id}), relay_urls=[proxy.url],
                relay_token=TOKEN, relay_ca=str(proxy.ca_file)) as peers:
            await wait_until_async(lambda: _relay_connected(peers), 10, what="the relay link")
            handle = await repo.create()
            with handle.change() as doc:
                doc["from_python"] = "hello js"
                doc["count"] = 3
            got = await server.call("wait", url=str(handle.url), key="count", value=3)
            assert got["doc"] == {"from_python": "hello js", "count": 3}
            made = await server.call("create", doc={"from_js": "hello python", "n": 7})
            handle_js = await repo.find(made["url"])
            assert handle_js is not None
            await bus.wait_for(lambda: doc_value(handle_js, "n") == 7)
            row = _relay_row(peers)
            assert row["bytes_sent"] > 0 and row["bytes_received"] > 0

    run(scenario(), timeout=60)


@pytest.mark.usefixtures("js_available")
def test_plain_ws_and_a_wrong_token_are_refused(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path
) -> None:
    till = make_identity("a")

    async def scenario() -> None:
        bus = ChangeBus()
        async with sync_server("2.x", tmp_path) as (server, proxy), running_repo(bus) as (
                repo, _):
            members = ShopMembers("shop", {till.till_id})
            async with running_peer_set(repo, till, members,
                                        relay_urls=[f"ws://127.0.0.1:{server.port}"]) as peers:
                await wait_until_async(lambda: "wss://" in _relay_row(peers)["last_error"],
                                       10, what="ws:// to be refused")
            async with running_peer_set(repo, till, members, relay_urls=[proxy.url],
                                        relay_token="guessed", relay_ca=str(proxy.ca_file)
                                        ) as peers:
                await wait_until_async(lambda: "token" in _relay_row(peers)["last_error"],
                                       10, what="the wrong token to be refused")
                assert _relay_row(peers)["state"] != "connected"
            assert proxy.refused > 0

    run(scenario(), timeout=60)


def _legacy_doc_id() -> DocId:
    """An id as made before issue 15: 16 random bytes, not a UUID."""
    while True:
        raw = bytearray(os.urandom(16))
        if raw[6] >> 4 not in range(1, 9) or raw[8] >> 6 != 2:
            return DocId(_base58(bytes(raw)))


@pytest.mark.usefixtures("js_available")
@pytest.mark.parametrize("kind", ["1.x", "2.x"])
def test_old_and_new_document_ids_sync_through_either_server(kind: str, tmp_path: Path) -> None:
    """automerge-repo 1.x refused ids that are not UUIDs ("Invalid AutomergeUrl") and two
    tills behind it never converged; now each document goes by its relay id there."""

    async def scenario() -> None:
        async with sync_server(kind, tmp_path) as (_server, proxy):
            stores = [DocumentStore(tmp_path / name) for name in ("one", "two")]
            ids = [_legacy_doc_id(), new_doc_id()]
            for doc_id in ids:
                stored = stores[0].create(doc_id)
                with stored.doc.transaction() as tx:
                    tx.put(ROOT, "hello", ScalarType.Str, f"from {doc_id}")
                stored.persist()
            repls = [Replicator(stores[0], "one"), Replicator(stores[1], "two")]
            for doc_id in ids:
                repls[1].want(doc_id)
            import asyncio

            links = [await RelayTransport.open(proxy.url, token=TOKEN, ca_file=str(proxy.ca_file))
                     for _ in repls]
            tasks = [asyncio.create_task(r.connect(t)) for r, t in zip(repls, links, strict=True)]
            try:
                for doc_id in ids:
                    await wait_until_async(
                        lambda d=doc_id: stores[1].exists(d) and stores[1].get(d).doc.get(
                            ROOT, "hello") is not None, 20, what=f"{doc_id} on the second till")
                    assert stores[1].get(doc_id).doc.get_heads() == \
                        stores[0].get(doc_id).doc.get_heads()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)
                for link in links:
                    await link.close()

    run(scenario(), timeout=60)


def test_a_relay_that_syncs_nothing_is_a_fault_not_connected(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A server that takes the link and answers nothing (the wrong server, or one that
    refuses every document) used to show as "connected"."""
    monkeypatch.setattr(relay_module, "RELAY_SILENT_FAULT", 1.0)
    till = make_identity("a")

    async def mute(connection: ServerConnection) -> None:
        async for _message in connection:  # reads everything, says nothing
            pass

    async def scenario() -> None:
        bus = ChangeBus()
        async with serve(mute, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            proxy = await TokenProxy(f"ws://127.0.0.1:{port}", TOKEN, tmp_path).start()
            try:
                store = DocumentStore(tmp_path / "till")
                stored = store.create(new_doc_id())
                with stored.doc.transaction() as tx:
                    tx.put(ROOT, "x", ScalarType.Int, 1)
                repl = Replicator(store, till.till_id)
                async with running_repo(bus) as (_repo, _), running_peer_set(
                        repl, till, ShopMembers("s", {till.till_id}), relay_urls=[proxy.url],
                        relay_token=TOKEN, relay_ca=str(proxy.ca_file)) as peers:
                    await wait_until_async(lambda: _relay_row(peers)["state"] == "fault", 10,
                                           what="the silent relay to show as a fault")
                    assert "synced no document" in _relay_row(peers)["last_error"]
            finally:
                await proxy.stop()

    run(scenario(), timeout=60)

"""Interop with the real JS automerge-repo: a JS websocket sync server as Countertop's relay."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sync.identity import TillIdentity
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)
from tests.sync.peers.js_peer import JsPeer, js_unavailable_reason


@pytest.fixture
def js_available() -> None:
    reason = js_unavailable_reason()
    if reason:
        pytest.skip(reason)


def _relay_connected(peers: Any) -> bool:
    return any(r["kind"] == "relay" and r["state"] == "connected" for r in peers.status())


@pytest.mark.usefixtures("js_available")
def test_documents_cross_between_python_and_a_js_sync_server(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path
) -> None:
    till = make_identity("a")

    async def scenario() -> None:
        bus = ChangeBus()
        server = await JsPeer.start("--listen", "0", "--storage", str(tmp_path / "js-store"))
        try:
            async with running_repo(bus) as (repo, _store), running_peer_set(
                repo, till, ShopMembers("shop", {till.till_id}), relay_urls=[server.url]
            ) as peers:
                await wait_until_async(lambda: _relay_connected(peers), 10, what="the relay link")
                # Python -> JS
                handle = await repo.create()
                with handle.change() as doc:
                    doc["from_python"] = "hello js"
                    doc["count"] = 3
                got = await server.call("wait", url=str(handle.url), key="count", value=3)
                assert got["doc"] == {"from_python": "hello js", "count": 3}
                # JS -> Python
                made = await server.call("create", doc={"from_js": "hello python", "n": 7})
                url = made["url"]
                handle_js = await repo.find(url)
                assert handle_js is not None
                await bus.wait_for(lambda: doc_value(handle_js, "n") == 7)
                assert str(doc_value(handle_js, "from_js")) == "hello python"
                row = next(r for r in peers.status() if r["kind"] == "relay")
                assert row["bytes_sent"] > 0 and row["bytes_received"] > 0
        finally:
            await server.stop()

    run(scenario(), timeout=60)


@pytest.mark.usefixtures("js_available")
def test_two_tills_sync_through_the_relay_alone(
    make_identity: Callable[[str], TillIdentity], tmp_path: Path
) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")
    members = {a_id.till_id, b_id.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        server = await JsPeer.start("--listen", "0", "--storage", str(tmp_path / "js-store"))
        try:
            async with (
                running_repo(bus) as (repo_a, _),
                running_repo(bus) as (repo_b, _store_b),
                running_peer_set(repo_a, a_id, ShopMembers("s", members),
                                 relay_urls=[server.url]) as pa,
                running_peer_set(repo_b, b_id, ShopMembers("s", members),
                                 relay_urls=[server.url]) as pb,
            ):
                await wait_until_async(lambda: _relay_connected(pa) and _relay_connected(pb), 10,
                                       what="both relay links")
                handle_a = await repo_a.create()
                with handle_a.change() as doc:
                    doc["via"] = "relay"
                await server.call("wait", url=str(handle_a.url), key="via", value="relay")
                handle_b = await repo_b.find(str(handle_a.url))
                assert handle_b is not None
                await bus.wait_for(lambda: doc_value(handle_b, "via") == "relay")
                assert pa.linked_tills() == set() and pb.linked_tills() == set()
        finally:
            await server.stop()

    run(scenario(), timeout=60)

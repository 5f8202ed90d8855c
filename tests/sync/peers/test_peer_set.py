"""Real Repos syncing over real TLS sockets on 127.0.0.1 through PeerSets."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from sync.identity import TillIdentity
from tests.sync.peers.conftest import (
    ChangeBus,
    ShopMembers,
    doc_value,
    poll_until,
    run,
    running_peer_set,
    running_repo,
)


async def _find(repo: Any, storage: Any, bus: ChangeBus, url: str) -> Any:
    doc_id = url.removeprefix("automerge:")
    await bus.wait_for(lambda: storage.has_doc(doc_id))
    handle = await repo.find(url)
    assert handle is not None
    return handle


def test_two_tills_converge_both_ways(make_identity: Callable[[str], TillIdentity]) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")

    async def scenario() -> None:
        bus = ChangeBus()
        members = {a_id.till_id, b_id.till_id}
        async with running_repo(bus) as (repo_a, _), running_repo(bus) as (repo_b, store_b):
            handle_a = await repo_a.create()
            with handle_a.change() as doc:
                doc["greeting"] = "from a"
            async with running_peer_set(repo_a, a_id, ShopMembers("shop", members)) as peers_a:
                async with running_peer_set(
                    repo_b, b_id, ShopMembers("shop", members),
                    static_peers=[f"127.0.0.1:{peers_a.port}"],
                ) as peers_b:
                    await peers_b.wait_linked({a_id.till_id}, 10)
                    handle_b = await _find(repo_b, store_b, bus, str(handle_a.url))
                    await bus.wait_for(lambda: doc_value(handle_b, "greeting") == "from a")
                    with handle_b.change() as doc:
                        doc["reply"] = "from b"
                    await bus.wait_for(lambda: doc_value(handle_a, "reply") == "from b")
                    rows_b = peers_b.status()
                    row = next(r for r in rows_b if r["till_id"] == a_id.till_id)
                    assert row["state"] == "connected" and row["direction"] == "outgoing"
                    assert row["bytes_received"] > 0 and row["last_sync"] is not None
                    await poll_until(lambda: _in_sync(peers_b, a_id.till_id) == 1)
                    rows_a = peers_a.status()
                    assert [r["till_id"] for r in rows_a if r["state"] == "connected"] == [
                        b_id.till_id
                    ]

    run(scenario())


def _in_sync(peers: Any, till_id: str) -> Any:
    for row in peers.status():
        if row["till_id"] == till_id:
            return row["docs_in_sync"]
    return None

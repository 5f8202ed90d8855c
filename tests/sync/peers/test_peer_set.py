"""Real Repos syncing over real TLS sockets on 127.0.0.1 through PeerSets."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from automerge.repo import Repo

from sync.identity import TillIdentity
from sync.peers.peer_set import PeerSet
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    FAST_BACKOFF,
    FAST_LIMITS,
    ChangeBus,
    NotifyingStorage,
    ShopMembers,
    doc_value,
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
            async with (
                running_peer_set(repo_a, a_id, ShopMembers("shop", members)) as peers_a,
                running_peer_set(
                    repo_b, b_id, ShopMembers("shop", members),
                    static_peers=[f"127.0.0.1:{peers_a.port}"],
                ) as peers_b,
            ):
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
                    await wait_until_async(lambda: _in_sync(peers_b, a_id.till_id) == 1, 10,
                                           what="B to count A in sync")
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


def _row(peers: Any, till_id: str) -> dict[str, Any] | None:
    return next((r for r in peers.status() if r["till_id"] == till_id and r["kind"] == "till"),
                None)


def test_three_tills_in_a_chain_converge(make_identity: Callable[[str], TillIdentity]) -> None:
    ids = [make_identity(n) for n in "abc"]
    members = {i.till_id for i in ids}

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_a, _), running_repo(bus) as (
            repo_b, store_b), running_repo(bus) as (repo_c, store_c):
            handle_a = await repo_a.create()
            with handle_a.change() as doc:
                doc["a"] = 1
            async with running_peer_set(repo_a, ids[0], ShopMembers("s", members)) as pa, \
                    running_peer_set(repo_b, ids[1], ShopMembers("s", members),
                                     static_peers=[f"127.0.0.1:{pa.port}"]) as pb, \
                    running_peer_set(repo_c, ids[2], ShopMembers("s", members),
                                     static_peers=[f"127.0.0.1:{pb.port}"]) as pc:
                await pc.wait_linked({ids[1].till_id}, 10)
                await pb.wait_linked({ids[0].till_id, ids[2].till_id}, 10)
                handle_b = await _find(repo_b, store_b, bus, str(handle_a.url))
                handle_c = await _find(repo_c, store_c, bus, str(handle_a.url))
                for handle, key in ((handle_a, "a2"), (handle_b, "b"), (handle_c, "c")):
                    with handle.change() as doc:
                        doc[key] = key
                want = {"a": 1, "a2": "a2", "b": "b", "c": "c"}
                for handle in (handle_a, handle_b, handle_c):
                    await bus.wait_for(
                        lambda h=handle: all(doc_value(h, k) == v for k, v in want.items()))
                assert pa.linked_tills() == {ids[1].till_id}

    run(scenario())


def test_both_dialling_keep_one_link_dialled_by_the_lower_id(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")
    members = {a_id.till_id, b_id.till_id}
    lower = min(a_id.till_id, b_id.till_id)

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_a, _), running_repo(bus) as (repo_b, store_b):
            handle_a = await repo_a.create()
            with handle_a.change() as doc:
                doc["x"] = 1
            # B listens first so A can dial it; then B is told about A: both dial.
            async with (
                running_peer_set(repo_b, b_id, ShopMembers("s", members)) as pb,
                running_peer_set(repo_a, a_id, ShopMembers("s", members),
                                 static_peers=[f"127.0.0.1:{pb.port}"]) as pa,
            ):
                    pb.add_static_peer(f"127.0.0.1:{pa.port}")

                    def settled() -> bool:
                        ra, rb = _row(pa, b_id.till_id), _row(pb, a_id.till_id)
                        if ra is None or rb is None:
                            return False
                        a_dialled = ra["direction"] == "outgoing"
                        return (a_dialled == (rb["direction"] == "incoming")
                                and (a_id.till_id if a_dialled else b_id.till_id) == lower)

                    await wait_until_async(settled, 10, what="the link to settle")
                    handle_b = await _find(repo_b, store_b, bus, str(handle_a.url))
                    await bus.wait_for(lambda: doc_value(handle_b, "x") == 1)
                    assert sum(1 for r in pa.status() if r["state"] == "connected") == 1
                    assert sum(1 for r in pb.status() if r["state"] == "connected") == 1

    run(scenario())


def test_reconnects_after_the_other_till_restarts(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")
    members = {a_id.till_id, b_id.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_b, store_b):
            store_a = NotifyingStorage(bus)
            repo_a = await Repo.load(store_a)
            await repo_a.start()
            handle_a = await repo_a.create()
            with handle_a.change() as doc:
                doc["x"] = 1
            url = str(handle_a.url)
            peers_a = PeerSet(repo_a, a_id, ShopMembers("s", members), listen_host="127.0.0.1",
                              limits=FAST_LIMITS, backoff=FAST_BACKOFF)
            await peers_a.start()
            port = peers_a.port
            async with running_peer_set(repo_b, b_id, ShopMembers("s", members),
                                        static_peers=[f"127.0.0.1:{port}"]) as peers_b:
                await peers_b.wait_linked({a_id.till_id}, 10)
                handle_b = await _find(repo_b, store_b, bus, url)
                # Till A goes down entirely (peer set and repo), B keeps working offline.
                await peers_a.stop()
                await repo_a.stop()
                await wait_until_async(lambda: a_id.till_id not in peers_b.linked_tills(), 10,
                                       what="B to drop its link to A")
                with handle_b.change() as doc:
                    doc["while_a_was_down"] = "yes"
                # A comes back on the same port from the same storage.
                repo_a = await Repo.load(store_a)
                await repo_a.start()
                peers_a = PeerSet(repo_a, a_id, ShopMembers("s", members),
                                  listen_host="127.0.0.1", listen_port=port,
                                  limits=FAST_LIMITS, backoff=FAST_BACKOFF)
                await peers_a.start()
                try:
                    await peers_b.wait_linked({a_id.till_id}, 10)
                    handle_a = await repo_a.find(url)
                    assert handle_a is not None
                    await bus.wait_for(lambda: doc_value(handle_a, "while_a_was_down") == "yes")
                finally:
                    await peers_a.stop()
                    await repo_a.stop()

    run(scenario())


@pytest.mark.parametrize("notify", [True, False], ids=["engine-notifies", "periodic-check"])
def test_removed_till_is_dropped_and_refused(
    notify: bool, make_identity: Callable[[str], TillIdentity]
) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")

    async def scenario() -> None:
        bus = ChangeBus()
        members_a = ShopMembers("s", {a_id.till_id, b_id.till_id})
        async with (
            running_repo(bus) as (repo_a, _),
            running_repo(bus) as (repo_b, _),
            running_peer_set(repo_a, a_id, members_a) as pa,
            running_peer_set(repo_b, b_id, ShopMembers("s", {a_id.till_id, b_id.till_id}),
                             static_peers=[f"127.0.0.1:{pa.port}"]) as pb,
        ):
                await pb.wait_linked({a_id.till_id}, 10)
                members_a.members.discard(b_id.till_id)
                if notify:
                    pa.membership_changed()
                await wait_until_async(lambda: b_id.till_id not in pa.linked_tills(), 10,
                                       what="A to drop its link to B")
                await wait_until_async(lambda: any(
                    r["state"] == "refused" and "not a member" in r["last_error"]
                    for r in pb.status()), 10, what="B to be refused as not a member")
                assert pa.linked_tills() == set()

    run(scenario())

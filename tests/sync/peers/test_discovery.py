"""Real zeroconf bound to 127.0.0.1: two PeerSets find each other and sync, nobody else."""

from __future__ import annotations

import logging
from collections.abc import Callable

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


def test_tills_discover_each_other_on_loopback_and_sync(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a_id, b_id, other = make_identity("a"), make_identity("b"), make_identity("other-shop")
    members = {a_id.till_id, b_id.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with (
            running_repo(bus) as (repo_a, _),
            running_repo(bus) as (repo_b, store_b),
            running_repo(bus) as (repo_o, _),
        ):
            handle_a = await repo_a.create()
            with handle_a.change() as doc:
                doc["found"] = "by mdns"
            loopback = {"interfaces": ["127.0.0.1"]}
            async with (
                running_peer_set(repo_o, other, ShopMembers("other shop", {other.till_id}),
                                 **loopback) as po,
                running_peer_set(repo_a, a_id, ShopMembers("shop", members), **loopback) as pa,
                running_peer_set(repo_b, b_id, ShopMembers("shop", members), **loopback) as pb,
            ):
                await pb.wait_linked({a_id.till_id}, 15)
                await pa.wait_linked({b_id.till_id}, 15)
                doc_id = str(handle_a.document_id)
                await bus.wait_for(lambda: store_b.has_doc(doc_id))
                handle_b = await repo_b.find(str(handle_a.url))
                assert handle_b is not None
                await bus.wait_for(lambda: doc_value(handle_b, "found") == "by mdns")
                # The other shop's till was seen on the network but never dialled.
                discovery = pa._discovery
                assert discovery is not None
                await wait_until_async(lambda: other.till_id in discovery.seen, 10,
                                       what="A to discover the other shop's till")
                assert other.till_id not in pa.linked_tills()
                assert all(r["till_id"] != other.till_id for r in pa.status())
                assert po.linked_tills() == set()
                assert {r["kind"] for r in pb.status() if r["till_id"] == a_id.till_id} <= {
                    "till", "discovered"}

    run(scenario(), timeout=40)


def test_missing_interface_disables_discovery_but_static_peers_still_sync(
    make_identity: Callable[[str], TillIdentity], caplog: pytest.LogCaptureFixture
) -> None:
    a_id, b_id = make_identity("a"), make_identity("b")
    members = {a_id.till_id, b_id.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with (
            running_repo(bus) as (repo_a, _),
            running_repo(bus) as (repo_b, _),
            running_peer_set(repo_a, a_id, ShopMembers("shop", members)) as pa,
            # 192.0.2.1 is a documentation address no interface here has: binding fails
            # locally and nothing is sent.
            running_peer_set(repo_b, b_id, ShopMembers("shop", members),
                             interfaces=["192.0.2.1"],
                             static_peers=[f"127.0.0.1:{pa.port}"]) as pb,
        ):
            assert "192.0.2.1" in pb.discovery_error
            await pb.wait_linked({a_id.till_id}, 10)

    with caplog.at_level(logging.ERROR, logger="countertop.sync.peers"):
        run(scenario())
    assert any("discovery unavailable" in r.getMessage() for r in caplog.records)

"""Pairing codes and the join flow between a real sponsor PeerSet and a new till."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from sync.identity import TillIdentity
from sync.peers.pairing import UnknownPairingCode, pairing_code, request_join
from sync.peers.tls_link import PeerRejected
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    FAST_LIMITS,
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)


def test_pairing_code_is_the_same_on_both_sides_and_differs_per_pair() -> None:
    a, b, c = "ab" * 32, "cd" * 32, "ef" * 32
    assert pairing_code(a, b) == pairing_code(b, a)
    assert pairing_code(a, b.upper()) == pairing_code(a, b)
    assert len(pairing_code(a, b).replace(" ", "")) == 6
    assert pairing_code(a, b).replace(" ", "").isdigit()
    codes = {pairing_code(a, x * 32) for x in ("01", "02", "03", "04", "05", "06", "07")}
    assert len(codes) == 7
    assert pairing_code(a, c) != pairing_code(b, c)


def test_join_approved_then_new_till_syncs_the_shop_document(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _), running_repo(bus) as (repo_n, store_n):
            shop_doc = await repo_s.create()
            with shop_doc.change() as doc:
                doc["shop_name"] = "Corner Pizza"
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url=str(shop_doc.url))
            async with running_peer_set(repo_s, sponsor, members_s, name="Till 1") as ps:
                shown_on_new: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown_on_new.set_result, timeout=10, limits=FAST_LIMITS))
                request = await ps.join_desk.wait_for_request(5)
                code_new = await shown_on_new
                assert request.code == code_new
                assert request.till_id == newcomer.till_id and request.name == "Till 2"
                assert members_s.join_requests == [request]
                assert not members_s.is_member(newcomer.till_id)
                assert ps.pending_joins() == [request]
                ps.approve(code_new.replace(" ", ""))
                accepted = await joining
                assert accepted.shop_doc_url == str(shop_doc.url)
                assert accepted.shop_id_hash == members_s.shop_id_hash()
                assert accepted.sponsor_till_id == sponsor.till_id
                assert members_s.is_member(newcomer.till_id)
                assert ps.join_desk.pending() == []
                # The new till's engine now trusts its sponsor and syncs as a member.
                members_n = ShopMembers("shop", {sponsor.till_id, newcomer.till_id})
                async with running_peer_set(repo_n, newcomer, members_n,
                                            static_peers=[accepted.sponsor_address]) as pn:
                    await pn.wait_linked({sponsor.till_id}, 10)
                    doc_id = accepted.shop_doc_url.removeprefix("automerge:")
                    await bus.wait_for(lambda: store_n.has_doc(doc_id))
                    handle = await repo_n.find(accepted.shop_doc_url)
                    assert handle is not None
                    await bus.wait_for(lambda: doc_value(handle, "shop_name") == "Corner Pizza")

    run(scenario())


def test_join_declined_and_unknown_codes(make_identity: Callable[[str], TillIdentity]) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id}, shop_doc_url="automerge:x")
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=lambda code: None, timeout=10, limits=FAST_LIMITS))
                request = await ps.join_desk.wait_for_request(5)
                wrong = f"{(int(request.code.replace(' ', '')) + 1) % 1000000:06d}"
                with pytest.raises(UnknownPairingCode):
                    ps.join_desk.approve(wrong)
                ps.join_desk.decline(request.code)
                with pytest.raises(PeerRejected, match="declined"):
                    await joining
                assert not members_s.is_member(newcomer.till_id)
                assert members_s.admitted == []

    run(scenario())


def test_join_request_is_forgotten_when_the_new_till_hangs_up(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members_s = ShopMembers("shop", {sponsor.till_id})
            async with running_peer_set(repo_s, sponsor, members_s) as ps:
                shown: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                joining = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown.set_result, timeout=10, limits=FAST_LIMITS))
                request = await ps.join_desk.wait_for_request(5)
                await shown  # the new till waits for staff now; it gives up
                joining.cancel()
                await asyncio.gather(joining, return_exceptions=True)
                await wait_until_async(lambda: ps.join_desk.pending() == [], 10,
                                       what="the join desk to empty")
                with pytest.raises(UnknownPairingCode):
                    ps.join_desk.approve(request.code)

    run(scenario())

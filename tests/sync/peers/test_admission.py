"""Unauthenticated denial of service (issue 15, point 5) against a real listening PeerSet.

The review held all 32 handshake slots with 40 silent TLS connections and a member was
dropped; 8 throwaway join requests blocked a real join for 10 minutes. Attackers here
use their own loopback addresses (127.0.0.10 and up: the worst case, many addresses);
the member dials from 127.0.0.1, where it linked from before.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
from collections.abc import Callable
from typing import Any

from sync.identity import TillIdentity
from sync.peers.pairing import request_join
from sync.peers.tls_link import PeerRejected, client_ssl_context
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    FAST_LIMITS,
    ChangeBus,
    ShopMembers,
    run,
    running_peer_set,
    running_repo,
)


class SilentFlood:
    """Keeps ``count`` TLS connections open and silent, from ``hosts``, reopening each
    one the listener drops, until stopped."""

    def __init__(self, port: int, hosts: list[str], count: int) -> None:
        self.port = port
        self.hosts = hosts
        self.count = count
        self.open = 0
        self.opened = 0
        self.attempts = 0
        self._stop = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    async def _one(self, host: str) -> None:
        while not self._stop.is_set():
            writer = None
            self.attempts += 1
            try:
                reader, writer = await asyncio.open_connection(
                    "127.0.0.1", self.port, ssl=client_ssl_context(), local_addr=(host, 0))
                self.open += 1
                self.opened += 1
                try:  # silent: never a hello; wait until the listener hangs up
                    while await reader.read(4096):
                        pass
                finally:
                    self.open -= 1
            except (OSError, ssl.SSLError, asyncio.IncompleteReadError):
                await asyncio.sleep(0.05)
            finally:
                if writer is not None:
                    writer.transport.abort()

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._one(self.hosts[i % len(self.hosts)]))
                       for i in range(self.count)]

    async def stop(self) -> None:
        self._stop.set()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)


def test_forty_silent_tls_connections_do_not_keep_a_member_out(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a, b = make_identity("a"), make_identity("b")
    members = {a.till_id, b.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with (running_repo(bus) as (repo_a, _), running_repo(bus) as (repo_b, _),
                    running_peer_set(repo_a, a, ShopMembers("s", members)) as pa):
            target = [f"127.0.0.1:{pa.port}"]
            async with running_peer_set(repo_b, b, ShopMembers("s", members),
                                        static_peers=target) as pb:
                await pb.wait_linked({a.till_id}, 10)  # B is a known member now
            flood = SilentFlood(pa.port, [f"127.0.0.{10 + i}" for i in range(40)], 40)
            flood.start()
            try:
                await wait_until_async(lambda: pa.admission.in_progress() >= 32, 10,
                                       what="the flood to take every general slot")
                async with running_peer_set(repo_b, b, ShopMembers("s", members),
                                            static_peers=target) as pb:
                    await pb.wait_linked({a.till_id}, 10)
                    assert pa.admission.in_progress() >= 32  # the flood still holds
            finally:
                await flood.stop()
            assert pa.admission.refused > 0

    run(scenario(), timeout=60)


def test_forty_silent_connections_from_one_address_hold_eight_slots(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a, b = make_identity("a"), make_identity("b")
    members = {a.till_id, b.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with (running_repo(bus) as (repo_a, _), running_repo(bus) as (repo_b, _),
                    running_peer_set(repo_a, a, ShopMembers("s", members)) as pa):
            flood = SilentFlood(pa.port, ["127.0.0.9"], 40)
            flood.start()
            try:
                await wait_until_async(lambda: flood.attempts >= 80, 10,
                                       what="forty connections tried")
                assert pa.admission.in_progress() <= 8
                # a member never seen before still finds a general slot
                async with running_peer_set(repo_b, b, ShopMembers("s", members),
                                            static_peers=[f"127.0.0.1:{pa.port}"]) as pb:
                    await pb.wait_linked({a.till_id}, 10)
            finally:
                await flood.stop()

    run(scenario(), timeout=60)


def test_throwaway_join_requests_do_not_block_a_real_join(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    sponsor, newcomer = make_identity("sponsor"), make_identity("new")
    throwaway = [make_identity(f"junk{i}") for i in range(14)]

    async def scenario() -> None:
        bus = ChangeBus()
        async with running_repo(bus) as (repo_s, _):
            members = ShopMembers("s", {sponsor.till_id}, shop_doc_url="automerge:x")
            async with running_peer_set(repo_s, sponsor, members) as ps:
                junk: list[asyncio.Task[Any]] = []
                for i, identity in enumerate(throwaway[:8]):  # eight addresses
                    junk.append(asyncio.create_task(request_join(
                        "127.0.0.1", ps.port, identity=identity, name="Till 2",
                        local_host=f"127.0.0.{20 + i}", on_code=lambda c: None, timeout=60,
                        limits=FAST_LIMITS)))
                for identity in throwaway[8:]:  # and six from one address
                    junk.append(asyncio.create_task(request_join(
                        "127.0.0.1", ps.port, identity=identity, name="Till 2",
                        local_host="127.0.0.40", on_code=lambda c: None, timeout=60,
                        limits=FAST_LIMITS)))
                await wait_until_async(lambda: len(ps.pending_joins()) == 10, 15,
                                       what="eight plus two throwaway requests pending")
                await wait_until_async(lambda: sum(t.done() for t in junk) >= 4, 10,
                                       what="the requests over the per-address limit refused")
                refused = [t for t in junk if t.done()]
                assert len(refused) == 4  # one address holds two requests at most
                for task in refused:
                    assert isinstance(task.exception(), PeerRejected)
                shown: asyncio.Future[str] = asyncio.get_running_loop().create_future()
                real = asyncio.create_task(request_join(
                    "127.0.0.1", ps.port, identity=newcomer, name="Till 2",
                    on_code=shown.set_result, timeout=30, limits=FAST_LIMITS))
                code = await shown
                await ps.approve(code, till=newcomer.short_id)
                await real
                assert members.is_member(newcomer.till_id)
                assert [r.till_id for r in members.admitted] == [newcomer.till_id]
                for task in junk:
                    task.cancel()
                with contextlib.suppress(Exception):
                    await asyncio.gather(*junk, return_exceptions=True)

    run(scenario(), timeout=60)

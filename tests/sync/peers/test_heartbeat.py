"""Heartbeats and fast reconnect (issue 15, point 11) through a proxy that can go dark.

A link whose packets stop arriving used to be noticed only by TCP, seconds after the
network healed. Here the old connection never comes back at all (the proxy keeps it
open and drops its bytes forever) and the idle timeout is a minute, so only the
heartbeat-driven redial can bring the tills back together. Timing figures are in
``make bench`` (tests/bench/bench_heal.py), not asserted here.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

from sync.identity import TillIdentity
from sync.peers.tls_link import LinkLimits
from tests.helpers.waiting import wait_until_async
from tests.sync.peers.conftest import (
    ChangeBus,
    ShopMembers,
    doc_value,
    run,
    running_peer_set,
    running_repo,
)

LIMITS = LinkLimits(handshake_timeout=2.0, idle_timeout=60.0, keepalive_interval=0.5,
                    suspect_after=1.5, redial_timeout=0.5, send_timeout=60.0,
                    close_timeout=1.0)


class DarkProxy:
    """Forwards TCP to ``target``; ``go_dark()`` freezes every connection (bytes dropped,
    sockets kept open) and leaves new ones hanging; ``heal()`` forwards new ones again."""

    def __init__(self, target: int) -> None:
        self.target = target
        self.dark = False
        self.connections = 0
        self._frozen: list[asyncio.StreamWriter] = []
        self._server: asyncio.Server | None = None
        self._pumps: set[asyncio.Task[None]] = set()

    async def start(self) -> int:
        self._server = await asyncio.start_server(self._client, "127.0.0.1", 0)
        return int(self._server.sockets[0].getsockname()[1])

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        if self.dark:
            self._frozen.append(writer)
            with contextlib.suppress(ConnectionError):
                while await reader.read(65536):  # swallowed
                    pass
            return
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.target)
        born_dark = False

        async def pump(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            with contextlib.suppress(ConnectionError):
                while data := await src.read(65536):
                    if self.dark or born_dark:
                        continue  # the partition: bytes vanish, nobody is told
                    dst.write(data)
                    await dst.drain()

        tasks = [asyncio.create_task(pump(reader, up_writer)),
                 asyncio.create_task(pump(up_reader, writer))]
        self._pumps.update(tasks)
        await asyncio.gather(*tasks, return_exceptions=True)

    def go_dark(self) -> None:
        self.dark = True

    def heal(self) -> None:
        """New connections work again; the ones that went dark stay dark for good."""
        for task in self._pumps:
            task.cancel()
        self._pumps.clear()
        self.dark = False

    async def stop(self) -> None:
        for task in self._pumps:
            task.cancel()
        for writer in self._frozen:
            writer.transport.abort()
        if self._server is not None:
            self._server.close()


def test_a_link_that_goes_dark_is_replaced_by_a_fresh_one_after_the_network_heals(
    make_identity: Callable[[str], TillIdentity],
) -> None:
    a, b = make_identity("a"), make_identity("b")
    members = {a.till_id, b.till_id}

    async def scenario() -> None:
        bus = ChangeBus()
        async with (running_repo(bus) as (repo_a, _),
                    running_repo(bus) as (repo_b, store_b),
                    running_peer_set(repo_a, a, ShopMembers("s", members), limits=LIMITS) as pa):
            proxy = DarkProxy(pa.port)
            port = await proxy.start()
            try:
                async with running_peer_set(repo_b, b, ShopMembers("s", members),
                                            limits=LIMITS,
                                            static_peers=[f"127.0.0.1:{port}"]) as pb:
                    await pb.wait_linked({a.till_id}, 10)
                    handle = await repo_a.create()
                    with handle.change() as doc:
                        doc["n"] = 1
                    await bus.wait_for(lambda: store_b.has_doc(str(handle.document_id)))
                    handle_b = await repo_b.find(str(handle.url))
                    assert handle_b is not None
                    await bus.wait_for(lambda: doc_value(handle_b, "n") == 1)
                    before = proxy.connections
                    proxy.go_dark()
                    with handle.change() as doc:
                        doc["n"] = 2  # written during the partition
                    await wait_until_async(lambda: proxy.connections > before, 10,
                                           what="B to redial once A fell silent")
                    assert doc_value(handle_b, "n") == 1
                    proxy.heal()
                    await bus.wait_for(lambda: doc_value(handle_b, "n") == 2, 15,
                                       what="the change to arrive over a fresh link")
                    assert pb.linked_tills() == {a.till_id}
            finally:
                await proxy.stop()

    run(scenario(), timeout=60)

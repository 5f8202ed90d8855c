"""Real parts for peer tests: on-disk identities, real Repos, a real member list.

Remote changes fire no DocHandle event, so tests wait on the storage instead (every merged
change is persisted through ``put``), the same signal the engine uses.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import pytest
from automerge.repo import InMemoryStorage, Repo

from sync.identity import TillIdentity, load_or_create
from sync.ids import TillId
from sync.peers.membership import JoinRequest, hash_shop_id
from sync.peers.peer_set import Backoff, PeerSet
from sync.peers.tls_link import LinkLimits
from tests.helpers.waiting import wait_until_async

T = TypeVar("T")

FAST_LIMITS = LinkLimits(handshake_timeout=2.0, idle_timeout=3.0, keepalive_interval=0.5,
                         send_timeout=3.0, close_timeout=1.0)
FAST_BACKOFF = Backoff(initial=0.05, maximum=0.5)


def run(coro: Coroutine[Any, Any, T], timeout: float = 20.0) -> T:
    """Run one async scenario with an overall bound, so a hang fails instead of stalling."""

    async def bounded() -> T:
        return await asyncio.wait_for(coro, timeout)

    return asyncio.run(bounded())


class ChangeBus:
    """One event every storage in a test sets on each write; waits re-check on it."""

    def __init__(self) -> None:
        self.changed = asyncio.Event()

    async def notify(self) -> None:
        self.changed.set()

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0,
                       what: str = "a write that makes it true") -> None:
        await wait_until_async(predicate, timeout, what=what, wake=self.changed)


class NotifyingStorage(InMemoryStorage):
    """InMemoryStorage that wakes waiters on the bus whenever the Repo persists something."""

    def __init__(self, bus: ChangeBus) -> None:
        super().__init__()
        self.bus = bus

    async def put(self, key: Any, value: bytes) -> None:
        await super().put(key, value)
        await self.bus.notify()

    def has_doc(self, doc_id: str) -> bool:
        return any(k.startswith(doc_id + "/") for k in self._storage)


class ShopMembers:
    """A real in-memory member list, standing in for the engine's ledger-backed one."""

    def __init__(self, shop_id: str, members: set[str], shop_doc_url: str = "") -> None:
        self.members: set[str] = set(members)
        self._hash = hash_shop_id(shop_id)
        self.shop_doc_url = shop_doc_url
        self.join_requests: list[JoinRequest] = []
        self.admitted: list[JoinRequest] = []

    def is_member(self, till_id: TillId) -> bool:
        return till_id in self.members

    def shop_id_hash(self) -> str:
        return self._hash

    def join_requested(self, request: JoinRequest) -> None:
        self.join_requests.append(request)

    def admit(self, request: JoinRequest) -> str:
        self.members.add(request.till_id)
        self.admitted.append(request)
        return self.shop_doc_url


@pytest.fixture
def make_identity(tmp_path: Path) -> Callable[[str], TillIdentity]:
    def make(name: str) -> TillIdentity:
        return load_or_create(tmp_path / name)

    return make


@contextlib.asynccontextmanager
async def running_repo(bus: ChangeBus) -> AsyncIterator[tuple[Repo, NotifyingStorage]]:
    storage = NotifyingStorage(bus)
    repo = await Repo.load(storage)
    await repo.start()
    try:
        yield repo, storage
    finally:
        await repo.stop()


@contextlib.asynccontextmanager
async def running_peer_set(repo: Repo, identity: TillIdentity, members: ShopMembers,
                           **kwargs: Any) -> AsyncIterator[PeerSet]:
    kwargs.setdefault("listen_host", "127.0.0.1")
    kwargs.setdefault("limits", FAST_LIMITS)
    kwargs.setdefault("backoff", FAST_BACKOFF)
    kwargs.setdefault("membership_check_interval", 0.2)
    peers = PeerSet(repo, identity, members, **kwargs)
    await peers.start()
    try:
        yield peers
    finally:
        await peers.stop()


def doc_value(handle: Any, key: str) -> Any:
    """Read ``key`` from a document, None while absent (``in`` on proxies is unreliable)."""
    doc = handle.doc()
    return doc[key] if key in list(doc.keys()) else None

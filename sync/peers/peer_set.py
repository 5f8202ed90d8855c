"""The set of links one till keeps to its shop's other tills and relays; what the engine runs.

``PeerSet`` listens for TLS links, dials every member it discovers over mDNS plus the
configured static peers, keeps at most one link per pair of tills, reconnects with
exponential backoff and jitter, serves join requests (:class:`JoinDesk`), drops links of
tills removed from the shop, and syncs through relays. Every link, once its hello is
verified and its till is a member, is handed to the ``Repo`` (``connect``/``accept``),
which does the actual document sync.

Beside it: dial targets and the reconnect backoff in :mod:`sync.peers.dial_targets`, the
per-relay record next to the relay transport in :mod:`sync.peers.relay`, and the Repo
interface with what status reads from a Repo in :mod:`sync.peers.sync_repo`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import time
from dataclasses import dataclass
from typing import Any

from sync.identity import TillIdentity
from sync.ids import TillId
from sync.peers.admission import Admission
from sync.peers.dial_targets import Backoff, _split_host_port, _Target
from sync.peers.discovery import DiscoveredTill, Discovery
from sync.peers.membership import JoinRequest, Membership
from sync.peers.pairing import JoinDesk
from sync.peers.relay import _Relay, run_relay
from sync.peers.sync_repo import SyncRepo, _docs_in_sync, _docs_synced, _repo_peer_id
from sync.peers.tls_link import (
    LinkError,
    LinkLimits,
    PeerRejected,
    TlsLink,
    accept_tls,
    dial,
    new_challenge,
    read_client_hello,
    send_challenge,
    send_welcome,
    server_ssl_context,
)
from sync.replication import ProtocolError

log = logging.getLogger("countertop.sync.peers")

__all__ = ["Backoff", "PeerSet"]


@dataclass
class _LinkEntry:
    link: TlsLink
    dialer: TillId
    task: asyncio.Task[Any] | None = None


def _iso(ts: float | None) -> str | None:
    if ts is None:
        return None
    return dt.datetime.fromtimestamp(ts, dt.UTC).isoformat(timespec="seconds")


class PeerSet:
    """All of one till's sync links: listen, discover, dial, pair, relay, report."""

    def __init__(
        self,
        repo: SyncRepo,
        identity: TillIdentity,
        membership: Membership,
        *,
        listen_host: str = "0.0.0.0",
        listen_port: int = 0,
        interfaces: list[str] | None = None,
        static_peers: list[str] | None = None,
        relay_urls: list[str] | None = None,
        relay_token: str = "",
        relay_ca: str | None = None,
        name: str = "",
        limits: LinkLimits | None = None,
        backoff: Backoff | None = None,
        membership_check_interval: float = 2.0,
        max_handshakes: int = 32,
        reserved_handshakes: int = 8,
        handshakes_per_address: int = 8,
        join_timeout: float = 600.0,
    ) -> None:
        self.repo = repo
        self.identity = identity
        self.membership = membership
        self.listen_host = listen_host
        self.listen_port = listen_port
        self.interfaces = list(interfaces or [])
        self.name = name
        self.limits = limits or LinkLimits()
        self.backoff = backoff or Backoff()
        self.join_desk = JoinDesk(identity, membership, name=name, join_timeout=join_timeout)
        self._membership_check_interval = membership_check_interval
        self._ssl = server_ssl_context(identity)
        self.admission = Admission(per_address=handshakes_per_address, general=max_handshakes,
                                   reserved=reserved_handshakes)
        self._static = [_split_host_port(a) for a in (static_peers or [])]
        for host, _port in self._static:
            self.admission.remember_member(host)
        self._relays = [_Relay(url) for url in (relay_urls or [])]
        self._relay_token = relay_token
        self._relay_ca = relay_ca
        self._links: dict[TillId, _LinkEntry] = {}
        self._targets: dict[str, _Target] = {}
        self._incoming: set[asyncio.Task[None]] = set()
        self._server: asyncio.Server | None = None
        self._discovery: Discovery | None = None
        self._watch_task: asyncio.Task[None] | None = None
        self._links_changed = asyncio.Condition()
        self._stopping = False
        self.discovery_error = ""

    # -- public API -------------------------------------------------------------------

    @property
    def till_id(self) -> TillId:
        return self.identity.till_id

    @property
    def port(self) -> int:
        """The TCP port we listen on (useful with ``listen_port=0``)."""
        if self._server is None:
            raise RuntimeError("peer set not started")
        return int(self._server.sockets[0].getsockname()[1])

    async def start(self) -> None:
        """Listen, announce, start dialling static peers and relays."""
        self._stopping = False
        # plain TCP first: admission (per address, member slots) decides before TLS runs
        self._server = await asyncio.start_server(
            self._on_incoming, self.listen_host, self.listen_port)
        log.info("till %s listening on %s:%d", self.till_id[:12], self.listen_host, self.port)
        for host, port in self._static:
            self._add_target(_Target(f"{host}:{port}", host, port, None, static=True))
        for relay in self._relays:
            relay.task = asyncio.create_task(self._relay_loop(relay), name=f"relay {relay.url}")
        if self.interfaces:
            discovery = Discovery(
                till_id=self.till_id, shop_id_hash=self.membership.shop_id_hash(),
                port=self.port, interfaces=self.interfaces,
                on_found=self._on_discovered, on_lost=self._on_lost,
            )
            try:
                await discovery.start()
            except (OSError, ValueError) as exc:
                # An interface that went away must not stop static peers and relays.
                self.discovery_error = f"mDNS on {', '.join(self.interfaces)}: {exc}"
                log.error("discovery unavailable (%s); static peers and relays still run",
                          self.discovery_error)
                await discovery.stop()
            else:
                self._discovery = discovery
                self.discovery_error = ""
        self._watch_task = asyncio.create_task(self._watch_membership(), name="membership watch")

    async def stop(self) -> None:
        """Ordered, bounded shutdown: stop accepting, stop announcing, stop dialling, close links."""
        self._stopping = True
        if self._server is not None:
            self._server.close()
        if self._discovery is not None:
            await self._discovery.stop()
            self._discovery = None
        tasks: list[asyncio.Task[Any]] = []
        if self._watch_task is not None:
            tasks.append(self._watch_task)
        tasks += [t.task for t in self._targets.values() if t.task is not None]
        tasks += [r.task for r in self._relays if r.task is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for relay in self._relays:
            if relay.transport is not None:
                await relay.transport.close()
        entries = list(self._links.values())
        await asyncio.gather(*(e.link.close() for e in entries), return_exceptions=True)
        link_tasks = [e.task for e in entries if e.task is not None] + list(self._incoming)
        if link_tasks:
            _, still = await asyncio.wait(link_tasks, timeout=self.limits.close_timeout + 1)
            for task in still:
                task.cancel()
            await asyncio.gather(*link_tasks, return_exceptions=True)
        if self._server is not None:
            try:
                async with asyncio.timeout(self.limits.close_timeout):
                    await self._server.wait_closed()
            except TimeoutError:
                log.warning("listener did not close in time")
            self._server = None
        self._targets.clear()
        self._links.clear()

    def pending_joins(self) -> list[JoinRequest]:
        """Join requests waiting for staff, oldest first."""
        return self.join_desk.pending()

    async def approve(self, code: str, till: str = "") -> JoinRequest:
        """Staff typed ``code`` (the new till shows it): pair with the waiting till (named
        by ``till`` when several wait), admit it via ``Membership.admit`` if the codes match."""
        request = await self.join_desk.approve(code, till)
        self.membership_changed()
        return request

    def decline(self, till: str = "") -> JoinRequest:
        """Staff refused the waiting till (named by ``till`` when several wait)."""
        return self.join_desk.decline(till)

    def add_static_peer(self, address: str) -> None:
        """Dial ``HOST:PORT`` from now on (e.g. a till entered by hand)."""
        host, port = _split_host_port(address)
        self._add_target(_Target(f"{host}:{port}", host, port, None, static=True))

    def membership_changed(self) -> None:
        """The member list changed: drop links of removed tills now, retry refused ones."""
        self._drop_non_members()
        for target in self._targets.values():
            target.wake.set()

    def _drop_non_members(self) -> None:
        for till_id, entry in list(self._links.items()):
            if not self.membership.is_member(till_id) and not entry.link.closed:
                log.warning("till %s is no longer a member: dropping its link", till_id[:12])
                asyncio.ensure_future(entry.link.close())

    def linked_tills(self) -> set[TillId]:
        """Tills we currently have a verified, open sync link with."""
        return {t for t, e in self._links.items() if not e.link.closed}

    async def wait_linked(self, till_ids: set[TillId], timeout: float) -> None:
        """Wait until a link to each of ``till_ids`` is up (tests, ``countertop peers --wait``)."""
        async with self._links_changed:
            async with asyncio.timeout(timeout):
                await self._links_changed.wait_for(lambda: till_ids <= self.linked_tills())

    def status(self) -> list[dict[str, Any]]:
        """One row per known peer or relay, for ``countertop peers --json``."""
        rows: list[dict[str, Any]] = []
        in_sync = _docs_in_sync(self.repo)
        listed: set[TillId] = set()
        for till_id, entry in self._links.items():
            link = entry.link
            if link.closed:
                continue
            listed.add(till_id)
            docs = in_sync.get(id(link))
            rows.append({
                "till_id": till_id, "name": link.peer_name, "address": link.peer_address,
                "kind": "till", "state": "connected",
                "direction": "outgoing" if link.dialed_by_us else "incoming",
                "last_sync": _iso(link.last_message_at),
                "docs_in_sync": docs[0] if docs else None,
                "docs_shared": docs[1] if docs else None,
                "bytes_sent": link.bytes_sent, "bytes_received": link.bytes_received,
                "last_error": "",
            })
        for target in self._targets.values():
            if target.till_id is not None and target.till_id in listed:
                continue
            rows.append({
                "till_id": target.till_id, "name": "", "address": f"{target.host}:{target.port}",
                "kind": "static" if target.static else "discovered", "state": target.state,
                "direction": "outgoing", "last_sync": None, "docs_in_sync": None,
                "docs_shared": None, "bytes_sent": 0, "bytes_received": 0,
                "last_error": target.last_error,
            })
        synced = _docs_synced(self.repo)
        for relay in self._relays:
            transport = relay.transport
            docs = in_sync.get(id(transport)) if transport is not None else None
            count = None if synced is None or transport is None else synced.get(id(transport), 0)
            state, error = relay.health(count)
            rows.append({
                "till_id": None, "name": "relay", "address": relay.url, "kind": "relay",
                "state": state, "direction": "outgoing",
                "last_sync": _iso(transport.last_message_at) if transport else None,
                "docs_in_sync": docs[0] if docs else None,
                "docs_shared": docs[1] if docs else None,
                "bytes_sent": transport.bytes_sent if transport else 0,
                "bytes_received": transport.bytes_received if transport else 0,
                "last_error": error,
            })
        return rows

    # -- links ------------------------------------------------------------------------

    def _claim(self, peer: TillId, link: TlsLink) -> bool:
        """Register ``link`` as *the* link to ``peer``; False when an existing one wins.

        When both tills dial at once, both keep the link dialled by the lower till id, so
        each pair converges on one link without another round trip. Otherwise the newer
        link replaces the older (the older is likely a dead connection not yet noticed).
        """
        dialer = self.till_id if link.dialed_by_us else peer
        existing = self._links.get(peer)
        if existing is not None and not existing.link.closed:
            preferred = min(self.till_id, peer)
            if existing.dialer == preferred and dialer != preferred:
                return False
            log.info("replacing link to %s (%s) with %s", peer[:12], existing.link.peer_address,
                     link.peer_address)
            asyncio.ensure_future(existing.link.close())
        self._links[peer] = _LinkEntry(link, dialer, asyncio.current_task())
        self._notify_links()
        return True

    def _notify_links(self) -> None:
        async def notify() -> None:
            async with self._links_changed:
                self._links_changed.notify_all()
        asyncio.ensure_future(notify())

    async def _run_link(self, peer: TillId, link: TlsLink) -> None:
        """Hand a verified member link to the Repo until either side ends it."""
        link.start_keepalive()
        log.info("syncing with %s (%s) over %s link %s", peer[:12], link.peer_name or "?",
                 "outgoing" if link.dialed_by_us else "incoming", link.peer_address)
        try:
            if link.dialed_by_us:
                reason = await self.repo.connect(link)
            else:
                reason = await self.repo.accept(link)
            log.info("link to %s ended: %s", peer[:12], reason)
        except LinkError as exc:
            log.info("link to %s ended: %s", peer[:12], exc)
        except Exception as exc:  # the sync engine gave up on this peer: drop the link only
            # a peer breaking the protocol is expected: its reason, without a traceback
            log.warning("sync with %s failed: %s", peer[:12], exc,
                        exc_info=not isinstance(exc, ProtocolError))
        finally:
            await link.close()
            entry = self._links.get(peer)
            if entry is not None and entry.link is link:
                del self._links[peer]
            self._notify_links()

    async def _on_incoming(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        if task is not None:
            self._incoming.add(task)
        try:
            await self._serve_incoming(reader, writer)
        except Exception:  # a bug must not take the listener down; log with context
            log.exception("unexpected error serving %s", writer.get_extra_info("peername"))
            writer.transport.abort()
        finally:
            if task is not None:
                self._incoming.discard(task)

    async def _serve_incoming(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        peer = writer.get_extra_info("peername")
        host = str(peer[0]) if isinstance(peer, tuple) else str(peer)
        ticket = None if self._stopping else self.admission.enter(host)
        if ticket is None:
            writer.transport.abort()
            return
        try:
            link = await accept_tls(reader, writer, self.limits, self._ssl)
            challenge = new_challenge()
            await send_challenge(link, challenge)
            hello = await read_client_hello(
                link, self.identity, self.membership.shop_id_hash(), challenge)
        except LinkError as exc:
            log.warning("handshake from %s failed: %s", host, exc)
            writer.transport.abort()
            return
        finally:
            ticket.release()
        if hello.purpose == "join":
            await self.join_desk.handle(link, hello)
            return
        peer = hello.till_id
        if not self.membership.is_member(peer):
            await link.refuse("not a member of this shop")
            return
        if not self._claim(peer, link):
            await link.refuse("already linked")
            return
        self.admission.remember_member(host)
        try:
            await send_welcome(link, self.identity, self.membership.shop_id_hash(),
                               _repo_peer_id(self.repo))
        except LinkError as exc:
            log.info("welcome to %s failed: %s", peer[:12], exc)
            self._links.pop(peer, None)
            return
        await self._run_link(peer, link)

    # -- dialling ---------------------------------------------------------------------

    def _add_target(self, target: _Target) -> None:
        old = self._targets.get(target.key)
        if old is not None:
            old.host, old.port, old.hosts = target.host, target.port, target.hosts
            old.till_id = old.till_id or target.till_id
            if old.state == "gone":
                old.state = "idle"
            old.wake.set()
            return
        self._targets[target.key] = target
        target.task = asyncio.create_task(self._dial_loop(target), name=f"dial {target.key}")

    def _on_discovered(self, found: DiscoveredTill) -> None:
        if not self.membership.is_member(found.till_id):
            log.info("discovered till %s is not a member: not dialling", found.till_id[:12])
            return
        if not found.addresses:
            return
        for address in found.addresses:
            self.admission.remember_member(address)
        self._add_target(_Target(found.till_id, found.addresses[0], found.port, found.till_id,
                                 static=False, hosts=found.addresses))

    def _on_lost(self, till_id: TillId) -> None:
        target = self._targets.get(till_id)
        if target is not None and not target.static:
            target.state = "gone"

    async def _dial_loop(self, target: _Target) -> None:
        """Keep one link to ``target`` up: dial, sync, back off with jitter, dial again."""
        while not self._stopping:
            known = target.till_id
            if known is not None and known in self.linked_tills():
                target.state = "connected"
                await self._wait_unlinked(known)
                continue
            if known is not None and not self.membership.is_member(known):
                target.state = "not a member"
                await self._sleep_or_wake(target, self.backoff.maximum)
                continue
            if target.state == "gone" and not target.static:
                await self._sleep_or_wake(target, self.backoff.maximum)
                continue
            target.state = "connecting"
            try:
                link, reply = await dial(
                    target.host, target.port, identity=self.identity,
                    shop_id_hash=self.membership.shop_id_hash(), purpose="sync", name=self.name,
                    repo_peer_id=_repo_peer_id(self.repo), expected_till_id=known,
                    limits=self.limits,
                    connect_timeout=self.limits.redial_timeout if target.was_linked else None,
                )
            except PeerRejected as exc:
                target.last_error = exc.reason
                if exc.peer_till_id is not None and target.till_id is None:
                    target.till_id = exc.peer_till_id
                if exc.reason == "already linked":
                    target.state = "connected"
                    await asyncio.sleep(self.backoff.initial)
                    continue
                target.state = "refused"
                target.was_linked = False  # it said no: back off the usual way
                await self._back_off(target)
                continue
            except LinkError as exc:
                target.last_error = str(exc)
                target.state = "backoff"
                await self._back_off(target)
                continue
            peer = reply.till_id
            target.till_id = peer
            if not self.membership.is_member(peer):
                log.warning("%s is till %s, not a member of this shop: hanging up",
                            target.key, peer[:12])
                await link.close()
                target.state = "not a member"
                await self._back_off(target)
                continue
            if not self._claim(peer, link):
                await link.close()
                continue
            target.state = "connected"
            target.attempts = 0
            target.was_linked = True
            target.last_error = ""
            watcher = asyncio.create_task(self._watch_heartbeat(target, peer, link),
                                          name=f"heartbeat {target.key}")
            try:
                await self._run_link(peer, link)
            finally:
                watcher.cancel()
                await asyncio.gather(watcher, return_exceptions=True)
            if peer in self.linked_tills():  # a fast redial already replaced the link
                continue
            target.state = "backoff"
            await self._back_off(target)

    async def _watch_heartbeat(self, target: _Target, peer: TillId, link: TlsLink) -> None:
        """While ``link`` runs: if the peer falls silent (no heartbeat for
        ``suspect_after``), redial it at once and keep redialling, in parallel; the new
        link replaces the silent one as soon as it is up (issue 15, point 11)."""
        tick = 0.25
        last = time.monotonic()
        while not link.closed and not self._stopping:
            await asyncio.sleep(tick)
            now = time.monotonic()
            if now - last > 4 * tick:
                link.excuse_silence()  # our loop was busy, not the peer silent
            last = now
            if link.silent_for() < self.limits.suspect_after:
                continue
            if link.silent_for() < 2 * self.limits.suspect_after:  # once per silence
                log.info("%s silent for %.1f s: redialling at once", peer[:12],
                         link.silent_for())
            fresh = await self._redial(target, peer)
            last = time.monotonic()  # the redial's own time is no stall of our loop
            if fresh is not None and self._claim(peer, fresh):
                target.last_error = ""
                # a task of its own: this watcher ends with the link it watched
                task = asyncio.create_task(self._run_fresh(target, peer, fresh),
                                           name=f"link {target.key}")
                self._links[peer].task = task
                return
            if fresh is not None:
                await fresh.close()

    async def _redial(self, target: _Target, peer: TillId) -> TlsLink | None:
        try:
            link, _reply = await dial(
                target.host, target.port, identity=self.identity,
                shop_id_hash=self.membership.shop_id_hash(), purpose="sync", name=self.name,
                repo_peer_id=_repo_peer_id(self.repo), expected_till_id=peer,
                limits=self.limits, connect_timeout=self.limits.redial_timeout)
        except LinkError as exc:
            target.last_error = str(exc)
            return None
        return link

    async def _run_fresh(self, target: _Target, peer: TillId, link: TlsLink) -> None:
        """Run a link a fast redial made, watched like any other."""
        watcher = asyncio.create_task(self._watch_heartbeat(target, peer, link))
        try:
            await self._run_link(peer, link)
        finally:
            watcher.cancel()
            await asyncio.gather(watcher, return_exceptions=True)
            target.wake.set()

    async def _back_off(self, target: _Target) -> None:
        delay = self.backoff.delay(target.attempts, member=target.was_linked)
        target.attempts += 1
        if len(target.hosts) > 1:  # a till announcing several addresses: try the next one
            target.host = target.hosts[target.attempts % len(target.hosts)]
        await self._sleep_or_wake(target, delay)

    async def _sleep_or_wake(self, target: _Target, delay: float) -> None:
        target.wake.clear()
        try:
            async with asyncio.timeout(delay):
                await target.wake.wait()
        except TimeoutError:
            pass

    async def _wait_unlinked(self, till_id: TillId) -> None:
        async with self._links_changed:
            await self._links_changed.wait_for(lambda: till_id not in self.linked_tills())

    # -- membership -------------------------------------------------------------------

    async def _watch_membership(self) -> None:
        """Re-check members periodically, in case the engine does not call membership_changed."""
        while True:
            await asyncio.sleep(self._membership_check_interval)
            self._drop_non_members()

    # -- relays -----------------------------------------------------------------------

    async def _relay_loop(self, relay: _Relay) -> None:
        await run_relay(relay, self.repo, limits=self.limits, backoff=self.backoff,
                        token=self._relay_token, ca_file=self._relay_ca,
                        stopping=lambda: self._stopping)

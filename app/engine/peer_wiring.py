"""Makes several tills one shop: the engine's side of sync/peers and sync/replication.

- ``LedgerMembership`` answers the peer layer from the shop document's member list.
- ``PeerService`` (an engine attachment) runs the Replicator behind a PeerSet: mDNS on
  the chosen interfaces, static peers, relays, reconnects. Local commands wake the
  sessions; merged remote changes reproject the read model and notify the UI.
- ``PeerService`` is the ``PeerControl`` behind the commands ``peers.status``,
  ``pair.pending``, ``pair.approve``, ``pair.decline``, ``till.remove`` and ``sync.heads``
  (read-only: each document's heads, so tests and support can check tills converged).
  Joining a shop is ``join_shop`` (run by ``countertop join`` before the engine starts,
  since a till without a shop has nothing to serve).
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any, cast

from automerge.core import Document

from app import protocol
from app.engine.services import EngineHost
from app.engine.till_engine import TillEngine
from sync.am_doc import Reader, Root, is_doc_id
from sync.authority import Authority, Refusal
from sync.changes import Changes
from sync.data_dir import ShopPointer
from sync.errors import CommandRejected, NotFound
from sync.ids import DocId, TillId
from sync.peers.membership import JoinRequest, hash_shop_id
from sync.replication import Replicator

log = logging.getLogger("countertop.engine.peers")


def doc_url(doc_id: str) -> str:
    return f"automerge:{doc_id}"


def doc_id_from_url(url: str) -> DocId:
    doc_id = url.removeprefix("automerge:")
    if not is_doc_id(doc_id):
        raise CommandRejected(f"{url!r} is not a document URL")
    return DocId(doc_id)


class LedgerMembership:
    """The member list lives in the shop document; the engine is its only writer here."""

    def __init__(self, service: EngineHost) -> None:
        self.service = service
        self.engine = service.engine
        self.extra_members: set[str] = set()  # a sponsor trusted until its shop doc arrives
        self._shop_hash = ""

    def is_member(self, till_id: TillId) -> bool:
        if till_id in self.extra_members:
            return True
        if not self.engine.has_shop:
            return False
        return till_id in self.engine.ledger.tills.members()

    def shop_id_hash(self) -> str:
        if self.engine.has_shop:
            return hash_shop_id(str(self.engine.ledger.shop_doc_id))
        return self._shop_hash

    def join_requested(self, request: JoinRequest) -> None:
        log.warning("till %s (%s) at %s asks to join; type the code its screen shows "
                    "(pair approve)", request.ref, request.name, request.address)
        self.service.publish(protocol.join_requested_event(
            request.till_id, request.name, request.ref, request.address))

    def admit(self, request: JoinRequest) -> str:
        """Make the paired till a member (a manager till only: ``tills.add`` refuses
        otherwise), and vouch for everything held here, so the new till accepts this
        till's history from before the shop had two tills (and so sealed changes)."""
        engine = self.engine
        engine.execute(lambda L: L.tills.add(request.till_id, request.name or "Till",
                                             cert=request.cert))
        engine.execute(lambda L: L.tills.vouch(engine.held_heads()))
        return doc_url(str(engine.ledger.shop_doc_id))


class PeerService:
    """Runs replication over the peer set for as long as the engine runs (an engine
    attachment), and answers the peer commands (``services.PeerControl``)."""

    def __init__(self, service: EngineHost) -> None:
        from sync.peers.peer_set import PeerSet

        self.service = service
        self.engine: TillEngine = service.engine
        options = service.options
        self.membership = LedgerMembership(service)
        self.authority = Authority(self._shop_view)
        self.replicator = Replicator(self.engine.store, self.engine.identity.till_id,
                                     on_merged=self._merged, documents=self._shareable,
                                     accepts=self._listed, judge=self.authority.judge,
                                     on_refused=self._refused)
        name = self._till_name()
        self.peer_set = PeerSet(
            self.replicator, self.engine.identity, self.membership,
            listen_host=options.listen_host, listen_port=options.listen_port,
            interfaces=options.interfaces if options.discovery else [],
            static_peers=options.peers, relay_urls=options.relays,
            relay_token=options.relay_token, relay_ca=options.relay_ca, name=name)
        self.last_merge: float | None = None
        self._started = False
        self.engine.subscribe(self._local)

    def _till_name(self) -> str:
        if not self.engine.has_shop:
            return "Till"
        info = self.engine.ledger.tills.all().get(self.engine.identity.till_id) or {}
        return str(info.get("name") or "Till")

    def _shareable(self) -> list[DocId]:
        return self.engine.store.ids()

    def _listed(self, doc_id: DocId) -> bool:
        """A document we may take from a peer: the shop's own or one of its periods.

        A period document offered before the shop document listing it has arrived is
        refused once, then asked for (``_want_listed_periods``) when that listing merges.
        """
        if not self.engine.has_shop:
            return False
        return doc_id == self.engine.ledger.shop_doc_id or doc_id in set(
            self.engine.ledger.docs.period_doc_ids())

    def _shop_view(self) -> tuple[DocId, Document] | None:
        """The shop document the authority check reads the member list from."""
        engine = self.engine
        if not engine.has_shop or engine.ledger.shop_doc_id is None:
            return None
        return engine.ledger.shop_doc_id, engine.ledger.shop_doc.doc

    def _refused(self, doc_id: DocId, refusals: list[Refusal]) -> None:
        """Changes were refused: alert staff (once per author and reason)."""
        if not self.engine.has_shop:
            return
        groups: dict[tuple[str | None, str], int] = {}
        for refusal in refusals:
            if refusal.permanent:
                key = (refusal.author, refusal.reason)
                groups[key] = groups.get(key, 0) + 1
        for (author, reason), count in groups.items():
            self._raise_refused(author, doc_id, reason, count)

    def _raise_refused(self, author: str | None, doc_id: DocId, reason: str,
                       count: int) -> None:
        self.engine.execute(lambda L: L.alerts.raise_refused(author, doc_id, reason, count))

    def _local(self, changes: Changes) -> None:
        self.replicator.local_change()
        if changes.tills:
            self.peer_set.membership_changed()

    def _merged(self, doc_ids: list[DocId]) -> None:
        self.last_merge = time.time()
        if not self.engine.has_shop:
            return
        changes = self.engine.merged_remote(doc_ids)
        if changes.tills or changes.shop:
            self.peer_set.membership_changed()
            self._want_listed_periods()
        if changes.tills:  # changes deferred for an author not known till now: again
            self.replicator.resync()

    def _want_listed_periods(self) -> None:
        """Period documents named in the shop document but not held here: ask for them."""
        for doc_id in self.engine.ledger.docs.period_doc_ids():
            if not self.engine.store.exists(doc_id):
                self.replicator.want(doc_id)

    async def start(self) -> None:
        await self.peer_set.start()
        self._started = True
        if self.engine.has_shop:
            self._want_listed_periods()

    async def stop(self) -> None:
        self._started = False
        await self.peer_set.stop()

    # ------------------------------------------------------------------ PeerControl

    def status(self) -> protocol.PeersStatus:
        """This till's addresses and links; before the peer set listens, no port yet."""
        options = self.service.options
        port = self.peer_set.port if self._started else None
        addresses = [f"{a}:{port}" for a in options.interfaces
                     if a not in ("0.0.0.0", "::")] if options.discovery and port else []
        return {"till_id": self.engine.identity.till_id, "listen_port": port,
                "listen_host": options.listen_host, "addresses": addresses,
                "peers": self.peer_set.status(), "sessions": self.replicator.status(),
                "last_merge": self.last_merge}

    def pending(self) -> list[protocol.JoinRequestRow]:
        return [cast(protocol.JoinRequestRow, r.row()) for r in self.peer_set.pending_joins()]

    def decline(self, till: str = "") -> protocol.JoinRequestRow:
        return cast(protocol.JoinRequestRow, self.peer_set.decline(till).row())

    def heads(self) -> protocol.DocHeads:
        """Read-only: every stored document's heads (sorted hex), to check tills converged."""
        out = {}
        for doc_id in self.engine.store.ids():
            heads = self.engine.store.get(doc_id).doc.get_heads()
            out[str(doc_id)] = sorted(h.hex() for h in heads)
        return out

    async def approve(self, code: str, till: str = "") -> protocol.Approved:
        """Pair with the waiting till whose screen shows ``code`` (manager tills only)."""
        if not self.engine.require_shop().tills.is_manager():
            raise CommandRejected("only a manager till may let a till join the shop")
        request = await self.peer_set.approve(code, till)  # UnknownPairingCode is a NotFound
        return {"till_id": request.till_id, "name": request.name, "approved": True}

    def remove_till(self, ref: str) -> dict[str, str]:
        """Refuse a till from now on (a manager's action). This till also vouches for
        what it holds, so the removed till's earlier work stays accepted everywhere."""
        ref = ref.strip().lower()
        matches = [t for t in self.engine.ledger.tills.all() if t.startswith(ref.replace("-", ""))]
        if not ref or len(matches) != 1:
            raise NotFound(f"no single till matches {ref!r}")
        engine = self.engine
        engine.execute(lambda L: L.tills.remove(matches[0]))
        engine.execute(lambda L: L.tills.vouch(engine.held_heads()))
        self.peer_set.membership_changed()
        return {"removed": matches[0]}


async def join_shop(data_dir: Path, address: str, name: str, *, timeout: float = 600.0,
                    on_code: Any = print) -> dict[str, Any]:
    """New till: ask the member till at ``address`` to admit us, then fetch the shop.

    ``on_code(code, ref)`` shows the pairing code (staff type it on the shop's till) and
    this till's short id (to name it there when several tills wait); returns once
    approved and the shop document is here, or raises ``CommandRejected``.
    """
    from sync.peers.pairing import request_join
    from sync.peers.peer_set import PeerSet
    from sync.peers.tls_link import LinkError, PeerRejected

    engine = TillEngine(data_dir, role="countertop join")
    try:
        if engine.has_shop:
            raise CommandRejected("this till already belongs to a shop")
        host, _, port = address.rpartition(":")
        if not host or not port.isdigit():
            raise CommandRejected(f"{address!r} is not HOST:PORT of a till")
        try:
            accepted = await request_join(
                host, int(port), identity=engine.identity, name=name, timeout=timeout,
                on_code=lambda code: on_code(code, engine.identity.short_id))
        except PeerRejected as exc:
            raise CommandRejected(f"the shop's till refused: {exc}") from None
        except (LinkError, OSError) as exc:
            raise CommandRejected(f"cannot reach the till at {address}: {exc}") from None
        shop_doc = doc_id_from_url(accepted.shop_doc_url)

        class _Sponsor:
            def is_member(self, till_id: TillId) -> bool:
                return till_id == accepted.sponsor_till_id

            def shop_id_hash(self) -> str:
                return accepted.shop_id_hash

            def join_requested(self, request: JoinRequest) -> None:
                return None

            def admit(self, request: JoinRequest) -> str:
                raise CommandRejected("a joining till cannot admit others")

        replicator = Replicator(engine.store, engine.identity.till_id)
        replicator.want(shop_doc)
        peers = PeerSet(replicator, engine.identity, _Sponsor(), listen_host="127.0.0.1",
                        static_peers=[accepted.sponsor_address], name=name)
        await peers.start()
        try:
            async with asyncio.timeout(60):
                while True:
                    if engine.store.exists(shop_doc) and Reader(
                            engine.store.get(shop_doc).doc).value(Root, "kind") == "shop":
                        break
                    await asyncio.sleep(0.05)
        finally:
            await peers.stop()
        engine.data_dir.write_pointer(ShopPointer(shop_doc, engine.identity.till_id))
        engine.ledger.attach_shop(shop_doc)
        engine.catch_up()
        return {"shop_doc": shop_doc, "sponsor": accepted.sponsor_till_id,
                "till_id": engine.identity.till_id}
    finally:
        engine.close()

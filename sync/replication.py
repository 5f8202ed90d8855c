"""The automerge-repo sync protocol, spoken over any byte transport, for our documents.

Why not ``automerge.repo.Repo``: its document actors own their documents (samod), while
the ledger keeps plain ``automerge.core.Document`` objects for cheap transactions and
fsync-before-acknowledge (see ``doc_storage``). This module speaks the same wire
protocol as JS automerge-repo 2.x and samod, so tills, JS peers and standard sync
servers interoperate:

- each transport message is one CBOR map, decoded with only the types the protocol
  uses (``sync.wire_cbor``: no tags, bounded items and depth; big ones off the loop);
- the dialler sends ``join`` (``senderId``, ``peerMetadata``, ``supportedProtocolVersions``),
  the acceptor answers ``peer`` (``selectedProtocolVersion``, ``targetId``);
- then ``sync``/``request`` carry automerge sync messages for a ``documentId``;
  ``doc-unavailable`` answers a request for a document we do not have; ``ephemeral``,
  ``remote-heads-changed`` and ``remote-subscription-change`` are accepted and ignored.

We announce every stored document to every peer (peers reach us only after the link
layer verified them as shop members). We take in a document we do not hold only when
we asked for it (``want``) or the ``accepts`` policy says the shop lists it: a broken
or hostile member offering thousands of made-up documents must not fill the disk, nor
spread them to every other till. Received changes are merged, fsynced in batches
and reported once per batch through ``on_merged`` (the engine reprojects the read model
from them), so a burst of remote changes costs one projection, not one per message.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from automerge.core import Document, Message, SyncState

from sync.am_doc import is_doc_id, relay_doc_id
from sync.doc_storage import DocumentStore, StoredDocument
from sync.errors import PeerError
from sync.ids import DocId
from sync.wire_cbor import WireFormatError, decode, encode

if TYPE_CHECKING:
    from sync.authority import Refusal

Judge = Callable[[DocId, Document, list[bytes], list[Any]], "list[Refusal]"]
"""Checks a batch of received changes (``sync.authority.Authority.judge``)."""

log = logging.getLogger("countertop.sync.replication")

PROTOCOL_VERSION = "1"
HANDSHAKE_TIMEOUT = 15.0
MAX_MESSAGE = 16 * 1024 * 1024  # the link's frame cap (``tls_link.LinkLimits``)
#: messages at least this big are decoded on a worker thread, not on the engine's loop
OFF_LOOP_BYTES = 256 * 1024


class Transport(Protocol):
    async def send(self, msg: bytes) -> None: ...
    async def recv(self) -> bytes: ...
    async def close(self) -> None: ...


class ProtocolError(PeerError):
    """The peer broke the protocol; the session ends with this reason logged."""


@dataclass(eq=False)
class Session:
    """One connected peer: its id, per-document sync states and counters."""

    transport: Transport
    peer_id: str = ""
    direction: str = "out"
    states: dict[DocId, SyncState] = field(default_factory=dict)
    unavailable: set[DocId] = field(default_factory=set)
    in_sync: set[DocId] = field(default_factory=set)  # nothing left to send them
    refused_docs: int = 0  # documents offered that the shop does not list
    refused_changes: int = 0  # changes the authority check refused
    connected_at: float = field(default_factory=time.time)
    last_received: float | None = None
    last_sent: float | None = None
    messages_in: int = 0
    messages_out: int = 0
    bytes_in: int = 0
    bytes_out: int = 0
    #: documents the peer sent a sync message for (a relay that syncs none is a fault)
    synced: set[DocId] = field(default_factory=set)
    #: a relay: documents go by their relay id there (``am_doc.relay_doc_id``)
    relay: bool = False
    wake: asyncio.Event = field(default_factory=asyncio.Event)

    def state(self, doc_id: DocId) -> SyncState:
        st = self.states.get(doc_id)
        if st is None:
            st = self.states[doc_id] = SyncState()
        return st


class Replicator:
    """Runs automerge-repo sessions over transports handed to ``connect``/``accept``.

    Single writer: every method runs on the engine's event loop.
    """

    def __init__(self, store: DocumentStore, peer_id: str, *,
                 on_merged: Callable[[list[DocId]], None] | None = None,
                 documents: Callable[[], Iterable[DocId]] | None = None,
                 accepts: Callable[[DocId], bool] | None = None,
                 storage_id: str | None = None,
                 judge: Judge | None = None,
                 on_refused: Callable[[DocId, list[Refusal]], None] | None = None) -> None:
        self.store = store
        self._judge = judge
        self._on_refused = on_refused
        self.peer_id = peer_id
        self._on_merged = on_merged
        self._documents = documents or store.ids
        self._accepts = accepts
        self._storage_id = storage_id
        self.sessions: set[Session] = set()
        self._dirty: set[DocId] = set()
        self._flush_handle: asyncio.Handle | None = None
        self._wanted: set[DocId] = set()
        self._relay_ids: dict[str, DocId] = {}

    # ------------------------------------------------------------------ public API

    async def connect(self, transport: Transport) -> str:
        """We dialled: send ``join``, expect ``peer``, then sync until the link ends.

        A transport with a true ``relay`` attribute is a standard sync server: there
        every document goes by its relay id (``am_doc.relay_doc_id``)."""
        session = Session(transport, direction="out",
                          relay=bool(getattr(transport, "relay", False)))
        await self._send(session, {"type": "join", "senderId": self.peer_id,
                                   "peerMetadata": self._metadata(),
                                   "supportedProtocolVersions": [PROTOCOL_VERSION]})
        reply = await self._recv(session, timeout=HANDSHAKE_TIMEOUT)
        if reply.get("type") == "error":
            raise ProtocolError(f"peer refused: {reply.get('message')}")
        if reply.get("type") != "peer":
            raise ProtocolError(f"expected a peer message, got {reply.get('type')!r}")
        session.peer_id = str(reply.get("senderId") or "")
        return await self._run(session)

    async def accept(self, transport: Transport) -> str:
        """They dialled: expect ``join``, answer ``peer``, then sync until the link ends."""
        session = Session(transport, direction="in")
        first = await self._recv(session, timeout=HANDSHAKE_TIMEOUT)
        if first.get("type") != "join":
            raise ProtocolError(f"expected a join message, got {first.get('type')!r}")
        versions = first.get("supportedProtocolVersions") or []
        if PROTOCOL_VERSION not in versions:
            await self._send(session, {"type": "error", "senderId": self.peer_id,
                                       "message": f"unsupported protocol versions {versions}"})
            raise ProtocolError(f"peer speaks protocol versions {versions}, we speak "
                                f"{PROTOCOL_VERSION}")
        session.peer_id = str(first.get("senderId") or "")
        await self._send(session, {"type": "peer", "senderId": self.peer_id,
                                   "targetId": session.peer_id,
                                   "peerMetadata": self._metadata(),
                                   "selectedProtocolVersion": PROTOCOL_VERSION})
        return await self._run(session)

    def local_change(self) -> None:
        """Local documents changed: every session sends what its peer lacks."""
        for session in self.sessions:
            session.wake.set()

    def want(self, doc_id: DocId) -> None:
        """We know of ``doc_id`` (e.g. listed in the shop document) but do not hold it."""
        if self.store.exists(doc_id):
            return
        self._wanted.add(doc_id)
        for session in self.sessions:
            session.wake.set()

    def docs_in_sync(self) -> dict[int, tuple[int, int]]:
        """id(transport) -> (documents with nothing left to send, documents shared)."""
        return {id(s.transport): (len(s.in_sync), len(s.states)) for s in self.sessions}

    def status(self) -> list[dict[str, Any]]:
        out = []
        for s in self.sessions:
            out.append({"peer_id": s.peer_id, "direction": s.direction,
                        "connected_at": s.connected_at, "last_received": s.last_received,
                        "last_sent": s.last_sent, "messages_in": s.messages_in,
                        "messages_out": s.messages_out, "bytes_in": s.bytes_in,
                        "bytes_out": s.bytes_out, "documents": len(s.states),
                        "documents_in_sync": len(s.in_sync),
                        "refused_changes": s.refused_changes,
                        "documents_synced": len(s.synced), "relay": s.relay,
                        "refused_documents": s.refused_docs})
        return out

    # ------------------------------------------------------------------ session

    def _metadata(self) -> dict[str, Any]:
        meta: dict[str, Any] = {"isEphemeral": False}
        if self._storage_id:
            meta["storageId"] = self._storage_id
        return meta

    async def _run(self, session: Session) -> str:
        self.sessions.add(session)
        log.info("sync session with %s (%s)", session.peer_id, session.direction)
        sender = asyncio.create_task(self._send_loop(session))
        try:
            while True:
                msg = await self._recv(session)
                await self._handle(session, msg)
        except (ConnectionError, asyncio.IncompleteReadError, EOFError) as exc:
            return f"closed: {exc or 'connection ended'}"
        finally:
            self.sessions.discard(session)
            sender.cancel()
            try:
                await sender
            except asyncio.CancelledError:
                pass
            except Exception as exc:
                log.info("sending to %s stopped: %s", session.peer_id[:12], exc)
            self._flush()

    async def _send_loop(self, session: Session) -> None:
        """Announce every document, then send again whenever something changes."""
        session.wake.set()
        while True:
            await session.wake.wait()
            session.wake.clear()
            for doc_id in list(self._documents()):
                await self._offer(session, doc_id)
                await asyncio.sleep(0)
            for doc_id in list(self._wanted):
                if self.store.exists(doc_id):
                    self._wanted.discard(doc_id)
                elif doc_id not in session.states:
                    await self._send(session, {
                        "type": "request", "senderId": self.peer_id,
                        "targetId": session.peer_id, "documentId": doc_id,
                        "data": Document().generate_sync_message(session.state(doc_id)).encode()})

    async def _offer(self, session: Session, doc_id: DocId) -> None:
        stored = self.store.get(doc_id)
        msg = stored.doc.generate_sync_message(session.state(doc_id))
        if msg is None:
            session.in_sync.add(doc_id)
        else:
            session.in_sync.discard(doc_id)
            await self._send(session, {"type": "sync", "senderId": self.peer_id,
                                       "targetId": session.peer_id, "documentId": doc_id,
                                       "data": msg.encode()})

    async def _handle(self, session: Session, msg: dict[str, Any]) -> None:
        kind = msg.get("type")
        if session.relay and isinstance(msg.get("documentId"), str):
            msg["documentId"] = self._from_relay(str(msg["documentId"]))
        if kind in ("sync", "request"):
            doc_id = msg.get("documentId")
            data = msg.get("data")
            if not isinstance(doc_id, str) or not is_doc_id(doc_id) or not isinstance(
                    data, bytes):
                raise ProtocolError(f"malformed {kind} message")
            doc_id = DocId(doc_id)
            if not self.store.exists(doc_id):
                if kind == "request" and doc_id not in self._wanted:
                    await self._send(session, {"type": "doc-unavailable",
                                               "senderId": self.peer_id,
                                               "targetId": session.peer_id,
                                               "documentId": doc_id})
                    return
                if doc_id not in self._wanted and not self._accept(doc_id):
                    # Once is normal: a till's new period document can arrive before the
                    # shop document listing it (we ask for it when the listing merges).
                    # Many are a broken or hostile peer.
                    session.refused_docs += 1
                    count = session.refused_docs
                    if count == 1 or count == 10 or count % 1000 == 0:
                        log.log(logging.INFO if count == 1 else logging.WARNING,
                                "peer %s offers document %s that the shop does not list; "
                                "not taking it (%d so far)", session.peer_id[:12], doc_id,
                                count)
                    return
                log.info("peer %s shares document %s; creating it here", session.peer_id,
                         doc_id)
                self.store.create(doc_id)
                self._wanted.discard(doc_id)
            session.synced.add(doc_id)
            stored = self.store.get(doc_id)
            before = stored.doc.get_heads()
            try:
                stored.doc.receive_sync_message(session.state(doc_id), Message.decode(data))
            except Exception as exc:
                raise ProtocolError(f"bad sync message for {doc_id}: {exc}") from exc
            if stored.doc.get_heads() != before and self._judge is not None:
                self._check(session, doc_id, stored, before)
            if stored.doc.get_heads() != before:
                self._mark_dirty(doc_id)
            await self._offer(session, doc_id)
        elif kind == "doc-unavailable":
            doc_id = msg.get("documentId")
            if isinstance(doc_id, str):
                session.unavailable.add(DocId(doc_id))
        elif kind == "error":
            raise ProtocolError(f"peer reported an error: {msg.get('message')}")
        elif kind in ("ephemeral", "remote-heads-changed", "remote-subscription-change",
                      "join", "peer", "leave"):
            return
        else:
            log.info("ignoring unknown message type %r from %s", kind, session.peer_id)

    def _check(self, session: Session, doc_id: DocId, stored: StoredDocument,
               before: list[bytes]) -> None:
        """Judge what the message brought; roll back what the check refuses (before
        anything of it is persisted), keep refused changes in quarantine, report them."""
        assert self._judge is not None
        changes = stored.doc.get_changes(before)
        try:
            refusals = self._judge(doc_id, stored.doc, before, changes)
        except Exception:  # a bug in the check must not let changes in unchecked
            log.exception("checking changes for %s failed; refusing them", doc_id)
            stored.drop_changes({bytes(c.hash) for c in changes})
            session.states[doc_id] = SyncState()
            return
        if not refusals:
            return
        stored.drop_changes({r.hash for r in refusals})
        session.states[doc_id] = SyncState()  # what it thinks we hold is not so any more
        session.refused_changes += len(refusals)
        for refusal in refusals:
            if refusal.permanent:
                self.store.keep_refused(doc_id, bytes(refusal.change.bytes), refusal.reason)
        first = refusals[0]
        log.warning("refused %d change(s) to %s from peer %s: %s (author %s)", len(refusals),
                    doc_id, session.peer_id[:12], first.reason, (first.author or "unknown")[:12])
        if self._on_refused is not None:
            try:
                self._on_refused(doc_id, refusals)
            except Exception:
                log.exception("reporting refused changes failed")

    def resync(self) -> None:
        """Start every document's sync over with every peer (after the member list
        changed: changes deferred for an unknown author are offered again)."""
        for session in self.sessions:
            session.states.clear()
            session.in_sync.clear()
            session.wake.set()

    def _accept(self, doc_id: DocId) -> bool:
        if self._accepts is None:
            return True
        try:
            return self._accepts(doc_id)
        except Exception:  # a bug in the policy: refuse, with the context logged
            log.exception("document policy failed for %s", doc_id)
            return False

    def _mark_dirty(self, doc_id: DocId) -> None:
        self._dirty.add(doc_id)
        if self._flush_handle is None:
            self._flush_handle = asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        """Persist merged documents (fsync) and report them once per burst."""
        self._flush_handle = None
        dirty, self._dirty = sorted(self._dirty), set()
        if not dirty:
            return
        for doc_id in dirty:
            self.store.get(doc_id).persist()
        for session in self.sessions:  # relay what we learnt to the other peers
            session.wake.set()
        if self._on_merged is not None:
            try:
                self._on_merged(dirty)
            except Exception:
                log.exception("handling merged documents failed")

    # ------------------------------------------------------------------ framing

    def _from_relay(self, relay_id: str) -> str:
        """Our id of a document a relay names by its relay id (unknown ids pass as they
        are: a new document's id is its relay id)."""
        found = self._relay_ids.get(relay_id)
        if found is None:
            known = {*self._documents(), *self._wanted, *self.store.ids()}
            self._relay_ids = {relay_doc_id(d): d for d in known if is_doc_id(d)}
            found = self._relay_ids.get(relay_id)
        return found if found is not None else relay_id

    async def _send(self, session: Session, obj: dict[str, Any]) -> None:
        if session.relay and "documentId" in obj:
            obj = {**obj, "documentId": relay_doc_id(str(obj["documentId"]))}
        data = encode(obj)
        await session.transport.send(data)
        session.messages_out += 1
        session.bytes_out += len(data)
        session.last_sent = time.time()

    async def _recv(self, session: Session, timeout: float | None = None) -> dict[str, Any]:
        if timeout is not None:
            async with asyncio.timeout(timeout):
                data = await session.transport.recv()
        else:
            data = await session.transport.recv()
        if len(data) > MAX_MESSAGE:
            raise ProtocolError(f"message of {len(data)} bytes is over the limit")
        try:  # only the protocol's types, bounded work (``sync.wire_cbor``)
            if len(data) >= OFF_LOOP_BYTES:
                msg = await asyncio.to_thread(decode, bytes(data))
            else:
                msg = decode(bytes(data))
        except (WireFormatError, RecursionError) as exc:
            raise ProtocolError(f"undecodable message: {exc}") from exc
        if not isinstance(msg, dict):
            raise ProtocolError("message is not a CBOR map")
        session.messages_in += 1
        session.bytes_in += len(data)
        session.last_received = time.time()
        return msg


"""The till engine's core: one data dir, its documents, ledger and read model.

Used in two ways: by the long-running ``countertop engine`` process (behind IPC, with
devices and peers), and in-process by the CLI when no engine runs. Either way it is the
only writer of the data dir (a lock), and every mutation goes through ``execute`` so
the read model and listeners see exactly what changed.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sync.changes import Changes
from sync.data_dir import DataDir, ShopPointer, WriterLock
from sync.doc_storage import DocumentStore
from sync.errors import NoShop, StorageCorrupt
from sync.identity import Signer, TillIdentity, certificate_der, load_or_create
from sync.ids import DocId
from sync.ledger import ShopLedger
from sync.phones import try_normalise_phone
from sync.read_model import queries
from sync.read_model.projector import ReadModel
from sync.seals import session_actor

log = logging.getLogger("countertop.engine")

ChangeListener = Callable[[Changes], None]


class TillEngine:
    """Owns the data dir while open. Not thread-safe: call from one thread (or loop)."""

    def __init__(self, root: Path, *, role: str = "engine") -> None:
        self.data_dir = DataDir(root)
        self.data_dir.ensure()
        self._lock = WriterLock(self.data_dir.root)
        self._lock.acquire(role)
        self._listeners: list[ChangeListener] = []
        self._exec_lock = threading.RLock()
        try:
            self.identity: TillIdentity = load_or_create(self.data_dir.identity_dir)
            self.signer = Signer(self.identity)
            # actor ids bound to this till, fresh per run (``sync.seals``)
            self.store = DocumentStore(self.data_dir.root,
                                       actor=session_actor(self.identity.till_id))
            self.read_model = ReadModel(self.data_dir.read_model_path)
            self.ledger = self._make_ledger(self.data_dir.read_pointer())
            self.catch_up()
            self.adopt_authority()
            self.data_dir.secure()  # what opening created, too (the read model's files)
        except BaseException:
            self._lock.release()
            raise

    def _make_ledger(self, pointer: ShopPointer | None) -> ShopLedger:
        conn = self.read_model.conn
        ledger = ShopLedger(
            self.store, self.identity.till_id, None,
            locate_order=lambda ref: queries.locate_order(conn, ref),
            locate_message=lambda mid: queries.locate_message(conn, mid),
            signer=self.signer,
            locate_customer=lambda ref: queries.locate_customer(
                conn, ref, lambda t: try_normalise_phone(t, ledger.region) if ledger.shop_doc_id
                else None))
        if pointer is not None:
            if pointer.till_id != self.identity.till_id:
                log.warning("shop pointer names till %s but this identity is %s",
                            pointer.till_id, self.identity.till_id)
            ledger.shop_doc_id = pointer.shop_doc
            ledger.open_shop()
        return ledger

    @property
    def has_shop(self) -> bool:
        return self.ledger.shop_doc_id is not None

    def require_shop(self) -> ShopLedger:
        if not self.has_shop:
            raise NoShop("no shop here yet: run `countertop shop create --name NAME` "
                         "or `countertop join` first")
        return self.ledger

    def adopt_authority(self) -> None:
        """Shops from before sealed authorship (``sync.authority``), once per till: record
        this till's certificate in its member record, and vouch for every change it holds
        (written under actor ids not bound to any till)."""
        if not self.has_shop:
            return
        tills = self.ledger.tills
        if self.identity.till_id not in tills.members():
            return
        cert = certificate_der(self.identity)
        self.execute(lambda L: L.tills.register_cert(cert))
        if len(tills.all()) > 1 and self.identity.till_id not in tills.vouched():
            self.execute(lambda L: L.tills.vouch(self.held_heads()))

    def held_heads(self) -> dict[str, list[str]]:
        """Document id -> the heads this till holds (hex), without loading documents."""
        out: dict[str, list[str]] = {}
        for doc_id in self.store.ids():
            if self.store.is_loaded(doc_id):
                out[doc_id] = sorted(h.hex() for h in self.store.get(doc_id).doc.get_heads())
            else:
                out[doc_id] = [h for h in (self.store.stored_heads(doc_id) or "").split(",") if h]
        return out

    # ------------------------------------------------------------------ listeners

    def subscribe(self, listener: ChangeListener) -> Callable[[], None]:
        self._listeners.append(listener)
        return lambda: self._listeners.remove(listener)

    def _emit(self, changes: Changes) -> None:
        if changes.empty():
            return
        for listener in list(self._listeners):
            try:
                listener(changes)
            except Exception:
                log.exception("change listener failed")

    # ------------------------------------------------------------------ mutations

    def execute(self, command: Callable[[ShopLedger], Changes]) -> Changes:
        """Run one ledger command, then update the read model and notify listeners."""
        with self._exec_lock:
            before = {s.doc_id: s.doc.get_heads() for s in self.store.loaded()}
            changes = command(self.ledger)
            if changes.created and self.ledger.shop_doc_id == changes.created:
                self.data_dir.write_pointer(ShopPointer(self.ledger.shop_doc_id,
                                                        self.identity.till_id))
            self._project(changes, before)
            self._check_overbooking(changes)
        self._emit(changes)
        if changes.created and changes.created == self.ledger.shop_doc_id and changes.tills:
            self.adopt_authority()  # a shop just created here: its first till's certificate
        return changes

    def _project(self, changes: Changes,
                 before: dict[DocId, list[bytes]] | None = None) -> None:
        """Project every loaded document whose heads moved (``changes`` narrows the work).

        ``changes`` names only what the command wrote. A document that already held
        merged but unprojected remote changes when the command ran (the replicator
        reports merges once per burst, so a command can come in between), or whose
        heads ``before`` the command are unknown, is projected from its diff instead and
        what the diff found joins ``changes``; projecting it narrowly would mark those
        remote records projected without ever reading them.
        """
        for stored in self.store.loaded():
            heads = stored.doc.get_heads()
            projected = self._projected.get(stored.doc_id)
            if projected == heads:
                continue
            prior = before.get(stored.doc_id, projected) if before is not None else heads
            if prior == projected:
                self._project_doc(stored.doc_id, changes)
            else:
                changes.merge(self._project_doc(stored.doc_id, None))
            self._projected[stored.doc_id] = heads

    def _project_doc(self, doc_id: DocId, changes: Changes | None) -> Changes:
        stored = self.store.get(doc_id)
        return self.read_model.project_document(doc_id, stored.doc, changes)

    def _check_overbooking(self, changes: Changes) -> None:
        """Alerts for the levels ``changes`` moved: overbooking (below zero) and low stock
        (at or under the product's threshold; resolved again when stock recovers)."""
        if not changes.stock or not self.has_shop:
            return
        from decimal import Decimal

        raised = Changes()
        before = {s.doc_id: s.doc.get_heads() for s in self.store.loaded()}
        cause = next(iter(changes.stock_moves)) if len(changes.stock_moves) == 1 else ""
        for sku, location, avail in queries.overbooked(self.read_model.conn, changes.stock):
            raised.merge(self.ledger.alerts.raise_overbooking(
                sku, location, Decimal(avail) / 1000, cause=cause))
        levels = [(sku, location, Decimal(avail) / 1000, bool(low))
                  for sku, location, avail, low in queries.low_stock_states(
                      self.read_model.conn, changes.stock)]
        if levels:
            raised.merge(self.ledger.alerts.check_low_stock(levels, cause=cause))
        if not raised.empty():
            # with ``before``, only the alerts are projected; without it the shop document
            # was diffed from its last projection: ~1 s with 20k customers
            self._project(raised, before)
            changes.merge(raised)

    def merged_remote(self, doc_ids: list[DocId]) -> Changes:
        """After remote changes were merged into ``doc_ids``: reproject, alert, notify."""
        with self._exec_lock:
            total = Changes()
            for doc_id in doc_ids:
                stored = self.store.get(doc_id)
                got = self._project_doc(doc_id, None)
                self._projected[doc_id] = stored.doc.get_heads()
                # Reindexing scans the whole period. Orders need no index (the ledger
                # finds unindexed ones through the read model); messages do (dedupe
                # keys). Empty ``got``: a command already projected it (see _project).
                if doc_id != self.ledger.shop_doc_id and (got.messages or got.empty()):
                    self.ledger.docs.reindex(doc_id)
                total.merge(got)
            self._check_overbooking(total)
            self._check_numbers(total)
        self._emit(total)
        return total

    def _check_numbers(self, changes: Changes) -> None:
        """After a merge: order numbers this till gave that it did not hold.

        A till whose disk lost its last acknowledged writes (a restored backup, a VM
        snapshot, a lying disk cache) numbers on from where its disk says, reissuing
        numbers its peers already hold. When its lost orders come back by sync, its
        sequence moves past them, and any number two orders now share raises an alert
        (issue 15, point 10): nothing is renumbered behind staff's back.
        """
        if not changes.orders or not self.has_shop:
            return
        conn = self.read_model.conn
        docs = self.ledger.docs
        highest = queries.highest_order_seq(conn, self.identity.till_id, changes.orders)
        if highest > docs.seq:
            log.warning("orders this till numbered up to %d came back by sync, past its own "
                        "count of %d (its disk lost writes?): numbering on from %d",
                        highest, docs.seq, highest + 1)
            docs.seq = highest
        for number, order_ids in queries.duplicate_order_numbers(conn, changes.orders).items():
            before = {s.doc_id: s.doc.get_heads() for s in self.store.loaded()}
            raised = self.ledger.alerts.raise_duplicate_number(number, order_ids)
            if not raised.empty():
                self._project(raised, before)
                changes.merge(raised)

    # ------------------------------------------------------------------ read model

    def catch_up(self) -> float:
        """Bring the read model level with the documents; returns seconds taken.

        Loaded documents (the shop, recent periods) are compared by heads. Older periods
        stay unloaded unless the heads their store last persisted differ from the heads
        the read model projected (the engine died between persisting and projecting) or
        the read model never saw them (it was deleted): only those are loaded.
        """
        started = time.perf_counter()
        self._projected: dict[DocId, list[bytes]] = {}
        projected = queries.known_docs(self.read_model.conn)
        for doc_id in self.store.ids():
            if self.store.is_loaded(doc_id):
                continue
            seen = projected.get(doc_id)
            if seen is not None and seen["heads"] == self.store.stored_heads(doc_id):
                continue
            try:
                self.store.get(doc_id)
            except StorageCorrupt as exc:
                log.error("document %s is not in the read model and cannot be read: %s",
                          doc_id, exc)
        for stored in self.store.loaded():
            self._project_doc(stored.doc_id, None)
            self._projected[stored.doc_id] = stored.doc.get_heads()
        return time.perf_counter() - started

    def rebuild_read_model(self) -> dict[str, Any]:
        """Recreate the read model from every stored document (loads old periods too)."""
        with self._exec_lock:
            started = time.perf_counter()
            self.read_model.clear()
            ids = self.store.ids()
            shop = self.ledger.shop_doc_id
            ordered = ([shop] if shop in ids else []) + [d for d in ids if d != shop]
            for doc_id in ordered:
                stored = self.store.get(doc_id)
                self._project_doc(doc_id, None)
                self._projected[doc_id] = stored.doc.get_heads()
            return {"documents": len(ordered), "seconds": round(time.perf_counter() - started, 3)}

    def close(self) -> None:
        self.store.close()
        self.read_model.close()
        self._lock.release()


"""The ledger's documents: which exist, which are loaded, and how one is written.

A shop is one shop document plus period documents, one per till per month
(DESIGN.md "Keep each document small"). ``LedgerDocuments`` lists the period documents
(from the shop document's ``periods``), finds or makes this till's one for a month,
remembers which orders and messages the loaded ones hold, and keeps this till's order
sequence. ``write`` is the only way the ledger changes a document: one Automerge
transaction, fsynced before the block returns.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, Protocol

from automerge.core import ScalarType

from sync.am_doc import Reader, Root, Writer, new_doc_id
from sync.am_touch import TOUCH_KEY, next_local_seq, write_touch_hint
from sync.doc_storage import StoredDocument
from sync.ids import DocId, OrderId, TillId
from sync.ledger.records import SCHEMA_VERSION
from sync.seals import seal_hint, seal_payload

if TYPE_CHECKING:
    from sync.doc_storage import DocumentStore


class LedgerCore(Protocol):
    """What the managers read of their ledger (``ShopLedger`` is the one implementation):
    typed here, so no manager depends on the module that builds them all."""

    store: DocumentStore
    till_id: TillId
    shop_doc_id: DocId | None
    docs: LedgerDocuments
    #: signs seals (``sync.authority``); None in tests of one till's ledger
    signer: Callable[[bytes], bytes] | None

    def clock(self) -> dt.datetime: ...

    @property
    def shop_doc(self) -> StoredDocument: ...

    @property
    def tz(self) -> dt.tzinfo: ...

    @property
    def region(self) -> str: ...

    @property
    def currency(self) -> str: ...

    @property
    def locale(self) -> str: ...

    def money_text(self, minor: int) -> str: ...

    def setting(self, key: str, default: Any = None) -> Any: ...

    def month_of(self, when: dt.datetime) -> str: ...


def doc_seq(reader: Reader) -> int:
    """The last order number this till gave in its period document (read by ``reader``).

    A document keeps ``seq_base``, the sequence when it was made; each order in it took
    the next number (a till writes orders only into its own documents, and never deletes
    one), so the latest is base + orders. Bumping a running ``seq`` at the document root
    on every order cost ~12 ms at 5k orders a month: with Automerge 0.2.0.dev4 a write
    costs in proportion to the operations stored after its object, and the root's come
    first. Documents from before ``seq_base`` kept that running ``seq``; the larger wins.
    """
    seq = int(reader.value(Root, "seq", 0) or 0)
    base = reader.value(Root, "seq_base")
    if base is not None:
        orders = reader.obj(Root, "orders")
        seq = max(seq, int(base) + (len(reader.keys(orders)) if orders is not None else 0))
    return seq


class LedgerDocuments:
    """The shop's documents as one till sees them, and the indexes of the loaded ones."""

    def __init__(self, ledger: LedgerCore, *,
                 locate_order: Callable[[str], tuple[OrderId, DocId] | None] | None = None
                 ) -> None:
        self.ledger = ledger
        self.store = ledger.store
        #: the read model's lookup of any order by id or number (None in plain tests)
        self.locate_order = locate_order
        self.orders: dict[str, DocId] = {}  # order id -> period doc (loaded docs)
        self.numbers: dict[str, str] = {}  # order number -> order id (loaded docs)
        self.message_keys: dict[str, tuple[DocId, str]] = {}
        self.messages: dict[str, DocId] = {}  # message id -> period doc (loaded docs)
        self.my_periods: dict[str, DocId] = {}  # month -> this till's period doc
        self.indexed: set[DocId] = set()
        self.seq = 0  # the last order number this till gave

    def create(self) -> StoredDocument:
        """A new, empty document in the store, under a fresh automerge-repo id."""
        return self.store.create(new_doc_id())

    @contextmanager
    def write(self, stored: StoredDocument) -> Iterator[Writer]:
        """One transaction on one document, durable (fsynced) when the block exits.

        In a shop of several tills the change also carries the records it touched
        (``am_touch.write_touch_hint``), so the other tills update their read models without
        diffing the whole document. The hint is a write into an object made early in the
        document, which automerge 0.2.0.dev4 charges in proportion to everything after it
        (~11 ms per command at 5k orders a month), so a till alone does not pay for it.

        There too, the change is *sealed*: a second, one-op change carries this till's
        signature over the first one's hash (``sync.authority``), so the other tills can
        tell it really is this till's. Both are fsynced together.
        """
        hints = self._several_tills(stored)
        seal = hints and self.ledger.signer is not None
        if hints:
            seq, actor = next_local_seq(stored.doc), stored.doc.get_actor()
            before = stored.doc.get_heads()
        with stored.doc.transaction() as tx:
            w = Writer(tx)
            yield w
            if hints:
                if seal:  # the seal must be one op: the hint map exists before it
                    w.ensure_map(Root, TOUCH_KEY)
                write_touch_hint(w, actor, seq)
        if seal and stored.doc.get_heads() != before:
            self._seal(stored)
        stored.persist()

    def _seal(self, stored: StoredDocument) -> None:
        """The one-op seal change after this till's latest change in ``stored``."""
        signer = self.ledger.signer
        last = stored.doc.get_last_local_change()
        if signer is None or last is None:
            return
        signature = signer(seal_payload(stored.doc_id, bytes(last.hash)))
        actor = bytes(stored.doc.get_actor()).hex()
        with stored.doc.transaction() as tx:
            touch = Reader(tx).obj(Root, TOUCH_KEY)
            assert touch is not None
            tx.put(touch, actor, ScalarType.Str,
                   seal_hint(int(last.seq) + 1, bytes(last.hash), signature))

    def _several_tills(self, stored: StoredDocument) -> bool:
        if self.ledger.shop_doc_id is None:  # creating the shop
            return False
        shop = self.ledger.shop_doc.doc
        tills = Reader(shop).obj(Root, "tills")
        return tills is not None and len(Reader(shop).keys(tills)) > 1

    def reader(self, doc_id: DocId) -> Reader:
        return Reader(self.store.get(doc_id).doc)

    def periods(self) -> dict[str, dict[str, Any]]:
        """month -> {doc_id: {month, till, created_at}} for every period document of the shop.

        Stored flat, ``periods[doc_id]``: two tills starting a month at the same time each
        add their own key. A map per month would be created by both, and a merge keeps
        only one of two concurrently created maps, losing the other till's document.
        """
        out: dict[str, dict[str, Any]] = {}
        stored = Reader(self.ledger.shop_doc.doc).value(Root, "periods", {}) or {}
        for doc_id, meta in stored.items():
            if isinstance(meta, dict) and meta.get("month"):
                out.setdefault(str(meta["month"]), {})[doc_id] = meta
        return out

    def period_doc_ids(self) -> list[DocId]:
        return [DocId(d) for month in sorted(self.periods()) for d in self.periods()[month]]

    def my_period_docs(self) -> list[DocId]:
        """This till's period documents, oldest month first."""
        out = []
        for _month, docs in sorted(self.periods().items()):
            for doc_id, meta in docs.items():
                if meta.get("till") == self.ledger.till_id:
                    out.append(DocId(doc_id))
        return out

    def current_period_docs(self) -> list[DocId]:
        """Period documents loaded at start: this month's and last month's, every till."""
        now = self.ledger.clock().astimezone(self.ledger.tz)
        last = (now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        periods = self.periods()
        wanted: list[DocId] = []
        for month in (last, now.strftime("%Y-%m")):
            wanted.extend(DocId(d) for d in periods.get(month, {}) if self.store.exists(DocId(d)))
        return wanted

    def index(self, doc_id: DocId) -> None:
        """Learn which orders and messages a loaded period document holds.

        Order ids are the map's keys (one read). Numbers take two reads per order (1.5 s
        of engine start with 18k orders in the loaded months), so with a ``locate_order``
        (the engine's read model knows every number) numbers are left to it.
        """
        if doc_id in self.indexed:
            return
        reader = self.reader(doc_id)
        orders = reader.obj(Root, "orders")
        if orders is not None and self.locate_order is not None:
            for oid in reader.keys(orders):
                self.orders[oid] = doc_id
        elif orders is not None:
            for oid, obj in reader.items(orders):
                self.orders[oid] = doc_id
                number = reader.value(obj, "number")
                if number:
                    self.numbers[str(number)] = oid
        messages = reader.obj(Root, "messages")
        if messages is not None:
            for mid, obj in reader.items(messages):
                if self.messages.get(mid, doc_id) < doc_id:
                    continue  # two tills stored it: use the copy the read model shows
                self.messages[mid] = doc_id
                key = reader.value(obj, "dedupe_key")
                if key:
                    self.message_keys[str(key)] = (doc_id, mid)
        self.indexed.add(doc_id)

    def reindex(self, doc_id: DocId) -> None:
        """After a merge brought new records into ``doc_id``."""
        self.indexed.discard(doc_id)
        self.index(doc_id)

    def my_period(self, when: dt.datetime | None = None) -> StoredDocument:
        """This till's period document for the month of ``when``, created on first use."""
        ledger = self.ledger
        month = ledger.month_of(when or ledger.clock())
        cached = self.my_periods.get(month)
        if cached is not None:
            return self.store.get(cached)
        for doc_id, meta in self.periods().get(month, {}).items():
            if meta.get("till") == ledger.till_id and self.store.exists(DocId(doc_id)):
                self.index(DocId(doc_id))
                self.my_periods[month] = DocId(doc_id)
                return self.store.get(DocId(doc_id))
        stored = self.create()
        doc_id = stored.doc_id
        with self.write(stored) as w:
            w.put(Root, "schema", SCHEMA_VERSION)
            w.put(Root, "kind", "period")
            w.put(Root, "month", month)
            w.put(Root, "till", ledger.till_id)
            w.put(Root, "seq_base", self.seq)  # see doc_seq
            for key in ("orders", "messages", "calls", "stock", "stock_moves"):
                w.put_map(Root, key, {})
        with self.write(ledger.shop_doc) as w:
            periods = w.ensure_map(Root, "periods")
            w.put_map(periods, doc_id, {"month": month, "till": ledger.till_id,
                                        "created_at": ledger.clock()})
        self.indexed.add(doc_id)
        self.my_periods[month] = doc_id
        return stored

"""A second till for engine tests: its own store, and delivery of its documents.

``deliver`` does what replication does with another till's documents: merge them into
the engine's stored copies (or store new ones), persist, and return the ids that changed,
ready for ``TillEngine.merged_remote``.
"""

from __future__ import annotations

from pathlib import Path

from automerge.core import Document

from app.engine.till_engine import TillEngine
from sync.doc_storage import DocumentStore
from sync.ids import DocId, TillId
from sync.ledger import ShopLedger


def second_till(engine: TillEngine, root: Path) -> ShopLedger:
    """Till B, paired: a member of the shop with its own copy of the shop document."""
    engine.execute(lambda L: L.tills.add("till-b", "Till 2"))
    shop = engine.ledger.shop_doc
    store = DocumentStore(root)
    store.create(shop.doc_id, Document.load(shop.doc.save()))
    return ShopLedger(store, TillId("till-b"), shop.doc_id)


def deliver(b: ShopLedger, engine: TillEngine) -> list[DocId]:
    """What replication does with B's documents on A: merge, persist, then tell the engine."""
    changed = []
    for doc_id in b.store.ids():
        theirs = b.store.get(doc_id).doc
        if engine.store.exists(doc_id):
            stored = engine.store.get(doc_id)
            before = stored.doc.get_heads()
            stored.doc.merge(theirs)
            stored.persist()
            if stored.doc.get_heads() != before:
                changed.append(doc_id)
        else:
            engine.store.create(doc_id, Document.load(theirs.save()))
            changed.append(doc_id)
    return changed

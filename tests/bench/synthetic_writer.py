"""Writes one till's synthetic order history, in a helper process (see synthetic_shop).

Automerge 0.2.0.dev4's core spends 20-50 us per operation inside a transaction (measured
here), ~5 ms per imported order: 300k orders would take 25 CPU-minutes. The older
1.0.0rc1 core writes the same operations at 1-3 us. ``synthetic_shop`` therefore runs
this module under a small helper venv with that core when it can; the documents it
writes are then re-saved by the project's core, so what the benchmarks load is what the
project itself would store for these changes. Run under the project venv, it works the
same, only slower.

Usage: ``python -m tests.bench.synthetic_writer < kwargs.json`` (of write_till_history).
"""

from __future__ import annotations

import hashlib
import json
import os
import sys

_B58 = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def base58check_doc_id() -> str:
    """An automerge-repo document id: base58check of 16 random bytes."""
    raw = os.urandom(16)
    data = raw + hashlib.sha256(hashlib.sha256(raw).digest()).digest()[:4]
    number = int.from_bytes(data, "big")
    out = ""
    while number:
        number, rem = divmod(number, 58)
        out = _B58[rem] + out
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + out


def _use_local_doc_ids_if_needed() -> None:
    """The older core has no ``DocumentId``; ids are then made here, in the same format."""
    try:
        from automerge._automerge import DocumentId  # noqa: F401 (is it there?)
    except ImportError:
        from sync.ids import DocId
        from sync.ledger import documents

        documents.new_doc_id = lambda: DocId(base58check_doc_id())  # type: ignore[assignment]


def _skip_touch_hints_if_needed() -> None:
    """The older core cannot name a change's actor and seq, so the ledger's touch hints
    (``am_touch.write_touch_hint``) are left out: changes without hints are what an older
    version wrote, and readers fall back to ``Document.diff`` for them. The (empty) hints
    map is still made in each document's first change, where the project's core makes it."""
    from automerge.core import Document

    if hasattr(Document, "get_last_local_change"):
        return
    from contextlib import contextmanager

    from automerge.core import ObjType

    from sync.am_doc import Root, Writer
    from sync.am_touch import TOUCH_KEY
    from sync.ledger.documents import LedgerDocuments

    @contextmanager
    def write_without_hint(self, stored):  # type: ignore[no-untyped-def]
        with stored.doc.transaction() as tx:
            w = Writer(tx)
            if Writer.obj(w, Root, TOUCH_KEY) is None:
                # the hints map where the project's core puts it: in the document's first
                # change, so later hint writes cost what they cost in a real document
                tx.put_object(Root, TOUCH_KEY, ObjType.Map)
            yield w
        stored.persist()

    LedgerDocuments.write = write_without_hint  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    from tests.bench import synthetic_shop

    _use_local_doc_ids_if_needed()
    _skip_touch_hints_if_needed()
    lines = synthetic_shop.write_till_history(**json.loads(argv[0] if argv else sys.stdin.read()))
    print(json.dumps({"lines": lines}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

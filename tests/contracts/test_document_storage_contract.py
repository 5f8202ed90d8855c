"""One acceptance suite for document storage: what the ledger and replicator rely on.

The interface (``sync/doc_storage.py``): a store of one data dir ``create``s, ``get``s
(loading lazily), tells whether a document ``exists``, lists ``ids``, says whether one
``is_loaded`` and which are ``loaded``, gives the ``stored_heads`` of a document without
loading it, and ``close``s; a stored document ``persist``s its new changes (durable
when it returns), ``compact``s, and knows its ``persisted_heads``. The promises:

- a document created, changed and persisted, then opened in a new store, has the same
  heads and content; it is listed, and loaded only when asked for;
- ``persist`` writes only what is new, and ``stored_heads`` matches ``persisted_heads``;
- compaction changes nothing a reader can see;
- an unknown id is not there (``exists`` False, ``stored_heads`` None) and ``get`` raises
  ``StorageCorrupt``; creating an existing id raises too and leaves nothing half made;
- a write torn by a crash is cut back on the next open: every change before it is kept,
  the cut bytes are kept aside for inspection, and writing goes on.

Run against: ``DocumentStore`` (snapshot plus fsynced change log), today the only
implementation. Another storage joins by adding a ``StorageKind`` to ``KINDS``: how to
open it, how a crash tears its last write, where it keeps what it cut. The file-format
cases (each way a log record can be damaged, corrupt snapshots, an unreadable change in
the middle) stay with the format in ``tests/sync/test_doc_storage.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from automerge.core import Document

from sync.am_doc import Reader, Root, Writer
from sync.doc_storage import CHANGES, DocumentStore, heads_text
from sync.errors import StorageCorrupt
from sync.ids import DocId

DOC = DocId("doc1")


@dataclass(frozen=True)
class StorageKind:
    name: str
    open: Callable[[Path], DocumentStore]
    tear_last_write: Callable[[Path, DocId], None]  # what kill -9 mid-append leaves
    kept_aside: Callable[[Path], list[Path]]  # what an open cut or skipped, for inspection
    half_made: Callable[[Path], list[Path]]  # leftovers of a create that did not finish


def _cut_log_mid_record(root: Path, doc_id: DocId) -> None:
    log = root / "docs" / doc_id / CHANGES
    log.write_bytes(log.read_bytes()[:-3])


DOCUMENT_STORE = StorageKind(
    name="DocumentStore",
    open=DocumentStore,
    tear_last_write=_cut_log_mid_record,
    kept_aside=lambda root: sorted((root / "quarantine").glob("*")),
    half_made=lambda root: sorted((root / "docs").glob("*.tmp")),
)
KINDS = [DOCUMENT_STORE]


@pytest.fixture(params=KINDS, ids=lambda k: k.name)
def kind(request: pytest.FixtureRequest) -> StorageKind:
    return request.param  # type: ignore[no-any-return]


def write_values(store: DocumentStore, n: int, start: int = 0) -> list[bytes]:
    """``n`` changes, each persisted on its own; returns the persisted heads after them."""
    stored = store.get(DOC) if store.exists(DOC) else store.create(DOC)
    for i in range(start, start + n):
        with stored.doc.transaction() as tx:
            Writer(tx).put(Root, f"k{i}", i)
        assert stored.persist() == 1
    return stored.persisted_heads


def values(store: DocumentStore) -> dict[str, int]:
    return dict(Reader(store.get(DOC).doc).to_py(Root))


def heads(store: DocumentStore) -> str:
    return heads_text(store.get(DOC).doc.get_heads())


@pytest.fixture
def store_with_ten(kind: StorageKind, tmp_path: Path) -> Path:
    store = kind.open(tmp_path)
    write_values(store, 10)
    store.close()
    return tmp_path


def test_changes_survive_reopening(kind: StorageKind, store_with_ten: Path) -> None:
    store = kind.open(store_with_ten)
    assert values(store) == {f"k{i}": i for i in range(10)}
    assert store.ids() == [DOC]
    assert kind.kept_aside(store_with_ten) == []


def test_a_reopened_document_has_the_same_heads_and_loads_when_asked(
        kind: StorageKind, tmp_path: Path) -> None:
    first = kind.open(tmp_path)
    persisted = heads_text(write_values(first, 3))
    assert heads(first) == persisted
    first.close()
    again = kind.open(tmp_path)
    assert again.exists(DOC) and again.ids() == [DOC]
    assert not again.is_loaded(DOC) and again.loaded() == []
    assert again.stored_heads(DOC) == persisted  # known without loading the document
    assert not again.is_loaded(DOC)
    assert heads(again) == persisted
    assert again.is_loaded(DOC) and [d.doc_id for d in again.loaded()] == [DOC]


def test_a_created_document_is_durable_before_any_change(kind: StorageKind,
                                                         tmp_path: Path) -> None:
    store = kind.open(tmp_path)
    created = store.create(DOC)
    assert store.exists(DOC) and store.is_loaded(DOC) and store.ids() == [DOC]
    assert store.stored_heads(DOC) == heads_text(created.persisted_heads)
    store.close()
    assert kind.open(tmp_path).ids() == [DOC]


def test_persist_writes_only_what_is_new(kind: StorageKind, tmp_path: Path) -> None:
    store = kind.open(tmp_path)
    stored = store.create(DOC)
    assert stored.persist() == 0
    with stored.doc.transaction() as tx:
        Writer(tx).put(Root, "a", 1)
    assert stored.persisted_heads != stored.doc.get_heads()  # not on disk yet
    assert stored.persist() == 1
    assert stored.persisted_heads == stored.doc.get_heads()
    assert store.stored_heads(DOC) == heads_text(stored.persisted_heads)
    assert stored.persist() == 0


def test_compaction_changes_nothing_a_reader_sees(kind: StorageKind,
                                                 store_with_ten: Path) -> None:
    store = kind.open(store_with_ten)
    before = heads(store)
    store.get(DOC).compact()
    write_values(store, 1, start=10)
    after = heads(store)
    assert after != before
    store.close()
    again = kind.open(store_with_ten)
    assert heads(again) == after
    assert values(again) == {f"k{i}": i for i in range(11)}


def test_missing_document_and_duplicate_create(kind: StorageKind, tmp_path: Path) -> None:
    store = kind.open(tmp_path)
    unknown = DocId("nope")
    assert not store.exists(unknown) and not store.is_loaded(unknown)
    assert store.stored_heads(unknown) is None
    with pytest.raises(StorageCorrupt, match="is not stored"):
        store.get(unknown)
    store.create(DOC, Document())
    with pytest.raises(StorageCorrupt, match="already exists"):
        store.create(DOC)
    assert kind.half_made(tmp_path) == []
    assert store.ids() == [DOC]


def test_a_torn_last_write_is_cut_back_without_losing_earlier_changes(
        kind: StorageKind, tmp_path: Path) -> None:
    store = kind.open(tmp_path)
    nine = heads_text(write_values(store, 9))
    write_values(store, 1, start=9)
    store.close()
    kind.tear_last_write(tmp_path, DOC)
    reopened = kind.open(tmp_path)
    assert heads(reopened) == nine
    assert values(reopened) == {f"k{i}": i for i in range(9)}
    assert kind.kept_aside(tmp_path) != []  # the cut bytes, for inspection
    ten = heads_text(write_values(reopened, 1, start=100))
    reopened.close()
    last = kind.open(tmp_path)
    assert heads(last) == ten
    assert values(last) == {**{f"k{i}": i for i in range(9)}, "k100": 100}

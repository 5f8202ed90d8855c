"""DocumentStore on real files: torn log tails, corrupt snapshots, compaction.

The file-format cases. What every document storage promises (reopening, listing,
unknown ids, a torn last write cut back) is in
``tests/contracts/test_document_storage_contract.py``, which runs on DocumentStore too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest

from sync.am_doc import Reader, Root, Writer
from sync.doc_storage import CHANGES, SNAPSHOT, DocumentStore, frame, scan_log
from sync.errors import StorageCorrupt
from sync.ids import DocId

DOC = DocId("doc1")


def write_values(store: DocumentStore, n: int, start: int = 0) -> None:
    stored = store.get(DOC) if store.exists(DOC) else store.create(DOC)
    for i in range(start, start + n):
        with stored.doc.transaction() as tx:
            Writer(tx).put(Root, f"k{i}", i)
        assert stored.persist() == 1


def values(store: DocumentStore) -> dict[str, int]:
    return dict(Reader(store.get(DOC).doc).to_py(Root))


def reopen(root: Path) -> DocumentStore:
    return DocumentStore(root)


@pytest.fixture
def store_with_ten(tmp_path: Path) -> Path:
    store = DocumentStore(tmp_path)
    write_values(store, 10)
    store.close()
    return tmp_path


def log_path(root: Path) -> Path:
    return root / "docs" / DOC / CHANGES


def cut_mid_record(data: bytes) -> bytes:
    return data[:-3]


def append_garbage(data: bytes) -> bytes:
    return data + b"\x00\xffnot a record at all"


def flip_last_byte(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x40])


def cut_mid_header(data: bytes) -> bytes:
    last = scan_log(data).records[-1]
    return data[:len(data) - len(frame(last)) + 5]


@pytest.mark.parametrize("damage, kept", [(cut_mid_record, 9), (append_garbage, 10),
                                          (flip_last_byte, 9), (cut_mid_header, 9)])
def test_torn_tail_is_cut_kept_in_quarantine_and_logged(
        store_with_ten: Path, damage: Callable[[bytes], bytes], kept: int,
        caplog: pytest.LogCaptureFixture) -> None:
    path = log_path(store_with_ten)
    good = path.read_bytes()
    damaged = damage(good)
    path.write_bytes(damaged)
    with caplog.at_level(logging.WARNING, logger="countertop.sync.storage"):
        store = reopen(store_with_ten)
        assert values(store) == {f"k{i}": i for i in range(kept)}
    assert any("damaged tail" in r.getMessage() for r in caplog.records)
    (quarantined,) = list((store_with_ten / "quarantine").glob("*.torn"))
    cut = len(scan_log(damaged).records)
    assert cut == kept
    # the log is cut back to whole records; the cut bytes are kept for inspection
    whole = sum(len(frame(r)) for r in scan_log(damaged).records)
    assert path.stat().st_size == whole
    assert quarantined.read_bytes() == damaged[whole:]
    # writing goes on after the cut, and a second reopen finds a clean log
    write_values(store, 1, start=100)
    store.close()
    again = reopen(store_with_ten)
    assert values(again)["k100"] == 100 and len(values(again)) == kept + 1
    assert len(list((store_with_ten / "quarantine").glob("*.torn"))) == 1


def test_corrupt_snapshot_is_refused_with_a_clear_message(store_with_ten: Path) -> None:
    store = reopen(store_with_ten)
    store.get(DOC).compact()
    store.close()
    snap = store_with_ten / "docs" / DOC / SNAPSHOT
    data = bytearray(snap.read_bytes())
    data[len(data) // 2] ^= 0xFF
    snap.write_bytes(bytes(data))
    with pytest.raises(StorageCorrupt) as err:
        reopen(store_with_ten).get(DOC)
    assert str(snap) in str(err.value) and "cannot be read" in str(err.value)


def test_truncated_snapshot_is_refused(store_with_ten: Path) -> None:
    store = reopen(store_with_ten)
    store.get(DOC).compact()
    store.close()
    snap = store_with_ten / "docs" / DOC / SNAPSHOT
    snap.write_bytes(snap.read_bytes()[:40])
    with pytest.raises(StorageCorrupt, match="cannot be read"):
        reopen(store_with_ten).get(DOC)


def test_compaction_folds_the_log_into_the_snapshot(store_with_ten: Path) -> None:
    store = reopen(store_with_ten)
    store.get(DOC).compact()
    assert log_path(store_with_ten).stat().st_size == 0
    write_values(store, 2, start=10)
    store.close()
    assert values(reopen(store_with_ten)) == {f"k{i}": i for i in range(12)}


def test_crash_between_snapshot_and_log_reset_loses_nothing(store_with_ten: Path) -> None:
    """Compaction renames the new snapshot first; a crash then leaves changes in both."""
    store = reopen(store_with_ten)
    stored = store.get(DOC)
    full = stored.doc.save()
    store.close()
    (store_with_ten / "docs" / DOC / SNAPSHOT).write_bytes(full)  # log still holds all ten
    again = reopen(store_with_ten)
    assert values(again) == {f"k{i}": i for i in range(10)}
    write_values(again, 1, start=10)
    again.close()
    assert len(values(reopen(store_with_ten))) == 11


def test_log_grows_past_the_snapshot_and_compacts_itself(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path)
    stored = store.create(DOC)
    blob = "x" * 4096
    for i in range(300):  # ~1.2 MB of changes: past the 1 MiB floor
        with stored.doc.transaction() as tx:
            Writer(tx).put(Root, f"k{i}", blob)
        stored.persist()
    assert log_path(tmp_path).stat().st_size < 1 << 20
    store.close()
    assert len(values(reopen(tmp_path))) == 300


def test_unreadable_change_in_the_middle_keeps_what_comes_before(
        store_with_ten: Path, caplog: pytest.LogCaptureFixture) -> None:
    """A whole, checksummed record that is not an Automerge change: only it is skipped."""
    path = log_path(store_with_ten)
    records = scan_log(path.read_bytes()).records
    path.write_bytes(b"".join(frame(r) for r in records[:4]) + frame(b"junk change")
                     + b"".join(frame(r) for r in records[4:]))
    with caplog.at_level(logging.WARNING, logger="countertop.sync.storage"):
        got = values(reopen(store_with_ten))
    assert got == {f"k{i}": i for i in range(10)}
    assert any("change 4 of the log is unreadable" in r.getMessage() for r in caplog.records)
    (kept,) = list((store_with_ten / "quarantine").glob("*.bad"))
    assert kept.read_bytes() == b"junk change"
    assert values(reopen(store_with_ten)) == got  # and again: still one copy kept
    assert len(list((store_with_ten / "quarantine").glob("*.bad"))) == 1

"""Durable, crash-safe storage of Automerge documents: a snapshot plus an fsynced change log.

Each document lives in ``docs/<doc_id>/``:

- ``snapshot.am``: a full ``save()`` of the document, replaced only by atomic rename;
- ``changes.log``: every change made or received since that snapshot, one framed record
  each, appended and fsynced before the command that made it is acknowledged.

A record is ``b"CT" + len:u32 + crc32:u32 + payload``. After ``kill -9`` the log can end
in a torn record; opening cuts it back to the last whole record with a logged warning and
keeps the cut bytes in ``quarantine/`` for inspection. Nothing before the tear is lost.

Why not samod's storage: ``automerge.repo``'s document actors recompute patches on every
local change (measured 27 ms per change at 10k orders) and persist asynchronously, so a
command could not be acknowledged after fsync. Plain ``automerge.core.Document`` costs
~0.5 ms per transaction at that size and lets us decide exactly when bytes are durable.
"""

from __future__ import annotations

import hashlib
import logging
import os
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from pathlib import Path

from automerge.core import Document

from sync.errors import StorageCorrupt
from sync.ids import DocId

log = logging.getLogger("countertop.sync.storage")

_MAGIC = b"CT"
_HEADER = struct.Struct(">2sII")
MAX_RECORD = 64 * 1024 * 1024
SNAPSHOT = "snapshot.am"
CHANGES = "changes.log"
HEADS = "heads.txt"


def fsync_dir(path: Path) -> None:
    """Make a rename or file creation in ``path`` durable.

    Windows cannot open a directory as a file, and NTFS journals renames itself: there
    the rename's own durability is all there is."""
    if sys.platform == "win32":
        return
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_atomic(path: Path, data: bytes) -> None:
    """Replace ``path`` with ``data`` so that a crash leaves the old or the new file, never half."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view):]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    fsync_dir(path.parent)


def heads_text(heads: list[bytes]) -> str:
    """Heads as text, the same for the same heads in any order."""
    return ",".join(sorted(h.hex() for h in heads))


def write_replace(path: Path, text: str) -> None:
    """Replace a small hint file by rename, without fsync: after a crash it may be old
    or missing, never half written, and readers treat it as a hint only."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def frame(payload: bytes) -> bytes:
    return _HEADER.pack(_MAGIC, len(payload), zlib.crc32(payload)) + payload


@dataclass
class LogScan:
    """What reading a change log found."""

    records: list[bytes] = field(default_factory=list)
    good_bytes: int = 0
    torn: bool = False
    reason: str = ""


def scan_log(data: bytes) -> LogScan:
    """Split a change log into whole records, stopping at the first damaged one."""
    scan = LogScan()
    pos = 0
    size = len(data)
    while pos < size:
        if size - pos < _HEADER.size:
            scan.torn, scan.reason = True, f"short header at byte {pos}"
            break
        magic, length, crc = _HEADER.unpack_from(data, pos)
        if magic != _MAGIC or length > MAX_RECORD:
            scan.torn, scan.reason = True, f"bad record header at byte {pos}"
            break
        end = pos + _HEADER.size + length
        if end > size:
            scan.torn, scan.reason = True, f"record at byte {pos} cut short"
            break
        payload = data[pos + _HEADER.size : end]
        if zlib.crc32(payload) != crc:
            scan.torn, scan.reason = True, f"checksum mismatch at byte {pos}"
            break
        scan.records.append(payload)
        pos = end
    scan.good_bytes = pos
    return scan


class StoredDocument:
    """One document in memory plus its files; all writes go through here."""

    def __init__(self, doc_id: DocId, directory: Path, doc: Document, log_bytes: int,
                 snapshot_bytes: int) -> None:
        self.doc_id = doc_id
        self.directory = directory
        self.doc = doc
        self._log_bytes = log_bytes
        self._snapshot_bytes = snapshot_bytes
        self._persisted_heads: list[bytes] = doc.get_heads()
        self._log_fd: int | None = None

    @property
    def persisted_heads(self) -> list[bytes]:
        return list(self._persisted_heads)

    def drop_changes(self, refused: set[bytes]) -> None:
        """Drop, in memory, the changes ``refused`` (and nothing else): a check refused them
        before they were persisted. ``fork_at`` would do it, but panics in automerge
        0.2.0.dev4 (``MissingOps``), so the document is rebuilt from the changes kept:
        time in proportion to the document, paid only when something is refused."""
        kept = [bytes(c.bytes) for c in self.doc.get_changes([])
                if bytes(c.hash) not in refused]
        doc = Document.load(b"".join(kept)) if kept else Document()
        doc.set_actor(bytes(self.doc.get_actor()))
        self.doc = doc

    def _fd(self) -> int:
        if self._log_fd is None:
            self._log_fd = os.open(self.directory / CHANGES,
                                   os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        return self._log_fd

    def persist(self) -> int:
        """Append every change not yet on disk and fsync; returns how many were written.

        Called after each local transaction and after each merge of remote changes:
        the caller acknowledges only once this returns.
        """
        heads = self.doc.get_heads()
        if heads == self._persisted_heads:
            return 0
        changes = self.doc.get_changes(self._persisted_heads)
        if not changes:
            self._persisted_heads = heads
            return 0
        blob = b"".join(frame(c.bytes) for c in changes)
        fd = self._fd()
        view = memoryview(blob)
        while view:
            view = view[os.write(fd, view):]
        os.fdatasync(fd)
        self._log_bytes += len(blob)
        self._persisted_heads = heads
        self.note_heads()
        if self._log_bytes > max(1 << 20, self._snapshot_bytes):
            self.compact()
        return len(changes)

    def note_heads(self) -> None:
        """Write the persisted heads next to the log (see ``DocumentStore.stored_heads``)."""
        write_replace(self.directory / HEADS, heads_text(self._persisted_heads))

    def compact(self) -> None:
        """Fold the log into a new snapshot. Crash-safe at every step.

        Order: new snapshot renamed in place, then an empty log renamed over the old
        one. A crash in between leaves changes that are in both, which load ignores.
        """
        started = time.perf_counter()
        data = self.doc.save()
        write_atomic(self.directory / SNAPSHOT, data)
        self.close()
        write_atomic(self.directory / CHANGES, b"")
        self._snapshot_bytes = len(data)
        self._log_bytes = 0
        log.debug("compacted %s to %d bytes in %.1f ms", self.doc_id, len(data),
                  (time.perf_counter() - started) * 1000)

    def close(self) -> None:
        if self._log_fd is not None:
            os.close(self._log_fd)
            self._log_fd = None


class DocumentStore:
    """All documents of one data dir; loads lazily, creates, lists."""

    def __init__(self, root: Path, *, actor: bytes | None = None) -> None:
        self.root = root
        self.docs_dir = root / "docs"
        self.quarantine_dir = root / "quarantine"
        self.docs_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._open: dict[DocId, StoredDocument] = {}
        #: the actor id every document here writes with (``sync.seals.session_actor``);
        #: None: automerge's random one
        self.actor = actor

    def ids(self) -> list[DocId]:
        """Every document stored here, loaded or not."""
        return sorted(DocId(p.name) for p in self.docs_dir.iterdir()
                      if p.is_dir() and not p.name.endswith(".tmp"))

    def exists(self, doc_id: DocId) -> bool:
        return doc_id in self._open or (self.docs_dir / doc_id).is_dir()

    def stored_heads(self, doc_id: DocId) -> str | None:
        """The heads last persisted for the document (``heads_text``), without loading it.

        A reader that noted the heads it last saw (the read model does) can tell cheaply
        whether an unloaded document changed since. None when not known.
        """
        try:
            return (self.docs_dir / doc_id / HEADS).read_text()
        except (OSError, UnicodeDecodeError):
            return None

    def is_loaded(self, doc_id: DocId) -> bool:
        return doc_id in self._open

    def loaded(self) -> list[StoredDocument]:
        return list(self._open.values())

    def create(self, doc_id: DocId, doc: Document | None = None) -> StoredDocument:
        """Create a new document (empty, or from ``doc``) and make it durable."""
        if self.exists(doc_id):
            raise StorageCorrupt(f"document {doc_id} already exists")
        doc = doc if doc is not None else Document()
        if self.actor is not None:
            doc.set_actor(self.actor)
        data = doc.save()
        tmp_dir = self.docs_dir / (doc_id + ".tmp")
        tmp_dir.mkdir(exist_ok=True)
        write_atomic(tmp_dir / SNAPSHOT, data)
        write_atomic(tmp_dir / CHANGES, b"")
        os.replace(tmp_dir, self.docs_dir / doc_id)
        fsync_dir(self.docs_dir)
        stored = StoredDocument(doc_id, self.docs_dir / doc_id, doc, 0, len(data))
        stored.note_heads()
        self._open[doc_id] = stored
        return stored

    def get(self, doc_id: DocId) -> StoredDocument:
        """The document, loading it from disk on first use."""
        stored = self._open.get(doc_id)
        if stored is None:
            stored = self._load(doc_id)
            self._open[doc_id] = stored
        return stored

    def _load(self, doc_id: DocId) -> StoredDocument:
        directory = self.docs_dir / doc_id
        snap_path = directory / SNAPSHOT
        log_path = directory / CHANGES
        if not directory.is_dir():
            raise StorageCorrupt(f"document {doc_id} is not stored in {self.docs_dir}")
        snapshot = snap_path.read_bytes() if snap_path.exists() else b""
        raw_log = log_path.read_bytes() if log_path.exists() else b""
        scan = scan_log(raw_log)
        if scan.torn:
            self._cut_torn_tail(doc_id, log_path, raw_log, scan)
        doc: Document | None = None
        if scan.records:  # the usual case in one load: loading the snapshot first doubled it
            try:
                doc = Document.load(snapshot + b"".join(scan.records))
            except Exception:
                doc = None
        if doc is None:
            try:
                doc = Document.load(snapshot) if snapshot else Document()
            except Exception as exc:
                raise StorageCorrupt(f"snapshot {snap_path} cannot be read ({exc}); "
                                     f"the till can recover it from another till") from exc
            if scan.records:
                doc = self._apply_records(doc_id, doc, snapshot, scan.records)
        if self.actor is not None:
            doc.set_actor(self.actor)
        stored = StoredDocument(doc_id, directory, doc, scan.good_bytes, len(snapshot))
        if self.stored_heads(doc_id) != heads_text(stored.persisted_heads):
            stored.note_heads()
        return stored

    def _apply_records(self, doc_id: DocId, doc: Document, snapshot: bytes,
                       records: list[bytes]) -> Document:
        try:
            return Document.load(snapshot + b"".join(records))
        except Exception:
            log.warning("document %s: loading the log in one go failed; applying change by change",
                        doc_id)
        good = snapshot
        for i, rec in enumerate(records):
            try:
                Document.load(good + rec)
            except Exception as exc:
                # only this change is skipped: later ones are independent changes and load
                # on their own; the unreadable bytes are kept so nothing is silently lost
                log.error("document %s: change %d of the log is unreadable (%s); skipping it, "
                          "a copy is in quarantine", doc_id, i, exc)
                self.quarantine_dir.mkdir(exist_ok=True)
                # named by content: reopening the same log keeps one copy, not one per open
                kept = self.quarantine_dir / (f"{doc_id}-change-"
                                              f"{zlib.crc32(rec):08x}-{len(rec)}.bad")
                if not kept.exists():
                    write_atomic(kept, rec)
                continue
            good += rec
        return Document.load(good) if good else doc

    def _cut_torn_tail(self, doc_id: DocId, log_path: Path, raw: bytes, scan: LogScan) -> None:
        cut = raw[scan.good_bytes:]
        log.warning("document %s: change log has a damaged tail (%s); cutting %d bytes, "
                    "keeping %d whole changes", doc_id, scan.reason, len(cut), len(scan.records))
        self.quarantine_dir.mkdir(exist_ok=True)
        stamp = time.strftime("%Y%m%dT%H%M%S")
        write_atomic(self.quarantine_dir / f"{doc_id}-{stamp}-{os.getpid()}.torn", cut)
        fd = os.open(log_path, os.O_WRONLY)
        try:
            os.ftruncate(fd, scan.good_bytes)
            os.fsync(fd)
        finally:
            os.close(fd)

    def keep_refused(self, doc_id: DocId, change: bytes, reason: str) -> Path:
        """Keep the bytes of a change this till refused (``sync.authority``), named by its
        content so a change refused again is kept once, with the reason beside it."""
        self.quarantine_dir.mkdir(exist_ok=True, mode=0o700)
        digest = hashlib.sha256(change).hexdigest()[:24]
        kept = self.quarantine_dir / f"{doc_id}-refused-{digest}.change"
        if not kept.exists():
            write_atomic(kept, change)
            write_atomic(kept.with_suffix(".reason"), reason.encode())
        return kept

    def close(self) -> None:
        for stored in self._open.values():
            stored.close()
        self._open.clear()

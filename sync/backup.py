"""Backups: the whole shop in one file, and a shop brought back from one.

A backup is a zip file (``.ctbackup``) holding ``manifest.json`` (format, shop, till,
when, every document's heads and size), ``docs/<doc_id>.am`` (each document saved whole),
the till's settings file and, only when asked, its identity (its key and certificate:
with it, the restored till *is* this till; without, it is a new till of the same shop).
The read model is not in it: it is rebuilt from the documents.

It is taken by the engine, the documents' single writer (``backup.create``), so every
document is saved between two commands: consistent while the engine runs. Loaded
documents are saved from memory; the others (old months) are their stored snapshot and
change log, which nothing writes while they are not loaded.

Restoring an old backup must not bring back order numbers the till has given since
(a customer's receipt, another till's copy). The restored till starts a *numbering
epoch*: its orders are numbered under a prefix no till can have been given, ``AR1-0121``
after ``A-0120``: tills are given single letters (or ``T`` and four characters of their
id), and the ``R`` mark with the epoch is unique to the till that restored. Syncing before
issuing was the alternative, but a shop with one till has nobody to sync with, and the
numbers it lost may be on paper. The epoch comes from the backup's own view, so the same
backup restored *with its identity* on two machines gives both the same prefix: one
identity must run on one machine (as it must anyway for sync). Automerge actors need no
care: every document loaded (restored ones too) writes under a fresh random actor.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import os
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from automerge.core import Document

from sync.doc_storage import CHANGES, SNAPSHOT, DocumentStore, fsync_dir, heads_text, scan_log
from sync.errors import CommandRejected, StorageCorrupt
from sync.file_names import POINTER_FILE
from sync.ids import DocId

FORMAT = "countertop-backup"
VERSION = 1
SUFFIX = ".ctbackup"
MANIFEST = "manifest.json"
IDENTITY_DIR = "identity"


@dataclass(frozen=True)
class BackupWritten:
    path: Path
    size: int
    documents: int
    with_identity: bool
    at: str


def document_bytes(store: DocumentStore, doc_id: DocId) -> bytes:
    """The whole document as one loadable blob, without loading it if it is not loaded."""
    if store.is_loaded(doc_id):
        return bytes(store.get(doc_id).doc.save())
    directory = store.docs_dir / doc_id
    snapshot = (directory / SNAPSHOT).read_bytes() if (directory / SNAPSHOT).exists() else b""
    raw = (directory / CHANGES).read_bytes() if (directory / CHANGES).exists() else b""
    return snapshot + b"".join(scan_log(raw).records)


def write_backup(store: DocumentStore, root: Path, out: Path, *, shop: dict[str, Any],
                 till_id: str, with_identity: bool, settings_files: Iterable[str],
                 now: dt.datetime) -> BackupWritten:
    """Write every document of ``store`` (and the till's files) to ``out``, atomically."""
    docs = store.ids()
    manifest: dict[str, Any] = {
        "format": FORMAT, "version": VERSION, "made_at": now.isoformat(),
        "shop": shop, "till_id": till_id, "with_identity": with_identity, "documents": {}}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for doc_id in docs:
            data = document_bytes(store, doc_id)
            heads = (store.get(doc_id).doc.get_heads() if store.is_loaded(doc_id)
                     else Document.load(data).get_heads())
            manifest["documents"][doc_id] = {"bytes": len(data), "heads": heads_text(heads),
                                             "sha256": hashlib.sha256(data).hexdigest()}
            z.writestr(f"docs/{doc_id}.am", data, compress_type=zipfile.ZIP_STORED)
        pointer = root / POINTER_FILE
        if pointer.exists():
            z.write(pointer, POINTER_FILE)
        for name in settings_files:
            path = root / name
            if path.exists():
                z.write(path, f"settings/{name}")
        if with_identity:
            for path in sorted((root / IDENTITY_DIR).glob("*")):
                if path.is_file():
                    z.write(path, f"{IDENTITY_DIR}/{path.name}")
        z.writestr(MANIFEST, json.dumps(manifest, indent=1, sort_keys=True))
    data = buf.getvalue()
    out = out.expanduser()
    tmp = out.with_name(out.name + ".tmp")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, out)
        fsync_dir(out.parent)
    except OSError as exc:
        raise CommandRejected(f"cannot write the backup to {out}: {exc.strerror or exc}") \
            from None
    return BackupWritten(out, len(data), len(docs), with_identity, now.isoformat())


@dataclass(frozen=True)
class BackupContents:
    manifest: dict[str, Any]
    documents: dict[DocId, bytes]
    files: dict[str, bytes]  # pointer, settings/..., identity/...


def read_backup(path: Path) -> BackupContents:
    """Everything in a backup file, checked against its manifest; plain words if not."""
    try:
        with zipfile.ZipFile(path) as z:
            manifest = json.loads(z.read(MANIFEST))
            if manifest.get("format") != FORMAT:
                raise StorageCorrupt(f"{path} is not a Countertop backup")
            if int(manifest.get("version") or 0) > VERSION:
                raise StorageCorrupt(f"{path} was made by a newer Countertop; update first")
            docs: dict[DocId, bytes] = {}
            for doc_id, meta in (manifest.get("documents") or {}).items():
                data = z.read(f"docs/{doc_id}.am")
                if hashlib.sha256(data).hexdigest() != meta.get("sha256"):
                    raise StorageCorrupt(f"document {doc_id} in {path} is damaged")
                docs[DocId(doc_id)] = data
            files = {n: z.read(n) for n in z.namelist()
                     if n == POINTER_FILE or n.startswith(("settings/", f"{IDENTITY_DIR}/"))}
    except FileNotFoundError:
        raise CommandRejected(f"no backup file {path}") from None
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise StorageCorrupt(f"{path} is not a readable Countertop backup ({exc})") from None
    return BackupContents(manifest, docs, files)


def restore_files(contents: BackupContents, root: Path) -> None:
    """Write the backup's documents and files into the empty data dir ``root``."""
    if (root / POINTER_FILE).exists() or any((root / "docs").glob("*")):
        raise CommandRejected(f"{root} already holds a shop; restore into a new, empty data "
                              "dir (move this one aside first)")
    root.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = DocumentStore(root)
    try:
        for doc_id, data in contents.documents.items():
            try:
                doc = Document.load(data)
            except Exception as exc:
                raise StorageCorrupt(f"document {doc_id} of the backup cannot be read "
                                     f"({exc})") from None
            store.create(doc_id, doc)
    finally:
        store.close()
    for name, data in contents.files.items():
        target = root / (name.removeprefix("settings/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)


def prune(folder: Path, keep: int, pattern: str = f"countertop-*{SUFFIX}") -> list[Path]:
    """Delete all but the newest ``keep`` backups in ``folder``; returns those deleted."""
    found = sorted(folder.glob(pattern), key=lambda p: (p.stat().st_mtime, p.name))
    gone = found[:-keep] if keep > 0 else []
    for path in gone:
        path.unlink(missing_ok=True)
    return gone


@dataclass(frozen=True)
class Restored:
    shop: dict[str, Any]
    till_id: str
    same_till: bool
    prefix: str
    documents: int


def restore_shop(path: Path, root: Path, *, till_name: str = "") -> Restored:
    """Bring the shop in backup ``path`` back into the new data dir ``root``.

    With the identity in the backup this is the same till again; without, a new till of
    the shop. Either way it starts a numbering epoch (see the module docstring)."""
    from sync.data_dir import DataDir, ShopPointer
    from sync.identity import load_or_create
    from sync.ledger import ShopLedger

    contents = read_backup(path)
    shop_doc = DocId(str((contents.manifest.get("shop") or {}).get("id") or ""))
    if shop_doc not in contents.documents:
        raise StorageCorrupt(f"{path} holds no shop document")
    root = DataDir(root).root
    restore_files(contents, root)
    identity = load_or_create(root / IDENTITY_DIR)
    DataDir(root).write_pointer(ShopPointer(shop_doc, identity.till_id))
    store = DocumentStore(root)
    try:
        ledger = ShopLedger(store, identity.till_id, shop_doc)
        same = identity.till_id in ledger.tills.all()
        ledger.tills.start_epoch(till_name or ("Restored till" if not same else ""))
        prefix = ledger.tills.prefix()
    finally:
        store.close()
    return Restored(dict(contents.manifest.get("shop") or {}), identity.till_id, same, prefix,
                    len(contents.documents))

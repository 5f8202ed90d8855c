"""Raw messages and attachments on the owning till's disk, readable by its user alone.

A 5 MB attachment does not belong in a document every till replicates: the shop's
documents list each attachment (name, type, size, hash) and this store keeps the bytes,
named by their SHA-256, so fetching the same message again writes nothing new. Files are
created 0600 and fsynced before the message is handed to the sink, so what the inbox
lists is on disk when the server copy is flagged.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path


class MailStore:
    """Content-addressed files under ``root`` (``raw/`` sources, ``files/`` attachments)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def save_raw(self, data: bytes) -> Path:
        return self._save("raw", data, ".eml")

    def save_attachment(self, data: bytes, filename: str) -> Path:
        suffix = Path(filename).suffix[:12] if filename else ""
        return self._save("files", data, suffix if suffix.isascii() else "")

    def _save(self, kind: str, data: bytes, suffix: str) -> Path:
        digest = hashlib.sha256(data).hexdigest()
        folder = self.root / kind / digest[:2]
        path = folder / f"{digest}{suffix}"
        if path.exists() and path.stat().st_size == len(data):
            return path
        folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = path.with_name(path.name + ".part")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_BINARY", 0),
                     0o600)
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        _fsync_dir(folder)
        return path


def _fsync_dir(folder: Path) -> None:
    """Make a rename durable (POSIX; Windows has no directory handles to sync)."""
    with contextlib.suppress(OSError, AttributeError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

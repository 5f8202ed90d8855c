"""Where parts of a long SMS wait for the rest: on the till's disk, not on the SIM.

A SIM holds a few dozen messages (30 on the review's). Parts of a concatenated SMS used
to stay on it until the whole message was assembled or ``multipart.DEFAULT_TIMEOUT``
(600 s) released it: 30 first parts filled the SIM and stopped SMS intake, and a
255-part message could never assemble on a 30-slot SIM (issue 15, point 6).

Now the driver moves each part here as it arrives (one small file per part, written
and fsynced, then renamed into place and the directory fsynced) and deletes the SIM
copy at once, so the SIM never fills with waiting parts.

Why here and not in the shop documents: a waiting part is raw radio data of the modem
on this till, useful to no other till until it is a message, and shop documents keep
everything forever (records are marked, never deleted). Why durable at all: once the
SIM copy is deleted this is the only copy, and it must survive a crash as well as the
SIM would. The till that owns the modem owns the SIM and this directory alike, so a
lost disk loses no more than a lost SIM would have. The directory sits in the data dir
(0700, files 0600). What one sender may keep here is bounded by the reassembler.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import sys
import time
from pathlib import Path

log = logging.getLogger("countertop.devices.modem.parts")

SUFFIX = ".part"


class PartStore:
    """Durable, content-named files: ``put`` is idempotent, ``load`` returns all."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def put(self, pdu: str) -> str:
        """Keep ``pdu`` (hex) durably; returns its key. Raises ``OSError`` if it cannot."""
        key = hashlib.sha256(pdu.encode()).hexdigest()[:32]
        path = self.directory / (key + SUFFIX)
        if path.exists():
            return key
        tmp = path.with_name(path.name + ".tmp")
        data = json.dumps({"pdu": pdu, "stored_at": time.time()}).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
        self._sync_dir()
        return key

    def remove(self, keys: tuple[str, ...] | list[str]) -> None:
        """Forget parts whose message is stored in the shop ledger now."""
        for key in keys:
            (self.directory / (key + SUFFIX)).unlink(missing_ok=True)
        if keys:
            self._sync_dir()

    def load(self) -> list[tuple[str, str]]:
        """(key, pdu hex) of every part kept, oldest first; unreadable files are set aside."""
        found: list[tuple[float, str, str]] = []
        for path in self.directory.glob("*" + SUFFIX):
            try:
                record = json.loads(path.read_text())
                found.append((float(record["stored_at"]), path.stem, str(record["pdu"])))
            except (OSError, ValueError, KeyError, TypeError):
                log.error("SMS part file %s is unreadable; kept aside as .bad", path.name)
                path.replace(path.with_suffix(".bad"))
        return [(key, pdu) for _, key, pdu in sorted(found)]

    def __len__(self) -> int:
        return sum(1 for _ in self.directory.glob("*" + SUFFIX))

    def _sync_dir(self) -> None:
        if sys.platform == "win32":
            return
        fd = os.open(self.directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

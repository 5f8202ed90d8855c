"""Where the mailbox driver is in each folder: UIDVALIDITY and the last UID handled.

IMAP names a message in a folder by its UID, valid while the folder's UIDVALIDITY stays
the same (RFC 3501 2.3.1.1). The driver records the last UID it handled, after the
message is durable in the shop's documents and flagged on the server, so a restart
fetches only what came after. A changed UIDVALIDITY (the folder was rebuilt) starts the
folder again from its unseen messages; the ledger's dedupe keys keep any it had already
stored from being stored twice. Written to a temporary file, fsynced, renamed.
"""

from __future__ import annotations

import json
import logging
import os
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger("countertop.devices.mailbox")


@dataclass(frozen=True)
class FolderState:
    uidvalidity: int
    last_uid: int


class ImapState:
    """``FolderState`` per (account, folder), in one JSON file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._folders: dict[str, FolderState] = {}
        self._load()

    def _load(self) -> None:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            log.warning("mailbox state %s unreadable (%s): starting from unseen mail",
                        self.path, exc)
            return
        for key, value in (raw.get("folders") or {}).items():
            try:
                self._folders[key] = FolderState(int(value["uidvalidity"]),
                                                 int(value["last_uid"]))
            except (KeyError, TypeError, ValueError):
                continue

    def get(self, key: str) -> FolderState | None:
        return self._folders.get(key)

    def set(self, key: str, state: FolderState) -> None:
        if self._folders.get(key) == state:
            return
        self._folders[key] = state
        self._save()

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".tmp")
        data = json.dumps({"folders": {k: {"uidvalidity": v.uidvalidity,
                                           "last_uid": v.last_uid}
                                       for k, v in sorted(self._folders.items())}},
                          indent=1).encode()
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

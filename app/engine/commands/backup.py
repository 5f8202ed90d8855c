"""Backup commands: write the whole shop to one file, and say when the last one was made.
(Restoring runs without an engine: ``countertop restore``, ``sync.backup.restore_shop``.)"""

from __future__ import annotations

from pathlib import Path
from typing import cast

from app import protocol as p
from app.engine import backups
from app.engine.commands.registry import EngineContext, Registry


def backup_create(ctx: EngineContext, a: p.BackupCreate) -> p.BackupResult:
    written = backups.make_backup(ctx.engine, Path(a.out) if a.out else None,
                                  with_identity=a.with_identity)
    return {"path": str(written.path), "bytes": written.size, "documents": written.documents,
            "with_identity": written.with_identity, "at": written.at}


def backup_status(ctx: EngineContext, _: p.NoParams) -> p.BackupStatus:
    return cast(p.BackupStatus, backups.status(ctx.engine))


def register(reg: Registry) -> None:
    reg.add(p.BACKUP_CREATE, backup_create)
    reg.add(p.BACKUP_STATUS, backup_status)

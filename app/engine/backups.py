"""Backups taken by the engine: on request (``backup.create``) and once a day by itself.

The engine is the documents' single writer, so a backup taken on its loop is consistent.
Where they go and how many are kept are this till's settings (``backup_folder``,
``backup_keep``, ``auto_backup``); when and where the last one went is kept in
``backup_state.json`` in the data dir, so the window can show it and warn when it is old.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import json
import logging
import re
from pathlib import Path
from typing import Any

from app.engine.till_engine import TillEngine
from app.till_settings import SETTINGS_FILE, TillSettings
from sync.backup import SUFFIX, BackupWritten, prune, write_backup
from sync.doc_storage import write_replace
from sync.errors import CountertopError
from sync.file_names import BACKUP_STATE_FILE

log = logging.getLogger("countertop.engine.backups")

#: a backup older than this is shown as a warning
STALE_AFTER = dt.timedelta(hours=36)
DAILY = dt.timedelta(hours=24)


def backup_folder(engine: TillEngine, settings: TillSettings) -> Path:
    folder = str(settings.get("backup_folder") or "").strip()
    return Path(folder).expanduser() if folder else engine.data_dir.root / "backups"


def read_state(engine: TillEngine) -> dict[str, Any]:
    try:
        data: dict[str, Any] = json.loads((engine.data_dir.root / BACKUP_STATE_FILE)
                                          .read_text())
        return data
    except (OSError, ValueError):
        return {}


def _write_state(engine: TillEngine, state: dict[str, Any]) -> None:
    write_replace(engine.data_dir.root / BACKUP_STATE_FILE, json.dumps(state, indent=1))


def make_backup(engine: TillEngine, out: Path | None = None, *, with_identity: bool = False,
                automatic: bool = False) -> BackupWritten:
    """Write a backup (to ``out``, or a dated file in the backup folder) and note it.

    Without ``out`` the folder keeps only the newest ``backup_keep`` backups."""
    ledger = engine.require_shop()
    settings = TillSettings(engine.data_dir.root)
    now = dt.datetime.now(dt.UTC)
    shop = ledger.shop.info()
    dated = out is None
    if out is None:
        slug = re.sub(r"[^a-z0-9]+", "-", str(shop.get("name") or "shop").lower()).strip("-")
        stamp = now.astimezone(ledger.tz).strftime("%Y%m%d-%H%M%S")
        folder = backup_folder(engine, settings)
        out = folder / f"countertop-{slug or 'shop'}-{stamp}{SUFFIX}"
        n = 2
        while out.exists():  # two in the same second
            out = folder / f"countertop-{slug or 'shop'}-{stamp}-{n}{SUFFIX}"
            n += 1
    state = read_state(engine)
    try:
        written = write_backup(engine.store, engine.data_dir.root, out,
                               shop={k: str(v) for k, v in shop.items()},
                               till_id=engine.identity.till_id, with_identity=with_identity,
                               settings_files=(SETTINGS_FILE,), now=now)
    except CountertopError as exc:
        state.update(last_error=str(exc), last_error_at=now.isoformat())
        _write_state(engine, state)
        raise
    state.update(last_at=written.at, last_path=str(written.path), last_error=None,
                 automatic=automatic)
    _write_state(engine, state)
    if dated:
        keep = max(1, int(settings.get("backup_keep") or 1))
        for gone in prune(written.path.parent, keep):
            log.info("old backup %s deleted (keeping %d)", gone, keep)
    log.info("backup written to %s (%d bytes)", written.path, written.size)
    return written


def status(engine: TillEngine, now: dt.datetime | None = None) -> dict[str, Any]:
    """The last backup (when, where, how old) and whether that is too long ago."""
    settings = TillSettings(engine.data_dir.root)
    state = read_state(engine)
    now = now or dt.datetime.now(dt.UTC)
    age = None
    if state.get("last_at"):
        try:
            age = (now - dt.datetime.fromisoformat(str(state["last_at"]))).total_seconds() / 3600
        except ValueError:
            age = None
    return {"last_at": state.get("last_at"), "last_path": state.get("last_path"),
            "last_error": state.get("last_error"),
            "folder": str(backup_folder(engine, settings)),
            "keep": int(settings.get("backup_keep") or 1),
            "age_hours": None if age is None else round(age, 2),
            "stale": age is None or age > STALE_AFTER.total_seconds() / 3600}


class DailyBackup:
    """An engine attachment: checks every few minutes and backs up once a day."""

    def __init__(self, engine: TillEngine, *, every: float = 600.0) -> None:
        self.engine = engine
        self.every = every
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def due(self, now: dt.datetime | None = None) -> bool:
        if not self.engine.has_shop:
            return False
        if not TillSettings(self.engine.data_dir.root).get("auto_backup"):
            return False
        last = read_state(self.engine).get("last_at")
        if not last:
            return True
        try:
            when = dt.datetime.fromisoformat(str(last))
        except ValueError:
            return True
        return (now or dt.datetime.now(dt.UTC)) - when >= DAILY

    async def _run(self) -> None:
        while True:
            if self.due():
                try:  # on the loop: the single writer, so the documents hold still
                    make_backup(self.engine, automatic=True)
                except CountertopError as exc:
                    log.warning("daily backup failed: %s", exc)
            await asyncio.sleep(self.every)

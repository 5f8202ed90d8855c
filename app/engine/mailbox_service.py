"""The mailbox this till owns: its settings file, and the IMAP and SMTP drivers it runs.

Settings, the password included, live in ``mailbox.json`` in the till's data dir,
created 0600 (readable by this user alone) and never in the shop's documents: only the
till that owns the mailbox can read or send its mail. Other tills queue replies in the
shared outbox and this one sends them. ``countertop mailbox set`` writes the file; a
running engine (re)starts its drivers with the new settings at once, and an engine
started later runs the mailbox it finds there.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from app.engine.device_bridge import EngineSink
from app.engine.services import DeviceBoard, EngineHost
from app.protocol import MailboxStatus
from devices.errors import MailboxConfigInvalid, MailboxUnavailable
from devices.events import Channel
from devices.mailbox.imap_driver import MailboxDriver, check_mailbox
from devices.mailbox.mail_config import MailboxConfig
from devices.mailbox.smtp_sender import SmtpSender, check_smtp
from sync.file_names import MAIL_DIR, MAILBOX_FILE, MAILBOX_STATE_FILE

log = logging.getLogger("countertop.engine.mailbox")


def config_path(data_dir: Path) -> Path:
    return data_dir / MAILBOX_FILE


def load_config(data_dir: Path) -> MailboxConfig | None:
    """This till's mailbox settings, or None when it owns no mailbox."""
    path = config_path(data_dir)
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise MailboxConfigInvalid(
            f"the mailbox settings in {path} cannot be read ({exc})") from None
    _check_private(path)
    return MailboxConfig.from_json(raw)


def save_config(data_dir: Path, config: MailboxConfig) -> Path:
    """Write the settings (password included) to a file only this user can read."""
    path = config_path(data_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with contextlib.suppress(FileNotFoundError):
        tmp.unlink()
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.write(fd, json.dumps(config.to_json(), indent=1, sort_keys=True).encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    return path


def _check_private(path: Path) -> None:
    """Refuse a settings file others can read (the password is in it)."""
    if os.name != "posix":
        return
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise MailboxConfigInvalid(f"{path} can be read by other users (mode {mode:o}); "
                                   f"run: chmod 600 {path}")


def read_password_file(path: str) -> str:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MailboxConfigInvalid(f"cannot read the password file {path} ({exc})") from None
    password = text.splitlines()[0].strip() if text.strip() else ""
    if not password:
        raise MailboxConfigInvalid(f"the password file {path} is empty")
    return password


def test_config(config: MailboxConfig) -> dict[str, Any]:
    """Log in to IMAP and SMTP (send nothing); what each said."""
    out: dict[str, Any] = {"ok": True}
    for name, check in (("imap", check_mailbox), ("smtp", check_smtp)):
        try:
            out.update(check(config))
        except MailboxUnavailable as exc:
            out[name] = "failed"
            out[f"{name}_error"] = str(exc)
            out["ok"] = False
    return out


class MailboxService:
    """Runs this till's mailbox while the engine runs (an engine ``Attachment``)."""

    def __init__(self, service: EngineHost, sink: EngineSink, board: DeviceBoard) -> None:
        self.service = service
        self.sink = sink
        self.board = board
        self.data_dir = service.engine.data_dir.root
        self.config: MailboxConfig | None = None
        self.driver: MailboxDriver | None = None
        self.sender: SmtpSender | None = None
        self.error = ""

    async def start(self) -> None:
        try:
            self.config = load_config(self.data_dir)
        except MailboxConfigInvalid as exc:
            self.error = str(exc)
            log.error("mailbox not started: %s", exc)
            return
        if self.config is not None:
            self._run(self.config)

    async def stop(self) -> None:
        import asyncio

        await asyncio.get_running_loop().run_in_executor(None, self._halt)

    def _halt(self) -> None:
        if self.sink.outbox is not None:
            self.sink.outbox.set_channel(Channel.EMAIL, None)
        driver, self.driver = self.driver, None
        sender, self.sender = self.sender, None
        if driver is not None:
            driver.stop()
        if sender is not None:
            sender.stop()

    def _run(self, config: MailboxConfig) -> None:
        mail_dir = self.data_dir / MAIL_DIR
        self.driver = MailboxDriver(config, self.sink, state_path=mail_dir / MAILBOX_STATE_FILE,
                                    store_root=mail_dir)
        name = str(self.service.engine.ledger.shop.info().get("name") or "") \
            if self.service.engine.has_shop else ""
        self.sender = SmtpSender(config, self.sink, sender_name=name)
        self.driver.start()
        self.sender.start()
        if self.sink.outbox is not None:
            self.sink.outbox.set_channel(Channel.EMAIL, self.sender.submit)
        log.info("mailbox %s on %s started", config.user, config.imap_host)

    def configure(self, config: MailboxConfig) -> Path:
        """New settings: save them and restart the drivers with them (on the loop)."""
        path = save_config(self.data_dir, config)
        self._halt()
        self.config = config
        self.error = ""
        self._run(config)
        return path

    def status(self) -> MailboxStatus:
        if self.config is None:
            return {"configured": False, "running": False, "error": self.error,
                    "settings_file": str(config_path(self.data_dir))}
        out: MailboxStatus = {"configured": True, "running": self.driver is not None,
                               "settings": self.config.public(), "error": self.error,
                               "settings_file": str(config_path(self.data_dir))}
        if self.driver is not None:
            out["imap"] = self.driver.stats()
        if self.sender is not None:
            out["smtp"] = self.sender.stats()
        return out

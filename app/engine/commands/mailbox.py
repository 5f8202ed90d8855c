"""Mailbox commands: give this till the shop's mailbox, test it, and (while the engine
runs it) its status. Settings and password are kept on this till only
(``app/engine/mailbox_service.py``)."""

from __future__ import annotations

from typing import Any

from app import protocol as p
from app.engine.commands.registry import EngineContext, Registry
from app.engine.mailbox_service import (
    load_config,
    read_password_file,
    save_config,
    test_config,
)
from devices.errors import MailboxConfigInvalid
from devices.mailbox.mail_config import MailboxConfig
from sync.errors import CommandRejected


def _config(ctx: EngineContext, a: p.MailboxSet) -> MailboxConfig:
    password = a.password or (read_password_file(a.password_file) if a.password_file else "")
    if not password:
        previous = load_config(ctx.engine.data_dir.root)
        if previous is None or previous.user != a.user:
            raise CommandRejected("give the password in a file: --password-file FILE")
        password = previous.password
    try:
        return MailboxConfig(
            imap_host=a.imap_host, imap_port=a.imap_port, imap_tls=a.imap_tls, user=a.user,
            password=password, folder=a.folder or "INBOX", smtp_host=a.smtp_host,
            smtp_port=a.smtp_port, smtp_tls=a.smtp_tls, from_address=a.from_address,
            processed_folder=a.processed_folder, ca_file=a.ca_file,
            poll_interval=float(max(a.poll_interval, 1)))
    except MailboxConfigInvalid as exc:
        raise CommandRejected(str(exc)) from None


def mailbox_set(ctx: EngineContext, a: p.MailboxSet) -> p.MailboxStatus:
    """Save the mailbox settings on this till; a running engine starts using them."""
    config = _config(ctx, a)
    if ctx.mailbox is not None:
        ctx.mailbox.configure(config)
        return ctx.mailbox.status()
    path = save_config(ctx.engine.data_dir.root, config)
    return {"configured": True, "running": False, "settings": config.public(),
            "settings_file": str(path)}


def mailbox_status(ctx: EngineContext, _: p.NoParams) -> p.MailboxStatus:
    assert ctx.mailbox is not None  # registered only with the mailbox (build_registry)
    return ctx.mailbox.status()


def mailbox_test(ctx: EngineContext, _: p.NoParams) -> dict[str, Any]:
    """Log in to both servers with the saved settings; refused in words when none."""
    try:
        config = load_config(ctx.engine.data_dir.root)
    except MailboxConfigInvalid as exc:
        raise CommandRejected(str(exc)) from None
    if config is None:
        raise CommandRejected("this till has no mailbox yet: run `countertop mailbox set`")
    return test_config(config)


def register(reg: Registry) -> None:
    reg.add(p.MAILBOX_SET, mailbox_set)
    reg.add(p.MAILBOX_TEST, mailbox_test)


def register_running(reg: Registry) -> None:
    """The commands that need the mailbox a long-running engine runs."""
    reg.add(p.MAILBOX_STATUS, mailbox_status)

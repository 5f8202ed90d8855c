"""What one mailbox needs: IMAP and SMTP servers, the account, and how it is processed.

Pure data: the engine keeps it in a file only this till's user can read
(``app/engine/mailbox_service.py``); it never enters the shop's documents.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from devices.errors import MailboxConfigInvalid

TLS_MODES = ("implicit", "starttls", "none")
DEFAULT_PORTS = {("imap", "implicit"): 993, ("imap", "starttls"): 143, ("imap", "none"): 143,
                 ("smtp", "implicit"): 465, ("smtp", "starttls"): 587, ("smtp", "none"): 25}


@dataclass(frozen=True)
class MailboxConfig:
    """One account. ``processed_folder``: move handled mail there instead of flagging it
    ``\\Seen``. ``ca_file``: trust this CA too (a shop's own server; tests)."""

    imap_host: str
    user: str
    password: str = field(repr=False)
    imap_port: int = 0
    imap_tls: str = "implicit"
    folder: str = "INBOX"
    smtp_host: str = ""
    smtp_port: int = 0
    smtp_tls: str = "starttls"
    smtp_user: str = ""
    from_address: str = ""
    processed_folder: str = ""
    poll_interval: float = 60.0
    idle_renew: float = 540.0
    ca_file: str = ""

    def __post_init__(self) -> None:
        for name in ("imap_tls", "smtp_tls"):
            if getattr(self, name) not in TLS_MODES:
                raise MailboxConfigInvalid(
                    f"{name.replace('_', ' ')} is one of {', '.join(TLS_MODES)}, "
                    f"not {getattr(self, name)!r}")
        if not self.imap_host.strip():
            raise MailboxConfigInvalid("give the IMAP server (--imap-host)")
        if not self.user.strip():
            raise MailboxConfigInvalid("give the account's user name (--user)")

    @property
    def imap_port_or_default(self) -> int:
        return self.imap_port or DEFAULT_PORTS[("imap", self.imap_tls)]

    @property
    def smtp_port_or_default(self) -> int:
        return self.smtp_port or DEFAULT_PORTS[("smtp", self.smtp_tls)]

    @property
    def smtp_server(self) -> str:
        """The SMTP host (the IMAP host when none was given)."""
        return self.smtp_host or self.imap_host

    @property
    def sender(self) -> str:
        """The From address (the user name when it is an address)."""
        return self.from_address or (self.user if "@" in self.user else "")

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    def public(self) -> dict[str, Any]:
        """Everything but the password (status, logs)."""
        out = asdict(self)
        out.pop("password")
        out["imap_port"] = self.imap_port_or_default
        out["smtp_port"] = self.smtp_port_or_default
        out["smtp_host"] = self.smtp_server
        out["from_address"] = self.sender
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> MailboxConfig:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        try:
            return cls(**known)
        except TypeError as exc:
            raise MailboxConfigInvalid(f"mailbox settings incomplete: {exc}") from None

    def with_changes(self, **changes: Any) -> MailboxConfig:
        return replace(self, **changes)

"""Device failures, in Countertop's one error family (``sync/errors.py``).

``devices`` may import only the pure leaves of ``sync`` (``sync.errors``,
``sync.vocabulary``; tests/test_layers.py checks it), so its errors share the root every
layer shows to staff the same way.
"""

from __future__ import annotations

from sync.errors import DeviceError


class ModemNotResponding(DeviceError):
    """The device on the port (GSM modem or caller-ID modem) does not answer in time."""


class CallerIdNotSupported(DeviceError):
    """The modem answers but accepts none of the caller-ID enabling commands."""


class DeviceInputError(DeviceError, ValueError):
    """Bytes from a device (or text for one) that cannot be read or encoded; a
    ``ValueError`` too, as it always was."""


class MailboxConfigInvalid(DeviceError):
    """Mailbox settings that cannot work (no server, an unknown TLS mode)."""


class MailboxUnavailable(DeviceError):
    """The mail server cannot be reached or refuses the account (the reason in words)."""


class MailUnreadable(DeviceError, ValueError):
    """Bytes that the ``email`` package cannot read as a message at all."""

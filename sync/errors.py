"""Countertop's one error family: every expected failure is a ``CountertopError``.

``str()`` of one is a one-line reason in plain words, shown to staff as it is (the CLI
prints it after ``countertop:``, the window in a toast). Anything else that escapes is a
bug: logged with its traceback and reported as "unexpected error". Each layer adds its
own branch here or in its package, always rooted in this module:

- commands: ``CommandRejected`` (bad input or a rule said no) and its kinds, among them
  ``NeedsConfirmation`` and ``NeedsManager``, which the window answers by asking;
- storage: ``StorageCorrupt``, ``DataDirLocked``;
- the engine connection: ``EngineUnavailable``;
- peers: ``PeerError`` (``sync/peers/tls_link.py`` and ``sync/replication.py`` subclass it);
- devices: ``DeviceError`` (``devices/errors.py``);
- intake: ``IntakeError`` (``app/intake``).
"""


class CountertopError(Exception):
    """Base for expected failures; ``str()`` is a one-line reason for staff."""


class CommandRejected(CountertopError):
    """Bad input or a rule refused the command (unknown SKU, illegal transition, ...)."""


class NotFound(CommandRejected):
    """The order, customer, product or till named does not exist."""


class NoShop(CommandRejected):
    """The data dir holds no shop yet: create one or join one first."""


class NeedsConfirmation(CommandRejected):
    """The command looks like a slip (an amount or quantity beyond the shop's sanity
    limit, a card payment larger than what is owed): send it again with ``confirm``
    once staff said yes."""


class NeedsManager(CommandRejected):
    """Only a manager may do this (a refund, a price override, a large discount, a
    write-off, removing a till): a manager signs in, or gives their PIN on the spot."""


class CommandUnavailable(CommandRejected):
    """The command needs a part this engine does not run (peers and devices run only in
    the long-running ``countertop engine``, not in a CLI process holding the data dir)."""


class StorageCorrupt(CountertopError):
    """A store file cannot be read back; names the file and what is wrong."""


class DataDirLocked(CountertopError):
    """Another process already writes this data dir."""


class EngineUnavailable(CountertopError):
    """No engine answers for this data dir, or it stopped mid-command."""


class PeerError(CountertopError):
    """A link to another till or a relay failed or was refused."""


class DeviceError(CountertopError):
    """A modem, caller-ID unit or mailbox failed or cannot do what was asked."""


class IntakeError(CountertopError, ValueError):
    """The order parser could not use its input (a catalog it cannot read, a bad alias)."""

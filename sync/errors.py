"""Typed failures the rest of the app shows to people in plain words."""


class CountertopError(Exception):
    """Base for expected failures; ``str()`` is a one-line reason for staff."""


class CommandRejected(CountertopError):
    """Bad input or a rule refused the command (unknown SKU, illegal transition, ...)."""


class NotFound(CommandRejected):
    """The order, customer, product or till named does not exist."""


class NoShop(CommandRejected):
    """The data dir holds no shop yet: create one or join one first."""


class StorageCorrupt(CountertopError):
    """A store file cannot be read back; names the file and what is wrong."""


class DataDirLocked(CountertopError):
    """Another process already writes this data dir."""

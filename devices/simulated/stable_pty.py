"""A pseudo-terminal behind a stable symlink: how the simulators look like a USB serial port.

A real USB modem's device path disappears when it is unplugged and may come back on
replug; the drivers open a path and must cope with both. Each (re)plug makes a fresh pty
and atomically re-points the symlink at it, so a driver sees exactly that.
"""

from __future__ import annotations

import os
import tty


class StablePty:
    """The pty pair of one plugged-in session and the symlink that names it."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.master: int | None = None
        self.slave: int | None = None

    def open(self) -> int:
        """Create a fresh raw pty, point ``path`` at it, return the (non-blocking) master."""
        master, slave = os.openpty()
        tty.setraw(slave)  # no echo or newline translation before the driver opens it
        os.set_blocking(master, False)
        temp = f"{self.path}.{os.getpid()}.tmp"
        try:
            os.unlink(temp)
        except FileNotFoundError:
            pass
        os.symlink(os.ttyname(slave), temp)
        os.replace(temp, self.path)
        self.master, self.slave = master, slave
        return master

    def unlink(self) -> None:
        """Remove the path (the cable is pulled); the fds stay until ``close``."""
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass

    def close(self) -> None:
        for fd in (self.master, self.slave):
            if fd is not None:
                os.close(fd)
        self.master = self.slave = None

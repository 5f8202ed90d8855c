"""The one door to pyserial: opening a port by URL and the errors a port raises.

pyserial picks its platform backend when it is imported (``termios``/``fcntl`` on POSIX,
the win32 API on Windows), so it is imported here on first use, not when a driver
module loads: every product module imports on any platform (tests/test_portability.py),
and a till without a modem never loads a serial backend at all.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from serial import SerialBase


def open_port(url: str, **settings: Any) -> SerialBase:
    """``serial.serial_for_url(url, **settings)``: a device path, ``COM3`` or a pty."""
    import serial

    port: SerialBase = serial.serial_for_url(url, **settings)
    return port


def port_errors(*more: type[BaseException]) -> tuple[type[BaseException], ...]:
    """What a failing or vanished port raises, and ``more`` (for ``except port_errors():``)."""
    import serial

    return (serial.SerialException, OSError, *more)


def port_closed(detail: str) -> BaseException:
    """The error a driver raises itself when its port is gone."""
    import serial

    error: BaseException = serial.SerialException(detail)
    return error

"""``emit(signal, *args)``: emit a Qt signal from Python without corrupting ``True``.

PySide6 6.12's ``SignalInstance.emit`` returns ``True`` without taking a reference to it,
so every signal emitted from Python lowers the reference count of ``True`` by one;
after a few thousand emits the interpreter aborts ("bool_dealloc: deallocating True").
Every emit in the UI goes through here: it measures once whether this PySide has the
bug and, if so, gives the reference back after each emit. On a fixed PySide it is a
plain ``signal.emit``.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

_incref = ctypes.pythonapi.Py_IncRef
_incref.argtypes = [ctypes.py_object]
_incref.restype = None


class _Probe(QObject):
    probed = Signal()


def _emit_drops_true() -> bool:
    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(8):
        probe.probed.emit()
    dropped = before - sys.getrefcount(True)
    for _ in range(max(0, dropped)):
        _incref(True)
    return dropped >= 8


DROPS_TRUE = _emit_drops_true()


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``, keeping ``True``'s reference count right."""
    signal.emit(*args)
    if DROPS_TRUE:
        _incref(True)

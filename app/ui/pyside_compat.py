"""Keeps PySide6 from corrupting Python's singletons on CPython < 3.12.

PySide6 6.12 hands ``None``, ``True`` and ``False`` back to Python without taking a
reference (every method returning nothing, every ``emit``, every ``data()`` result
that is ``None``). On CPython 3.12+ those objects are immortal, so that is harmless;
on 3.11 each call lowers their reference count by one, and after some tens of
thousands of calls the interpreter aborts ("none_dealloc: deallocating None",
"bool_dealloc"). Measured here: ``beginResetModel()`` + ``endResetModel()`` cost two
references to ``None``; each ``emit`` one to ``True``.

``guard_singletons`` gives these objects a reserve of 2**40 references once, at import
(what 3.12 does by making them immortal). ``emit`` is the one way the UI emits signals,
so a future workaround has a single place to go.
"""

from __future__ import annotations

import ctypes
import logging
import platform
import sys
from typing import Any

log = logging.getLogger("countertop.ui.compat")

_RESERVE = 1 << 40
_guarded = False


def _buggy_pyside() -> bool:
    import PySide6

    return tuple(PySide6.__version_info__[:2]) >= (6, 12)


def guard_singletons() -> bool:
    """Top up the reference counts of None/True/False where PySide drops them.

    pyproject pins PySide6 below 6.12, where this is not needed; the guard only acts if
    a 6.12+ build still ends up installed on CPython < 3.12 (a user override).
    """
    global _guarded
    if _guarded or sys.version_info >= (3, 12) or platform.python_implementation() != "CPython":
        return False
    if not _buggy_pyside():
        return False
    for obj in (None, True, False, Ellipsis, NotImplemented):
        count = ctypes.c_ssize_t.from_address(id(obj))
        count.value += _RESERVE
    _guarded = True
    log.debug("reference reserve given to None/True/False for PySide6 on Python %s",
              platform.python_version())
    return True


guard_singletons()


def emit(signal: Any, *args: Any) -> None:
    """``signal.emit(*args)``: every signal the UI emits from Python goes through here."""
    signal.emit(*args)

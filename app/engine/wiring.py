"""Attaches devices, intake and peers to a running engine service (filled in per feature)."""

from __future__ import annotations

from typing import Any


def attach_all(service: Any) -> None:
    """Attach every optional part the engine options ask for."""

"""What the main window asks of each page: does this batch of changes concern you?

Every page (inbox, board, orders, customers, stock) decides from a ``sync.changes.Changes``
whether it must refresh, and which rows (``needs_refresh``); the window refreshes the
visible page at once and the others when they are next shown (``MainWindow._mark``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sync.changes import Changes


@dataclass(frozen=True)
class Refresh:
    """Rows a page must re-read: ``ids``, or everything on it when None."""

    ids: frozenset[str] | None = None

    @classmethod
    def rows(cls, ids: set[str]) -> Refresh:
        return cls(frozenset(ids))

    def union(self, other: Refresh) -> Refresh:
        if self.ids is None or other.ids is None:
            return Refresh(None)
        return Refresh(self.ids | other.ids)

    def id_set(self) -> set[str] | None:
        return None if self.ids is None else set(self.ids)


EVERYTHING = Refresh(None)


class Page(Protocol):
    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """What of this page ``changes`` makes stale; None when nothing."""

    def refresh(self, changed: set[str] | None = None) -> None:
        """Re-read ``changed`` rows (every row for None)."""

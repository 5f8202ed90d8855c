"""A Qt table model that holds ids and fetches rows lazily (the Anki browser model).

Subclasses say how to list ids for the current filter (a window: limit/offset), how to
count them and how to read rows by id. The model loads ``CHUNK`` ids at a time as the
view scrolls (``canFetchMore``/``fetchMore``), reads rows only for ids the view paints,
and on refresh applies the new id list as removals, moves and insertions, so selection
and scroll position survive a burst of remote changes.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from app.ui.pyside_compat import emit

Index = QModelIndex | QPersistentModelIndex


class IdWindowModel(QAbstractTableModel):
    """Rows are ids; row data is cached per id and invalidated by ``refresh(changed)``."""

    CHUNK = 200
    ROW_PAGE = 100
    COLUMNS: tuple[tuple[str, str], ...] = (("id", "Id"),)

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._ids: list[str] = []
        self._cache: dict[str, dict[str, Any]] = {}
        self._total = 0

    # -- subclass hooks

    def query_ids(self, limit: int, offset: int = 0) -> list[str]:
        raise NotImplementedError

    def query_count(self) -> int:
        raise NotImplementedError

    def query_rows(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        raise NotImplementedError

    def query_more(self, last_id: str, limit: int) -> list[str] | None:
        """Ids after ``last_id`` without an offset, when the source can (None: use offset)."""
        return None

    def cell(self, row: dict[str, Any], column: int, role: int) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return str(row.get(self.COLUMNS[column][0]) or "")
        return None

    # -- Qt model API

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._ids)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation,
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if (orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole
                and 0 <= section < len(self.COLUMNS)):
            return self.COLUMNS[section][1]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not (0 <= index.row() < len(self._ids)):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self._ids[index.row()]
        row = self.row_at(index.row())
        if row is None:
            return None
        return self.cell(row, index.column(), role)

    def canFetchMore(self, parent: Index = QModelIndex()) -> bool:
        return not parent.isValid() and len(self._ids) < self._total

    def fetchMore(self, parent: Index = QModelIndex()) -> None:
        if parent.isValid():
            return
        more = self.query_more(self._ids[-1], self.CHUNK) if self._ids else None
        if more is None:
            more = self.query_ids(self.CHUNK, len(self._ids))
        known = set(self._ids)
        more = [i for i in more if i not in known]
        if not more:
            self._total = len(self._ids)
            return
        start = len(self._ids)
        self.beginInsertRows(QModelIndex(), start, start + len(more) - 1)
        self._ids.extend(more)
        self.endInsertRows()

    # -- rows

    def id_at(self, row: int) -> str | None:
        return self._ids[row] if 0 <= row < len(self._ids) else None

    def row_for_id(self, ident: str) -> int:
        try:
            return self._ids.index(ident)
        except ValueError:
            return -1

    def row_at(self, row: int) -> dict[str, Any] | None:
        ident = self._ids[row]
        cached = self._cache.get(ident)
        if cached is not None:
            return cached
        # read a page around the painted row in one query
        page = [i for i in self._ids[max(0, row - 10):row + self.ROW_PAGE]
                if i not in self._cache]
        self._cache.update(self.query_rows(page))
        if len(self._cache) > 20 * self.ROW_PAGE:
            keep = set(self._ids[max(0, row - 5 * self.ROW_PAGE):row + 5 * self.ROW_PAGE])
            self._cache = {k: v for k, v in self._cache.items() if k in keep}
        return self._cache.get(ident)

    def ids(self) -> list[str]:
        return list(self._ids)

    @property
    def total(self) -> int:
        return self._total

    # -- refresh

    def refresh(self, changed: set[str] | None = None) -> None:
        """Re-query the loaded window; ``changed`` ids (None: all) are re-read."""
        if changed is None:
            self._cache.clear()
        else:
            for ident in changed:
                self._cache.pop(ident, None)
        self._total = self.query_count()
        new_ids = self.query_ids(max(len(self._ids), self.CHUNK))
        self._apply_ids(new_ids)
        if self._ids and (changed is None or changed & set(self._ids)):
            rows = range(len(self._ids)) if changed is None else \
                [i for i, x in enumerate(self._ids) if x in changed]
            if rows:
                emit(self.dataChanged, self.index(min(rows), 0),
                                      self.index(max(rows), self.columnCount() - 1))

    def reset(self) -> None:
        self.beginResetModel()
        self._cache.clear()
        self._total = self.query_count()
        self._ids = self.query_ids(self.CHUNK)
        self.endResetModel()

    def _apply_ids(self, new: list[str]) -> None:
        new_set = set(new)
        # 1. removals, bottom-up, in contiguous blocks
        i = len(self._ids) - 1
        while i >= 0:
            if self._ids[i] in new_set:
                i -= 1
                continue
            j = i
            while j > 0 and self._ids[j - 1] not in new_set:
                j -= 1
            self.beginRemoveRows(QModelIndex(), j, i)
            del self._ids[j:i + 1]
            self.endRemoveRows()
            i = j - 1
        # 2. moves: the kept ids in their new order
        old_set = set(self._ids)
        kept = [x for x in new if x in old_set]
        if kept != self._ids:
            emit(self.layoutAboutToBeChanged)
            where = {x: k for k, x in enumerate(kept)}
            for idx in self.persistentIndexList():
                if 0 <= idx.row() < len(self._ids):
                    target = where[self._ids[idx.row()]]
                    self.changePersistentIndex(idx, self.index(target, idx.column()))
            self._ids = kept
            emit(self.layoutChanged)
        # 3. insertions, in runs
        k = 0
        while k < len(new):
            if new[k] in old_set:
                k += 1
                continue
            start = k
            while k < len(new) and new[k] not in old_set:
                k += 1
            self.beginInsertRows(QModelIndex(), start, k - 1)
            self._ids[start:start] = new[start:k]
            self.endInsertRows()

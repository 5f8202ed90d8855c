"""The order board: one column per status, cards with due times, drag or keys to move.

Ctrl+Right (or the ] key) moves the selected orders one step on; Enter opens the editor;
Left/Right without Ctrl move between columns. Illegal moves are refused by the engine,
whose plain-words reason is shown by the main window.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtGui import QColor, QFont, QKeyEvent, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from app.ui.order_actions import COLUMN_TARGETS, OrderActions
from app.ui.order_models import ROW_ROLE, BoardColumnModel, due_state, due_text
from app.ui.pages import EVERYTHING, Refresh
from app.ui.pyside_compat import emit
from app.ui.read_store import OrderFilter, ReadStore, utc_iso
from app.ui.theme import (
    BOARD_COLUMNS,
    CHANNEL_COLOURS,
    CHANNEL_LABELS,
    STATUS_COLOURS,
    STATUS_LABELS,
    Theme,
)
from app.ui.widgets import FilterCombo, PageHeader, SearchField, page_layout
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.lifecycle import check_transition
from sync.vocabulary import CHANNELS

Index = QModelIndex | QPersistentModelIndex

DATE_RANGES = [("", "Any date"), ("today", "Today"), ("2d", "Since yesterday"),
               ("7d", "Last 7 days"), ("30d", "Last 30 days")]


def since_for(key: str) -> str | None:
    now = dt.datetime.now().astimezone()
    if key == "today":
        return utc_iso(now.replace(hour=0, minute=0, second=0, microsecond=0))
    days = {"2d": 1, "7d": 7, "30d": 30}.get(key)
    if days is None:
        return None
    start = now.replace(hour=0, minute=0, second=0, microsecond=0) - dt.timedelta(days=days)
    return utc_iso(start)


class OrderFilterBar(QWidget):
    """Search, tag, assignee, channel and date filters shared by the board and the table."""

    sig_changed = Signal()

    def __init__(self, store: ReadStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 0, 16, 8)
        lay.setSpacing(8)
        self.search = SearchField("Search orders: number, customer, item…  (Ctrl+F)")
        self.tag = FilterCombo("Any tag")
        self.assignee = FilterCombo("Anyone")
        self.channel = FilterCombo("Any channel", [(c, CHANNEL_LABELS[c]) for c in CHANNELS])
        self.date = FilterCombo("Any date", DATE_RANGES[1:])
        lay.addWidget(self.search, 3)
        for combo in (self.tag, self.assignee, self.channel, self.date):
            lay.addWidget(combo, 1)
            combo.currentIndexChanged.connect(lambda _i: emit(self.sig_changed))
        self.search.textChanged.connect(lambda _t: emit(self.sig_changed))

    def reload_choices(self) -> None:
        self.tag.set_items([(t, "#" + t) for t in self.store.tags()])
        self.assignee.set_items([(a, a) for a in self.store.assignees()])

    def value(self) -> OrderFilter:
        return OrderFilter(search=self.search.text().strip(), tag=self.tag.value(),
                           assignee=self.assignee.value(), channel=self.channel.value(),
                           since=since_for(self.date.value()))


class OrderCardDelegate(QStyledItemDelegate):
    """Paints an order as a card: number, customer, total, due time, tags."""

    HEIGHT = 86

    def __init__(self, theme: Theme, store: ReadStore, parent: Any = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.store = store

    def sizeHint(self, option: QStyleOptionViewItem, index: Index) -> QSize:
        return QSize(60, self.HEIGHT)  # the list gives cards its full width

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        row: dict[str, Any] | None = index.data(ROW_ROLE)
        if row is None:
            return
        p = self.theme.palette
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        rect = option.rect.adjusted(2, 3, -2, -3)  # type: ignore[attr-defined]
        selected = bool(option.state & QStyle.StateFlag.State_Selected)  # type: ignore[attr-defined]
        focused = bool(option.state & QStyle.StateFlag.State_HasFocus)  # type: ignore[attr-defined]
        path = QPainterPath()
        path.addRoundedRect(rect, 8, 8)
        painter.fillPath(path, QColor(p.selection if selected else p.surface))
        state = due_state(row)
        border = QColor(p.danger) if state == "overdue" else QColor(
            p.accent if selected or focused else p.border)
        painter.setPen(QPen(border, 1.5 if (state == "overdue" or selected) else 1))
        painter.drawPath(path)
        stripe = QRect(rect.left(), rect.top() + 8, 4, rect.height() - 16)
        painter.fillRect(stripe, QColor(STATUS_COLOURS.get(str(row.get("status")), p.muted)))

        x = rect.left() + 14
        w = rect.width() - 26
        bold = QFont(option.font)  # type: ignore[attr-defined]
        bold.setBold(True)
        normal = QFont(option.font)  # type: ignore[attr-defined]
        small = QFont(option.font)  # type: ignore[attr-defined]
        small.setPointSizeF(max(7.5, normal.pointSizeF() - 1.5))

        painter.setFont(bold)
        painter.setPen(QColor(p.text))
        top = QRect(x, rect.top() + 8, w, 20)
        painter.drawText(top, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         str(row.get("number") or ""))
        painter.drawText(top, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                         self.store.money(row.get("total")))

        painter.setFont(normal)
        name = str(row.get("customer_name") or "Walk-in customer")
        metrics = painter.fontMetrics()
        painter.drawText(QRect(x, rect.top() + 29, w, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         metrics.elidedText(name, Qt.TextElideMode.ElideRight, w))

        painter.setFont(small)
        bottom = QRect(x, rect.top() + 52, w, 20)
        channel = str(row.get("channel") or "counter")
        icon = self.theme.icon(channel, CHANNEL_COLOURS.get(channel, p.muted), 32)
        icon.paint(painter, QRect(x, bottom.top() + 2, 16, 16))
        info = []
        if row.get("fulfilment") == "delivery":
            info.append("Delivery")
        balance = int(row.get("balance") or 0)
        if balance > 0 and int(row.get("paid") or 0) > 0:
            info.append("part paid")
        elif balance <= 0 and int(row.get("total") or 0) > 0:
            info.append("paid")
        if row.get("assignee"):
            info.append(str(row["assignee"]))
        tags = row.get("tags") or []
        if tags:
            info.append(" ".join("#" + t for t in tags[:2]))
        painter.setPen(QColor(p.muted))
        left_text = " · ".join(info)
        due = due_text(row)
        due_w = painter.fontMetrics().horizontalAdvance(due) + 6 if due else 0
        painter.drawText(QRect(x + 22, bottom.top(), w - 22 - due_w, 20),
                         Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
                         painter.fontMetrics().elidedText(left_text, Qt.TextElideMode.ElideRight,
                                                          max(10, w - 22 - due_w)))
        if due:
            colour = p.danger if state == "overdue" else p.warning if state == "soon" else p.muted
            if state:
                painter.setFont(QFont(small.family(), int(small.pointSizeF()), QFont.Weight.Bold))
            painter.setPen(QColor(colour))
            painter.drawText(bottom, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                             due)
        painter.restore()


class BoardList(QListView):
    """One column's card list; forwards board keys to the board."""

    sig_key = Signal(str)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        mods = event.modifiers()
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            emit(self.sig_key, "open")
            return
        if (key == Qt.Key.Key_Right and mods & Qt.KeyboardModifier.ControlModifier) or \
                key == Qt.Key.Key_BracketRight:
            emit(self.sig_key, "advance")
            return
        if key == Qt.Key.Key_Right:
            emit(self.sig_key, "focus_right")
            return
        if key == Qt.Key.Key_Left and not mods & Qt.KeyboardModifier.ControlModifier:
            emit(self.sig_key, "focus_left")
            return
        if key == Qt.Key.Key_Delete:
            emit(self.sig_key, "cancel")
            return
        super().keyPressEvent(event)


class BoardColumn(QFrame):
    """Title, count and the card list of one board column."""

    def __init__(self, key: str, title: str, model: BoardColumnModel,
                 delegate: OrderCardDelegate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("BoardColumn")
        self.key = key
        self.model = model
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 10, 8, 8)
        lay.setSpacing(6)
        head = QHBoxLayout()
        head.setContentsMargins(6, 0, 6, 0)
        dot = QLabel("●")
        first = COLUMN_TARGETS[key]["pickup"]
        dot.setStyleSheet(f"color: {STATUS_COLOURS.get(first, '#888')};")
        self.title = QLabel(title)
        self.title.setObjectName("ColumnTitle")
        self.count = QLabel("0")
        self.count.setObjectName("CountPill")
        self.count.setAlignment(Qt.AlignmentFlag.AlignCenter)
        # fixed sizes: a new count or "No orders" must not re-lay out the whole board
        self.count.setFixedSize(40, 20)
        head.addWidget(dot)
        head.addWidget(self.title)
        head.addStretch(1)
        head.addWidget(self.count)
        lay.addLayout(head)
        self.list = BoardList()
        self.list.setObjectName("BoardList")
        self.list.setModel(model)
        self.list.setItemDelegate(delegate)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.list.setDragEnabled(True)
        self.list.setAcceptDrops(True)
        self.list.setDropIndicatorShown(True)
        self.list.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.list.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.list.setUniformItemSizes(True)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.setResizeMode(QListView.ResizeMode.Adjust)
        self.list.setAccessibleName(f"{title} orders")
        lay.addWidget(self.list, 1)
        self.empty = QLabel("")
        self.empty.setObjectName("Muted")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setFixedHeight(20)
        lay.addWidget(self.empty)

    def update_count(self) -> None:
        n = self.model.total
        self.count.setText(f"{n:,}" if n < 100_000 else f"{n // 1000}k")
        self.empty.setText("" if n else "No orders")


class BoardView(QWidget):
    """The order board page."""

    #: an order to open in the editor
    sig_open_order = Signal(str)

    def __init__(self, store: ReadStore, actions: OrderActions, theme: Theme,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.actions = actions
        self.header = PageHeader("Order board", "Drag a card or press Ctrl+→ to move it on · "
                                                "Ctrl+Z takes a move back")
        lay = page_layout(self, self.header)
        self.filters = OrderFilterBar(store)
        lay.addWidget(self.filters)
        row = QHBoxLayout()
        row.setContentsMargins(16, 4, 16, 16)
        row.setSpacing(10)
        self.delegate = OrderCardDelegate(theme, store, self)
        self.columns: list[BoardColumn] = []
        for key, title, statuses in BOARD_COLUMNS:
            model = BoardColumnModel(store, key, statuses, self)
            model.drop_handler = self._dropped  # type: ignore[attr-defined]
            column = BoardColumn(key, title, model, self.delegate)
            column.list.sig_key.connect(lambda action, c=column: self._key(c, action))
            column.list.doubleClicked.connect(self._open_index)
            column.list.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
            column.list.customContextMenuRequested.connect(
                lambda pos, c=column: self._menu(c, pos))
            self.columns.append(column)
            row.addWidget(column, 1)
        lay.addLayout(row, 1)
        self.filters.sig_changed.connect(self.apply_filter)
        #: cards a key just moved: selected again in their new column on refresh
        self._follow: list[str] = []

    def models(self) -> list[BoardColumnModel]:
        return [c.model for c in self.columns]

    def apply_filter(self) -> None:
        f = self.filters.value()
        for column in self.columns:
            column.model.set_filter(f)
            column.update_count()

    def needs_refresh(self, changes: Changes) -> Refresh | None:
        """Cards show orders and their customers' names."""
        if changes.touches("customers"):
            return EVERYTHING
        return Refresh.rows(changes.orders) if changes.touches("orders") else None

    def refresh(self, changed: set[str] | None = None) -> None:
        for column in self.columns:
            column.model.refresh(changed)
            column.update_count()
        self._follow_moved()
        total_open = sum(c.model.total for c in self.columns if c.key != "delivered")
        self.header.subtitle.setText(
            f"{total_open} open order{'s' if total_open != 1 else ''} · drag a card or press "
            "Ctrl+→ to move it on · Ctrl+Z takes a move back · Enter opens it")

    def reload(self) -> None:
        self.filters.reload_choices()
        for column in self.columns:
            column.model.reset()
            column.update_count()
        self.refresh(set())

    def _selected_ids(self, column: BoardColumn) -> list[str]:
        return [str(i.data(Qt.ItemDataRole.UserRole))
                for i in column.list.selectionModel().selectedIndexes()]

    def _dropped(self, ids: list[str], column_key: str) -> None:
        self.actions.move_to_column(ids, column_key)

    def _open_index(self, index: QModelIndex) -> None:
        oid = index.data(Qt.ItemDataRole.UserRole)
        if oid:
            emit(self.sig_open_order, str(oid))

    def _key(self, column: BoardColumn, action: str) -> None:
        pos = self.columns.index(column)
        if action == "open":
            current = column.list.currentIndex()
            if current.isValid():
                self._open_index(current)
        elif action == "advance":
            ids = self._selected_ids(column)
            if ids:
                # keep the card under the keys: after the move it is selected in its new
                # column, so Ctrl+→ again moves it on again (``_follow_moved``)
                self._follow = list(ids)
                self.actions.advance(ids)
        elif action == "cancel":
            self.actions.cancel(self._selected_ids(column))
        elif action in ("focus_left", "focus_right"):
            step = -1 if action == "focus_left" else 1
            target = pos + step
            while 0 <= target < len(self.columns) and self.columns[target].model.rowCount() == 0:
                target += step
            if 0 <= target < len(self.columns):
                lst = self.columns[target].list
                lst.setFocus()
                if not lst.currentIndex().isValid():
                    lst.setCurrentIndex(lst.model().index(0, 0))

    def _follow_moved(self) -> None:
        """Select and focus the cards a key just moved, in the column they are in now."""
        follow = self._follow
        if not follow:
            return
        for column in self.columns:
            rows = [r for r in (column.model.row_for_id(i) for i in follow) if r >= 0]
            if not rows:
                continue
            self._follow = []
            lst = column.list
            lst.setFocus()
            selection = lst.selectionModel()
            selection.clearSelection()
            lst.setCurrentIndex(column.model.index(rows[0], 0))
            for r in rows:
                selection.select(column.model.index(r, 0),
                                 selection.SelectionFlag.Select)
            return

    def move_targets(self, ids: list[str]) -> list[tuple[str, str]]:
        """(column key, label) of every column all these orders may move to: forward
        moves only (backward ones are always refused), and the status each would reach
        named for the orders' kind ("Collected" for pickups, "Delivered" for deliveries)."""
        rows = self.store.orders_by_id(ids)
        out = []
        for key, title, _statuses in BOARD_COLUMNS:
            targets = set()
            legal = bool(rows)
            for row in rows.values():
                kind = "delivery" if row.get("fulfilment") == "delivery" else "pickup"
                target = COLUMN_TARGETS[key][kind]
                try:
                    check_transition(str(row.get("status") or ""), target)
                except CommandRejected:
                    legal = False
                    break
                targets.add(target)
            if legal:
                label = STATUS_LABELS.get(next(iter(targets)), title) if len(targets) == 1 \
                    else title
                out.append((key, label))
        return out

    def _menu(self, column: BoardColumn, pos: Any) -> None:
        ids = self._selected_ids(column)
        if not ids:
            return
        menu = QMenu(self)
        menu.addAction("Open", lambda: emit(self.sig_open_order, ids[0]))
        move = menu.addMenu("Move to")
        for key, label in self.move_targets(ids):
            move.addAction(label, lambda k=key: self.actions.move_to_column(ids, k))
        move.setEnabled(not move.isEmpty())
        self.menu = menu
        menu.addSeparator()
        menu.addAction("Cancel order",
                       lambda: self.actions.cancel(ids))
        menu.popup(column.list.viewport().mapToGlobal(pos))

    def focus_first(self) -> None:
        for column in self.columns:
            if column.model.rowCount():
                column.list.setFocus()
                if not column.list.currentIndex().isValid():
                    column.list.setCurrentIndex(column.model.index(0, 0))
                return

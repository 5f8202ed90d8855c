"""Small building blocks shared by the views: page header and layout, filter combo, empty
state, section titles, the common table look."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)


class PageHeader(QWidget):
    """Title, a muted subtitle and room for actions on the right."""

    def __init__(self, title: str, subtitle: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("PageHeader")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(18, 16, 16, 8)
        lay.setSpacing(10)
        text = QVBoxLayout()
        text.setSpacing(2)
        self.title = QLabel(title)
        self.title.setObjectName("PageTitle")
        self.subtitle = QLabel(subtitle)
        self.subtitle.setObjectName("PageSubtitle")
        self.subtitle.setFixedHeight(self.subtitle.sizeHint().height())
        text.addWidget(self.title)
        text.addWidget(self.subtitle)
        lay.addLayout(text)
        lay.addStretch(1)
        self.actions = QHBoxLayout()
        self.actions.setSpacing(8)
        lay.addLayout(self.actions)

    def add(self, widget: QWidget) -> QWidget:
        self.actions.addWidget(widget)
        return widget


class SearchField(QLineEdit):
    """A line edit with a search look; Escape clears it."""

    sig_escape = Signal()

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setPlaceholderText(placeholder)
        self.setClearButtonEnabled(True)
        self.setMinimumWidth(220)

    def keyPressEvent(self, event: object) -> None:  # type: ignore[override]
        from PySide6.QtGui import QKeyEvent

        assert isinstance(event, QKeyEvent)
        if event.key() == Qt.Key.Key_Escape and self.text():
            self.clear()
            return
        super().keyPressEvent(event)


class FilterCombo(QComboBox):
    """A combo whose first item means "any"; ``value()`` is "" for it."""

    def __init__(self, any_text: str, items: list[tuple[str, str]] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.any_text = any_text
        self.set_items(items or [])
        self.setMinimumWidth(120)

    def set_items(self, items: list[tuple[str, str]]) -> None:
        current = self.value()
        self.blockSignals(True)
        self.clear()
        self.addItem(self.any_text, "")
        for value, label in items:
            self.addItem(label, value)
        pos = self.findData(current)
        self.setCurrentIndex(max(0, pos))
        self.blockSignals(False)

    def value(self) -> str:
        data = self.currentData()
        return str(data) if data else ""


class EmptyState(QLabel):
    """A calm, centred message where a list has nothing to show."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setObjectName("EmptyState")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)


class Card(QFrame):
    """A white rounded panel."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("Card")


def bind_key(parent: QWidget, key: str | QKeySequence | QKeySequence.StandardKey,
             slot: Callable[[], object]) -> QShortcut:
    """A shortcut on ``parent`` calling ``slot``; keep the returned object referenced."""
    shortcut = QShortcut(QKeySequence(key), parent)
    shortcut.activated.connect(slot)
    return shortcut


def muted(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Muted")
    label.setWordWrap(True)
    return label


def section_title(text: str) -> QLabel:
    """A heading above a block inside a page (the "SectionTitle" style)."""
    label = QLabel(text)
    label.setObjectName("SectionTitle")
    return label


def page_layout(page: QWidget, header: PageHeader) -> QVBoxLayout:
    """The layout of a top-level page: edge to edge with no gaps, its header on top, so
    every page's header sits at the same place when the sidebar switches pages."""
    lay = QVBoxLayout(page)
    lay.setContentsMargins(0, 0, 0, 0)
    lay.setSpacing(0)
    lay.addWidget(header)
    return lay


def plain_table(view: QTableView) -> None:
    """The look the list-like tables share: whole rows selected, no grid, no row numbers,
    headers left-aligned and not lit up by the selection."""
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setShowGrid(False)
    view.verticalHeader().hide()
    header = view.horizontalHeader()
    header.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
    header.setHighlightSections(False)


class Avatar(QLabel):
    """A round coloured badge showing the initials of the first two words of a name."""

    def __init__(self, size: int, font_pt: int, fallback: str,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFixedSize(size, size)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._radius = size // 2
        self._font_pt = font_pt
        self._fallback = fallback

    def set_person(self, name: str, colour: str) -> None:
        """Show ``name``'s initials on ``colour``; ``fallback`` when no word starts with a letter."""
        initials = "".join(w[0] for w in name.split()[:2] if w[0].isalpha()).upper()
        self.setText(initials or self._fallback)
        self.setStyleSheet(f"background: {colour}; color: white; "
                           f"border-radius: {self._radius}px; font-weight: 700; "
                           f"font-size: {self._font_pt}pt;")


class ElidedLabel(QLabel):
    """A one-line label that shortens its text with … to fit, the whole text in its
    tooltip: a 250-character name must not make the window 4,000 px wide."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._full = ""
        from PySide6.QtWidgets import QSizePolicy

        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.setMinimumWidth(40)
        self.setText(text)

    def setText(self, text: str) -> None:  # type: ignore[override]
        self._full = str(text)
        self.setToolTip(self._full if len(self._full) > 30 else "")
        self._elide()

    def full_text(self) -> str:
        return self._full

    def text(self) -> str:  # type: ignore[override]
        """The whole text (what is painted may be shortened)."""
        return self._full

    def _elide(self) -> None:
        metrics = self.fontMetrics()
        super().setText(metrics.elidedText(self._full, Qt.TextElideMode.ElideRight,
                                           max(20, self.width())))

    def resizeEvent(self, event: object) -> None:  # type: ignore[override]
        super().resizeEvent(event)  # type: ignore[arg-type]
        self._elide()

    def minimumSizeHint(self) -> Any:  # type: ignore[override]
        hint = super().minimumSizeHint()
        hint.setWidth(40)
        return hint

    def sizeHint(self) -> Any:  # type: ignore[override]
        hint = super().sizeHint()
        hint.setWidth(min(hint.width(), 400))
        return hint

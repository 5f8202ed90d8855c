"""Telling staff something happened: tray message when there is a tray, a toast otherwise.

New messages, new orders, calls and overbooking go through ``Notifier.notify``; it also
beeps when sound is on. Toasts stack at the bottom right of the window and fade on a
timer; they never take the keyboard focus.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject, QPoint, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QSystemTrayIcon,
    QVBoxLayout,
    QWidget,
)

from app.till_settings import TillSettings
from app.ui.pyside_compat import emit
from app.ui.theme import Theme

log = logging.getLogger("countertop.ui.notify")


class Toast(QFrame):
    """A small dark box with a title and a line of text, floating over the window."""

    def __init__(self, title: str, text: str, level: str, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("Toast")
        self.setAttribute(Qt.WidgetAttribute.WA_ShowWithoutActivating)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(14, 10, 16, 10)
        lay.setSpacing(10)
        mark = QLabel({"error": "⚠", "call": "☎", "info": "●"}.get(level, "●"))
        colour = {"error": "#f06262", "call": "#3ccf91"}.get(level, "#5b8dff")
        mark.setStyleSheet(f"color: {colour}; font-size: 13pt;")
        lay.addWidget(mark, 0, Qt.AlignmentFlag.AlignTop)
        col = QVBoxLayout()
        col.setSpacing(1)
        head = QLabel(title)
        head.setStyleSheet("font-weight: 700;")
        col.addWidget(head)
        if text:
            body = QLabel(text)
            body.setWordWrap(True)
            body.setMaximumWidth(360)
            col.addWidget(body)
        lay.addLayout(col)
        self.adjustSize()


class Notifier(QObject):
    """Shows notifications and counts them; the window places the toasts."""

    #: (title, text, level) every time something is shown
    sig_notified = Signal(str, str, str)

    TOAST_MS = 4500
    MAX_TOASTS = 4

    def __init__(self, window: QWidget, theme: Theme, settings: TillSettings,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.window = window
        self.theme = theme
        self.settings = settings
        self.toasts: list[Toast] = []
        self.tray: QSystemTrayIcon | None = None
        if QSystemTrayIcon.isSystemTrayAvailable():
            self.tray = QSystemTrayIcon(theme.icon("logo", theme.palette.accent), self)
            self.tray.setToolTip("Countertop")
            self.tray.show()
            self.tray.activated.connect(lambda _r: self._raise_window())

    def _raise_window(self) -> None:
        self.window.showNormal()
        self.window.raise_()
        self.window.activateWindow()

    def notify(self, title: str, text: str = "", level: str = "info", *,
               sound: bool = True) -> None:
        """Tray message if available and enabled (and the window is not active), else a toast."""
        emit(self.sig_notified, title, text, level)
        if sound and level != "error" and self.settings.get("sound"):
            QApplication.beep()
        use_tray = (self.tray is not None and self.settings.get("tray_notifications")
                    and not self.window.isActiveWindow() and level != "error")
        if use_tray and self.tray is not None:
            icon = {"error": QSystemTrayIcon.MessageIcon.Warning}.get(
                level, QSystemTrayIcon.MessageIcon.Information)
            self.tray.showMessage(title, text, icon, self.TOAST_MS)
            return
        self.toast(title, text, level)

    def toast(self, title: str, text: str = "", level: str = "info") -> Toast:
        toast = Toast(title, text, level, self.window)
        self.toasts.append(toast)
        while len(self.toasts) > self.MAX_TOASTS:
            self._drop(self.toasts[0])
        toast.show()
        toast.raise_()
        self.place()
        QTimer.singleShot(self.TOAST_MS + (2500 if level == "error" else 0),
                          toast, lambda t=toast: self._drop(t))
        return toast

    def _drop(self, toast: Toast) -> None:
        if toast in self.toasts:
            self.toasts.remove(toast)
            toast.hide()
            toast.deleteLater()
            self.place()

    def place(self) -> None:
        margin = 18
        bottom = self.window.height() - margin - 26  # above the status bar
        for toast in reversed(self.toasts):
            toast.adjustSize()
            bottom -= toast.height()
            toast.move(QPoint(self.window.width() - toast.width() - margin, bottom))
            bottom -= 8

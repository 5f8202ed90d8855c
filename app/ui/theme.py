"""Colours, the style sheet and icons: one place decides how the counter window looks.

Two palettes (light, dark) fill one style-sheet template in ``resources/styles``; icons
are single-colour SVGs in ``resources/icons`` tinted to the palette at load time, so a
theme switch recolours everything without a second icon set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from string import Template

from PySide6.QtCore import QByteArray, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QGuiApplication, QIcon, QPainter, QPalette, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication

log = logging.getLogger("countertop.ui.theme")

RESOURCES = Path(__file__).resolve().parents[2] / "resources"
ICONS = RESOURCES / "icons"
STYLES = RESOURCES / "styles"

#: board columns: (key, title, statuses shown in it)
BOARD_COLUMNS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("new", "New", ("new",)),
    ("confirmed", "Confirmed", ("confirmed",)),
    ("preparing", "Preparing", ("preparing",)),
    ("ready", "Ready", ("ready",)),
    ("out", "Out / shipped", ("out_for_delivery", "shipped")),
    ("delivered", "Delivered", ("delivered", "collected")),
)

STATUS_LABELS = {
    "new": "New", "confirmed": "Confirmed", "preparing": "Preparing", "ready": "Ready",
    "out_for_delivery": "Out for delivery", "shipped": "Shipped", "delivered": "Delivered",
    "collected": "Collected", "closed": "Closed", "cancelled": "Cancelled",
    "returned": "Returned",
}

STATUS_COLOURS = {
    "new": "#6366f1", "confirmed": "#0ea5e9", "preparing": "#f59e0b", "ready": "#10b981",
    "out_for_delivery": "#8b5cf6", "shipped": "#8b5cf6", "delivered": "#64748b",
    "collected": "#64748b", "closed": "#94a3b8", "cancelled": "#ef4444", "returned": "#f97316",
}

CHANNEL_LABELS = {"sms": "SMS", "phone": "Call", "email": "Email", "web": "Web",
                  "counter": "Counter", "whatsapp": "WhatsApp", "messenger": "Messenger"}

CHANNEL_COLOURS = {"sms": "#0ea5e9", "phone": "#10b981", "email": "#8b5cf6", "web": "#f59e0b",
                   "counter": "#64748b", "whatsapp": "#22c55e", "messenger": "#3b82f6"}


@dataclass(frozen=True)
class Palette:
    """The named colours the style sheet and painted widgets use."""

    name: str
    bg: str
    surface: str
    surface2: str
    border: str
    text: str
    muted: str
    accent: str
    accent_text: str
    danger: str
    warning: str
    success: str
    selection: str
    banner: str
    banner_text: str

    def colour(self, name: str) -> QColor:
        return QColor(getattr(self, name))


LIGHT = Palette("light", bg="#f3f4f6", surface="#ffffff", surface2="#f8f9fb", border="#dfe3e8",
                text="#1d2430", muted="#6b7585", accent="#2f6fed", accent_text="#ffffff",
                danger="#d93636", warning="#c27c0e", success="#138a5e", selection="#e3ecfd",
                banner="#fff4d6", banner_text="#7a5300")
DARK = Palette("dark", bg="#15171c", surface="#1d2027", surface2="#23272f", border="#323844",
               text="#e5e8ec", muted="#98a2b3", accent="#5b8dff", accent_text="#0e1320",
               danger="#f06262", warning="#f0b429", success="#3ccf91", selection="#273a63",
               banner="#3a2f12", banner_text="#f5d58a")


def system_prefers_dark() -> bool:
    hints = QGuiApplication.styleHints()
    try:
        return bool(hints.colorScheme() == Qt.ColorScheme.Dark)
    except AttributeError:  # older Qt: no colour-scheme hint
        return False


class Theme:
    """The active palette; ``apply`` restyles the whole application."""

    def __init__(self, mode: str = "system") -> None:
        self.mode = mode
        self.palette = self._pick(mode)
        self._icon_cache: dict[tuple[str, str, int], QIcon] = {}

    @staticmethod
    def _pick(mode: str) -> Palette:
        if mode == "dark":
            return DARK
        if mode == "light":
            return LIGHT
        return DARK if system_prefers_dark() else LIGHT

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.palette = self._pick(mode)
        self._icon_cache.clear()

    def style_sheet(self) -> str:
        template = Template((STYLES / "countertop.qss").read_text(encoding="utf-8"))
        return template.safe_substitute(vars(self.palette))

    def apply(self, app: QApplication) -> None:
        """Set the Fusion style, a matching QPalette and the style sheet."""
        app.setStyle("Fusion")
        p = self.palette
        pal = QPalette()
        pal.setColor(QPalette.ColorRole.Window, QColor(p.bg))
        pal.setColor(QPalette.ColorRole.WindowText, QColor(p.text))
        pal.setColor(QPalette.ColorRole.Base, QColor(p.surface))
        pal.setColor(QPalette.ColorRole.AlternateBase, QColor(p.surface2))
        pal.setColor(QPalette.ColorRole.Text, QColor(p.text))
        pal.setColor(QPalette.ColorRole.Button, QColor(p.surface))
        pal.setColor(QPalette.ColorRole.ButtonText, QColor(p.text))
        pal.setColor(QPalette.ColorRole.Highlight, QColor(p.accent))
        pal.setColor(QPalette.ColorRole.HighlightedText, QColor(p.accent_text))
        pal.setColor(QPalette.ColorRole.ToolTipBase, QColor(p.surface))
        pal.setColor(QPalette.ColorRole.ToolTipText, QColor(p.text))
        pal.setColor(QPalette.ColorRole.PlaceholderText, QColor(p.muted))
        pal.setColor(QPalette.ColorRole.Link, QColor(p.accent))
        app.setPalette(pal)
        font = app.font()
        font.setPointSizeF(10)
        app.setFont(font)
        app.setStyleSheet(self.style_sheet())

    def icon(self, name: str, colour: str | None = None, size: int = 64) -> QIcon:
        """An icon from ``resources/icons/NAME.svg`` tinted ``colour`` (default: text)."""
        colour = colour or self.palette.text
        key = (name, colour, size)
        cached = self._icon_cache.get(key)
        if cached is not None:
            return cached
        icon = QIcon(self.pixmap(name, colour, size))
        self._icon_cache[key] = icon
        return icon

    def pixmap(self, name: str, colour: str, size: int) -> QPixmap:
        path = ICONS / f"{name}.svg"
        pix = QPixmap(QSize(size, size))
        pix.fill(Qt.GlobalColor.transparent)
        try:
            svg = path.read_text(encoding="utf-8").replace("#COLOR", colour)
        except OSError:
            log.warning("icon %s is missing", path)
            return pix
        renderer = QSvgRenderer(QByteArray(svg.encode()))
        painter = QPainter(pix)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter, QRectF(0, 0, size, size))
        painter.end()
        return pix


def channel_icon_name(channel: str) -> str:
    return channel if (ICONS / f"{channel}.svg").exists() else "sms"

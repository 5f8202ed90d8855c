"""The counter window: navigation, the five views, demo banner, status bar, shortcuts.

It routes engine change batches to the views that show the changed records (the visible
one at once, the others when they are next shown), raises notifications for new
messages, orders, calls and overbooking, and pops the caller's card on an incoming call.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

from PySide6.QtCore import QSize, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from app.till_settings import TillSettings
from app.ui import operations as ops
from app.ui.board_view import BoardView
from app.ui.catalog_view import CatalogView
from app.ui.customer_view import CustomersView, ScreenPop
from app.ui.engine_link import EngineLink
from app.ui.inbox_view import InboxView
from app.ui.notice_bar import NoticeBar
from app.ui.notifications import Notifier
from app.ui.order_actions import OrderActions
from app.ui.order_draft import OrderDraft, draft_from_message, draft_from_order
from app.ui.order_editor import OrderEditor
from app.ui.orders_table_view import OrdersTableView
from app.ui.pages import Page, Refresh
from app.ui.purchasing_view import PurchasingView
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.reports_view import ReportsView
from app.ui.settings_dialog import SettingsDialog
from app.ui.staff_dialogs import StaffSwitcher
from app.ui.status_bar import TillStatusBar
from app.ui.stock_view import StockView
from app.ui.theme import CHANNEL_LABELS, Theme
from app.ui.ticket_printer import print_ticket_pdf
from sync.changes import Changes

log = logging.getLogger("countertop.ui.window")

PAGES = (("inbox", "Inbox", "inbox"), ("board", "Board", "board"),
         ("orders", "Orders", "table"), ("customers", "Customers", "customers"),
         ("stock", "Stock", "stock"), ("catalog", "Catalog", "catalog"),
         ("suppliers", "Suppliers", "supplier"), ("reports", "Reports", "table"))


class NavRail(QWidget):
    """The vertical page switcher on the left, with the inbox badge."""

    sig_page = Signal(int)

    def __init__(self, theme: Theme, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("NavRail")
        self.setFixedWidth(100)
        self.theme = theme
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 4, 0, 10)
        lay.setSpacing(2)
        logo = QLabel()
        logo.setPixmap(theme.icon("logo", theme.palette.accent).pixmap(30, 30))
        logo.setAlignment(Qt.AlignmentFlag.AlignCenter)
        logo.setContentsMargins(0, 12, 0, 0)
        lay.addWidget(logo)
        name = QLabel("Countertop")
        name.setObjectName("AppTitle")
        name.setAlignment(Qt.AlignmentFlag.AlignCenter)
        name.setStyleSheet("font-size: 8.5pt; padding-top: 2px; padding-bottom: 10px;")
        lay.addWidget(name)
        self.group = QButtonGroup(self)
        self.group.setExclusive(True)
        self.buttons: list[QToolButton] = []
        for n, (_key, label, icon) in enumerate(PAGES):
            button = QToolButton()
            button.setText(label)
            button.setIcon(theme.icon(icon, theme.palette.muted))
            button.setIconSize(QSize(22, 22))
            button.setCheckable(True)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
            button.setToolTip(f"{label}  (Ctrl+{n + 1})")
            button.setFixedWidth(88)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            self.group.addButton(button, n)
            self.buttons.append(button)
            lay.addWidget(button, 0, Qt.AlignmentFlag.AlignHCenter)
        lay.addStretch(1)
        self.settings_button = QToolButton()
        self.settings_button.setText("Settings")
        self.settings_button.setIcon(theme.icon("settings", theme.palette.muted))
        self.settings_button.setIconSize(QSize(20, 20))
        self.settings_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextUnderIcon)
        self.settings_button.setFixedWidth(88)
        lay.addWidget(self.settings_button, 0, Qt.AlignmentFlag.AlignHCenter)
        self.group.idClicked.connect(self.sig_page)
        self.badge = QLabel(self.buttons[0])
        self.badge.setStyleSheet(f"background: {theme.palette.danger}; color: white; "
                                 "border-radius: 9px; font-size: 8pt; font-weight: 700; "
                                 "padding: 0px 5px;")
        self.badge.hide()

    def set_current(self, page: int) -> None:
        self.buttons[page].setChecked(True)
        for n, button in enumerate(self.buttons):
            colour = self.theme.palette.accent if n == page else self.theme.palette.muted
            button.setIcon(self.theme.icon(PAGES[n][2], colour))

    def set_badge(self, count: int) -> None:
        if count <= 0:
            self.badge.hide()
            return
        self.badge.setText(str(count) if count < 100 else "99+")
        self.badge.adjustSize()
        self.badge.setMinimumWidth(18)
        self.badge.move(self.buttons[0].width() - self.badge.width() - 14, 4)
        self.badge.show()
        self.badge.raise_()


class DemoBanner(QWidget):
    """The strip that says this is a demo shop, with the way out."""

    sig_leave = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("DemoBanner")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(16, 6, 16, 6)
        text = QLabel("DEMO SHOP — a simulated modem and caller-ID play a busy hour of "
                      "messages and calls in a few minutes, then it settles. Nothing here "
                      "is real.")
        lay.addWidget(text, 1)
        leave = QPushButton("Start using it for real…")
        leave.clicked.connect(lambda: emit(self.sig_leave))
        lay.addWidget(leave)


class MainWindow(QMainWindow):
    """The counter window."""

    #: more new messages or orders than this in one batch get one summary notification
    NOTIFY_EACH = 3

    sig_leave_demo = Signal()

    def __init__(self, link: EngineLink, store: ReadStore, settings: TillSettings, theme: Theme,
                 data_dir: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.store = store
        self.settings = settings
        self.theme = theme
        self.data_dir = Path(data_dir)
        self.setWindowTitle("Countertop")
        self.setWindowIcon(theme.icon("logo", theme.palette.accent))
        self.resize(1360, 820)
        self.actions_ = OrderActions(link, store, self)
        self.notifier = Notifier(self, theme, settings, self)
        self.editors: dict[str, OrderEditor] = {}
        self._new_editors: list[OrderEditor] = []
        self._seen: dict[str, str] = {}
        self._dirty: dict[int, Refresh] = {}
        self._ready = False
        #: no notifications while the shop is being set up (demo seeding)
        self.quiet = False

        central = QWidget()
        self.setCentralWidget(central)
        outer = QVBoxLayout(central)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.setSpacing(0)
        self.banner = DemoBanner()
        self.banner.sig_leave.connect(self.sig_leave_demo)
        self.banner.hide()
        outer.addWidget(self.banner)
        row = QHBoxLayout()
        row.setContentsMargins(0, 0, 0, 0)
        row.setSpacing(0)
        outer.addLayout(row, 1)
        self.nav = NavRail(theme)
        self.nav.sig_page.connect(self.show_page)
        self.nav.settings_button.clicked.connect(self.open_settings)
        row.addWidget(self.nav)
        self.stack = QStackedWidget()
        row.addWidget(self.stack, 1)
        self.notice_bar = NoticeBar(store, self.actions_)
        outer.addWidget(self.notice_bar)

        self.inbox = InboxView(store, self.actions_, theme,
                               staff=lambda: str(self.settings.get("staff_name") or ""))
        self.board = BoardView(store, self.actions_, theme)
        self.orders = OrdersTableView(store, self.actions_)
        self.customers = CustomersView(store, self.actions_)
        self.stock = StockView(store, self.actions_)
        self.catalog = CatalogView(store, self.actions_)
        self.suppliers = PurchasingView(store, self.actions_, self.data_dir)
        self.reports = ReportsView(store, link)
        self.reports.sig_cashup.connect(self.open_cashup)
        for page in self._pages():
            self.stack.addWidget(page)
        self.screen_pop = ScreenPop(store, theme, self)

        self.status = TillStatusBar(link, self)
        self.setStatusBar(self.status)
        self.undo_label = ""
        #: who is signed in at this till (None: nobody); Ctrl+U switches
        self.signed_in: dict[str, Any] | None = None
        self.staff_button = QPushButton("Sign in  (Ctrl+U)")
        self.staff_button.setFlat(True)
        self.staff_button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.staff_button.setToolTip("Who is working at this till  (Ctrl+U)")
        self.staff_button.clicked.connect(self.open_staff_switcher)
        self.status.addPermanentWidget(self.staff_button)

        self.inbox.sig_unread_changed.connect(self.nav.set_badge)
        self.inbox.conversation.sig_make_order.connect(self.order_from_message)
        self.inbox.conversation.sig_open_order.connect(self.open_order)
        self.inbox.conversation.sig_open_customer.connect(self.open_customer)
        self.board.sig_open_order.connect(self.open_order)
        self.orders.sig_open_order.connect(self.open_order)
        self.customers.card.sig_new_order.connect(lambda cid: self.new_order(cid or None))
        self.customers.card.sig_open_order.connect(self.open_order)
        self.screen_pop.sig_new_order.connect(
            lambda cid, number: self.new_order(cid or None, phone=number, channel="phone"))
        self.screen_pop.card.sig_open_order.connect(self.open_order)
        self.actions_.sig_error.connect(lambda text: self.notifier.toast("Not done", text,
                                                                         "error"))
        self.actions_.sig_info.connect(lambda text: self.status.show_message(text))
        self.actions_.sig_undo_changed.connect(self._undo_changed)
        link.sig_changed.connect(self.on_changes)
        link.sig_incoming_call.connect(self.on_incoming_call)
        link.sig_state.connect(self._on_state)
        link.sig_device_status.connect(self._on_device_status)
        self._build_menu()
        self.show_page(1)

    # ------------------------------------------------------------------ menus and keys

    def _build_menu(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self._action(file_menu, "&New order", "Ctrl+N", lambda: self.new_order())
        self._action(file_menu, "Order from selected &message", "Ctrl+Shift+N",
                     self.inbox.conversation.make_order)
        file_menu.addSeparator()
        self._action(file_menu, "Switch &staff…", "Ctrl+U", self.open_staff_switcher)
        self._action(file_menu, "&Cash-up (end of day)…", "Ctrl+Shift+Z", self.open_cashup)
        self._action(file_menu, "&Back up now", "Ctrl+Shift+B", self.back_up_now)
        self._action(file_menu, "&Settings…", "Ctrl+,", self.open_settings)
        self.leave_demo_action = self._action(file_menu, "&Leave the demo…", None,
                                              lambda: emit(self.sig_leave_demo))
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", "Ctrl+Q", self.close)
        edit = bar.addMenu("&Edit")
        self.undo_action = self._action(edit, "&Undo", "Ctrl+Z", self.actions_.undo_last)
        self.undo_action.setEnabled(False)
        self._action(edit, "&Find", "Ctrl+F", self.focus_search)
        self._action(edit, "Adjust stock…", "Ctrl+J", self._adjust_stock)
        view = bar.addMenu("&View")
        for n, (_key, label, _icon) in enumerate(PAGES):
            self._action(view, label, f"Ctrl+{n + 1}", lambda n=n: self.show_page(n))
        view.addSeparator()
        self._action(view, "&Refresh", "F5", self.reload_all)
        help_menu = bar.addMenu("&Help")
        self._action(help_menu, "&Keyboard shortcuts", "F1", self.show_shortcuts)

    def _action(self, menu: Any, text: str, shortcut: str | None, slot: Any) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(lambda _checked=False: slot())
        menu.addAction(action)
        self.addAction(action)
        return action

    def show_shortcuts(self) -> None:
        QMessageBox.information(self, "Keyboard shortcuts", (
            "Ctrl+1…8   Inbox, Board, Orders, Customers, Stock, Catalog, Suppliers, Reports\n"
            "Ctrl+Shift+Z   Cash-up        Ctrl+Shift+B   Back up now\n"
            "Ctrl+N   New order          Ctrl+Shift+N   Order from message\n"
            "Ctrl+F   Search              F5   Refresh\n"
            "Ctrl+Z   Undo last action    Ctrl+J   Adjust stock\n"
            "Inbox: Ctrl+R reply, / or Ctrl+/ quick replies, Ctrl+Enter send, Ctrl+D done,\n"
            "       Ctrl+Shift+A take it, Ctrl+Shift+S snooze, Ctrl+T tag\n"
            "Notice bar: Enter send the prepared message, Esc skip it\n"
            "Board: ←/→ column, ↑/↓ card, Ctrl+→ or ] move on, Enter open, Del cancel\n"
            "Editor: Ctrl+L add item, Ctrl+S save, Ctrl+P print, Ctrl+Z undo edit\n"
            "Editor: Ctrl+R return, Ctrl+E exchange, Ctrl+D discount\n"
            "Ctrl+U   Switch staff (sign in with your PIN)\n"
            "Catalog: Ins new product, Enter edit, Ctrl+S save, Ctrl+Shift+P change prices, "
            "Ctrl+I import, Ctrl+Shift+E export\n"
            "Suppliers: Ctrl+Shift+N new supplier, Ctrl+Shift+O draft order, Ctrl+R receive\n"
            "Screen-pop: N new order for the caller, Esc close"))

    def _undo_changed(self, available: bool, text: str) -> None:
        self.undo_action.setEnabled(available)
        self.undo_action.setText(f"&Undo {text}" if available else "&Undo")

    def focus_search(self) -> None:
        page = self.stack.currentWidget()
        search = getattr(page, "search", None) or getattr(getattr(page, "filters", None),
                                                          "search", None)
        if search is not None:
            search.setFocus()
            search.selectAll()

    def show_page(self, page: int) -> None:
        self.stack.setCurrentIndex(page)
        self.nav.set_current(page)
        if page in self._dirty:
            self._pages()[page].refresh(self._dirty.pop(page).id_set())
        widget = self.stack.currentWidget()
        if widget is self.board:
            self.board.focus_first()
        elif widget is self.inbox:
            self.inbox.list.setFocus()
        elif widget is self.orders:
            self.orders.table.setFocus()
        elif widget is self.catalog:
            self.catalog.table.setFocus()

    def _adjust_stock(self) -> None:
        self.show_page(4)
        self.stock.adjust_selected()

    # ------------------------------------------------------------------ data

    def reload_all(self) -> None:
        """Re-read everything (F5, first connection)."""
        self.store.reopen()
        shop = self.store.shop(refresh=True)
        self.banner.setVisible(bool(shop.get("setting.demo")))
        self.leave_demo_action.setVisible(bool(shop.get("setting.demo")))
        title = f"Countertop — {shop.get('name')}" if shop.get("name") else "Countertop"
        self.setWindowTitle(title)
        self.inbox.reload()
        self.board.reload()
        self.orders.reload()
        self.customers.reload()
        self.stock.reload()
        self.catalog.reload()
        self.suppliers.reload()
        self.notice_bar.refresh()
        self.reports.reload()
        self._dirty.clear()
        self._remember_latest()
        self._ready = True

    def _pages(self) -> tuple[Page, ...]:
        """The pages in navigation order (``PAGES``)."""
        return (self.inbox, self.board, self.orders, self.customers, self.stock, self.catalog,
                self.suppliers, self.reports)

    def _mark(self, page: int, stale: Refresh) -> None:
        """Refresh ``page`` now if it is showing, else when it is next shown."""
        if page == self.stack.currentIndex():
            self._pages()[page].refresh(stale.id_set())
            return
        old = self._dirty.get(page)
        self._dirty[page] = stale if old is None else old.union(stale)

    def on_changes(self, changes: Changes) -> None:
        """Refresh only what changed (each page decides); notify about what is new."""
        if changes.everything or not self._ready:
            self.reload_all()
            return
        if changes.shop or changes.tills:
            shop = self.store.shop(refresh=True)
            self.banner.setVisible(bool(shop.get("setting.demo")))
            self.leave_demo_action.setVisible(bool(shop.get("setting.demo")))
        for n, page in enumerate(self._pages()):
            stale = page.needs_refresh(changes)
            if stale is not None:
                self._mark(n, stale)
                if page is self.inbox:
                    self.inbox._update_counts()
        if changes.touches("messages"):
            self.notice_bar.refresh()
        for oid in changes.orders:
            editor = self.editors.get(oid)
            if editor is not None and not editor.is_dirty():
                detail = self.store.order_detail(oid)
                if detail is not None:
                    editor._saved(detail)
        self._notify_new(changes)

    def _remember_latest(self) -> None:
        self._seen = self.store.latest_times()

    def _notify_new(self, changes: Changes) -> None:
        if self.quiet:
            self._remember_latest()
            return
        if changes.touches("messages"):
            rows = self.store.messages_since(self._seen.get("message", ""), limit=50)
            if rows:
                self._seen["message"] = str(rows[-1].get("received_at") or "")
            if len(rows) > self.NOTIFY_EACH:
                self.notifier.notify(f"{len(rows)} new messages", "See the inbox.")
                rows = []
            for row in rows:
                who = row.get("customer_name") or row.get("sender") or "someone"
                self.notifier.notify(
                    f"New {CHANNEL_LABELS.get(str(row.get('channel')), 'message')} from {who}",
                    str(row.get("body") or "")[:120])
        if changes.touches("orders"):
            rows = self.store.orders_since(self._seen.get("order", ""), limit=50)
            if rows:
                self._seen["order"] = str(rows[-1].get("created_at") or "")
            mine = {oid for ed in self._new_editors for oid in [ed.draft.order_id] if oid}
            rows = [r for r in rows if r["id"] not in mine]
            if len(rows) > self.NOTIFY_EACH:
                self.notifier.notify(f"{len(rows)} new orders", "See the board.")
                rows = []
            for row in rows:
                self.notifier.notify(
                    f"New order {row.get('number')}",
                    f"{row.get('customer_name') or 'Walk-in'} · "
                    f"{CHANNEL_LABELS.get(str(row.get('channel')), '')} · "
                    f"{self.store.money(row.get('total'))}")
        if changes.touches("alerts"):
            self._notify_alerts()

    def _notify_alerts(self) -> None:
        """Low stock and overbooking alerts raised since the last ones seen."""
        for row in self.store.alerts_since(self._seen.get("alert", ""), limit=3):
            self._seen["alert"] = str(row.get("raised_at") or "")
            name = str(row.get("name") or row.get("sku"))
            if row.get("kind") == "low_stock":
                self.notifier.notify(f"Low stock: {name}",
                                     f"{row.get('level')} left at {row.get('location')}. "
                                     "The Suppliers page suggests what to reorder.", "error")
                continue
            self.notifier.notify("Overbooked: " + name,
                                 f"Stock at {row.get('location')} is {row.get('level')}. "
                                 "Check the Stock page.", "error")

    # ------------------------------------------------------------------ calls

    def on_incoming_call(self, call: dict[str, Any], customer_id: str) -> None:
        """Pop the caller's card (within a second of the ring) and notify."""
        number = str(call.get("number") or "")
        if not customer_id:
            customer_id = self.store.customer_for_contact(number) or ""
        if self.settings.get("screen_pop"):
            self.screen_pop.show_call(call, customer_id)
        name = self.screen_pop.card.name.full_text() if customer_id else (number or "Withheld")
        self.notifier.notify(f"Call from {name}", number if customer_id else "", "call")

    def _on_state(self, state: str, detail: str) -> None:
        if state == "offline" and self._ready:
            self.notifier.toast("Engine offline", detail or "Reconnecting…", "error")
        if state == "connected":
            call = self.link.send(ops.staff_current())
            call.sig_done.connect(lambda r: self.set_signed_in((r or {}).get("staff")))

    # ------------------------------------------------------------------ staff

    def set_signed_in(self, member: dict[str, Any] | None) -> None:
        self.signed_in = member
        if member:
            role = " (manager)" if member.get("role") == "manager" else ""
            self.staff_button.setText(f"👤 {member.get('name')}{role}")
        else:
            self.staff_button.setText("Sign in  (Ctrl+U)")

    def open_staff_switcher(self) -> StaffSwitcher:
        """Ctrl+U: who is at the till (their PIN), or sign out."""
        current = str((self.signed_in or {}).get("name") or "")
        dialog = StaffSwitcher(self.link, self.store, current, self)
        dialog.sig_signed.connect(self._staff_switched)
        dialog.open()
        self.staff_switcher = dialog
        return dialog

    def _staff_switched(self, member: dict[str, Any] | None) -> None:
        self.set_signed_in(member)
        self.status.show_message(f"{member.get('name')} signed in" if member else
                                 "Signed out")

    def _on_device_status(self, event: dict[str, Any]) -> None:
        if event.get("state") in ("error", "missing", "offline"):
            self.notifier.toast(f"{str(event.get('device', 'device')).capitalize()} problem",
                                str(event.get("detail") or ""), "error")

    # ------------------------------------------------------------------ orders

    def _open_editor(self, draft: OrderDraft) -> OrderEditor:
        editor = OrderEditor(self.store, self.actions_, draft, print_ticket=self.print_ticket,
                             parent=self)
        editor.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        if draft.order_id:
            self.editors[draft.order_id] = editor
        else:
            self._new_editors.append(editor)

        def saved(order_id: str, ed: OrderEditor = editor) -> None:
            self.editors[order_id] = ed

        def gone(_obj: Any = None, ed: OrderEditor = editor) -> None:
            for key in [k for k, v in self.editors.items() if v is ed]:
                del self.editors[key]
            if ed in self._new_editors:
                self._new_editors.remove(ed)

        editor.sig_saved.connect(saved)
        editor.destroyed.connect(gone)
        editor.show()
        editor.raise_()
        editor.activateWindow()
        if not draft.order_id and not draft.live_lines():
            editor.picker.setFocus()
        return editor

    def new_order(self, customer_id: str | None = None, *, phone: str = "",
                  channel: str = "counter") -> OrderEditor:
        draft = OrderDraft(customer_id=customer_id, customer_phone=phone, channel=channel,
                           assignee=str(self.settings.get("staff_name") or ""))
        editor = self._open_editor(draft)
        if customer_id:
            editor._show_customer()
        editor.picker.setFocus()
        return editor

    def order_from_message(self, message: dict[str, Any]) -> OrderEditor:
        skus = {p["sku"] for p in self.store.products()}
        draft = draft_from_message(message, skus)
        draft.assignee = str(self.settings.get("staff_name") or "")
        return self._open_editor(draft)

    def open_order(self, order_id: str) -> OrderEditor | None:
        existing = self.editors.get(order_id)
        if existing is not None:
            existing.show()
            existing.raise_()
            existing.activateWindow()
            return existing
        detail = self.store.order_detail(order_id)
        if detail is None:
            self.notifier.toast("Order not found", order_id, "error")
            return None
        return self._open_editor(draft_from_order(detail))

    def open_customer(self, customer_id: str) -> None:
        self.show_page(3)
        self.customers.show_customer(customer_id)

    def open_cashup(self) -> Any:
        from app.ui.cashup_dialog import CashupDialog

        dialog = CashupDialog(self.store, self.link, str(self.settings.get("staff_name") or ""),
                              self)
        dialog.sig_closed.connect(lambda r: self.status.show_message(
            f"Day closed: difference {r['totals'].get('difference_text', '0')}"))
        dialog.open()
        return dialog

    def back_up_now(self) -> None:
        from app import protocol as p

        call = self.link.send(p.BACKUP_CREATE.request(p.BackupCreate()))
        call.sig_done.connect(lambda r: (self.notifier.toast("Backup written", r["path"], "info"),
                                         self.status.poll_backup()))
        call.sig_failed.connect(lambda msg, _t: self.notifier.toast("Backup failed", msg,
                                                                     "error"))

    def print_ticket(self, order_id: str) -> Path | None:
        """Print the receipt on this till's ESC/POS printer; with none set, a PDF."""
        if self.settings.get("receipt_printer"):
            from app import protocol as p

            call = self.link.send(p.PRINT_TICKET.request(p.PrintTicket(order=order_id)))
            call.sig_done.connect(lambda r: self.status.show_message(
                f"Receipt {r['order']} sent to {r['printer']}"))
            call.sig_failed.connect(lambda msg, _t: self.notifier.toast("Not printed", msg,
                                                                         "error"))
            return None
        detail = self.store.order_detail(order_id)
        if detail is None:
            return None
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        path = self.data_dir / "tickets" / f"{detail['number']}-{stamp}.pdf"
        try:
            print_ticket_pdf(detail, self.store.shop(), self.store.money, path)
        except OSError as exc:
            self.notifier.toast("Ticket not printed", str(exc), "error")
            return None
        self.notifier.toast("Ticket ready", str(path), "info")
        return path

    # ------------------------------------------------------------------ settings

    def open_settings(self) -> SettingsDialog:
        dialog = SettingsDialog(self.settings, self.store, self.link, self)
        dialog.sig_saved.connect(self._settings_saved)
        dialog.open()
        return dialog

    def _settings_saved(self) -> None:
        from PySide6.QtWidgets import QApplication

        mode = str(self.settings.get("theme"))
        if mode != self.theme.mode:
            self.theme.set_mode(mode)
            app = QApplication.instance()
            if isinstance(app, QApplication):
                self.theme.apply(app)
            self.nav.set_current(self.stack.currentIndex())
        self.status.show_message("Settings saved")

    # ------------------------------------------------------------------ window

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self.notifier.place()

    def closeEvent(self, event: QCloseEvent) -> None:
        for editor in list(self.editors.values()) + list(self._new_editors):
            if editor.isVisible() and editor.is_dirty():
                editor.show()
                editor.raise_()
                QTimer.singleShot(0, editor, editor.close)
                event.ignore()
                return
        event.accept()

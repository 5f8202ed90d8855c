"""The status bar: engine connection, peers, last sync, modem and caller-ID state.

Peers come from the ``peers.status`` command when the engine has it (polled every few
seconds); devices from ``device_status`` events. Anything unknown says so plainly.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QLabel, QStatusBar, QWidget

from app.ui import operations as ops
from app.ui.engine_link import EngineLink
from app.ui.read_store import local_time_text

DEVICE_NAMES = {"modem": "Modem", "callerid": "Caller-ID", "mailbox": "Mailbox"}
STATE_WORDS = {"ok": "ready", "ready": "ready", "connected": "ready", "offline": "offline",
               "error": "error", "missing": "not found", "starting": "starting"}


class TillStatusBar(QStatusBar):
    """Connection, peers, last sync and device states, one label each."""

    PEER_POLL_MS = 5000
    BACKUP_POLL_MS = 60_000

    def __init__(self, link: EngineLink, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.setSizeGripEnabled(False)
        self.engine = QLabel("● Connecting…")
        self.peers = QLabel("Peers: –")
        self.last_sync = QLabel("")
        self.devices: dict[str, QLabel] = {}
        self.message = QLabel("")
        self.backup = QLabel("Backup: –")
        self.addPermanentWidget(self.backup)
        self.addWidget(self.engine)
        self.addWidget(self.peers)
        self.addWidget(self.last_sync)
        self.addWidget(self.message, 1)
        self.peers_supported: bool | None = None
        self._last_change: dt.datetime | None = None
        self._last_merge: dt.datetime | None = None
        link.sig_state.connect(self.on_state)
        link.sig_device_status.connect(self.on_device_status)
        link.sig_changed.connect(self._on_changed)
        self._poll = QTimer(self)
        self._poll.setInterval(self.PEER_POLL_MS)
        self._poll.timeout.connect(self.poll_peers)
        self._backup_poll = QTimer(self)
        self._backup_poll.setInterval(self.BACKUP_POLL_MS)
        self._backup_poll.timeout.connect(self.poll_backup)
        if link.connected:
            self.on_state("connected", "")

    def on_state(self, state: str, detail: str) -> None:
        colours = {"connected": "#22a06b", "starting": "#c27c0e", "connecting": "#c27c0e",
                   "offline": "#d93636", "failed": "#d93636"}
        words = {"connected": "Online", "starting": "Starting engine…",
                 "connecting": "Connecting…", "offline": "Offline", "failed": "Engine problem"}
        self.engine.setText(f"<span style='color:{colours.get(state, '#888')}'>●</span> "
                            f"{words.get(state, state)}")
        self.engine.setToolTip(detail)
        if state in ("failed", "offline") and detail:
            self.message.setText(detail)
        elif state == "connected":
            self.message.setText("")
            self.poll_peers()
            self._poll.start()
            self.poll_backup()
            self._backup_poll.start()
        else:
            self._poll.stop()
            self._backup_poll.stop()

    def poll_peers(self) -> None:
        if self.peers_supported is False or not self.link.connected:
            return
        call = self.link.send(ops.peers_status())
        call.sig_done.connect(self.on_peers)
        call.sig_failed.connect(self._peers_failed)

    def _peers_failed(self, message: str, kind: str) -> None:
        if kind == "CommandUnavailable":
            self.peers_supported = False
            self.peers.setText("Peers: this engine does not report them")
            self._poll.stop()
        else:
            self.peers.setText("Peers: ?")
            self.peers.setToolTip(message)

    def on_peers(self, result: Any) -> None:
        self.peers_supported = True
        peers = result.get("peers", result) if isinstance(result, dict) else result
        if not isinstance(peers, list):
            peers = []
        connected = [p for p in peers if isinstance(p, dict) and p.get("connected", True)]
        self.peers.setText(f"Peers: {len(connected)} connected")
        names = ", ".join(str(p.get("name") or p.get("till") or "?") for p in connected)
        self.peers.setToolTip(names or "No other till connected")
        last = (result.get("last_merge") or result.get("last_sync")) \
            if isinstance(result, dict) else None
        self._last_merge = when_of(last)
        self._show_times()

    def _on_changed(self, changes: Any) -> None:
        self._last_change = dt.datetime.now(dt.UTC)
        self._show_times()

    def _show_times(self) -> None:
        """"Updated HH:MM" when this window last saw a change (a command of its own or a
        merge), and when the engine last merged another till's changes."""
        bits = []
        if self._last_change is not None:
            bits.append("Updated " + local_time_text(self._last_change.isoformat()))
        if self._last_merge is not None:
            bits.append("synced " + local_time_text(self._last_merge.isoformat()))
        self.last_sync.setText(" · ".join(bits))
        self.last_sync.setToolTip(
            "Last change from another till: " + (local_time_text(
                self._last_merge.isoformat(), with_date=True) if self._last_merge else "none yet"))

    def on_device_status(self, event: dict[str, Any]) -> None:
        device = str(event.get("device") or "device")
        label = self.devices.get(device)
        if label is None:
            label = QLabel()
            self.devices[device] = label
            self.addPermanentWidget(label)
        state = str(event.get("state") or "?")
        word = STATE_WORDS.get(state, state)
        colour = "#22a06b" if word == "ready" else "#c27c0e" if word == "starting" \
            else "#d93636"
        bars = event.get("signal_bars")
        signal = f" {'▮' * int(bars)}{'▯' * max(0, 4 - int(bars))}" if isinstance(bars, int) \
            else ""
        label.setText(f"<span style='color:{colour}'>●</span> "
                      f"{DEVICE_NAMES.get(device, device.capitalize())} {word}{signal}")
        label.setToolTip(str(event.get("detail") or ""))

    def poll_backup(self) -> None:
        if not self.link.connected:
            return
        call = self.link.send(ops.backup_status())
        call.sig_done.connect(self.on_backup)

    def on_backup(self, status: Any) -> None:
        """"Backup 2 h ago", or a warning in red when there is none or it is old."""
        age = status.get("age_hours")
        if status.get("last_error"):
            text, colour = f"⚠ Backup failed: {status['last_error']}", "#d93636"
        elif age is None:
            text, colour = "⚠ No backup yet", "#d93636"
        else:
            when = (f"{age * 60:.0f} min" if age < 1 else f"{age:.0f} h" if age < 48
                    else f"{age / 24:.0f} days")
            text = f"{'⚠ ' if status.get('stale') else ''}Backup {when} ago"
            colour = "#d93636" if status.get("stale") else "#22a06b"
        self.backup.setText(f"<span style='color:{colour}'>{text}</span>")
        self.backup.setToolTip(f"{status.get('last_path') or 'none'}\nFolder: "
                               f"{status.get('folder')}  (File → Back up now: Ctrl+Shift+B)")

    def show_message(self, text: str) -> None:
        self.message.setText(text)


def when_of(value: Any) -> dt.datetime | None:
    """A time the engine sent: a Unix timestamp (``peers.status`` ``last_merge``) or ISO
    text; None for none or nonsense."""
    if value in (None, "", 0):
        return None
    if isinstance(value, (int, float)):
        try:
            return dt.datetime.fromtimestamp(float(value), dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    try:
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)

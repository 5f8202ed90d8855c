"""What staff do to orders from any view, sent to the engine off the GUI thread.

Views call these methods; results and refusals come back as signals, so the main window
shows them the same way wherever the action started. The last reversible action is kept
for Ctrl+Z (``undo_last``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal

from app.protocol import Request
from app.ui import operations as ops
from app.ui.engine_link import EngineCall, EngineLink
from app.ui.pyside_compat import emit
from app.ui.read_store import ReadStore
from app.ui.theme import STATUS_LABELS

log = logging.getLogger("countertop.ui.actions")

#: board column key -> target status, by fulfilment kind
COLUMN_TARGETS = {
    "new": {"pickup": "new", "delivery": "new"},
    "confirmed": {"pickup": "confirmed", "delivery": "confirmed"},
    "preparing": {"pickup": "preparing", "delivery": "preparing"},
    "ready": {"pickup": "ready", "delivery": "ready"},
    "out": {"pickup": "shipped", "delivery": "out_for_delivery"},
    "delivered": {"pickup": "collected", "delivery": "delivered"},
}
NEXT_COLUMN = {"new": "confirmed", "confirmed": "preparing", "preparing": "ready",
               "ready": "delivered", "out_for_delivery": "delivered", "shipped": "delivered"}
COLUMN_OF_STATUS = {"new": "new", "confirmed": "confirmed", "preparing": "preparing",
                    "ready": "ready", "out_for_delivery": "out", "shipped": "out",
                    "delivered": "delivered", "collected": "delivered"}


@dataclass
class UndoStep:
    """A description for the user and the request that reverses the action."""

    text: str
    request: Request[Any, Any]


class OrderActions(QObject):
    """Sends order, message and stock commands; reports outcomes as signals."""

    #: plain-words refusal or failure from the engine
    sig_error = Signal(str)
    #: a short confirmation for a toast
    sig_info = Signal(str)
    #: whether an undo step is available, and its description
    sig_undo_changed = Signal(bool, str)

    def __init__(self, link: EngineLink, store: ReadStore, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.link = link
        self.store = store
        self.undo_step: UndoStep | None = None

    def run(self, request: Request[Any, Any], *, done: Callable[[Any], None] | None = None,
            failed: Callable[[str], None] | None = None, info: str = "",
            undo: UndoStep | None = None) -> EngineCall:
        """Send one request; on success show ``info`` and remember ``undo``."""
        call = self.link.send(request)

        def on_done(result: Any) -> None:
            if undo is not None:
                self.set_undo(undo)
            if info:
                emit(self.sig_info, info)
            if done is not None:
                done(result)

        def on_failed(message: str, _kind: str) -> None:
            if failed is not None:
                failed(message)
            else:
                emit(self.sig_error, _sentence(message))

        call.sig_done.connect(on_done)
        call.sig_failed.connect(on_failed)
        return call

    def set_undo(self, step: UndoStep | None) -> None:
        self.undo_step = step
        emit(self.sig_undo_changed, step is not None, step.text if step else "")

    def undo_last(self) -> None:
        step = self.undo_step
        if step is None:
            emit(self.sig_info, "Nothing to undo")
            return
        self.set_undo(None)

        def partly(result: Any) -> None:
            refused = result.get("refused") if isinstance(result, dict) else None
            if refused:
                emit(self.sig_error, _sentence(f"{len(refused)} of the orders could not go "
                                               f"back: {refused[0]['reason']}"))

        self.run(step.request, info=f"Undone: {step.text}", done=partly)

    # ------------------------------------------------------------------ orders

    def move_to_column(self, order_ids: list[str], column: str) -> None:
        rows = self.store.orders_by_id(order_ids)
        targets = {}
        for oid in order_ids:
            row = rows.get(oid)
            if row is None:
                continue
            kind = "delivery" if row.get("fulfilment") == "delivery" else "pickup"
            targets[oid] = COLUMN_TARGETS.get(column, {}).get(kind, column)
        self.move(targets, rows)

    def advance(self, order_ids: list[str]) -> None:
        """Move each order one column on (Ctrl+Right on the board)."""
        rows = self.store.orders_by_id(order_ids)
        targets = {}
        for oid in order_ids:
            row = rows.get(oid) or {}
            nxt = NEXT_COLUMN.get(str(row.get("status") or ""))
            if nxt is None:
                emit(self.sig_error, f"Order {row.get('number', '')} is "
                                    f"{STATUS_LABELS.get(str(row.get('status')), '?').lower()}; "
                                    "it has no next step.")
                continue
            if row.get("status") == "ready" and row.get("fulfilment") == "delivery":
                nxt = "out"
            kind = "delivery" if row.get("fulfilment") == "delivery" else "pickup"
            targets[oid] = COLUMN_TARGETS[nxt][kind]
        self.move(targets, rows)

    def set_status(self, order_id: str, status: str) -> None:
        self.move({order_id: status})

    def cancel(self, order_ids: list[str]) -> None:
        self.move(dict.fromkeys(order_ids, "cancelled"))

    def move(self, targets: dict[str, str],
             rows: dict[str, dict[str, Any]] | None = None) -> None:
        """Send each order to its target status. One Ctrl+Z takes back every move of the
        batch that went through (``order.undo_status``), as long as nobody moved them on.
        ``rows``: the orders' read-model rows when the caller already fetched them."""
        if rows is None:
            rows = self.store.orders_by_id(list(targets))
        done_moves: list[dict[str, str]] = []
        step = UndoStep("", ops.undo_moves(done_moves))
        for oid, target in targets.items():
            row = rows.get(oid)
            current = str(row.get("status") or "") if row else ""
            if current == target:
                continue
            number = str(row.get("number") or "") if row else ""
            label = STATUS_LABELS.get(target, target)

            def moved(_result: Any, oid: str = oid, current: str = current,
                      number: str = number, label: str = label, target: str = target) -> None:
                if not current:
                    return  # not in the read model yet: no known status to go back to
                done_moves.append({"order": oid, "from": current, "to": target})
                step.text = (f"move of {number or 'order'} to {label}" if len(done_moves) == 1
                             else f"move of {len(done_moves)} orders")
                self.set_undo(step)

            self.run(ops.set_status(oid, target), info=f"{number or 'Order'} → {label}",
                     done=moved)

    # ------------------------------------------------------------------ messages

    def mark_read(self, message_id: str, read: bool = True) -> EngineCall:
        return self.run(ops.mark_read(message_id, read),
                        undo=UndoStep("mark as " + ("read" if read else "unread"),
                                      ops.mark_read(message_id, not read)))

    # ------------------------------------------------------------------ stock

    def adjust_stock(self, sku: str, delta: str, reason: str, location: str = "main") -> EngineCall:
        """Count stock in or out; Ctrl+Z takes that move back (``stock.undo``), which also
        clears the alerts it raised."""

        def done(result: Any) -> None:
            move = str((result or {}).get("move") or "")
            if move:
                self.set_undo(UndoStep(f"stock {sku} {delta}", ops.undo_stock(move)))

        return self.run(ops.adjust_stock(sku, delta, reason, location),
                        info=f"Stock of {sku} adjusted by {delta}", done=done)

    def resolve_alert(self, alert_id: str, note: str = "") -> EngineCall:
        return self.run(ops.resolve_alert(alert_id, note), info="Alert resolved")


def _sentence(message: str) -> str:
    text = message.strip() or "The engine refused that."
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."

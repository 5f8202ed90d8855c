"""The window's typed operations: every engine command the UI sends, built here.

Each function returns a ``protocol.Request`` (the command and its typed parameters);
``EngineLink.send`` runs it off the GUI thread and answers with ``EngineCall`` signals,
and the ``changed`` event that follows tells each page whether it must refresh (Anki's
``aqt/operations`` shape). Nothing here blocks or touches Qt.
"""

from __future__ import annotations

from typing import Any

from app import protocol as p


def shop_info() -> p.Request[p.NoParams, p.ShopInfo]:
    return p.SHOP_INFO.request(p.NoParams())


def create_shop(name: str, *, currency: str, region: str, timezone: str,
                till_name: str) -> p.Request[p.ShopCreate, p.ShopInfo]:
    return p.SHOP_CREATE.request(p.ShopCreate(name=name, currency=currency, region=region,
                                              timezone=timezone, till_name=till_name))


# ---------------------------------------------------------------------- orders


def add_order(params: p.OrderAdd) -> p.Request[p.OrderAdd, p.OrderDetail]:
    return p.ORDER_ADD.request(params)


def update_order(params: p.OrderUpdate) -> p.Request[p.OrderUpdate, p.OrderDetail]:
    return p.ORDER_UPDATE.request(params)


def add_line(order: str, line: dict[str, Any]) -> p.Request[p.OrderAddLine, p.OrderDetail]:
    return p.ORDER_ADD_LINE.request(p.OrderAddLine(order=order, line=line))


def update_line(params: p.OrderUpdateLine) -> p.Request[p.OrderUpdateLine, p.OrderDetail]:
    return p.ORDER_UPDATE_LINE.request(params)


def set_status(order: str, status: str) -> p.Request[p.OrderSetStatus, p.OrderDetail]:
    return p.ORDER_SET_STATUS.request(p.OrderSetStatus(order=order, status=status))


def undo_moves(moves: list[dict[str, str]]
               ) -> p.Request[p.OrderUndoStatus, p.OrderDetail | p.UndoneMoves]:
    """Take back status moves (``{"order", "from", "to"}`` each); ``moves`` may still
    grow until the request is sent (one undo step collects a batch of moves)."""
    return p.ORDER_UNDO_STATUS.request(p.OrderUndoStatus(moves=moves))


def pay(order: str, amount: str, method: str) -> p.Request[p.OrderPay, p.OrderDetail]:
    return p.ORDER_PAY.request(p.OrderPay(order=order, amount=amount, method=method))


# ---------------------------------------------------------------------- customers, inbox


def add_customer(name: str, *, phones: list[str], emails: list[str], addresses: list[str],
                 notes: str = "") -> p.Request[p.CustomerAdd, p.CustomerRow]:
    return p.CUSTOMER_ADD.request(p.CustomerAdd(name=name, phones=phones, emails=emails,
                                                addresses=addresses, notes=notes))


def mark_read(message: str, read: bool = True) -> p.Request[p.MessageUpdate, p.Ok]:
    return p.MESSAGE_UPDATE.request(p.MessageUpdate(message=message, read=read))


def send_sms(to: str, text: str) -> p.Request[p.SmsSend, p.SmsQueued]:
    return p.SMS_SEND.request(p.SmsSend(to=to, text=text))


# ---------------------------------------------------------------------- stock


def adjust_stock(sku: str, delta: str, reason: str,
                 location: str = "main") -> p.Request[p.StockAdjust, list[p.StockRow]]:
    return p.STOCK_ADJUST.request(p.StockAdjust(sku=sku, delta=delta, reason=reason,
                                                location=location))


def resolve_alert(alert: str, note: str = "") -> p.Request[p.AlertResolve, p.Ok]:
    return p.ALERT_RESOLVE.request(p.AlertResolve(alert=alert, note=note))


# ---------------------------------------------------------------------- tills


def peers_status() -> p.Request[p.NoParams, p.PeersStatus]:
    return p.PEERS_STATUS.request(p.NoParams())


def pending_joins() -> p.Request[p.NoParams, list[p.JoinRequestRow]]:
    return p.PAIR_PENDING.request(p.NoParams())


def approve_join(code: str, till: str = "") -> p.Request[p.PairCode, p.Approved]:
    """``code``: what the new till's screen shows; ``till``: which waiting till."""
    return p.PAIR_APPROVE.request(p.PairCode(code=code, till=till))


def decline_join(till: str = "") -> p.Request[p.PairDecline, p.JoinRequestRow]:
    return p.PAIR_DECLINE.request(p.PairDecline(till=till))

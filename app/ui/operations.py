"""The window's typed operations: every engine command the UI sends, built here.

Each function returns a ``protocol.Request`` (the command and its typed parameters);
``EngineLink.send`` runs it off the GUI thread and answers with ``EngineCall`` signals,
and the ``changed`` event that follows tells each page whether it must refresh (Anki's
``aqt/operations`` shape). Nothing here blocks or touches Qt.
"""

from __future__ import annotations

import dataclasses
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


def pay(order: str, amount: str, method: str, *,
        refund: bool = False) -> p.Request[p.OrderPay, p.OrderDetail]:
    """Money taken (change comes back as ``change_due``), or with ``refund`` given back."""
    return p.ORDER_PAY.request(p.OrderPay(order=order, amount=amount, method=method,
                                          refund=refund))


def return_lines(order: str, lines: dict[str, str], *, restock: bool,
                 reason: str) -> p.Request[p.OrderReturn, p.OrderDetail]:
    return p.ORDER_RETURN.request(p.OrderReturn(order=order, lines=lines, restock=restock,
                                                reason=reason))


def discount(order: str, *, percent: str | None = None, amount: str | None = None,
             line: str | None = None) -> p.Request[p.OrderDiscount, p.OrderDetail]:
    return p.ORDER_DISCOUNT.request(p.OrderDiscount(order=order, percent=percent,
                                                    amount=amount, line=line))


def exchange(order: str, lines: dict[str, str], new_lines: list[str], *, reason: str,
             restock: bool = True) -> p.Request[p.OrderExchange, p.OrderDetail]:
    return p.ORDER_EXCHANGE.request(p.OrderExchange(order=order, lines=lines,
                                                    new_lines=new_lines, reason=reason,
                                                    restock=restock))


def with_confirm(request: p.Request[Any, Any]) -> p.Request[Any, Any]:
    """The same request, going ahead after staff said yes (``confirm``)."""
    return p.Request(request.spec, dataclasses.replace(request.params, confirm=True))


def with_manager_pin(request: p.Request[Any, Any], pin: str) -> p.Request[Any, Any]:
    """The same request with a manager's PIN given on the spot."""
    return p.Request(request.spec, dataclasses.replace(request.params, manager_pin=pin))


# ---------------------------------------------------------------------- staff


def staff_sign_in(name: str, pin: str) -> p.Request[p.StaffSignIn, p.SignedIn]:
    return p.STAFF_SIGN_IN.request(p.StaffSignIn(name=name, pin=pin))


def staff_sign_out() -> p.Request[p.NoParams, p.SignedIn]:
    return p.STAFF_SIGN_OUT.request(p.NoParams())


def staff_current() -> p.Request[p.NoParams, p.SignedIn]:
    return p.STAFF_CURRENT.request(p.NoParams())


def staff_add(name: str, role: str, pin: str) -> p.Request[p.StaffAdd, p.StaffRow]:
    return p.STAFF_ADD.request(p.StaffAdd(name=name, role=role, pin=pin))


def staff_update(staff: str, *, role: str | None = None, pin: str | None = None,
                 active: bool | None = None) -> p.Request[p.StaffUpdate, p.StaffRow]:
    return p.STAFF_UPDATE.request(p.StaffUpdate(staff=staff, role=role, pin=pin,
                                                active=active))


# ---------------------------------------------------------------------- customers, inbox


def add_customer(name: str, *, phones: list[str], emails: list[str], addresses: list[str],
                 notes: str = "") -> p.Request[p.CustomerAdd, p.CustomerRow]:
    return p.CUSTOMER_ADD.request(p.CustomerAdd(name=name, phones=phones, emails=emails,
                                                addresses=addresses, notes=notes))


def mark_read(message: str, read: bool = True) -> p.Request[p.MessageUpdate, p.Ok]:
    return p.MESSAGE_UPDATE.request(p.MessageUpdate(message=message, read=read))


def send_sms(to: str, text: str) -> p.Request[p.SmsSend, p.SmsQueued]:
    return p.SMS_SEND.request(p.SmsSend(to=to, text=text))


# ---------------------------------------------------------------------- catalog


def add_option_alias(sku: str, group: str, option: str,
                     alias: str) -> p.Request[p.ProductOptionAlias, p.ProductRow]:
    """Another word for one of a product's options ("2.5 litre" for the Size "2.5L"); for
    the Catalog page (issue 11), which does not exist yet."""
    return p.PRODUCT_OPTION_ALIAS.request(p.ProductOptionAlias(sku=sku, group=group,
                                                                option=option, alias=alias))


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


# ---------------------------------------------------------------------- catalog (issue 11)


def add_product(params: p.ProductAdd) -> p.Request[p.ProductAdd, p.ProductRow]:
    return p.PRODUCT_ADD.request(params)


def update_product(params: p.ProductUpdate) -> p.Request[p.ProductUpdate, p.ProductRow]:
    return p.PRODUCT_UPDATE.request(params)


def reprice(params: p.ProductReprice) -> p.Request[p.ProductReprice, p.Repriced]:
    return p.PRODUCT_REPRICE.request(params)


def set_prices(prices: dict[str, str]) -> p.Request[p.ProductReprice, p.Repriced]:
    """Explicit prices (an undo of a bulk price change)."""
    return p.PRODUCT_REPRICE.request(p.ProductReprice(prices=dict(prices)))


def import_products(path: str, *, dry_run: bool, skip_errors: bool = False
                    ) -> p.Request[p.ProductImport, p.ImportReport]:
    return p.PRODUCT_IMPORT.request(p.ProductImport(path=path, dry_run=dry_run,
                                                    skip_errors=skip_errors))


def export_products(out: str, fmt: str) -> p.Request[p.ProductExport, p.CatalogExported]:
    return p.PRODUCT_EXPORT.request(p.ProductExport(out=out, format=fmt))


def undo_stock(move: str) -> p.Request[p.StockUndo, p.StockAdjusted]:
    return p.STOCK_UNDO.request(p.StockUndo(move=move))


# ---------------------------------------------------------------------- suppliers, POs


def add_supplier(params: p.SupplierAdd) -> p.Request[p.SupplierAdd, p.SupplierRow]:
    return p.SUPPLIER_ADD.request(params)


def update_supplier(params: p.SupplierUpdate) -> p.Request[p.SupplierUpdate, p.SupplierRow]:
    return p.SUPPLIER_UPDATE.request(params)


def create_po(supplier: str, lines: list[str], notes: str = ""
              ) -> p.Request[p.PoCreate, p.PurchaseOrderDetail]:
    return p.PO_CREATE.request(p.PoCreate(supplier=supplier, lines=lines, notes=notes))


def send_po(po: str, via: str = "pdf") -> p.Request[p.PoSend, p.PurchaseOrderDetail]:
    return p.PO_SEND.request(p.PoSend(po=po, via=via))


def receive_po(po: str, lines: list[str]) -> p.Request[p.PoReceive, p.PurchaseOrderDetail]:
    return p.PO_RECEIVE.request(p.PoReceive(po=po, lines=lines))


def cancel_po(po: str) -> p.Request[p.PoCancel, p.PurchaseOrderDetail]:
    return p.PO_CANCEL.request(p.PoCancel(po=po))


# ---------------------------------------------------------------------- customers


def update_customer(params: p.CustomerUpdate) -> p.Request[p.CustomerUpdate, p.CustomerRow]:
    return p.CUSTOMER_UPDATE.request(params)


def merge_customers(keep: str, merge: str, *, preview: bool = False
                    ) -> p.Request[p.CustomerMerge, p.CustomerRow | p.MergePreview]:
    return p.CUSTOMER_MERGE.request(p.CustomerMerge(keep=keep, merge=merge, preview=preview))


# ---------------------------------------------------------------------- conversations, mail


def reply(message: str, text: str) -> p.Request[p.MessageReply, p.Queued]:
    return p.MESSAGE_REPLY.request(p.MessageReply(message=message, text=text))


def reply_conversation(key: str, text: str) -> p.Request[p.ConversationReply, p.Queued]:
    return p.CONVERSATION_REPLY.request(p.ConversationReply(key=key, text=text))


def assign(key: str, to: str) -> p.Request[p.ConversationAssign, p.ConversationRow]:
    return p.CONVERSATION_ASSIGN.request(p.ConversationAssign(key=key, to=to))


def tag(key: str, add: list[str] | None = None,
        remove: list[str] | None = None) -> p.Request[p.ConversationTag, p.ConversationRow]:
    return p.CONVERSATION_TAG.request(p.ConversationTag(key=key, add=add or [],
                                                        remove=remove or []))


def set_conversation_status(key: str, status: str, hours: int = 0
                            ) -> p.Request[p.ConversationSetStatus, p.ConversationRow]:
    return p.CONVERSATION_SET_STATUS.request(p.ConversationSetStatus(key=key, status=status,
                                                                     hours=hours))


def read_conversation(key: str) -> p.Request[p.ConversationRef, p.ConversationRow]:
    return p.CONVERSATION_READ.request(p.ConversationRef(key=key))


def confirm_notice(message: str) -> p.Request[p.MessageRef, p.Queued]:
    return p.MESSAGE_CONFIRM.request(p.MessageRef(message=message))


def discard_notice(message: str) -> p.Request[p.MessageRef, p.Ok]:
    return p.MESSAGE_DISCARD.request(p.MessageRef(message=message))


def fill_quick_reply(rid: str, key: str) -> p.Request[p.QuickReplyFill, dict[str, str]]:
    return p.QUICK_REPLY_FILL.request(p.QuickReplyFill(id=rid, key=key))


def add_quick_reply(name: str, text: str) -> p.Request[p.QuickReplyAdd, p.QuickReplyRow]:
    return p.QUICK_REPLY_ADD.request(p.QuickReplyAdd(name=name, text=text))


def archive_quick_reply(rid: str) -> p.Request[p.QuickReplyUpdate, p.QuickReplyRow]:
    return p.QUICK_REPLY_UPDATE.request(p.QuickReplyUpdate(id=rid, archived=True))


def templates() -> p.Request[p.NoParams, list[p.TemplateRow]]:
    return p.TEMPLATE_LIST.request(p.NoParams())


def set_template(name: str, *, text: str, subject: str,
                 enabled: bool) -> p.Request[p.TemplateSet, p.TemplateRow]:
    return p.TEMPLATE_SET.request(p.TemplateSet(name=name, text=text, subject=subject,
                                                enabled=enabled))


def preview_template(name: str) -> p.Request[p.TemplatePreview, dict[str, str]]:
    return p.TEMPLATE_PREVIEW.request(p.TemplatePreview(name=name))


def set_shop_setting(key: str, value: Any) -> p.Request[p.ShopSetSetting, p.Ok]:
    return p.SHOP_SET_SETTING.request(p.ShopSetSetting(key=key, value=value))


def mailbox_status() -> p.Request[p.NoParams, p.MailboxStatus]:
    return p.MAILBOX_STATUS.request(p.NoParams())


def mailbox_set(params: p.MailboxSet) -> p.Request[p.MailboxSet, p.MailboxStatus]:
    return p.MAILBOX_SET.request(params)


def mailbox_test() -> p.Request[p.NoParams, dict[str, Any]]:
    return p.MAILBOX_TEST.request(p.NoParams())


# ---------------------------------------------------------------------- backups


def backup_status() -> p.Request[p.NoParams, p.BackupStatus]:
    return p.BACKUP_STATUS.request(p.NoParams())

"""Tickets that reach a printer: ESC/POS receipts and kitchen tickets, by hand
(``print.ticket``) or when an order reaches a chosen status (``AutoPrint``).

The ticket is built with python-escpos's command set into bytes (its ``Dummy`` printer,
code pages chosen for the text), then sent in one write through python-escpos's own
transports: ``tcp://HOST:9100`` (network, the usual port), ``serial:/dev/ttyUSB0@19200``
(or a bare device path) and ``usb:04b8:0202`` (vendor:product, hex). A receipt has the
shop's header, the lines with options and notes, the total with the tax it holds per
rate, the payments, the change, and a QR code of the order number (native ESC/POS
``GS ( k``, which TM-series and most 80 mm printers have); a kitchen ticket has no
prices, bigger lines, and the due time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from app.engine.till_engine import TillEngine
from app.till_settings import TillSettings
from sync.changes import Changes
from sync.doc_storage import write_replace
from sync.errors import CommandRejected, DeviceError
from sync.money import format_money
from sync.read_model import queries as q

log = logging.getLogger("countertop.engine.printing")

WIDTH = 42  # characters of font A on an 80 mm roll
PROFILE = "TM-T88III"
PRINT_STATE_FILE = "print_state.json"
#: a status reached longer ago than this is not auto-printed (e.g. history arriving by sync)
RECENT = dt.timedelta(minutes=10)


def open_printer(url: str) -> Any:
    """A python-escpos printer for a printer address; plain words when it is not one."""
    from escpos import printer

    url = url.strip()
    try:
        if url.startswith("tcp://"):
            host, _, port = url[6:].rpartition(":")
            if not host:
                host, port = url[6:], "9100"
            return printer.Network(host, int(port or 9100), timeout=5, profile=PROFILE)
        if url.startswith("usb:"):
            vendor, _, product = url[4:].partition(":")
            return printer.Usb(int(vendor, 16), int(product, 16), profile=PROFILE)
        if url.startswith("serial:") or url.startswith("/dev/") or url.upper().startswith("COM"):
            path, _, baud = url.removeprefix("serial:").rpartition("@")
            if not path:
                path, baud = url.removeprefix("serial:"), "19200"
            return printer.Serial(path, baudrate=int(baud), dsrdtr=False, timeout=2,
                                  profile=PROFILE)
    except ValueError:
        pass
    raise CommandRejected(f"{url!r} is not a printer address; use tcp://HOST:9100, "
                          "serial:/dev/ttyUSB0@19200 or usb:VENDOR:PRODUCT")


def _row(left: str, right: str, width: int = WIDTH) -> str:
    room = width - len(right) - 1
    return f"{left[:room]:<{room}} {right}"


def _tax_lines(order: dict[str, Any], rates: dict[str, str]) -> dict[str, int]:
    """Tax held in the order's lines per rate (prices are tax-inclusive)."""
    by_rate: dict[str, int] = {}
    for line in order.get("lines") or []:
        if line.get("removed"):
            continue
        try:
            rate = Decimal(rates.get(str(line.get("sku") or ""), "0") or "0")
        except InvalidOperation:
            rate = Decimal(0)
        if rate > 0:
            key = f"{rate.normalize():f}"
            by_rate[key] = by_rate.get(key, 0) + int(line.get("line_total") or 0)
    return {k: int((Decimal(v) * Decimal(k) / (100 + Decimal(k)))
                   .quantize(Decimal(1), ROUND_HALF_EVEN)) for k, v in by_rate.items()}


def ticket_bytes(order: dict[str, Any], shop: dict[str, Any], kind: str,
                 rates: dict[str, str], till_name: str = "") -> bytes:
    """The ESC/POS bytes of a receipt (``kind`` receipt) or a kitchen ticket."""
    from escpos.printer import Dummy

    currency = str(shop.get("currency") or "EUR")
    p = Dummy(profile=PROFILE)
    p.hw("INIT")
    _header(p, order, shop, kind, till_name)
    _lines(p, order, kind, currency)
    if kind == "kitchen":
        if order.get("notes"):
            p.set(bold=True)
            p.textln(str(order["notes"])[:WIDTH * 3])
            p.set(bold=False)
    else:
        _totals(p, order, rates, currency)
    p.set(align="center")
    p.qr(str(order.get("number") or ""), native=True, size=6, center=False)
    p.textln(str(order.get("number") or ""))
    p.cut()
    return bytes(p.output)


def _header(p: Any, order: dict[str, Any], shop: dict[str, Any], kind: str,
            till_name: str) -> None:
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln(str(shop.get("name") or "Countertop"))
    p.set(align="center", normal_textsize=True)
    if kind == "kitchen":
        p.textln("KITCHEN")
    p.set(align="center", bold=True, double_height=True, double_width=True)
    p.textln(str(order.get("number") or ""))
    p.set(align="left", normal_textsize=True)
    created = str(order.get("created_at") or "")[:16].replace("T", " ")
    p.textln(_row(created + " UTC", till_name))
    p.textln(_row(str(order.get("customer_name") or "Walk-in"),
                  "Delivery" if order.get("fulfilment") == "delivery" else "Pickup"))
    if order.get("address"):
        p.textln(str(order["address"])[:WIDTH])
    if order.get("due_at"):
        p.set(bold=True)
        p.textln(f"Wanted {str(order['due_at'])[:16].replace('T', ' ')} UTC")
        p.set(bold=False)
    p.textln("-" * WIDTH)


def _lines(p: Any, order: dict[str, Any], kind: str, currency: str) -> None:
    for line in order.get("lines") or []:
        if line.get("removed"):
            continue
        what = f"{line.get('qty')} x {line.get('description') or line.get('sku') or ''}"
        if kind == "kitchen":
            p.set(bold=True, double_height=True)
            p.textln(what[:WIDTH])
            p.set(bold=False, normal_textsize=True)
        else:
            p.textln(_row(what, format_money(int(line.get("line_total") or 0), currency)))
        for extra in [*(line.get("modifiers") or []), line.get("notes") or ""]:
            if extra:
                p.textln(f"   {extra}"[:WIDTH])
    p.textln("-" * WIDTH)


def _totals(p: Any, order: dict[str, Any], rates: dict[str, str], currency: str) -> None:
    def money(v: Any) -> str:
        return format_money(int(v or 0), currency)

    p.set(bold=True, double_height=True)
    p.textln(_row("TOTAL", money(order.get("total"))))
    p.set(bold=False, normal_textsize=True)
    for rate, tax in sorted(_tax_lines(order, rates).items()):
        p.textln(_row(f"  incl. tax {rate}%", money(tax)))
    change = 0
    for pay in order.get("payments") or []:
        sign = -1 if pay.get("kind") == "refund" else 1
        label = ("Refund " if sign < 0 else "") + str(pay.get("method") or "").capitalize()
        # cash beyond what was owed: the money handed over, and the change given back
        handed = int(pay.get("tendered") or pay.get("amount") or 0)
        p.textln(_row(label, money(sign * handed)))
        change += int(pay.get("change") or 0)
    balance = int(order.get("balance") or 0)
    if balance < 0:
        change -= balance
    if change:
        p.set(bold=True)
        p.textln(_row("CHANGE", money(change)))
        p.set(bold=False)
    if balance > 0:
        p.textln(_row("Still to pay", money(balance)))
    if order.get("notes"):
        p.textln(str(order["notes"])[:WIDTH * 2])


def print_order(engine: TillEngine, order_ref: str, kind: str, url: str = "") -> dict[str, Any]:
    """Print ``order_ref`` as a ``kind`` ticket on ``url`` (default: this till's printer)."""
    if kind not in ("receipt", "kitchen"):
        raise CommandRejected("a ticket is a receipt or a kitchen ticket")
    engine.require_shop()
    conn = engine.read_model.conn
    found = q.locate_order(conn, order_ref)
    detail = q.order_detail(conn, found[0]) if found else None
    if detail is None:
        raise CommandRejected(f"no order {order_ref}")
    settings = TillSettings(engine.data_dir.root)
    url = url or str(settings.get("kitchen_printer" if kind == "kitchen" else "receipt_printer")
                     or settings.get("receipt_printer") or "")
    if not url:
        raise CommandRejected("this till has no printer set; choose one in Settings "
                              "(receipt printer)")
    rates = {p["sku"]: str(p.get("tax_rate") or "0") for p in q.list_products(conn)}
    till = next((t for t in q.list_tills(conn) if t["id"] == detail.get("till")), None)
    data = ticket_bytes(detail, q.shop_info(conn), kind, rates,
                        str(till["name"]) if till else "")
    send(url, data)
    return {"order": str(detail["number"]), "kind": kind, "printer": url, "bytes": len(data)}


def send(url: str, data: bytes) -> None:
    """Open the printer, write ``data``, close it; plain words when that fails."""
    device = open_printer(url)
    try:
        device.open()
        device._raw(data)
    except CommandRejected:
        raise
    except Exception as exc:  # the transports raise their own kinds (socket, serial, usb)
        raise DeviceError(f"the printer at {url} did not take the ticket: {exc}") from None
    finally:
        try:
            device.close()
        except Exception:
            log.debug("closing printer %s failed", url, exc_info=True)


class AutoPrint:
    """Prints a kitchen ticket or a receipt when an order reaches the status this till's
    settings name (``auto_print_kitchen``, ``auto_print_receipt``), on any till's move.

    Each (order, kind, status) prints once (remembered in ``print_state.json``), and only
    for a move made in the last ten minutes. The ticket is built on the engine's loop; the
    bytes go to the printer from a worker thread, so a slow printer stalls nothing.
    """

    def __init__(self, engine: TillEngine) -> None:
        self.engine = engine
        self.path = engine.data_dir.root / PRINT_STATE_FILE
        try:
            self.done: list[str] = list(json.loads(self.path.read_text()))
        except (OSError, ValueError):
            self.done = []
        self._unsubscribe: Any = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._unsubscribe = self.engine.subscribe(self.on_changes)

    async def stop(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()

    def wanted(self, changes: Changes, now: dt.datetime | None = None) -> list[tuple[str, str]]:
        """(order id, kind) of the tickets ``changes`` call for."""
        if not changes.orders or not self.engine.has_shop:
            return []
        settings = TillSettings(self.engine.data_dir.root)
        on = {kind: str(settings.get(f"auto_print_{kind}") or "") for kind in ("kitchen",
                                                                                "receipt")}
        if not any(on.values()):
            return []
        now = now or dt.datetime.now(dt.UTC)
        out = []
        for oid in sorted(changes.orders):
            detail = q.order_detail(self.engine.read_model.conn, oid)
            if detail is None:
                continue
            moves = [h for h in detail["history"] if h["field"] == "status"]
            if not moves or moves[-1]["new"] != detail["status"]:
                continue
            try:
                at = dt.datetime.fromisoformat(str(moves[-1]["at"]))
            except ValueError:
                continue
            if now - at > RECENT:
                continue
            for kind, status in on.items():
                key = f"{oid}:{kind}:{status}"
                if status and detail["status"] == status and key not in self.done:
                    out.append((oid, kind))
                    self.done.append(key)
        if out:
            self.done = self.done[-2000:]
            write_replace(self.path, json.dumps(self.done))
        return out

    def on_changes(self, changes: Changes) -> None:
        for oid, kind in self.wanted(changes):
            try:
                self._print(oid, kind)
            except Exception:
                log.exception("auto-print of %s failed", oid)

    def _print(self, oid: str, kind: str) -> None:
        engine = self.engine
        conn = engine.read_model.conn
        settings = TillSettings(engine.data_dir.root)
        url = str(settings.get(f"{kind}_printer") or settings.get("receipt_printer") or "")
        detail = q.order_detail(conn, oid)
        if not url or detail is None:
            return
        rates = {p["sku"]: str(p.get("tax_rate") or "0") for p in q.list_products(conn)}
        data = ticket_bytes(detail, q.shop_info(conn), kind, rates)

        def deliver() -> None:
            try:
                send(url, data)
            except (CommandRejected, DeviceError) as exc:
                log.warning("auto-print of %s: %s", detail.get("number"), exc)

        if self._loop is not None and self._loop.is_running():
            self._loop.run_in_executor(None, deliver)
        else:
            deliver()

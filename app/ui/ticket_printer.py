"""Order tickets: an 80 mm wide PDF (kitchen or customer copy) via QPdfWriter."""

from __future__ import annotations

import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.ui.read_store import local_time_text
from app.ui.theme import STATUS_LABELS

PAPER_WIDTH_MM = 80.0


def ticket_html(order: dict[str, Any], shop: dict[str, Any], money: Any) -> str:
    """The ticket as simple HTML (QTextDocument renders a subset of HTML 4)."""
    e = html.escape
    rows = []
    for line in order.get("lines") or []:
        if line.get("removed"):
            continue
        mods = ", ".join(line.get("modifiers") or [])
        off = ""
        if line.get("discount_amount"):
            off = f"less {money(line.get('discount_amount'))}"
        back = ""
        if str(line.get("returned_qty") or "0") not in ("0", ""):
            back = f"{line.get('returned_qty')} returned"
        extra = " ".join(x for x in (mods, line.get("notes") or "", off, back) if x)
        rows.append(
            f"<tr><td width='12%'><b>{e(str(line.get('qty')))}×</b></td>"
            f"<td>{e(str(line.get('description') or line.get('sku') or ''))}"
            + (f"<br><i>{e(extra)}</i>" if extra else "")
            + f"</td><td align='right'>{e(money(line.get('line_total')))}</td></tr>")
    due = local_time_text(order.get("due_at"), with_date=True) if order.get("due_at") else ""
    fulfil = "Delivery" if order.get("fulfilment") == "delivery" else "Pickup"
    parts = [
        "<html><body style='font-family: DejaVu Sans; font-size: 9pt;'>",
        f"<h3 align='center'>{e(str(shop.get('name') or 'Countertop'))}</h3>",
        f"<h1 align='center'>{e(str(order.get('number') or ''))}</h1>",
        f"<p align='center'>{e(STATUS_LABELS.get(str(order.get('status')), ''))} · "
        f"{e(fulfil)}" + (f"<br><b>Wanted {e(due)}</b>" if due else "") + "</p>",
        f"<p><b>{e(str(order.get('customer_name') or 'Walk-in'))}</b>"
        + (f"<br>{e(str(order.get('address')))}" if order.get("address") else "") + "</p>",
        "<hr><table width='100%' cellspacing='0' cellpadding='2'>", *rows, "</table><hr>",
        "<table width='100%'>", *_money_rows(order, money), "</table>",
    ]
    if order.get("notes"):
        parts.append(f"<p><i>{e(str(order['notes']))}</i></p>")
    parts.append(f"<p align='center' style='font-size: 7pt;'>"
                 f"{e(local_time_text(order.get('created_at'), with_date=True))}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _money_rows(order: dict[str, Any], money: Any) -> list[str]:
    """Subtotal, discounts, tax per rate, total, returns, paid, refunded, balance."""
    e = html.escape

    def row(label: str, amount: Any, bold: bool = False) -> str:
        a, b = ("<b>", "</b>") if bold else ("", "")
        return f"<tr><td>{a}{e(label)}{b}</td><td align='right'>{a}{e(amount)}{b}</td></tr>"

    out = []
    if order.get("discount") or order.get("tax_lines"):
        out.append(row("Subtotal", money(order.get("subtotal"))))
    if order.get("discount"):
        out.append(row("Discounts", "−" + money(order.get("discount"))))
    inclusive = bool(order.get("prices_include_tax", 1))
    for tax in order.get("tax_lines") or []:
        out.append(row(f"Tax {tax['rate']}% {'incl.' if inclusive else ''}".strip(),
                       money(tax.get("tax"))))
    out.append(row("Total", money(order.get("total")), bold=True))
    if order.get("returned"):
        out.append(row("Returned", "−" + money(order.get("returned"))))
    out.append(row("Paid", money(order.get("paid"))))
    if order.get("refunded"):
        out.append(row("Refunded", money(order.get("refunded"))))
    balance = int(order.get("balance") or 0)
    out.append(row("Due" if balance >= 0 else "To give back", money(abs(balance)), bold=True))
    return out


def print_ticket_pdf(order: dict[str, Any], shop: dict[str, Any], money: Any,
                     path: Path) -> Path:
    """Write the ticket to ``path`` (a PDF the height of its content)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    doc = QTextDocument()
    doc.setHtml(ticket_html(order, shop, money))
    width_pt = PAPER_WIDTH_MM / 25.4 * 72
    doc.setPageSize(QSizeF(width_pt - 12, 10_000))
    height_pt = max(200.0, doc.size().height() + 24)
    writer = QPdfWriter(str(path))
    writer.setResolution(72)
    writer.setPageLayout(QPageLayout(
        QPageSize(QSizeF(PAPER_WIDTH_MM, height_pt / 72 * 25.4), QPageSize.Unit.Millimeter),
        QPageLayout.Orientation.Portrait, QMarginsF(2, 2, 2, 2), QPageLayout.Unit.Millimeter))
    writer.setTitle(f"Order {order.get('number')}")
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    doc.print_(writer)
    return path

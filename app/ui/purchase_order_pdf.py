"""A purchase order as an A4 PDF for the supplier (QTextDocument + QPdfWriter, as tickets).

The window writes it to ``<data dir>/purchase-orders/<number>.pdf`` and marks the order
sent (``po.send`` with ``via="pdf"``); once the shop's outbox sends email (issue 12)
the same file is the attachment.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QMarginsF, QSizeF
from PySide6.QtGui import QPageLayout, QPageSize, QPdfWriter, QTextDocument

from app.ui.read_store import local_time_text


def qty(milli: Any) -> str:
    value = int(milli or 0) / 1000
    return f"{value:g}"


def purchase_order_html(po: dict[str, Any], shop: dict[str, Any],
                        money: Callable[[int | None], str]) -> str:
    e = html.escape
    rows = []
    for line in po.get("lines") or []:
        cost = line.get("cost")
        rows.append(
            f"<tr><td>{e(str(line.get('sku') or ''))}</td>"
            f"<td>{e(str(line.get('name') or ''))}</td>"
            f"<td align='right'>{e(qty(line.get('qty_milli')))} {e(str(line.get('unit') or ''))}"
            f"</td><td align='right'>{e(money(cost)) if cost is not None else '–'}</td>"
            f"<td align='right'>{e(money(int(cost) * int(line['qty_milli']) // 1000)) if cost is not None else '–'}"  # noqa: E501
            "</td></tr>")
    supplier = "<br>".join(e(str(x)) for x in (
        po.get("supplier_name"), po.get("supplier_contact"), po.get("supplier_email"),
        po.get("supplier_phone")) if x)
    return "".join([
        "<html><body style='font-family: DejaVu Sans; font-size: 10pt;'>",
        f"<h2>{e(str(shop.get('name') or 'Countertop'))}</h2>",
        f"<h1>Purchase order {e(str(po.get('number') or ''))}</h1>",
        f"<p>Date: {e(local_time_text(po.get('created_at'), with_date=True))}</p>",
        f"<p><b>To</b><br>{supplier}</p>",
        "<table width='100%' cellspacing='0' cellpadding='4' border='1'>",
        "<tr><th align='left'>SKU</th><th align='left'>Product</th><th align='right'>"
        "Quantity</th><th align='right'>Unit cost</th><th align='right'>Line</th></tr>",
        *rows, "</table>",
        f"<p align='right'><b>Total {e(money(int(po.get('total_cost') or 0)))}</b></p>",
        f"<p><i>{e(str(po.get('notes')))}</i></p>" if po.get("notes") else "",
        "<p>Please quote the order number on the delivery note.</p>",
        "</body></html>"])


def write_purchase_order_pdf(po: dict[str, Any], shop: dict[str, Any],
                             money: Callable[[int | None], str], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = QPdfWriter(str(path))
    writer.setResolution(96)
    writer.setPageLayout(QPageLayout(QPageSize(QPageSize.PageSizeId.A4),
                                     QPageLayout.Orientation.Portrait,
                                     QMarginsF(15, 15, 15, 15), QPageLayout.Unit.Millimeter))
    writer.setTitle(f"Purchase order {po.get('number')}")
    doc = QTextDocument()
    doc.setHtml(purchase_order_html(po, shop, money))
    doc.setPageSize(QSizeF(writer.width(), writer.height()))
    doc.print_(writer)
    return path

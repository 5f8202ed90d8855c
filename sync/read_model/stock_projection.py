"""Stock levels in the read model: per-document register sums plus what orders hold.

A level is the sum of its parts (``stock_parts``): each period document's stock
registers (one per sku, location and till: summed, see ``am_doc``), and ``ORDERS_PART``,
the sum of what every order holds (``order_stock``, kept per order in ``order_stock``).
So a level follows from merged state alone, and a rebuild gives the same sums.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from sync import lifecycle
from sync.am_doc import Obj, Reader, stock_register_sku
from sync.read_model.codecs import milli, qty_text

ORDERS_PART = "(orders)"
DEFAULT_LOCATION = "main"


def order_stock(order: dict[str, Any]) -> dict[tuple[str, str], tuple[int, int]]:
    """(sku, location) -> (on-hand change, reserved) an order holds, in thousandths.

    Follows from the order's merged state alone: a confirmed/preparing/ready order
    reserves its live product lines; a dispatched, handed-over, closed or returned one has
    taken them off the shelf; restocked returns are back on it. So the same move made on
    two tills at once counts once, and a rebuild gives the same sums.
    """
    status = str(order.get("status") or "")
    out: dict[tuple[str, str], list[int]] = {}
    for line in (order.get("lines") or {}).values():
        sku = line.get("sku")
        if not sku:
            continue
        acc = out.setdefault((str(sku), DEFAULT_LOCATION), [0, 0])
        qty = 0 if line.get("removed") else milli(line.get("qty"))
        if status in lifecycle.RESERVING:
            acc[1] += qty
        elif status in lifecycle.FULFILLING or status == lifecycle.RETURNED:
            acc[0] -= qty
        acc[0] += milli(line.get("restocked_qty"))
    return {k: (v[0], v[1]) for k, v in out.items() if v != [0, 0]}


class StockProjection:
    """Writes ``order_stock``, ``stock_parts`` and ``stock`` on the projector's connection.

    ``moved`` collects the SKUs whose order holdings changed; the projector recomputes
    their levels once per document (``recompute``), not once per order.
    """

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn
        self.moved: set[str] = set()

    def set_order_stock(self, oid: str, held: dict[tuple[str, str], tuple[int, int]]) -> None:
        """Record what order ``oid`` holds now; ORDERS_PART moves by the difference."""
        c = self.conn
        old = {(r[0], r[1]): (r[2], r[3]) for r in c.execute(
            "SELECT sku, location, on_hand_milli, reserved_milli FROM order_stock "
            "WHERE order_id=?", (oid,))}
        if old == held:
            return
        c.execute("DELETE FROM order_stock WHERE order_id=?", (oid,))
        c.executemany("INSERT INTO order_stock VALUES (?,?,?,?,?)",
                      [(oid, sku, loc, on, res) for (sku, loc), (on, res) in held.items()])
        for key in set(old) | set(held):
            d_on = held.get(key, (0, 0))[0] - old.get(key, (0, 0))[0]
            d_res = held.get(key, (0, 0))[1] - old.get(key, (0, 0))[1]
            if not (d_on or d_res):
                continue
            c.execute("INSERT INTO stock_parts VALUES (?,?,?,?,?) ON CONFLICT(doc_id, sku, "
                      "location) DO UPDATE SET on_hand_milli = on_hand_milli + "
                      "excluded.on_hand_milli, reserved_milli = reserved_milli + "
                      "excluded.reserved_milli", (ORDERS_PART, key[0], key[1], d_on, d_res))
            c.execute("DELETE FROM stock_parts WHERE doc_id=? AND sku=? AND location=? AND "
                      "on_hand_milli=0 AND reserved_milli=0", (ORDERS_PART, key[0], key[1]))
            self.moved.add(key[0])

    def project_registers(self, doc_id: str, r: Reader, stock: Obj, skus: set[str],
                          full: bool) -> None:
        """Sum the stock registers of ``skus`` (every SKU when ``full``) in one period
        document into its ``stock_parts`` rows, and recompute those levels."""
        c = self.conn
        # one register per (sku, location, till): sum the tills (see am_doc)
        if full:
            skus |= {row[0] for row in c.execute(
                "SELECT sku FROM stock_parts WHERE doc_id=?", (doc_id,))}
        sums: dict[tuple[str, str], list[int]] = {}
        for key in r.keys(stock):  # keys only: a command reads just its SKUs' registers
            sku = stock_register_sku(key)
            if full:
                skus.add(sku)
            elif sku not in skus:
                continue
            regs = r.obj(stock, key)
            if regs is None:
                continue
            acc = sums.setdefault((sku, str(r.value(regs, "location") or "main")), [0, 0])
            acc[0] += int(r.value(regs, "on_hand", 0) or 0)
            acc[1] += int(r.value(regs, "reserved", 0) or 0)
        c.executemany("DELETE FROM stock_parts WHERE doc_id=? AND sku=?",
                      [(doc_id, sku) for sku in skus])
        c.executemany("INSERT INTO stock_parts VALUES (?,?,?,?,?)",
                      [(doc_id, sku, loc, on_hand, reserved)
                       for (sku, loc), (on_hand, reserved) in sums.items()])
        self.recompute(skus)

    def recompute(self, skus: Iterable[str]) -> None:
        """The ``stock`` rows of ``skus`` again from their parts and low-stock limits."""
        c = self.conn
        for sku in skus:
            low_row = c.execute("SELECT low_stock FROM products WHERE sku=?", (sku,)).fetchone()
            low = milli(low_row[0]) if low_row and low_row[0] else None
            parts = c.execute("SELECT location, SUM(on_hand_milli), SUM(reserved_milli) FROM "
                              "stock_parts WHERE sku=? GROUP BY location", (sku,)).fetchall()
            c.execute("DELETE FROM stock WHERE sku=?", (sku,))
            if not parts and low_row is not None:
                parts = [("main", 0, 0)]
            for loc, on_hand, reserved in parts:
                avail = on_hand - reserved
                c.execute("INSERT INTO stock VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                          (sku, loc, qty_text(on_hand), qty_text(reserved), qty_text(avail),
                           on_hand, reserved, avail, low, int(low is not None and avail <= low),
                           int(avail < 0)))

"""Days closed at the tills: each cash-up (Z report) kept as a record in the shop document.

A record holds what the report showed when the day was closed (the figures, as JSON
text, so later edits to orders do not rewrite history), the cash expected and counted,
the difference and who closed the day. Closing the same day again (a recount) adds a
record; none is ever changed or deleted (DESIGN.md), and the newest one stands.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from sync.am_doc import Root
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger.records import new_id

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore


class CashupManager:
    """``ledger.cashups``: record a closed day."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def close_day(self, *, till: str | None, day: str, expected_cash: int, counted_cash: int,
                  opening_float: int, figures: dict[str, Any], by: str) -> Changes:
        """Keep the cash-up of ``day`` for ``till`` (None: the whole shop)."""
        if counted_cash < 0:
            raise CommandRejected("the cash counted cannot be negative")
        if opening_float < 0:
            raise CommandRejected("the opening float cannot be negative")
        cid = new_id("z")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            records = w.ensure_map(Root, "cashups")
            w.put_map(records, cid, {
                "id": cid, "till": till or "", "day": day, "closed_at": self.ledger.clock(),
                "closed_by": by, "closed_on": self.ledger.till_id,
                "expected_cash": expected_cash, "counted_cash": counted_cash,
                "difference": counted_cash - expected_cash, "opening_float": opening_float,
                "figures": json.dumps(figures, sort_keys=True, separators=(",", ":"))})
        return Changes(cashups={cid}, created=cid)

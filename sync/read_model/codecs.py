"""How document values become read-model column values: times, JSON, quantities, row keys.

Shared by the projector (which writes them) and the queries (which read and compare
them). Pure: no Automerge import, the UI process loads this through ``queries``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any


def iso(value: Any) -> str | None:
    """ISO 8601 UTC text with milliseconds for a timestamp; other values as text."""
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None:  # automerge returns naive UTC timestamps
            value = value.replace(tzinfo=dt.UTC)
        return str(value.astimezone(dt.UTC).isoformat(timespec="milliseconds"))
    return str(value)


def parse_iso_ms(text: str | None) -> int:
    """Milliseconds since the epoch of an ISO timestamp; 0 when missing or unreadable."""
    if not text:
        return 0
    try:
        when = dt.datetime.fromisoformat(text)
    except ValueError:
        return 0
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0, int(when.timestamp() * 1000))


def json_text(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces): equal values give equal column text, so a
    rebuild compares equal to the incremental projection."""
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def milli(text: Any) -> int:
    """A decimal quantity as an integer of thousandths (0 when missing or unreadable)."""
    try:
        return int(Decimal(str(text or "0")) * 1000)
    except (ArithmeticError, ValueError):
        return 0


def qty_text(milli_value: int) -> str:
    """Thousandths back to the shortest decimal text ("1.5", "2", "0")."""
    text = format(Decimal(milli_value) / 1000, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"


def fts_rowid(record_id: str) -> int:
    """The FTS row of a record: a 63-bit hash of its id.

    FTS5 tables index only their text, so ``DELETE ... WHERE order_id=?`` scans the whole
    table (tens of ms at 300k orders, for every projected order). Keyed by rowid, a row is
    replaced in O(log n). Two ids sharing a hash (odds ~1e-8 at 300k orders) would share
    one search row; the read model is a cache, and nothing but search reads it.
    """
    digest = hashlib.blake2b(record_id.encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") & ((1 << 63) - 1)


def order_seq(created_at: str | None, order_id: str) -> int:
    """An order's ``seq``, the rowid of its search row: its creation time in milliseconds,
    then 16 bits of its id's hash.

    Search results are shown newest first. With rowids in creation order, FTS5 walks a
    word's matches backwards and stops at the first page (``ORDER BY rowid DESC LIMIT``)
    instead of collecting and sorting every match: a common word ("margherita", 25k of
    300k orders) took ~100 ms that way. The caller moves on to the next free seq in the
    rare case two orders of the same millisecond share the hash bits. (A column, not the
    orders' own rowid: VACUUM may renumber those.)
    """
    when = parse_iso_ms(created_at)
    digest = hashlib.blake2b(order_id.encode(), digest_size=2).digest()
    return (when << 16) | int.from_bytes(digest, "big")

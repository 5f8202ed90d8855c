"""What the ledger's commands take and what they stamp on records.

The input records (``LineInput``, ``FulfilmentInput``, ``ImportedOrder``) are what a
command receives; the enumerations (channels, payment methods) are what the stored
records may say; ids are random, so tills make them with no coordination.
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sync import vocabulary

SCHEMA_VERSION = 1
CHANNELS = vocabulary.CHANNELS
PAYMENT_METHODS = vocabulary.PAYMENT_METHODS
DEFAULT_LOCATION = "main"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id(prefix: str) -> str:
    """Random ids: unique across tills with no coordination."""
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass
class LineInput:
    """One order line as a command receives it."""

    quantity: Decimal
    sku: str | None = None
    description: str | None = None
    unit_price: int | None = None  # minor units; catalog price when None
    notes: str = ""
    modifiers: list[str] = field(default_factory=list)
    tax_rate: str | None = None  # percent; the product's rate when None
    #: the unit ``quantity`` is in ("lb"); None: the product's selling unit. Converted
    #: exactly into the selling unit, the asked amount kept beside it (sync.units)
    unit: str | None = None
    #: the customer's own words for the amount ("a pound and a half")
    asked: str = ""


@dataclass
class FulfilmentInput:
    kind: str = "pickup"  # pickup | delivery
    address: str = ""
    carrier: str = ""
    tracking: str = ""


@dataclass
class ImportedOrder:
    """A past order for ``ledger.orders.import_many``: what happened to it, with times."""

    created_at: dt.datetime
    lines: list[LineInput]
    customer_id: str | None = None
    channel: str = "counter"
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    assignee: str = ""
    fulfilment: FulfilmentInput | None = None
    statuses: list[tuple[dt.datetime, str]] = field(default_factory=list)  # moves after new
    payments: list[tuple[dt.datetime, int, str]] = field(default_factory=list)  # at, amount, method
    by: str = ""


def iso_key(value: Any) -> str:
    """A sortable text for a stored timestamp (missing sorts first)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return ""


def compact_json(value: Any) -> str:
    """Stable JSON text for a value stored as a string (e.g. a return in the history)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))

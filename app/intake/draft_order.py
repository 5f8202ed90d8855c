"""What the order parser proposes: a draft order, its lines and their options, a budget.

Plain dataclasses with ``to_json`` (Decimals as strings, datetimes ISO 8601), so the
engine can store or show a proposal without knowing how it was read. Staff confirm or
correct it; the engine decides from ``confidence`` whether to create a draft order or
only show a suggestion. Built by :func:`app.intake.order_parser.parse_order`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from app.intake.line_parts import PriorLine
from app.intake.requested_time import RequestedTime

Fulfilment = Literal["pickup", "delivery"]


@dataclass
class LineOption:
    """A size, variant, modifier or exclusion on a line."""

    group_id: str
    option_id: str
    name: str
    role: str
    qualifier: str | None = None
    span: tuple[int, int] = (0, 0)
    confidence: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return {"group": self.group_id, "option": self.option_id, "name": self.name,
                "role": self.role, "qualifier": self.qualifier, "span": list(self.span),
                "confidence": round(self.confidence, 3)}


@dataclass
class DraftLine:
    """One proposed order line."""

    sku: str | None
    product_name: str | None
    #: in the product's selling unit; None when the customer's amount cannot be said in
    #: it ("4 pork chops" of a product sold by the kg: weigh them)
    quantity: Decimal | None
    unit: str = "each"
    #: the amount as the customer asked: 3 of "lb", 2 of "box" (``amount_unit`` is a
    #: ``sync.units`` code, a pack word, or "" for a plain count)
    amount: Decimal | None = None
    amount_unit: str = ""
    #: the customer's words for the amount ("a pound and a half")
    said: str = ""
    #: a line the catalog cannot decide: the products it could be (``sku`` is None)
    alternatives: list[str] = field(default_factory=list)
    #: what the customer excluded that the catalog does not know ("no olives")
    unknown_exclusions: list[str] = field(default_factory=list)
    #: the line of the open draft this line carries on (empty: new in this message)
    line_id: str = ""
    removed: bool = False
    size: LineOption | None = None
    variants: list[LineOption] = field(default_factory=list)
    modifiers: list[LineOption] = field(default_factory=list)
    exclusions: list[LineOption] = field(default_factory=list)
    confidence: float = 1.0
    span: tuple[int, int] = (0, 0)
    text: str = ""
    implicit_product: bool = False
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "sku": self.sku, "product": self.product_name,
            "quantity": None if self.quantity is None else _text(self.quantity),
            "unit": self.unit, "amount": None if self.amount is None else _text(self.amount),
            "amount_unit": self.amount_unit, "said": self.said,
            "alternatives": self.alternatives, "unknown_exclusions": self.unknown_exclusions,
            "line_id": self.line_id, "removed": self.removed,
            "size": self.size.to_json() if self.size else None,
            "variants": [v.to_json() for v in self.variants],
            "modifiers": [m.to_json() for m in self.modifiers],
            "exclusions": [e.to_json() for e in self.exclusions],
            "confidence": round(self.confidence, 3), "span": list(self.span),
            "text": self.text, "implicit_product": self.implicit_product, "notes": self.notes,
        }


@dataclass
class Budget:
    amount: Decimal
    currency: str
    text: str

    @property
    def minor_units(self) -> int:
        return int((self.amount * 100).to_integral_value())

    def to_json(self) -> dict[str, Any]:
        return {"amount": str(self.amount), "currency": self.currency,
                "minor_units": self.minor_units, "text": self.text}


@dataclass(frozen=True)
class Leftover:
    """A stretch of the message the parser did not use, and why (shown to staff)."""

    text: str
    span: tuple[int, int]
    #: "not understood", or the kind of clause that orders nothing: "question", "past",
    #: "chatter", "repeated"
    reason: str = "not understood"

    def to_json(self) -> dict[str, Any]:
        return {"text": self.text, "span": list(self.span), "reason": self.reason}


@dataclass(frozen=True)
class IntakeContext:
    """What the engine knows beyond the message: the customer's open draft from an
    earlier message (this one may change it) and their last order ("the usual")."""

    previous: tuple[PriorLine, ...] = ()
    previous_time: RequestedTime | None = None
    last_order: tuple[PriorLine, ...] = ()


@dataclass
class DraftOrder:
    """What the parser proposes for one message."""

    text: str
    lines: list[DraftLine] = field(default_factory=list)
    requested_time: RequestedTime | None = None
    fulfilment: Fulfilment | None = None
    address: str | None = None
    budget: Budget | None = None
    confidence: float = 0.0
    #: the leftover texts (kept for the order editor's "Not understood" note)
    unparsed: list[str] = field(default_factory=list)
    #: "order", "amendment" (it changes the open draft), "question", "past", "chatter",
    #: "empty"
    kind: str = "empty"
    leftover: list[Leftover] = field(default_factory=list)
    #: what the message changed in the open draft (see draft_changes.describe_changes)
    changes: list[dict[str, Any]] = field(default_factory=list)
    #: lines of the open draft this message took off (not in ``lines``)
    removed: list[DraftLine] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Decimals as strings, datetimes ISO 8601)."""
        return {
            "text": self.text,
            "lines": [line.to_json() for line in self.lines],
            "requested_time": self.requested_time.to_json() if self.requested_time else None,
            "fulfilment": self.fulfilment, "address": self.address,
            "budget": self.budget.to_json() if self.budget else None,
            "confidence": round(self.confidence, 3), "unparsed": self.unparsed,
            "kind": self.kind, "leftover": [x.to_json() for x in self.leftover],
            "changes": self.changes, "removed": [line.to_json() for line in self.removed],
            "notes": self.notes,
        }


def _text(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"

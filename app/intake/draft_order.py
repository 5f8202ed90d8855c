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
    quantity: Decimal
    unit: str = "each"
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
            "sku": self.sku, "product": self.product_name, "quantity": str(self.quantity),
            "unit": self.unit, "size": self.size.to_json() if self.size else None,
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
    unparsed: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict (Decimals as strings, datetimes ISO 8601)."""
        return {
            "text": self.text,
            "lines": [line.to_json() for line in self.lines],
            "requested_time": self.requested_time.to_json() if self.requested_time else None,
            "fulfilment": self.fulfilment, "address": self.address,
            "budget": self.budget.to_json() if self.budget else None,
            "confidence": round(self.confidence, 3), "unparsed": self.unparsed,
        }

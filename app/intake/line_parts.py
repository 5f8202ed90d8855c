"""The pieces the line grammar builds with: a line being built, its options, earlier lines.

:class:`_Builder` is one line while the grammar reads (:mod:`app.intake.line_grammar`),
changed in place by amendments (:mod:`app.intake.draft_changes`); :class:`PriorLine` is a
line ordered before this message (the customer's open draft, or their last order), the
shape the engine hands in. Kept apart so both modules build on them without importing
each other.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.intake.catalog_model import IntakeCatalog, PhraseTarget, Product
from app.intake.number_words import NumberReading
from app.intake.quantities import Amount
from app.intake.word_tagging import _Item


@dataclass(frozen=True)
class PriorLine:
    """A line ordered before this message (an open draft's line, or the last order's)."""

    sku: str
    quantity: Decimal | None = None       # in the product's selling unit
    amount: Decimal | None = None         # as the customer said it
    amount_unit: str = ""
    options: tuple[str, ...] = ()         # option names
    exclusions: tuple[str, ...] = ()
    line_id: str = ""
    text: str = ""

    @classmethod
    def from_json(cls, line: dict[str, Any]) -> PriorLine | None:
        """From a proposal line (``DraftLine.to_json``); None without a product."""
        if not line.get("sku"):
            return None
        options = [str(line["size"]["name"])] if line.get("size") else []
        options += [str(o["name"]) for key in ("variants", "modifiers")
                    for o in line.get(key) or []]
        excluded = [str(o["name"]) for o in line.get("exclusions") or []]
        excluded += [str(x) for x in line.get("unknown_exclusions") or []]
        return cls(sku=str(line["sku"]), quantity=_dec(line.get("quantity")),
                   amount=_dec(line.get("amount")), amount_unit=str(line.get("amount_unit") or ""),
                   options=tuple(options), exclusions=tuple(excluded),
                   line_id=str(line.get("line_id") or ""), text=str(line.get("text") or ""))


def _dec(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except ArithmeticError:
        return None


@dataclass
class _Entry:
    item: _Item
    negated: bool
    qualifier: str | None


@dataclass
class _Builder:
    product: Product | None = None
    product_item: _Item | None = None
    number: NumberReading | None = None
    amount: Amount | None = None
    entries: list[_Entry] = field(default_factory=list)
    start: int | None = None
    end: int = 0
    implicit_factor: float = 1.0
    #: set when some of the previous line's items are split off ("two pizzas, one with ham")
    quantity: Decimal | None = None
    #: the count was followed by "with" / "without" / "of them": it may be partitive
    partitive: bool = False
    #: the count came right after "and": a further item, unless the line left room for parts
    joined: bool = False
    #: "a large one": the noun was said (as a pronoun), so this is an item of its own
    pronoun: bool = False
    #: "plain ones", "a normal one": the family's product named by the head noun alone
    plain: bool = False
    #: products a head noun names at once ("a sourdough": white or seeded): ask staff
    alternatives: list[Product] = field(default_factory=list)
    #: the line of an earlier message (or the last order) this builder carries on
    prior: PriorLine | None = None
    #: taken off the order ("forget the croissants")
    removed: bool = False
    #: "the big ones": the largest ("max") or smallest ("min") measured option
    rel_size: str | None = None
    #: what the customer excluded that the catalog does not know ("no olives")
    unknown_exclusions: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: where the customer said the amount ("3lb"), for the line's ``said``
    said_span: tuple[int, int] | None = None

    def count(self) -> Decimal | None:
        if self.quantity is not None:
            return self.quantity
        return self.number.value if self.number is not None else None

    def empty(self) -> bool:
        return self.number is None and not self.entries and self.product is None

    def explicit_count(self) -> bool:
        return self.number is not None and not self.number.from_article

    def conflicts(self, other: _Builder, product: Product) -> bool:
        """Would ``other``'s options give this line a second choice in a group that takes
        one ("one poppy seed and a seeded": two bagels, not one)?"""
        mine: dict[str, str] = {}
        for e in self.entries:
            t = _target_for(e.item, product)
            if t is not None and not e.negated:
                mine[t.group_id or ""] = t.option_id or ""
        for e in other.entries:
            t = _target_for(e.item, product)
            if t is None or e.negated:
                continue
            group = product.group(t.group_id or "")
            if group is not None and group.max_choices == 1 and \
                    mine.get(group.id, t.option_id) != t.option_id:
                return True
        return False

    def touch(self, span: tuple[int, int]) -> None:
        self.start = span[0] if self.start is None else min(self.start, span[0])
        self.end = max(self.end, span[1])

    def accepts(self, product: Product) -> bool:
        return all(_target_for(e.item, product) is not None for e in self.entries)

    def size_ids(self, product: Product) -> set[str]:
        out = set()
        for e in self.entries:
            t = _target_for(e.item, product)
            if t is not None and t.role == "size" and not e.negated:
                out.add(t.option_id or "")
        return out


def _target_for(item: _Item, product: Product) -> PhraseTarget | None:
    for t in item.targets:
        if t.kind != "option" or t.group_id is None:
            continue
        g = product.group(t.group_id)
        if g is not None and g.option(t.option_id or "") is not None:
            return t
    return None


def _product_targets(item: _Item, catalog: IntakeCatalog) -> list[Product]:
    out = []
    for t in item.targets:
        if t.kind == "product" and t.sku:
            p = catalog.product(t.sku)
            if p is not None:
                out.append(p)
    return out

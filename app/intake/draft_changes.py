"""Changes to what was already ordered: the latest word wins.

"2 white sourdough, actually make that 3", "could you make it 3 and add a rye", "make
the lead a 10m one", "swap the 500g chorizo for 300g", "swap the 500g for a kilo",
"can I change my order to 2kg of carrots instead of 1?". The grammar
(:mod:`app.intake.line_grammar`) hands the words after "make that" / "swap" to an
:class:`Amender`, which changes the line they name in place: the line of this message,
or of the customer's open draft from an earlier message (:class:`PriorLine`, turned into
grammar lines by :func:`prior_builders`). Removals ("forget the croissants") are the
grammar's own, as negated products. :func:`describe_changes` then says, line by line,
what the message changed, so staff see a change to the draft rather than a new order.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from app.intake.catalog_model import IntakeCatalog, PhraseTarget, Product
from app.intake.line_parts import (
    PriorLine,
    _Builder,
    _Entry,
    _product_targets,
    _target_for,
)
from app.intake.number_words import NumberReading
from app.intake.quantities import Amount, Measure
from app.intake.word_tagging import _Item
from sync import units


class _Grammar(Protocol):
    """What the amender needs of the grammar (``line_grammar._Grammar``)."""

    catalog: IntakeCatalog
    items: list[_Item]
    lines: list[_Builder]
    current: _Builder | None
    used: set[int]


def _option_item(product: Product, name: str) -> _Item | None:
    wanted = name.strip().lower()
    for group in product.groups:
        for opt in group.options:
            if wanted in (opt.name.lower(), opt.id.lower()):
                return _Item("option", -1, -1, (0, 0), opt.name, [PhraseTarget(
                    kind="option", group_id=group.id, option_id=opt.id, role=group.role)])
    return None


def prior_builders(lines: list[PriorLine], catalog: IntakeCatalog) -> list[_Builder]:
    """Grammar lines for earlier lines, so this message can change them."""
    out = []
    for prior in lines:
        product = catalog.product(prior.sku)
        if product is None:
            continue
        value = prior.amount if prior.amount is not None else prior.quantity
        amount = None
        if prior.amount is not None and prior.amount_unit:
            amount = Amount(prior.amount, prior.amount_unit)
        elif prior.quantity is not None and units.unit(product.unit).measured:
            amount = Amount(prior.quantity, product.unit)  # 1.5 of a product sold by the kg
        b = _Builder(product=product, prior=prior, start=None, end=0, amount=amount,
                     number=NumberReading(value if value is not None else Decimal(1), -1, -1))
        for name in prior.options:
            item = _option_item(product, name)
            if item is not None:
                b.entries.append(_Entry(item, False, None))
        for name in prior.exclusions:
            item = _option_item(product, name)
            if item is not None:
                b.entries.append(_Entry(item, True, None))
            else:
                b.unknown_exclusions.append(name)
        out.append(b)
    return out


@dataclass
class _Change:
    kind: str                                   # "amend" or "swap"
    start: int
    target: _Builder | None = None
    #: "swap the 500g for ...": the line is named by its amount
    old_amount: Amount | None = None
    number: NumberReading | None = None
    amount: Amount | None = None
    options: list[_Item] = field(default_factory=list)
    rel_size: str | None = None
    product: Product | None = None
    #: after "for" in a swap: what follows is the new value
    new_side: bool = False
    #: after "instead of", "rather than": what follows is the old value, ignored
    ignoring: bool = False
    used: list[int] = field(default_factory=list)
    said_span: tuple[int, int] | None = None


class Amender:
    """The words after "make that" or "swap", applied to the line they name."""

    def __init__(self, grammar: _Grammar) -> None:
        self.g = grammar
        self.change: _Change | None = None
        #: what this message changed that staff must see (target, words)
        self.failed: list[str] = []

    def active(self) -> bool:
        return self.change is not None

    def start(self, idx: int, item: _Item, kind: str) -> None:
        self.close()
        self.change = _Change(kind, idx, new_side=kind == "amend")
        self.change.used.append(idx)

    def _line_with(self, products: list[Product]) -> _Builder | None:
        for line in reversed(self.g.lines):
            if line.product in products and not line.removed:
                return line
        return None

    def feed(self, idx: int, it: _Item, kind: str) -> bool:
        """Take ``it`` into the change; False hands it back to the grammar."""
        ch = self.change
        assert ch is not None
        lang = self.g.catalog.language
        if kind in ("conj", "pos", "break", "contrast", "amend", "swap", "repeat"):
            if kind == "conj" and not ch.new_side and ch.kind == "swap":
                return True  # "swap the bread and butter for ..." stays one target
            self.close()
            return False
        if ch.ignoring:
            taken = kind in ("num", "option", "product", "word")
        elif kind == "neg":  # "3 bunches rather than 2": what follows is the old value
            ch.ignoring = ch.number is not None or bool(ch.options) or ch.product is not None
            taken = True
        elif kind == "word":
            taken = ch.kind == "swap" and it.text in lang.swap_links
            ch.new_side = ch.new_side or taken
        elif kind == "product":
            taken = self._feed_product(it)
        elif kind == "num":
            taken = self._feed_num(it)
        elif kind == "option":
            if not (ch.kind == "swap" and not ch.new_side):
                ch.options.append(it)
            taken = True
        elif kind == "relsize":
            ch.rel_size = it.value
            taken = True
        else:
            taken = False
        if taken and self.change is not None:
            ch.used.append(idx)
        return taken

    def _feed_product(self, it: _Item) -> bool:
        ch = self.change
        assert ch is not None
        products = _product_targets(it, self.g.catalog)
        if ch.new_side and ch.kind == "swap":
            ch.product = products[0] if products else None
            return True
        line = self._line_with(products)
        if line is None:
            self.close()
            return False  # "make it 3 sea bass" with no sea bass yet: an addition
        ch.target = line
        return True

    def _feed_num(self, it: _Item) -> bool:
        ch = self.change
        assert ch is not None
        reading = it.number
        if reading is None:
            return False
        if it.text in self.g.catalog.language.pronoun_counts and (ch.options or ch.rel_size):
            return True  # "a 10m one"
        if reading.from_article and it.amount is None:
            return True  # "make it a large one"
        if ch.kind == "swap" and not ch.new_side:
            ch.old_amount = it.amount or Amount(reading.value)
        else:
            ch.number, ch.amount, ch.said_span = reading, it.amount, it.span
        return True

    def _target(self, ch: _Change) -> _Builder | None:
        if ch.target is not None:
            return ch.target
        live = [b for b in self.g.lines if not b.removed and b.product is not None]
        if ch.old_amount is not None:
            for line in reversed(live):
                if line.amount is not None and _same_amount(line.amount, ch.old_amount):
                    return line
                if line.amount is None and line.count() == ch.old_amount.value and \
                        not ch.old_amount.unit:
                    return line
            return None
        return live[-1] if live else None

    def close(self) -> None:
        ch, self.change = self.change, None
        if ch is None or not (ch.number or ch.options or ch.rel_size or ch.product):
            return
        target = self._target(ch)
        if target is None or target.product is None:
            self.failed.append(" ".join(self.g.items[i].text for i in ch.used))
            return
        self.g.used.update(ch.used)
        if ch.product is not None:
            target.product, target.product_item, target.alternatives = ch.product, None, []
        if ch.number is not None:
            target.number, target.amount, target.quantity = ch.number, ch.amount, None
            target.said_span = ch.said_span
        product = target.product
        assert product is not None
        for item in ch.options:
            new = _target_for(item, product)
            if new is None:
                continue
            target.entries = [e for e in target.entries
                              if (_target_for(e.item, product) or new).group_id != new.group_id]
            target.entries.append(_Entry(item, False, None))
        if ch.rel_size is not None:
            target.rel_size = ch.rel_size
        self.g.current = target


def _same_amount(a: Amount, b: Amount) -> bool:
    if a.measured and b.measured:
        return Measure(a.value, a.unit).same_as(Measure(b.value, b.unit))
    return a.value == b.value and a.unit == b.unit


def describe_changes(before: list[PriorLine], after: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What this message changed in an earlier draft, line by line, for staff.

    ``after`` are the proposal's lines (``DraftLine.to_json``); lines carried over carry
    ``line_id`` and ``removed``.
    """
    out: list[dict[str, Any]] = []
    old = {p.line_id: p for p in before}
    for line in after:
        prior = old.get(str(line.get("line_id") or ""))
        if prior is None:
            if not line.get("removed"):
                out.append({"change": "add", "sku": line.get("sku"),
                            "text": f"add {line.get('said') or line.get('quantity')} "
                                    f"{line.get('product')}"})
            continue
        if line.get("removed"):
            out.append({"change": "remove", "line_id": prior.line_id, "sku": prior.sku,
                        "text": f"remove {prior.text or prior.sku}"})
            continue
        now = PriorLine.from_json(line)
        if now is None:
            continue
        if now.quantity != prior.quantity or now.amount != prior.amount:
            out.append({"change": "quantity", "line_id": prior.line_id, "sku": prior.sku,
                        "old": str(prior.quantity), "new": line.get("quantity"),
                        "text": f"{line.get('product')}: {_qty(prior)} -> {_qty(now)}"})
        if sorted(now.options) != sorted(prior.options):
            out.append({"change": "options", "line_id": prior.line_id, "sku": prior.sku,
                        "old": list(prior.options), "new": list(now.options),
                        "text": f"{line.get('product')}: {', '.join(prior.options) or '-'} -> "
                                f"{', '.join(now.options) or '-'}"})
    return out


def _qty(p: PriorLine) -> str:
    if p.amount is not None and p.amount_unit:
        return f"{p.amount.normalize():f} {p.amount_unit}"
    return f"{(p.quantity or Decimal(0)).normalize():f}"

"""One grammar line made into a draft line: its product, quantity, options and score.

The quantity is said in the product's selling unit (:func:`app.intake.quantities.
selling_quantity`), with the customer's own amount and words kept beside it: "3lb of
stewing steak" is 1.361 kg, asked as 3 lb. A count of something sold by weight stays a
count to weigh. A product named only by a head noun several products share is left to
staff (its alternatives), unless packs decide it ("a dozen eggs" is the dozen box).
"""

from __future__ import annotations

from decimal import Decimal

from app.intake.catalog_model import IntakeCatalog, PhraseTarget, Product
from app.intake.draft_order import DraftLine, LineOption
from app.intake.line_parts import _Builder, _target_for
from app.intake.quantities import Amount, selling_quantity
from sync import units

_REJECTED_OPTION = 0.8
_TWO_SIZES = 0.7
#: pieces of something sold by the kg: staff weigh them
_COUNT_OF_WEIGHED = 0.6
#: an amount that cannot be said in the selling unit ("2 kg" of something sold each)
_UNCONVERTIBLE = 0.5
#: the catalog cannot decide the product: a question for staff, never a draft
_AMBIGUOUS = 0.3
#: a pack whose size nobody said ("3 trays"), counted as one each
_UNKNOWN_PACK = 0.85
#: "the big ones" read as the largest measured option
_RELATIVE_SIZE = 0.9


def _by_pack(b: _Builder, count: Decimal) -> tuple[Product, Decimal] | None:
    """"a dozen eggs", "2 boxes of 6 eggs", "6 free range eggs": the pack that fits."""
    products = b.alternatives or ([b.product] if b.product is not None else [])
    packs = [p for p in products if p.pack]
    if not packs or len(packs) != len(products):
        return None
    amount = b.amount
    if amount is not None and amount.pack_of is not None:
        for p in packs:
            if p.pack == amount.pack_of:
                return p, amount.value
        pieces = amount.pieces
    elif amount is not None and amount.unit:
        return (packs[0], amount.value) if len(packs) == 1 else None
    else:
        pieces = count
    fitting = [p for p in packs if p.pack and pieces >= p.pack and pieces % p.pack == 0]
    if fitting:
        best = max(fitting, key=lambda p: p.pack or 0)
        return best, pieces / (best.pack or 1)
    if len(packs) == 1:
        return packs[0], count  # "2 screws" of a box of 100: two boxes, most likely
    return None


def _quantity(b: _Builder, product: Product, line: DraftLine) -> float:
    """Set the line's quantity and the customer's amount; returns a confidence factor."""
    count = b.count()
    count = Decimal(1) if count is None else count
    amount = b.amount
    if b.quantity is not None:  # some of a split line ("two pizzas, one with ham")
        amount = None
    if amount is None or not amount.unit:
        amount = Amount(count, "", amount.pack_of if amount is not None else None)
    elif b.quantity is None and not amount.measured and amount.value != count:
        amount = Amount(count, amount.unit, amount.pack_of)
    line.amount, line.amount_unit = amount.value, amount.unit
    line.quantity = selling_quantity(amount, product.unit)
    if line.quantity is not None:
        line.quantity = units.stored(line.quantity)
        if amount.unit and not amount.measured and amount.pack_of is None and \
                units.unit(amount.unit).code != units.unit(product.unit).code:
            return _UNKNOWN_PACK
        return 1.0
    if amount.measured:
        line.notes.append(f"{amount.text()} asked; {product.name} is sold by "
                          f"{product.unit}")
        return _UNCONVERTIBLE
    line.notes.append(f"{amount.text() or amount.value} asked; weigh it "
                      f"({product.name} is sold by the {product.unit})")
    return _COUNT_OF_WEIGHED


def _add_option(line: DraftLine, lo: LineOption, role: str, negated: bool) -> float:
    def same(x: LineOption) -> bool:
        return x.option_id == lo.option_id and x.group_id == lo.group_id

    if negated:
        line.modifiers = [x for x in line.modifiers if not same(x)]
        line.variants = [x for x in line.variants if not same(x)]
        if not any(same(x) for x in line.exclusions):
            line.exclusions.append(lo)
        return 1.0
    line.exclusions = [x for x in line.exclusions if not same(x)]
    if role == "size":
        factor = 1.0
        if line.size is not None and line.size.option_id != lo.option_id:
            line.notes.append(f"two sizes given: {line.size.name}, {lo.name}")
            factor = _TWO_SIZES
        line.size = lo
        return factor
    if role == "variant":
        if not any(same(x) for x in line.variants):
            line.variants.append(lo)
        return 1.0
    existing = [x for x in line.modifiers if same(x)]
    if existing:
        if lo.qualifier and not existing[0].qualifier:
            existing[0].qualifier = lo.qualifier
    else:
        line.modifiers.append(lo)
    return 1.0


def _option(product: Product, target: PhraseTarget, qualifier: str | None,
            span: tuple[int, int], score: float) -> LineOption | None:
    group = product.group(target.group_id or "")
    opt = group.option(target.option_id or "") if group is not None else None
    if group is None or opt is None:
        return None
    return LineOption(group_id=group.id, option_id=opt.id, name=opt.name, role=group.role,
                      qualifier=qualifier, span=span, confidence=score)


def _apply_entries(b: _Builder, product: Product, line: DraftLine) -> float:
    conf = 1.0
    for e in b.entries:
        target = _target_for(e.item, product)
        if target is None:
            if e.item.amount is not None and b.amount is None and not e.negated:
                b.amount = e.item.amount  # "5 metres of rope": 5m is an option elsewhere
                b.said_span = e.item.span
                continue
            line.notes.append(f"'{e.item.text}' is not an option of {product.name}")
            conf *= _REJECTED_OPTION
            continue
        lo = _option(product, target, e.qualifier, e.item.span, e.item.score)
        if lo is not None:
            conf *= e.item.score * _add_option(line, lo, lo.role, e.negated)
    return conf


def _apply_rel_size(b: _Builder, product: Product, line: DraftLine,
                    catalog: IntakeCatalog) -> float:
    """"the big ones", "a small gas bottle": the largest or smallest measured option."""
    if b.rel_size is None or line.size is not None:
        return 1.0
    extreme = catalog.extreme_option(product, b.rel_size)
    lo = _option(product, extreme, None, (0, 0), _RELATIVE_SIZE) if extreme else None
    if lo is None or any(v.group_id == lo.group_id for v in [*line.variants, *line.modifiers]):
        return 1.0
    return _RELATIVE_SIZE * _add_option(line, lo, lo.role, False)


def _place(b: _Builder, line: DraftLine, original: str) -> None:
    """Where the line came from: its text here, or the open draft's line it carries on."""
    if b.prior is not None:
        line.line_id = b.prior.line_id
        line.removed = b.removed
        line.text = b.prior.text
    if b.start is not None:
        line.span = (b.start, b.end)
        line.text = original[b.start:b.end]
    if b.said_span is not None:
        line.said = " ".join(original[b.said_span[0]:b.said_span[1]].split())
    line.implicit_product = b.product_item is None and b.prior is None


def finish_line(b: _Builder, original: str, catalog: IntakeCatalog) -> DraftLine:
    """The draft line for a grammar line (see the module docstring)."""
    product = b.product
    assert product is not None
    conf = b.implicit_factor
    if b.product_item is not None:
        conf *= b.product_item.score
    count = b.count()
    packed = _by_pack(b, Decimal(1) if count is None else count)
    alternatives = [p.sku for p in b.alternatives] if packed is None else []
    if packed is not None:
        product = packed[0]
    line = DraftLine(sku=product.sku, product_name=product.name, quantity=None,
                     unit=product.unit)
    conf *= _apply_entries(b, product, line)
    if packed is not None:
        line.quantity = units.stored(packed[1])
        line.amount, line.amount_unit = packed[1], ""
    else:
        conf *= _quantity(b, product, line)
    conf *= _apply_rel_size(b, product, line, catalog)
    line.unknown_exclusions = list(dict.fromkeys(b.unknown_exclusions))
    for text in line.unknown_exclusions:
        line.notes.append(f"no {text} (not in the catalog)")
    if len(alternatives) > 1:
        line.sku, line.alternatives = None, alternatives
        line.product_name = " or ".join(p.name for p in b.alternatives)
        conf *= _AMBIGUOUS
    line.notes.extend(b.notes)
    line.confidence = max(0.0, min(1.0, conf))
    _place(b, line, original)
    return line

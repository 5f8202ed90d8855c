"""Turning a customer's message into a draft order, offline and rule-based.

``parse_order(text, catalog, now)`` reads an SMS, e-mail body or call note and proposes
a :class:`DraftOrder`: lines (catalog product, quantity, size, variants, modifiers with
qualifiers, exclusions, confidence, matched span), the requested time, pickup or
delivery with the address, a budget, and an overall confidence. Staff confirm or
correct it; the engine decides from ``confidence`` whether to create a draft order or
only show a suggestion.

How it reads (no training, no model):

1. Address, requested time and budget are found first and masked out, so "12 Baker
   Street" or "at 7" never become quantities.
2. Words are tagged by longest match: catalog phrases (products, options, with plurals),
   counts ("two dozen", "x3"), measures ("2 litre"), and the language's grammar words
   (negations, qualifiers, conjunctions...). Unknown words get one fuzzy try against the
   catalog (typos) and a unique-prefix try (abbreviations: "marg").
3. A small grammar groups tags into lines. Counts, sizes and options before a product
   noun wait for it ("two medium pepperoni pizzas"); options after it attach to it
   ("a pizza with ham and extra cheese"), unless a product noun follows them ("a
   pepperoni pizza and ham pizza"). A qualifier binds to the next option only; a
   negation covers the options that follow until "with", "but", "please", a new item
   or "and" + qualifier ("no ham and extra cheese").
4. Counts that refer back split or complete the previous item: "two pizzas, one with
   ham, the other with olives", "large pizzas with ham, three of them"; "both"/"all of
   them" spread what follows over every item so far.

Confidence per line is the product of its match scores (fuzzy or abbreviated words,
a product only inferred from its options, options that do not fit, unknown words inside
the item); the order's confidence is the lowest line's, lowered a little per unknown
word elsewhere.

Where each step lives: the address, pickup-or-delivery and budget finders in
:mod:`app.intake.delivery_and_budget` (the requested time in
:mod:`app.intake.requested_time`), tagging in :mod:`app.intake.word_tagging`, the
grammar in :mod:`app.intake.line_grammar`, the result types in
:mod:`app.intake.draft_order`. This module masks, runs the steps in order and scores
each line.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from datetime import datetime
from decimal import Decimal

from app.intake.catalog_model import IntakeCatalog
from app.intake.delivery_and_budget import _find_address, _find_budget, _find_fulfilment
from app.intake.draft_order import DraftLine, DraftOrder, LineOption
from app.intake.line_grammar import _Builder, _Grammar, _target_for
from app.intake.requested_time import find_requested_time
from app.intake.text_tokens import normalise, tokenize
from app.intake.word_tagging import MAX_MESSAGE_CHARS, _tag, tag_message

__all__ = ["DraftLine", "DraftOrder", "parse_order", "tag_message"]

log = logging.getLogger("countertop.intake.parser")

_REJECTED_OPTION = 0.8
_UNKNOWN_INSIDE_LINE = 0.85
_UNKNOWN_OUTSIDE_LINE = 0.05

_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s\-/().]{5,}\d(?![\w.,]\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")


def _mask(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


# -- entry point ---------------------------------------------------------------------------

def parse_order(text: str, catalog: IntakeCatalog, now: datetime) -> DraftOrder:
    """Propose a draft order for ``text``. Never raises on odd input; an empty or
    unreadable message gives an order without lines and confidence 0."""
    if not isinstance(text, str):
        raise TypeError("text must be str")
    original = text[:MAX_MESSAGE_CHARS]
    if len(text) > MAX_MESSAGE_CHARS:
        log.warning("message of %d chars truncated to %d for intake", len(text),
                    MAX_MESSAGE_CHARS)
    order = DraftOrder(text=original)
    low = normalise(original)
    lang = catalog.language
    work = low

    for pattern in (_PHONE, _EMAIL, _URL):  # contact details are never counts
        for m in pattern.finditer(work):
            if pattern is not _PHONE or sum(ch.isdigit() for ch in m.group(0)) >= 7:
                work = _mask(work, m.span())
    budget = _find_budget(work, original, catalog)
    if budget is not None:
        order.budget = budget[0]
        work = _mask(work, budget[1])
    address = _find_address(work, original, lang)
    if address is not None:
        order.address = address[0]
        work = _mask(work, address[1])
    when = find_requested_time(work, now, lang, catalog.phrase_texts)
    if when is not None:
        shown = " ".join(" ".join(original[a:b].split()) for a, b in when.spans)
        when = dataclasses.replace(when, text=shown)
        order.requested_time = when
        for s in when.spans:
            work = _mask(work, s)
    fulfilment, f_spans = _find_fulfilment(work, lang)
    for s in f_spans:
        work = _mask(work, s)
    if order.address and fulfilment is None:
        fulfilment = "delivery"
    order.fulfilment = fulfilment

    tokens = tokenize(work)
    items = _tag(tokens, work, catalog)
    builders = _Grammar(items, catalog).run()
    order.lines = [_finish_line(b, original, catalog) for b in builders if b.product]

    stop = lang.stopwords | catalog.fillers
    unknown = [it for it in items
               if it.kind == "word" and it.value != "stop" and it.text.isalpha()
               and it.text not in stop and len(it.text) > 2]
    order.unparsed = [it.text for it in unknown]
    outside = 0
    for it in unknown:
        inside = [line for line in order.lines if line.span[0] <= it.span[0] < line.span[1]]
        for line in inside:
            # "three medium hamburger pizzas": an unknown word inside an item is likely
            # an attribute we missed
            line.confidence *= _UNKNOWN_INSIDE_LINE
            line.notes.append(f"unknown word '{it.text}'")
        outside += not inside
    if order.lines:
        coverage = max(0.5, 1.0 - _UNKNOWN_OUTSIDE_LINE * outside)
        order.confidence = min(line.confidence for line in order.lines) * coverage
    return order


def _finish_line(b: _Builder, original: str, catalog: IntakeCatalog) -> DraftLine:
    product = b.product
    assert product is not None
    conf = b.implicit_factor
    if b.product_item is not None:
        conf *= b.product_item.score
    quantity = Decimal(1)
    unit = product.unit
    if b.count() is not None:
        quantity = b.count() or Decimal(0)
    if b.measure is not None:
        if unit == b.measure.unit:
            quantity = Decimal(str(b.measure.value))
        else:
            conf *= 0.7
    line = DraftLine(sku=product.sku, product_name=product.name, quantity=quantity, unit=unit)
    for e in b.entries:
        target = _target_for(e.item, product)
        if target is None:
            line.notes.append(f"'{e.item.text}' is not an option of {product.name}")
            conf *= _REJECTED_OPTION
            continue
        group = product.group(target.group_id or "")
        assert group is not None
        opt = group.option(target.option_id or "")
        assert opt is not None
        lo = LineOption(group_id=group.id, option_id=opt.id, name=opt.name, role=group.role,
                        qualifier=e.qualifier, span=e.item.span, confidence=e.item.score)
        conf *= e.item.score
        def same(x: LineOption, lo: LineOption = lo) -> bool:
            return x.option_id == lo.option_id and x.group_id == lo.group_id

        if e.negated:
            line.modifiers = [x for x in line.modifiers if not same(x)]
            line.variants = [x for x in line.variants if not same(x)]
            if not any(same(x) for x in line.exclusions):
                line.exclusions.append(lo)
            continue
        line.exclusions = [x for x in line.exclusions if not same(x)]
        if group.role == "size":
            if line.size is not None and line.size.option_id != lo.option_id:
                line.notes.append(f"two sizes given: {line.size.name}, {lo.name}")
                conf *= 0.7
            line.size = lo
        elif group.role == "variant":
            if not any(x.option_id == lo.option_id and x.group_id == lo.group_id
                       for x in line.variants):
                line.variants.append(lo)
        else:
            existing = [x for x in line.modifiers
                        if x.option_id == lo.option_id and x.group_id == lo.group_id]
            if existing:
                if lo.qualifier and not existing[0].qualifier:
                    existing[0].qualifier = lo.qualifier
            else:
                line.modifiers.append(lo)
    line.confidence = max(0.0, min(1.0, conf))
    start = b.start or 0
    line.span = (start, b.end)
    line.text = original[start:b.end]
    line.implicit_product = b.product_item is None
    return line

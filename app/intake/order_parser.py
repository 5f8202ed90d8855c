"""Turning a customer's message into a draft order, offline and rule-based.

``parse_order(text, catalog, now, context)`` reads an SMS, e-mail body or call note and
proposes a :class:`DraftOrder`: lines (catalog product, quantity in its selling unit
with the customer's own amount and words, size, variants, modifiers with qualifiers,
exclusions, confidence, matched span), the requested time, pickup or delivery with the
address, a budget, every stretch of text it did not use, what it changed in the
customer's open draft, and an overall confidence. Staff confirm or correct it; the
engine decides from ``confidence`` whether to create (or change) a draft order or only
show a suggestion.

How it reads (no training, no model):

1. Clauses (:mod:`app.intake.clauses`): questions, past events and chatter are set
   aside (shown to staff as ignored text), so "what do you charge for the parma ham?"
   or "I dropped the ladder back yesterday" order nothing and "see you tomorrow" is no
   time. A clause said three times over is kept once.
2. Address, requested time and budget are found in what is left and masked out, so
   "12 Baker Street" or "at 7" never become quantities.
3. Words are tagged by longest match (:mod:`app.intake.word_tagging`): catalog phrases
   (names, aliases, plurals, head nouns: "lead" for "Extension lead"), amounts with
   units ("3lb", "half a kilo", "2 boxes of 6"), option measures ("2.5 litre" for an
   option "2.5L", "4 x 40" for "4x40mm") and the language's grammar words. Unknown words
   get one fuzzy try (typos) and a unique-prefix try (abbreviations: "marg").
4. A small grammar (:mod:`app.intake.line_grammar`) groups tags into lines: counts and
   options wait for their noun, options after a noun attach to it, "one with ham, the
   other with olives" split a line, "two plain ones" refer back, "the usual" brings in
   the last order, "forget the croissants" takes a line off, "actually make that 3"
   changes one (:mod:`app.intake.draft_changes`), on this message's lines or on the
   open draft's.

Confidence per line is the product of its match scores (fuzzy, abbreviated, head-noun
or inferred product, options that do not fit, unknown words inside the item, a count of
something sold by weight, an amount that does not convert, a product the catalog
cannot decide); the order's is the lowest line's, lowered per word left unused, for a
change nobody could place, and for repeated text. The threshold at which the engine
drafts on its own is set from the dev sets' reliability curve (``make bench``).
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter
from datetime import datetime

from app.intake.catalog_model import IntakeCatalog
from app.intake.clauses import ORDER, QUESTION, split_clauses
from app.intake.delivery_and_budget import _find_address, _find_budget, _find_fulfilment
from app.intake.draft_changes import describe_changes, prior_builders
from app.intake.draft_order import DraftLine, DraftOrder, IntakeContext, Leftover, LineOption
from app.intake.language_pack import LanguagePack
from app.intake.line_grammar import _Grammar
from app.intake.line_parts import PriorLine, _Builder
from app.intake.line_scoring import finish_line
from app.intake.requested_time import find_requested_time
from app.intake.text_tokens import normalise, tokenize
from app.intake.word_tagging import MAX_MESSAGE_CHARS, _Item, _tag, tag_message

__all__ = ["DraftLine", "DraftOrder", "IntakeContext", "LineOption", "parse_order",
           "tag_message"]

log = logging.getLogger("countertop.intake.parser")

_UNKNOWN_INSIDE_LINE = 0.85
#: each word left over outside every line
_UNKNOWN_OUTSIDE_LINE = 0.9
_FLOOR = 0.4
#: a change nobody could place ("make it 3" with nothing ordered)
_UNPLACED_CHANGE = 0.5
#: the same line said three times or more: a copy-paste or a stuck phone, not an order
_REPEATED = 0.3
_MANY_LINES = 25
#: said as many times, the same clause is kept once
_REPEAT_LIMIT = 2

_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s\-/().]{5,}\d(?![\w.,]\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")
#: a price said in passing ("around £35"): never a count (a budget has a cue, found first)
_PRICE = re.compile(r"[£$€]\s*\d+(?:[.,]\d{1,2})?|\b\d+(?:[.,]\d{1,2})?\s*(?:[£$€]|quid\b)")


def _mask(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def _set_aside(order: DraftOrder, original: str, low: str, catalog: IntakeCatalog
               ) -> tuple[str, list[tuple[int, int]]]:
    """Mask the clauses that order nothing; returns the text left and question spans."""
    work = low
    questions: list[tuple[int, int]] = []
    said: Counter[str] = Counter()
    for clause in split_clauses(original, catalog.language):
        a, b = clause.span
        key = " ".join(low[a:b].split())
        reason = clause.kind
        if clause.kind == ORDER:
            said[key] += 1
            if said[key] <= _REPEAT_LIMIT or len(key) < 4:
                continue
            reason = "repeated"
        elif clause.kind == QUESTION:
            questions.append(clause.span)
        order.leftover.append(Leftover(original[a:b], clause.span, reason))
        work = _mask(work, clause.span)
    return work, questions


def _topic(low: str, questions: list[tuple[int, int]], catalog: IntakeCatalog
           ) -> _Builder | None:
    """The last thing a question asked about ("do you still do the cheese scones?")."""
    if not questions:
        return None
    a, b = questions[-1]
    text = " " * a + low[a:b]
    lines = _Grammar(_tag(tokenize(text), text, catalog), catalog).run()
    live = [line for line in lines if line.product is not None]
    return live[-1] if live else None


def _history(lines: tuple[PriorLine, ...], catalog: IntakeCatalog) -> list[_Builder]:
    out = prior_builders(list(lines), catalog)
    for b in out:
        b.prior = None  # the last order's lines come back as new lines of this order
    return out


# -- entry point ---------------------------------------------------------------------------

def parse_order(text: str, catalog: IntakeCatalog, now: datetime,
                context: IntakeContext | None = None) -> DraftOrder:
    """Propose a draft order for ``text``. Never raises on odd input; an empty or
    unreadable message gives an order without lines and confidence 0."""
    if not isinstance(text, str):
        raise TypeError("text must be str")
    context = context or IntakeContext()
    original = text[:MAX_MESSAGE_CHARS]
    if len(text) > MAX_MESSAGE_CHARS:
        log.warning("message of %d chars truncated to %d for intake", len(text),
                    MAX_MESSAGE_CHARS)
    order = DraftOrder(text=original)
    low = normalise(original)
    lang = catalog.language
    work, questions = _set_aside(order, original, low, catalog)

    for pattern in (_PHONE, _EMAIL, _URL):  # contact details are never counts
        for m in pattern.finditer(work):
            if pattern is not _PHONE or sum(ch.isdigit() for ch in m.group(0)) >= 7:
                work = _mask(work, m.span())
    budget = _find_budget(work, original, catalog)
    if budget is not None:
        order.budget = budget[0]
        work = _mask(work, budget[1])
    for m in _PRICE.finditer(work):
        work = _mask(work, m.span())
    address = _find_address(work, original, lang)
    if address is not None:
        order.address = address[0]
        work = _mask(work, address[1])
    when = find_requested_time(work, now, lang, catalog.phrase_texts)
    if when is not None:
        shown = " ".join(" ".join(original[a:b].split()) for a, b in when.spans)
        when = dataclasses.replace(when, text=shown)
        for s in when.spans:
            work = _mask(work, s)
    order.requested_time = when or context.previous_time  # the latest word wins
    fulfilment, f_spans = _find_fulfilment(work, lang)
    for s in f_spans:
        work = _mask(work, s)
    if order.address and fulfilment is None:
        fulfilment = "delivery"
    order.fulfilment = fulfilment

    work = work.replace("\n", ";")  # a line of a list ends its item ("Bacon - 1lb smoked")
    tokens = tokenize(work)
    items = _tag(tokens, work, catalog)
    prior = prior_builders(list(context.previous), catalog)
    grammar = _Grammar(items, catalog, prior=prior,
                       history=_history(context.last_order, catalog),
                       topic=_topic(low, questions, catalog))
    builders = grammar.run()
    finished = [(b, finish_line(b, original, catalog)) for b in builders
                if b.product is not None]
    order.lines = [line for b, line in finished if not b.removed]
    order.removed = [line for b, line in finished if b.removed and b.prior is not None]
    if context.previous:
        order.changes = describe_changes(list(context.previous),
                                         [line.to_json() for _, line in finished])
        if not _changes_draft(order, low, lang):
            # lines of their own, no word of changing or adding: an order of its own
            return parse_order(text, catalog, now, IntakeContext(last_order=context.last_order))
    if grammar.repeat_missing:
        order.notes.append("asks for the usual, but no earlier order of theirs is known")
    _repeated_lines(order)
    unused = _leftovers(order, items, grammar, original,
                        [b for b, _ in finished if not b.removed])
    _score(order, grammar, bool(context.previous), unused)
    return order


def _changes_draft(order: DraftOrder, low: str, lang: LanguagePack) -> bool:
    """Does a message with an open draft change it (or add to it on purpose: "also ...",
    "... as well"), rather than order something else?"""
    if any(c["change"] != "add" for c in order.changes):
        return True
    if not order.changes:
        return False  # it changes nothing: read it on its own
    words = [t.text for t in tokenize(low) if t.text.isalnum() or "'" in t.text]
    starts = any(" ".join(words[:n]) in lang.addition_cues for n in (1, 2, 3))
    ends = any(" ".join(words[-n:]) in lang.addition_cues for n in (1, 2))
    return starts or ends


def _line_key(line: DraftLine) -> tuple[object, ...]:
    return (line.sku, line.quantity, line.amount_unit, line.size and line.size.option_id,
            tuple(v.option_id for v in line.variants),
            tuple((m.option_id, m.qualifier) for m in line.modifiers),
            tuple(x.option_id for x in line.exclusions), tuple(line.unknown_exclusions),
            tuple(line.alternatives), line.line_id)


def _repeated_lines(order: DraftOrder) -> None:
    """The same line three times or more: kept once, with a note, never drafted alone
    (a pasted message repeating one phrase is not 80 lines)."""
    seen = Counter(_line_key(line) for line in order.lines)
    if max(seen.values(), default=0) < 3:
        return
    keep: list[DraftLine] = []
    kept: set[tuple[object, ...]] = set()
    for line in order.lines:
        key = _line_key(line)
        if seen[key] < 3:
            keep.append(line)
        elif key not in kept:
            kept.add(key)
            line.notes.append(f"said {seen[key]} times; kept once")
            line.confidence *= _REPEATED
            keep.append(line)
    order.lines = keep


def _content(item: _Item, catalog: IntakeCatalog) -> bool:
    """A word or number that means something if nobody used it."""
    lang = catalog.language
    if item.kind == "num":
        return (item.number is not None and not item.number.from_article) or \
            item.amount is not None
    if item.kind != "word" or item.value == "stop":
        return False
    return item.text.isalpha() and item.text not in lang.stopwords and \
        item.text not in catalog.fillers and len(item.text) > 1


def _leftovers(order: DraftOrder, items: list[_Item], grammar: _Grammar, original: str,
               live: list[_Builder]) -> int:
    """Every stretch of text no line, time or grammar word used, shown to staff; returns
    how many words of meaning were left over outside the lines."""
    catalog = grammar.catalog
    spans = [(b.start, b.end) for b in live if b.start is not None]
    unused: list[int] = []
    for idx, it in enumerate(items):
        if idx in grammar.used or not _content(it, catalog):
            continue
        inside = [line for b, line in zip(live, order.lines, strict=False)
                  if b.start is not None and b.start <= it.span[0] < b.end]
        if inside and it.kind == "word":
            for line in inside:
                # "three medium hamburger pizzas": an unknown word inside an item is
                # likely an attribute we missed
                line.confidence *= _UNKNOWN_INSIDE_LINE
                line.notes.append(f"unknown word '{it.text}'")
            continue
        if any(a is not None and a <= it.span[0] < b for a, b in spans):
            continue
        unused.append(idx)
    groups: list[list[int]] = []
    for idx in unused:
        if groups and all(not _content(items[k], catalog) for k in range(groups[-1][-1] + 1,
                                                                         idx)):
            groups[-1].append(idx)
        else:
            groups.append([idx])
    for group in groups:
        a, b = items[group[0]].span[0], items[group[-1]].span[1]
        order.leftover.append(Leftover(original[a:b], (a, b)))
    for text in grammar.amender.failed:
        order.notes.append(f"'{text}': nothing ordered to change")
    order.leftover.sort(key=lambda x: x.span)
    order.unparsed = [x.text for x in order.leftover if x.reason == "not understood"]
    return len(unused)


def _score(order: DraftOrder, grammar: _Grammar, has_previous: bool,
           leftover_words: int) -> None:
    if order.lines or order.changes:
        order.kind = "amendment" if has_previous and order.changes and not any(
            not line.line_id for line in order.lines) else "order"
    else:
        kinds = [x.reason for x in order.leftover if x.reason != "not understood"]
        for kind in ("question", "past", "chatter", "repeated"):
            if kind in kinds:
                order.kind = kind
                break
    if not order.lines:
        order.confidence = 0.0
        return
    conf = min(line.confidence for line in order.lines)
    conf *= max(_FLOOR, _UNKNOWN_OUTSIDE_LINE ** leftover_words)
    if grammar.amender.failed or grammar.repeat_missing:
        conf *= _UNPLACED_CHANGE
    if len(order.lines) > _MANY_LINES:
        conf *= 0.5
    order.confidence = max(0.0, min(1.0, conf))


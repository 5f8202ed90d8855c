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
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

from rapidfuzz import fuzz, process

from app.intake.catalog_model import IntakeCatalog, Measure, PhraseTarget, Product
from app.intake.language_pack import LanguagePack
from app.intake.number_words import NumberReading, read_number
from app.intake.requested_time import RequestedTime, find_requested_time
from app.intake.text_tokens import Token, normalise, tokenize

log = logging.getLogger("countertop.intake.parser")

Fulfilment = Literal["pickup", "delivery"]
MAX_MESSAGE_CHARS = 4000
_FUZZY_WORD_CUTOFF = 84.0
_FUZZY_PAIR_CUTOFF = 88.0
_PREFIX_MIN = 4
_PREFIX_SCORE = 0.8
_IMPLICIT_UNIQUE = 0.75
_IMPLICIT_GUESS = 0.5
_REJECTED_OPTION = 0.8
_UNKNOWN_INSIDE_LINE = 0.85
_UNKNOWN_OUTSIDE_LINE = 0.05


# -- result types ---------------------------------------------------------------------

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


# -- tagging ----------------------------------------------------------------------------

@dataclass
class _Item:
    kind: str   # num product option qual neg pos conj contrast break size_marker category word
    start: int  # token index
    end: int
    span: tuple[int, int]
    text: str
    targets: list[PhraseTarget] = field(default_factory=list)
    number: NumberReading | None = None
    measure: Measure | None = None
    value: str = ""
    score: float = 1.0
    weak: bool = False


def _read_measure(words: Sequence[str], i: int, lang: LanguagePack
                  ) -> tuple[NumberReading, Measure, int] | None:
    reading = read_number(words, i, lang)
    if reading is None or reading.marker_before or reading.marker_after:
        return None  # an article counts: "a liter of coke", "a kilo of comte"
    for n in (2, 1):
        unit_words = " ".join(words[reading.end:reading.end + n])
        unit = lang.measure_units.get(unit_words)
        if unit is not None and len(words[reading.end:reading.end + n]) == n:
            return reading, Measure(float(reading.value) * unit[1], unit[0]), reading.end + n
    return None


def _fuzzy(catalog: IntakeCatalog, text: str, pair: bool) -> tuple[str, float] | None:
    memo_key = ("2:" if pair else "1:") + text
    if memo_key in catalog.fuzzy_memo:
        return catalog.fuzzy_memo[memo_key]
    choices = catalog.fuzzy_pairs if pair else catalog.fuzzy_words
    cutoff = _FUZZY_PAIR_CUTOFF if pair else _FUZZY_WORD_CUTOFF
    found = process.extractOne(text, choices, scorer=fuzz.ratio, score_cutoff=cutoff)
    result = (found[0], float(found[1]) / 100.0) if found else None
    if result is None and not pair and len(text) >= _PREFIX_MIN:
        # abbreviations: "marg" -> "margherita", when the prefix names one thing only
        longer = [c for c in choices if c.startswith(text) and len(c) > len(text)]
        meanings = {tuple(catalog.phrases[(c,)]) for c in longer}
        if len(meanings) == 1:
            result = (min(longer, key=len), _PREFIX_SCORE)
    if len(catalog.fuzzy_memo) < 50_000:
        catalog.fuzzy_memo[memo_key] = result
    return result


def _tag(tokens: list[Token], text: str, catalog: IntakeCatalog) -> list[_Item]:
    lang = catalog.language
    words = [t.text for t in tokens]
    items: list[_Item] = []
    i = 0
    n = len(words)
    while i < n:
        best: _Item | None = None

        def offer(item: _Item) -> None:
            nonlocal best
            if best is None or item.end > best.end:
                best = item

        def span(a: int, b: int) -> tuple[int, int]:
            return tokens[a].start, tokens[b - 1].end

        hit = catalog.longest_match(words, i)
        if hit is not None:
            end, targets = hit
            products = [t for t in targets if t.kind == "product"]
            kind = "product" if products and len(products) == len(targets) else (
                "option" if not products else "product_or_option")
            offer(_Item(kind, i, end, span(i, end), " ".join(words[i:end]), list(targets),
                        weak=end - i == 1 and words[i] in lang.stopwords))
        measured = _read_measure(words, i, lang)
        if measured is not None:
            amount, measure, end = measured
            targets = catalog.option_for_measure(measure)
            if targets:
                offer(_Item("option", i, end, span(i, end), " ".join(words[i:end]), targets))
            else:
                offer(_Item("num", i, end, span(i, end), " ".join(words[i:end]),
                            number=amount, measure=measure))
        reading = read_number(words, i, lang)
        if reading is not None:
            end = reading.end
            if end < n and words[end] in lang.count_descriptors and not reading.from_article:
                # "a two topping pizza": the count describes the item, not the quantity
                offer(_Item("word", i, end + 1, span(i, end + 1), " ".join(words[i:end + 1]),
                            value="stop"))
            else:
                offer(_Item("num", i, end, span(i, end), " ".join(words[i:end]),
                            number=reading))
        gm = catalog.grammar_match(words, i)
        if gm is not None:
            end, kind, value = gm
            offer(_Item(kind, i, end, span(i, end), " ".join(words[i:end]), value=value))
        if best is None:
            w = words[i]
            fuzzy_hit = None
            if i + 1 < n and w.isalpha() and words[i + 1].isalpha() and \
                    catalog.longest_match(words, i + 1) is None and \
                    catalog.grammar_match(words, i + 1) is None:
                fuzzy_hit = _fuzzy(catalog, f"{w} {words[i + 1]}", pair=True)
                width = 2
            if fuzzy_hit is None and w.isalpha() and len(w) >= 4:
                fuzzy_hit = _fuzzy(catalog, w, pair=False)
                width = 1
            if fuzzy_hit is not None:
                key = tuple(fuzzy_hit[0].split())
                targets = catalog.phrases[key]
                products = [t for t in targets if t.kind == "product"]
                kind = "product" if products and len(products) == len(targets) else (
                    "option" if not products else "product_or_option")
                best = _Item(kind, i, i + width, span(i, i + width),
                             " ".join(words[i:i + width]), list(targets), score=fuzzy_hit[1])
            else:
                best = _Item("word", i, i + 1, span(i, i + 1), w)
        items.append(best)
        i = best.end
    return items


@dataclass(frozen=True)
class TaggedWord:
    """How the parser read a stretch of a message (for alias learning and debugging)."""

    kind: str
    text: str
    span: tuple[int, int]
    targets: tuple[PhraseTarget, ...]
    score: float
    stopword: bool


def tag_message(text: str, catalog: IntakeCatalog) -> list[TaggedWord]:
    """Tag ``text`` the way :func:`parse_order` does, without the grammar step."""
    tokens = tokenize(text[:MAX_MESSAGE_CHARS])
    stop = catalog.language.stopwords
    return [TaggedWord(it.kind, it.text, it.span, tuple(it.targets), it.score,
                       it.value == "stop" or it.text in stop)
            for it in _tag(tokens, text, catalog)]


# -- grammar ------------------------------------------------------------------------------

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
    measure: Measure | None = None
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

    def count(self) -> Decimal | None:
        if self.quantity is not None:
            return self.quantity
        return self.number.value if self.number is not None else None

    def empty(self) -> bool:
        return self.number is None and not self.entries and self.product is None

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


class _Grammar:
    def __init__(self, items: list[_Item], catalog: IntakeCatalog) -> None:
        self.items = items
        self.catalog = catalog
        self.lines: list[_Builder] = []
        self.current: _Builder | None = None
        self.pending = _Builder()
        self.negated = False
        #: nothing has been negated yet since the last negation word
        self.neg_fresh = False
        self.qualifier: str | None = None
        #: after "both" / "all of them": options go to every line ordered so far
        self.distributive = False

    # helpers
    def _next_significant(self, idx: int) -> _Item | None:
        for it in self.items[idx + 1:]:
            if it.kind != "word":
                return it
        return None

    def _prev_significant(self, idx: int) -> _Item | None:
        for it in reversed(self.items[:idx]):
            if it.kind != "word":
                return it
        return None

    def _product_follows(self, idx: int, item: _Item) -> bool:
        """Do option words starting at ``idx`` lead up to a product noun that takes them?"""
        stop = self.catalog.language.stopwords
        for it in self.items[idx + 1:]:
            if it.kind in ("option", "qual", "conj", "size_marker"):
                continue
            if it.kind == "word" and ((it.text not in stop and it.value != "stop") or
                                      it.text in self.catalog.language.count_glue):
                continue  # unknown adjectives ("fresh basil pizza") and "of" ("2 liters of coke")
            if it.kind in ("product", "product_or_option"):
                return any(_target_for(item, p) is not None
                           for p in _product_targets(it, self.catalog))
            return False
        return False

    def _partitive_follows(self, idx: int) -> bool:
        nxt = self.items[idx + 1] if idx + 1 < len(self.items) else None
        if nxt is None:
            return False
        lang = self.catalog.language
        if nxt.kind in ("neg", "option", "qual") or (nxt.kind == "pos" and \
                nxt.text in lang.partitive_links):
            return True  # "one with ham", "one without olives", "one pepperoni"
        after = self.items[idx + 2] if idx + 2 < len(self.items) else None
        return nxt.text in lang.count_glue and after is not None and \
            after.text in lang.partitive_pronouns

    def _is_size(self, item: _Item) -> bool:
        ctx = self._context_products() or list(self.catalog.products)
        for p in ctx:
            t = _target_for(item, p)
            if t is not None:
                return t.role == "size"
        return False

    def _context_products(self) -> list[Product]:
        out = []
        if self.pending.product is not None:
            out.append(self.pending.product)
        if self.current is not None and self.current.product is not None:
            out.append(self.current.product)
        return out

    def _start_line(self, builder: _Builder) -> None:
        self.lines.append(builder)
        self.current = builder
        self.distributive = False

    def _flush_pending(self) -> None:
        pend = self.pending
        self.pending = _Builder()
        if pend.empty():
            return
        cur = self.current
        if not pend.entries:
            if pend.partitive and cur is not None and pend.number is not None and \
                    not pend.number.from_article and (cur.number is None or
                                                      cur.number.from_article):
                cur.number = pend.number  # "large pizzas with ham, three of them"
                cur.touch((pend.start or cur.end, pend.end))
            return  # otherwise a count with nothing to count ("i'd like to place an order")
        if self._split_partitive(pend):
            return
        weak_count = (pend.number is None or pend.number.from_article) and not pend.pronoun
        if cur is not None and cur.product is not None and weak_count and \
                pend.accepts(cur.product):
            new_sizes = pend.size_ids(cur.product)
            if not new_sizes or not cur.size_ids(cur.product) or \
                    new_sizes == cur.size_ids(cur.product):
                # "a large pie with mushrooms and a thin crust": still the same pie
                cur.entries.extend(pend.entries)
                cur.touch((pend.start or 0, pend.end))
                return
        candidates = [p for p in self.catalog.products if pend.accepts(p)]
        if cur is not None and cur.product in candidates:
            pend.product = cur.product
            pend.implicit_factor = _IMPLICIT_UNIQUE
        elif candidates:
            pend.product = candidates[0]
            pend.implicit_factor = _IMPLICIT_UNIQUE if len(candidates) == 1 else _IMPLICIT_GUESS
        elif cur is not None:
            cur.entries.extend(pend.entries)  # kept, reported as not matching the product
            return
        else:
            scored = sorted(self.catalog.products, key=lambda p: -sum(
                _target_for(e.item, p) is not None for e in pend.entries))
            if not scored:
                return
            pend.product = scored[0]
            pend.implicit_factor = _IMPLICIT_GUESS
        self._start_line(pend)

    def _split_partitive(self, pend: _Builder) -> bool:
        """"two large pizzas, one with ham": take one of the two and give it ham."""
        cur = self.current
        if not pend.partitive or cur is None or cur.product is None or pend.number is None \
                or pend.number.from_article or not pend.accepts(cur.product):
            return False
        have, take = cur.count(), pend.number.value
        if have is None or cur.number is None or cur.number.from_article or take > have:
            return False
        already_split = cur.quantity is not None
        new_sizes = pend.size_ids(cur.product)
        if new_sizes and cur.size_ids(cur.product) - new_sizes:
            return False  # "three medium pizzas and two large": other pizzas, not some of them
        noun_end = cur.product_item.span[1] if cur.product_item is not None else cur.end
        if not already_split and pend.joined and \
                any(e.item.span[0] >= noun_end for e in cur.entries):
            return False  # "two pizzas with ham and one with pineapple": a third pizza
        if take == have:
            if not already_split:
                return False
            cur.entries.extend(pend.entries)  # "... and one with mushrooms": the last of them
            cur.touch((pend.start or cur.end, pend.end))
            return True
        cur.quantity = have - take
        pend.product = cur.product
        pend.implicit_factor = 0.9
        pend.entries = [*cur.entries, *pend.entries]
        pend.start = cur.start if pend.start is None else pend.start
        self._start_line(pend)
        self.current = cur  # "... and one with olives" splits the same original line
        return True

    def _add_option(self, idx: int, item: _Item) -> None:
        entry = _Entry(item, self.negated, self.qualifier)
        self.qualifier = None
        cur = self.current
        if not self.pending.empty() or cur is None or cur.product is None:
            self.pending.entries.append(entry)
            self.pending.touch(item.span)
            return
        target = _target_for(item, cur.product)
        if self._product_follows(idx, item):
            self.pending.entries.append(entry)
            self.pending.touch(item.span)
            return
        if target is not None and target.role == "size" and not entry.negated:
            have = cur.size_ids(cur.product)
            if have and target.option_id not in have:
                # a second size: a second item of the same kind ("... and a medium with olives")
                self.pending.entries.append(entry)
                self.pending.touch(item.span)
                return
        cur.entries.append(entry)
        cur.touch(item.span)
        if self.distributive:
            for line in self.lines:
                if line is not cur and line.product is not None and \
                        _target_for(item, line.product) is not None:
                    line.entries.append(entry)

    def run(self) -> list[_Builder]:
        for idx, it in enumerate(self.items):
            kind = it.kind
            if kind == "product_or_option":
                ctx = self._context_products()
                if any(_target_for(it, p) is not None for p in ctx) and \
                        self.pending.number is None:
                    kind = "option"
                else:
                    kind = "product"
            if it.weak and kind in ("option", "product"):
                ctx = self._context_products()
                if kind == "product" or not any(_target_for(it, p) for p in ctx):
                    continue  # "can i get": a stopword that is also a catalog alias
            if kind == "num":
                reading = it.number
                assert reading is not None
                cur = self.current
                prev = self.items[idx - 1] if idx else None
                if it.text in self.catalog.language.pronoun_counts and self.pending.entries \
                        and prev is not None and prev.kind == "option":
                    self.pending.pronoun = True
                    continue  # "a large one": the pronoun, not a second count
                if reading.marker_before and cur is not None and self.pending.empty() and (
                        cur.number is None or cur.number.from_article):
                    cur.number = reading  # "pepperoni pizza x2"
                    cur.touch(it.span)
                    continue
                if reading.value == 0 and not reading.marker_before:
                    self.negated, self.neg_fresh = True, True  # "zero onions"
                    continue
                if reading.from_article and self.negated and self.neg_fresh:
                    continue  # "not a thin crust", "without a lot of": still negating
                carried: list[_Entry] = []
                if self.current is None and self.pending.number is None:
                    # "allergic to mushrooms, so two pizzas with ham": said before any item
                    carried, self.pending.entries = self.pending.entries, []
                if self.pending.entries or self.pending.product is not None:
                    self._flush_pending()
                self.distributive = False
                self.pending = _Builder(number=reading, measure=it.measure, entries=carried,
                                        partitive=self._partitive_follows(idx),
                                        joined=prev is not None and prev.kind == "conj"
                                        and prev.text.isalpha())
                self.pending.touch(it.span)
                self.negated = False
                self.qualifier = None
            elif kind == "product":
                products = _product_targets(it, self.catalog)
                if not products:
                    continue
                if self.negated and self.neg_fresh:
                    continue  # "no coke": nothing to order
                self.negated = False  # "... without extra cheese in a small pie and a pepsi"
                product = products[0]
                if not self.pending.empty():
                    for p in products:
                        if self.pending.accepts(p):
                            product = p
                            break
                    pend = self.pending
                    self.pending = _Builder()
                    pend.product = product
                    pend.product_item = it
                    pend.touch(it.span)
                    self._start_line(pend)
                elif self.current is not None and self.current.product in products:
                    self.current.touch(it.span)  # "... on all of those pizzas"
                else:
                    self._start_line(_Builder(product=product, product_item=it,
                                              start=it.span[0], end=it.span[1]))
                self.qualifier = None
            elif kind == "option":
                if self.negated and not self.neg_fresh and self._is_size(it):
                    self.negated = False  # "without olives in small": sizes end the scope
                self._add_option(idx, it)
                self.neg_fresh = False
            elif kind == "qual":
                prev = self._prev_significant(idx)
                if self.negated and prev is not None and prev.kind == "conj":
                    self.negated = False  # "no ham and extra cheese"
                self.qualifier = it.value
            elif kind == "distrib":
                self.distributive = True
            elif kind == "rest":
                self._flush_pending()  # "..., the other with sausage": back to the rest
                self.negated = False
                self.qualifier = None
            elif kind == "neg":
                self.negated = True
                self.neg_fresh = True
            elif kind == "pos":
                self.negated = False
            elif kind == "contrast":
                nxt = self._next_significant(idx)
                if nxt is None or nxt.kind != "neg":
                    self.negated = False
            elif kind == "break":
                self.negated = False
                self.qualifier = None
                self.distributive = False
        self._flush_pending()
        return self.lines


# -- pre-passes: address, fulfilment, budget ---------------------------------------------

def _phrase_regex(phrases: Sequence[str] | frozenset[str]) -> re.Pattern[str]:
    alts = sorted(phrases, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in alts)
    return re.compile(rf"(?<![\w']){'(?:' + body + ')'}(?![\w'])")


_REGEX_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}
_PHONE = re.compile(r"(?<![\w.,])\+?\(?\d[\d\s\-/().]{5,}\d(?![\w.,]\d)")
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL = re.compile(r"\b(?:https?://|www\.)\S+")


def _cached(lang: LanguagePack, name: str, build: Any) -> re.Pattern[str]:
    key = (lang.code, name)
    pat = _REGEX_CACHE.get(key)
    if pat is None:
        pat = build()
        _REGEX_CACHE[key] = pat
    return pat


def _mask(text: str, span: tuple[int, int]) -> str:
    return text[:span[0]] + " " * (span[1] - span[0]) + text[span[1]:]


def _find_address(low: str, original: str, lang: LanguagePack
                  ) -> tuple[str, tuple[int, int]] | None:
    stops = "|".join(re.escape(w) for w in sorted(lang.address_enders))
    cue = _cached(lang, "address_cue", lambda: re.compile(
        r"(?<![\w'])(?:" + "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in
                                      sorted(lang.address_cues, key=len, reverse=True))
        + r")\s*:?\s+(?P<addr>\d[^\n.!?;]*?|[a-z][^\n.!?;]*?\d[^\n.!?;]*?)"
        + rf"(?=\s+(?:{stops})\b|[\n.!?;]|\s*$)"))
    m = cue.search(low)
    if m is None:
        street = _cached(lang, "street", lambda: re.compile(
            r"(?<![\w.])\d{1,5}[a-z]?\s+(?:[a-z][\w'.-]*\s+){1,4}?(?:"
            + "|".join(re.escape(s) for s in sorted(lang.street_types, key=len, reverse=True))
            + r")\b\.?(?:,\s*(?:\d{4,6}\s+)?[a-z][\w'-]*(?:\s+[a-z][\w'-]*)?"
            + r"(?=\s*(?:[\n.!?;]|$)))?"))
        m = street.search(low)
        if m is None:
            return None
        span = m.span()
    else:
        span = m.span("addr")
    addr = original[span[0]:span[1]].strip(" ,")
    addr = re.sub(r"[\s,]+$", "", addr)
    if not addr:
        return None
    return addr, (m.start(), span[1])


def _find_fulfilment(low: str, lang: LanguagePack) -> tuple[Fulfilment | None,
                                                             list[tuple[int, int]]]:
    pickup = _cached(lang, "pickup", lambda: _phrase_regex(lang.pickup_phrases))
    delivery = _cached(lang, "delivery", lambda: _phrase_regex(lang.delivery_phrases))
    spans: list[tuple[int, int]] = []
    def exception(m: re.Match[str]) -> bool:
        following = low[m.end():].split()[:1]
        return bool(following) and " ".join(m.group(0).split() + following) in \
            lang.fulfilment_exceptions

    pick = [m for m in pickup.finditer(low) if not exception(m)]
    deliv = list(delivery.finditer(low))
    spans.extend(m.span() for m in pick)
    spans.extend(m.span() for m in deliv)
    if deliv and (not pick or deliv[-1].start() > pick[-1].start()):
        return "delivery", spans
    if pick:
        return "pickup", spans
    return None, spans


def _find_budget(low: str, original: str, catalog: IntakeCatalog
                 ) -> tuple[Budget, tuple[int, int]] | None:
    lang = catalog.language
    symbols = [c for c in lang.currencies if not c.isalpha()]
    words = [c for c in lang.currencies if c.isalpha()]
    sym = "|".join(re.escape(s) for s in symbols)
    cur_words = "|".join(sorted(words, key=len, reverse=True))
    cue = "|".join(re.escape(c).replace(r"\ ", r"\s+") for c in
                   sorted(lang.budget_cues, key=len, reverse=True))
    fillers = "|".join(re.escape(c) for c in sorted(lang.budget_fillers, key=len, reverse=True))
    pat = _cached(lang, "budget", lambda: re.compile(
        rf"(?<![\w'])(?:{cue})\s*:?\s*(?:(?:{fillers})\s+)?(?P<s1>{sym})?\s*"
        rf"(?P<amount>\d+(?:[.,]\d{{1,2}})?)\s*(?P<s2>{sym})?(?:\s*(?P<w>{cur_words})\b)?"))
    for m in pat.finditer(low):
        rest = [t.text for t in tokenize(low[m.end():m.end() + 40])]
        has_currency = bool(m.group("s1") or m.group("s2") or m.group("w"))
        if not has_currency and rest:
            nxt = catalog.longest_match(rest, 0)
            reading = rest[0] in lang.measure_units or rest[0] in lang.times_markers
            if nxt is not None or reading or rest[0] in lang.count_descriptors:
                continue  # "up to 3 pizzas" is a count, not money
        try:
            amount = Decimal(m.group("amount").replace(",", "."))
        except InvalidOperation:
            continue
        code = catalog.currency
        for part in ("s1", "s2", "w"):
            if m.group(part):
                code = lang.currencies.get(m.group(part), code)
        return Budget(amount, code, " ".join(original[m.start():m.end()].split())), m.span()
    return None


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

"""Steps 3 and 4 of the order parser: a small grammar that groups tagged words into lines.

Counts, sizes and options before a product noun wait for it ("two medium pepperoni
pizzas"); options after it attach to it ("a pizza with ham and extra cheese"), unless a
product noun follows them ("a pepperoni pizza and ham pizza"). A qualifier binds to the
next option only; a negation covers the options that follow until "with", "but",
"please", a new item or "and" + qualifier ("no ham and extra cheese"). Counts that refer
back split or complete the previous item ("two pizzas, one with ham, the other with
olives"; "large pizzas with ham, three of them"); "both"/"all of them" spread what
follows over every item so far. The result is one builder per line, which
:mod:`app.intake.order_parser` turns into draft lines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from app.intake.catalog_model import IntakeCatalog, Measure, PhraseTarget, Product
from app.intake.number_words import NumberReading
from app.intake.word_tagging import _Item

_IMPLICIT_UNIQUE = 0.75
_IMPLICIT_GUESS = 0.5


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

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

from app.intake.catalog_model import IntakeCatalog, Product
from app.intake.draft_changes import Amender
from app.intake.line_parts import _Builder, _Entry, _product_targets, _target_for
from app.intake.word_tagging import _Item

_IMPLICIT_UNIQUE = 0.75
_IMPLICIT_GUESS = 0.5


class _Grammar:
    def __init__(self, items: list[_Item], catalog: IntakeCatalog, *,
                 prior: list[_Builder] | None = None,
                 history: list[_Builder] | None = None,
                 topic: _Builder | None = None) -> None:
        self.items = items
        self.catalog = catalog
        #: lines of the customer's open draft (an earlier message), changed in place
        self.lines: list[_Builder] = list(prior or [])
        self.current: _Builder | None = self.lines[-1] if self.lines else None
        #: the customer's last order, for "the usual" (None: not known)
        self.history = history
        #: what a question just before asked about ("do you do cheese scones? if so 4")
        self.topic = topic
        self.amender = Amender(self)
        #: indices of items the grammar used besides lines' own spans (see order_parser)
        self.used: set[int] = set()
        self.repeat_missing = False
        #: the last negation word takes products off the order ("forget the", "cancel")
        self.neg_removes = False
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
        if not pend.entries and pend.plain and pend.pronoun and cur is not None and \
                cur.product is not None and self._from_family(pend, cur.product):
            self._start_line(pend)  # "2 chocolate croissants and 3 plain ones"
            return
        if not pend.entries:
            if pend.partitive and cur is not None and pend.number is not None and \
                    not pend.number.from_article and (cur.number is None or
                                                      cur.number.from_article):
                cur.number = pend.number  # "large pizzas with ham, three of them"
                cur.touch((pend.start or cur.end, pend.end))
            elif self._trailing_amount(pend):
                pass
            elif self.topic is not None and pend.explicit_count() and \
                    not any(not b.removed for b in self.lines):
                line = _Builder(product=self.topic.product, number=pend.number,
                                amount=pend.amount, entries=list(self.topic.entries),
                                start=pend.start, end=pend.end, implicit_factor=0.9)
                self._start_line(line)  # "do you still do cheese scones? if so, four"
            return  # otherwise a count with nothing to count ("i'd like to place an order")
        if self._split_partitive(pend):
            return
        if pend.pronoun and cur is not None and cur.product is not None and \
                self._from_family(pend, cur.product):
            self._start_line(pend)  # "3 almond croissants and 2 plain ones"
            return
        if cur is not None and cur.product is not None and not cur.removed and \
                not cur.explicit_count() and cur.amount is None and pend.amount is not None \
                and pend.amount.unit and pend.accepts(cur.product) and \
                not cur.conflicts(pend, cur.product):
            # "Sausages - 2lb plain": the product first, then how much and which
            cur.number, cur.amount, cur.said_span = pend.number, pend.amount, pend.said_span
            cur.entries.extend(pend.entries)
            cur.touch((pend.start or 0, pend.end))
            return
        weak_count = (pend.number is None or pend.number.from_article) and not pend.pronoun
        if cur is not None and cur.product is not None and weak_count and \
                pend.accepts(cur.product) and not cur.removed and \
                not cur.conflicts(pend, cur.product):
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

    def _trailing_amount(self, pend: _Builder) -> bool:
        """"Pork belly, about 1.5kg", "4 x 40 screws, 2 boxes", "strawberries x 3 punnets":
        an amount after the product it measures."""
        cur = self.current
        amount = pend.amount
        if cur is None or cur.product is None or cur.removed or amount is None or \
                pend.number is None or not amount.unit or cur.amount is not None:
            return False
        if cur.explicit_count() and not (amount.measured and cur.count() == 1):
            return False
        if not cur.explicit_count():
            cur.number = pend.number
        cur.amount = amount
        cur.said_span = pend.said_span
        cur.touch((pend.start or cur.end, pend.end))
        return True

    def _from_family(self, pend: _Builder, product: Product) -> bool:
        """"... and 2 plain ones": a product sharing the head noun of ``product``."""
        family = self.catalog.family(product)
        if len(family) < 2:
            return False
        plain = self.catalog.language.plain_words
        if pend.plain or (pend.entries and all(e.item.text in plain for e in pend.entries)):
            pend.product = min(family, key=lambda p: len(p.name))
            pend.entries = []
            return True
        taking = [p for p in family if pend.accepts(p)]
        if taking and pend.entries:
            pend.product = product if product in taking else taking[0]
            return True
        return False

    def _remove_or_exclude(self, idx: int, item: _Item, products: list[Product]) -> None:
        """A negated product: off the order when it was ordered ("forget the croissants"),
        else a note on the line ("a veg box, no mushrooms")."""
        for line in reversed(self.lines):
            if line.product in products and not line.removed and (
                    self.neg_removes or line.prior is not None):
                line.removed = True
                self.used.add(idx)
                return
        target = self.pending if not self.pending.empty() else self.current
        if target is not None and target.product not in products:
            target.unknown_exclusions.append(item.text)
            self.used.add(idx)

    def _right_after_negation(self, idx: int) -> bool:
        """"no olives", "no wild garlic", "no onions or garlic": words next to the
        negation, not any later word ("none at school")."""
        k = idx - 1
        glue = self.catalog.language.articles | {"the", "any"}
        while k >= 0 and self.items[k].text in glue:
            k -= 1
        if k < 0:
            return False
        prev = self.items[k]
        if prev.kind == "neg":
            return True
        if prev.kind == "conj" and k - 1 in self.used:
            return True
        return k in self.used and prev.kind == "word"

    def _exclude_word(self, idx: int, item: _Item) -> None:
        """"no olives" where the catalog has no olives: a note on the line, not lost."""
        target = self.pending if not self.pending.empty() else self.current
        if target is None:
            return
        if idx - 1 in self.used and target.unknown_exclusions and \
                self.items[idx - 1].kind == "word":
            target.unknown_exclusions[-1] += " " + item.text  # "no wild garlic"
        else:
            target.unknown_exclusions.append(item.text)
        self.used.add(idx)

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
        if cur.conflicts(pend, cur.product):
            return False  # "12 pork and leek sausages and 6 plain": others, not some of them
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
        probe = _Builder(entries=[entry])
        if target is not None and not entry.negated and target.role != "size" and \
                cur.conflicts(probe, cur.product):
            self.pending.entries.append(entry)  # "kalamata olives ... and some green ones"
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

    def _on_num(self, idx: int, it: _Item) -> None:
        reading = it.number
        assert reading is not None
        cur = self.current
        prev = self.items[idx - 1] if idx else None
        if it.text in self.catalog.language.pronoun_counts and self.pending.entries \
                and prev is not None and prev.kind == "option":
            self.pending.pronoun = True
            return  # "a large one": the pronoun, not a second count
        if reading.marker_before and cur is not None and self.pending.empty() and (
                cur.number is None or cur.number.from_article) and not cur.removed:
            cur.number = reading  # "pepperoni pizza x2", "strawberries x 3 punnets"
            cur.said_span = it.span
            if it.amount is not None and it.amount.unit and cur.amount is None:
                cur.amount = it.amount
            cur.touch(it.span)
            return
        if reading.value == 0 and not reading.marker_before:
            self.negated, self.neg_fresh = True, True  # "zero onions"
            return
        if reading.from_article and self.negated and self.neg_fresh and it.amount is None:
            return  # "not a thin crust", "without a lot of": still negating
        carried: list[_Entry] = []
        if self.current is None and self.pending.number is None:
            # "allergic to mushrooms, so two pizzas with ham": said before any item
            carried, self.pending.entries = self.pending.entries, []
        if self.pending.entries or self.pending.product is not None or \
                self.pending.number is not None:
            self._flush_pending()  # an amount left waiting goes to its line first
        self.distributive = False
        self.pending = _Builder(number=reading, amount=it.amount, entries=carried,
                                said_span=None if reading.from_article and it.amount is None
                                else it.span,
                                partitive=self._partitive_follows(idx),
                                joined=prev is not None and prev.kind == "conj"
                                and prev.text.isalpha())
        self.pending.touch(it.span)
        self.negated = False
        self.qualifier = None

    def _on_product(self, idx: int, it: _Item) -> None:
        products = _product_targets(it, self.catalog)
        if not products:
            return
        if self.negated and self.neg_fresh:
            self._remove_or_exclude(idx, it, products)  # "no coke", "forget the croissants"
            return
        self.negated = False  # "... without extra cheese in a small pie and a pepsi"
        several = len(products) > 1
        if not self.pending.empty():
            taking = [p for p in products if self.pending.accepts(p)] or products
            pend = self.pending
            self.pending = _Builder()
            pend.product = taking[0]
            pend.product_item = it
            if len(taking) > 1:
                pend.alternatives = taking
            pend.touch(it.span)
            self._start_line(pend)
        elif self.current is not None and self.current.product in products and \
                not self.current.removed and (not several or self.current.product_item is None
                                              or self.current.product_item.end == it.start):
            self.current.touch(it.span)  # "... on all of those pizzas", "a wholemeal loaf"
        else:
            self._start_line(_Builder(product=products[0], product_item=it,
                                      start=it.span[0], end=it.span[1],
                                      alternatives=products if several else []))
        self.qualifier = None

    def _on_repeat(self, idx: int, it: _Item) -> None:
        """"the usual", "same again": the customer's last order, as new lines."""
        self._flush_pending()
        self.used.add(idx)
        if not self.history:
            self.repeat_missing = True
            return
        for old in self.history:
            copy = _Builder(product=old.product, number=old.number, amount=old.amount,
                            entries=list(old.entries), start=it.span[0], end=it.span[1],
                            prior=old.prior, implicit_factor=old.implicit_factor)
            self._start_line(copy)

    def run(self) -> list[_Builder]:
        lang = self.catalog.language
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
            if self.amender.active() and self.amender.feed(idx, it, kind):
                continue
            if kind in ("amend", "swap"):
                self._flush_pending()
                self.amender.start(idx, it, kind)
            elif kind == "num":
                self._on_num(idx, it)
            elif kind == "product":
                self._on_product(idx, it)
            elif kind == "option":
                if self.negated and not self.neg_fresh and self._is_size(it):
                    self.negated = False  # "without olives in small": sizes end the scope
                self._add_option(idx, it)
                self.neg_fresh = False
            elif kind == "repeat":
                self._on_repeat(idx, it)
            elif kind == "relsize":
                target = self.pending if not self.pending.empty() else self.current
                if target is not None:
                    target.rel_size = it.value
                    self.used.add(idx)
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
                self.neg_removes = it.value == "remove"
            elif kind == "pos":
                self.negated = False
            elif kind == "contrast":
                nxt = self._next_significant(idx)
                if nxt is None or nxt.kind != "neg":
                    self.negated = False
            elif kind == "break":
                if not it.text.isalpha():
                    self._flush_pending()  # a sentence or list line ends its item
                self.negated = False
                self.qualifier = None
                self.distributive = False
            elif kind == "plain":
                if not self.pending.empty():
                    self.pending.plain = True
                    self.used.add(idx)
            elif kind == "word" and it.text in lang.pronoun_counts and \
                    (self.pending.entries or self.pending.plain) and idx and \
                    self.items[idx - 1].kind in ("option", "plain"):
                self.pending.pronoun = True  # "2 plain ones"
                self.used.add(idx)
            elif kind == "word" and self.negated and it.value != "stop" and \
                    it.text.isalpha() and it.text not in lang.stopwords and \
                    self._right_after_negation(idx):
                self._exclude_word(idx, it)
            elif kind == "conj" and self.pending.number is not None and \
                    not self.pending.entries and self.pending.product is None and \
                    self.pending.amount is not None and self.pending.amount.unit:
                self._flush_pending()  # "kalamata olives 200g and ...": the 200g is theirs
        self.amender.close()
        self._flush_pending()
        return self.lines

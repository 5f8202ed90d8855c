"""Step 1 of the order parser: finding the address, pickup or delivery, and a budget.

These are found before any word is tagged (like the requested time, in
:mod:`app.intake.requested_time`), and the parser masks what they matched, so "12 Baker
Street" never becomes a quantity. Patterns are built from the language pack's phrases
and cached per language.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

from app.intake.catalog_model import IntakeCatalog
from app.intake.draft_order import Budget, Fulfilment
from app.intake.language_pack import LanguagePack
from app.intake.text_tokens import tokenize


def _phrase_regex(phrases: Sequence[str] | frozenset[str]) -> re.Pattern[str]:
    alts = sorted(phrases, key=len, reverse=True)
    body = "|".join(re.escape(p).replace(r"\ ", r"\s+") for p in alts)
    return re.compile(rf"(?<![\w']){'(?:' + body + ')'}(?![\w'])")


_REGEX_CACHE: dict[tuple[str, str], re.Pattern[str]] = {}


def _cached(lang: LanguagePack, name: str, build: Any) -> re.Pattern[str]:
    key = (lang.code, name)
    pat = _REGEX_CACHE.get(key)
    if pat is None:
        pat = build()
        _REGEX_CACHE[key] = pat
    return pat


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

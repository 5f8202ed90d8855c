"""Step 2 of the order parser: tagging a message's words, longest match first.

Catalog phrases (products, options, with plurals), counts ("two dozen", "x3"), measures
("2 litre") and the language's grammar words (negations, qualifiers, conjunctions...)
are tagged by longest match. Unknown words get one fuzzy try against the catalog
(typos) and a unique-prefix try (abbreviations: "marg"). :func:`tag_message` exposes
the same tagging for alias learning and debugging.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rapidfuzz import fuzz, process

from app.intake.catalog_model import HEAD_SCORE, PARTIAL_SCORE, IntakeCatalog, PhraseTarget
from app.intake.number_words import NumberReading, read_number
from app.intake.quantities import Amount, Measure, read_dims, read_measure, read_pack
from app.intake.text_tokens import Token, tokenize

MAX_MESSAGE_CHARS = 4000
_FUZZY_WORD_CUTOFF = 84.0
_FUZZY_PAIR_CUTOFF = 88.0
_PREFIX_MIN = 4
_PREFIX_SCORE = 0.8


@dataclass
class _Item:
    kind: str   # num product option qual neg pos conj contrast break size_marker category word
    start: int  # token index
    end: int
    span: tuple[int, int]
    text: str
    targets: list[PhraseTarget] = field(default_factory=list)
    number: NumberReading | None = None
    #: what the customer asked for with its unit ("3 lb", "2 boxes of 6"); on an option
    #: read from a measure ("10m"), the amount it would be if the option does not fit
    amount: Amount | None = None
    value: str = ""
    score: float = 1.0
    weak: bool = False


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

        def catalog_word(j: int) -> bool:
            """Is words[j] the catalog's own word (then not a pack word)? A head noun
            before "of" is a pack still: "2 boxes of 6 eggs" in a shop with a veg box."""
            found = catalog.longest_match(words, j)
            if found is None:
                return False
            heads_only = all(t.match == "head" for t in found[1])
            return not (heads_only and j + 1 < n and words[j + 1] in lang.count_glue)

        hit = catalog.longest_match(words, i)
        if hit is not None:
            end, targets = hit
            products = [t for t in targets if t.kind == "product"]
            kind = "product" if products and len(products) == len(targets) else (
                "option" if not products else "product_or_option")
            score = 1.0
            if products and len(products) == len(targets) and all(t.match for t in targets):
                score = PARTIAL_SCORE if targets[0].match == "partial" else HEAD_SCORE
            # a one-word alias that is also a grammar word ("can" for a can of coke) is
            # weak: used only where it fits; a product's ("card") only when short
            weak = end - i == 1 and words[i] in lang.stopwords and (
                kind != "product" or len(words[i]) <= 3)
            prefix_only = all(t.match == "prefix" for t in targets)
            following = catalog.longest_match(words, end) if end < n else None
            if not (prefix_only and following is not None and
                    any(t.kind == "option" for t in following[1])):
                offer(_Item(kind, i, end, span(i, end), " ".join(words[i:end]),
                            list(targets), score=score, weak=weak))
        dims = read_dims(words, i, lang)
        if dims is not None:
            measure, end = dims
            targets = catalog.option_for_measure(measure)
            if targets:
                offer(_Item("option", i, end, span(i, end), " ".join(words[i:end]), targets))
        reading = read_number(words, i, lang)
        measured = read_measure(words, i, lang, reading)
        if measured is not None:
            said, amount, end = measured
            targets = catalog.option_for_measure(Measure(amount.value, amount.unit))
            offer(_Item("option" if targets else "num", i, end, span(i, end),
                        " ".join(words[i:end]), targets, number=said, amount=amount))
        packed = read_pack(words, lang, reading, catalog_word) \
            if reading is not None and reading.end < n and words[reading.end] in lang.pack_nouns \
            else None
        if packed is not None:
            said, amount, end = packed
            offer(_Item("num", i, end, span(i, end), " ".join(words[i:end]), number=said,
                        amount=amount))
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

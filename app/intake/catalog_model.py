"""The shop catalog as the intake parser sees it.

Built from plain dicts so the engine can adapt its shop-document catalog without the
parser knowing about Automerge. Accepted shape (every key optional unless marked)::

    {
      "currency": "EUR",                       # ISO code for budgets without a currency
      "option_groups": [                       # groups shared by several products
        {"id": "size",                         # required, unique in the catalog
         "name": "Size",
         "role": "size",                       # "size" | "variant" | "modifier"
         "max_choices": 1,                     # None = any number (toppings, pizza styles)
         "options": [
           {"id": "LARGE",                     # required, unique in its group
            "name": "Large",
            "aliases": ["lg", "big"],
            "measure": "2 l"}                  # optional: "2 l", "500 ml", "16 oz", "1 kg"
         ]}
      ],
      "products": [
        {"sku": "PIZZA",                       # required, unique
         "name": "Pizza",
         "aliases": ["pie", "pizza pie"],
         "unit": "each",                       # how it is counted: "each", "kg", "l", "lb"
         "option_groups": ["size", {...inline group, same shape...}]}
      ],
      "vocab": {                               # shop-level words, on top of the language's
        "qualifiers": {"go heavy on": "extra"},
        "negations": ["hold"],
        "fillers": ["yum"]}
    }

Roles: a *size* is the one size of a line; a *variant* is a choice that makes the item
what it is (crust, style, container, volume); a *modifier* is something added or left
off, possibly with a qualifier ("extra cheese", "no olives").

Aliases are matched on whole words after the same tokenising as messages; regular
plurals are added from the language pack, and a size alias ending in a size word
("party size") also matches without it ("party pizza").
"""

from __future__ import annotations

import dataclasses
import logging
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Literal

from app.intake import quantities
from app.intake.language_en import ENGLISH
from app.intake.language_pack import LanguagePack
from app.intake.number_words import read_number
from app.intake.product_names import head_forms, name_parts
from app.intake.quantities import Measure
from app.intake.text_tokens import tokenize
from sync import units
from sync.errors import IntakeError

log = logging.getLogger("countertop.intake.catalog")

Role = Literal["size", "variant", "modifier"]
_ROLES: tuple[str, ...] = ("size", "variant", "modifier")
#: how sure a product is when named only by its head noun or another word of its name
HEAD_SCORE = 0.9
PARTIAL_SCORE = 0.85


class CatalogError(IntakeError):
    """The catalog dict is malformed (missing id, unknown role, duplicate sku...)."""


@dataclass(frozen=True)
class Option:
    id: str
    name: str
    aliases: tuple[str, ...] = ()
    measure: Measure | None = None


@dataclass(frozen=True)
class OptionGroup:
    id: str
    name: str
    role: Role
    options: tuple[Option, ...]
    max_choices: int | None = None

    def option(self, option_id: str) -> Option | None:
        for opt in self.options:
            if opt.id == option_id:
                return opt
        return None


@dataclass(frozen=True)
class Product:
    sku: str
    name: str
    aliases: tuple[str, ...]
    groups: tuple[OptionGroup, ...]
    unit: str = "each"
    #: pieces the product's name says it holds ("Free range eggs, half dozen" -> 6)
    pack: Decimal | None = None
    #: head nouns of its name ("lead" of "Extension lead"); see product_names
    heads: tuple[str, ...] = ()

    def group(self, group_id: str) -> OptionGroup | None:
        for g in self.groups:
            if g.id == group_id:
                return g
        return None


@dataclass(frozen=True)
class PhraseTarget:
    """What a catalog phrase names: a product, or an option of a group."""

    kind: Literal["product", "option"]
    sku: str | None = None
    group_id: str | None = None
    option_id: str | None = None
    role: Role | None = None
    #: "" for a name or alias staff typed; "head" / "partial" for a word of the name
    match: str = ""


@dataclass
class IntakeCatalog:
    """Products, option groups and the phrase index the parser matches against."""

    products: tuple[Product, ...]
    currency: str = "EUR"
    language: LanguagePack = ENGLISH
    qualifiers: dict[str, str] = field(default_factory=dict)
    negations: frozenset[str] = frozenset()
    fillers: frozenset[str] = frozenset()
    #: token tuple -> targets; built by :meth:`_index`
    phrases: dict[tuple[str, ...], list[PhraseTarget]] = field(default_factory=dict)
    #: first token -> phrase lengths present, longest first (for longest match)
    first_token_lengths: dict[str, list[int]] = field(default_factory=dict)
    #: options that carry a measure, for matching "2 litre" against "2 liter"
    measured_options: list[tuple[Measure, PhraseTarget]] = field(default_factory=list)
    #: language + shop grammar words: token tuple -> (kind, value); see order_parser
    grammar_phrases: dict[tuple[str, ...], tuple[str, str]] = field(default_factory=dict)
    grammar_lengths: dict[str, list[int]] = field(default_factory=dict)
    #: single words and word pairs of catalog phrases, for fuzzy matching of typos
    fuzzy_words: list[str] = field(default_factory=list)
    fuzzy_pairs: list[str] = field(default_factory=list)
    fuzzy_memo: dict[str, tuple[str, float] | None] = field(default_factory=dict)
    #: every catalog phrase as text: time words that name a product need a cue ("for lunch")
    phrase_texts: frozenset[str] = frozenset()
    source: dict[str, Any] = field(default_factory=dict)

    # -- construction -----------------------------------------------------------
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], language: LanguagePack = ENGLISH
                  ) -> IntakeCatalog:
        """Build from the dict shape in the module docstring; raises :class:`CatalogError`."""
        if not isinstance(data, Mapping):
            raise CatalogError("catalog must be a mapping")
        shared: dict[str, OptionGroup] = {}
        for raw in data.get("option_groups", []) or []:
            group = _group_from_dict(raw, language)
            if group.id in shared:
                raise CatalogError(f"duplicate option group id {group.id!r}")
            shared[group.id] = group
        products: list[Product] = []
        seen: set[str] = set()
        for raw in data.get("products", []) or []:
            if not isinstance(raw, Mapping) or not raw.get("sku"):
                raise CatalogError(f"product without sku: {raw!r}")
            sku = str(raw["sku"])
            if sku in seen:
                raise CatalogError(f"duplicate sku {sku!r}")
            seen.add(sku)
            groups: list[OptionGroup] = []
            for ref in raw.get("option_groups", []) or []:
                if isinstance(ref, str):
                    if ref not in shared:
                        raise CatalogError(f"product {sku!r} refers to unknown group {ref!r}")
                    groups.append(shared[ref])
                else:
                    groups.append(_group_from_dict(ref, language))
            name = str(raw.get("name") or sku)
            parts = name_parts(name, language)
            products.append(Product(
                sku=sku, name=name,
                aliases=tuple(str(a) for a in raw.get("aliases", []) or []),
                groups=tuple(groups), unit=str(raw.get("unit") or "each"),
                pack=parts.pack, heads=parts.heads))
        vocab = data.get("vocab") or {}
        catalog = cls(
            products=tuple(products),
            currency=str(data.get("currency") or "EUR"),
            language=language,
            qualifiers={_norm(k): str(v) for k, v in (vocab.get("qualifiers") or {}).items()},
            negations=frozenset(_norm(p) for p in vocab.get("negations") or []),
            fillers=frozenset(_norm(p) for p in vocab.get("fillers") or []),
            source=dict(data),
        )
        catalog._index()
        return catalog

    def with_aliases(self, aliases: Iterable[Mapping[str, str]]) -> IntakeCatalog:
        """A copy with learned aliases added.

        Each alias is ``{"alias": "marg", "sku": "PIZZA"}`` for a product or
        ``{"alias": "xtra chz", "group_id": "topping", "option_id": "CHEESE"}`` for an
        option (as returned by :func:`app.intake.alias_learning.learn_alias`).
        """
        data = _deep_copy(self.source)
        for entry in aliases:
            alias = str(entry["alias"])
            if entry.get("group_id"):
                _add_option_alias(data, str(entry["group_id"]), str(entry["option_id"]), alias,
                                  entry.get("sku"))
            else:
                for prod in data.get("products", []):
                    if str(prod.get("sku")) == entry["sku"]:
                        prod.setdefault("aliases", []).append(alias)
        return IntakeCatalog.from_dict(data, self.language)

    # -- lookups ------------------------------------------------------------------
    def product(self, sku: str) -> Product | None:
        for p in self.products:
            if p.sku == sku:
                return p
        return None

    def products_accepting(self, group_id: str, option_id: str) -> list[Product]:
        out = []
        for p in self.products:
            g = p.group(group_id)
            if g is not None and g.option(option_id) is not None:
                out.append(p)
        return out

    def longest_match(self, words: Sequence[str], i: int
                      ) -> tuple[int, list[PhraseTarget]] | None:
        """Longest catalog phrase starting at ``words[i]``: (end, targets)."""
        lengths = self.first_token_lengths.get(words[i])
        if not lengths:
            return None
        for n in lengths:
            if i + n <= len(words):
                key = tuple(words[i:i + n])
                targets = self.phrases.get(key)
                if targets:
                    return i + n, targets
        return None

    def option_for_measure(self, measure: Measure) -> list[PhraseTarget]:
        return [t for m, t in self.measured_options if m.same_as(measure)]

    def extreme_option(self, product: Product, direction: str) -> PhraseTarget | None:
        """The largest ("max") or smallest ("min") measured option of ``product``: what
        "the big ones" or "a small bottle" mean when no option is called that."""
        best: tuple[Decimal, PhraseTarget] | None = None
        for group in product.groups:
            measured = [(o, o.measure) for o in group.options if o.measure is not None]
            if len(measured) < 2 or len(measured) != len(group.options):
                continue
            for opt, m in measured:
                assert m is not None
                size = m.dims[0] * m.dims[1] if m.dims else m.amount * \
                    units.unit(m.unit).factor
                better = best is None or (size > best[0] if direction == "max"
                                          else size < best[0])
                if better:
                    best = (size, PhraseTarget(kind="option", group_id=group.id,
                                               option_id=opt.id, role=group.role))
            if best is not None:
                return best[1]
        return None

    def family(self, product: Product) -> list[Product]:
        """Products that share a head noun with ``product`` ("Croissant", "Almond
        croissant"): what "plain ones" and "the almond ones" choose among."""
        def nouns(p: Product) -> set[str]:
            last = [t.text for t in tokenize(p.name)][-1:]
            return {*p.heads, *last, *(f for h in last for f in self.language.plural_forms(h))}

        words = nouns(product)
        return [p for p in self.products if words & nouns(p)]

    # -- index ------------------------------------------------------------------------
    def _add_phrase(self, text: str, target: PhraseTarget) -> None:
        words = tuple(t.text for t in tokenize(text))
        if not words:
            return
        variants = {words}
        last = words[-1]
        if last.isalpha():
            for plural in self.language.plural_forms(last):
                variants.add((*words[:-1], plural))
        for key in variants:
            bucket = self.phrases.setdefault(key, [])
            if target not in bucket:
                bucket.append(target)

    def _index(self) -> None:
        self._index_grammar()
        self.phrases = {}
        self.measured_options = []
        bare_candidates: list[tuple[str, PhraseTarget]] = []
        for product in self.products:
            target = PhraseTarget(kind="product", sku=product.sku)
            for text in (product.name, *product.aliases):
                self._add_phrase(text, target)
            for group in product.groups:
                self._index_group(group, bare_candidates)
        claimed = set(self.phrases)
        for text, otarget in bare_candidates:
            key = tuple(t.text for t in tokenize(text))
            if key and key not in claimed and key[-1] not in self.language.stopwords and \
                    key not in self.grammar_phrases and \
                    read_number(list(key), 0, self.language) is None:
                # never a count ("two" of "two liter"); marked, so that "black beans"
                # stays beans rather than black olives (see word_tagging)
                self._add_phrase(text, dataclasses.replace(otarget, match="prefix"))
        self._index_name_words(set(self.phrases))
        lengths: dict[str, set[int]] = {}
        for key in self.phrases:
            lengths.setdefault(key[0], set()).add(len(key))
        self.first_token_lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}
        self.fuzzy_words = sorted(" ".join(k) for k, v in self.phrases.items()
                                  if len(k) == 1 and k[0].isalpha() and len(k[0]) >= 3
                                  and not all(t.match == "prefix" for t in v))
        self.fuzzy_pairs = sorted(" ".join(k) for k in self.phrases if len(k) == 2)
        self.fuzzy_memo = {}
        self.phrase_texts = frozenset(" ".join(k) for k in self.phrases)

    def _index_group(self, group: OptionGroup,
                     bare_candidates: list[tuple[str, PhraseTarget]]) -> None:
        """An option group's names and aliases, their measures, and the shorter words
        customers use: "party" for "party size", "thin" for "thin crust", "oat" for "oat
        milk" when the group's options share that last word ("oat milk", "soya milk")."""
        lang = self.language
        last_words = Counter(tokenize(opt.name)[-1].text for opt in group.options
                             if len(tokenize(opt.name)) > 1)
        markers = set(lang.size_markers if group.role == "size" else (
            lang.variant_markers if group.role == "variant" else frozenset()))
        markers.update(w for w, n in last_words.items() if n > 1)
        for opt in group.options:
            otarget = PhraseTarget(kind="option", group_id=group.id, option_id=opt.id,
                                   role=group.role)
            names = [opt.name, *opt.aliases]
            for text in names:
                self._add_phrase(text, otarget)
            for text in names:
                # "party size" also matches "party", "thin crust" also "thin", when
                # nothing else claims the shorter words
                words = [t.text for t in tokenize(text)]
                if len(words) > 1 and words[-1] in markers:
                    bare_candidates.append((" ".join(words[:-1]), otarget))
            if opt.measure is not None and (opt.measure, otarget) not in \
                    self.measured_options:
                self.measured_options.append((opt.measure, otarget))

    def _index_name_words(self, claimed: set[tuple[str, ...]]) -> None:
        """Heads, cores and partial words of product names (see product_names)."""
        lang = self.language
        heads: dict[str, list[str]] = {}
        partials: dict[str, list[str]] = {}
        cores: dict[tuple[str, ...], list[str]] = {}
        for product in self.products:
            parts = name_parts(product.name, lang)
            if parts.core and parts.core != tuple(t.text for t in tokenize(product.name)):
                cores.setdefault(parts.core, []).append(product.sku)
            for form in (f for head in parts.heads for f in head_forms(head, lang)):
                _add_once(heads.setdefault(form, []), product.sku)
            for word in parts.partials:
                _add_once(partials.setdefault(word, []), product.sku)
        for core, skus in cores.items():
            if core not in claimed:
                self.phrases[core] = [PhraseTarget(kind="product", sku=s,
                                                   match="head" if len(skus) > 1 else "")
                                      for s in skus]
        for word, skus in heads.items():
            key = (word,)
            if key not in self.phrases and word not in lang.stopwords and \
                    key not in self.grammar_phrases:
                self.phrases[key] = [PhraseTarget(kind="product", sku=s, match="head")
                                     for s in skus]
        for word, skus in partials.items():
            if len(skus) == 1 and (word,) not in self.phrases and word not in heads:
                self.phrases[(word,)] = [PhraseTarget(kind="product", sku=skus[0],
                                                      match="partial")]

    def _index_grammar(self) -> None:
        lang = self.language
        table: dict[tuple[str, ...], tuple[str, str]] = {}

        def put(phrases: Iterable[str], kind: str, value: str = "") -> None:
            for phrase in phrases:
                key = tuple(t.text for t in tokenize(phrase)) or (phrase,)
                table[key] = (kind, value)

        # later kinds win on identical phrases: most specific roles last
        put(lang.stopwords, "word")
        put(self.fillers, "word")
        put(lang.category_nouns, "category")
        put(lang.size_markers, "size_marker")
        put(lang.conjunctions, "conj")
        put(lang.positives, "pos")
        put(lang.contrasts, "contrast")
        put(lang.clause_breaks, "break")
        put(lang.negations | self.negations, "neg")
        put(lang.remainder_phrases, "rest")
        put(lang.distributives, "distrib")
        put(lang.removals, "neg", "remove")
        put(lang.amend_phrases, "amend")
        put(lang.swap_phrases, "swap")
        put(lang.repeat_phrases, "repeat")
        put(lang.plain_words, "plain")
        for phrase, direction in lang.relative_sizes.items():
            put([phrase], "relsize", direction)
        for phrase, level in {**lang.qualifiers, **self.qualifiers}.items():
            put([phrase], "qual", level)
        for stop in lang.stopwords:
            if table.get((stop,), ("", ""))[0] == "word":
                table[(stop,)] = ("word", "stop")
        self.grammar_phrases = table
        lengths: dict[str, set[int]] = {}
        for key in table:
            lengths.setdefault(key[0], set()).add(len(key))
        self.grammar_lengths = {k: sorted(v, reverse=True) for k, v in lengths.items()}

    def grammar_match(self, words: Sequence[str], i: int) -> tuple[int, str, str] | None:
        """Longest language/shop grammar phrase at ``words[i]``: (end, kind, value)."""
        for n in self.grammar_lengths.get(words[i], ()):
            if i + n <= len(words):
                hit = self.grammar_phrases.get(tuple(words[i:i + n]))
                if hit is not None:
                    return i + n, hit[0], hit[1]
        return None

    def vocabulary(self) -> dict[str, list[PhraseTarget]]:
        """Every catalog phrase as text -> targets (for fuzzy matching)."""
        return {" ".join(k): v for k, v in self.phrases.items()}


def parse_measure(text: str, language: LanguagePack = ENGLISH) -> Measure | None:
    """"2 l", "500 ml", "16 oz", "1.5 kg", "6x50mm" -> Measure, or None."""
    return quantities.parse_measure(text, language)


def _norm(text: str) -> str:
    return " ".join(t.text for t in tokenize(str(text)))


def _group_from_dict(raw: Any, language: LanguagePack) -> OptionGroup:
    if not isinstance(raw, Mapping) or not raw.get("id"):
        raise CatalogError(f"option group without id: {raw!r}")
    role = str(raw.get("role") or "modifier")
    if role not in _ROLES:
        raise CatalogError(f"option group {raw['id']!r}: unknown role {role!r}")
    options: list[Option] = []
    for o in raw.get("options", []) or []:
        if not isinstance(o, Mapping) or not o.get("id"):
            raise CatalogError(f"option without id in group {raw['id']!r}: {o!r}")
        measure = None
        if o.get("measure"):
            measure = parse_measure(str(o["measure"]), language)
            if measure is None:
                log.warning("option %s/%s: unreadable measure %r ignored", raw["id"], o["id"],
                            o["measure"])
        else:  # an option called "2.5L", "6x50mm" or "10m" is that measure
            for text in (o.get("name") or o["id"], *(o.get("aliases") or [])):
                measure = parse_measure(str(text), language)
                if measure is not None:
                    break
        options.append(Option(id=str(o["id"]), name=str(o.get("name") or o["id"]),
                              aliases=tuple(str(a) for a in o.get("aliases", []) or []),
                              measure=measure))
    max_choices = raw.get("max_choices", 1 if role == "size" else None)
    return OptionGroup(id=str(raw["id"]), name=str(raw.get("name") or raw["id"]),
                       role=role,  # type: ignore[arg-type]
                       options=tuple(options),
                       max_choices=None if max_choices is None else int(max_choices))


def _add_once(bucket: list[str], sku: str) -> None:
    if sku not in bucket:
        bucket.append(sku)


def _deep_copy(data: Any) -> Any:
    if isinstance(data, Mapping):
        return {k: _deep_copy(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [_deep_copy(v) for v in data]
    return data


def _add_option_alias(data: dict[str, Any], group_id: str, option_id: str, alias: str,
                      sku: str | None) -> None:
    groups = list(data.get("option_groups", []) or [])
    for prod in data.get("products", []) or []:
        if sku and str(prod.get("sku")) != sku:
            continue
        groups.extend(g for g in prod.get("option_groups", []) or [] if isinstance(g, dict))
    for g in groups:
        if str(g.get("id")) != group_id:
            continue
        for o in g.get("options", []) or []:
            if str(o.get("id")) == option_id:
                aliases = o.setdefault("aliases", [])
                if alias not in aliases:
                    aliases.append(alias)

"""What else a product's name lets customers call it: its head noun, its other words, its pack.

Owners type names like "Extension lead", "Paint roller", "Wood screws (box of 100)",
"Free range eggs, half dozen", "Leg of lamb". Customers write "a 10m lead", "roller",
"a box of screws", "a dozen eggs", "lamb". From each name this module derives:

- the *core*: the name without a parenthesis or a comma part ("Wood screws");
- the *pack*: a count the name states ("box of 100" -> 100, "half dozen" -> 6), so "a
  dozen eggs" picks the dozen box and "6 eggs" the half dozen;
- *heads*: the core's last word, and for "X of Y" or "X with Y" the last word of X too
  ("Leg of lamb" -> "leg", "lamb"); a head names its product when no other product
  shares it, and several products at once when they do ("sourdough" -> white or seeded:
  the parser asks);
- *partials*: the core's other content words ("almond" of "Almond croissant"), used only
  when exactly one product has them and no catalog phrase claims them.

The catalog index (:mod:`app.intake.catalog_model`) adds these as weak phrases below the
names and aliases staff typed, which always win.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from app.intake.language_pack import LanguagePack
from app.intake.number_words import read_number
from app.intake.text_tokens import tokenize

_CUT = re.compile(r"\s*(?:\(([^)]*)\)|,\s*(.*))\s*$")
_MIN_PARTIAL = 3


@dataclass(frozen=True)
class NameParts:
    core: tuple[str, ...]
    pack: Decimal | None
    heads: tuple[str, ...]
    partials: tuple[str, ...]


def _pack_of(text: str, lang: LanguagePack) -> Decimal | None:
    words = [t.text for t in tokenize(text)]
    i = 0
    while i < len(words) and (words[i] in lang.pack_nouns or words[i] in lang.count_glue
                              or (words[i] in lang.stopwords and words[i] not in lang.articles)):
        i += 1
    if i >= len(words):
        return None
    reading = read_number(words, i, lang)
    if reading is None or reading.value <= 1 or reading.from_article:
        return None
    return reading.value


def name_parts(name: str, lang: LanguagePack) -> NameParts:
    pack = None
    core_text = name
    m = _CUT.search(name)
    if m is not None:
        core_text = name[:m.start()]
        pack = _pack_of(m.group(1) or m.group(2) or "", lang)
    core = tuple(t.text for t in tokenize(core_text) if t.text.isalpha() or t.text[:1].isdigit())
    heads: list[str] = []
    words = [w for w in core if w.isalpha()]
    if len(core) >= 2 and core[-1].isalpha():
        heads.append(core[-1])
    for link in ("of", "with"):
        if link in core[1:-1]:
            before = core[:core.index(link)]
            if before and before[-1].isalpha():
                heads.append(before[-1])
            if link == "with":
                heads = [h for h in heads if h in before]
    heads = [h for h in dict.fromkeys(heads) if h not in lang.stopwords]
    if "with" in words[1:]:
        words = words[:words.index("with")]
    partials = tuple(w for w in words if w not in heads and len(w) >= _MIN_PARTIAL
                     and w not in lang.stopwords and w not in lang.count_glue
                     and w not in lang.plain_words and w not in lang.pack_nouns)
    return NameParts(core, pack, tuple(heads), partials)


def head_forms(head: str, lang: LanguagePack) -> Iterable[str]:
    """A head noun as customers write it: singular and plural."""
    yield head
    yield from lang.plural_forms(head)
    yield from lang.singular_forms(head)

"""Tokenising order messages: lowercase words, numbers and punctuation with their offsets.

Hyphens and slashes separate words ("7-up" -> "7 up", "gluten-free" -> "gluten free"),
digits and letters are split apart ("500ml" -> "500 ml", "x3" -> "x 3"), apostrophes
stay inside words ("i'd", "don't"). Offsets point into the caller's original text so a
matched span can be shown to staff.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

_TOKEN = re.compile(
    r"\d/\d(?![\d/])"              # 1/2, 3/4: a fraction (never a date: one digit each)
    r"|\d+(?:[.,]\d+)?"           # 3, 7.5, 16,9
    r"|[^\W\d_]+(?:'[^\W\d_]+)*"  # words, i'd, don't
    r"|[$€£&*]"                    # currency symbols, ampersand, times
    r"|[.,!?;:]"                   # clause punctuation
)
_QUOTES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "`": "'", "\u00b4": "'"})


@dataclass(frozen=True, slots=True)
class Token:
    """One token: normalised text plus the [start, end) span in the original message."""

    text: str
    start: int
    end: int


def normalise(text: str) -> str:
    """Unicode-normalise and lowercase, keeping the length so offsets stay valid."""
    out = []
    for ch in text.translate(_QUOTES):
        folded = unicodedata.normalize("NFKC", ch).lower()
        # keep one character per input character so offsets survive normalisation
        out.append(folded if len(folded) == 1 else ch.lower()[:1] or " ")
    return "".join(out)


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens (see module docstring); never raises."""
    norm = normalise(text)
    tokens: list[Token] = []
    for m in _TOKEN.finditer(norm):
        raw = m.group(0)
        if raw[0].isdigit() and "," in raw:
            # "3,5" is a decimal comma only when followed by 1-2 digits; "1,000" is thousands
            whole, frac = raw.split(",", 1)
            raw = whole + ("." + frac if len(frac) <= 2 else frac)
        if raw == "." and tokens and tokens[-1].end == m.start() and \
                tokens[-1].text.isalpha() and len(tokens[-1].text) <= 2 and \
                norm[m.end():m.end() + 1] == " " and norm[m.end() + 1:m.end() + 2].isalpha():
            continue  # "dr. pepper", "fl. oz": an abbreviation's dot, not a full stop
        if raw.endswith("'s") and len(raw) > 6:
            raw = raw[:-2]  # "pizza's" (a common plural typo) and possessives
        tokens.append(Token(strip_accents(raw), m.start(), m.end()))
    return tokens


def strip_accents(word: str) -> str:
    """"jalapeño" -> "jalapeno": catalog and message spellings meet on unaccented text."""
    decomposed = unicodedata.normalize("NFD", word)
    return "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")

"""Reading counts written the way customers write them.

"3", "three", "twenty five", "one hundred and two", "two dozen", "a couple (of)",
"half a dozen", "seven and a half", "7.5", "seven point five", "x3", "3x", "3 x".
Articles ("a pizza") are a count of one too, but a weak one: the parser needs to
know the difference ("a pie with a thin crust" is one pie, not two lines).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.intake.language_pack import LanguagePack


@dataclass(frozen=True, slots=True)
class NumberReading:
    """A count found at ``start``; ``end`` is one past its last word."""

    value: Decimal
    start: int
    end: int
    #: a bare article ("a", "an"): a count of one that nobody stated on purpose
    from_article: bool = False
    #: written with a times marker before the digits ("x3"): it may follow its noun
    marker_before: bool = False
    #: written with a times marker after the digits ("3x", "3 x")
    marker_after: bool = False

    @property
    def explicit(self) -> bool:
        return not self.from_article


def _match_phrase(words: Sequence[str], i: int, phrases: dict[str, float] | dict[str, int]
                  ) -> tuple[float, int] | None:
    """Longest phrase of ``phrases`` starting at ``i``: (value, end)."""
    best: tuple[float, int] | None = None
    for length in range(1, 5):
        if i + length > len(words):
            break
        key = " ".join(words[i:i + length])
        if key in phrases:
            best = (float(phrases[key]), i + length)
    return best


def _decimal(text: str) -> Decimal | None:
    try:
        if "/" in text:  # "1/2", "3/4" (see text_tokens): a fraction below one
            top, bottom = (Decimal(x) for x in text.split("/", 1))
            return top / bottom if 0 < top < bottom else None
        return Decimal(text)
    except (InvalidOperation, ArithmeticError):
        return None


def _read_words(words: Sequence[str], i: int, lang: LanguagePack) -> tuple[int, int] | None:
    """Compose number words ("twenty five", "one hundred and two"): (value, end)."""
    total = 0
    current = 0
    j = i
    seen = False
    while j < len(words):
        w = words[j]
        if w in lang.units:
            if (seen and current % 10 == 0 and current >= 20 and lang.units[w] < 10) or (seen and current % 100 == 0 and current >= 100):
                current += lang.units[w]
            elif seen:
                break
            else:
                current = lang.units[w]
        elif w in lang.tens:
            if seen and (current % 100 != 0 or current == 0):
                break
            current += lang.tens[w]
        elif w in lang.scales and seen:
            current = max(current, 1) * lang.scales[w]
            if lang.scales[w] >= 1000:
                total += current
                current = 0
        elif w in lang.number_joiners and seen and j + 1 < len(words) and (
                words[j + 1] in lang.units or words[j + 1] in lang.tens) and (
                (current % 100 == 0 and current >= 100) or (total > 0 and current == 0)):
            j += 1
            continue
        else:
            break
        seen = True
        j += 1
    if not seen:
        return None
    return total + current, j


def read_number(words: Sequence[str], i: int, lang: LanguagePack) -> NumberReading | None:
    """Read a count starting at ``words[i]`` or return None.

    ``words`` are tokens as produced by :func:`app.intake.text_tokens.tokenize`.
    Group nouns multiply ("two dozen" = 24); "x3" / "3x" / "3 x" set the marker flags.
    """
    if i >= len(words):
        return None
    w = words[i]
    marker_before = False
    start = i
    if w in lang.times_markers and i + 1 < len(words) and words[i + 1][:1].isdigit():
        marker_before = True
        i += 1
        w = words[i]
    value: Decimal | None = None
    end = i
    from_article = False
    phrase = _match_phrase(words, i, lang.count_phrases)
    if w[:1].isdigit():
        value = _decimal(w)
        end = i + 1
        if value is None:
            return None
    elif phrase is not None:
        value, end = Decimal(str(phrase[0])).normalize(), phrase[1]
    else:
        composed = _read_words(words, i, lang)
        if composed is not None:
            value, end = Decimal(composed[0]), composed[1]
        elif w in lang.articles:
            value, end, from_article = Decimal(1), i + 1, True
    if value is None:
        return None
    if not from_article:
        # "seven and a half", "seven point five"
        rest = " ".join(words[end:end + 3])
        for half in lang.half_phrases:
            if rest == half or rest.startswith(half + " "):
                value += Decimal("0.5")
                end += len(half.split())
                break
        else:
            if end + 1 < len(words) and words[end] in lang.decimal_words:
                digit = words[end + 1]
                frac = str(lang.units[digit]) if digit in lang.units and lang.units[digit] < 10 \
                    else digit if digit.isdigit() else None
                if frac is not None:
                    parsed = _decimal(f"{int(value)}.{frac}")
                    if parsed is not None:
                        value, end = parsed, end + 2
    # "two dozen", "a dozen", "3 pairs of"
    if end < len(words) and words[end] in lang.group_nouns and not (
            phrase is not None and phrase[1] == end and words[end - 1] in lang.group_nouns):
        value *= lang.group_nouns[words[end]]
        end += 1
        from_article = False
        if end < len(words) and words[end] in lang.count_glue:
            end += 1
    marker_after = False
    if not marker_before and end < len(words) and words[end] in lang.times_markers and \
            words[i][:1].isdigit():
        marker_after = True
        end += 1
    return NumberReading(value=value, start=start, end=end, from_article=from_article,
                         marker_before=marker_before, marker_after=marker_after)

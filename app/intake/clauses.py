"""Which parts of a message order something: orders, questions, past events, chatter.

A message is cut into clauses at line breaks and sentence ends ("?", "!", ". ", ";").
Each clause is read by its opening words and a few markers, all from the language pack:

- *chatter*: greetings ("Evening all", "Morning!") and thanks or sign-offs that order
  nothing ("Thanks, Jo", "Loved the mince pies"). A greeting before an order ("Hi, could
  I ...", "Morning Dave, 8 rashers ...") is cut off the clause, so "morning" is no time.
- *question*: opened by "do you", "what", "how much", "is", "are you open"... unless it
  asks for something ("can I get", "could you do ... ?"), or asks whether there is stock
  with a count ("have you got 2 large chickens?": staff would put them aside).
- *past*: a past event ("I dropped the ladder back yesterday", "the flowers arrived"):
  a past-tense verb (some only after a subject: "we left ..."), or a past time, and no
  request with a count.
- *order*: everything else, including amendments ("actually make that 3"), which the
  grammar reads.

Only order clauses are parsed for lines and times; the others are shown to staff as
ignored text with the reason. The cost of a wrong call is asymmetric: a question read
as an order becomes a confident false draft, an order read as a question still shows
its text, so the rules lean to "not an order" only on clear openers.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from app.intake.language_pack import LanguagePack
from app.intake.number_words import read_number
from app.intake.text_tokens import Token, tokenize

ORDER, QUESTION, PAST, CHATTER = "order", "question", "past", "chatter"
_BOUNDARY = re.compile(r"\n+|[!?]+(?=\s|$)|[!?]+|(?<!\d)\.(?=\s|$)|;")
_FILLERS = frozenset({"sorry", "ok", "okay", "oh", "also", "and", "just", "so", "right",
                      "um", "erm", "quick", "question", "actually", "please", "pls",
                      "yes", "yeah", "great", "brilliant"})


@dataclass(frozen=True)
class Clause:
    kind: str
    span: tuple[int, int]
    #: the clause ended with a question mark
    asked: bool = False


@lru_cache(maxsize=256)
def _lengths(phrases: frozenset[str]) -> tuple[tuple[int, ...], frozenset[str]]:
    """Phrase lengths in words, longest first, and the phrases' first words."""
    return (tuple(sorted({p.count(" ") + 1 for p in phrases}, reverse=True)),
            frozenset(p.split(" ", 1)[0] for p in phrases))


def _starts(words: list[str], i: int, phrases: frozenset[str]) -> int:
    """Length (in words) of the longest phrase of ``phrases`` at ``words[i]``; 0 if none."""
    lengths, firsts = _lengths(phrases)
    if i >= len(words) or words[i] not in firsts:
        return 0
    for n in lengths:
        if i + n <= len(words) and " ".join(words[i:i + n]) in phrases:
            return n
    return 0


def _has(words: list[str], phrases: frozenset[str]) -> bool:
    return any(_starts(words, i, phrases) for i in range(len(words)))


def _explicit_count(words: list[str], lang: LanguagePack) -> bool:
    """A stated count ("2", "a dozen"), not a size ("a 10m lead") or an article."""
    for i in range(len(words)):
        reading = read_number(words, i, lang)
        if reading is None or reading.from_article or reading.value <= 0:
            continue
        after = words[reading.end] if reading.end < len(words) else ""
        if after not in lang.measure_units:
            return True
    return False


def _asks_inside(words: list[str], lang: LanguagePack) -> bool:
    """"I'm looking for something for a funeral, what would you suggest?": a question
    after a comma."""
    for k, w in enumerate(words[:-1]):
        if w == "," and _starts(words, k + 1, lang.question_openers) > \
                _starts(words, k + 1, lang.request_openers):
            return True
    return False


def _greeting_end(tokens: list[Token], original: str, lang: LanguagePack) -> int:
    """Words of a greeting that opens the clause: "hi,", "morning dave,", "evening all"."""
    words = [t.text for t in tokens]
    n = _starts(words, 0, lang.greetings)
    if not n:
        return 0
    if n == len(words):
        return n
    nxt = tokens[n]
    if nxt.text in (",", "!", ".", "-"):
        return n + 1
    # "Morning Dave, ...": a capitalised name, then a comma
    if n + 1 < len(tokens) and original[nxt.start:nxt.start + 1].isupper() and \
            tokens[n + 1].text == ",":
        return n + 2
    return 0


def classify(words: list[str], asked: bool, lang: LanguagePack) -> str:
    """The kind of one clause (greeting already cut off), from its words."""
    content = [w for w in words if w.isalnum() or "'" in w or w == ","]
    if not content:
        return CHATTER
    i = 0
    while i < len(content) and (content[i] in _FILLERS or content[i] == ","):
        i += 1
    rest = content[i:]
    if not rest:
        return CHATTER
    count = _explicit_count(rest, lang)
    request = _starts(rest, 0, lang.request_openers)
    question = _starts(rest, 0, lang.question_openers)
    if _has(rest, lang.repeat_phrases):
        return ORDER  # "same again as last week please"
    if _starts(rest, 0, lang.thanks_words) and not count and not request:
        return CHATTER
    if question <= request and asked and not count and not request and \
            _asks_inside(rest, lang):
        return QUESTION
    if question > request:
        if count and _starts(rest, 0, lang.availability_openers):
            return ORDER  # "have you got 2 large chickens?"
        if any(_starts(rest, k, lang.request_openers) for k in range(question, len(rest))):
            return ORDER  # "how are you tonight my order is ... i'd like ..."
        return QUESTION
    past = _has(rest, lang.past_verbs) or _has(rest, lang.past_times) or any(
        rest[k] in lang.subjects and rest[k + 1] in lang.subject_past_verbs
        for k in range(len(rest) - 1))
    if past and not request:
        inside = _has(rest, lang.request_openers) or _has(rest, lang.future_cues)
        if not (count and inside):
            return PAST
    return ORDER


def split_clauses(text: str, lang: LanguagePack) -> list[Clause]:
    """The message's clauses in order, with greetings cut off as chatter of their own."""
    low = text.lower()
    out: list[Clause] = []
    start = 0
    cuts = [(m.start(), m.end()) for m in _BOUNDARY.finditer(low)] + [(len(low), len(low))]
    for cut_start, cut_end in cuts:
        piece = (start, cut_end)
        asked = "?" in low[cut_start:cut_end]
        start = cut_end
        tokens = tokenize(text[piece[0]:piece[1]])
        if not tokens:
            continue
        offset = piece[0]
        g = _greeting_end(tokens, text[offset:piece[1]], lang)
        if g:
            out.append(Clause(CHATTER, (offset + tokens[0].start,
                                        offset + tokens[g - 1].end)))
            tokens = tokens[g:]
            if not tokens:
                continue
        kind = classify([t.text for t in tokens], asked, lang)
        out.append(Clause(kind, (offset + tokens[0].start, offset + tokens[-1].end), asked))
    return out

"""The shape of a language's intake vocabulary.

The parser holds no English words in its code: every word it reacts to comes
from a :class:`LanguagePack`. Adding a language means writing one more module
like ``language_en.py`` that builds a pack; the grammar stays the same.

All phrases are lowercase and already tokenised the way
:func:`app.intake.text_tokens.tokenize` splits text (words, numbers and
apostrophes kept inside words; hyphens become spaces).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class LanguagePack:
    """Words and phrases, grouped by the role they play in an order message."""

    code: str
    # -- numbers ---------------------------------------------------------
    #: cardinal words: "one" -> 1 ... "nineteen" -> 19
    units: dict[str, int]
    #: tens: "twenty" -> 20
    tens: dict[str, int]
    #: scale words that multiply what precedes them: "hundred" -> 100
    scales: dict[str, int]
    #: words that join number words ("twenty and five" is rare, "one hundred and two" is not)
    number_joiners: frozenset[str]
    #: phrases that mean a count by themselves: "a couple" -> 2, "a dozen" -> 12, "half a dozen" -> 6
    count_phrases: dict[str, float]
    #: group nouns that multiply a preceding count: "two dozen" -> 24, "a pair of" -> 2
    group_nouns: dict[str, int]
    #: articles that mean one item ("a pizza")
    articles: frozenset[str]
    #: words that glue a count to its noun and carry no meaning ("of" in "a couple of")
    count_glue: frozenset[str]
    #: decimal point words ("seven point five")
    decimal_words: frozenset[str]
    #: "and a half"
    half_phrases: frozenset[str]
    #: multiplication markers written next to a number: "x3", "3x", "3 x"
    times_markers: frozenset[str]
    # -- measures ----------------------------------------------------------
    #: unit words -> a ``sync.units`` code: "litre" -> "l", "pounds" -> "lb", "fl oz" -> "floz"
    measure_units: dict[str, str]
    # -- order grammar -----------------------------------------------------
    #: qualifier phrases -> level ("extra", "light", "double", "half")
    qualifiers: dict[str, str]
    #: phrases that start a negation scope ("no", "without", "hold the")
    negations: frozenset[str]
    #: phrases that start (or return to) a positive attachment ("with", "add", "also")
    positives: frozenset[str]
    #: list conjunctions that keep the current scope ("and", "or", "as well as")
    conjunctions: frozenset[str]
    #: contrast words that end a negation scope unless a negation follows ("but")
    contrasts: frozenset[str]
    #: words that close a clause ("please", "thanks"): a negation scope ends there
    clause_breaks: frozenset[str]
    #: "with" words after a count that make it part of the previous line ("two pizzas, one with ham")
    partitive_links: frozenset[str]
    #: "both", "all of them": what follows applies to every item ordered so far
    distributives: frozenset[str]
    #: "the other", "the rest": the remaining items of a line split by partitive counts
    remainder_phrases: frozenset[str]
    #: count words that stand for the noun after an adjective ("a large *one*")
    pronoun_counts: frozenset[str]
    #: pronouns in "one of them"
    partitive_pronouns: frozenset[str]
    #: words after a count that describe the item, not its quantity ("two topping pizza")
    count_descriptors: frozenset[str]
    #: words that mark the preceding option word as a size ("medium size", "party sized")
    size_markers: frozenset[str]
    #: head words of variant names that people drop ("thin crust" -> "a thin pizza")
    variant_markers: frozenset[str]
    #: nouns for whole categories ("drinks", "toppings"): never a product by themselves
    category_nouns: frozenset[str]
    #: words never tried against the catalog by fuzzy matching (function words)
    stopwords: frozenset[str]
    # -- fulfilment, budget, address -----------------------------------------
    pickup_phrases: frozenset[str]
    delivery_phrases: frozenset[str]
    #: a pickup/delivery phrase plus the next word that means something else ("to go with")
    fulfilment_exceptions: frozenset[str]
    #: cues after which an address follows ("deliver to", "my address is")
    address_cues: tuple[str, ...]
    #: words that end an address after a cue ("deliver to 12 main st *at* 7")
    address_enders: frozenset[str]
    #: street-type words that make "12 baker street" an address without a cue
    street_types: frozenset[str]
    #: budget cues ("under", "no more than", "budget")
    budget_cues: tuple[str, ...]
    #: words allowed between a budget cue and the amount ("budget *about* 30")
    budget_fillers: frozenset[str]
    #: currency words and symbols -> ISO code
    currencies: dict[str, str]
    # -- time ------------------------------------------------------------------
    weekdays: dict[str, int]
    months: dict[str, int]
    #: day words -> offset in days from today ("tomorrow" -> 1)
    relative_days: dict[str, int]
    #: parts of the day -> default hour ("morning" -> 9)
    day_parts: dict[str, int]
    #: "tonight" and friends: (day offset, hour)
    day_part_words: dict[str, tuple[int, int]]
    noon_words: dict[str, int]
    asap_phrases: frozenset[str]
    #: words before a clock time ("at 7", "by 6")
    clock_cues: frozenset[str]
    #: "for": before a clock time only with am/pm ("for 5pm"; "for 2" is a count)
    for_words: frozenset[str]
    #: before a relative time ("in 30 minutes")
    relative_cues: frozenset[str]
    #: "half an hour"
    half_of_words: frozenset[str]
    #: before a weekday ("on Saturday")
    day_cues: frozenset[str]
    #: before a day part ("in the morning")
    day_part_cues: frozenset[str]
    #: "5th", "1st"
    ordinal_suffixes: frozenset[str]
    #: "7 o'clock"
    oclock_words: frozenset[str]
    #: "the 28th of November"
    date_articles: frozenset[str]
    next_words: frozenset[str]
    this_words: frozenset[str]
    am_words: frozenset[str]
    pm_words: frozenset[str]
    minute_words: frozenset[str]
    hour_words: frozenset[str]
    # -- inflection ------------------------------------------------------------
    #: plural forms of a noun ("olive" -> ["olives"]); used to widen catalog aliases
    plural_forms: Callable[[str], list[str]] = field(default=lambda word: [])
    #: singular candidates of a word ("tomatoes" -> ["tomato", "tomatoe"])
    singular_forms: Callable[[str], list[str]] = field(default=lambda word: [])
    # -- amounts, packs, back-references (issue 14) ------------------------------
    #: phrases that are an amount by themselves: "a quarter" -> ("0.25", "lb") at a deli
    bare_measures: dict[str, tuple[str, str]] = field(default_factory=dict)
    #: pack words -> their singular: "boxes" -> "box", "rashers" -> "rasher"
    pack_nouns: dict[str, str] = field(default_factory=dict)
    #: words between dimensions besides the times markers: "5 *by* 50"
    dimension_words: frozenset[str] = frozenset()
    #: "big", "the small ones": the largest or smallest measured option ("max" / "min")
    relative_sizes: dict[str, str] = field(default_factory=dict)
    #: "plain ones", "normal": the product of a family whose name is just the head noun
    plain_words: frozenset[str] = frozenset()
    #: "the usual", "same again": the customer's last order
    repeat_phrases: frozenset[str] = frozenset()
    # -- clauses -------------------------------------------------------------------
    #: openers of a question that asks for information ("do you", "what", "how much")
    question_openers: frozenset[str] = frozenset()
    #: openers that ask for something, even with a question mark ("can i get", "could you do")
    request_openers: frozenset[str] = frozenset()
    #: question openers about stock that become a request with a stated count
    #: ("have you got 2 large chickens?")
    availability_openers: frozenset[str] = frozenset()
    #: past-tense verbs that mean a past event wherever they stand ("picked", "arrived")
    past_verbs: frozenset[str] = frozenset()
    #: past-tense verbs that need a subject before them ("i left", "we got")
    subject_past_verbs: frozenset[str] = frozenset()
    #: subjects for those: "i", "we", "she"...
    subjects: frozenset[str] = frozenset()
    #: past time words: "yesterday", "last week"
    past_times: frozenset[str] = frozenset()
    #: words saying the clause is about the future after all ("will", "'ll", "tomorrow")
    future_cues: frozenset[str] = frozenset()
    #: greetings, alone or before a name ("morning", "hiya", "evening all")
    greetings: frozenset[str] = frozenset()
    #: thanks and sign-offs ("thanks", "cheers", "ta"): a clause they open is chatter
    thanks_words: frozenset[str] = frozenset()
    #: "make that", "make it", "change it to": what follows replaces part of a line
    amend_phrases: frozenset[str] = frozenset()
    #: "swap": swap X for Y
    swap_phrases: frozenset[str] = frozenset()
    #: "for" in "swap X for Y"
    swap_links: frozenset[str] = frozenset()
    #: "instead of", "rather than": what follows is the old value ("3 rather than 2")
    replaced_markers: frozenset[str] = frozenset()
    #: words that make a second message add to the open draft ("also", "and a ...")
    addition_cues: frozenset[str] = frozenset()
    #: negations that take a product off the order ("forget the", "cancel")
    removals: frozenset[str] = frozenset()
    #: named days: "christmas eve" -> (12, 24)
    holidays: dict[str, tuple[int, int]] = field(default_factory=dict)
    #: "half 8" (British: 8:30)
    half_past_words: frozenset[str] = frozenset()
    #: words that make a following bare clock time a time ("collecting 8.45", "pick up 9.30")
    collection_cues: frozenset[str] = frozenset()
    #: "ish" in "4ish": the hour before it is a time
    approx_suffixes: frozenset[str] = frozenset()

"""English intake vocabulary, as data.

Everything English the parser knows lives here: number words, how people say
"extra" or "no", pickup and delivery phrases, time words. Another language is
another module building a :class:`LanguagePack` with the same fields.
"""

from __future__ import annotations

from app.intake.language_pack import LanguagePack

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "single": 1,
}
_TENS = {
    "twenty": 20, "thirty": 30, "forty": 40, "fourty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}

_NEGATING_VERBS = ("want", "need", "put", "add", "include", "like", "use", "give me", "give")
_NEGATORS = ("don't", "dont", "do not", "doesn't", "does not", "didn't", "did not", "won't",
             "will not", "wouldn't", "would not", "can't", "cannot")


def _negations() -> frozenset[str]:
    phrases = {
        "no", "not", "without", "hold", "hold the", "hold on", "hold off on",
        "hold off", "avoid", "skip", "skip the", "minus", "leave off", "leave out", "leave off the",
        "take off", "take off the", "except", "except for", "none", "none of", "never", "nothing",
        "no need for", "don't", "dont", "do not", "without adding", "without any", "not any",
        "no more", "sans", "w/o", "free from", "free of", "ditch", "remove", "instead of",
        "in place of", "rather than", "allergic to", "i'm allergic to", "hate", "dislike",
        "exclude", "excluding", "not including", "rather not", "rather not have",
        "prefer not", "prefer not to have", "forget the", "lose the", "get rid of", "keep off",
        "nothing with", "can't have", "cannot have", "can't eat", "cannot eat", "can't stand",
        "not interested in", "not with", "no to",
    }
    for neg in _NEGATORS:
        phrases.add(neg)
        for verb in _NEGATING_VERBS:
            phrases.add(f"{neg} {verb}")
            phrases.add(f"{neg} {verb} any")
    return frozenset(phrases)


def _plural_forms(word: str) -> list[str]:
    """Regular English plurals of a noun (both spellings where usage varies)."""
    if not word.isalpha():
        return [word + "s"] if word and word[-1].isalpha() else []
    if word.endswith(("s", "x", "z", "ch", "sh")):
        return [word + "es"]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return [word[:-1] + "ies", word + "s"]
    if word.endswith("o"):
        return [word + "s", word + "es"]
    if word.endswith("f"):
        return [word + "s", word[:-1] + "ves"]
    return [word + "s"]


def _singular_forms(word: str) -> list[str]:
    """Candidate singulars of an English plural, most likely first."""
    out: list[str] = []
    if word.endswith("ies") and len(word) > 4:
        out.append(word[:-3] + "y")
    if word.endswith("ves") and len(word) > 4:
        out.append(word[:-3] + "f")
    if word.endswith("es") and len(word) > 3:
        out.append(word[:-2])
    if word.endswith("s") and not word.endswith("ss") and len(word) > 2:
        out.append(word[:-1])
    return out


ENGLISH = LanguagePack(
    code="en",
    units=_UNITS,
    tens=_TENS,
    scales={"hundred": 100, "thousand": 1000},
    number_joiners=frozenset({"and"}),
    count_phrases={
        "a couple": 2, "couple": 2, "a couple of": 2, "couple of": 2, "a pair of": 2,
        "pair of": 2, "a dozen": 12, "dozen": 12, "half a dozen": 6, "half dozen": 6,
        "a half dozen": 6, "a few": 3, "few": 3, "a single": 1, "another": 1, "just one": 1, "only one": 1,
        "just a": 1, "one single": 1, "a baker's dozen": 13, "a bakers dozen": 13,
    },
    group_nouns={"dozen": 12, "dozens": 12, "pair": 2, "pairs": 2, "couple": 2},
    articles=frozenset({"a", "an"}),
    count_glue=frozenset({"of"}),
    decimal_words=frozenset({"point"}),
    half_phrases=frozenset({"and a half", "and half"}),
    times_markers=frozenset({"x", "times", "*"}),
    measure_units={
        **{w: "l" for w in ("l", "liter", "liters", "litre", "litres", "ltr", "ltrs", "lt")},
        **{w: "ml" for w in ("ml", "mls", "milliliter", "milliliters", "millilitre",
                             "millilitres")},
        "cl": "cl", "pint": "pt", "pints": "pt", "pt": "pt",
        **{w: "oz" for w in ("oz", "ounce", "ounces", "ozs")},
        **{w: "floz" for w in ("fl oz", "fluid ounce", "fluid ounces", "fl ounce",
                               "fl ounces", "floz")},
        **{w: "kg" for w in ("kg", "kgs", "kilo", "kilos", "kilogram", "kilograms",
                             "kilogramme", "kilogrammes")},
        **{w: "g" for w in ("g", "gram", "grams", "gr", "grm", "grammes", "gramme", "gms")},
        **{w: "lb" for w in ("lb", "lbs", "pound", "pounds", "pound of", "pounds of")},
        **{w: "m" for w in ("m", "metre", "metres", "meter", "meters", "mtr", "mtrs")},
        **{w: "cm" for w in ("cm", "cms", "centimetre", "centimetres", "centimeter",
                             "centimeters")},
        **{w: "mm" for w in ("mm", "millimetre", "millimetres", "millimeter", "millimeters")},
        **{w: "in" for w in ("inch", "inches")},
        **{w: "ft" for w in ("ft", "foot", "feet")},
    },
    qualifiers={
        "extra": "extra", "more": "extra", "additional": "extra", "added": "extra",
        "lots of": "extra", "a lot of": "extra", "plenty of": "extra", "loads of": "extra",
        "heavy on": "extra", "heavy on the": "extra", "go heavy on": "extra",
        "go heavy on the": "extra", "a bunch of": "extra", "a whole bunch of": "extra",
        "a whole lot of": "extra", "generous": "extra", "double": "double",
        "light": "light", "light on": "light", "light on the": "light", "go light on": "light",
        "go light on the": "light", "easy on": "light", "easy on the": "light",
        "go easy on": "light", "go easy on the": "light", "a little": "light",
        "a little bit of": "light", "a little bit": "light", "little": "light",
        "just a little": "light", "just a bit": "light", "a bit of": "light",
        "a tiny bit of": "light", "just a tiny bit of": "light", "a drizzle of": "light",
        "a drizzle": "light", "just a drizzle": "light", "just a drizzle of": "light",
        "a touch of": "light", "a sprinkle of": "light", "not much": "light",
        "not a lot of": "light", "not a lot": "light", "not many": "light", "less": "light",
        "only a little": "light", "only a bit": "light", "no more than a drizzle of": "light",
        "not too much": "light", "not too many": "light", "not so much": "light",
        "not too much of": "light", "half": "half", "half the": "half",
    },
    negations=_negations(),
    positives=frozenset({
        "with", "and with", "w", "add", "adding", "add on", "plus", "also", "along with",
        "include", "including", "topped with", "top it with", "on top", "want", "like",
        "love", "put", "as well", "and also", "make it", "make them", "have", "take",
        "i'll take", "go for", "go with", "get", "and then", "then",
    }),
    conjunctions=frozenset({"and", "or", "nor", "as well as", "&", ",", "n", "/", "and some"}),
    contrasts=frozenset({"but", "though", "however", "although", "yet"}),
    clause_breaks=frozenset({
        "please", "pls", "plz", "thanks", "thank you", "thx", "cheers", ".", "!", "?", ";",
        "oh", "that's all", "that's it", "that is all", "ok", "okay",
    }),
    partitive_links=frozenset({"with", "w", "topped with"}),
    partitive_pronouns=frozenset({"them", "those", "these"}),
    pronoun_counts=frozenset({"one", "ones"}),
    distributives=frozenset({"all", "both", "each", "all of them", "both of them",
                             "each of them", "all of those", "all of these", "every one",
                             "each one", "both of those", "all with", "both with"}),
    remainder_phrases=frozenset({"the other", "the other one", "the others", "the other ones",
                                 "the rest", "the rest of them", "the remaining", "other one"}),
    count_descriptors=frozenset({
        "topping", "toppings", "item", "items", "ingredient", "ingredients", "top",
    }),
    size_markers=frozenset({"size", "sized", "sizes"}),
    variant_markers=frozenset({"crust", "crusts", "style", "dough", "base", "bases"}),
    category_nouns=frozenset({
        "drink", "drinks", "beverage", "beverages", "topping", "toppings", "food", "order",
        "orders", "sides", "extras", "stuff", "thing", "things",
    }),
    stopwords=frozenset({
        "a", "an", "the", "i", "i'd", "i'll", "i'm", "id", "im", "me", "my", "mine", "we", "us",
        "our", "you", "your", "it", "its", "it's", "they", "them", "their", "this", "that",
        "that's", "these", "those", "there", "here", "to", "of", "for", "in", "on", "at", "by",
        "from", "into", "onto", "and", "or", "but", "with", "without", "no", "not", "can",
        "could", "would", "will", "shall", "should", "may", "might", "must", "do", "does", "did",
        "have", "has", "had", "get", "got", "give", "want", "wanted", "wanting", "need", "like",
        "love", "take", "try", "order", "ordering", "please", "thanks", "thank", "some", "any",
        "all", "both", "each", "every", "just", "only", "also", "too", "very", "so", "then",
        "than", "be", "is", "are", "was", "were", "been", "am", "what", "which", "who", "how",
        "when", "where", "why", "yes", "yeah", "hi", "hello", "hey", "ok", "okay", "good",
        "great", "well", "as", "make", "sure", "put", "place", "go", "going", "let", "let's",
        "see", "think", "guess", "feel", "today", "now", "again", "more", "less", "same",
        "other", "another", "one", "ones", "up", "out", "off", "over", "under", "about", "time",
        "day", "evening", "night", "morning", "afternoon", "set", "fine", "nice", "lot", "lots",
        "bit", "hold", "wish", "prefer", "start", "begin", "rush", "size", "sized", "top",
        "everything", "thing", "things", "stuff", "done", "ready", "able", "if", "budget",
        # common words that look like the start of a catalog word ("pick" / pickles)
        "pick", "care", "call", "text", "send", "come", "open", "hope", "know", "mean",
        "said", "tell", "told", "long", "last", "next", "first", "much", "many", "still",
        "back", "away", "soon", "late", "early", "later", "fast", "quick", "hour", "week",
        "name", "phone", "number", "email", "house", "home", "work", "office", "door", "pay",
        "cash", "card", "price", "cost", "total", "change", "tip", "meal", "spin", "cart",
        "part", "past", "pass", "mind", "sorry", "hungry", "would've", "could've",
        "worries", "problem", "probs", "hurry", "bother", "fuss", "wait",
    }),
    pickup_phrases=frozenset({
        "pickup", "pick up", "picking up", "pick it up", "pick them up", "pick up at",
        "collect", "collecting", "collection", "takeaway", "take away", "takeout", "take out",
        "carry out", "carryout", "to go", "come get", "come by", "come in", "swing by",
        "i'll come", "will come", "in store", "in person",
    }),
    delivery_phrases=frozenset({
        "deliver", "delivered", "delivery", "delivering", "bring it", "bring them", "drop off",
        "drop it off", "send it", "send them", "ship", "shipped", "to my house", "to my place",
        "to my office", "to my home", "to my address",
    }),
    fulfilment_exceptions=frozenset({"to go with", "to go for", "come in a", "come in the"}),
    address_cues=(
        "deliver it to", "deliver them to", "delivered to", "deliver to", "delivery to",
        "delivery at", "bring it to", "bring them to", "send it to", "send them to",
        "drop it off at", "drop off at", "ship to", "my address is", "address is", "address:",
        "address", "i live at", "i'm at", "we are at", "we're at",
    ),
    address_enders=frozenset({
        "at", "by", "for", "around", "tonight", "tomorrow", "today", "please", "thanks", "asap",
        "and", "on", "before", "after",
    }),
    street_types=frozenset({
        "street", "st", "road", "rd", "avenue", "ave", "av", "lane", "ln", "boulevard", "blvd",
        "way", "court", "ct", "close", "crescent", "terrace", "place", "pl", "drive", "square",
        "sq", "highway", "hwy", "parkway", "pkwy", "row", "strasse", "straße", "weg", "gasse",
    }),
    budget_cues=(
        "no more than", "not more than", "less than", "at most", "up to", "under", "below",
        "max", "maximum", "budget of", "budget is", "budget", "within", "cap at", "limit of",
        "spend", "spending",
    ),
    budget_fillers=frozenset({"for", "of", "is", "around", "about", "roughly", "approx",
                              "approximately", "like", "maybe"}),
    currencies={
        "$": "USD", "usd": "USD", "dollar": "USD", "dollars": "USD", "bucks": "USD",
        "€": "EUR", "eur": "EUR", "euro": "EUR", "euros": "EUR",
        "£": "GBP", "gbp": "GBP", "pound": "GBP", "pounds": "GBP", "quid": "GBP",
    },
    weekdays={
        "monday": 0, "mon": 0, "tuesday": 1, "tue": 1, "tues": 1, "wednesday": 2, "wed": 2,
        "thursday": 3, "thu": 3, "thur": 3, "thurs": 3, "friday": 4, "fri": 4, "saturday": 5,
        "sat": 5, "sunday": 6,
    },
    months={
        "january": 1, "jan": 1, "february": 2, "feb": 2, "march": 3, "mar": 3, "april": 4,
        "apr": 4, "may": 5, "june": 6, "jun": 6, "july": 7, "jul": 7, "august": 8, "aug": 8,
        "september": 9, "sep": 9, "sept": 9, "october": 10, "oct": 10, "november": 11,
        "nov": 11, "december": 12, "dec": 12,
    },
    relative_days={
        "today": 0, "tomorrow": 1, "tmrw": 1, "tmr": 1, "tomorow": 1, "tommorow": 1,
        "tommorrow": 1, "day after tomorrow": 2, "the day after tomorrow": 2,
    },
    day_parts={
        "morning": 9, "afternoon": 14, "evening": 18, "night": 19, "lunch": 12,
        "lunchtime": 12, "lunch time": 12, "dinner": 18, "dinnertime": 18, "dinner time": 18,
        "breakfast": 8,
    },
    day_part_words={
        "tonight": (0, 19), "this evening": (0, 18), "this afternoon": (0, 14),
        "this morning": (0, 9), "later today": (0, 17), "this lunchtime": (0, 12),
    },
    noon_words={"noon": 12, "midday": 12, "midnight": 0},
    asap_phrases=frozenset({
        "asap", "as soon as possible", "right away", "right now", "straight away",
        "immediately", "as soon as you can",
    }),
    clock_cues=frozenset({"at", "@", "by", "around", "about", "before", "after", "from",
                          "until", "till"}),
    for_words=frozenset({"for"}),
    relative_cues=frozenset({"in", "within"}),
    half_of_words=frozenset({"half an", "half a"}),
    day_cues=frozenset({"for", "on", "by"}),
    day_part_cues=frozenset({"in the", "this", "for", "at", "around", "by"}),
    ordinal_suffixes=frozenset({"st", "nd", "rd", "th"}),
    oclock_words=frozenset({"o'clock", "oclock", "o clock"}),
    date_articles=frozenset({"the"}),
    next_words=frozenset({"next"}),
    this_words=frozenset({"this", "on", "coming", "this coming"}),
    am_words=frozenset({"am", "a.m.", "a.m", "in the morning"}),
    pm_words=frozenset({"pm", "p.m.", "p.m", "in the evening", "in the afternoon", "at night",
                        "tonight"}),
    minute_words=frozenset({"minute", "minutes", "min", "mins"}),
    hour_words=frozenset({"hour", "hours", "hr", "hrs"}),
    bare_measures={"a quarter": ("0.25", "lb"), "quarter": ("0.25", "lb"),
                   "a quarter pound": ("0.25", "lb"), "quarter pound": ("0.25", "lb")},
    pack_nouns={**{w: w for w in ("box", "bag", "tray", "pack", "packet", "tub", "tin",
                                  "punnet", "head", "stem", "rasher", "slice", "piece",
                                  "sheet", "bottle", "jar", "carton", "net", "sack",
                                  "portion", "roll", "bulb", "bunch", "loaf", "fillet",
                                  "pot", "can")},
                **{w + "s": w for w in ("bag", "tray", "pack", "packet", "tub", "tin",
                                        "punnet", "head", "stem", "rasher", "slice",
                                        "piece", "sheet", "bottle", "jar", "carton", "net",
                                        "sack", "portion", "roll", "bulb", "fillet", "pot",
                                        "can")},
                "boxes": "box", "bunches": "bunch", "loaves": "loaf"},
    dimension_words=frozenset({"by"}),
    relative_sizes={"big": "max", "bigger": "max", "biggest": "max", "large": "max",
                    "larger": "max", "largest": "max", "small": "min", "smaller": "min",
                    "smallest": "min", "little": "min"},
    plain_words=frozenset({"plain", "normal", "regular", "ordinary", "standard", "classic"}),
    repeat_phrases=frozenset({
        "the usual", "my usual", "usual", "same again", "the same again", "same as last time",
        "the same as last time", "same as last week", "the same as last week",
        "same as before", "the same as before", "same as usual", "the same as usual",
        "usual order", "my usual order", "the usual order", "same order",
        "same order as last week", "same order as last time",
    }),
    question_openers=frozenset({
        "do you", "do u", "does", "did you", "have you got", "have u got", "have you",
        "is", "are", "was", "were", "what", "what's", "whats", "how", "how's", "when",
        "where", "which", "who", "why", "any chance", "is there", "are there", "can you tell",
        "could you tell", "r u", "are u", "will you be", "would you have",
        "quick question", "any ideas", "what would you", "would you recommend", "can you recommend",
        "could you recommend",
    }),
    request_openers=frozenset({
        "can i", "could i", "can we", "could we", "may i", "can you", "could you",
        "would you", "will you", "can u", "could u", "is it possible to",
        "would it be possible to", "are you able to", "please can", "pls can", "plz can",
        "i'd like", "id like", "i would like", "i'll have", "i'll take", "ill take",
        "i need", "we need", "need", "i want", "we'd like", "please could", "pls could",
        "can i get", "can i have", "can i order", "could i get", "could i have",
        "could i order", "i'd love", "we'd love", "i would love", "if so",
    }),
    availability_openers=frozenset({"do you have", "have you got", "do you do", "do u have",
                                    "have u got", "any chance of"}),
    past_verbs=frozenset({
        "picked", "dropped", "bought", "ordered", "collected", "arrived", "loved", "enjoyed",
        "paid", "received", "forgot", "brought", "ate", "went", "came", "was", "were",
        "wasn't", "weren't", "didn't", "tried", "liked", "returned", "wasnt", "werent",
        "didnt", "thought", "sorted",
    }),
    subject_past_verbs=frozenset({
        "left", "got", "had", "made", "did", "sent", "took", "said", "called", "rang",
        "saw", "used", "phoned", "dropped", "gave", "popped", "grabbed", "came",
    }),
    subjects=frozenset({"i", "we", "she", "he", "they", "it", "you", "my", "our", "the",
                        "mum", "dad", "husband", "wife", "partner", "just"}),
    past_times=frozenset({"yesterday", "last night", "last week", "the other day",
                          "last time", "earlier", "last saturday", "last friday",
                          "last month", "ago"}),
    future_cues=frozenset({"will", "i'll", "we'll", "ill", "shall", "going to", "gonna",
                           "tomorrow", "tmrw", "next", "please", "pls", "plz"}),
    greetings=frozenset({"hi", "hello", "hiya", "hey", "morning", "good morning",
                         "afternoon", "good afternoon", "evening", "good evening",
                         "evening all", "morning all", "hi all", "hi there", "hello there",
                         "dear", "yo", "howdy", "greetings"}),
    thanks_words=frozenset({"thanks", "thank you", "thank", "thx", "ta", "cheers",
                            "many thanks", "much appreciated", "regards", "kind regards",
                            "best", "best wishes", "love", "xx", "x", "lovely",
                            "just wanted to say", "great", "loved"}),
    amend_phrases=frozenset({"make that", "make it", "make them", "make the",
                             "change that to", "change it to", "change it", "change that",
                             "change my order to", "change the", "up that to",
                             "can you make it", "could you make it", "make those",
                             "change them to", "increase that to"}),
    swap_phrases=frozenset({"swap", "swap the", "switch", "switch the", "replace",
                            "replace the", "exchange"}),
    swap_links=frozenset({"for", "with", "to"}),
    replaced_markers=frozenset({"instead of", "rather than", "not", "in place of"}),
    addition_cues=frozenset({"also", "and", "add", "plus", "oh and", "as well", "too",
                             "another", "can you add", "could you add", "please add",
                             "pls add", "and also", "one more thing", "extra"}),
    removals=frozenset({"forget", "forget the", "cancel", "cancel the", "scrap", "scrap the",
                        "remove", "remove the", "take off", "take off the", "drop the",
                        "no longer need", "don't need the", "dont need the", "leave off",
                        "leave off the", "never mind the", "nevermind the", "lose the",
                        "skip the", "without the"}),
    holidays={"christmas eve": (12, 24), "xmas eve": (12, 24), "christmas day": (12, 25),
              "xmas day": (12, 25), "boxing day": (12, 26), "new year's eve": (12, 31),
              "new years eve": (12, 31), "nye": (12, 31), "new year's day": (1, 1),
              "valentine's day": (2, 14), "valentines day": (2, 14), "valentines": (2, 14)},
    half_past_words=frozenset({"half"}),
    collection_cues=frozenset({"collect", "collecting", "collection", "pick up", "picking up",
                               "pickup", "pick it up", "grab them", "grab it", "in at",
                               "there at", "ready at", "ready for", "ready by", "collect at",
                               "come in at", "be in at", "around", "about", "for"}),
    approx_suffixes=frozenset({"ish"}),
    plural_forms=_plural_forms,
    singular_forms=_singular_forms,
)

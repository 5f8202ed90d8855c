"""When the customer wants the order: "tomorrow morning", "for Saturday 5pm", "at 7", "tonight".

Everything is relative to an injected ``now`` (timezone-aware; its tzinfo is the shop's
zone), so tests and the engine agree on what "tomorrow" means. Words come from the
language pack. Readings chosen where people are vague:

- a bare hour without am/pm: 1-7 is afternoon/evening ("at 7" = 19:00), 8-11 is
  morning unless the day part says otherwise or that morning hour has already passed
  today; 12 is noon.
- a weekday means its next occurrence (today if it is that day and the time is still
  ahead); "next Saturday" is the same day, never today.
- a clock time alone that has already passed today means tomorrow.
- a day part alone ("morning") is today if still ahead, else tomorrow.
"""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any, Literal

from app.intake.language_en import ENGLISH
from app.intake.language_pack import LanguagePack

Precision = Literal["asap", "exact", "part_of_day", "day"]


@dataclass(frozen=True)
class RequestedTime:
    """The wanted time with the text it came from."""

    at: datetime
    precision: Precision
    text: str
    spans: tuple[tuple[int, int], ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {"at": self.at.isoformat(), "precision": self.precision, "text": self.text}


def _alt(words: object) -> str:
    items = sorted((str(w) for w in words), key=len, reverse=True)  # type: ignore[attr-defined]
    return "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in items)


@dataclass
class _Patterns:
    asap: re.Pattern[str]
    relative: re.Pattern[str]
    clock_ampm: re.Pattern[str]
    clock_colon: re.Pattern[str]
    clock_cue: re.Pattern[str]
    noon: re.Pattern[str]
    part_word: re.Pattern[str]
    day_part: re.Pattern[str]
    rel_day: re.Pattern[str]
    weekday: re.Pattern[str]
    month_day: re.Pattern[str]
    day_month: re.Pattern[str]
    iso: re.Pattern[str]
    holiday: re.Pattern[str]
    ordinal_day: re.Pattern[str]
    half_past: re.Pattern[str]
    collect_clock: re.Pattern[str]
    approx: re.Pattern[str]
    day_ampm: re.Pattern[str]


_CACHE: dict[str, _Patterns] = {}


def _patterns(lang: LanguagePack) -> _Patterns:
    cached = _CACHE.get(lang.code)
    if cached is not None:
        return cached
    number_words = {**lang.units, **lang.tens}
    am_pm = _alt(lang.am_words | lang.pm_words)
    clock = _alt(lang.clock_cues)
    loose = _alt(lang.clock_cues | lang.for_words)
    for_w = _alt(lang.for_words)
    ordinal = _alt(lang.ordinal_suffixes)
    # "about 6kg", "at 3 trays": an amount, not a time
    not_amount = rf"(?!\s*(?:{_alt(set(lang.measure_units) | set(lang.pack_nouns))})\b)"
    collect = _alt(lang.collection_cues | lang.clock_cues) if lang.collection_cues else clock
    days = _alt(set(lang.weekdays) | set(lang.relative_days))
    p = _Patterns(
        asap=re.compile(rf"\b(?:{_alt(lang.asap_phrases)})\b"),
        relative=re.compile(
            rf"\b(?:{_alt(lang.relative_cues)})\s+"
            rf"(?P<n>\d+|{_alt(number_words)}|{_alt(lang.articles | lang.half_of_words)})\s+"
            rf"(?P<u>{_alt(lang.minute_words | lang.hour_words)})\b"),
        clock_ampm=re.compile(
            rf"(?:\b(?:{loose})\s+)?"
            rf"(?<![\d.:])(?P<h>\d{{1,2}})(?:[:.](?P<m>\d{{2}}))?\s*(?P<ap>{am_pm})(?![a-z])"),
        clock_colon=re.compile(
            rf"(?:\b(?:{loose})\s+)?"
            r"(?<![\d.:])(?P<h>\d{1,2}):(?P<m>\d{2})(?![\d:])"),
        clock_cue=re.compile(
            rf"(?:\b(?:{clock})\s+)(?P<h>\d{{1,2}})(?:\.(?P<m>\d{{2}}))?"
            rf"(?:\s*(?:{_alt(lang.oclock_words)}))?(?!\d|[.,:]\d|\s*(?:%|x\b)){not_amount}"),
        noon=re.compile(rf"(?:\b(?:{loose})\s+)?\b(?:{_alt(lang.noon_words)})\b"),
        part_word=re.compile(rf"(?:\b(?:{for_w})\s+)?\b(?P<pw>{_alt(lang.day_part_words)})\b"),
        day_part=re.compile(
            rf"(?:\b(?:{_alt(lang.day_part_cues)})\s+)?\b(?P<p>{_alt(lang.day_parts)})\b"),
        rel_day=re.compile(rf"(?:\b(?:{for_w})\s+)?\b(?P<d>{_alt(lang.relative_days)})\b"),
        weekday=re.compile(
            rf"(?:\b(?:{_alt(lang.day_cues)})\s+)?"
            rf"(?:\b(?P<q>{_alt(lang.next_words | lang.this_words)})\s+)?"
            rf"\b(?P<w>{_alt(lang.weekdays)})\b"),
        month_day=re.compile(
            rf"\b(?P<mo>{_alt(lang.months)})\.?\s+(?P<d>\d{{1,2}})(?:{ordinal})?\b"),
        day_month=re.compile(
            rf"\b(?:(?:{_alt(lang.date_articles)})\s+)?(?P<d>\d{{1,2}})(?:{ordinal}|\.)?\s+"
            rf"(?:(?:{_alt(lang.count_glue)})\s+)?(?P<mo>{_alt(lang.months)})\b"),
        iso=re.compile(r"\b(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})\b"),
        holiday=re.compile(rf"(?:\b(?:{_alt(lang.day_cues)})\s+)?\b(?P<h>{_alt(lang.holidays)})\b"
                           if lang.holidays else r"(?!x)x"),
        ordinal_day=re.compile(
            rf"(?:\b(?:{_alt(lang.day_cues)})\s+)?(?:\b(?:{_alt(lang.date_articles)})\s+)?"
            rf"(?<![\d.:])(?P<d>\d{{1,2}})(?:{ordinal})\b"),
        half_past=re.compile(
            rf"\b(?:{collect})\s+(?:{_alt(lang.half_past_words)})\s+(?P<h>\d{{1,2}})\b{not_amount}"
            if lang.half_past_words else r"(?!x)x"),
        collect_clock=re.compile(
            rf"\b(?:{collect})\s+(?P<h>\d{{1,2}})[.:](?P<m>\d{{2}})(?![\d.])"),
        approx=re.compile(
            rf"(?:\b(?:{loose})\s+)?(?<![\d.:])(?P<h>\d{{1,2}})\s*(?:{_alt(lang.approx_suffixes)})\b"
            if lang.approx_suffixes else r"(?!x)x"),
        day_ampm=re.compile(rf"\b(?:{days})\s+(?P<ap>{am_pm})(?![a-z])"),
    )
    _CACHE[lang.code] = p
    return p


def _word_value(text: str, lang: LanguagePack) -> float:
    text = " ".join(text.split())
    if text.isdigit():
        return float(text)
    if text in lang.articles:
        return 1.0
    if text in lang.half_of_words:
        return 0.5
    return float(lang.units.get(text, lang.tens.get(text, 0)))


def find_requested_time(text: str, now: datetime, lang: LanguagePack = ENGLISH,
                        reserved: Collection[str] = frozenset()) -> RequestedTime | None:
    """Find the requested time in ``text`` (any case); None when none is stated.

    ``reserved`` holds words the shop's catalog uses ("lunch" in "lunch size"): such a
    day-part word counts as a time only with a cue ("for lunch", "tomorrow lunch").
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (the shop's zone)")
    low = text.lower()
    p = _patterns(lang)
    spans: list[tuple[int, int]] = []

    m = p.asap.search(low)
    if m:
        return RequestedTime(now, "asap", text[m.start():m.end()], ((m.start(), m.end()),))
    m = p.relative.search(low)
    if m:
        amount = _word_value(m.group("n"), lang)
        unit = " ".join(m.group("u").split())
        delta = timedelta(hours=amount) if unit in lang.hour_words else timedelta(minutes=amount)
        return RequestedTime(now + delta, "exact", text[m.start():m.end()],
                             ((m.start(), m.end()),))

    day: date | None = None
    day_is_weekday = False
    hour: int | None = None
    minute = 0
    ampm: str | None = None
    part_hour: int | None = None
    today = now.date()

    m = p.iso.search(low)
    if m:
        try:
            day = date(int(m.group("y")), int(m.group("mo")), int(m.group("d")))
            spans.append(m.span())
        except ValueError:
            day = None
    if day is None:
        for pat in (p.month_day, p.day_month):
            m = pat.search(low)
            if m:
                try:
                    month = lang.months[" ".join(m.group("mo").split())]
                    candidate = date(today.year, month, int(m.group("d")))
                    if candidate < today:
                        candidate = date(today.year + 1, month, int(m.group("d")))
                    day = candidate
                    spans.append(m.span())
                    break
                except ValueError:
                    continue
    if day is None:
        m = p.holiday.search(low)
        if m:
            month, dom = lang.holidays[" ".join(m.group("h").split())]
            day = _next_date(today, month, dom)
            spans.append(m.span())
    if day is None:
        for m in p.ordinal_day.finditer(low):  # "for the 24th", "sat 28th"
            found = _next_day_of_month(today, int(m.group("d")))
            if found is not None:
                day = found
                spans.append(m.span())
                break
    if day is not None:  # "Saturday 5th December": the weekday is part of the date
        m = p.weekday.search(low)
        if m and not _inside(m.span(), spans):
            spans.append(m.span())
    pw = p.part_word.search(low)
    if pw:
        offset, part_hour = lang.day_part_words[" ".join(pw.group("pw").split())]
        if day is None:
            day = today + timedelta(days=offset)
        spans.append(pw.span())
    if day is None:
        m = p.rel_day.search(low)
        if m:
            day = today + timedelta(days=lang.relative_days[" ".join(m.group("d").split())])
            spans.append(m.span())
    if day is None:
        m = p.weekday.search(low)
        if m:
            wd = lang.weekdays[m.group("w")]
            ahead = (wd - today.weekday()) % 7
            qualifier = m.group("q")
            if ahead == 0 and qualifier in lang.next_words:
                ahead = 7
            day = today + timedelta(days=ahead)
            day_is_weekday = ahead == 0
            spans.append(m.span())
    if part_hour is None:
        for m in p.day_part.finditer(low):
            word = " ".join(m.group("p").split())
            if _inside(m.span(), spans):
                continue
            if word in reserved and m.start() == m.start("p") and not _touches(m.span(), spans):
                continue  # "six lunch pizzas": the catalog's word, not a time
            part_hour = lang.day_parts[word]
            spans.append(m.span())
            break

    m = p.half_past.search(low)  # "in at half 8": 8:30
    if m and not _inside(m.span(), spans) and int(m.group("h")) <= 12:
        hour, minute = int(m.group("h")), 30
        spans.append(m.span())
    for pat in (p.clock_ampm, p.clock_colon, p.collect_clock, p.clock_cue, p.approx):
        if hour is not None:
            break
        m = pat.search(low)
        if m and pat is p.clock_cue and _counts_something(low[m.end():], reserved, lang):
            m = None  # "at 7 pizzas each": a count, not a time
        if m and not _inside(m.span(), spans):
            h = int(m.group("h"))
            mins = int(m.groupdict().get("m") or 0)
            if h > 23 or mins > 59:
                continue
            hour, minute = h, mins
            ampm = m.groupdict().get("ap")
            spans.append(m.span())
            break
    if hour is None and part_hour is None:
        m = p.day_ampm.search(low)  # "Fri pm", "tomorrow am"
        if m:
            pm = " ".join(m.group("ap").split()) in lang.pm_words
            part_hour = lang.day_parts.get("afternoon" if pm else "morning", 14 if pm else 9)
            spans.append((m.start("ap"), m.end("ap")))
    if hour is None:
        m = p.noon.search(low)
        if m:
            hour = lang.noon_words[m.group(0).split()[-1]]
            ampm = "24h"
            spans.append(m.span())

    if day is None and hour is None and part_hour is None:
        return None

    precision: Precision = "day"
    if hour is not None:
        precision = "exact"
        hour = _resolve_hour(hour, ampm, part_hour, lang)
    elif part_hour is not None:
        precision = "part_of_day"
        hour = part_hour
    when_day = day if day is not None else today
    if hour is None:
        at = datetime.combine(when_day, time(0, 0), tzinfo=now.tzinfo)
    else:
        if ampm is None and part_hour is None and 8 <= hour < 12 and when_day == today and \
                (hour, minute) <= (now.hour, now.minute):
            hour += 12  # "at 9" said at 10:00 means this evening
        at = datetime.combine(when_day, time(hour, minute), tzinfo=now.tzinfo)
        if day is None and at < now - timedelta(minutes=30):
            at += timedelta(days=1)
    if day_is_weekday and hour is not None and at < now:
        at += timedelta(days=7)
    spans.sort()
    shown = " ".join(" ".join(text[a:b].split()) for a, b in spans)
    return RequestedTime(at, precision, shown, tuple(spans))


def _next_date(today: date, month: int, dom: int) -> date | None:
    try:
        found = date(today.year, month, dom)
        return found if found >= today else date(today.year + 1, month, dom)
    except ValueError:
        return None


def _next_day_of_month(today: date, dom: int) -> date | None:
    """"the 24th": the next 24th from today (this month if still ahead)."""
    if not 1 <= dom <= 31:
        return None
    year, month = today.year, today.month
    for _ in range(3):
        try:
            found = date(year, month, dom)
        except ValueError:
            found = None
        if found is not None and found >= today:
            return found
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return None


def _counts_something(rest: str, reserved: Collection[str], lang: LanguagePack) -> bool:
    words = rest.split()[:2]
    if not words:
        return False
    first = words[0].strip(",.;!?")
    return first in reserved or first in lang.count_glue or \
        " ".join(words).strip(",.;!?") in reserved


def _touches(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    """Is ``span`` right next to a time phrase already found ("tomorrow lunch")?"""
    return any(0 <= span[0] - e <= 1 or 0 <= s - span[1] <= 1 for s, e in spans)


def _inside(span: tuple[int, int], spans: list[tuple[int, int]]) -> bool:
    return any((s <= span[0] and span[1] <= e) or (span[0] < e and s < span[1]) for s, e in spans)


def _resolve_hour(hour: int, ampm: str | None, part_hour: int | None,
                  lang: LanguagePack) -> int:
    if ampm == "24h" or hour > 12 or hour == 0:
        return hour % 24
    if ampm is not None:
        norm = " ".join(ampm.split())
        if norm in lang.pm_words:
            return hour % 12 + 12
        return hour % 12
    if part_hour is not None:
        return hour + 12 if part_hour >= 12 and hour < 12 else hour
    if hour == 12:
        return 12
    return hour + 12 if hour <= 7 else hour

"""Date ranges in the shop's timezone, and the time buckets reports group sales into.

Days start at local midnight, weeks on Monday (ISO weeks), months on the 1st. Every bound
is written as ``sync.read_model.codecs.iso`` writes times (UTC, milliseconds), so the
read model compares them as text on its indexes.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sync.errors import CommandRejected
from sync.read_model.codecs import iso
from sync.read_model.report_queries import Bucket, Scope

DEFAULT_DAYS = 30
#: a longer range is refused: 10 years of days are 3,650 buckets, the most one query takes
MAX_DAYS = 3700


def parse_day(text: str, what: str) -> dt.date:
    """A date from ``YYYY-MM-DD`` text, refused in plain words."""
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        raise CommandRejected(f"{what} {text!r} is not a date; use YYYY-MM-DD, e.g. "
                              "2026-11-23") from None


def local_midnight(day: dt.date, tz: dt.tzinfo) -> str:
    """The instant ``day`` starts in ``tz``, as read-model text."""
    return str(iso(dt.datetime.combine(day, dt.time(), tz)))


@dataclass(frozen=True)
class Period:
    """The days ``first`` .. ``last`` (both included) in timezone ``tz``."""

    first: dt.date
    last: dt.date
    tz: dt.tzinfo

    @classmethod
    def from_text(cls, date_from: str, date_to: str, tz: dt.tzinfo,
                  today: dt.date) -> Period:
        last = parse_day(date_to, "--to") if date_to else today
        first = (parse_day(date_from, "--from") if date_from
                 else last - dt.timedelta(days=DEFAULT_DAYS - 1))
        if first > last:
            raise CommandRejected(f"the range starts ({first}) after it ends ({last})")
        if (last - first).days >= MAX_DAYS:
            raise CommandRejected(f"a report covers at most {MAX_DAYS} days")
        return cls(first, last, tz)

    @property
    def start(self) -> str:
        return local_midnight(self.first, self.tz)

    @property
    def end(self) -> str:
        """The instant after the last day (excluded)."""
        return local_midnight(self.last + dt.timedelta(days=1), self.tz)

    def scope(self, till: str | None = None) -> Scope:
        return Scope(self.start, self.end, till)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def buckets(self, by: str) -> list[Bucket]:
        """The period cut into ``day``, ``week`` or ``month`` buckets (the first and last
        ones cut to the period)."""
        starts: list[tuple[str, dt.date]] = []
        for day in self.days():
            if by == "day":
                key = day.isoformat()
            elif by == "week":
                year, week, _ = day.isocalendar()
                key = f"{year}-W{week:02d}"
            elif by == "month":
                key = f"{day:%Y-%m}"
            else:
                raise ValueError(by)
            if not starts or starts[-1][0] != key:
                starts.append((key, day))
        out = []
        for n, (key, day) in enumerate(starts):
            end_day = starts[n + 1][1] if n + 1 < len(starts) else self.last + dt.timedelta(days=1)
            out.append(Bucket(key, local_midnight(day, self.tz), local_midnight(end_day, self.tz)))
        return out

    def label(self) -> str:
        return (self.first.isoformat() if self.first == self.last
                else f"{self.first.isoformat()} – {self.last.isoformat()}")

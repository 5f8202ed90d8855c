"""What a shop's region implies: its currency (from CLDR, through Babel).

One small function, so the new-shop form, ``shop create`` and anything else take the
currency from the same maintained source (CLDR's territory data: GB -> GBP, DE -> EUR,
CH -> CHF), never from a hand-kept table.
"""

from __future__ import annotations

import datetime as dt


def currency_for_region(region: str, fallback: str = "EUR") -> str:
    """The ISO 4217 currency a region pays in today (``fallback`` when CLDR knows none)."""
    from babel.numbers import get_territory_currencies

    try:
        found = get_territory_currencies(region.upper(), start_date=dt.date.today(), tender=True)
    except (ValueError, LookupError):
        return fallback
    return str(found[0]) if found else fallback

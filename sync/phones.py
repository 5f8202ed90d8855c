"""Phone numbers normalised to E.164 so the same caller is one customer."""

from __future__ import annotations

import phonenumbers

from sync.errors import CommandRejected


def normalise_phone(text: str, region: str) -> str:
    """``"020 7946 0958"`` in GB -> ``"+442079460958"``; raises on anything not a number."""
    raw = (text or "").strip()
    if not raw:
        raise CommandRejected("phone number is empty")
    try:
        number = phonenumbers.parse(raw, region.upper() if region else None)
    except phonenumbers.NumberParseException as exc:
        raise CommandRejected(f"{raw!r} is not a phone number ({exc})") from None
    if not phonenumbers.is_possible_number(number):
        raise CommandRejected(f"{raw!r} is not a possible phone number for region {region}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def try_normalise_phone(text: str | None, region: str) -> str | None:
    """Best effort for numbers from devices: E.164 when possible, else the digits as given."""
    if not text:
        return None
    try:
        return normalise_phone(text, region)
    except CommandRejected:
        return text.strip() or None

"""Checks on what staff type into commands: refused with a plain reason, never stored wrong.

Each returns the value in its stored form or raises ``CommandRejected``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sync.errors import CommandRejected


def check_rate(value: Any) -> str:
    """A tax rate as decimal text (``"20"`` or ``"7.5"``), refused when not a number."""
    try:
        rate = Decimal(str(value).strip())
    except ArithmeticError:
        raise CommandRejected(f"tax rate {value!r} is not a number") from None
    if not rate.is_finite() or rate < 0:
        raise CommandRejected(f"tax rate {value!r} must be zero or more")
    return str(value).strip()


def check_level(value: Any) -> Decimal:
    """A stock threshold such as ``low_stock``: a finite decimal, zero or more."""
    try:
        level = Decimal(str(value).strip())
    except ArithmeticError:
        raise CommandRejected(f"{value!r} is not a quantity") from None
    if not level.is_finite() or level < 0:
        raise CommandRejected(f"stock level {value!r} must be zero or more")
    return level


def check_email(text: str) -> str:
    """An email address, lower-cased."""
    text = (text or "").strip()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in text):
        raise CommandRejected(f"{text!r} is not an email address")
    return text.lower()

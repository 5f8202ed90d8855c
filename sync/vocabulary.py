"""The shop's fixed words, each defined once: channels, payment methods, directions.

Pure (no imports beyond the standard library), so every layer may use it: ``devices``
tags what it brings in with a ``Channel``, the ledger checks records against these, the
UI labels them. Order statuses live beside their rules in ``sync/lifecycle.py``; kinds of
change in ``sync/changes.py``; data-dir file names in ``sync/file_names.py``.
"""

from __future__ import annotations

import enum


class Channel(enum.StrEnum):
    """Where a message or order came from."""

    COUNTER = "counter"
    PHONE = "phone"
    SMS = "sms"
    EMAIL = "email"
    WHATSAPP = "whatsapp"
    MESSENGER = "messenger"
    WEB = "web"


CHANNELS: tuple[str, ...] = tuple(c.value for c in Channel)
#: channels a message can arrive on (everything but the counter itself)
MESSAGE_CHANNELS: tuple[str, ...] = tuple(c for c in CHANNELS if c != Channel.COUNTER)
#: channels whose sender is a phone number (normalised to E.164)
PHONE_CHANNELS: tuple[str, ...] = (Channel.SMS.value, Channel.WHATSAPP.value,
                                   Channel.PHONE.value)

PAYMENT_METHODS: tuple[str, ...] = ("cash", "card", "transfer", "voucher", "other")
#: credit moved from a returned order to its exchange (written by the ledger, not typed)
EXCHANGE_CREDIT = "exchange"
#: methods whose refund must come back the same way it was paid (a card refund goes to
#: the card); cash, vouchers and the rest may refund any money taken
SAME_WAY_REFUNDS: tuple[str, ...] = ("card", "transfer")

#: counted selling units a product may have besides the measured ones (weights, volumes,
#: lengths and their multiples such as "100g", which ``sync.units`` knows and converts)
COUNT_UNITS: tuple[str, ...] = ("each", "pack", "box", "dozen", "pair", "set", "stem", "bunch",
                                "punnet", "tray", "bag", "jar", "bottle", "tin", "loaf",
                                "slice", "portion", "roll", "sheet")
#: the units offered first when staff pick one (any ``sync.units`` unit is accepted)
UNITS: tuple[str, ...] = ("each", "kg", "g", "100g", "l", "ml", "m", "cm", "lb",
                          *COUNT_UNITS[1:])

#: staff roles; a manager may also do what needs a manager (``sync.ledger.staff``)
STAFF_ROLES: tuple[str, ...] = ("counter", "manager")

DIRECTIONS: tuple[str, ...] = ("in", "out")

#: why stock is counted in or out; staff choose one (none is assumed for them)
STOCK_REASONS: tuple[str, ...] = ("delivery received", "stock count", "waste / spoiled",
                                  "breakage", "own use", "theft / loss", "correction")

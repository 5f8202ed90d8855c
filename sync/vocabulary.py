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

#: selling units whose quantities may have decimals (weighed or measured goods)
MEASURED_UNITS: tuple[str, ...] = ("kg", "g", "mg", "lb", "oz", "l", "cl", "ml", "m", "cm",
                                   "mm", "ft", "yd", "m2", "m3", "sqft")
#: units a product is sold in: counted ones, then the measured ones
UNITS: tuple[str, ...] = ("each", "pack", "box", "dozen", *MEASURED_UNITS)

#: staff roles; a manager may also do what needs a manager (``sync.ledger.staff``)
STAFF_ROLES: tuple[str, ...] = ("counter", "manager")

DIRECTIONS: tuple[str, ...] = ("in", "out")

#: why stock is counted in or out; staff choose one (none is assumed for them)
STOCK_REASONS: tuple[str, ...] = ("delivery received", "stock count", "waste / spoiled",
                                  "breakage", "own use", "theft / loss", "correction")

"""The shop itself: its record (name, currency, region, timezone) and shop-wide settings.

Shop-wide settings live in the shop document (STYLE.md point 11), so every till reads
the same intake threshold or demo flag; per-till settings stay in the till's own file.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger.records import SCHEMA_VERSION
from sync.money import check_currency

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore


class ShopManager:
    """``ledger.shop``: create the shop, read its record and settings, change a setting."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def create(self, name: str, currency: str = "", region: str = "GB",
               timezone: str = "UTC", till_name: str = "Till 1") -> Changes:
        """Create the shop document with this till as its first member; with no
        ``currency``, the region's (``sync.regions``)."""
        ledger = self.ledger
        if ledger.shop_doc_id is not None:
            raise CommandRejected("this till already belongs to a shop")
        name = (name or "").strip()
        if not name:
            raise CommandRejected("the shop needs a name")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandRejected(f"unknown timezone {timezone!r}") from None
        if not currency:
            from sync.regions import currency_for_region

            currency = currency_for_region(region)
        currency = check_currency(currency)
        import phonenumbers

        if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise CommandRejected(f"{region!r} is not a region code such as GB, DE or US")
        stored = ledger.docs.create()
        doc_id = stored.doc_id
        now = ledger.clock()
        with ledger.docs.write(stored) as w:
            w.put(Root, "schema", SCHEMA_VERSION)
            w.put(Root, "kind", "shop")
            w.put_map(Root, "shop", {"id": doc_id, "name": name, "currency": currency.upper(),
                                     "region": region.upper(), "timezone": timezone,
                                     "created_at": now})
            w.put_map(Root, "settings", {"auto_draft_confidence": 0.8})
            # the shop's first till is its manager (``sync.ledger.tills``)
            w.put_map(Root, "tills", {ledger.till_id: {"name": till_name, "prefix": "A",
                                                       "role": "manager", "joined_at": now,
                                                       "removed": False}})
            for key in ("products", "suppliers", "customers", "alerts", "periods", "staff",
                        "purchase_orders"):
                w.put_map(Root, key, {})
        ledger.shop_doc_id = doc_id
        return Changes(shop=True, tills=True, created=doc_id)

    def info(self) -> dict[str, Any]:
        """The shop's record: id, name, currency, region, timezone, created_at."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "shop", {}) or {})

    def settings(self) -> dict[str, Any]:
        """Shop-wide settings (``set_setting``): intake threshold, demo flag, ..."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "settings", {}) or {})

    def set_setting(self, key: str, value: Any) -> Changes:
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put(w.ensure_map(Root, "settings"), key, value)
        return Changes(shop=True)

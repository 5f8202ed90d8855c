"""``ShopLedger``: one till's handle on the shop's documents, with a manager per domain.

Like Anki's ``Collection``, the ledger owns the storage and the identity of the till
and hands each domain to a manager: ``ledger.shop`` (the shop's own record and
settings), ``ledger.tills``, ``ledger.staff``, ``ledger.catalog`` (products, stock),
``ledger.purchasing`` (suppliers, purchase orders), ``ledger.customers``,
``ledger.orders``, ``ledger.inbox`` (messages and calls), ``ledger.alerts``,
``ledger.cashups`` (days closed), ``ledger.conversations`` (assignee, tags, done,
snoozed) and ``ledger.replies`` (quick replies, status-change templates).
``ledger.docs`` is the document plumbing they share. The ledger itself keeps only what
every manager reads: which shop, which till, the clock, and the shop's timezone, region
and currency.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync.am_doc import Reader, Root
from sync.doc_storage import DocumentStore, StoredDocument
from sync.errors import NoShop
from sync.ids import DocId, OrderId, TillId
from sync.ledger.alerts import AlertManager
from sync.ledger.cashups import CashupManager
from sync.ledger.catalog import CatalogManager
from sync.ledger.conversations import ConversationManager
from sync.ledger.customers import CustomerManager
from sync.ledger.documents import LedgerDocuments, doc_seq
from sync.ledger.inbox import InboxManager
from sync.ledger.orders import OrderManager
from sync.ledger.purchasing import PurchasingManager
from sync.ledger.records import utcnow
from sync.ledger.replies import ReplyManager
from sync.ledger.shop import ShopManager
from sync.ledger.staff import StaffManager
from sync.ledger.tills import TillManager
from sync.money import money_text, region_locale


class ShopLedger:
    """All commands of one till. Single writer: call from one thread/loop only."""

    def __init__(self, store: DocumentStore, till_id: TillId, shop_doc: DocId | None = None,
                 *, locate_order: Callable[[str], tuple[OrderId, DocId] | None] | None = None,
                 locate_message: Callable[[str], DocId | None] | None = None,
                 locate_customer: Callable[[str], str | None] | None = None,
                 clock: Callable[[], dt.datetime] = utcnow,
                 signer: Callable[[bytes], bytes] | None = None) -> None:
        self.store = store
        self.till_id = till_id
        #: seals this till's changes in shops of several tills (``sync.authority``)
        self.signer = signer
        self.shop_doc_id = shop_doc
        self.clock = clock
        self.docs = LedgerDocuments(self, locate_order=locate_order)
        self.shop = ShopManager(self)
        self.tills = TillManager(self)
        self.catalog = CatalogManager(self)
        self.customers = CustomerManager(self, locate_customer=locate_customer)
        self.inbox = InboxManager(self, locate_message=locate_message)
        self.alerts = AlertManager(self)
        self.staff = StaffManager(self)
        self.purchasing = PurchasingManager(self, catalog=self.catalog, tills=self.tills)
        self.conversations = ConversationManager(self)
        self.replies = ReplyManager(self)
        self.cashups = CashupManager(self)
        self.orders = OrderManager(self, catalog=self.catalog, customers=self.customers,
                                   tills=self.tills, inbox=self.inbox)
        if shop_doc is not None:
            self.open_shop()

    @property
    def shop_doc(self) -> StoredDocument:
        """The shop document (settings, tills, catalog, customers, alerts, periods)."""
        if self.shop_doc_id is None:
            raise NoShop("no shop here yet: run `countertop shop create --name NAME` first")
        return self.store.get(self.shop_doc_id)

    def attach_shop(self, shop_doc: DocId) -> None:
        """Belong to the shop whose document is ``shop_doc`` (after joining it)."""
        self.shop_doc_id = shop_doc
        self.open_shop()

    def open_shop(self) -> None:
        """Check the shop document, pick up this till's order sequence, index recent periods."""
        reader = Reader(self.shop_doc.doc)
        if reader.value(Root, "kind") != "shop":
            raise NoShop(f"document {self.shop_doc_id} is not a shop document")
        docs = self.docs
        for doc_id in docs.my_period_docs()[-2:]:
            if self.store.exists(doc_id):
                docs.seq = max(docs.seq, doc_seq(docs.reader(doc_id)))
        for doc_id in docs.current_period_docs():
            docs.index(doc_id)

    @property
    def tz(self) -> dt.tzinfo:
        try:
            return ZoneInfo(self.shop.info().get("timezone") or "UTC")
        except ZoneInfoNotFoundError:
            return dt.UTC

    @property
    def region(self) -> str:
        return str(self.shop.info().get("region") or "GB")

    @property
    def currency(self) -> str:
        return str(self.shop.info().get("currency") or "EUR")

    @property
    def locale(self) -> str:
        """How the shop's people read amounts: its ``locale`` setting, else its region's."""
        return str(self.setting("locale") or region_locale(self.region))

    def money_text(self, minor: int) -> str:
        """An amount as staff read it ("£1,234.50"), for refusals and the history."""
        return money_text(minor, self.currency, self.locale)

    def setting(self, key: str, default: Any = None) -> Any:
        """One shop-wide setting (``shop.set_setting``), ``default`` when unset."""
        value = self.shop.settings().get(key)
        return default if value is None else value

    def month_of(self, when: dt.datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m")

"""The shop ledger: typed commands over the shop's Automerge documents.

Documents (DESIGN.md "Keep each document small"):

- the **shop document**: shop settings, tills, catalog, suppliers, customers,
  overbooking alerts and the list of period documents;
- **period documents**, one per till per month: that till's orders, messages, calls,
  and stock counters (per-till registers, see am_doc). A till writes new records only into its own period document,
  so order numbers (till prefix + per-till sequence) never collide and no two tills
  ever create the same document.

Every command is one Automerge transaction on one document, fsynced before it returns,
and returns a ``Changes`` naming what it touched. A product's level is goods counted in
or out (``adjust_stock``: per-till counters in period documents, summed over all of
them) plus what orders hold, which follows from each order's merged state: confirmed
orders reserve their lines, dispatched or handed-over orders have taken them, returns
put back what was restocked. The read model keeps both sums. So two tills selling at
once both count, and the same move made on two tills at once counts once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sync import lifecycle
from sync.am_doc import (
    Obj,
    Reader,
    Root,
    Writer,
    new_doc_id,
    stock_register_key,
)
from sync.am_touch import next_local_seq, write_touch_hint
from sync.changes import Changes
from sync.doc_storage import DocumentStore, StoredDocument
from sync.errors import CommandRejected, NoShop, NotFound
from sync.ids import CustomerId, DocId, OrderId, TillId
from sync.money import line_total, milli, qty_str
from sync.phones import normalise_phone

log = logging.getLogger("countertop.sync.ledger")

SCHEMA_VERSION = 1
CHANNELS = ("counter", "phone", "sms", "email", "whatsapp", "messenger", "web")
PAYMENT_METHODS = ("cash", "card", "transfer", "voucher", "other")
DEFAULT_LOCATION = "main"
_PREFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def new_id(prefix: str) -> str:
    """Random ids: unique across tills with no coordination."""
    return f"{prefix}_{secrets.token_hex(8)}"


@dataclass
class LineInput:
    """One order line as a command receives it."""

    quantity: Decimal
    sku: str | None = None
    description: str | None = None
    unit_price: int | None = None  # minor units; catalog price when None
    notes: str = ""
    modifiers: list[str] = field(default_factory=list)


@dataclass
class FulfilmentInput:
    kind: str = "pickup"  # pickup | delivery
    address: str = ""
    carrier: str = ""
    tracking: str = ""


@dataclass
class ImportedOrder:
    """A past order for ``ShopLedger.import_orders``: what happened to it, with times."""

    created_at: dt.datetime
    lines: list[LineInput]
    customer_id: str | None = None
    channel: str = "counter"
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    assignee: str = ""
    fulfilment: FulfilmentInput | None = None
    statuses: list[tuple[dt.datetime, str]] = field(default_factory=list)  # moves after new
    payments: list[tuple[dt.datetime, int, str]] = field(default_factory=list)  # at, amount, method
    by: str = ""


class ShopLedger:
    """All commands of one till. Single writer: call from one thread/loop only."""

    def __init__(self, store: DocumentStore, till_id: TillId, shop_doc: DocId | None = None,
                 *, locate_order: Callable[[str], tuple[OrderId, DocId] | None] | None = None,
                 locate_message: Callable[[str], DocId | None] | None = None,
                 locate_customer: Callable[[str], str | None] | None = None,
                 clock: Callable[[], dt.datetime] = utcnow) -> None:
        self.store = store
        self.till_id = till_id
        self.shop_doc_id = shop_doc
        self._locate_external = locate_order
        self._locate_external_message = locate_message
        self._locate_customer = locate_customer
        self.clock = clock
        self._orders: dict[str, DocId] = {}  # order id -> period doc (loaded docs)
        self._numbers: dict[str, str] = {}  # order number -> order id (loaded docs)
        self._message_keys: dict[str, tuple[DocId, str]] = {}
        self._messages: dict[str, DocId] = {}  # message id -> period doc (loaded docs)
        self._my_periods: dict[str, DocId] = {}  # month -> this till's period doc
        self._indexed: set[DocId] = set()
        self._seq = 0
        if shop_doc is not None:
            self._open_shop()

    # ------------------------------------------------------------------ documents

    @property
    def shop(self) -> StoredDocument:
        if self.shop_doc_id is None:
            raise NoShop("no shop here yet: run `countertop shop create --name NAME` first")
        return self.store.get(self.shop_doc_id)

    def attach_shop(self, shop_doc: DocId) -> None:
        """Belong to the shop whose document is ``shop_doc`` (after joining it)."""
        self.shop_doc_id = shop_doc
        self._open_shop()

    def _open_shop(self) -> None:
        reader = Reader(self.shop.doc)
        if reader.value(Root, "kind") != "shop":
            raise NoShop(f"document {self.shop_doc_id} is not a shop document")
        for doc_id in self._my_period_docs()[-2:]:
            if self.store.exists(doc_id):
                self._seq = max(self._seq, _doc_seq(Reader(self.store.get(doc_id).doc)))
        for doc_id in self.current_period_docs():
            self._index(doc_id)

    @contextmanager
    def _write(self, stored: StoredDocument) -> Iterator[Writer]:
        """One transaction on one document, durable (fsynced) when the block exits.

        In a shop of several tills the change also carries the records it touched
        (``am_touch.write_touch_hint``), so the other tills update their read models without
        diffing the whole document. The hint is a write into an object made early in the
        document, which automerge 0.2.0.dev4 charges in proportion to everything after it
        (~11 ms per command at 5k orders a month), so a till alone does not pay for it.
        """
        hints = self._several_tills(stored)
        if hints:
            seq, actor = next_local_seq(stored.doc), stored.doc.get_actor()
        with stored.doc.transaction() as tx:
            w = Writer(tx)
            yield w
            if hints:
                write_touch_hint(w, actor, seq)
        stored.persist()

    def _several_tills(self, stored: StoredDocument) -> bool:
        if self.shop_doc_id is None:  # creating the shop
            return False
        tills = Reader(self.shop.doc).obj(Root, "tills")
        return tills is not None and len(Reader(self.shop.doc).keys(tills)) > 1

    def reader(self, doc_id: DocId) -> Reader:
        return Reader(self.store.get(doc_id).doc)

    @property
    def settings(self) -> dict[str, Any]:
        return dict(Reader(self.shop.doc).value(Root, "shop", {}) or {})

    def shop_settings(self) -> dict[str, Any]:
        """Shop-wide settings (``set_setting``): intake threshold, demo flag, ..."""
        return dict(Reader(self.shop.doc).value(Root, "settings", {}) or {})

    @property
    def tz(self) -> dt.tzinfo:
        try:
            return ZoneInfo(self.settings.get("timezone") or "UTC")
        except ZoneInfoNotFoundError:
            return dt.UTC

    @property
    def region(self) -> str:
        return str(self.settings.get("region") or "GB")

    @property
    def currency(self) -> str:
        return str(self.settings.get("currency") or "EUR")

    def month_of(self, when: dt.datetime) -> str:
        return when.astimezone(self.tz).strftime("%Y-%m")

    def periods(self) -> dict[str, dict[str, Any]]:
        """month -> {doc_id: {month, till, created_at}} for every period document of the shop.

        Stored flat, ``periods[doc_id]``: two tills starting a month at the same time each
        add their own key. A map per month would be created by both, and a merge keeps
        only one of two concurrently created maps, losing the other till's document.
        """
        out: dict[str, dict[str, Any]] = {}
        for doc_id, meta in (Reader(self.shop.doc).value(Root, "periods", {}) or {}).items():
            if isinstance(meta, dict) and meta.get("month"):
                out.setdefault(str(meta["month"]), {})[doc_id] = meta
        return out

    def period_doc_ids(self) -> list[DocId]:
        return [DocId(d) for month in sorted(self.periods()) for d in self.periods()[month]]

    def _my_period_docs(self) -> list[DocId]:
        out = []
        for month, docs in sorted(self.periods().items()):
            for doc_id, meta in docs.items():
                if meta.get("till") == self.till_id:
                    out.append(DocId(doc_id))
        return out

    def current_period_docs(self) -> list[DocId]:
        """Period documents loaded at start: this month's and last month's, every till."""
        now = self.clock().astimezone(self.tz)
        last = (now.replace(day=1) - dt.timedelta(days=1)).strftime("%Y-%m")
        periods = self.periods()
        wanted: list[DocId] = []
        for month in (last, now.strftime("%Y-%m")):
            wanted.extend(DocId(d) for d in periods.get(month, {}) if self.store.exists(DocId(d)))
        return wanted

    def _index(self, doc_id: DocId) -> None:
        """Learn which orders and messages a loaded period document holds.

        Order ids are the map's keys (one read). Numbers take two reads per order (1.5 s
        of engine start with 18k orders in the loaded months), so with a ``locate_order``
        (the engine's read model knows every number) numbers are left to it.
        """
        if doc_id in self._indexed:
            return
        reader = self.reader(doc_id)
        orders = reader.obj(Root, "orders")
        if orders is not None and self._locate_external is not None:
            for oid in reader.keys(orders):
                self._orders[oid] = doc_id
        elif orders is not None:
            for oid, obj in reader.items(orders):
                self._orders[oid] = doc_id
                number = reader.value(obj, "number")
                if number:
                    self._numbers[str(number)] = oid
        messages = reader.obj(Root, "messages")
        if messages is not None:
            for mid, obj in reader.items(messages):
                if self._messages.get(mid, doc_id) < doc_id:
                    continue  # two tills stored it: use the copy the read model shows
                self._messages[mid] = doc_id
                key = reader.value(obj, "dedupe_key")
                if key:
                    self._message_keys[str(key)] = (doc_id, mid)
        self._indexed.add(doc_id)

    def reindex(self, doc_id: DocId) -> None:
        """After a merge brought new records into ``doc_id``."""
        self._indexed.discard(doc_id)
        self._index(doc_id)

    def _my_period(self, when: dt.datetime | None = None) -> StoredDocument:
        """This till's period document for the month of ``when``, created on first use."""
        month = self.month_of(when or self.clock())
        cached = self._my_periods.get(month)
        if cached is not None:
            return self.store.get(cached)
        for doc_id, meta in self.periods().get(month, {}).items():
            if meta.get("till") == self.till_id and self.store.exists(DocId(doc_id)):
                self._index(DocId(doc_id))
                self._my_periods[month] = DocId(doc_id)
                return self.store.get(DocId(doc_id))
        doc_id = new_doc_id()
        stored = self.store.create(doc_id)
        with self._write(stored) as w:
            w.put(Root, "schema", SCHEMA_VERSION)
            w.put(Root, "kind", "period")
            w.put(Root, "month", month)
            w.put(Root, "till", self.till_id)
            w.put(Root, "seq_base", self._seq)  # see _doc_seq
            for key in ("orders", "messages", "calls", "stock", "stock_moves"):
                w.put_map(Root, key, {})
        with self._write(self.shop) as w:
            periods = w.ensure_map(Root, "periods")
            w.put_map(periods, doc_id, {"month": month, "till": self.till_id,
                                        "created_at": self.clock()})
        self._indexed.add(doc_id)
        self._my_periods[month] = doc_id
        return stored

    # ------------------------------------------------------------------ shop and tills

    def create_shop(self, name: str, currency: str = "EUR", region: str = "GB",
                    timezone: str = "UTC", till_name: str = "Till 1") -> Changes:
        """Create the shop document with this till as its first member."""
        if self.shop_doc_id is not None:
            raise CommandRejected("this till already belongs to a shop")
        name = (name or "").strip()
        if not name:
            raise CommandRejected("the shop needs a name")
        try:
            ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise CommandRejected(f"unknown timezone {timezone!r}") from None
        if len(currency) != 3 or not currency.isalpha():
            raise CommandRejected(f"{currency!r} is not an ISO 4217 currency code")
        import phonenumbers

        if region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise CommandRejected(f"{region!r} is not a region code such as GB, DE or US")
        doc_id = new_doc_id()
        stored = self.store.create(doc_id)
        now = self.clock()
        with self._write(stored) as w:
            w.put(Root, "schema", SCHEMA_VERSION)
            w.put(Root, "kind", "shop")
            w.put_map(Root, "shop", {"id": doc_id, "name": name, "currency": currency.upper(),
                                     "region": region.upper(), "timezone": timezone,
                                     "created_at": now})
            w.put_map(Root, "settings", {"auto_draft_confidence": 0.8})
            w.put_map(Root, "tills", {self.till_id: {"name": till_name, "prefix": "A",
                                                     "joined_at": now, "removed": False}})
            for key in ("products", "suppliers", "customers", "alerts", "periods"):
                w.put_map(Root, key, {})
        self.shop_doc_id = doc_id
        return Changes(shop=True, tills=True, created=doc_id)

    def tills(self) -> dict[str, dict[str, Any]]:
        return dict(Reader(self.shop.doc).value(Root, "tills", {}) or {})

    def members(self) -> set[str]:
        return {t for t, info in self.tills().items() if not info.get("removed")}

    def add_till(self, till_id: str, name: str) -> Changes:
        """Make a paired till a member, with the next free order-number prefix."""
        tills = self.tills()
        if till_id in tills and not tills[till_id].get("removed"):
            raise CommandRejected("that till is already a member")
        used = {info.get("prefix") for info in tills.values()}
        prefix = next((p for p in _PREFIXES if p not in used), None)
        if prefix is None:
            prefix = "T" + till_id[:4].upper()
        with self._write(self.shop) as w:
            tills_obj = w.ensure_map(Root, "tills")
            w.put_map(tills_obj, till_id, {"name": name, "prefix": prefix, "joined_at": self.clock(),
                                           "removed": False})
        return Changes(tills=True, created=till_id)

    def remove_till(self, till_id: str) -> Changes:
        tills = self.tills()
        if till_id not in tills:
            raise NotFound(f"no till {till_id}")
        if till_id == self.till_id:
            raise CommandRejected("a till cannot remove itself; remove it from another till")
        with self._write(self.shop) as w:
            obj = w.path("tills", till_id)
            assert obj is not None
            w.put(obj, "removed", True)
            w.put(obj, "removed_at", self.clock())
        return Changes(tills=True)

    def rename_till(self, name: str) -> Changes:
        with self._write(self.shop) as w:
            obj = w.path("tills", self.till_id)
            if obj is None:
                raise NotFound("this till is not a member of the shop")
            w.put(obj, "name", name)
        return Changes(tills=True)

    def set_setting(self, key: str, value: Any) -> Changes:
        with self._write(self.shop) as w:
            w.put(w.ensure_map(Root, "settings"), key, value)
        return Changes(shop=True)

    def _prefix(self) -> str:
        """This till's order-number prefix, unique among the shop's tills.

        ``add_till`` picks a free letter, but two tills pairing new tills at the same time
        both pick the same one. Once the shop document has merged, the till that joined
        first (then the lower id) keeps the letter and the others number ``C2-``, ``C3-``
        on, so numbers stay unique without coordination from then on.
        """
        tills = self.tills()
        info = tills.get(self.till_id)
        if info is None:
            raise CommandRejected("this till is not a member of the shop")
        prefix = str(info.get("prefix") or "A")
        sharing = sorted((iso_key(t.get("joined_at")), tid) for tid, t in tills.items()
                         if str(t.get("prefix") or "A") == prefix)
        rank = [tid for _, tid in sharing].index(self.till_id)
        return prefix if rank == 0 else f"{prefix}{rank + 1}"

    # ------------------------------------------------------------------ catalog and stock

    def products(self) -> dict[str, dict[str, Any]]:
        return dict(Reader(self.shop.doc).value(Root, "products", {}) or {})

    def product(self, sku: str) -> dict[str, Any]:
        reader = Reader(self.shop.doc)
        obj = reader.path("products", sku)
        if obj is None:
            raise CommandRejected(f"unknown SKU {sku!r}")
        return dict(reader.to_py(obj))

    def add_product(self, sku: str, name: str, price: int, *, aliases: Iterable[str] = (),
                    unit: str = "each", tax_rate: str = "0", stock: Decimal | None = None,
                    low_stock: Decimal | None = None, variants: Iterable[str] = (),
                    option_groups: Mapping[str, Iterable[str]] | None = None,
                    location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        sku = (sku or "").strip()
        if not sku or any(c.isspace() for c in sku) or ":" in sku:
            raise CommandRejected(f"SKU {sku!r} must be non-empty, without spaces or ':'")
        if not (name or "").strip():
            raise CommandRejected("the product needs a name")
        if price < 0:
            raise CommandRejected("price cannot be negative")
        if Reader(self.shop.doc).path("products", sku) is not None:
            raise CommandRejected(f"SKU {sku} already exists")
        tax_rate = _check_rate(tax_rate)
        if low_stock is not None:
            low_stock = _check_level(low_stock)
        with self._write(self.shop) as w:
            products = w.ensure_map(Root, "products")
            w.put_map(products, sku, {
                "sku": sku, "name": name.strip(), "aliases": [a.strip() for a in aliases if a.strip()],
                "unit": unit, "price": price, "tax_rate": str(tax_rate), "active": True,
                "low_stock": qty_str(low_stock) if low_stock is not None else None,
                "variants": list(variants),
                "option_groups": {k: list(v) for k, v in (option_groups or {}).items()},
                "created_at": self.clock(),
            })
        changes = Changes(products={sku}, created=sku)
        if stock:
            changes.merge(self.adjust_stock(sku, stock, reason="initial stock", location=location,
                                            by=by))
        return changes

    def update_product(self, sku: str, **fields: Any) -> Changes:
        allowed = {"name", "price", "unit", "tax_rate", "active", "low_stock", "aliases",
                   "variants", "option_groups"}
        bad = set(fields) - allowed
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a product")
        self.product(sku)
        if "name" in fields:
            if not str(fields["name"] or "").strip():
                raise CommandRejected("the product needs a name")
            fields["name"] = str(fields["name"]).strip()
        if "price" in fields and (not isinstance(fields["price"], int) or fields["price"] < 0):
            raise CommandRejected("price must be a non-negative amount in minor units")
        if "tax_rate" in fields:
            fields["tax_rate"] = _check_rate(fields["tax_rate"])
        if fields.get("low_stock") is not None:
            fields["low_stock"] = qty_str(_check_level(fields["low_stock"]))
        with self._write(self.shop) as w:
            obj = w.path("products", sku)
            assert obj is not None
            for key, value in fields.items():
                w.put(obj, key, value)
        return Changes(products={sku})

    def add_alias(self, sku: str, alias: str) -> Changes:
        """Remember a shop word for a product (intake corrections)."""
        self.product(sku)
        alias = alias.strip()
        if not alias:
            raise CommandRejected("alias is empty")
        with self._write(self.shop) as w:
            obj = w.path("products", sku, "aliases")
            assert obj is not None
            if alias.lower() not in {str(a).lower() for a in w.to_py(obj)}:
                w.append(obj, alias)
        return Changes(products={sku})

    def adjust_stock(self, sku: str, delta: Decimal, *, reason: str,
                     location: str = DEFAULT_LOCATION, by: str = "") -> Changes:
        """Count goods in or out (delivery from a supplier, breakage, stock-take)."""
        self.product(sku)
        if not reason.strip():
            raise CommandRejected("say why the stock changes (a reason is required)")
        if delta == 0:
            raise CommandRejected("a stock adjustment of zero changes nothing")
        period = self._my_period()
        with self._write(period) as w:
            self._bump_stock(w, sku, location, on_hand=milli(delta))
            moves = w.ensure_map(Root, "stock_moves")
            w.put_map(moves, new_id("mv"), {"sku": sku, "location": location,
                                            "delta": qty_str(delta), "reason": reason,
                                            "at": self.clock(), "till": self.till_id, "by": by})
        return Changes(stock={sku}, products={sku})

    def _bump_stock(self, w: Writer, sku: str, location: str, *, on_hand: int = 0,
                    reserved: int = 0) -> None:
        """Add to this till's own stock register for ``sku`` at ``location`` (see am_doc)."""
        stock = w.ensure_map(Root, "stock")
        key = stock_register_key(sku, location, self.till_id)
        regs = w.obj(stock, key)
        if regs is None:
            regs = w.put_map(stock, key, {"sku": sku, "location": location,
                                          "till": self.till_id, "on_hand": 0, "reserved": 0})
        if on_hand:
            w.put(regs, "on_hand", int(w.value(regs, "on_hand", 0) or 0) + on_hand)
        if reserved:
            w.put(regs, "reserved", int(w.value(regs, "reserved", 0) or 0) + reserved)

    def add_supplier(self, name: str, *, contact: str = "", products: Iterable[str] = (),
                     lead_time_days: int = 0) -> Changes:
        if not name.strip():
            raise CommandRejected("the supplier needs a name")
        skus = list(products)
        for sku in skus:
            self.product(sku)
        sid = new_id("sup")
        with self._write(self.shop) as w:
            w.put_map(w.ensure_map(Root, "suppliers"), sid, {
                "id": sid, "name": name.strip(), "contact": contact, "products": skus,
                "lead_time_days": int(lead_time_days)})
        return Changes(suppliers={sid}, created=sid)

    # ------------------------------------------------------------------ customers

    def customers(self) -> dict[str, dict[str, Any]]:
        return dict(Reader(self.shop.doc).value(Root, "customers", {}) or {})

    def customer(self, customer_id: str) -> dict[str, Any]:
        reader = Reader(self.shop.doc)
        obj = reader.path("customers", customer_id)
        if obj is None:
            raise NotFound(f"no customer {customer_id}")
        return dict(reader.to_py(obj))

    def add_customer(self, name: str, *, phones: Iterable[str] = (), emails: Iterable[str] = (),
                     addresses: Iterable[str] = (), notes: str = "",
                     tags: Iterable[str] = ()) -> Changes:
        name = (name or "").strip()
        if not name:
            raise CommandRejected("the customer needs a name")
        e164 = [normalise_phone(p, self.region) for p in phones]
        mails = [_check_email(e) for e in emails]
        cid = CustomerId(new_id("cus"))
        with self._write(self.shop) as w:
            w.put_map(w.ensure_map(Root, "customers"), cid, self._new_customer_record(
                cid, name, e164, mails, addresses, notes, tags))
        return Changes(customers={cid}, created=cid)

    def _new_customer_record(self, cid: str, name: str, e164: list[str], mails: list[str],
                             addresses: Iterable[str], notes: str, tags: Iterable[str],
                             created_at: dt.datetime | None = None) -> dict[str, Any]:
        """The stored layout of a customer: one place for ``add_customer`` and imports."""
        return {"id": cid, "name": name, "phones": e164, "emails": mails,
                "addresses": [a for a in addresses if a.strip()], "notes": notes,
                "tags": {t: True for t in tags}, "merged_into": None,
                "created_at": created_at or self.clock()}

    def update_customer(self, customer_id: str, *, name: str | None = None,
                        add_phones: Iterable[str] = (), add_emails: Iterable[str] = (),
                        add_addresses: Iterable[str] = (), notes: str | None = None,
                        add_tags: Iterable[str] = (), remove_tags: Iterable[str] = ()) -> Changes:
        current = self.customer(customer_id)
        e164 = [normalise_phone(p, self.region) for p in add_phones]
        mails = [_check_email(e) for e in add_emails]
        with self._write(self.shop) as w:
            obj = w.path("customers", customer_id)
            assert obj is not None
            if name is not None:
                if not name.strip():
                    raise CommandRejected("the customer needs a name")
                w.put(obj, "name", name.strip())
            if notes is not None:
                w.put(obj, "notes", notes)
            for key, values in (("phones", e164), ("emails", mails),
                                ("addresses", list(add_addresses))):
                lst = w.obj(obj, key)
                assert lst is not None
                for v in values:
                    if v not in current.get(key, []):
                        w.append(lst, v)
            tags = w.ensure_map(obj, "tags")
            for t in add_tags:
                w.put(tags, t, True)
            for t in remove_tags:
                w.put(tags, t, False)
        return Changes(customers={customer_id})

    def merge_customers(self, keep: str, merge: str) -> Changes:
        """Fold ``merge`` into ``keep``: contacts copied, ``merge`` marked merged-into."""
        if keep == merge:
            raise CommandRejected("cannot merge a customer into itself")
        self.customer(keep)
        other = self.customer(merge)
        if other.get("merged_into"):
            raise CommandRejected(f"{merge} was already merged into {other['merged_into']}")
        # ``keep`` may itself have been merged away: fold into the customer kept now, and
        # never into ``merge`` (which would make a cycle and hide both)
        keep = self._kept_customer(keep)
        if keep == merge:
            raise CommandRejected("those are already the same customer")
        target = self.customer(keep)
        with self._write(self.shop) as w:
            kobj = w.path("customers", keep)
            mobj = w.path("customers", merge)
            assert kobj is not None and mobj is not None
            for key in ("phones", "emails", "addresses"):
                lst = w.obj(kobj, key)
                assert lst is not None
                for v in other.get(key, []):
                    if v not in target.get(key, []):
                        w.append(lst, v)
            tags = w.ensure_map(kobj, "tags")
            for t, on in (other.get("tags") or {}).items():
                if on:
                    w.put(tags, t, True)
            if other.get("notes"):
                joined = "\n".join(x for x in (target.get("notes"), other["notes"]) if x)
                w.put(kobj, "notes", joined)
            w.put(mobj, "merged_into", keep)
        return Changes(customers={keep, merge})

    def _kept_customer(self, customer_id: str) -> str:
        """Follow ``merged_into`` to the customer that is kept."""
        customers = self.customers()
        seen: set[str] = set()
        while customer_id not in seen and customers.get(customer_id, {}).get("merged_into"):
            seen.add(customer_id)
            customer_id = str(customers[customer_id]["merged_into"])
        return customer_id

    def find_customer(self, ref: str) -> str | None:
        """Customer id for an id, E.164 phone, or email; follows merges."""
        ref = ref.strip()
        if self._locate_customer is not None:
            return self._locate_customer(ref)
        customers = self.customers()
        hit: str | None = None
        if ref in customers:
            hit = ref
        elif "@" in ref:
            low = ref.lower()
            hit = next((cid for cid, c in customers.items()
                        if low in [e.lower() for e in c.get("emails", [])]), None)
        else:
            try:
                e164 = normalise_phone(ref, self.region)
            except CommandRejected:
                return None
            hit = next((cid for cid, c in customers.items() if e164 in c.get("phones", [])), None)
        seen = set()
        while hit and customers.get(hit, {}).get("merged_into") and hit not in seen:
            seen.add(hit)
            hit = customers[hit]["merged_into"]
        return hit

    # ------------------------------------------------------------------ orders

    def locate_order(self, ref: str) -> tuple[OrderId, DocId]:
        """(order id, period doc) for an order id or number such as ``A-0042``."""
        ref = ref.strip()
        oid = self._numbers.get(ref.upper(), ref)
        doc_id = self._orders.get(oid)
        if doc_id is None and self._locate_external is not None:
            found = self._locate_external(ref)
            if found is not None:
                oid, doc_id = found
                self._index(doc_id)
        if doc_id is None:
            raise NotFound(f"no order {ref}")
        return OrderId(oid), doc_id

    def order(self, ref: str) -> dict[str, Any]:
        oid, doc_id = self.locate_order(ref)
        reader = self.reader(doc_id)
        obj = reader.path("orders", oid)
        if obj is None:
            raise NotFound(f"no order {ref}")
        out = dict(reader.to_py(obj))
        out["doc_id"] = doc_id
        return out

    def _resolve_line(self, line: LineInput,
                      catalog: Mapping[str, Mapping[str, Any]] | None = None) -> dict[str, Any]:
        """Stored form of a line; ``catalog`` (sku -> product) saves lookups in bulk imports."""
        if line.sku:
            if catalog is None:
                product: Mapping[str, Any] = self.product(line.sku)
            elif line.sku in catalog:
                product = catalog[line.sku]
            else:
                raise CommandRejected(f"unknown SKU {line.sku!r}")
            if not product.get("active", True):
                raise CommandRejected(f"product {line.sku} is no longer sold")
            price = line.unit_price if line.unit_price is not None else int(product["price"])
            desc = line.description or product["name"]
        else:
            if not (line.description or "").strip():
                raise CommandRejected("a free-text line needs a description")
            if line.unit_price is None:
                raise CommandRejected(f"free-text line {line.description!r} needs a price")
            price, desc = line.unit_price, line.description or ""
        if price < 0:
            raise CommandRejected("a line price cannot be negative")
        return {"sku": line.sku, "description": desc, "qty": qty_str(line.quantity),
                "unit_price": price, "notes": line.notes, "modifiers": list(line.modifiers),
                "removed": False, "returned_qty": "0", "stock_qty": "0"}

    def create_order(self, *, customer_id: str | None, lines: Iterable[LineInput] = (),
                     channel: str = "counter", notes: str = "", tags: Iterable[str] = (),
                     assignee: str = "", due_at: dt.datetime | None = None,
                     fulfilment: FulfilmentInput | None = None,
                     custom_fields: Mapping[str, str] | None = None,
                     source_message_ids: Iterable[str] = (), by: str = "") -> Changes:
        if channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {channel!r}; use one of: {', '.join(CHANNELS)}")
        if customer_id is not None:
            customer = self.customer(customer_id)
            if customer.get("merged_into"):
                customer_id = str(customer["merged_into"])
        fulfil = fulfilment or FulfilmentInput()
        if fulfil.kind not in ("pickup", "delivery"):
            raise CommandRejected("fulfilment is pickup or delivery")
        if due_at is not None and due_at.tzinfo is None:
            raise CommandRejected("due time needs a timezone")
        resolved = [self._resolve_line(line) for line in lines]
        prefix = self._prefix()
        period = self._my_period()
        now = self.clock()
        oid = OrderId(new_id("ord"))
        number = f"{prefix}-{self._seq + 1:04d}"
        with self._write(period) as w:
            orders = w.ensure_map(Root, "orders")
            if w.value(Root, "seq_base") is None:  # a document from before seq_base
                w.put(Root, "seq_base", self._seq - len(w.keys(orders)))
            w.put_map(orders, oid, self._new_order_record(
                oid, number, customer_id=customer_id, resolved=resolved, channel=channel,
                notes=notes, tags=tags, assignee=assignee, due_at=due_at, fulfil=fulfil,
                custom_fields=custom_fields, source_message_ids=source_message_ids, by=by,
                now=now))
        self._seq += 1
        self._orders[oid] = period.doc_id
        self._numbers[number] = oid
        changes = Changes(orders={oid}, created=oid)
        for mid in source_message_ids:
            changes.merge(self._link_message(mid, oid))
        return changes

    def _new_order_record(self, oid: str, number: str, *, customer_id: str | None,
                          resolved: list[dict[str, Any]], channel: str, notes: str,
                          tags: Iterable[str], assignee: str, due_at: dt.datetime | None,
                          fulfil: FulfilmentInput, custom_fields: Mapping[str, str] | None,
                          source_message_ids: Iterable[str], by: str,
                          now: dt.datetime) -> dict[str, Any]:
        """The stored layout of a new order: one place for ``create_order`` and imports."""
        total = sum(line_total(Decimal(r["qty"]), r["unit_price"]) for r in resolved)
        return {
            "id": oid, "number": number, "till": self.till_id, "channel": channel,
            "customer_id": customer_id, "status": lifecycle.NEW, "created_at": now,
            "updated_at": now, "lines": {new_id("ln"): dict(r, pos=i)
                                         for i, r in enumerate(resolved)},
            "total": total, "notes": notes, "tags": {t: True for t in tags},
            "assignee": assignee, "due_at": due_at,
            "fulfilment": {"kind": fulfil.kind, "address": fulfil.address,
                           "carrier": fulfil.carrier, "tracking": fulfil.tracking},
            "custom": dict(custom_fields or {}), "source_messages": {
                m: True for m in source_message_ids},
            "payments": {}, "stock_state": "none",
            "history": [{"at": now, "till": self.till_id, "by": by, "field": "status",
                         "old": None, "new": lifecycle.NEW}],
        }

    @contextmanager
    def _order_tx(self, ref: str) -> Iterator[tuple[Writer, Obj, OrderId]]:
        oid, doc_id = self.locate_order(ref)
        with self._write(self.store.get(doc_id)) as w:
            obj = w.path("orders", oid)
            if obj is None:
                raise NotFound(f"no order {ref}")
            yield w, obj, oid
            w.put(obj, "updated_at", self.clock())

    def _history(self, w: Writer, obj: Obj, field_name: str, old: Any, new: Any,
                 by: str) -> None:
        hist = w.obj(obj, "history")
        assert hist is not None
        w.append(hist, {"at": self.clock(), "till": self.till_id, "by": by,
                        "field": field_name, "old": old, "new": new})

    def _lines(self, w: Reader, obj: Obj) -> dict[str, tuple[Obj, dict[str, Any]]]:
        lines = w.obj(obj, "lines")
        assert lines is not None
        return {lid: (lobj, w.to_py(lobj)) for lid, lobj in w.items(lines)}

    def _recompute_total(self, w: Writer, obj: Obj, by: str) -> None:
        total = 0
        for _, line in self._lines(w, obj).values():
            if not line.get("removed"):
                total += line_total(Decimal(line["qty"]), int(line["unit_price"]))
        old = w.value(obj, "total", 0)
        if old != total:
            w.put(obj, "total", total)
            self._history(w, obj, "total", old, total, by)

    def _sync_stock(self, w: Writer, obj: Obj, status: str) -> set[str]:
        """Record what every product line holds (``stock_qty``, ``stock_state``) at ``status``.

        No counter moves here: what an order reserves or has taken off the shelf follows
        from its merged state (status, lines, returns) and the read model adds it up
        (``sync.read_model.order_stock``). Counting per move instead made the same move
        done on two tills at once count twice. Returns the SKUs whose holding changed.
        """
        target_state = _stock_state_for(status)
        current_state = w.value(obj, "stock_state", "none")
        touched: set[str] = set()
        for (lobj, line) in self._lines(w, obj).values():
            sku = line.get("sku")
            if not sku:
                continue
            held = milli(Decimal(line.get("stock_qty") or "0"))
            want = 0 if line.get("removed") or target_state == "none" else milli(Decimal(line["qty"]))
            if current_state == target_state and held == want:
                continue
            w.put(lobj, "stock_qty", qty_str(Decimal(want) / 1000))
            touched.add(sku)
        w.put(obj, "stock_state", target_state)
        return touched

    def set_status(self, ref: str, status: str, *, by: str = "") -> Changes:
        """Move an order along its lifecycle; stock follows (reserve, fulfil, release)."""
        with self._order_tx(ref) as (w, obj, oid):
            current = str(w.value(obj, "status"))
            lifecycle.check_transition(current, status)
            if status == lifecycle.RETURNED:
                raise CommandRejected("use `order return` to record what came back")
            w.put(obj, "status", status)
            self._history(w, obj, "status", current, status, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus)

    def undo_status(self, ref: str, *, moved_from: str, moved_to: str, by: str = "") -> Changes:
        """Take back the order's last status move, ``moved_from -> moved_to``.

        The lifecycle only goes forward, but a slip of the hand on the board (dragging an
        order to the wrong column, cancelling the wrong one) must be reversible. Only the
        most recent status move can be taken back, and only while the order still is where
        that move put it: once anyone (on any till) moved it on, the undo is refused.
        Stock follows the restored status like any other move.
        """
        with self._order_tx(ref) as (w, obj, oid):
            current = str(w.value(obj, "status"))
            if current != moved_to:
                raise CommandRejected(f"the order is {current} now, not {moved_to}; "
                                      "that move can no longer be undone")
            hist = w.obj(obj, "history")
            assert hist is not None
            last = next((h for h in reversed(w.to_py(hist) or [])
                         if h.get("field") == "status"), None)
            if last is None or (last.get("old"), last.get("new")) != (moved_from, moved_to):
                raise CommandRejected(f"the last status move of this order was not "
                                      f"{moved_from} to {moved_to}; nothing to undo")
            if lifecycle.RETURNED in (moved_from, moved_to):
                raise CommandRejected("a return cannot be undone; record a new sale instead")
            w.put(obj, "status", moved_from)
            self._history(w, obj, "status", current, moved_from, by)
            skus = self._sync_stock(w, obj, moved_from)
        return Changes(orders={oid}, stock=skus)

    def add_line(self, ref: str, line: LineInput, *, by: str = "") -> Changes:
        resolved = self._resolve_line(line)
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            lines = w.obj(obj, "lines")
            assert lines is not None
            lid = new_id("ln")
            w.put_map(lines, lid, dict(resolved, pos=w.length(lines)))
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus, created=lid)

    def update_line(self, ref: str, line_id: str, *, quantity: Decimal | None = None,
                    unit_price: int | None = None, notes: str | None = None,
                    remove: bool = False, by: str = "") -> Changes:
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.OPEN:
                raise CommandRejected(f"a {status} order cannot be changed")
            lobj = w.path("orders", oid, "lines", line_id)
            if lobj is None:
                raise NotFound(f"order {ref} has no line {line_id}")
            if quantity is not None:
                w.put(lobj, "qty", qty_str(quantity))
            if unit_price is not None:
                if unit_price < 0:
                    raise CommandRejected("a line price cannot be negative")
                w.put(lobj, "unit_price", unit_price)
            if notes is not None:
                w.put(lobj, "notes", notes)
            if remove:
                w.put(lobj, "removed", True)
            self._recompute_total(w, obj, by)
            skus = self._sync_stock(w, obj, status)
        return Changes(orders={oid}, stock=skus)

    def update_order(self, ref: str, *, assignee: str | None = None, notes: str | None = None,
                     due_at: dt.datetime | None | bool = False,
                     fulfilment: FulfilmentInput | None = None,
                     custom_fields: Mapping[str, str] | None = None,
                     add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (),
                     customer_id: str | None = None, by: str = "") -> Changes:
        """Edit the order's header fields; assignee changes are kept in the history."""
        if customer_id is not None:
            self.customer(customer_id)
        with self._order_tx(ref) as (w, obj, oid):
            if assignee is not None:
                old = w.value(obj, "assignee", "")
                if old != assignee:
                    w.put(obj, "assignee", assignee)
                    self._history(w, obj, "assignee", old, assignee, by)
            if notes is not None:
                w.put(obj, "notes", notes)
            if due_at is not False:
                w.put(obj, "due_at", due_at)
            if customer_id is not None:
                w.put(obj, "customer_id", customer_id)
            if fulfilment is not None:
                if fulfilment.kind not in ("pickup", "delivery"):
                    raise CommandRejected("fulfilment is pickup or delivery")
                fobj = w.ensure_map(obj, "fulfilment")
                for key in ("kind", "address", "carrier", "tracking"):
                    w.put(fobj, key, getattr(fulfilment, key))
            if custom_fields:
                cobj = w.ensure_map(obj, "custom")
                for key, value in custom_fields.items():
                    w.put(cobj, key, value)
            tags = w.ensure_map(obj, "tags")
            for t in add_tags:
                w.put(tags, t, True)
            for t in remove_tags:
                w.put(tags, t, False)
        return Changes(orders={oid})

    def record_payment(self, ref: str, amount: int, *, method: str, reference: str = "",
                       refund: bool = False, by: str = "") -> Changes:
        """Record money taken (or, with ``refund``, given back) for an order."""
        if method not in PAYMENT_METHODS:
            raise CommandRejected(f"unknown payment method {method!r}; use one of: "
                                  f"{', '.join(PAYMENT_METHODS)}")
        if amount <= 0:
            raise CommandRejected("the amount must be more than zero")
        pid = new_id("pay")
        with self._order_tx(ref) as (w, obj, oid):
            if str(w.value(obj, "status")) == lifecycle.CANCELLED and not refund:
                raise CommandRejected("a cancelled order cannot take payments")
            pays = w.ensure_map(obj, "payments")
            w.put_map(pays, pid, {"id": pid, "kind": "refund" if refund else "payment",
                                  "method": method, "amount": amount, "reference": reference,
                                  "at": self.clock(), "till": self.till_id, "by": by})
        return Changes(orders={oid}, created=pid)

    def return_order(self, ref: str, lines: Mapping[str, Decimal] | None = None, *,
                     restock: bool = True, reason: str = "", by: str = "") -> Changes:
        """Record goods coming back: the whole order (``lines`` None) or some quantities."""
        with self._order_tx(ref) as (w, obj, oid):
            status = str(w.value(obj, "status"))
            if status not in lifecycle.FINISHED and status != lifecycle.RETURNED:
                raise CommandRejected(f"only a delivered, collected or closed order can be "
                                      f"returned, this one is {status}")
            all_lines = self._lines(w, obj)
            wanted = lines if lines is not None else {
                lid: Decimal(line["qty"]) - Decimal(line.get("returned_qty") or "0")
                for lid, (_, line) in all_lines.items() if not line.get("removed")}
            if lines is None:
                wanted = {lid: qty for lid, qty in wanted.items() if qty > 0}
            if not wanted:
                raise CommandRejected(f"order {ref} has nothing left to return")
            skus: set[str] = set()
            for lid, qty in wanted.items():
                if lid not in all_lines:
                    raise NotFound(f"order {ref} has no line {lid}")
                lobj, line = all_lines[lid]
                already = Decimal(line.get("returned_qty") or "0")
                if qty <= 0 or already + qty > Decimal(line["qty"]):
                    raise CommandRejected(f"cannot return {qty_str(qty)} of line {lid}: "
                                          f"{qty_str(Decimal(line['qty']) - already)} left")
                w.put(lobj, "returned_qty", qty_str(already + qty))
                if restock and line.get("sku"):
                    # back on the shelf: the read model adds restocked_qty to the level
                    back = Decimal(line.get("restocked_qty") or "0") + qty
                    w.put(lobj, "restocked_qty", qty_str(back))
                    skus.add(str(line["sku"]))
            fully = all(Decimal(w.value(lo, "returned_qty") or "0") >= Decimal(li["qty"])
                        for lo, li in all_lines.values() if not li.get("removed"))
            hist = {"lines": {k: qty_str(v) for k, v in wanted.items()}, "restock": restock,
                    "reason": reason}
            self._history(w, obj, "return", None, _compact_json(hist), by)
            if fully and status != lifecycle.RETURNED:
                w.put(obj, "status", lifecycle.RETURNED)
                self._history(w, obj, "status", status, lifecycle.RETURNED, by)
        return Changes(orders={oid}, stock=skus)

    # ------------------------------------------------------------------ bulk import

    def import_customers(self, customers: Iterable[Mapping[str, Any]], *,
                         batch: int = 2000) -> Changes:
        """Add many customers (keys as ``add_customer`` takes, plus ``created_at``).

        Every record is checked before anything is written; ``batch`` customers share one
        fsynced transaction on the shop document.
        """
        prepared = []
        for c in customers:
            name = str(c.get("name") or "").strip()
            if not name:
                raise CommandRejected("the customer needs a name")
            cid = CustomerId(new_id("cus"))
            prepared.append((cid, self._new_customer_record(
                cid, name, [normalise_phone(p, self.region) for p in c.get("phones", ())],
                [_check_email(e) for e in c.get("emails", ())], c.get("addresses", ()),
                str(c.get("notes") or ""), c.get("tags", ()), c.get("created_at"))))
        for start in range(0, len(prepared), batch):
            with self._write(self.shop) as w:
                customers_obj = w.ensure_map(Root, "customers")
                for cid, record in prepared[start:start + batch]:
                    w.put_map(customers_obj, cid, record)
        return Changes(customers={cid for cid, _ in prepared})

    def import_orders(self, orders: Iterable[ImportedOrder], *, batch: int = 500) -> Changes:
        """Write many past orders in few transactions (history imports, benchmarks).

        Each order gets the layout ``create_order`` writes, then its later status moves
        (checked as ``set_status`` checks them) in its history, its payments as
        ``record_payment`` stores them, and what its final status holds of each line
        (``stock_qty``, as ``_sync_stock`` records it). Orders go into this till's period document for the month
        they were made and are numbered in ``created_at`` order. Every order is checked
        before anything is written; ``batch`` orders share one fsynced transaction.
        """
        catalog = self.products()
        ordered = sorted(orders, key=lambda o: o.created_at)
        for o in ordered:
            self._check_imported(o, catalog)
        prefix = self._prefix()
        changes = Changes()
        start = 0
        while start < len(ordered):
            month = self.month_of(ordered[start].created_at)
            end = start
            while (end < len(ordered) and end - start < batch
                   and self.month_of(ordered[end].created_at) == month):
                end += 1
            period = self._my_period(ordered[start].created_at)
            records = []
            stock: dict[str, list[int]] = {}  # sku -> [on_hand delta, reserved delta]
            for o in ordered[start:end]:
                self._seq += 1
                oid = OrderId(new_id("ord"))
                records.append((oid, f"{prefix}-{self._seq:04d}",
                                self._imported_record(oid, f"{prefix}-{self._seq:04d}", o,
                                                      catalog, stock)))
            with self._write(period) as w:
                orders_obj = w.ensure_map(Root, "orders")
                for oid, _, record in records:
                    w.put_map(orders_obj, oid, record)
                # what the orders hold follows from their state (see _sync_stock)
                if w.value(Root, "seq_base") is None:  # a document from before seq_base
                    w.put(Root, "seq_base", self._seq - len(w.keys(orders_obj)))
            for oid, number, _ in records:
                self._orders[oid] = period.doc_id
                self._numbers[number] = oid
                changes.orders.add(oid)
            changes.stock.update(stock)
            start = end
        for doc_id in self._my_period_docs()[-1:]:  # restarts read the sequence from here
            stored = self.store.get(doc_id)
            if _doc_seq(Reader(stored.doc)) < self._seq:  # history went into older months
                with self._write(stored) as w:
                    latest_orders = w.ensure_map(Root, "orders")
                    w.put(Root, "seq_base", self._seq - len(w.keys(latest_orders)))
        return changes

    def _check_imported(self, o: ImportedOrder, catalog: Mapping[str, Any]) -> None:
        if o.created_at.tzinfo is None:
            raise CommandRejected("imported order times need a timezone")
        if o.channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {o.channel!r}")
        for line in o.lines:
            self._resolve_line(line, catalog)
        status = lifecycle.NEW
        for _, target in o.statuses:
            lifecycle.check_transition(status, target)
            if target == lifecycle.RETURNED:
                raise CommandRejected("imported orders cannot be returned; use `order return`")
            status = target
        for _, amount, method in o.payments:
            if method not in PAYMENT_METHODS or amount <= 0:
                raise CommandRejected(f"bad imported payment {amount} by {method!r}")

    def _imported_record(self, oid: str, number: str, o: ImportedOrder,
                         catalog: Mapping[str, Any], stock: dict[str, list[int]]) -> dict[str, Any]:
        record = self._new_order_record(
            oid, number, customer_id=o.customer_id,
            resolved=[self._resolve_line(line, catalog) for line in o.lines], channel=o.channel,
            notes=o.notes, tags=o.tags, assignee=o.assignee, due_at=None,
            fulfil=o.fulfilment or FulfilmentInput(), custom_fields=None,
            source_message_ids=(), by=o.by, now=o.created_at)
        status, updated = lifecycle.NEW, o.created_at
        for at, target in o.statuses:
            record["history"].append({"at": at, "till": self.till_id, "by": o.by,
                                      "field": "status", "old": status, "new": target})
            status, updated = target, max(updated, at)
        for at, amount, method in o.payments:
            pid = new_id("pay")
            record["payments"][pid] = {"id": pid, "kind": "payment", "method": method,
                                       "amount": amount, "reference": "", "at": at,
                                       "till": self.till_id, "by": o.by}
            updated = max(updated, at)
        state = _stock_state_for(status)
        record.update(status=status, updated_at=updated, stock_state=state)
        if state != "none":
            for line in record["lines"].values():
                if not line["sku"]:
                    continue
                want = milli(Decimal(line["qty"]))
                line["stock_qty"] = qty_str(Decimal(want) / 1000)
                deltas = stock.setdefault(line["sku"], [0, 0])
                if state == "reserved":
                    deltas[1] += want
                else:
                    deltas[0] -= want
        return record

    # ------------------------------------------------------------------ alerts

    def raise_overbooking(self, sku: str, location: str, level: Decimal) -> Changes:
        """Record that stock went below zero. Deterministic id: concurrent raises merge."""
        aid = f"overbook_{hashlib.sha1(f'{sku}|{location}'.encode()).hexdigest()[:12]}"
        reader = Reader(self.shop.doc)
        existing = reader.path("alerts", aid)
        if existing is not None and reader.value(existing, "resolved_at") is None:
            return Changes()
        with self._write(self.shop) as w:
            w.put_map(w.ensure_map(Root, "alerts"), aid, {
                "id": aid, "kind": "overbooking", "sku": sku, "location": location,
                "level": qty_str(level) if level != 0 else "0", "raised_at": self.clock(),
                "raised_by": self.till_id, "resolved_at": None, "resolved_by": None, "note": ""})
        log.warning("overbooking: %s at %s is %s", sku, location, level)
        return Changes(alerts={aid})

    def resolve_alert(self, alert_id: str, *, note: str = "", by: str = "") -> Changes:
        reader = Reader(self.shop.doc)
        if reader.path("alerts", alert_id) is None:
            raise NotFound(f"no alert {alert_id}")
        with self._write(self.shop) as w:
            obj = w.path("alerts", alert_id)
            assert obj is not None
            w.put(obj, "resolved_at", self.clock())
            w.put(obj, "resolved_by", by or self.till_id)
            w.put(obj, "note", note)
        return Changes(alerts={alert_id})

    # ------------------------------------------------------------------ messages and calls

    def message_by_key(self, dedupe_key: str) -> str | None:
        hit = self._message_keys.get(dedupe_key)
        return hit[1] if hit else None

    def record_message(self, *, channel: str, direction: str, sender: str, recipient: str,
                       body: str, received_at: dt.datetime, raw: str = "",
                       dedupe_key: str | None = None, subject: str = "",
                       customer_id: str | None = None, state: str = "received",
                       missing_parts: Iterable[int] = (),
                       meta: Mapping[str, str] | None = None) -> Changes:
        """Store an inbound or outbound message once (``dedupe_key``), durably."""
        if channel not in CHANNELS:
            raise CommandRejected(f"unknown channel {channel!r}")
        if direction not in ("in", "out"):
            raise CommandRejected("direction is in or out")
        key = dedupe_key or f"{channel}:{direction}:{secrets.token_hex(8)}"
        existing = self._message_keys.get(key)
        if existing is not None:
            return Changes(created=existing[1])
        mid = "msg_" + hashlib.sha256(key.encode()).hexdigest()[:16]
        period = self._my_period(received_at if direction == "in" else None)
        with self._write(period) as w:
            w.put_map(w.ensure_map(Root, "messages"), mid, {
                "id": mid, "channel": channel, "direction": direction, "from": sender,
                "to": recipient, "subject": subject, "body": body, "received_at": received_at,
                "raw": raw, "dedupe_key": key, "read": direction == "out", "order_id": None,
                "customer_id": customer_id, "state": state,
                "missing_parts": [int(p) for p in missing_parts], "meta": dict(meta or {}),
                "attempts": 0, "reference": "", "error": "", "till": self.till_id})
        self._message_keys[key] = (period.doc_id, mid)
        self._messages[mid] = period.doc_id
        return Changes(messages={mid}, created=mid)

    def _message_tx(self, mid: str) -> tuple[StoredDocument, Obj]:
        doc_id = self._messages.get(mid)
        if doc_id is None and self._locate_external_message is not None:
            doc_id = self._locate_external_message(mid)
            if doc_id is not None:
                self._index(doc_id)
        if doc_id is not None:
            stored = self.store.get(doc_id)
            obj = Reader(stored.doc).path("messages", mid)
            if obj is not None:
                return stored, obj
        raise NotFound(f"no message {mid}")

    def update_message(self, mid: str, **fields: Any) -> Changes:
        """Set message fields: read, state, order_id, customer_id, reference, error, attempts,
        intake (the parser's proposal as JSON text)."""
        allowed = {"read", "state", "order_id", "customer_id", "reference", "error", "attempts",
                   "delivered_at", "sent_at", "intake"}
        bad = set(fields) - allowed
        if bad:
            raise CommandRejected(f"cannot change {', '.join(sorted(bad))} of a message")
        stored, _ = self._message_tx(mid)
        with self._write(stored) as w:
            obj = w.path("messages", mid)
            assert obj is not None
            for key, value in fields.items():
                w.put(obj, key, value)
        return Changes(messages={mid})

    def _link_message(self, mid: str, oid: str) -> Changes:
        try:
            return self.update_message(mid, order_id=oid, read=True)
        except NotFound:
            log.warning("order %s names message %s, which this till has not seen", oid, mid)
            return Changes()

    def record_call(self, *, number: str | None, name: str | None, at: dt.datetime,
                    presentation: str, raw: str = "", customer_id: str | None = None,
                    answered: bool | None = None, line: str | None = None) -> Changes:
        cid = new_id("call")
        period = self._my_period(at)
        with self._write(period) as w:
            w.put_map(w.ensure_map(Root, "calls"), cid, {
                "id": cid, "number": number, "name": name, "at": at,
                "presentation": presentation, "raw": raw, "customer_id": customer_id,
                "answered": answered, "line": line, "till": self.till_id})
        return Changes(calls={cid}, created=cid)

    def quarantine(self, *, source: str, raw: str, reason: str, at: dt.datetime,
                   dedupe_key: str | None = None) -> Changes:
        """Keep unparseable device input, visible to staff, never dropped."""
        key = dedupe_key or f"quarantine:{source}:{hashlib.sha256(raw.encode()).hexdigest()}"
        return self.record_message(channel="sms" if source == "sms" else "phone"
                                   if source == "callerid" else "email" if source == "email"
                                   else "web", direction="in", sender=source, recipient="",
                                   body=f"[unreadable {source} input: {reason}]",
                                   received_at=at, raw=raw, dedupe_key=key, state="quarantined")


def iso_key(value: Any) -> str:
    """A sortable text for a stored timestamp (missing sorts first)."""
    if isinstance(value, dt.datetime):
        return (value if value.tzinfo else value.replace(tzinfo=dt.UTC)).isoformat()
    return ""


def _check_rate(value: Any) -> str:
    """A tax rate as decimal text (``"20"`` or ``"7.5"``), refused when not a number."""
    try:
        rate = Decimal(str(value).strip())
    except ArithmeticError:
        raise CommandRejected(f"tax rate {value!r} is not a number") from None
    if not rate.is_finite() or rate < 0:
        raise CommandRejected(f"tax rate {value!r} must be zero or more")
    return str(value).strip()


def _check_level(value: Any) -> Decimal:
    """A stock threshold such as ``low_stock``: a finite decimal, zero or more."""
    try:
        level = Decimal(str(value).strip())
    except ArithmeticError:
        raise CommandRejected(f"{value!r} is not a quantity") from None
    if not level.is_finite() or level < 0:
        raise CommandRejected(f"stock level {value!r} must be zero or more")
    return level


def _doc_seq(reader: Reader) -> int:
    """The last order number this till gave in its period document (read by ``reader``).

    A document keeps ``seq_base``, the sequence when it was made; each order in it took
    the next number (a till writes orders only into its own documents, and never deletes
    one), so the latest is base + orders. Bumping a running ``seq`` at the document root
    on every order cost ~12 ms at 5k orders a month: with Automerge 0.2.0.dev4 a write
    costs in proportion to the operations stored after its object, and the root's come
    first. Documents from before ``seq_base`` kept that running ``seq``; the larger wins.
    """
    seq = int(reader.value(Root, "seq", 0) or 0)
    base = reader.value(Root, "seq_base")
    if base is not None:
        orders = reader.obj(Root, "orders")
        seq = max(seq, int(base) + (len(reader.keys(orders)) if orders is not None else 0))
    return seq


def _stock_state_for(status: str) -> str:
    """What an order in ``status`` holds of its product lines: none, reserved or fulfilled."""
    if status in lifecycle.RESERVING:
        return "reserved"
    if status in lifecycle.FULFILLING or status == lifecycle.RETURNED:
        return "fulfilled"
    return "none"


def _check_email(text: str) -> str:
    text = (text or "").strip()
    local, _, domain = text.partition("@")
    if not local or "." not in domain or any(c.isspace() for c in text):
        raise CommandRejected(f"{text!r} is not an email address")
    return text.lower()


def _compact_json(value: Any) -> str:
    import json

    return json.dumps(value, sort_keys=True, separators=(",", ":"))

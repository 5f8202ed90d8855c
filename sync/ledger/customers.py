"""Customers: contacts in the shop document, found by id, phone or email, merged not deleted.

Phones are stored as E.164 in the shop's region, emails lower-cased, so a caller-ID
number or a mail sender finds the card. Two cards for one person are merged: the
contacts are copied to the kept card and the other is marked ``merged_into`` (DESIGN.md:
never delete a record), and every lookup follows that mark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root, Writer
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ids import CustomerId
from sync.ledger.checks import check_email
from sync.ledger.records import new_id
from sync.phones import normalise_phone

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore


class CustomerManager:
    """``ledger.customers``: add, change, merge, find and import customers."""

    def __init__(self, ledger: LedgerCore, *,
                 locate_customer: Callable[[str], str | None] | None = None) -> None:
        self.ledger = ledger
        #: the read model's lookup by id, phone or email (None in plain tests)
        self.locate_customer = locate_customer

    def all(self) -> dict[str, dict[str, Any]]:
        """customer id -> customer, merged-away ones included."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "customers", {}) or {})

    def get(self, customer_id: str) -> dict[str, Any]:
        reader = Reader(self.ledger.shop_doc.doc)
        obj = reader.path("customers", customer_id)
        if obj is None:
            raise NotFound(f"no customer {customer_id}")
        return dict(reader.to_py(obj))

    def add(self, name: str, *, phones: Iterable[str] = (), emails: Iterable[str] = (),
            addresses: Iterable[str] = (), notes: str = "", tags: Iterable[str] = ()) -> Changes:
        name = _name(name)
        e164 = [normalise_phone(p, self.ledger.region) for p in phones]
        mails = [check_email(e) for e in emails]
        cid = CustomerId(new_id("cus"))
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "customers"), cid, self._new_record(
                cid, name, e164, mails, addresses, notes, tags))
        return Changes(customers={cid}, created=cid)

    def _new_record(self, cid: str, name: str, e164: list[str], mails: list[str],
                    addresses: Iterable[str], notes: str, tags: Iterable[str],
                    created_at: dt.datetime | None = None) -> dict[str, Any]:
        """The stored layout of a customer: one place for ``add`` and ``import_many``."""
        return {"id": cid, "name": name, "phones": e164, "emails": mails,
                "addresses": [a for a in addresses if a.strip()], "notes": notes,
                "tags": {t: True for t in tags}, "merged_into": None,
                "created_at": created_at or self.ledger.clock()}

    def update(self, customer_id: str, *, name: str | None = None,
               add_phones: Iterable[str] = (), add_emails: Iterable[str] = (),
               add_addresses: Iterable[str] = (), notes: str | None = None,
               add_tags: Iterable[str] = (), remove_tags: Iterable[str] = (),
               remove_phones: Iterable[str] = (), remove_emails: Iterable[str] = (),
               remove_addresses: Iterable[str] = ()) -> Changes:
        """Change a customer: the name, the note, contacts added or taken off, tags."""
        current = self.get(customer_id)
        if current.get("merged_into"):
            raise CommandRejected(f"{current.get('name')} was merged into another customer; "
                                  "edit that one")
        region = self.ledger.region
        e164 = [normalise_phone(p, region) for p in add_phones]
        mails = [check_email(e) for e in add_emails]
        addresses = [_address(a) for a in add_addresses if a.strip()]
        gone = _removals(current, region, remove_phones, remove_emails, remove_addresses)
        clean_name = _name(name) if name is not None else None
        if notes is not None and len(notes) > MAX_NOTES:
            raise CommandRejected(f"the note is longer than {MAX_NOTES} characters")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("customers", customer_id)
            assert obj is not None
            if clean_name is not None:
                w.put(obj, "name", clean_name)
            if notes is not None:
                w.put(obj, "notes", notes)
            for key, added in (("phones", e164), ("emails", mails),
                               ("addresses", addresses)):
                lst = w.obj(obj, key)
                assert lst is not None
                _edit_list(w, lst, added, gone[key])
            tags = w.ensure_map(obj, "tags")
            for t in add_tags:
                w.put(tags, t, True)
            for t in remove_tags:
                w.put(tags, t, False)
        return Changes(customers={customer_id})

    def set_opt_out(self, customer_id: str, opted_out: bool) -> Changes:
        """The customer does (not) want messages the shop sends on its own."""
        self.get(customer_id)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("customers", customer_id)
            assert obj is not None
            w.put(obj, "opt_out", opted_out)
            w.put(obj, "opt_out_at", self.ledger.clock())
        return Changes(customers={customer_id})

    def record_feedback(self, customer_id: str, order_id: str, rating: int,
                        comment: str) -> Changes:
        """Keep a rating on the customer too (``feedback``: order id -> rating, comment)."""
        self.get(customer_id)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("customers", customer_id)
            assert obj is not None
            w.put_map(w.ensure_map(obj, "feedback"), order_id, {
                "rating": rating, "comment": comment, "at": self.ledger.clock()})
        return Changes(customers={customer_id})

    def merge(self, keep: str, merge: str) -> Changes:
        """Fold ``merge`` into ``keep``: contacts copied, ``merge`` marked merged-into."""
        if keep == merge:
            raise CommandRejected("cannot merge a customer into itself")
        self.get(keep)
        other = self.get(merge)
        if other.get("merged_into"):
            raise CommandRejected(f"{merge} was already merged into {other['merged_into']}")
        # ``keep`` may itself have been merged away: fold into the customer kept now, and
        # never into ``merge`` (which would make a cycle and hide both)
        keep = self.kept(keep)
        if keep == merge:
            raise CommandRejected("those are already the same customer")
        target = self.get(keep)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
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

    def kept(self, customer_id: str) -> str:
        """Follow ``merged_into`` to the customer that is kept."""
        customers = self.all()
        seen: set[str] = set()
        while customer_id not in seen and customers.get(customer_id, {}).get("merged_into"):
            seen.add(customer_id)
            customer_id = str(customers[customer_id]["merged_into"])
        return customer_id

    def find(self, ref: str) -> str | None:
        """Customer id for an id, E.164 phone, or email; follows merges."""
        ref = ref.strip()
        if self.locate_customer is not None:
            return self.locate_customer(ref)
        customers = self.all()
        hit: str | None = None
        if ref in customers:
            hit = ref
        elif "@" in ref:
            low = ref.lower()
            hit = next((cid for cid, c in customers.items()
                        if low in [e.lower() for e in c.get("emails", [])]), None)
        else:
            try:
                e164 = normalise_phone(ref, self.ledger.region)
            except CommandRejected:
                return None
            hit = next((cid for cid, c in customers.items() if e164 in c.get("phones", [])), None)
        seen = set()
        while hit and customers.get(hit, {}).get("merged_into") and hit not in seen:
            seen.add(hit)
            hit = customers[hit]["merged_into"]
        return hit

    def import_many(self, customers: Iterable[Mapping[str, Any]], *,
                    batch: int = 2000) -> Changes:
        """Add many customers (keys as ``add`` takes, plus ``created_at``).

        Every record is checked before anything is written; ``batch`` customers share one
        fsynced transaction on the shop document.
        """
        prepared = []
        for c in customers:
            name = str(c.get("name") or "").strip()
            if not name:
                raise CommandRejected("the customer needs a name")
            cid = CustomerId(new_id("cus"))
            prepared.append((cid, self._new_record(
                cid, name, [normalise_phone(p, self.ledger.region) for p in c.get("phones", ())],
                [check_email(e) for e in c.get("emails", ())], c.get("addresses", ()),
                str(c.get("notes") or ""), c.get("tags", ()), c.get("created_at"))))
        for start in range(0, len(prepared), batch):
            with self.ledger.docs.write(self.ledger.shop_doc) as w:
                customers_obj = w.ensure_map(Root, "customers")
                for cid, record in prepared[start:start + batch]:
                    w.put_map(customers_obj, cid, record)
        return Changes(customers={cid for cid, _ in prepared})


#: longer than any real name or address: a paste gone wrong, refused in plain words
MAX_NAME = 300
MAX_ADDRESS = 500
MAX_NOTES = 5000


def _name(name: str | None) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise CommandRejected("the customer needs a name")
    if len(text) > MAX_NAME:
        raise CommandRejected(f"the name is longer than {MAX_NAME} characters")
    return text


def _address(address: str) -> str:
    text = address.strip()
    if len(text) > MAX_ADDRESS:
        raise CommandRejected(f"the address is longer than {MAX_ADDRESS} characters")
    return text


def _removals(current: Mapping[str, Any], region: str, phones: Iterable[str],
              emails: Iterable[str], addresses: Iterable[str]) -> dict[str, set[str]]:
    """The contacts to take off, by kind; refused when the customer has no such one."""
    gone = {"phones": {normalise_phone(p, region) for p in phones},
            "emails": {e.strip().lower() for e in emails},
            "addresses": {a.strip() for a in addresses}}
    for key, values in gone.items():
        missing = values - set(current.get(key, []))
        if missing:
            raise CommandRejected(f"{current.get('name')} has no {key[:-1]} "
                                  f"{sorted(missing)[0]}")
    return gone


def _edit_list(w: Writer, lst: bytes, added: Iterable[str], gone: set[str]) -> None:
    """Take ``gone`` out of a contact list and append what ``added`` brings new."""
    stored = [str(v) for v in w.to_py(lst)]
    for i in range(len(stored) - 1, -1, -1):  # from the end: indexes stay put
        if stored[i] in gone:
            w.delete_at(lst, i)
    for value in added:
        if value not in stored or value in gone:
            w.append(lst, value)

"""Staff members: name, role (counter or manager), PIN hash, active or not.

They live in the shop document (synced to every till) under ``staff``, keyed by id, and
are never deleted (marked inactive). The PIN itself is never stored: only its scrypt
hash (``sync.pin_hash``). Who is signed in at a till is that till's own business
(``app.engine.staff_desk``), not the shop's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger.records import new_id
from sync.pin_hash import hash_pin, verify_pin
from sync.vocabulary import STAFF_ROLES

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

MAX_NAME = 60


class StaffManager:
    """``ledger.staff``: add, change and find staff members; check a PIN."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def all(self) -> dict[str, dict[str, Any]]:
        """staff id -> record (PIN hash included: the engine's eyes only)."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "staff", {}) or {})

    def active(self) -> dict[str, dict[str, Any]]:
        return {sid: s for sid, s in self.all().items() if s.get("active", True)}

    def find(self, ref: str) -> tuple[str, dict[str, Any]] | None:
        """The member with this id or name (names compare without case)."""
        ref = (ref or "").strip()
        everyone = self.all()
        if ref in everyone:
            return ref, everyone[ref]
        for sid, member in everyone.items():
            if str(member.get("name") or "").casefold() == ref.casefold():
                return sid, member
        return None

    def add(self, name: str, role: str, pin: str, *, by: str = "") -> Changes:
        name = _check_name(name)
        role = _check_role(role)
        if self.find(name) is not None:
            raise CommandRejected(f"there is already a staff member called {name}")
        sid = new_id("stf")
        record = {"id": sid, "name": name, "role": role, "pin": hash_pin(pin),
                  "active": True, "created_at": self.ledger.clock(), "created_by": by}
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "staff"), sid, record)
        return Changes(shop=True, created=sid)

    def update(self, ref: str, *, name: str | None = None, role: str | None = None,
               pin: str | None = None, active: bool | None = None, by: str = "") -> Changes:
        found = self.find(ref)
        if found is None:
            raise NotFound(f"no staff member {ref!r}")
        sid, member = found
        if name is not None:
            name = _check_name(name)
            other = self.find(name)
            if other is not None and other[0] != sid:
                raise CommandRejected(f"there is already a staff member called {name}")
        if role is not None:
            role = _check_role(role)
        if (role not in (None, "manager") or active is False) and member.get("role") == \
                "manager" and self._last_manager(sid):
            raise CommandRejected(f"{member.get('name')} is the shop's only manager; make "
                                  "someone else a manager first")
        hashed = hash_pin(pin) if pin is not None else None
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("staff", sid)
            assert obj is not None
            for key, value in (("name", name), ("role", role), ("active", active)):
                if value is not None:
                    w.put(obj, key, value)
            if hashed is not None:
                w.put_map(obj, "pin", hashed)
            w.put(obj, "updated_at", self.ledger.clock())
            w.put(obj, "updated_by", by)
        return Changes(shop=True)

    def _last_manager(self, sid: str) -> bool:
        managers = [k for k, s in self.active().items() if s.get("role") == "manager"]
        return managers == [sid]

    def check_pin(self, pin: str, *, ref: str | None = None,
                  role: str | None = None) -> tuple[str, dict[str, Any]] | None:
        """The active member (``ref``, or anyone with ``role``) whose PIN this is."""
        if ref is not None:
            found = self.find(ref)
            if found is None or not found[1].get("active", True):
                return None
            candidates = [found]
        else:
            candidates = [(sid, s) for sid, s in self.active().items()
                          if role is None or s.get("role") == role]
        for sid, member in candidates:
            if verify_pin(pin, member.get("pin")):
                return sid, member
        return None


def _check_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise CommandRejected("a staff member needs a name")
    if len(name) > MAX_NAME:
        raise CommandRejected(f"a staff member's name has at most {MAX_NAME} characters")
    return name


def _check_role(role: str) -> str:
    if role not in STAFF_ROLES:
        raise CommandRejected(f"unknown role {role!r}; use one of: {', '.join(STAFF_ROLES)}")
    return role

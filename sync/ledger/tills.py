"""The shop's tills: members, their roles, certificates, names and order-number prefixes.

Order numbers must be unique without coordination (DESIGN.md): each till numbers its own
orders with its own prefix (``A-0042``) and its own sequence (see ``documents.doc_seq``).

Till roles (issue 15): a ``manager`` till may change who belongs to the shop (approve a
join, remove a till, make another till a manager); a plain ``till`` may not, and tills
refuse such changes from it (``sync.authority``). The shop's first till is a manager.
These are roles of *tills* (devices), kept apart from staff roles (issue 11): a staff
member's rights must not depend on which till they stand at, nor a till's on who is
logged in. Shops from before roles existed have none written; there the earliest joined
member is the manager (``effective_roles``), the same answer on every till.

Each member's record keeps its certificate (``cert``, base64 DER): what its seals are
checked against. ``sha256(cert)`` is the till id, so the record proves itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger.records import iso_key

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

_PREFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"
MANAGER = "manager"
TILL = "till"
ROLES = (MANAGER, TILL)


def effective_roles(tills: Mapping[str, Any]) -> dict[str, str]:
    """Current member -> role, from a ``tills`` map as stored (see the module docstring)."""
    members = {t: i for t, i in tills.items() if isinstance(i, Mapping) and not i.get("removed")}
    managers = {t for t, i in members.items() if i.get("role") == MANAGER}
    if not managers and members:
        managers = {min(members, key=lambda t: (iso_key(members[t].get("joined_at")), t))}
    return {t: MANAGER if t in managers else TILL for t in members}


def cert_of(info: Mapping[str, Any], till_id: str) -> bytes | None:
    """The member's certificate (DER) if its record holds one that matches its id."""
    try:
        der = base64.b64decode(str(info.get("cert") or ""), validate=True)
    except ValueError:
        return None
    return der if der and hashlib.sha256(der).hexdigest() == till_id else None


class TillManager:
    """``ledger.tills``: who belongs to the shop, and this till's name and prefix."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def all(self) -> dict[str, dict[str, Any]]:
        """till id -> {name, prefix, joined_at, removed, ...}, removed tills included."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "tills", {}) or {})

    def members(self) -> set[str]:
        return {t for t, info in self.all().items() if not info.get("removed")}

    def roles(self) -> dict[str, str]:
        """Current member -> ``manager`` or ``till``."""
        return effective_roles(self.all())

    def is_manager(self, till_id: str | None = None) -> bool:
        return self.roles().get(till_id or self.ledger.till_id) == MANAGER

    def _require_manager(self, what: str) -> None:
        if not self.is_manager():
            raise CommandRejected(f"only a manager till may {what}; this till is not one "
                                  "(a manager till can make it one: till set-role)")

    def add(self, till_id: str, name: str, cert: bytes = b"") -> Changes:
        """Make a paired till a member, with the next free order-number prefix.

        Only a manager till may (``pair.approve`` runs this after the codes matched).
        """
        self._require_manager("let a till join the shop")
        tills = self.all()
        if till_id in tills and not tills[till_id].get("removed"):
            raise CommandRejected("that till is already a member")
        used = {info.get("prefix") for info in tills.values()}
        prefix = next((p for p in _PREFIXES if p not in used), None)
        if prefix is None:
            prefix = "T" + till_id[:4].upper()
        record: dict[str, Any] = {"name": name, "prefix": prefix, "role": TILL,
                                  "joined_at": self.ledger.clock(), "removed": False}
        if cert:
            record["cert"] = base64.b64encode(cert).decode()
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            tills_obj = w.ensure_map(Root, "tills")
            w.put_map(tills_obj, till_id, record)
        return Changes(tills=True, created=till_id)

    def remove(self, till_id: str) -> Changes:
        """Refuse a till from now on (a manager's action; the removed till cannot undo it:
        other tills refuse every change it writes after this, ``sync.authority``)."""
        tills = self.all()
        if till_id not in tills:
            raise NotFound(f"no till {till_id}")
        if till_id == self.ledger.till_id:
            raise CommandRejected("a till cannot remove itself; remove it from another till")
        self._require_manager("remove a till")
        if self.roles().get(till_id) == MANAGER and sum(
                1 for r in self.roles().values() if r == MANAGER) == 1:
            raise CommandRejected("that till is the shop's only manager")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("tills", till_id)
            assert obj is not None
            w.put(obj, "removed", True)
            w.put(obj, "removed_at", self.ledger.clock())
            w.put(obj, "removed_by", self.ledger.till_id)
        return Changes(tills=True)

    def set_role(self, till_id: str, role: str) -> Changes:
        """Make a member a ``manager`` or a plain ``till`` (a manager's action)."""
        if role not in ROLES:
            raise CommandRejected(f"a till's role is one of {', '.join(ROLES)}, not {role!r}")
        self._require_manager("change a till's role")
        roles = self.roles()
        if till_id not in roles:
            raise NotFound(f"no member till {till_id}")
        if role == TILL and roles[till_id] == MANAGER and sum(
                1 for r in roles.values() if r == MANAGER) == 1:
            raise CommandRejected("that till is the shop's only manager")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            if not any(info.get("role") for info in self.all().values()):
                # the first explicit role: keep today's derived manager a manager
                for tid, current in roles.items():
                    obj = w.path("tills", tid)
                    if obj is not None and tid != till_id:
                        w.put(obj, "role", current)
            obj = w.path("tills", till_id)
            assert obj is not None
            w.put(obj, "role", role)
        return Changes(tills=True)

    def vouch(self, heads: Mapping[str, list[str]]) -> Changes:
        """Vouch for everything this till holds: document id -> heads (hex).

        Written when a till first runs with sealed authorship (what it holds from before
        then, under actors not bound to any till) and when a manager removes a till (what
        the removed till wrote until then): ``sync.authority`` accepts changes in the
        history of a current member's vouched heads.
        """
        text = json.dumps({d: sorted(h) for d, h in sorted(heads.items())},
                          separators=(",", ":"))
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            record = w.ensure_map(w.ensure_map(Root, "authority"), "vouched")
            w.put(record, self.ledger.till_id, text)
        return Changes(tills=True)

    def vouched(self) -> dict[str, Any]:
        """till id -> its vouch record (JSON text), as stored."""
        authority = Reader(self.ledger.shop_doc.doc).value(Root, "authority", {}) or {}
        return dict(authority.get("vouched") or {})

    def register_cert(self, cert: bytes) -> Changes:
        """Store this till's certificate in its own record (shops from before issue 15)."""
        info = self.all().get(self.ledger.till_id)
        if info is None or cert_of(info, self.ledger.till_id) is not None:
            return Changes()
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("tills", self.ledger.till_id)
            assert obj is not None
            w.put(obj, "cert", base64.b64encode(cert).decode())
        return Changes(tills=True)

    def rename(self, name: str) -> Changes:
        """Rename this till."""
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("tills", self.ledger.till_id)
            if obj is None:
                raise NotFound("this till is not a member of the shop")
            w.put(obj, "name", name)
        return Changes(tills=True)

    def start_epoch(self, name: str = "") -> Changes:
        """After a restore: number this till's orders under a prefix no till was given.

        The same till (its identity restored) keeps its letter with an epoch mark,
        ``A`` -> ``AR1`` -> ``AR2``; a new till takes the next free letter with the mark
        and two characters of its own id (``CR3F``), since another till may have taken
        that letter since the backup was made. ``add`` gives only single letters (or
        ``T`` and four characters), so the mark cannot clash with any number given since.
        """
        tills = self.all()
        me = self.ledger.till_id
        info = tills.get(me)
        now = self.ledger.clock()
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            tills_obj = w.ensure_map(Root, "tills")
            if info is None:
                used = {str(t.get("prefix") or "")[:1] for t in tills.values()}
                letter = next((p for p in _PREFIXES if p not in used), "T")
                w.put_map(tills_obj, me, {"name": name or "Restored till",
                                          "prefix": f"{letter}R{me[:2].upper()}",
                                          "base_prefix": letter, "epoch": 1,
                                          "restored_at": now, "joined_at": now,
                                          "removed": False})
            else:
                epoch = int(info.get("epoch") or 0) + 1
                base = str(info.get("base_prefix") or info.get("prefix") or "A")
                obj = w.path("tills", me)
                assert obj is not None
                w.put(obj, "prefix", f"{base}R{epoch}")
                w.put(obj, "base_prefix", base)
                w.put(obj, "epoch", epoch)
                w.put(obj, "restored_at", now)
                if name:
                    w.put(obj, "name", name)
        return Changes(tills=True)

    def prefix(self) -> str:
        """This till's order-number prefix, unique among the shop's tills.

        ``add`` picks a free letter, but two tills pairing new tills at the same time
        both pick the same one. Once the shop document has merged, the till that joined
        first (then the lower id) keeps the letter and the others number ``C2-``, ``C3-``
        on, so numbers stay unique without coordination from then on.
        """
        tills = self.all()
        me = self.ledger.till_id
        info = tills.get(me)
        if info is None:
            raise CommandRejected("this till is not a member of the shop")
        prefix = str(info.get("prefix") or "A")
        sharing = sorted((iso_key(t.get("joined_at")), tid) for tid, t in tills.items()
                         if str(t.get("prefix") or "A") == prefix)
        rank = [tid for _, tid in sharing].index(me)
        return prefix if rank == 0 else f"{prefix}{rank + 1}"

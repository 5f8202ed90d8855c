"""The shop's tills: members, their names, and the order-number prefix each one uses.

Order numbers must be unique without coordination (DESIGN.md): each till numbers its own
orders with its own prefix (``A-0042``) and its own sequence (see ``documents.doc_seq``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger.records import iso_key

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

_PREFIXES = "ABCDEFGHJKLMNPQRSTUVWXYZ"


class TillManager:
    """``ledger.tills``: who belongs to the shop, and this till's name and prefix."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def all(self) -> dict[str, dict[str, Any]]:
        """till id -> {name, prefix, joined_at, removed, ...}, removed tills included."""
        return dict(Reader(self.ledger.shop_doc.doc).value(Root, "tills", {}) or {})

    def members(self) -> set[str]:
        return {t for t, info in self.all().items() if not info.get("removed")}

    def add(self, till_id: str, name: str) -> Changes:
        """Make a paired till a member, with the next free order-number prefix."""
        tills = self.all()
        if till_id in tills and not tills[till_id].get("removed"):
            raise CommandRejected("that till is already a member")
        used = {info.get("prefix") for info in tills.values()}
        prefix = next((p for p in _PREFIXES if p not in used), None)
        if prefix is None:
            prefix = "T" + till_id[:4].upper()
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            tills_obj = w.ensure_map(Root, "tills")
            w.put_map(tills_obj, till_id, {"name": name, "prefix": prefix,
                                           "joined_at": self.ledger.clock(), "removed": False})
        return Changes(tills=True, created=till_id)

    def remove(self, till_id: str) -> Changes:
        tills = self.all()
        if till_id not in tills:
            raise NotFound(f"no till {till_id}")
        if till_id == self.ledger.till_id:
            raise CommandRejected("a till cannot remove itself; remove it from another till")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("tills", till_id)
            assert obj is not None
            w.put(obj, "removed", True)
            w.put(obj, "removed_at", self.ledger.clock())
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

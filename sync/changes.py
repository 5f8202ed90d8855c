"""What a command or a merge changed, so views refresh only that (the Anki model).

The engine returns one from every command and publishes it as a ``changed`` event; the
UI merges the events of a burst into one and asks each page whether it must refresh
(``touches``). The kinds of record (``Changes.KINDS``) are defined here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Changes:
    """Ids of records touched; ``created`` names the record a create command made."""

    orders: set[str] = field(default_factory=set)
    customers: set[str] = field(default_factory=set)
    products: set[str] = field(default_factory=set)
    stock: set[str] = field(default_factory=set)
    messages: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    alerts: set[str] = field(default_factory=set)
    suppliers: set[str] = field(default_factory=set)
    purchase_orders: set[str] = field(default_factory=set)
    stock_moves: set[str] = field(default_factory=set)
    conversations: set[str] = field(default_factory=set)
    templates: set[str] = field(default_factory=set)
    quick_replies: set[str] = field(default_factory=set)
    #: days closed at the tills (cash-up records)
    cashups: set[str] = field(default_factory=set)
    shop: bool = False
    tills: bool = False
    created: str | None = None
    #: everything may have changed (the UI's first connection, F5): reload it all
    everything: bool = False

    KINDS = ("orders", "customers", "products", "stock", "messages", "calls", "alerts",
             "suppliers", "purchase_orders", "stock_moves", "conversations", "templates",
             "quick_replies", "cashups")

    @classmethod
    def all(cls) -> Changes:
        """A descriptor that says everything changed."""
        return cls(shop=True, tills=True, everything=True)

    def merge(self, other: Changes) -> Changes:
        for kind in self.KINDS:
            getattr(self, kind).update(getattr(other, kind))
        self.shop = self.shop or other.shop
        self.tills = self.tills or other.tills
        self.everything = self.everything or other.everything
        return self

    def empty(self) -> bool:
        return not (self.everything or self.shop or self.tills
                    or any(getattr(self, k) for k in self.KINDS))

    def ids(self, kind: str) -> set[str]:
        """The ids of ``kind`` (one of ``KINDS``) that changed."""
        if kind not in self.KINDS:
            raise ValueError(f"unknown kind of change {kind!r}")
        ids: set[str] = getattr(self, kind)
        return ids

    def touches(self, *kinds: str) -> bool:
        """Whether records of any of ``kinds`` changed (always, for ``everything``)."""
        return self.everything or any(self.ids(k) for k in kinds)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: sorted(getattr(self, k)) for k in self.KINDS
                               if getattr(self, k)}
        if self.shop:
            out["shop"] = True
        if self.tills:
            out["tills"] = True
        if self.created:
            out["created"] = self.created
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Changes:
        out = cls(shop=bool(data.get("shop")), tills=bool(data.get("tills")),
                  created=data.get("created"))
        for kind in cls.KINDS:
            getattr(out, kind).update(data.get(kind, ()))
        return out

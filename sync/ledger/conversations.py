"""Conversations: who handles a customer's thread, its tags, done and snoozed.

A conversation is everything with one customer (or, before they are one, one phone
number or address) across SMS, email, calls and pasted chats. Its messages live in the
period documents; what staff decide about it lives here, in the shop document's
``conversations`` map keyed by the customer id (or the contact), so it syncs to every
till. Each field is its own register, so one till assigning while another tags merge.

"Done" and "snoozed" are kept with the time they were set; a message that arrives after
that reopens the conversation. The read model works that out from the times
(``queries.conversation_rows``), so no till has to write anything when mail arrives and
every till agrees without coordinating.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

STATUSES = ("open", "done", "snoozed")


class ConversationManager:
    """``ledger.conversations``: assign, tag, mark done, snooze."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    def get(self, key: str) -> dict[str, Any]:
        reader = Reader(self.ledger.shop_doc.doc)
        obj = reader.path("conversations", key)
        return dict(reader.to_py(obj)) if obj is not None else {}

    def _update(self, key: str, fields: dict[str, Any], *, add_tags: Iterable[str] = (),
                remove_tags: Iterable[str] = (), by: str = "") -> Changes:
        key = key.strip()
        if not key:
            raise CommandRejected("say which conversation")
        ledger = self.ledger
        with ledger.docs.write(ledger.shop_doc) as w:
            convs = w.ensure_map(Root, "conversations")
            obj = w.obj(convs, key)
            if obj is None:
                obj = w.put_map(convs, key, {"key": key, "assignee": "", "tags": {},
                                             "status": "open", "status_at": ledger.clock(),
                                             "snoozed_until": None})
            for name, value in fields.items():
                w.put(obj, name, value)
            tags = w.ensure_map(obj, "tags")
            for tag in add_tags:
                w.put(tags, tag, True)
            for tag in remove_tags:
                w.put(tags, tag, False)
            w.put(obj, "updated_at", ledger.clock())
            w.put(obj, "updated_by", by)
        return Changes(conversations={key})

    def assign(self, key: str, assignee: str, *, by: str = "") -> Changes:
        """Give the conversation to ``assignee`` ("" takes it back)."""
        return self._update(key, {"assignee": assignee.strip()}, by=by)

    def tag(self, key: str, *, add: Iterable[str] = (), remove: Iterable[str] = (),
            by: str = "") -> Changes:
        add = [t.strip() for t in add if t.strip()]
        remove = [t.strip() for t in remove if t.strip()]
        if not add and not remove:
            raise CommandRejected("give a tag to add or remove")
        return self._update(key, {}, add_tags=add, remove_tags=remove, by=by)

    def set_status(self, key: str, status: str, *, until: dt.datetime | None = None,
                   by: str = "") -> Changes:
        """Mark it done, snooze it until ``until``, or open it again."""
        if status not in STATUSES:
            raise CommandRejected(f"a conversation is {', '.join(STATUSES)}, not {status!r}")
        if status == "snoozed":
            if until is None:
                raise CommandRejected("say until when to snooze it")
            if until <= self.ledger.clock():
                raise CommandRejected("snooze until a time in the future")
        return self._update(key, {"status": status, "status_at": self.ledger.clock(),
                                  "snoozed_until": until if status == "snoozed" else None},
                            by=by)

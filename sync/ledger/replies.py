"""What the shop says again and again: quick replies and the status-change templates.

Both live in the shop document, so every till offers the same words. Quick replies are
saved answers staff insert by keyboard; templates are what the customer is told when an
order moves (confirmed, ready, out for delivery, delayed, cancelled, a feedback
request). Both take placeholders (``{customer}``, ``{order}``, ``{total}``,
``{ready_at}``, ``{carrier}``, ``{tracking}``, ``{shop}``) filled in by
``app/engine/customer_notices.fill``. A quick reply is never deleted, only archived
(DESIGN.md: a delete racing an edit leaves half a record).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from sync.am_doc import Reader, Root
from sync.changes import Changes
from sync.errors import CommandRejected, NotFound
from sync.ledger.records import new_id

if TYPE_CHECKING:
    from sync.ledger.documents import LedgerCore

#: the moments a customer can be told about, and the words a new shop starts with
TEMPLATE_DEFAULTS: dict[str, tuple[str, str]] = {
    "confirmed": ("Your order {order} is confirmed",
                  "Hi {customer}, thank you: your order {order} ({total}) is confirmed. "
                  "We will let you know when it is ready. {shop}"),
    "ready": ("Your order {order} is ready for pickup",
              "Hi {customer}, your order {order} is ready for pickup. Total {total}. "
              "See you soon! {shop}"),
    "out_for_delivery": ("Your order {order} is on its way",
                         "Hi {customer}, your order {order} is out for delivery with "
                         "{carrier}. Tracking: {tracking}. {shop}"),
    "delayed": ("Your order {order} is delayed",
                "Hi {customer}, sorry: your order {order} is running late. We now expect "
                "it at {ready_at}. {shop}"),
    "cancelled": ("Your order {order} was cancelled",
                  "Hi {customer}, your order {order} has been cancelled. If this is a "
                  "surprise, just reply to this message. {shop}"),
    "feedback": ("How was your order {order}?",
                 "Hi {customer}, how did we do with order {order}? Reply with a rating "
                 "from 1 (poor) to 5 (great) and a comment if you like. {shop}"),
}
PLACEHOLDERS = ("customer", "order", "total", "ready_at", "carrier", "tracking", "shop")
_PLACEHOLDER = re.compile(r"\{([a-z_]+)\}")


def check_placeholders(text: str) -> None:
    unknown = sorted(set(_PLACEHOLDER.findall(text)) - set(PLACEHOLDERS))
    if unknown:
        raise CommandRejected(f"unknown placeholder {{{unknown[0]}}}; use "
                              + ", ".join(f"{{{p}}}" for p in PLACEHOLDERS))


class ReplyManager:
    """``ledger.replies``: quick replies and the status-change templates."""

    def __init__(self, ledger: LedgerCore) -> None:
        self.ledger = ledger

    # -- templates

    def template(self, name: str) -> dict[str, Any]:
        """The shop's template ``name`` (the default words until the shop edits it)."""
        if name not in TEMPLATE_DEFAULTS:
            raise NotFound(f"no template {name!r}; there are: {', '.join(TEMPLATE_DEFAULTS)}")
        reader = Reader(self.ledger.shop_doc.doc)
        obj = reader.path("templates", name)
        subject, text = TEMPLATE_DEFAULTS[name]
        out: dict[str, Any] = {"name": name, "subject": subject, "text": text,
                               "enabled": True, "edited": False}
        if obj is not None:
            out.update({k: v for k, v in reader.to_py(obj).items() if v is not None})
            out["edited"] = True
        return out

    def set_template(self, name: str, *, text: str | None = None, subject: str | None = None,
                     enabled: bool | None = None) -> Changes:
        current = self.template(name)
        for value in (text, subject):
            if value is not None:
                check_placeholders(value)
        if text is not None and not text.strip():
            raise CommandRejected("the template is empty")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            templates = w.ensure_map(Root, "templates")
            obj = w.obj(templates, name)
            if obj is None:
                obj = w.put_map(templates, name, {
                    "name": name, "text": current["text"], "subject": current["subject"],
                    "enabled": current["enabled"]})
            for key, value in (("text", text), ("subject", subject)):
                if value is not None:
                    w.put(obj, key, value)
            if enabled is not None:
                w.put(obj, "enabled", enabled)
            w.put(obj, "updated_at", self.ledger.clock())
        return Changes(templates={name})

    # -- quick replies

    def add_quick_reply(self, name: str, text: str) -> Changes:
        name, text = name.strip(), text.strip()
        if not name or not text:
            raise CommandRejected("a quick reply needs a name and its text")
        check_placeholders(text)
        rid = new_id("qr")
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            w.put_map(w.ensure_map(Root, "quick_replies"), rid, {
                "id": rid, "name": name, "text": text, "archived": False,
                "created_at": self.ledger.clock()})
        return Changes(quick_replies={rid}, created=rid)

    def update_quick_reply(self, rid: str, *, name: str | None = None,
                           text: str | None = None, archived: bool | None = None) -> Changes:
        if text is not None:
            check_placeholders(text)
        with self.ledger.docs.write(self.ledger.shop_doc) as w:
            obj = w.path("quick_replies", rid)
            if obj is None:
                raise NotFound(f"no quick reply {rid}")
            for key, value in (("name", name), ("text", text)):
                if value is not None:
                    w.put(obj, key, value)
            if archived is not None:
                w.put(obj, "archived", archived)
        return Changes(quick_replies={rid})

"""Telling customers without retyping: replies, status notices, feedback, opt-outs.

``queue_reply`` answers a message (or a conversation) through the channel the customer
used: an SMS gets an SMS, an email an email threaded onto it (In-Reply-To/References,
"Re:" subject); a call or a pasted chat falls back to the customer's phone (SMS), then
email. Either way the reply is an outgoing message in the shop outbox, queued on any
till and sent by the till that owns the channel.

``Notifier.status_changed`` runs on the till where staff moved an order: it fills the
shop's template for that status (``sync/ledger/replies.py``) and queues it (shop setting
``notify_mode``: ``auto``) or leaves it as a draft for a one-key confirm (``confirm``, the
default) or does nothing (``off``). An opted-out customer is never messaged
automatically. Every decision is logged on the order (``notices`` and its history).
After delivered/collected it asks for feedback when ``feedback_request`` is on.

``InboundRules`` reads what an incoming message means beyond the inbox: STOP/START
(opt-out), and a reply to a feedback request ("5", "4 stars, lovely") kept on the order
and the customer; a rating at or below ``low_rating`` raises an alert.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass
from typing import Any

from app.engine.till_engine import TillEngine
from devices.mailbox.mail_compose import reply_subject
from sync import lifecycle
from sync.changes import Changes
from sync.errors import CommandRejected
from sync.ledger.replies import TEMPLATE_DEFAULTS
from sync.money import format_money
from sync.read_model import queries

log = logging.getLogger("countertop.engine.notices")

#: order status -> the template that tells the customer about it
STATUS_TEMPLATES = {lifecycle.CONFIRMED: "confirmed", lifecycle.READY: "ready",
                    lifecycle.OUT_FOR_DELIVERY: "out_for_delivery",
                    lifecycle.SHIPPED: "out_for_delivery", lifecycle.CANCELLED: "cancelled"}
FEEDBACK_AFTER = frozenset({lifecycle.DELIVERED, lifecycle.COLLECTED})
NOTIFY_MODES = ("auto", "confirm", "off")
FEEDBACK_WINDOW = dt.timedelta(days=14)
OPT_OUT_WORDS = frozenset({"stop", "stop all", "unsubscribe", "opt out", "optout"})
OPT_IN_WORDS = frozenset({"start", "unstop", "subscribe"})
_RATING = re.compile(
    # "4/5 ...", "4 stars ...", "★★★★ ...", or a bare "4" alone or before a separator
    # ("2 loaves please" is an order, not a rating)
    r"^\s*(?:(?P<digit>[1-5])\s*(?:/\s*5|out of 5|stars?\b|\*)|(?P<bare>[1-5])"
    r"(?=\s*(?:$|[,.!:;\n-]))|(?P<stars>[★⭐]{1,5}))[\s,.!:;-]*(?P<comment>.*)$",
    re.IGNORECASE | re.DOTALL)


def fill(text: str, values: dict[str, str]) -> str:
    """``text`` with each ``{placeholder}`` replaced (an unknown one is left as it is)."""
    return re.sub(r"\{([a-z_]+)\}", lambda m: values.get(m.group(1), m.group(0)), text)


@dataclass(frozen=True)
class Route:
    """How to reach a customer: the channel, the address, and the email it answers."""

    channel: str
    to: str
    answers: dict[str, Any] | None = None


def route_for(conn: Any, key: str | None, *, prefer: dict[str, Any] | None = None) -> Route:
    """Where a message to conversation ``key`` goes: the channel of ``prefer`` (the
    message being answered) or of the customer's latest message, else their phone, else
    their email. ``CommandRejected`` when there is no way to reach them."""
    candidates = [prefer] if prefer else []
    if key:
        latest = queries.latest_inbound(conn, key)
        if latest is not None:
            candidates.append(latest)
    for msg in candidates:
        if msg is None or msg.get("channel") not in ("sms", "email"):
            continue
        meta = msg.get("meta") or {}
        to = (meta.get("reply_to") or msg.get("sender")) if msg.get("direction") == "in" \
            else msg.get("recipient")
        if to and ((msg["channel"] == "sms" and str(to).startswith("+"))
                   or (msg["channel"] == "email" and "@" in str(to))):
            return Route(msg["channel"], str(to), msg if msg["channel"] == "email" else None)
    contacts = queries.customer_contacts(conn, key) if key else None
    if contacts is not None:
        if contacts["phones"]:
            return Route("sms", contacts["phones"][0])
        if contacts["emails"]:
            return Route("email", contacts["emails"][0])
    if key and key.startswith("+"):
        return Route("sms", key)
    if key and "@" in key:
        return Route("email", key)
    raise CommandRejected("no phone number or email address to reply to")


def queue_reply(engine: TillEngine, route: Route, text: str, *, customer_id: str | None,
                subject: str = "", state: str = "queued", order_id: str | None = None,
                notice: str = "") -> Changes:
    """Put one outgoing message in the shop outbox (any till; the channel's owner sends)."""
    if not text.strip():
        raise CommandRejected("the message is empty")
    meta: dict[str, str] = {}
    if route.channel == "email":
        answered = route.answers or {}
        answered_meta = answered.get("meta") or {}
        if answered_meta.get("message_id"):
            meta["in_reply_to"] = str(answered_meta["message_id"])
            meta["references"] = " ".join(
                [*str(answered_meta.get("references") or "").split(),
                 str(answered_meta["message_id"])])
        if not subject:
            shop = str(engine.ledger.shop.info().get("name") or "the shop")
            subject = reply_subject(str(answered["subject"] or "")) if answered \
                else f"A message from {shop}"
    if notice:
        meta["auto"] = "1"
        meta["notice"] = notice
    changes = engine.execute(lambda L: L.inbox.record_message(
        channel=route.channel, direction="out", sender="", recipient=route.to, body=text,
        received_at=dt.datetime.now(dt.UTC), subject=subject if route.channel == "email"
        else "", customer_id=customer_id, state=state, meta=meta))
    if order_id and changes.created:
        engine.execute(lambda L: L.inbox.update_message(str(changes.created),
                                                        order_id=order_id, read=True))
    return changes


class Notifier:
    """Status changes -> the customer hears about them (see the module docstring)."""

    def __init__(self, engine: TillEngine) -> None:
        self.engine = engine

    def settings(self) -> dict[str, Any]:
        info = queries.shop_info(self.engine.read_model.conn)
        mode = info.get("setting.notify_mode") or "confirm"
        return {"mode": mode if mode in NOTIFY_MODES else "confirm",
                "feedback": bool(info.get("setting.feedback_request")),
                "low_rating": int(info.get("setting.low_rating") or 2),
                "shop": str(info.get("name") or "")}

    def template(self, name: str) -> dict[str, Any]:
        edited = queries.template_rows(self.engine.read_model.conn).get(name)
        subject, text = TEMPLATE_DEFAULTS[name]
        if edited:
            return {"name": name, "subject": edited["subject"] or subject,
                    "text": edited["text"] or text, "enabled": bool(edited["enabled"])}
        return {"name": name, "subject": subject, "text": text, "enabled": True}

    def values(self, order: dict[str, Any]) -> dict[str, str]:
        ledger = self.engine.ledger
        name = str(order.get("customer_name") or "there")
        due = order.get("due_at")
        ready = ""
        if due:
            with_tz = dt.datetime.fromisoformat(str(due)).astimezone(ledger.tz)
            ready = with_tz.strftime("%H:%M on %a %d %b").replace(" 0", " ")
        return {"customer": name.split()[0] if name != "there" else name,
                "order": str(order.get("number") or ""),
                "total": format_money(int(order.get("total") or 0), ledger.currency),
                "ready_at": ready or "soon", "carrier": str(order.get("carrier") or "our driver"),
                "tracking": str(order.get("tracking") or "—"),
                "shop": self.settings()["shop"]}

    def preview(self, name: str, order_ref: str | None = None) -> dict[str, str]:
        """The template filled in for an order (or an example order)."""
        tpl = self.template(name)
        order = queries.order_detail(self.engine.read_model.conn, order_ref) \
            if order_ref else None
        values = self.values(order) if order else {
            "customer": "Ann", "order": "A-0042", "total": format_money(
                2450, self.engine.ledger.currency), "ready_at": "18:30 on Fri 5 Jun",
            "carrier": "DPD", "tracking": "1Z999AA1", "shop": self.settings()["shop"]}
        return {"subject": fill(tpl["subject"], values), "text": fill(tpl["text"], values)}

    def status_changed(self, order_id: str, status: str, *, by: str = "") -> str | None:
        """After a move: tell the customer (or prepare the draft). Returns the outcome."""
        settings = self.settings()
        kind = STATUS_TEMPLATES.get(status)
        if kind is None and status in FEEDBACK_AFTER and settings["feedback"]:
            kind = "feedback"
        if kind is None or settings["mode"] == "off":
            return None
        return self.notify(order_id, kind, by=by, mode=settings["mode"])

    def notify(self, order_id: str, kind: str, *, by: str = "", mode: str = "auto") -> str:
        conn = self.engine.read_model.conn
        order = queries.order_detail(conn, order_id)
        if order is None:
            raise CommandRejected(f"no order {order_id}")
        tpl = self.template(kind)
        customer = order.get("customer_id")
        contacts = queries.customer_contacts(conn, customer) if customer else None
        outcome, channel, mid = "", "", None
        if contacts is None:
            return "no customer on the order"  # a counter sale: nobody to tell, no note
        if not tpl["enabled"]:
            outcome = "not sent: template switched off"
        elif contacts["opt_out"]:
            outcome = "not sent: customer opted out"
        else:
            prefer = self._source_email(order)
            try:
                route = route_for(conn, customer, prefer=prefer)
            except CommandRejected:
                outcome = "not sent: no phone or email"
            else:
                values = self.values(order)
                changes = queue_reply(
                    self.engine, route, fill(tpl["text"], values), customer_id=customer,
                    subject=fill(tpl["subject"], values),
                    state="queued" if mode == "auto" else "draft", order_id=order["id"],
                    notice=kind)
                channel, mid = route.channel, changes.created
                outcome = "queued" if mode == "auto" else "draft"
        self.engine.execute(lambda L: L.orders.note_notice(
            order["id"], kind=kind, channel=channel, message_id=mid, outcome=outcome, by=by))
        log.info("order %s: %s notice %s", order.get("number"), kind, outcome)
        return outcome

    def _source_email(self, order: dict[str, Any]) -> dict[str, Any] | None:
        for mid in order.get("source_messages") or []:
            msg = queries.message_meta(self.engine.read_model.conn, mid)
            if msg is not None and msg.get("channel") == "email":
                return msg
        return None


def parse_rating(text: str) -> tuple[int, str] | None:
    """"5", "4/5 lovely", "★★★" -> (rating, comment); None when it is no rating."""
    found = _RATING.match(text.strip()[:2000])
    if found is None:
        return None
    digit = found.group("digit") or found.group("bare")
    rating = int(digit) if digit else len(found.group("stars"))
    return rating, found.group("comment").strip()


class InboundRules:
    """What an incoming message means beyond the inbox; ``apply`` says if it was used."""

    def __init__(self, engine: TillEngine) -> None:
        self.engine = engine

    def apply(self, mid: str, text: str, *, customer_id: str | None, auto: bool) -> bool:
        if customer_id is None or auto:
            return False
        word = " ".join(text.lower().split()).strip(".! ")
        if word in OPT_OUT_WORDS or word in OPT_IN_WORDS:
            opted_out = word in OPT_OUT_WORDS
            self.engine.execute(lambda L: L.customers.set_opt_out(customer_id, opted_out))
            self.engine.execute(lambda L: L.inbox.update_message(mid, read=True))
            return True
        rating = parse_rating(text)
        if rating is None:
            return False
        conn = self.engine.read_model.conn
        since = (dt.datetime.now(dt.UTC) - FEEDBACK_WINDOW).isoformat()
        order = queries.awaiting_feedback(conn, customer_id, since)
        if order is None:
            return False
        stars, comment = rating
        self.engine.execute(lambda L: L.orders.record_feedback(
            order["id"], rating=stars, comment=comment, message_id=mid))
        self.engine.execute(lambda L: L.customers.record_feedback(
            customer_id, order["id"], stars, comment))
        self.engine.execute(lambda L: L.inbox.update_message(mid, order_id=order["id"]))
        if stars <= Notifier(self.engine).settings()["low_rating"]:
            self.engine.execute(lambda L: L.alerts.raise_low_rating(
                order["id"], str(order["number"]), stars, comment))
        return True

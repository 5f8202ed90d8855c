"""Engine commands of the channel features (SMS outbox, intake), in the shared table.

Kept apart from ``commands.py`` so the foundation's table stays about the ledger; both
register into ``commands.COMMANDS`` and work over IPC and in-process alike.
"""

from __future__ import annotations

from typing import Any

from app.engine.commands import command
from app.engine.till_engine import TillEngine
from sync.errors import CommandRejected


@command("sms.send")
def sms_send(engine: TillEngine, a: dict[str, Any]) -> Any:
    """Queue an SMS in the shop outbox; the till with the modem sends it."""
    from app.engine.device_bridge import queue_sms

    return queue_sms(engine, str(a.get("to") or ""), str(a.get("text") or ""))


@command("intake.parse")
def intake_parse(engine: TillEngine, a: dict[str, Any]) -> Any:
    """The intake parser's proposal for a text, against this shop's catalog."""
    from app.engine.intake_bridge import IntakeService

    text = str(a.get("text") or "")
    if not text.strip():
        raise CommandRejected("give the message text to parse")
    engine.require_shop()
    service = getattr(engine, "_intake_service", None)
    if service is None:
        service = IntakeService(engine)
        engine._intake_service = service  # type: ignore[attr-defined]
    return service.parse(text)


@command("message.receive")
def message_receive(engine: TillEngine, a: dict[str, Any]) -> Any:
    """Record an inbound message typed or pasted by staff (e.g. a WhatsApp chat)."""
    import datetime as dt

    from sync.phones import try_normalise_phone

    ledger = engine.require_shop()
    channel = str(a.get("channel") or "sms")
    sender = str(a.get("from") or "").strip()
    if not sender:
        raise CommandRejected("say who the message is from")
    body = str(a.get("text") or "")
    if not body.strip():
        raise CommandRejected("the message is empty")
    if channel in ("sms", "whatsapp", "phone"):
        sender = try_normalise_phone(sender, ledger.region) or sender
    received = dt.datetime.now(dt.UTC)
    if a.get("received_at"):
        try:
            received = dt.datetime.fromisoformat(str(a["received_at"]))
        except ValueError:
            raise CommandRejected(f"{a['received_at']!r} is not a date and time") from None
        if received.tzinfo is None:
            raise CommandRejected("received_at needs a timezone offset, e.g. +00:00")
    changes = engine.execute(lambda L: L.inbox.record_message(
        channel=channel, direction="in", sender=sender, recipient="", body=body,
        received_at=received, subject=str(a.get("subject") or ""),
        customer_id=ledger.customers.find(sender)))
    if a.get("read") and changes.created:
        engine.execute(lambda L: L.inbox.update_message(str(changes.created), read=True))
    if a.get("intake", True) and changes.messages:
        intake_parse(engine, {"text": body})  # warms the catalog
        engine._intake_service.process_message(  # type: ignore[attr-defined]
            str(changes.created), body, channel=channel, customer_id=ledger.customers.find(sender))
    return {"id": changes.created}


@command("intake.correct")
def intake_correct(engine: TillEngine, a: dict[str, Any]) -> Any:
    """Staff corrected a proposed line: remember the customer's words as a product alias."""
    from app.intake.alias_learning import AliasRejected, learn_alias

    span = str(a.get("text") or "").strip()
    sku = str(a.get("sku") or "").strip()
    if not span or not sku:
        raise CommandRejected("give the words the customer used and the SKU they meant")
    intake_parse(engine, {"text": span})  # builds the catalog
    service = engine._intake_service  # type: ignore[attr-defined]
    try:
        learned = learn_alias(span, service.catalog(), sku=sku)
    except AliasRejected as exc:
        raise CommandRejected(str(exc)) from None
    if learned is None:
        return {"sku": sku, "alias": None, "learned": False}
    engine.execute(lambda L: L.catalog.add_alias(sku, learned.alias))
    return {"sku": sku, "alias": learned.alias, "learned": True,
            "previously": list(learned.previously)}

"""Runs the intake parser on inbound messages and turns confident parses into draft orders.

The shop's catalog (products with aliases, variants, option groups and option aliases)
is adapted to the parser's ``IntakeCatalog`` and cached until the catalog changes. The
parser is told what the engine knows of the sender: their last order ("the usual") and
their open draft (an order the intake made from an earlier message, still new, from the
last :data:`AMEND_WINDOW`), which this message may change ("actually make that 3").

Below the shop's confidence threshold the proposal is only stored with the message (a
suggestion the inbox shows); at or above it a draft order (status new, tagged ``auto``)
is created and linked to the message, or the open draft is changed: lines updated,
added or taken off (never deleted), the change written in the order's history and the
message added to its sources. A draft is made only when every line names a product and
a quantity in its selling unit: "4 pork chops" of a product sold by the kg waits for
staff to weigh them.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from app.engine.till_engine import TillEngine
from app.intake.catalog_model import CatalogError, IntakeCatalog
from app.intake.draft_order import IntakeContext
from app.intake.intake_json import DEFAULT_AUTO_DRAFT_CONFIDENCE, parse_message_json
from app.intake.line_parts import PriorLine
from app.intake.requested_time import RequestedTime
from sync import units
from sync.changes import Changes
from sync.ledger import FulfilmentInput, LineInput, ShopLedger
from sync.read_model import queries as q
from sync.vocabulary import MESSAGE_CHANNELS, Channel

log = logging.getLogger("countertop.engine.intake")

_VARIANT_WORDS = ("crust", "style", "base", "type", "flavour", "flavor", "container", "volume")
#: how long after an automatic draft a message from the same customer may change it
AMEND_WINDOW = dt.timedelta(hours=48)
_QUALIFIER_WORDS = ("extra ", "light ", "double ", "half ")


def _options(names: list[str], aliases: dict[str, list[str]]) -> list[dict[str, Any]]:
    return [{"id": o, "name": o, "aliases": list(aliases.get(o) or [])} for o in names]


def catalog_dict(products: list[dict[str, Any]], currency: str,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parser's catalog shape (see app/intake/catalog_model.py) from read-model products."""
    out_products = []
    for p in products:
        if not p.get("active", 1):
            continue
        groups: list[dict[str, Any]] = []
        aliases = {str(k).lower(): v for k, v in (p.get("option_aliases") or {}).items()}
        variants = p.get("variants") or []
        if variants:
            groups.append({"id": f"{p['sku']}:variant", "name": "Variant", "role": "variant",
                           "max_choices": 1,
                           "options": _options(variants, aliases.get("variant") or {})})
        for name, options in (p.get("option_groups") or {}).items():
            low = name.lower()
            role = "size" if "size" in low else "variant" if any(
                w in low for w in _VARIANT_WORDS) else "modifier"
            groups.append({"id": f"{p['sku']}:{name}", "name": name, "role": role,
                           "max_choices": 1 if role != "modifier" else None,
                           "options": _options(options, aliases.get(low) or {})})
        out_products.append({"sku": p["sku"], "name": p["name"],
                             "aliases": list(p.get("aliases") or []),
                             "unit": p.get("unit") or "each", "option_groups": groups})
    data: dict[str, Any] = {"currency": currency, "products": out_products}
    if extra:
        data.update({k: v for k, v in extra.items() if k in ("option_groups", "vocab")})
    return data


def prior_line(line: dict[str, Any]) -> PriorLine | None:
    """A ledger line (``order_detail``) as the parser's earlier line; None when removed."""
    if line.get("removed") or not line.get("sku"):
        return None
    options, excluded = [], []
    for mod in line.get("modifiers") or []:
        text = str(mod)
        if text.startswith("no "):
            excluded.append(text[3:])
            continue
        text = text[2:] if text.startswith("+ ") else text
        for word in _QUALIFIER_WORDS:
            text = text[len(word):] if text.startswith(word) else text
        options.append(text)
    return PriorLine(sku=str(line["sku"]), quantity=_decimal(line.get("qty")),
                     amount=_decimal(line.get("asked_qty")),
                     amount_unit=str(line.get("asked_unit") or ""), options=tuple(options),
                     exclusions=tuple(excluded), line_id=str(line.get("line_id") or ""),
                     text=str(line.get("asked") or line.get("description") or ""))


def _decimal(value: Any) -> Decimal | None:
    try:
        return None if value in (None, "") else Decimal(str(value))
    except InvalidOperation:
        return None


class IntakeService:
    """Parses messages against the current catalog; creates or changes drafts when sure."""

    def __init__(self, engine: TillEngine) -> None:
        self.engine = engine
        self._catalog: IntakeCatalog | None = None
        engine.subscribe(self._on_changes)

    def _on_changes(self, changes: Changes) -> None:
        if changes.products or changes.shop:
            self._catalog = None

    def catalog(self) -> IntakeCatalog:
        if self._catalog is None:
            conn = self.engine.read_model.conn
            settings = self.engine.ledger.shop.info()
            extra = _setting(self.engine, "intake_catalog")
            data = catalog_dict(q.list_products(conn), str(settings.get("currency") or "EUR"),
                                extra if isinstance(extra, dict) else None)
            try:
                self._catalog = IntakeCatalog.from_dict(data)
            except CatalogError as exc:
                log.error("the catalog cannot be read by the intake parser: %s", exc)
                self._catalog = IntakeCatalog.from_dict({"products": []})
        return self._catalog

    def threshold(self) -> float:
        value = _setting(self.engine, "auto_draft_confidence")
        try:
            return float(value) if value is not None else DEFAULT_AUTO_DRAFT_CONFIDENCE
        except (TypeError, ValueError):
            return DEFAULT_AUTO_DRAFT_CONFIDENCE

    def context(self, customer_id: str | None, now: dt.datetime
                ) -> tuple[IntakeContext, str | None]:
        """What the engine knows of the sender: (context, the open draft's order id)."""
        if not customer_id:
            return IntakeContext(), None
        conn = self.engine.read_model.conn
        since = (now - AMEND_WINDOW).astimezone(dt.UTC).isoformat(timespec="milliseconds")
        draft = q.open_auto_order(conn, customer_id, since)
        last = q.last_order(conn, customer_id, exclude=draft["id"] if draft else None)
        history = tuple(p for p in (prior_line(ln) for ln in (last or {}).get("lines") or [])
                        if p is not None)
        if draft is None:
            return IntakeContext(last_order=history), None
        previous = tuple(p for p in (prior_line(ln) for ln in draft.get("lines") or [])
                         if p is not None)
        when = None
        if draft.get("due_at"):
            when = RequestedTime(dt.datetime.fromisoformat(str(draft["due_at"])), "exact",
                                 "as ordered")
        return IntakeContext(previous=previous, previous_time=when,
                             last_order=history), str(draft["id"])

    def parse(self, text: str, now: dt.datetime | None = None,
              context: IntakeContext | None = None) -> dict[str, Any]:
        tz = str(self.engine.ledger.shop.info().get("timezone") or "UTC")
        return parse_message_json(text, self.catalog(), now=now, tz=tz,
                                  threshold=self.threshold(), context=context)

    def process_message(self, message_id: str, body: str, *, channel: str,
                        customer_id: str | None, received_at: dt.datetime | None = None
                        ) -> dict[str, Any] | None:
        """Parse one stored inbound message; store the proposal; draft an order (or change
        the sender's open draft) if confident.

        Never raises: a parser bug must not lose or block the message (it is already stored).
        """
        try:
            context, open_order = self.context(customer_id, dt.datetime.now(dt.UTC))
            result = self.parse(body, context=context)
        except Exception:
            log.exception("intake failed on message %s", message_id)
            return None
        amending = open_order is not None and result.get("kind") == "amendment"
        if amending and result.get("decision") == "draft":
            result["decision"] = "amend"
        decision = result.get("decision")
        if decision == "nothing":
            return result
        if decision in ("draft", "amend") and not all(line_input(ln) for ln in
                                                      result.get("lines") or []):
            result["decision"] = decision = "suggestion"  # a line staff must finish
        try:
            if decision == "amend" and open_order is not None:
                self._amend(open_order, result, message_id)
                result["order_id"] = open_order
            self.engine.execute(lambda L: L.inbox.update_message(
                message_id, intake=json.dumps(result, default=str)))
            if decision == "draft":
                result["order_id"] = self._draft(result, message_id, channel, customer_id)
        except Exception:
            log.exception("storing the intake proposal for %s failed", message_id)
        return result

    def _draft(self, result: dict[str, Any], message_id: str, channel: str,
               customer_id: str | None) -> str | None:
        lines = [ln for ln in (line_input(line) for line in result.get("lines") or [])
                 if ln is not None]
        if not lines:
            return None
        fulfil = None
        if result.get("fulfilment") in ("pickup", "delivery"):
            fulfil = FulfilmentInput(kind=result["fulfilment"],
                                     address=str(result.get("address") or ""))
        due = _due(result)
        changes = self.engine.execute(lambda L: L.orders.create(
            customer_id=customer_id, lines=lines,
            channel=channel if channel in MESSAGE_CHANNELS else Channel.SMS.value,
            tags=["auto"], due_at=due, fulfilment=fulfil,
            source_message_ids=[message_id], by="intake"))
        log.info("draft order %s from message %s", changes.created, message_id)
        return changes.created

    def _amend(self, order_id: str, result: dict[str, Any], message_id: str) -> None:
        """Apply what the message changed to the open draft (the latest word wins)."""
        text = "; ".join(str(c.get("text")) for c in result.get("changes") or []) or \
            "changed by a message"
        self.engine.execute(lambda L: _apply_changes(L, order_id, result, message_id, text))
        log.info("order %s changed by message %s: %s", order_id, message_id, text)


def _apply_changes(ledger: ShopLedger, order_id: str, result: dict[str, Any],
                   message_id: str, text: str) -> Changes:
    """One ledger command for the whole change: lines updated, taken off (marked, never
    deleted) or added, the due time, and a history entry naming the message."""
    orders = ledger.orders
    changes = Changes()
    by_id = {str(line.get("line_id")): line for line in result.get("lines") or []
             if line.get("line_id")}
    for change in result.get("changes") or []:
        kind, lid = change.get("change"), str(change.get("line_id") or "")
        ln = line_input(by_id[lid]) if lid in by_id else None
        if kind == "remove":
            changes.merge(orders.update_line(order_id, lid, remove=True, by="intake"))
        elif kind == "quantity" and ln is not None:
            changes.merge(orders.update_line(order_id, lid, quantity=ln.quantity, unit=ln.unit,
                                             asked=ln.asked, by="intake"))
        elif kind == "options" and ln is not None:  # options live in the line's words
            changes.merge(orders.update_line(order_id, lid, remove=True, by="intake"))
            changes.merge(orders.add_line(order_id, ln, by="intake"))
    for line in result.get("lines") or []:
        new = line_input(line) if not line.get("line_id") else None
        if new is not None:
            changes.merge(orders.add_line(order_id, new, by="intake"))
    due = _due(result)
    if due is not None:
        changes.merge(orders.update(order_id, due_at=due, by="intake"))
    changes.merge(orders.note_change(order_id, text, message_id=message_id, by="intake"))
    return changes


def _due(result: dict[str, Any]) -> dt.datetime | None:
    requested = result.get("requested_time") or {}
    if not requested.get("at"):
        return None
    try:
        due = dt.datetime.fromisoformat(requested["at"])
    except ValueError:
        return None
    return due if due.tzinfo else None


def line_input(line: dict[str, Any]) -> LineInput | None:
    """An order line from one parsed line, or None when it cannot be drafted (no product,
    or no quantity in its selling unit). The customer's amount goes in with its unit, so
    the ledger converts it and keeps what was asked."""
    if not line.get("sku") or line.get("quantity") in (None, ""):
        return None
    unit = str(line.get("amount_unit") or "")
    measured = bool(unit) and units.unit(unit).measured
    try:
        qty = Decimal(str(line.get("amount") if measured else line.get("quantity")))
    except InvalidOperation:
        return None
    if qty <= 0:
        return None
    mods = []
    if line.get("size"):
        mods.append(str(line["size"]["name"]))
    mods += [str(v["name"]) for v in line.get("variants") or []]
    for m in line.get("modifiers") or []:
        mods.append(f"{m['qualifier']} {m['name']}" if m.get("qualifier") else f"+ {m['name']}")
    mods += [f"no {x['name']}" for x in line.get("exclusions") or []]
    mods += [f"no {x}" for x in line.get("unknown_exclusions") or []]
    return LineInput(quantity=qty, sku=str(line["sku"]), modifiers=mods,
                     notes="; ".join(str(n) for n in line.get("notes") or []),
                     unit=unit if measured else None, asked=str(line.get("said") or ""))


def _setting(engine: TillEngine, key: str) -> Any:
    return engine.ledger.shop.settings().get(key)

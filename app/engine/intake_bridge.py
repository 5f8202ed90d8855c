"""Runs the intake parser on inbound messages and turns confident parses into draft orders.

The shop's catalog (products with aliases, variants and option groups) is adapted to the
parser's ``IntakeCatalog`` and cached until the catalog changes. Below the shop's
confidence threshold the proposal is only stored with the message (a suggestion the
inbox shows); at or above it a draft order (status new, tagged ``auto``) is created and
linked to the message.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from decimal import Decimal, InvalidOperation
from typing import Any

from app.engine.till_engine import TillEngine
from app.intake.catalog_model import CatalogError, IntakeCatalog
from app.intake.intake_json import DEFAULT_AUTO_DRAFT_CONFIDENCE, parse_message_json
from sync.changes import Changes
from sync.ledger import FulfilmentInput, LineInput
from sync.read_model import queries as q
from sync.vocabulary import MESSAGE_CHANNELS, Channel

log = logging.getLogger("countertop.engine.intake")

_VARIANT_WORDS = ("crust", "style", "base", "type", "flavour", "flavor", "container", "volume")


def catalog_dict(products: list[dict[str, Any]], currency: str,
                 extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The parser's catalog shape (see app/intake/catalog_model.py) from read-model products."""
    out_products = []
    for p in products:
        if not p.get("active", 1):
            continue
        groups: list[dict[str, Any]] = []
        variants = p.get("variants") or []
        if variants:
            groups.append({"id": f"{p['sku']}:variant", "name": "Variant", "role": "variant",
                           "max_choices": 1,
                           "options": [{"id": v, "name": v} for v in variants]})
        for name, options in (p.get("option_groups") or {}).items():
            low = name.lower()
            role = "size" if "size" in low else "variant" if any(
                w in low for w in _VARIANT_WORDS) else "modifier"
            groups.append({"id": f"{p['sku']}:{name}", "name": name, "role": role,
                           "max_choices": 1 if role != "modifier" else None,
                           "options": [{"id": o, "name": o} for o in options]})
        out_products.append({"sku": p["sku"], "name": p["name"],
                             "aliases": list(p.get("aliases") or []),
                             "unit": p.get("unit") or "each", "option_groups": groups})
    data: dict[str, Any] = {"currency": currency, "products": out_products}
    if extra:
        data.update({k: v for k, v in extra.items() if k in ("option_groups", "vocab")})
    return data


class IntakeService:
    """Parses messages against the current catalog; creates drafts when confident."""

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

    def parse(self, text: str, now: dt.datetime | None = None) -> dict[str, Any]:
        tz = str(self.engine.ledger.shop.info().get("timezone") or "UTC")
        return parse_message_json(text, self.catalog(), now=now, tz=tz,
                                  threshold=self.threshold())

    def process_message(self, message_id: str, body: str, *, channel: str,
                        customer_id: str | None, received_at: dt.datetime | None = None
                        ) -> dict[str, Any] | None:
        """Parse one stored inbound message; store the proposal; draft an order if confident.

        Never raises: a parser bug must not lose or block the message (it is already stored).
        """
        try:
            result = self.parse(body)
        except Exception:
            log.exception("intake failed on message %s", message_id)
            return None
        decision = result.get("decision")
        if decision == "nothing":
            return result
        try:
            self.engine.execute(lambda L: L.inbox.update_message(
                message_id, intake=json.dumps(result, default=str)))
            if decision == "draft":
                order = self._draft(result, message_id, channel, customer_id)
                result["order_id"] = order
        except Exception:
            log.exception("storing the intake proposal for %s failed", message_id)
        return result

    def _draft(self, result: dict[str, Any], message_id: str, channel: str,
               customer_id: str | None) -> str | None:
        lines = [ln for ln in (line_input(line) for line in result.get("lines") or [])
                 if ln is not None]
        if not lines:
            return None
        due = None
        requested = result.get("requested_time") or {}
        if requested.get("at"):
            try:
                due = dt.datetime.fromisoformat(requested["at"])
            except ValueError:
                due = None
        fulfil = None
        if result.get("fulfilment") in ("pickup", "delivery"):
            fulfil = FulfilmentInput(kind=result["fulfilment"],
                                     address=str(result.get("address") or ""))
        changes = self.engine.execute(lambda L: L.orders.create(
            customer_id=customer_id, lines=lines,
            channel=channel if channel in MESSAGE_CHANNELS else Channel.SMS.value,
            tags=["auto"], due_at=due if due and due.tzinfo else None, fulfilment=fulfil,
            source_message_ids=[message_id], by="intake"))
        log.info("draft order %s from message %s", changes.created, message_id)
        return changes.created


def line_input(line: dict[str, Any]) -> LineInput | None:
    """An order line from one parsed line (modifiers and exclusions as line modifiers)."""
    if not line.get("sku"):
        return None
    try:
        qty = Decimal(str(line.get("quantity") or "1"))
    except InvalidOperation:
        qty = Decimal(1)
    if qty <= 0:
        qty = Decimal(1)
    mods = []
    if line.get("size"):
        mods.append(str(line["size"]["name"]))
    mods += [str(v["name"]) for v in line.get("variants") or []]
    for m in line.get("modifiers") or []:
        mods.append(f"{m['qualifier']} {m['name']}" if m.get("qualifier") else f"+ {m['name']}")
    mods += [f"no {x['name']}" for x in line.get("exclusions") or []]
    return LineInput(quantity=qty, sku=str(line["sku"]), modifiers=mods,
                     notes="; ".join(str(n) for n in line.get("notes") or []))


def _setting(engine: TillEngine, key: str) -> Any:
    return engine.ledger.shop.settings().get(key)

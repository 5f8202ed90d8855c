"""The intake parser's entry points for the engine and the CLI.

``countertop intake parse TEXT --json`` (wired by the engine/CLI owner) should call
:func:`parse_message_json` with the shop's catalog and print the dict it returns.
:func:`intake_decision` says what the engine should do with a parse: create a draft
order (status new, tagged auto) when the confidence reaches the shop's threshold, or
only show the proposal as a suggestion next to the message.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from app.intake.catalog_model import CatalogError, IntakeCatalog
from app.intake.order_parser import DraftOrder, IntakeContext, parse_order

log = logging.getLogger("countertop.intake")

#: default for the shop setting "create a draft order automatically from confidence ...".
#: Derived from the dev sets' tuning halves and the PIZZA tuning half by
#: ``tests.intake.devset_eval.recommend_threshold`` (each confidence bin's precision by
#: Laplace's rule, 97% wanted); ``make bench`` reports it and the held-out precision at
#: it, and tests/intake/test_devset_floors.py fails when the two part ways. Below it the
#: proposal is a suggestion: lines found by a head noun, a fuzzy or an abbreviated word,
#: inferred from options, or with text left over wait for staff.
DEFAULT_AUTO_DRAFT_CONFIDENCE = 0.95

Decision = Literal["draft", "suggestion", "nothing"]


def intake_decision(order: DraftOrder, threshold: float = DEFAULT_AUTO_DRAFT_CONFIDENCE
                    ) -> Decision:
    """"draft" when confident enough, "suggestion" when there are lines, else "nothing"."""
    if not order.lines:
        return "nothing"
    return "draft" if order.confidence >= threshold else "suggestion"


def load_catalog_file(path: str | Path) -> IntakeCatalog:
    """Read a catalog JSON file (the dict shape of :mod:`app.intake.catalog_model`)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CatalogError(f"cannot read catalog {path}: {exc}") from exc
    return IntakeCatalog.from_dict(data)


def parse_message_json(text: str, catalog: IntakeCatalog | Mapping[str, Any],
                       now: datetime | None = None, tz: str = "UTC",
                       threshold: float = DEFAULT_AUTO_DRAFT_CONFIDENCE,
                       context: IntakeContext | None = None) -> dict[str, Any]:
    """Parse ``text`` and return a JSON-able dict (DraftOrder.to_json plus ``decision``).

    ``now`` must be timezone-aware when given; otherwise the current time in ``tz`` (the
    shop's IANA zone, e.g. "Europe/Berlin") is used.
    """
    if not isinstance(catalog, IntakeCatalog):
        catalog = IntakeCatalog.from_dict(catalog)
    if now is None:
        try:
            zone = ZoneInfo(tz)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {tz!r}") from exc
        now = datetime.now(zone)
    order = parse_order(text, catalog, now, context)
    out = order.to_json()
    out["decision"] = intake_decision(order, threshold)
    return out

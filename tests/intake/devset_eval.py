"""Scoring the intake parser on our own dev sets: seven shop types, gold parses by hand.

Each shop in ``tests/intake/devsets/<shop>/`` has the catalog its owner would type in
(``catalog.json``: ``product add`` arguments, plus option aliases as
``[sku, group, option, alias]``) and messages with gold parses, split into a tuning half
(``tune.txt``) and a held-out half (``heldout.txt``). The split was committed before any
rule was tuned; the fishmonger is held out whole (an unseen shop type). Rules may be
written while reading tuning failures; held-out messages are only ever scored.

The message format, one block per message::

    == bakery-25                          id
    << 2 seeded sourdough for saturday    an earlier message from the same customer (0..n)
    last: RYE 1 ; CINN 2                  the customer's last order (for "the usual")
    sorry forget the croissants, ...      the message (one or more lines)
    -> SOUR-S 2 ; ALM-CROIS 2 ; when 2026-11-28

The gold after ``->`` is ``question``, ``past`` or ``chatter`` for a message that is not
an order, else lines separated by ``;``: ``SKU QTY [UNIT] [{option, ...}] [!{excluded,
...}]``; ``?SKU1|SKU2 QTY`` for a line the catalog cannot decide (the parser must ask);
``when DATE``, ``when DATETIME``, ``when DATE morning|afternoon|evening|lunch`` or
``when asap`` for the requested time (no ``when``: none was asked for).

Whole-message exact match: the same kind (an order or not), the same lines as a multiset
(product or alternatives, quantity, options, exclusions) and the same requested time.
Quantities are compared in the product's selling unit, converted from the gold's unit
with this module's own table (independent of the parser's); a count given for a weighed
product ("4 pork chops" sold by the kg) must stay a count.
"""

from __future__ import annotations

import itertools
import json
import re
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

DEVSETS = Path(__file__).resolve().parent / "devsets"
#: Wednesday 25 November 2026, 09:30 in the shops' zone: every gold time is relative to it
FIXED_NOW = datetime(2026, 11, 25, 9, 30, tzinfo=ZoneInfo("Europe/London"))
SHOPS = ("bakery", "butcher_deli", "greengrocer", "hardware_garden", "florist", "cafe",
         "fishmonger")
UNSEEN_SHOPS = ("fishmonger",)
NOT_ORDERS = ("question", "past", "chatter")
SPLITS = ("tune", "heldout")

# gold units -> (dimension, factor to the dimension's base: g, ml, mm)
_UNITS: dict[str, tuple[str, Decimal]] = {
    "g": ("mass", Decimal(1)), "kg": ("mass", Decimal(1000)),
    "lb": ("mass", Decimal("453.59237")), "oz": ("mass", Decimal("28.349523125")),
    "100g": ("mass", Decimal(100)),
    "ml": ("volume", Decimal(1)), "l": ("volume", Decimal(1000)),
    "mm": ("length", Decimal(1)), "cm": ("length", Decimal(10)), "m": ("length", Decimal(1000)),
}
_PARTS_OF_DAY = {"morning": (5, 12), "lunch": (11, 14), "afternoon": (12, 18),
                 "evening": (17, 23)}
_MILLI = Decimal("0.001")


class GoldSyntaxError(ValueError):
    """A dev-set file does not follow the format in the module docstring."""


@dataclass(frozen=True)
class GoldLine:
    skus: tuple[str, ...]            # one sku, or the alternatives of an ambiguous line
    amount: Decimal
    unit: str                        # "" for a plain count
    options: frozenset[str] = frozenset()
    excluded: frozenset[str] = frozenset()

    @property
    def ambiguous(self) -> bool:
        return len(self.skus) > 1


@dataclass(frozen=True)
class Gold:
    kind: str                        # "order" or one of NOT_ORDERS
    lines: tuple[GoldLine, ...] = ()
    when: str | None = None


@dataclass(frozen=True)
class Example:
    shop: str
    split: str
    id: str
    text: str
    gold: Gold
    earlier: tuple[str, ...] = ()
    last_order: tuple[GoldLine, ...] = ()


@dataclass
class Shop:
    name: str
    catalog: dict[str, Any]
    examples: dict[str, list[Example]] = field(default_factory=dict)


# -- reading -------------------------------------------------------------------------------

_LINE = re.compile(r"^(?P<sku>\??[A-Z0-9][A-Z0-9|-]*)\s+(?P<qty>\d+(?:\.\d+)?)"
                   r"(?:\s+(?P<unit>[a-z0-9]+))?"
                   r"(?:\s*\{(?P<opts>[^}]*)\})?(?:\s*!\{(?P<excl>[^}]*)\})?$")
_WHEN = re.compile(r"^when\s+(?P<w>asap|\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}|\s+[a-z]+)?)$")


def _names(text: str | None) -> frozenset[str]:
    return frozenset(n.strip().lower() for n in (text or "").split(",") if n.strip())


def parse_gold_line(text: str) -> GoldLine:
    m = _LINE.match(text.strip())
    if m is None:
        raise GoldSyntaxError(f"not a gold line: {text!r}")
    sku = m.group("sku")
    skus = tuple(sku[1:].split("|")) if sku.startswith("?") else (sku,)
    if (len(skus) > 1) != sku.startswith("?") or not all(skus):
        raise GoldSyntaxError(f"ambiguous lines are ?A|B, one sku otherwise: {text!r}")
    return GoldLine(skus, Decimal(m.group("qty")), m.group("unit") or "",
                    _names(m.group("opts")), _names(m.group("excl")))


def parse_gold(text: str) -> Gold:
    text = text.strip()
    if text in NOT_ORDERS:
        return Gold(text)
    lines: list[GoldLine] = []
    when = None
    for part in (p.strip() for p in text.split(";")):
        if part.startswith("when "):
            m = _WHEN.match(part)
            if m is None or when is not None:
                raise GoldSyntaxError(f"bad or second time: {part!r}")
            when = " ".join(m.group("w").split())
            if " " in when and when.split()[1] not in _PARTS_OF_DAY:
                raise GoldSyntaxError(f"unknown part of the day: {part!r}")
        else:
            lines.append(parse_gold_line(part))
    if not lines:
        raise GoldSyntaxError(f"an order needs lines: {text!r}")
    return Gold("order", tuple(lines), when)


def parse_examples(text: str, shop: str, split: str) -> list[Example]:
    out: list[Example] = []
    seen: set[str] = set()
    for block in re.split(r"^== ", text, flags=re.M)[1:]:
        head, _, body = block.partition("\n")
        ex_id = head.strip()
        if not ex_id or ex_id in seen:
            raise GoldSyntaxError(f"missing or repeated id {ex_id!r} in {shop}/{split}")
        seen.add(ex_id)
        earlier: list[str] = []
        last: list[GoldLine] = []
        message: list[str] = []
        gold: Gold | None = None
        for raw in body.split("\n"):
            if raw.startswith("<< "):
                earlier.append(raw[3:])
            elif raw.startswith("last: "):
                last = [parse_gold_line(p) for p in raw[6:].split(";")]
            elif raw.startswith("-> "):
                gold = parse_gold(raw[3:])
            elif gold is None:
                message.append(raw)
            elif raw.strip() and not raw.startswith("#"):
                raise GoldSyntaxError(f"{ex_id}: text after the gold line: {raw!r}")
        text_ = "\n".join(message).strip()
        if gold is None or not text_:
            raise GoldSyntaxError(f"{ex_id}: a message needs text and a '-> ' gold line")
        out.append(Example(shop, split, ex_id, text_, gold, tuple(earlier), tuple(last)))
    return out


def load_shop(name: str) -> Shop:
    folder = DEVSETS / name
    shop = Shop(name, json.loads((folder / "catalog.json").read_text(encoding="utf-8")))
    for split in SPLITS:
        path = folder / f"{split}.txt"
        shop.examples[split] = parse_examples(path.read_text(encoding="utf-8"), name, split) \
            if path.exists() else []
    return shop


def load_all() -> list[Shop]:
    return [load_shop(name) for name in SHOPS]


# -- what the parser said, in gold terms ----------------------------------------------------

@dataclass(frozen=True)
class Said:
    """One parsed line reduced to what the gold states."""

    skus: tuple[str, ...]
    quantity: Decimal | None       # in the product's selling unit (None: not convertible)
    count: Decimal | None          # pieces, when the customer counted a weighed product
    options: frozenset[str]
    excluded: frozenset[str]


def _dimension(unit: str) -> tuple[str, Decimal] | None:
    return _UNITS.get(unit.lower().replace(" ", ""))


def gold_key(line: GoldLine, selling_unit: str) -> tuple[Any, ...]:
    """The comparable form of a gold line (see the module docstring)."""
    sell = _dimension(selling_unit)
    said = _dimension(line.unit) if line.unit else None
    if sell is not None and said is not None:
        if sell[0] != said[0]:
            raise GoldSyntaxError(f"{line}: {line.unit} cannot be sold by {selling_unit}")
        qty: tuple[str, Decimal] = ("sell", (line.amount * said[1] / sell[1]).quantize(_MILLI))
    elif sell is not None:
        qty = ("count", line.amount.quantize(_MILLI))   # a count of a weighed product
    elif said is not None:
        qty = ("as said", line.amount.quantize(_MILLI), line.unit)  # type: ignore[assignment]
    else:
        qty = ("sell", line.amount.quantize(_MILLI))
    return (tuple(sorted(line.skus)), qty, line.options, line.excluded)


def said_key(said: Said, selling_unit: str, said_unit: str) -> tuple[Any, ...]:
    if said.quantity is not None:
        qty: tuple[Any, ...] = ("sell", said.quantity.quantize(_MILLI))
    elif said.count is not None and _dimension(selling_unit) is not None:
        qty = ("count", said.count.quantize(_MILLI))
    elif said.count is not None:
        qty = ("as said", said.count.quantize(_MILLI), said_unit)
    else:
        qty = ("unknown",)
    return (tuple(sorted(said.skus)), qty, said.options, said.excluded)


def when_matches(gold: str | None, requested: dict[str, Any] | None) -> bool:
    if gold is None:
        return not requested
    if not requested or not requested.get("at"):
        return False
    at = datetime.fromisoformat(str(requested["at"])).astimezone(FIXED_NOW.tzinfo)
    precision = requested.get("precision")
    if gold == "asap":
        return bool(precision == "asap")
    if "T" in gold:
        return precision == "exact" and at.strftime("%Y-%m-%dT%H:%M") == gold
    day, _, part = gold.partition(" ")
    if at.strftime("%Y-%m-%d") != day:
        return False
    if not part:
        return precision == "day"
    lo, hi = _PARTS_OF_DAY[part]
    return precision in ("part_of_day", "exact") and lo <= at.hour < hi


# -- scoring ---------------------------------------------------------------------------------

#: turns one parse (a JSON-able proposal) into Said lines; given by the caller, so this
#: module does not depend on one version of the proposal's shape
Reader = Callable[[dict[str, Any]], list[tuple[Said, str]]]
#: parses an example (earlier messages, last order, text) into a proposal dict
Parser = Callable[[Example], dict[str, Any]]


@dataclass
class Outcome:
    example: Example
    proposal: dict[str, Any]
    exact: bool
    is_order: bool                  # the parser proposed lines
    drafted: bool                   # ... and confident enough for an automatic draft
    confidence: float


def judge(example: Example, proposal: dict[str, Any], units: dict[str, str],
          reader: Reader) -> Outcome:
    said = reader(proposal)
    is_order = bool(said)
    drafted = proposal.get("decision") == "draft"
    conf = float(proposal.get("confidence") or 0.0)
    if example.gold.kind != "order":
        return Outcome(example, proposal, not is_order, is_order, drafted, conf)
    gold = Counter(gold_key(line, units.get(line.skus[0], "each"))
                   for line in example.gold.lines)
    got = Counter(said_key(s, units.get(s.skus[0], "each") if s.skus else "each", unit)
                  for s, unit in said)
    exact = gold == got and when_matches(example.gold.when, proposal.get("requested_time"))
    return Outcome(example, proposal, exact, is_order, drafted, conf)


@dataclass
class SetScore:
    shop: str
    split: str
    outcomes: list[Outcome]

    @property
    def n(self) -> int:
        return len(self.outcomes)

    @property
    def exact(self) -> int:
        return sum(o.exact for o in self.outcomes)

    @property
    def accuracy(self) -> float:
        return self.exact / self.n if self.n else 0.0


def selling_units(catalog: dict[str, Any]) -> dict[str, str]:
    return {str(p["sku"]): str(p.get("unit") or "each") for p in catalog["products"]}


def score_shop(shop: Shop, parser: Callable[[Shop], Parser], reader: Reader,
               splits: Iterable[str] = SPLITS) -> list[SetScore]:
    parse = parser(shop)
    units = selling_units(shop.catalog)
    out = []
    for split in splits:
        examples = shop.examples.get(split) or []
        if examples:
            out.append(SetScore(shop.name, split, [judge(ex, parse(ex), units, reader)
                                                   for ex in examples]))
    return out


def reliability(outcomes: Iterable[Outcome], edges: Iterable[float] = (
        0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0001)) -> list[dict[str, Any]]:
    """Confidence bins of parses that proposed lines: how many, how many fully right."""
    bounds = list(edges)
    rows = []
    proposed = [o for o in outcomes if o.is_order]
    for lo, hi in itertools.pairwise(bounds):
        inside = [o for o in proposed if lo <= o.confidence < hi]
        right = sum(o.exact for o in inside)
        rows.append({"from": lo, "to": min(hi, 1.0), "n": len(inside), "right": right,
                     "accuracy": round(right / len(inside), 4) if inside else None,
                     "mean_confidence": round(sum(o.confidence for o in inside) / len(inside),
                                              4) if inside else None})
    return rows


def draft_precision(outcomes: Iterable[Outcome], threshold: float) -> tuple[int, int]:
    """(drafts fully right, drafts) among parses at or above ``threshold``."""
    drafts = [o for o in outcomes if o.is_order and o.confidence >= threshold]
    return sum(o.exact for o in drafts), len(drafts)


# -- the parser under test ---------------------------------------------------------------

def _count_like(unit: str) -> bool:
    return _dimension(unit) is None


def read_proposal(proposal: dict[str, Any]) -> list[tuple[Said, str]]:
    """The proposal's lines (``DraftOrder.to_json``) as :class:`Said` values."""
    out = []
    for line in proposal.get("lines") or []:
        skus = (str(line["sku"]),) if line.get("sku") else tuple(
            str(s) for s in line.get("alternatives") or ())
        options = set()
        if line.get("size"):
            options.add(str(line["size"]["name"]).lower())
        for key in ("variants", "modifiers"):
            options.update(str(o["name"]).lower() for o in line.get(key) or [])
        excluded = {str(o["name"]).lower() for o in line.get("exclusions") or []}
        excluded.update(str(x).lower() for x in line.get("unknown_exclusions") or [])
        quantity = line.get("quantity")
        amount_unit = str(line.get("amount_unit") or "")
        count = None
        if line.get("amount") is not None and _count_like(amount_unit):
            count = Decimal(str(line["amount"]))
        sell = None if quantity is None else Decimal(str(quantity))
        if count is not None and _dimension(str(line.get("unit") or "each")) is not None:
            sell = None   # pieces of a weighed product: not a quantity in its unit
        out.append((Said(skus, sell, count, frozenset(options), frozenset(excluded)),
                    amount_unit))
    return out


def shop_products(shop: Shop) -> list[dict[str, Any]]:
    """The catalog's products as the read model holds them once the owner has typed the
    option aliases too (``product option-alias SKU GROUP OPTION ALIAS``)."""
    products = {str(p["sku"]): dict(p, option_aliases={}) for p in shop.catalog["products"]}
    for sku, group, option, alias in shop.catalog.get("option_aliases") or []:
        by_option = products[sku]["option_aliases"].setdefault(group, {})
        by_option.setdefault(option, []).append(alias)
    return list(products.values())


def shop_catalog(shop: Shop) -> Any:
    """The shop's ``IntakeCatalog``, built the way the engine builds it."""
    from app.engine.intake_bridge import catalog_dict
    from app.intake.catalog_model import IntakeCatalog

    return IntakeCatalog.from_dict(catalog_dict(shop_products(shop),
                                                shop.catalog.get("currency", "GBP")))


def context_for(example: Example, catalog: Any) -> Any:
    """The ``IntakeContext`` the engine would give the example's message: the last order,
    and the open draft its earlier messages made, message by message."""
    from app.intake.draft_order import IntakeContext
    from app.intake.intake_json import parse_message_json
    from app.intake.line_parts import PriorLine

    def prior(line: GoldLine) -> PriorLine:
        return PriorLine(sku=line.skus[0], amount=line.amount, amount_unit=line.unit,
                         options=tuple(line.options), exclusions=tuple(line.excluded))

    last = tuple(prior(line) for line in example.last_order)
    context = IntakeContext(last_order=last)
    for earlier in example.earlier:
        out = parse_message_json(earlier, catalog, now=FIXED_NOW, context=context)
        lines = [PriorLine.from_json(dict(line, line_id=line.get("line_id") or f"ln{n}"))
                 for n, line in enumerate(out["lines"])]
        context = IntakeContext(previous=tuple(p for p in lines if p is not None),
                                previous_time=parse_order_time(out), last_order=last)
    return context


def intake_parser(shop: Shop) -> Parser:
    """Parse an example the way the engine does: the shop's products through the engine's
    catalog adapter, the parser's JSON entry point, the shop's default threshold."""
    from app.intake.intake_json import parse_message_json

    catalog = shop_catalog(shop)

    def parse(example: Example) -> dict[str, Any]:
        return parse_message_json(example.text, catalog, now=FIXED_NOW,
                                  context=context_for(example, catalog))

    return parse


def parse_order_time(proposal: dict[str, Any]) -> Any:
    """The proposal's requested time back as a ``RequestedTime`` (for the next message)."""
    from app.intake.requested_time import RequestedTime

    found = proposal.get("requested_time")
    if not found:
        return None
    return RequestedTime(datetime.fromisoformat(found["at"]), found["precision"],
                         found.get("text", ""))


def evaluate(shops: Iterable[Shop] | None = None, splits: Iterable[str] = SPLITS
             ) -> list[SetScore]:
    out: list[SetScore] = []
    for shop in shops if shops is not None else load_all():
        out.extend(score_shop(shop, intake_parser, read_proposal, splits))
    return out


def _show(outcome: Outcome) -> str:
    ex = outcome.example
    said = [f"{','.join(s.skus) or '?'} q={s.quantity} n={s.count} {sorted(s.options)}"
            f"{' !' + str(sorted(s.excluded)) if s.excluded else ''}"
            for s, _ in read_proposal(outcome.proposal)]
    when = (outcome.proposal.get("requested_time") or {}).get("at")
    return (f"{ex.id} [{outcome.confidence:.2f} {outcome.proposal.get('decision')}]\n"
            f"   {ex.text!r}\n   gold {ex.gold}\n   got  {said} when={when}")


if __name__ == "__main__":  # tuning aid: failures of the tuning halves only
    import sys

    for score in evaluate(splits=("tune",)):
        print(f"{score.shop}/{score.split}: {score.exact}/{score.n} = {score.accuracy:.3f}")
        if "-q" not in sys.argv:
            for o in score.outcomes:
                if not o.exact:
                    print(_show(o))


# -- calibration ---------------------------------------------------------------------------

#: the draft precision the issue asks for
TARGET_PRECISION = 0.97
CALIBRATION_EDGES = (0.0, 0.3, 0.5, 0.6, 0.7, 0.8, 0.85, 0.9, 0.95, 1.0001)


@dataclass(frozen=True)
class Judged:
    """One parse reduced to what calibration needs: its confidence, lines proposed, right."""

    confidence: float
    proposed: bool
    right: bool


def judged(outcomes: Iterable[Outcome]) -> list[Judged]:
    return [Judged(o.confidence, o.is_order, o.exact) for o in outcomes]


def recommend_threshold(items: Iterable[Judged], target: float = TARGET_PRECISION,
                        edges: tuple[float, ...] = CALIBRATION_EDGES) -> float:
    """The lowest confidence from which every bin above is precise enough to draft.

    Each bin's precision is estimated with Laplace's rule of succession, (right + 1) /
    (n + 2): a bin the tuning data rarely fills (an evidence class seen a few times)
    stays below the target however clean it looked, instead of trusting 9 right out of
    9. Only the tuning data goes in; the held-out halves are scored at the result.
    """
    proposed = [j for j in items if j.proposed]
    threshold = edges[-1]
    for lo, hi in reversed(list(itertools.pairwise(edges))):
        inside = [j for j in proposed if lo <= j.confidence < hi]
        estimate = (sum(j.right for j in inside) + 1) / (len(inside) + 2)
        if estimate < target:
            break
        threshold = lo
    return min(threshold, 1.0)

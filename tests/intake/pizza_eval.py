"""Evaluating the intake parser on the PIZZA dataset's dev split (evaluation only).

The PIZZA dataset (amazon-science/pizza-semantic-parsing-dataset) is CC BY-NC 4.0: it is
read from the shared vectors (``pizza/``, see ``tests/helpers/vectors.py``) at test time
and never copied into the product.

- :func:`load_pizza_catalog` turns the dataset's entity catalogs into an
  :class:`IntakeCatalog` dict: one PIZZA product (sizes, styles, toppings) and one product
  per drink type (sizes, containers, volumes); the quantity qualifiers become shop vocab.
- :func:`parse_exr` reads a gold EXR tree; :func:`draft_to_exr` converts our
  :class:`DraftOrder` to the same comparable form: a multiset of suborders, each a sorted
  tuple of entities (label, value, quantity, negated).
- :func:`evaluate` computes whole-order exact match and per-entity precision/recall.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from app.intake.catalog_model import IntakeCatalog
from app.intake.order_parser import DraftOrder, parse_order
from tests.helpers.vectors import has_vectors, vector_path

PIZZA_SKU = "PIZZA"
FIXED_NOW = datetime(2026, 11, 23, 12, 0, tzinfo=ZoneInfo("UTC"))
_CANON = re.compile(r"^(\w+)\((.*)\)$")
_UNIT_OF = {"LITER": "l", "ML": "ml", "OZ": "oz", "FLOZ": "fl oz"}
_QUALIFIER_TO_EXR = {"extra": "EXTRA", "double": "EXTRA", "light": "LIGHT"}

Entity = tuple[str, str, str, bool]          # label, value, quantity qualifier, negated
Suborder = tuple[str, tuple[Entity, ...]]     # PIZZAORDER / DRINKORDER, sorted entities


def available() -> bool:
    return has_vectors("pizza", "PIZZA_dev.json")


def pizza_dir() -> Path:
    """The dataset's directory; skips the caller (fails in CI) when it is missing."""
    return vector_path("pizza")


def _read_catalog(name: str) -> list[tuple[str, str, list[str]]]:
    """(surface, function, args) rows of one catalogs/*.txt file."""
    rows = []
    for line in (pizza_dir() / "catalogs" / name).read_text(encoding="utf-8").splitlines():
        if "\t" not in line:
            continue
        surface, canonical = line.split("\t", 1)
        m = _CANON.match(canonical.strip())
        if not m:
            continue
        args = [a.strip() for a in m.group(2).split(",")]
        rows.append((surface.strip(), m.group(1), args))
    return rows


def _options(rows: Iterable[tuple[str, str, list[str]]]) -> list[dict[str, Any]]:
    by_id: dict[str, dict[str, Any]] = {}
    for surface, _fn, args in rows:
        oid = args[0]
        opt = by_id.setdefault(oid, {"id": oid, "name": surface, "aliases": []})
        if surface != opt["name"] and surface not in opt["aliases"]:
            opt["aliases"].append(surface)
    return list(by_id.values())


def pizza_catalog_dict() -> dict[str, Any]:
    """The dataset's catalogs as an IntakeCatalog dict (see catalog_model docstring)."""
    volumes: dict[str, dict[str, Any]] = {}
    for surface, _fn, args in _read_catalog("drink_volume.txt"):
        amount, unit = args[0], args[1]
        oid = f"{amount} {unit}"
        opt = volumes.setdefault(oid, {"id": oid, "name": surface, "aliases": [],
                                       "measure": f"{amount} {_UNIT_OF[unit]}"})
        opt["aliases"].append(surface)
    drinks: dict[str, dict[str, Any]] = {}
    for surface, _fn, args in _read_catalog("drinks.txt"):
        sku = args[0]
        prod = drinks.setdefault(sku, {"sku": sku, "name": surface, "aliases": [],
                                       "option_groups": ["size", "container", "volume"]})
        prod["aliases"].append(surface)
    qualifiers = {surface: args[0].lower()
                  for surface, _fn, args in _read_catalog("quant_qualifier.txt")}
    return {
        "currency": "USD",
        "option_groups": [
            {"id": "size", "name": "Size", "role": "size",
             "options": _options(_read_catalog("size.txt"))},
            {"id": "style", "name": "Style", "role": "variant", "max_choices": None,
             "options": _options(_read_catalog("style.txt"))},
            {"id": "topping", "name": "Toppings", "role": "modifier",
             "options": _options(_read_catalog("topping.txt"))},
            {"id": "container", "name": "Container", "role": "variant",
             "options": _options(_read_catalog("container.txt"))},
            {"id": "volume", "name": "Volume", "role": "variant",
             "options": list(volumes.values())},
        ],
        "products": [
            {"sku": PIZZA_SKU, "name": "pizza", "aliases": ["pie", "pizza pie"],
             "option_groups": ["size", "style", "topping"]},
            *drinks.values(),
        ],
        "vocab": {"qualifiers": qualifiers},
    }


def load_pizza_catalog() -> IntakeCatalog:
    return IntakeCatalog.from_dict(pizza_catalog_dict())


@dataclass(frozen=True)
class Example:
    index: int
    text: str
    gold: Counter[Suborder]
    exr: str


def load_dev() -> list[Example]:
    out = []
    with open(pizza_dir() / "PIZZA_dev.json", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if not line.strip():
                continue
            row = json.loads(line)
            out.append(Example(i, row["dev.SRC"], parse_exr(row["dev.EXR"]), row["dev.EXR"]))
    return out


# -- EXR -------------------------------------------------------------------------------------

def _sexpr(text: str) -> list[Any]:
    tokens = text.replace("(", " ( ").replace(")", " ) ").split()
    stack: list[list[Any]] = [[]]
    for tok in tokens:
        if tok == "(":
            stack.append([])
        elif tok == ")":
            node = stack.pop()
            stack[-1].append(node)
        else:
            stack[-1].append(tok)
    return stack[0][0] if stack[0] else []


def _entities(node: list[Any], negated: bool = False) -> list[Entity]:
    label = node[0]
    if label == "NOT":
        out: list[Entity] = []
        for child in node[1:]:
            out.extend(_entities(child, True))
        return out
    if label == "COMPLEX_TOPPING":
        qty = ""
        value = ""
        for child in node[1:]:
            if child[0] == "QUANTITY":
                qty = " ".join(child[1:])
            elif child[0] == "TOPPING":
                value = " ".join(child[1:])
        return [("TOPPING", value, qty, negated)]
    return [(label, " ".join(str(x) for x in node[1:]), "", negated)]


def parse_exr(exr: str) -> Counter[Suborder]:
    tree = _sexpr(exr)
    orders: Counter[Suborder] = Counter()
    for sub in tree[1:]:
        ents: list[Entity] = []
        for child in sub[1:]:
            ents.extend(_entities(child))
        orders[(sub[0], tuple(sorted(ents)))] += 1
    return orders


def _number(q: Any) -> str:
    return str(int(q)) if q == int(q) else str(q)


def draft_to_exr(order: DraftOrder) -> Counter[Suborder]:
    """Our DraftOrder in EXR-comparable form."""
    orders: Counter[Suborder] = Counter()
    for line in order.lines:
        ents: list[Entity] = [("NUMBER", _number(line.quantity), "", False)]
        if line.size is not None:
            ents.append(("SIZE", line.size.option_id, "", False))
        if line.sku == PIZZA_SKU:
            kind = "PIZZAORDER"
            for v in line.variants:
                ents.append(("STYLE", v.option_id, "", False))
            for m in line.modifiers:
                ents.append(("TOPPING", m.option_id,
                             _QUALIFIER_TO_EXR.get(m.qualifier or "", ""), False))
            for x in line.exclusions:
                label = "STYLE" if x.group_id == "style" else (
                    "SIZE" if x.group_id == "size" else "TOPPING")
                ents.append((label, x.option_id,
                             _QUALIFIER_TO_EXR.get(x.qualifier or "", ""), True))
        else:
            kind = "DRINKORDER"
            ents.append(("DRINKTYPE", line.sku or "", "", False))
            for v in line.variants:
                label = "CONTAINERTYPE" if v.group_id == "container" else "VOLUME"
                ents.append((label, v.option_id, "", False))
        orders[(kind, tuple(sorted(ents)))] += 1
    return orders


# -- scoring ----------------------------------------------------------------------------------

@dataclass
class Scores:
    n: int = 0
    exact: int = 0
    per_label: dict[str, list[int]] = field(default_factory=dict)  # label -> [tp, fp, fn]
    failures: list[tuple[Example, Counter[Suborder]]] = field(default_factory=list)

    @property
    def accuracy(self) -> float:
        return self.exact / self.n if self.n else 0.0

    def precision_recall(self) -> dict[str, tuple[float, float]]:
        out = {}
        for label, (tp, fp, fn) in sorted(self.per_label.items()):
            p = tp / (tp + fp) if tp + fp else 1.0
            r = tp / (tp + fn) if tp + fn else 1.0
            out[label] = (p, r)
        return out


def _flat(orders: Counter[Suborder]) -> Counter[tuple[str, str, Entity]]:
    flat: Counter[tuple[str, str, Entity]] = Counter()
    for (kind, ents), count in orders.items():
        for e in ents:
            label = ("NOT_" if e[3] else "") + (f"{e[0]}+{e[2]}" if e[2] else e[0])
            flat[(label, kind, e)] += count
    return flat


def score(examples: Sequence[Example], catalog: IntakeCatalog) -> Scores:
    s = Scores()
    for ex in examples:
        pred = draft_to_exr(parse_order(ex.text, catalog, FIXED_NOW))
        s.n += 1
        if pred == ex.gold:
            s.exact += 1
        else:
            s.failures.append((ex, pred))
        gold_flat, pred_flat = _flat(ex.gold), _flat(pred)
        for key in set(gold_flat) | set(pred_flat):
            label = key[0]
            row = s.per_label.setdefault(label, [0, 0, 0])
            g, p = gold_flat.get(key, 0), pred_flat.get(key, 0)
            row[0] += min(g, p)
            row[1] += max(0, p - g)
            row[2] += max(0, g - p)
        for kind in ("PIZZAORDER", "DRINKORDER"):
            row = s.per_label.setdefault(f"suborder:{kind}", [0, 0, 0])
            g_sub = Counter({k: v for k, v in ex.gold.items() if k[0] == kind})
            p_sub = Counter({k: v for k, v in pred.items() if k[0] == kind})
            tp = sum((g_sub & p_sub).values())
            row[0] += tp
            row[1] += sum(p_sub.values()) - tp
            row[2] += sum(g_sub.values()) - tp
    return s


def evaluate(indices: str = "all") -> Scores:
    """Score the dev split: ``indices`` is "all", "even" (tuning half) or "odd" (held out)."""
    examples = load_dev()
    if indices == "even":
        examples = [e for e in examples if e.index % 2 == 0]
    elif indices == "odd":
        examples = [e for e in examples if e.index % 2 == 1]
    return score(examples, load_pizza_catalog())


if __name__ == "__main__":  # tuning aid: failures on the even (tuning) half only
    result = evaluate("even")
    print(f"even: {result.exact}/{result.n} = {result.accuracy:.3f}")
    for ex, pred in result.failures:
        print(f"\n#{ex.index} {ex.text}")
        for sub in sorted(ex.gold - pred):
            print("  missing ", sub)
        for sub in sorted(pred - ex.gold):
            print("  extra   ", sub)

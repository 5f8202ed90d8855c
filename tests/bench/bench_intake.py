"""Intake parser: accuracy on the PIZZA dev split and parse latency.

Accuracy is reported three ways so overfitting shows: the whole dev split, the even
half (the only half looked at while writing rules) and the odd half (never inspected
utterance by utterance; a stand-in for the held-out test split).
"""

from __future__ import annotations

import time

from app.intake.intake_json import DEFAULT_AUTO_DRAFT_CONFIDENCE, intake_decision
from app.intake.order_parser import parse_order
from tests.bench.harness import percentile, report
from tests.intake import pizza_eval

_EXTRA_MESSAGES = [
    ("Hi! 2 large pepperoni pizzas, one with no olives, and a coke x3 for saturday 5pm, "
     "deliver to 12 Baker Street please. Budget under $50"),
    ("can i get two dozen garlic knots... jk, a medium veggie pie with extra cheese tomorrow "
     "morning for pickup"),
    "3x margherita, 2x hawaiian light on the ham, 4 cans of sprite at 7 tonight thx",
]


def main() -> None:
    if not pizza_eval.available():
        report("intake", "skipped_no_dataset", 1, "flag")
        return
    catalog = pizza_eval.load_pizza_catalog()
    examples = pizza_eval.load_dev()
    splits = {
        "all": examples,
        "even_tuning": [e for e in examples if e.index % 2 == 0],
        "odd_heldout": [e for e in examples if e.index % 2 == 1],
    }
    for name, subset in splits.items():
        scores = pizza_eval.score(subset, catalog)
        report("intake", f"pizza_dev_exact_match_{name}", scores.accuracy * 100, "%",
               goal=">= 90" if name != "even_tuning" else None, n=scores.n, exact=scores.exact)
        if name == "all":
            for label, (p, r) in scores.precision_recall().items():
                tp, fp, fn = scores.per_label[label]
                report("intake", f"pizza_dev_{label}", round(p * 100, 2), "%P",
                       recall=round(r * 100, 2), tp=tp, fp=fp, fn=fn)

    # how the default auto-draft threshold splits right and wrong parses
    drafted_right = drafted_wrong = right = wrong = 0
    for ex in examples:
        order = parse_order(ex.text, catalog, pizza_eval.FIXED_NOW)
        correct = pizza_eval.draft_to_exr(order) == ex.gold
        drafted = intake_decision(order) == "draft"
        right += correct
        wrong += not correct
        drafted_right += correct and drafted
        drafted_wrong += drafted and not correct
    report("intake", "auto_draft_share_of_correct_parses", 100 * drafted_right / max(1, right),
           "%", threshold=DEFAULT_AUTO_DRAFT_CONFIDENCE)
    report("intake", "auto_draft_share_of_wrong_parses", 100 * drafted_wrong / max(1, wrong),
           "%", threshold=DEFAULT_AUTO_DRAFT_CONFIDENCE, wrong=wrong)

    texts = [e.text for e in examples] + _EXTRA_MESSAGES
    for text in texts:  # warm caches (regexes, fuzzy memo) like a running engine would
        parse_order(text, catalog, pizza_eval.FIXED_NOW)
    timings: list[float] = []
    for _ in range(5):
        for text in texts:
            start = time.perf_counter()
            parse_order(text, catalog, pizza_eval.FIXED_NOW)
            timings.append((time.perf_counter() - start) * 1000)
    report("intake", "parse_p50", percentile(timings, 50), "ms", goal="< 5", n=len(timings))
    report("intake", "parse_p99", percentile(timings, 99), "ms", goal="< 5")
    report("intake", "parse_max", max(timings), "ms")
    start = time.perf_counter()
    pizza_eval.load_pizza_catalog()
    report("intake", "catalog_build", (time.perf_counter() - start) * 1000, "ms")

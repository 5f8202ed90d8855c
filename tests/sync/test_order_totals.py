"""An order's money from its stored state: discounts, tax per rate, returns."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from sync.order_totals import allocate, discount_amount, order_totals


def line(qty: str, price: int, rate: str = "0", pos: int = 0, **kw: Any) -> dict[str, Any]:
    return {"qty": qty, "unit_price": price, "tax_rate": rate, "pos": pos, **kw}


def test_an_old_order_reads_as_it_always_did() -> None:
    old = {"lines": {"a": {"qty": "2", "unit_price": 250}, "b": {"qty": "1.5",
                                                                 "unit_price": 310}}}
    money = order_totals(old)
    assert money.total == 500 + 465 and money.adjusted == money.total
    assert money.tax_lines() == []


def test_tax_included_in_prices_is_the_part_of_the_price() -> None:
    money = order_totals({"prices_include_tax": True, "lines": {
        "a": line("1", 1200, "20"), "b": line("2", 250, "5", 1), "c": line("1", 100, "0", 2)}})
    assert money.total == 1200 + 500 + 100
    assert money.tax == {"20": 200, "5": 24, "0": 0}
    assert money.tax_lines() == [{"rate": "5", "net": 476, "tax": 24},
                                 {"rate": "20", "net": 1000, "tax": 200}]


def test_tax_added_to_prices() -> None:
    money = order_totals({"prices_include_tax": False, "lines": {
        "a": line("1", 1000, "20"), "b": line("3", 333, "7.5", 1)}})
    assert money.tax == {"20": 200, "7.5": 75}  # 999 * 7.5% = 74.925 -> 75
    assert money.total == 1000 + 200 + 999 + 75


def test_rates_typed_differently_are_one_rate() -> None:
    money = order_totals({"lines": {"a": line("1", 120, "20"), "b": line("1", 120, "20.00", 1)}})
    assert set(money.tax) == {"20"} and money.tax["20"] == 40


def test_line_and_order_discounts_come_off_before_tax() -> None:
    order = {"prices_include_tax": False, "discount": {"kind": "amount", "value": 100},
             "lines": {"a": line("2", 500, "10", discount={"kind": "percent", "value": "10"}),
                       "b": line("1", 1000, "0", 1)}}
    money = order_totals(order)
    assert money.lines["a"].discount == 100  # 10% of 1000
    assert money.order_discount == 100
    # the 100 off the order is spread 900:1000 over the lines
    assert money.lines["a"].order_discount + money.lines["b"].order_discount == 100
    assert money.tax["10"] == round((900 - money.lines["a"].order_discount) * 0.1)
    assert money.total == 1900 - 100 + money.tax["10"]


def test_a_discount_never_exceeds_what_it_is_taken_from() -> None:
    assert discount_amount({"kind": "amount", "value": 10_000}, 500) == 500
    assert discount_amount({"kind": "percent", "value": "150"}, 500) == 500
    assert discount_amount({"kind": "percent", "value": "-5"}, 500) == 0
    assert discount_amount({"kind": "weird", "value": "5"}, 500) == 0


def test_returns_give_back_their_share_and_a_full_return_comes_to_zero() -> None:
    order = {"prices_include_tax": False, "discount": {"kind": "percent", "value": "10"},
             "lines": {"a": line("3", 333, "20", returned_qty="1"), "b": line("1", 250, "0", 1)}}
    money = order_totals(order)
    assert 0 < money.returned < money.total
    order["lines"]["a"]["returned_qty"] = "3"
    order["lines"]["b"]["returned_qty"] = "1"
    assert order_totals(order).adjusted == 0


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=20))
def test_allocate_adds_up(total: int, weights: list[int]) -> None:
    parts = allocate(total, weights)
    assert sum(parts) == total and all(p >= 0 for p in parts)


@given(st.lists(st.tuples(st.integers(1, 50), st.integers(0, 100_000),
                          st.sampled_from(["0", "5", "7.5", "20"])), min_size=1, max_size=8),
       st.booleans(), st.integers(0, 100))
def test_tax_parts_add_up_to_the_total(lines: list[tuple[int, int, str]], inclusive: bool,
                                       percent: int) -> None:
    order = {"prices_include_tax": inclusive, "discount": {"kind": "percent",
                                                           "value": str(percent)},
             "lines": {f"l{i}": line(str(q), p, r, i) for i, (q, p, r) in enumerate(lines)}}
    money = order_totals(order)
    assert sum(m.amount for m in money.lines.values()) == money.total
    assert sum(money.net.values()) + sum(money.tax.values()) == money.total
    assert money.total <= money.subtotal + sum(money.tax.values())

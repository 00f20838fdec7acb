"""Fees split pro rata to value, to the cent (largest remainder)."""

from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from portfolio.desk.allocation import allocate, pro_rata

D = Decimal


def test_pro_rata_exact_and_largest_remainder():
    assert pro_rata(D("1.00"), [D("1"), D("1"), D("1")]) == [D("0.34"), D("0.33"), D("0.33")]
    assert pro_rata(D("4.90"), [D("3000"), D("3000")]) == [D("2.45"), D("2.45")]
    assert pro_rata(D("0.05"), [D("100"), D("900")]) == [D("0.01"), D("0.04")]
    assert pro_rata(D("0.00"), [D("1"), D("2")]) == [D("0.00"), D("0.00")]
    assert pro_rata(D("1.00"), [D("0"), D("0")]) == [D("0.50"), D("0.50")]
    assert pro_rata(D("1.00"), []) == []
    assert pro_rata(D("-0.03"), [D("1"), D("2")]) == [D("-0.01"), D("-0.02")]


def test_allocate_each_fee_on_its_own():
    parts = allocate({"a": D("1.65"), "b": D("0.30")}, [D("3000"), D("3000"), D("50")])
    assert [p["a"] for p in parts] == [D("0.82"), D("0.82"), D("0.01")]
    assert sum(p["b"] for p in parts) == D("0.30")


@given(
    st.decimals(min_value=0, max_value=100000, places=2),
    st.lists(st.decimals(min_value=0, max_value=10**7, places=2), min_size=1, max_size=30),
)
def test_parts_always_add_up(amount, weights):
    parts = pro_rata(amount, weights)
    assert sum(parts) == amount
    assert all(p >= 0 for p in parts)
    total = sum(weights)
    if total > 0:
        for part, weight in zip(parts, weights, strict=True):
            assert abs(part - amount * weight / total) < D("0.01")

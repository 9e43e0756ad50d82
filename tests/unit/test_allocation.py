"""Payment allocation waterfall, overpayment, days past due and arrears status."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.finance.allocation import (Due, Overpayment, allocate_payment,
                                           arrears_status, arrears_status_batch,
                                           days_past_due, days_past_due_batch)

D = Decimal
JAN, FEB, MAR = dt.date(2025, 1, 31), dt.date(2025, 2, 28), dt.date(2025, 3, 31)


def two_due() -> list[Due]:
    # Given newest first on purpose: allocation sorts by due date.
    return [Due(2, FEB, D("5"), D("90"), D("910")),
            Due(1, JAN, D("5"), D("100"), D("900"), fee_paid=D("5"), interest_paid=D("40"))]


def test_oldest_installment_first_fee_then_interest_then_principal() -> None:
    a = allocate_payment(D("1000"), two_due())
    assert [(x.number, x.fee, x.interest, x.principal) for x in a.lines] == [
        (1, D("0.00"), D("60.00"), D("900.00")), (2, D("5.00"), D("35.00"), D("0.00"))]
    assert (a.fee, a.interest, a.principal, a.prepayment) == (D("5.00"), D("95.00"),
                                                              D("900.00"), D("0.00"))
    first, second = a.after
    assert first.unpaid == 0 and first.interest_paid == D("100.00")
    assert (second.fee_paid, second.interest_paid, second.principal_paid) == (
        D("5.00"), D("35.00"), D("0.00"))
    assert second.unpaid == D("965.00")


def test_small_payment_goes_to_the_oldest_fee_and_interest_only() -> None:
    a = allocate_payment(D("30.01"), two_due())
    assert [(x.number, x.interest, x.principal) for x in a.lines] == [(1, D("30.01"), D("0.00"))]


def test_excess_is_a_principal_prepayment_up_to_the_outstanding_principal() -> None:
    dues = two_due()
    owed = sum(d.unpaid for d in dues)
    assert owed == D("1965.00")
    a = allocate_payment(D("3000"), dues, outstanding_principal=D("5000"))
    assert a.prepayment == D("1035.00") and a.principal == D("1810.00")
    assert all(d.unpaid == 0 for d in a.after)
    whole = allocate_payment(D("5155"), dues, outstanding_principal=D("5000"))
    assert whole.prepayment == D("3190.00")


def test_overpayment_is_refused_with_the_maximum() -> None:
    with pytest.raises(Overpayment, match="at most 5155.00") as caught:
        allocate_payment(D("5155.01"), two_due(), outstanding_principal=D("5000"))
    assert caught.value.maximum == D("5155.00") and isinstance(caught.value, ValueError)
    with pytest.raises(Overpayment, match="at most 1965.00"):
        allocate_payment(D("1965.01"), two_due())


@pytest.mark.parametrize("amount", [D("0"), D("-5"), D("10.001")])
def test_bad_amounts_are_refused(amount: Decimal) -> None:
    with pytest.raises(ValueError, match="amount"):
        allocate_payment(amount, two_due())


def test_bad_due_state_is_refused() -> None:
    with pytest.raises(ValueError, match="interest_paid"):
        Due(1, JAN, D("5"), D("100"), D("900"), interest_paid=D("100.01"))
    with pytest.raises(ValueError, match="outstanding_principal"):
        allocate_payment(D("10"), two_due(), outstanding_principal=D("100"))


def test_nothing_due_and_only_prepayment() -> None:
    a = allocate_payment(D("250"), [], outstanding_principal=D("1000"))
    assert a.lines == () and a.prepayment == D("250.00")


@settings(max_examples=200, deadline=None)
@given(parts=st.lists(st.tuples(*[st.integers(0, 10**6)] * 3, st.integers(0, 100)),
                      max_size=6),
       extra=st.integers(0, 10**7), pay=st.integers(1, 10**8))
def test_allocation_conserves_the_payment(parts: list, extra: int, pay: int) -> None:
    dues = [Due(i + 1, JAN + dt.timedelta(days=30 * i), D(f) / 100, D(n) / 100, D(p) / 100,
                principal_paid=D(p * pct // 100) / 100)
            for i, (f, n, p, pct) in enumerate(parts)]
    outstanding = sum((d.unpaid_part("principal") for d in dues), D(0)) + D(extra) / 100
    amount = D(pay) / 100
    maximum = sum((d.unpaid for d in dues), D(0)) + D(extra) / 100
    if amount > maximum:
        with pytest.raises(Overpayment):
            allocate_payment(amount, dues, outstanding)
        return
    a = allocate_payment(amount, dues, outstanding)
    assert a.fee + a.interest + a.principal + a.prepayment == amount
    # Waterfall: nothing goes to a later installment or prepayment while an older part is open.
    open_before = False
    for d in a.after:
        if open_before:
            assert all(getattr(d, f"{p}_paid") == getattr(o, f"{p}_paid")
                       for p in ("fee", "interest", "principal")
                       for o in dues if o.number == d.number)
        open_before = open_before or d.unpaid > 0
    if a.prepayment:
        assert all(d.unpaid == 0 for d in a.after)


# ---- days past due and arrears -------------------------------------------------------------

def test_days_past_due_counts_from_the_oldest_unpaid_due_date() -> None:
    rows = [(MAR, D("10")), (JAN, D("0")), (FEB, D("0.01"))]
    assert days_past_due(rows, FEB) == 0                    # due today is not late
    assert days_past_due(rows, dt.date(2025, 3, 1)) == 1
    assert days_past_due(rows, dt.date(2025, 4, 30)) == 61  # 28 Feb, not 31 Mar
    assert days_past_due([(JAN, D("0"))], MAR) == 0
    assert days_past_due([], MAR) == 0


def test_days_past_due_batch_matches_and_ignores_order() -> None:
    loan = np.array([1, 0, 1, 2, 0])
    due = np.array([MAR, JAN, FEB, JAN, FEB], dtype="datetime64[D]")
    unpaid = np.array([100, 0, 1, 500, 0])
    assert days_past_due_batch(loan, due, unpaid, dt.date(2025, 4, 30), 4).tolist() == [
        0, 61, 89, 0]
    assert days_past_due_batch(loan, due, unpaid, dt.date(2025, 4, 30)).tolist() == [0, 61, 89]
    with pytest.raises(ValueError, match="loan numbers"):
        days_past_due_batch(loan, due, unpaid, dt.date(2025, 4, 30), 2)


@settings(max_examples=100, deadline=None)
@given(rows=st.lists(st.tuples(st.integers(0, 9), st.dates(dt.date(2024, 1, 1),
                                                           dt.date(2026, 12, 31)),
                               st.integers(0, 3)), max_size=60),
       as_of=st.dates(dt.date(2024, 1, 1), dt.date(2026, 12, 31)))
def test_days_past_due_batch_equals_scalar(rows: list, as_of: dt.date) -> None:
    loan = np.array([r[0] for r in rows], dtype=np.int64)
    due = np.array([r[1] for r in rows], dtype="datetime64[D]")
    unpaid = np.array([r[2] for r in rows], dtype=np.int64)
    batch = days_past_due_batch(loan, due, unpaid, as_of, 10)
    for i in range(10):
        mine = [(r[1], D(r[2])) for r in rows if r[0] == i]
        assert batch[i] == days_past_due(mine, as_of)


@pytest.mark.parametrize("dpd, current, expected", [
    (0, "active", "active"), (1, "active", "in_arrears"), (90, "in_arrears", "in_arrears"),
    (91, "in_arrears", "defaulted"), (0, "in_arrears", "active"),
    (0, "defaulted", "defaulted"), (5, "defaulted", "defaulted"),
])
def test_arrears_status(dpd: int, current: str, expected: str) -> None:
    assert arrears_status(dpd, 90, current) == expected
    assert arrears_status_batch(np.array([dpd]), 90, np.array([current]))[0] == expected


def test_arrears_status_refuses_nonsense() -> None:
    with pytest.raises(ValueError, match="current"):
        arrears_status(0, 90, "closed")
    with pytest.raises(ValueError, match="dpd"):
        arrears_status(-1, 90, "active")
    with pytest.raises(ValueError, match="current"):
        arrears_status_batch(np.array([0]), 90, np.array(["paid"]))

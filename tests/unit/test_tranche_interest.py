"""A later tranche inside an installment period: interest on what was out for each part of it,
scalar and batch alike, money conserved."""
from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from creditline.finance.schedules import (build_schedule, periodic_interest,
                                          tranche_period_interest)
from creditline.finance.schedules_batch import build_schedules, installments
from tests.unit.test_schedules import batch_frame, loan_terms

D = Decimal
CENT = D("0.01")


def test_second_tranche_mid_period_charges_each_balance_for_its_days() -> None:
    # USD 50,000 out on 2025-01-20, 30,000 more on 2025-02-17; installment 1 due 2025-02-20.
    start, tranche, due = dt.date(2025, 1, 20), dt.date(2025, 2, 17), dt.date(2025, 2, 20)
    days, before, after = 31, 28, 3
    assert ((due - start).days, (tranche - start).days, (due - tranche).days) == (days, before, after)
    monthly = D("0.10") / 12
    by_hand = (D(50000) * monthly * before / days + D(80000) * monthly * after / days)
    expected = by_hand.quantize(CENT, rounding=ROUND_HALF_UP)
    assert expected == D("440.86")
    got = tranche_period_interest(start, due, D("50000.00"), [(tranche, D("30000.00"))],
                                  D("0.10"), 12)
    assert got == expected
    # Not a whole month on the whole 80,000 (the bill the borrower would dispute).
    assert got != periodic_interest(D("80000.00"), D("0.10"), 12) == D("666.67")


def test_tranches_on_the_period_start_or_several_in_one_period() -> None:
    start, due = dt.date(2025, 1, 31), dt.date(2025, 2, 28)
    assert tranche_period_interest(start, due, D("0"), [(start, D("1200.00"))], D("0.12"), 12) \
        == D("12.00")
    # 1,000 for 10 days, 3,000 for 8 days, 3,500 for the last 10 days of 28.
    got = tranche_period_interest(start, due, D("1000.00"),
                                  [(dt.date(2025, 2, 10), D("2000.00")),
                                   (dt.date(2025, 2, 18), D("500.00"))], D("0.12"), 12)
    assert got == (D("0.01") * (1000 * 10 + 3000 * 8 + 3500 * 10) / 28).quantize(
        CENT, rounding=ROUND_HALF_UP)


@pytest.mark.parametrize("when", [dt.date(2025, 1, 30), dt.date(2025, 2, 28)])
def test_a_tranche_outside_the_period_is_refused(when: dt.date) -> None:
    with pytest.raises(ValueError, match="outside the period"):
        tranche_period_interest(dt.date(2025, 1, 31), dt.date(2025, 2, 28), D("1.00"),
                                [(when, D("1.00"))], D("0.1"), 12)


@pytest.mark.parametrize("method", ["annuity", "equal_principal"])
def test_schedule_with_a_broken_first_period_conserves_the_principal(method: str) -> None:
    rows = build_schedule(D("80000"), D("0.10"), 36, 0, "monthly", method,
                          dt.date(2025, 1, 20), first_interest=D("440.86"))
    full = build_schedule(D("80000"), D("0.10"), 36, 0, "monthly", method, dt.date(2025, 1, 20))
    assert rows[0].interest == D("440.86") and full[0].interest == D("666.67")
    assert sum(r.principal for r in rows) == D("80000.00") and rows[-1].balance_after == 0
    assert [r.due_date for r in rows] == [r.due_date for r in full]
    if method == "annuity":  # the level payment stays: less interest repays more principal
        assert rows[0].principal + rows[0].interest == full[0].principal + full[0].interest


def test_a_bad_first_interest_is_refused_in_both_paths() -> None:
    terms = dict(principal=D("1000"), annual_rate=D("0.1"), tenor_months=12, grace_months=0,
                 frequency="monthly", method="annuity", start=dt.date(2025, 1, 1))
    for bad, words in ((D("-0.01"), "must not be negative"), (D("1.001"), "must be a whole number")):
        with pytest.raises(ValueError, match=f"first_interest {words}"):
            build_schedule(**terms, first_interest=bad)
        df = batch_frame([{**terms, "fee_per_installment": D(0)}], False, index=["L"])
        with pytest.raises(ValueError, match=f"loan 'L': first_interest {words}"):
            build_schedules(df.assign(first_interest=[float(bad)]))


@st.composite
def broken_loans(draw: st.DrawFn) -> dict[str, Any]:
    terms = draw(loan_terms())
    if draw(st.booleans()):
        cap = int(terms["principal"] * terms["annual_rate"] * 100) + 2
        terms["first_interest"] = D(draw(st.integers(0, cap))) / 100
    return terms


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loans=st.lists(broken_loans(), min_size=1, max_size=6), as_float=st.booleans())
def test_batch_equals_scalar_with_a_given_first_interest(loans: list[dict[str, Any]],
                                                          as_float: bool) -> None:
    given_interest = [t.get("first_interest") for t in loans]
    df = batch_frame(loans, as_float).assign(
        first_interest=[float("nan") if v is None else float(v) if as_float else v
                        for v in given_interest])
    frame = build_schedules(df)
    for i, terms in enumerate(loans):
        rows = installments(frame, i)
        assert rows == build_schedule(**terms)
        assert sum(r.principal for r in rows) == terms["principal"] and rows[-1].balance_after == 0


def test_a_frame_without_first_interest_is_unchanged() -> None:
    df = pd.DataFrame({"principal": [1000.0], "annual_rate": [0.1], "tenor_months": [3],
                       "grace_months": [0], "frequency": ["monthly"], "method": ["annuity"],
                       "start": [dt.date(2025, 1, 1)]})
    assert installments(build_schedules(df), 0) == build_schedule(
        D("1000"), D("0.1"), 3, 0, "monthly", "annuity", dt.date(2025, 1, 1))

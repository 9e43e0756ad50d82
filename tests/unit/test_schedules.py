"""Repayment schedules to the cent: worked cases, validation, prepayment, batch == scalar."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from creditline.finance.schedules import (FREQUENCIES, Installment, annuity_payment,
                                          build_schedule, reschedule_after_prepayment,
                                          schedule_totals)
from creditline.finance.schedules_batch import build_schedules, installments

D = Decimal


def column(schedule: list[Installment], name: str) -> list[str]:
    return [str(getattr(row, name)) for row in schedule]


def test_annuity_100000_at_12_percent_over_12_months() -> None:
    s = build_schedule(D("100000"), D("0.12"), 12, 0, "monthly", "annuity", dt.date(2025, 1, 31))
    assert len(s) == 12 and [r.number for r in s] == list(range(1, 13))
    assert column(s, "total") == ["8884.88"] * 11 + ["8884.85"]
    assert (s[0].interest, s[0].principal, s[0].balance_after) == (D("1000.00"), D("7884.88"),
                                                                    D("92115.12"))
    # The last installment repays exactly what is left, absorbing the rounding residue.
    assert (s[-1].principal, s[-1].interest) == (D("8796.88"), D("87.97"))
    assert s[-2].balance_after == s[-1].principal
    totals = schedule_totals(s)
    assert totals["principal"] == D("100000.00") and totals["interest"] == D("6618.53")
    assert s[-1].balance_after == D("0.00")
    assert [r.due_date for r in s[:4]] == [dt.date(2025, 2, 28), dt.date(2025, 3, 31),
                                           dt.date(2025, 4, 30), dt.date(2025, 5, 31)]


def test_grace_months_are_interest_only_then_annuity_over_the_rest() -> None:
    s = build_schedule(D("120000"), D("0.12"), 12, 3, "monthly", "annuity", dt.date(2025, 1, 15))
    assert column(s, "principal")[:3] == ["0.00"] * 3
    assert column(s, "interest")[:3] == ["1200.00"] * 3
    assert column(s, "balance_after")[:3] == ["120000.00"] * 3
    # npf.pmt(0.01, 9, 120000) = 14008.84 over the nine amortizing months.
    assert column(s, "total")[3:] == ["14008.84"] * 8 + ["14008.87"]
    assert schedule_totals(s)["principal"] == D("120000.00")
    assert s[3].due_date == dt.date(2025, 5, 15)


def test_equal_principal_quarterly_with_grace_and_fee() -> None:
    s = build_schedule(D("100000"), D("0.12"), 12, 3, "quarterly", "equal_principal",
                       dt.date(2025, 1, 31), D("5"))
    assert column(s, "principal") == ["0.00", "33333.33", "33333.33", "33333.34"]
    assert column(s, "interest") == ["3000.00", "3000.00", "2000.00", "1000.00"]
    assert column(s, "fee") == ["5.00"] * 4
    assert column(s, "total") == ["3005.00", "36338.33", "35338.33", "34338.34"]
    assert [r.due_date for r in s] == [dt.date(2025, 4, 30), dt.date(2025, 7, 31),
                                       dt.date(2025, 10, 31), dt.date(2026, 1, 31)]


def test_quarterly_annuity() -> None:
    s = build_schedule(D("100000"), D("0.08"), 24, 0, "quarterly", "annuity",
                       dt.date(2025, 3, 31))
    assert column(s, "total") == ["13650.98"] * 8
    assert column(s, "interest")[:2] == ["2000.00", "1766.98"]
    assert schedule_totals(s)["interest"] == D("9207.84")
    assert s[-1].due_date == dt.date(2027, 3, 31)


def test_zero_rate_splits_principal_and_clamps_to_month_end_in_a_leap_year() -> None:
    s = build_schedule(D("1000"), D("0"), 3, 0, "monthly", "annuity", dt.date(2024, 1, 31))
    assert column(s, "total") == ["333.33", "333.33", "333.34"]
    assert column(s, "interest") == ["0.00"] * 3
    assert [r.due_date for r in s] == [dt.date(2024, 2, 29), dt.date(2024, 3, 31),
                                       dt.date(2024, 4, 30)]
    same = build_schedule(D("1000"), D("0"), 3, 0, "monthly", "equal_principal",
                          dt.date(2024, 1, 31))
    assert same == s


def test_semiannual_and_annual_periods() -> None:
    semi = build_schedule(D("10000"), D("0.1"), 24, 6, "semiannual", "equal_principal",
                          dt.date(2025, 8, 31))
    assert column(semi, "interest") == ["500.00", "500.00", "333.33", "166.67"]
    assert semi[0].due_date == dt.date(2026, 2, 28)
    annual = build_schedule(D("10000"), D("0.1"), 36, 0, "annual", "annuity", dt.date(2024, 2, 29))
    assert column(annual, "total")[:2] == ["4021.15", "4021.15"]
    assert [r.due_date for r in annual] == [dt.date(2025, 2, 28), dt.date(2026, 2, 28),
                                            dt.date(2027, 2, 28)]


@pytest.mark.parametrize("change, argument", [
    ({"tenor_months": 10, "frequency": "quarterly"}, "tenor_months"),
    ({"tenor_months": 0}, "tenor_months"),
    ({"grace_months": 12}, "grace_months"),
    ({"grace_months": 1, "frequency": "quarterly"}, "grace_months"),
    ({"grace_months": -1}, "grace_months"),
    ({"annual_rate": D("1")}, "annual_rate"),
    ({"annual_rate": D("-0.01")}, "annual_rate"),
    ({"annual_rate": D("0.123456789")}, "annual_rate"),
    ({"principal": D("0")}, "principal"),
    ({"principal": D("100.001")}, "principal"),
    ({"frequency": "weekly"}, "frequency"),
    ({"method": "balloon"}, "method"),
    ({"fee_per_installment": D("-1")}, "fee_per_installment"),
    ({"start": "2025-01-01"}, "start"),
    ({"principal": None}, "principal"),
    ({"annual_rate": "twelve"}, "annual_rate"),
    ({"tenor_months": None}, "tenor_months"),
    ({"tenor_months": 12.5}, "tenor_months"),
])
def test_bad_terms_are_refused_naming_the_argument(change: dict, argument: str) -> None:
    terms: dict[str, Any] = {"principal": D("1000"), "annual_rate": D("0.1"), "tenor_months": 12,
                             "grace_months": 0, "frequency": "monthly", "method": "annuity",
                             "start": dt.date(2025, 1, 1)}
    with pytest.raises(ValueError, match=argument):
        build_schedule(**{**terms, **change})


# ---- prepayment ----------------------------------------------------------------------------

def test_prepayment_lower_installment_keeps_dates_and_numbers() -> None:
    s = build_schedule(D("100000"), D("0.12"), 12, 0, "monthly", "annuity", dt.date(2025, 1, 31))
    new = reschedule_after_prepayment(s[3:], D("50000"), D("0.12"), "monthly", "annuity",
                                      "lower_installment")
    assert [r.number for r in new] == list(range(4, 13))
    assert [r.due_date for r in new] == [r.due_date for r in s[3:]]
    assert column(new, "total") == ["5837.02"] * 8 + ["5837.01"]
    assert new[0].interest == D("500.00")
    assert schedule_totals(new)["principal"] == D("50000.00")


def test_prepayment_shorten_keeps_the_installment() -> None:
    s = build_schedule(D("100000"), D("0.12"), 12, 0, "monthly", "annuity", dt.date(2025, 1, 31))
    new = reschedule_after_prepayment(s[3:], D("50000"), D("0.12"), "monthly", "annuity",
                                      "shorten")
    assert [r.number for r in new] == [4, 5, 6, 7, 8, 9]
    assert column(new, "total") == ["8884.88"] * 5 + ["7300.97"]
    assert new[-1].due_date == dt.date(2025, 10, 31) and new[-1].balance_after == 0

    ep = build_schedule(D("120000"), D("0.12"), 12, 0, "monthly", "equal_principal",
                        dt.date(2025, 1, 31), D("2"))
    short = reschedule_after_prepayment(ep[3:], D("50000"), D("0.12"), "monthly",
                                        "equal_principal", "shorten")
    assert column(short, "principal") == ["10000.00"] * 5
    assert column(short, "interest") == ["500.00", "400.00", "300.00", "200.00", "100.00"]
    assert column(short, "fee") == ["2.00"] * 5


def test_prepayment_during_grace_keeps_the_grace() -> None:
    s = build_schedule(D("120000"), D("0.12"), 12, 3, "monthly", "annuity", dt.date(2025, 1, 15))
    for mode in ("shorten", "lower_installment"):
        new = reschedule_after_prepayment(s[1:], D("60000"), D("0.12"), "monthly", "annuity",
                                          mode)
        assert column(new, "principal")[:2] == ["0.00", "0.00"]
        assert column(new, "interest")[:2] == ["600.00", "600.00"]
        assert schedule_totals(new)["principal"] == D("60000.00")
    lower = reschedule_after_prepayment(s[1:], D("60000"), D("0.12"), "monthly", "annuity",
                                        "lower_installment")
    assert column(lower, "total")[2] == "7004.42"  # half of 14008.84, to the cent


def test_prepayment_edges() -> None:
    s = build_schedule(D("1000"), D("0.12"), 6, 0, "monthly", "annuity", dt.date(2025, 1, 1))
    assert reschedule_after_prepayment(s[2:], D("0"), D("0.12"), "monthly", "annuity",
                                       "shorten") == []
    with pytest.raises(ValueError, match="new_balance"):
        reschedule_after_prepayment(s[2:], s[1].balance_after + D("0.01"), D("0.12"),
                                    "monthly", "annuity", "shorten")
    with pytest.raises(ValueError, match="mode"):
        reschedule_after_prepayment(s[2:], D("10"), D("0.12"), "monthly", "annuity", "skip")
    with pytest.raises(ValueError, match="remaining"):
        reschedule_after_prepayment([], D("10"), D("0.12"), "monthly", "annuity", "shorten")


# ---- properties ----------------------------------------------------------------------------

@st.composite
def loan_terms(draw: st.DrawFn, max_cents: int = 10**11) -> dict[str, Any]:
    frequency = draw(st.sampled_from(list(FREQUENCIES)))
    step = FREQUENCIES[frequency]
    periods = draw(st.integers(1, 360 // step))
    return {
        "principal": Decimal(draw(st.integers(1, max_cents))) / 100,
        "annual_rate": Decimal(draw(st.integers(0, 99_999_999))) / 10**8
        if draw(st.booleans()) else Decimal(draw(st.integers(0, 30))) / 100,
        "tenor_months": periods * step,
        "grace_months": draw(st.integers(0, periods - 1)) * step,
        "frequency": frequency,
        "method": draw(st.sampled_from(["annuity", "equal_principal"])),
        "start": draw(st.dates(dt.date(2000, 1, 1), dt.date(2060, 12, 31))),
        "fee_per_installment": Decimal(draw(st.integers(0, 10_000))) / 100,
    }


@settings(max_examples=200, deadline=None)
@given(terms=loan_terms())
def test_schedule_invariants(terms: dict[str, Any]) -> None:
    s = build_schedule(**terms)
    grace = terms["grace_months"] // FREQUENCIES[terms["frequency"]]
    assert len(s) == terms["tenor_months"] // FREQUENCIES[terms["frequency"]]
    assert sum(r.principal for r in s) == terms["principal"]
    assert s[-1].balance_after == D("0.00")
    balances = [terms["principal"]] + [r.balance_after for r in s]
    assert all(a >= b for a, b in zip(balances, balances[1:]))
    assert all(r.principal == 0 for r in s[:grace])
    for r in s:
        assert r.total == r.principal + r.interest + r.fee and r.interest >= 0
        assert r.fee == terms["fee_per_installment"]
        for amount in (r.principal, r.interest, r.total, r.balance_after):
            assert amount == amount.quantize(D("0.01"))
    if terms["method"] == "annuity":
        ppy = 12 // FREQUENCIES[terms["frequency"]]
        level = annuity_payment(terms["principal"], terms["annual_rate"], ppy, len(s) - grace)
        # Every amortizing installment but the last pays the level amount, unless the interest
        # alone reaches it (extreme rate on a tiny loan: interest only, never a negative
        # principal) or the balance runs out first.
        for r in s[grace:-1]:
            if r.interest >= level:
                assert r.principal == 0
            elif r.principal + r.interest != level:
                assert r.balance_after == 0


@settings(max_examples=100, deadline=None)
@given(terms=loan_terms(max_cents=10**9), data=st.data())
def test_prepayment_invariants(terms: dict[str, Any], data: st.DataObject) -> None:
    s = build_schedule(**terms)
    cut = data.draw(st.integers(0, len(s) - 1))
    before = s[cut].balance_after + s[cut].principal
    assume(before > 0)  # a loan of a few cents can be repaid before its last installment
    new_balance = Decimal(data.draw(st.integers(1, int(before * 100)))) / 100
    mode = data.draw(st.sampled_from(["shorten", "lower_installment"]))
    new = reschedule_after_prepayment(s[cut:], new_balance, terms["annual_rate"],
                                      terms["frequency"], terms["method"], mode)
    assert sum(r.principal for r in new) == new_balance and new[-1].balance_after == 0
    assert [r.number for r in new] == [r.number for r in s[cut:cut + len(new)]]
    assert [r.due_date for r in new] == [r.due_date for r in s[cut:cut + len(new)]]
    if mode == "lower_installment":
        assert len(new) == len(s) - cut
    balances = [new_balance] + [r.balance_after for r in new]
    assert all(a >= b for a, b in zip(balances, balances[1:]))


# ---- batch == scalar -----------------------------------------------------------------------

def batch_frame(loans: list[dict[str, Any]], as_float: bool, index: Any = None) -> pd.DataFrame:
    rows = [{"principal": t["principal"], "annual_rate": t["annual_rate"],
             "tenor_months": t["tenor_months"], "grace_months": t["grace_months"],
             "frequency": t["frequency"], "method": t["method"], "start": t["start"],
             "fee": t["fee_per_installment"]} for t in loans]
    df = pd.DataFrame(rows, index=index)
    if as_float:
        df = df.astype({"principal": float, "annual_rate": float, "fee": float})
    return df


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(loans=st.lists(loan_terms(), min_size=1, max_size=6), as_float=st.booleans())
def test_batch_equals_scalar(loans: list[dict[str, Any]], as_float: bool) -> None:
    frame = build_schedules(batch_frame(loans, as_float))
    for i, terms in enumerate(loans):
        assert installments(frame, i) == build_schedule(**terms)


def test_batch_frame_shape_and_index_labels() -> None:
    loans = [{"principal": D("100000"), "annual_rate": D("0.12"), "tenor_months": 12,
              "grace_months": 0, "frequency": "monthly", "method": "annuity",
              "start": dt.date(2025, 1, 31), "fee_per_installment": D("0")},
             {"principal": D("100000"), "annual_rate": D("0.12"), "tenor_months": 12,
              "grace_months": 3, "frequency": "quarterly", "method": "equal_principal",
              "start": dt.date(2025, 1, 31), "fee_per_installment": D("5")}]
    frame = build_schedules(batch_frame(loans, True, index=["L-1", "L-2"]))
    assert list(frame.columns) == ["loan", "number", "due_date", "principal_cents",
                                   "interest_cents", "fee_cents", "total_cents",
                                   "balance_after_cents"]
    assert frame["loan"].tolist() == ["L-1"] * 12 + ["L-2"] * 4
    assert frame["total_cents"].iloc[0] == 888_488 and frame["total_cents"].iloc[11] == 888_485
    assert frame["principal_cents"].iloc[12:].tolist() == [0, 3_333_333, 3_333_333, 3_333_334]
    assert frame["due_date"].iloc[0] == pd.Timestamp("2025-02-28")
    assert installments(frame, "L-2") == build_schedule(
        D("100000"), D("0.12"), 12, 3, "quarterly", "equal_principal", dt.date(2025, 1, 31),
        D("5"))


def test_batch_refuses_a_bad_row_in_the_scalar_words() -> None:
    df = pd.DataFrame({"principal": [1000.0, 2000.0], "annual_rate": [0.1, 0.1],
                       "tenor_months": [12, 10], "grace_months": [0, 0],
                       "frequency": ["monthly", "quarterly"], "method": ["annuity"] * 2,
                       "start": [dt.date(2025, 1, 1)] * 2}, index=[7, 8])
    with pytest.raises(ValueError, match=r"loan 8: tenor_months must be a positive multiple"):
        build_schedules(df)
    with pytest.raises(ValueError, match="principal must be a whole number of cents"):
        build_schedules(df.assign(principal=[1000.005, 1.0]))
    with pytest.raises(ValueError, match="lacks column"):
        build_schedules(df.drop(columns="method"))


def test_batch_of_no_loans_is_an_empty_frame() -> None:
    empty = pd.DataFrame({"principal": [], "annual_rate": [], "tenor_months": [],
                          "grace_months": [], "frequency": [], "method": [],
                          "start": pd.to_datetime([])})
    assert len(build_schedules(empty)) == 0

"""Guarantee arithmetic with the Viet Nam GCTF terms: 50% cover capped at USD 500,000,
all guarantors together at most 70%, a 3% fee unless proceeds go to approved items."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.finance.guarantee_math import (claim_amount, guarantee_cover, guarantee_fee,
                                               share_recovery)

D = Decimal
SHARE, CAP, MAX_TOTAL = D("0.5"), D("500000"), D("0.7")


def test_half_of_a_small_loan_is_covered() -> None:
    assert guarantee_cover(D("600000"), SHARE, CAP, D("0"), MAX_TOTAL) == D("300000.00")


def test_cover_is_capped_per_loan() -> None:
    assert guarantee_cover(D("2000000"), SHARE, CAP, D("0.2"), MAX_TOTAL) == D("500000.00")
    assert guarantee_cover(D("2000000"), SHARE, None, D("0"), MAX_TOTAL) == D("1000000.00")


def test_all_guarantors_together_at_most_70_percent() -> None:
    with pytest.raises(ValueError, match=r"0\.8, more than max_total_share 0\.7.*at most 0\.4"):
        guarantee_cover(D("600000"), SHARE, CAP, D("0.3"), MAX_TOTAL)
    assert guarantee_cover(D("600000"), D("0.4"), CAP, D("0.3"), MAX_TOTAL) == D("240000.00")


def test_shares_must_be_fractions() -> None:
    with pytest.raises(ValueError, match="coverage_share"):
        guarantee_cover(D("1000"), D("50"), CAP, D("0"), MAX_TOTAL)
    with pytest.raises(ValueError, match="loan_principal"):
        guarantee_cover(D("-1"), SHARE, CAP, D("0"), MAX_TOTAL)


def test_fee_is_waived_for_approved_items_else_3_percent() -> None:
    assert guarantee_fee(D("800000"), D("0.03"), True) == D("0.00")
    assert guarantee_fee(D("800000"), D("0.03"), False) == D("24000.00")
    assert guarantee_fee(D("333.33"), D("0.03"), False) == D("10.00")  # 9.9999 half-up


def test_claim_is_the_share_of_outstanding_principal_capped() -> None:
    assert claim_amount(SHARE, D("700000"), CAP) == D("350000.00")
    assert claim_amount(SHARE, D("1500000"), CAP) == D("500000.00")
    assert claim_amount(SHARE, D("0.03"), CAP) == D("0.02")


def test_recovery_is_shared_pro_rata_to_the_cent() -> None:
    assert share_recovery(D("1000"), D("300000"), D("900000")) == (D("333.33"), D("666.67"))
    assert share_recovery(D("100000"), D("350000"), D("700000")) == (D("50000.00"),
                                                                     D("50000.00"))
    assert share_recovery(D("0.01"), D("1"), D("2")) == (D("0.01"), D("0.00"))  # half-up
    assert share_recovery(D("0"), D("1"), D("2")) == (D("0.00"), D("0.00"))


def test_recovery_refuses_impossible_inputs() -> None:
    with pytest.raises(ValueError, match="claim_paid"):
        share_recovery(D("10"), D("3"), D("2"))
    with pytest.raises(ValueError, match="outstanding_at_default"):
        share_recovery(D("10"), D("0"), D("0"))
    with pytest.raises(ValueError, match="recovery"):
        share_recovery(D("10.005"), D("1"), D("2"))


@settings(max_examples=300, deadline=None)
@given(recovery=st.integers(0, 10**12), outstanding=st.integers(1, 10**12), data=st.data())
def test_recovery_parts_add_up_and_follow_the_share(recovery: int, outstanding: int,
                                                    data: st.DataObject) -> None:
    claim = data.draw(st.integers(0, outstanding))
    fund, bank = share_recovery(D(recovery) / 100, D(claim) / 100, D(outstanding) / 100)
    assert fund + bank == D(recovery) / 100 and fund >= 0 and bank >= 0
    exact = D(recovery) * claim / outstanding / 100
    assert abs(fund - exact) <= D("0.005")

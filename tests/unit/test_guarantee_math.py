"""Guarantee arithmetic with the Viet Nam GCTF terms: 50% cover capped at USD 500,000,
all guarantors together at most 70%, a 3% fee unless proceeds go to approved items."""
from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from creditline.finance.guarantee_math import (capped_share, claim_amount, guarantee_cover, guarantee_fee,
                                               share_recovery, share_recovery_so_far)

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


def test_the_capped_share_is_what_the_limit_leaves_and_never_more_than_asked() -> None:
    assert capped_share(SHARE, D("0.3"), MAX_TOTAL) == D("0.4")
    assert capped_share(SHARE, D("0.1"), MAX_TOTAL) == SHARE
    assert capped_share(SHARE, D("0.7"), MAX_TOTAL) == 0 == capped_share(SHARE, D("0.9"), MAX_TOTAL)
    assert guarantee_cover(D("600000"), capped_share(SHARE, D("0.3"), MAX_TOTAL), CAP, D("0.3"), MAX_TOTAL) == D("240000.00")


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


def _share_in_turn(recoveries: list[Decimal], claim: Decimal, outstanding: Decimal) -> list[tuple[Decimal, Decimal]]:
    parts, recovered, fund = [], D("0"), D("0")
    for amount in recoveries:
        part = share_recovery_so_far(amount, recovered, fund, claim, outstanding)
        parts.append(part)
        recovered, fund = recovered + amount, fund + part[0]
    return parts


def test_tiny_recoveries_do_not_all_round_to_the_fund() -> None:
    # Half the loss each: three cents go fund, bank, fund, not all three to the fund.
    assert _share_in_turn([D("0.01")] * 3, D("500"), D("1000")) == [
        (D("0.01"), D("0.00")), (D("0.00"), D("0.01")), (D("0.01"), D("0.00"))]
    # A third: 100 recoveries of a cent give the fund 33 cents, as one recovery of 1.00 would.
    parts = _share_in_turn([D("0.01")] * 100, D("300"), D("900"))
    assert sum(f for f, _ in parts) == D("0.33") == share_recovery(D("1.00"), D("300"), D("900"))[0]
    assert sum(b for _, b in parts) == D("0.67")


def test_the_fund_never_gets_more_than_its_claim_nor_takes_back() -> None:
    # Recoveries beyond the loss at default (bad data): the fund stops at its claim.
    assert share_recovery_so_far(D("20"), D("100"), D("50"), D("50"), D("100")) == (D("0.00"), D("20.00"))
    assert share_recovery_so_far(D("60"), D("50"), D("25"), D("50"), D("100")) == (D("25.00"), D("35.00"))
    # Fund parts booked ahead by the old per-recovery rounding: nothing is taken back, the bank catches up.
    assert share_recovery_so_far(D("0.01"), D("0.03"), D("0.03"), D("500"), D("1000")) == (D("0.00"), D("0.01"))
    with pytest.raises(ValueError, match="claim_paid"):
        share_recovery_so_far(D("1"), D("0"), D("0"), D("3"), D("2"))
    with pytest.raises(ValueError, match="recovered_before"):
        share_recovery_so_far(D("1"), D("0.001"), D("0"), D("1"), D("2"))


@settings(max_examples=200, deadline=None)
@given(outstanding=st.integers(1, 10**10), data=st.data())
def test_running_shares_stay_pro_rata_to_the_cent(outstanding: int, data: st.DataObject) -> None:
    claim = data.draw(st.integers(0, outstanding))
    cents = data.draw(st.lists(st.integers(1, max(1, outstanding // 3)), min_size=1, max_size=30))
    recoveries, total = [], 0
    for c in cents:
        if total + c > outstanding:
            break
        recoveries.append(D(c) / 100)
        total += c
    parts = _share_in_turn(recoveries, D(claim) / 100, D(outstanding) / 100)
    fund_so_far = D("0")
    for n, (fund, bank) in enumerate(parts):
        assert fund + bank == recoveries[n] and fund >= 0 and bank >= 0
        fund_so_far += fund
        exact = sum(recoveries[:n + 1]) * claim / outstanding
        assert abs(fund_so_far - exact) <= D("0.005") and fund_so_far <= D(claim) / 100

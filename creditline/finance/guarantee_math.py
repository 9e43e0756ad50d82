"""Credit guarantee arithmetic: cover, fee, claim and sharing of recoveries.

Written for schemes like the Viet Nam Green Credit Trust Fund guarantee: the fund covers a
share of each loan (50%) up to a cap per loan (USD 500,000); all guarantors together may not
cover more than a maximum share (70%) so the bank keeps a stake in the loan; the guarantee is
free when all loan proceeds go to approved green items and costs a fee (3% of principal)
otherwise. After a default the fund pays its share of the outstanding principal, and what is
recovered later is shared between fund and bank in proportion to the loss each carried.

Amounts are Decimal, rounded half-up to the cent; shares are fractions (0.5 for 50%).
"""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from creditline.finance.money import (CENT, cents_to_money, money_to_cents, to_decimal,
                                      to_money)


def _share(value: Any, name: str) -> Decimal:
    share = to_decimal(value)
    if not share.is_finite() or share < 0 or share > 1:
        raise ValueError(f"{name} must be between 0 and 1 (0.5 for 50%), got {value!r}")
    return share


def _amount(value: Any, name: str) -> Decimal:
    amount = to_decimal(value)
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{name} must be a non-negative amount, got {value!r}")
    return amount


def _cents(value: Any, name: str) -> int:
    amount = _amount(value, name)
    if amount != amount.quantize(CENT):
        raise ValueError(f"{name} must be a whole number of cents, got {value!r}")
    return money_to_cents(amount)


def _capped(amount: Decimal, cap: Any | None, name: str) -> Decimal:
    if cap is None:
        return amount
    return min(amount, to_money(_amount(cap, name)))


def guarantee_cover(loan_principal: Decimal, coverage_share: Decimal,
                    cap_per_loan: Decimal | None, other_guarantors_share: Decimal,
                    max_total_share: Decimal) -> Decimal:
    """Amount of the loan the guarantee covers: ``min(share x principal, cap)``.

    Refused with ValueError when this guarantee and the other guarantors together would cover
    more than ``max_total_share`` of the loan (0.5 + 0.3 > 0.7). ``cap_per_loan`` None means
    no cap.
    """
    principal = _amount(loan_principal, "loan_principal")
    share = _share(coverage_share, "coverage_share")
    others = _share(other_guarantors_share, "other_guarantors_share")
    limit = _share(max_total_share, "max_total_share")
    if share + others > limit:
        raise ValueError(f"coverage_share {share} plus other_guarantors_share {others} is "
                         f"{share + others}, more than max_total_share {limit}; at most "
                         f"{max(limit - others, Decimal(0))} can be covered by this guarantee")
    return _capped(to_money(share * principal), cap_per_loan, "cap_per_loan")


def capped_share(coverage_share: Decimal, other_guarantors_share: Decimal, max_total_share: Decimal) -> Decimal:
    """The largest share this guarantee may cover next to the other guarantors: at most the share asked.

    0 when the other guarantors already cover ``max_total_share`` or more.
    """
    share = _share(coverage_share, "coverage_share")
    others = _share(other_guarantors_share, "other_guarantors_share")
    limit = _share(max_total_share, "max_total_share")
    return min(share, max(limit - others, Decimal(0)))


def guarantee_fee(principal: Decimal, fee_rate: Decimal,
                  proceeds_to_approved_items: bool) -> Decimal:
    """Guarantee fee: nothing when all proceeds go to approved items, else rate x principal."""
    amount = _amount(principal, "principal")
    rate = _share(fee_rate, "fee_rate")
    if proceeds_to_approved_items:
        return Decimal("0.00")
    return to_money(rate * amount)


def claim_amount(coverage_share: Decimal, outstanding_principal_at_default: Decimal,
                 cap: Decimal | None) -> Decimal:
    """What the fund pays on default: its share of the outstanding principal, up to the cap."""
    share = _share(coverage_share, "coverage_share")
    outstanding = _amount(outstanding_principal_at_default, "outstanding_principal_at_default")
    return _capped(to_money(share * outstanding), cap, "cap")


def share_recovery(recovery: Decimal, claim_paid: Decimal,
                   outstanding_at_default: Decimal) -> tuple[Decimal, Decimal]:
    """Split a recovery into ``(fund_part, bank_part)`` pro rata to the loss each carried.

    The fund's share is ``claim_paid / outstanding_at_default``; its part is rounded half-up
    to the cent and the bank gets the rest, so the parts always add up to the recovery.
    """
    rec = _cents(recovery, "recovery")
    claim = _cents(claim_paid, "claim_paid")
    outstanding = _cents(outstanding_at_default, "outstanding_at_default")
    if outstanding <= 0:
        raise ValueError(f"outstanding_at_default must be above zero, got "
                         f"{outstanding_at_default!r}")
    if claim > outstanding:
        raise ValueError(f"claim_paid ({claim_paid}) cannot exceed outstanding_at_default "
                         f"({outstanding_at_default})")
    # Integer cents keep the half-up rounding exact whatever the ratio's decimal expansion.
    fund = (2 * rec * claim + outstanding) // (2 * outstanding)
    return cents_to_money(fund), cents_to_money(rec - fund)


def share_recovery_so_far(recovery: Decimal, recovered_before: Decimal, fund_before: Decimal,
                          claim_paid: Decimal, outstanding_at_default: Decimal) -> tuple[Decimal, Decimal]:
    """Split a recovery into ``(fund_part, bank_part)`` so the running totals stay pro rata.

    The fund's total is ``claim_paid / outstanding_at_default`` of everything recovered so far,
    rounded half-up to the cent once, never above ``claim_paid``; this recovery's fund part is
    that total minus the fund parts already booked (so 0.01 three times on a half share gives
    the fund 0.01 + 0.00 + 0.01, not 0.03). Each part stays between zero and the recovery.
    """
    rec = _cents(recovery, "recovery")
    before = _cents(recovered_before, "recovered_before")
    fund_booked = _cents(fund_before, "fund_before")
    claim = _cents(claim_paid, "claim_paid")
    outstanding = _cents(outstanding_at_default, "outstanding_at_default")
    if outstanding <= 0:
        raise ValueError(f"outstanding_at_default must be above zero, got {outstanding_at_default!r}")
    if claim > outstanding:
        raise ValueError(f"claim_paid ({claim_paid}) cannot exceed outstanding_at_default "
                         f"({outstanding_at_default})")
    total = before + rec
    # Integer cents keep the half-up rounding exact whatever the ratio's decimal expansion.
    fund_total = min((2 * total * claim + outstanding) // (2 * outstanding), claim)
    # Earlier parts booked by older, per-recovery rounding may already be ahead: never take back.
    fund = min(max(fund_total - fund_booked, 0), rec)
    return cents_to_money(fund), cents_to_money(rec - fund)

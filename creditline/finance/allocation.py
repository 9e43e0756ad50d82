"""Applying a repayment to what is due, and how late a loan is.

Allocation order (the usual waterfall, cheapest for the borrower to get wrong last): the oldest
installment first, and within an installment its fee, then its interest, then its principal.
Whatever is left after everything currently due is a principal prepayment, up to the principal
still outstanding; a payment beyond the whole outstanding balance is refused.

Days past due count from the oldest due date that still has something unpaid: on the due date
itself a loan is 0 days past due, the day after it is 1. The batch version runs the daily job
over every loan at once and gives the same numbers.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

import numpy as np

from creditline.finance.money import CENT, to_decimal

ZERO = Decimal("0.00")
PARTS = ("fee", "interest", "principal")
STATUSES = ("active", "in_arrears", "defaulted")


def _amount(value: Any, name: str) -> Decimal:
    amount = to_decimal(value)
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"{name} must be a whole number of cents, got {value!r}")
    return amount.quantize(CENT)


@dataclass(frozen=True)
class Due:
    """What one installment asks for and how much of each part has been paid so far."""

    number: int
    due_date: dt.date
    fee_due: Decimal
    interest_due: Decimal
    principal_due: Decimal
    fee_paid: Decimal = ZERO
    interest_paid: Decimal = ZERO
    principal_paid: Decimal = ZERO

    def __post_init__(self) -> None:
        for part in PARTS:
            due = _amount(getattr(self, f"{part}_due"), f"{part}_due")
            paid = _amount(getattr(self, f"{part}_paid"), f"{part}_paid")
            if due < 0 or paid < 0 or paid > due:
                raise ValueError(f"installment {self.number}: {part}_paid ({paid}) must be "
                                 f"between 0 and {part}_due ({due})")
            object.__setattr__(self, f"{part}_due", due)
            object.__setattr__(self, f"{part}_paid", paid)

    def unpaid_part(self, part: str) -> Decimal:
        return getattr(self, f"{part}_due") - getattr(self, f"{part}_paid")

    @property
    def unpaid(self) -> Decimal:
        return sum((self.unpaid_part(p) for p in PARTS), ZERO)


@dataclass(frozen=True)
class AllocationLine:
    """The part of a payment that went to one installment."""

    number: int
    fee: Decimal
    interest: Decimal
    principal: Decimal

    @property
    def total(self) -> Decimal:
        return self.fee + self.interest + self.principal


@dataclass(frozen=True)
class Allocation:
    """How a payment was applied.

    ``lines`` lists the installments that received something, oldest first; ``after`` is the
    whole due list (oldest first) with the paid parts updated; ``prepayment`` is principal paid
    ahead of schedule, to be taken off the balance and the schedule recomputed.
    """

    amount: Decimal
    lines: tuple[AllocationLine, ...]
    prepayment: Decimal
    after: tuple[Due, ...] = field(repr=False)

    @property
    def fee(self) -> Decimal:
        return sum((line.fee for line in self.lines), ZERO)

    @property
    def interest(self) -> Decimal:
        return sum((line.interest for line in self.lines), ZERO)

    @property
    def principal(self) -> Decimal:
        """Principal of installments already due; the prepayment is separate."""
        return sum((line.principal for line in self.lines), ZERO)


class Overpayment(ValueError):
    """A payment larger than everything the borrower still owes."""

    def __init__(self, amount: Decimal, maximum: Decimal) -> None:
        self.amount = amount
        self.maximum = maximum
        super().__init__(f"payment of {amount} is more than the outstanding balance; "
                         f"at most {maximum} can be accepted")


def allocate_payment(amount: Decimal, due: Sequence[Due],
                     outstanding_principal: Decimal | None = None) -> Allocation:
    """Apply a payment to the installments currently due, then to principal prepayment.

    ``due`` holds the installments that are due (paid or not); ``outstanding_principal`` is all
    principal the borrower still owes, including installments not yet due, and defaults to the
    unpaid principal of ``due`` (then nothing can be prepaid). Raises :class:`Overpayment`
    when ``amount`` exceeds unpaid fees and interest plus the outstanding principal.
    """
    paid = _amount(amount, "amount")
    if paid <= 0:
        raise ValueError(f"amount must be above zero, got {amount!r}")
    ordered = sorted(due, key=lambda d: (d.due_date, d.number))
    unpaid_principal = sum((d.unpaid_part("principal") for d in ordered), ZERO)
    if outstanding_principal is None:
        principal_left = unpaid_principal
    else:
        principal_left = _amount(outstanding_principal, "outstanding_principal")
        if principal_left < unpaid_principal:
            raise ValueError(f"outstanding_principal ({principal_left}) is less than the "
                             f"unpaid principal already due ({unpaid_principal})")
    owed = sum((d.unpaid for d in ordered), ZERO)
    maximum = owed - unpaid_principal + principal_left
    if paid > maximum:
        raise Overpayment(paid, maximum)

    left = paid
    lines: list[AllocationLine] = []
    after: list[Due] = []
    for d in ordered:
        taken = {}
        for part in PARTS:
            taken[part] = min(left, d.unpaid_part(part))
            left -= taken[part]
        if any(taken.values()):
            lines.append(AllocationLine(d.number, **taken))
            d = replace(d, **{f"{p}_paid": getattr(d, f"{p}_paid") + taken[p] for p in PARTS})
        after.append(d)
    return Allocation(paid, tuple(lines), left, tuple(after))


def days_past_due(installments: Iterable[tuple[dt.date, Decimal]], as_of: dt.date) -> int:
    """Days since the oldest due date with something unpaid, or 0.

    ``installments`` are ``(due_date, unpaid amount)`` pairs in any order; a due date on or
    after ``as_of`` is not late yet.
    """
    late = [due for due, unpaid in installments if unpaid > 0 and due < as_of]
    return (as_of - min(late)).days if late else 0


def days_past_due_batch(loan: np.ndarray, due_date: np.ndarray, unpaid: np.ndarray,
                        as_of: dt.date, n_loans: int | None = None) -> np.ndarray:
    """:func:`days_past_due` for many loans: one value per loan number 0 .. n_loans - 1.

    ``loan`` (int), ``due_date`` (datetime64 or dates) and ``unpaid`` (cents or amounts) are
    parallel arrays with one element per installment, in any order.
    """
    loan = np.asarray(loan, dtype=np.int64)
    day = np.asarray(due_date).astype("datetime64[D]").astype(np.int64)
    today = np.datetime64(as_of, "D").astype(np.int64)
    if n_loans is None:
        n_loans = int(loan.max()) + 1 if loan.size else 0
    if loan.size and (loan.min() < 0 or loan.max() >= n_loans):
        raise ValueError(f"loan numbers must run from 0 to n_loans - 1 ({n_loans - 1}), got "
                         f"{int(loan.min())} to {int(loan.max())}")
    late = (np.asarray(unpaid) > 0) & (day < today)
    oldest = np.full(n_loans, today, dtype=np.int64)
    np.minimum.at(oldest, loan[late], day[late])
    return today - oldest


def arrears_status(dpd: int, default_after_days: int, current: str) -> str:
    """``active``, ``in_arrears`` or ``defaulted`` for a loan ``dpd`` days past due.

    A loan defaults once it is more than ``default_after_days`` past due (so 91 days for the
    usual 90) and stays defaulted whatever it pays later: curing a default is a decision for
    people, not for the daily job.
    """
    if current not in STATUSES:
        raise ValueError(f"current must be one of {', '.join(STATUSES)}, got {current!r}")
    if dpd < 0:
        raise ValueError(f"dpd must not be negative, got {dpd!r}")
    if default_after_days < 1:
        raise ValueError(f"default_after_days must be at least 1, got {default_after_days!r}")
    if current == "defaulted" or dpd > default_after_days:
        return "defaulted"
    return "in_arrears" if dpd > 0 else "active"


def arrears_status_batch(dpd: np.ndarray, default_after_days: int,
                         current: np.ndarray) -> np.ndarray:
    """:func:`arrears_status` over arrays (object array of status strings)."""
    dpd = np.asarray(dpd)
    current = np.asarray(current, dtype=object)
    unknown = ~np.isin(current, STATUSES)
    if unknown.any():
        raise ValueError(f"current must be one of {', '.join(STATUSES)}, "
                         f"got {current[unknown][0]!r}")
    if (dpd < 0).any():
        raise ValueError("dpd must not be negative")
    if default_after_days < 1:
        raise ValueError(f"default_after_days must be at least 1, got {default_after_days!r}")
    defaulted = (current == "defaulted") | (dpd > default_after_days)
    return np.where(defaulted, "defaulted",
                    np.where(dpd > 0, "in_arrears", "active")).astype(object)

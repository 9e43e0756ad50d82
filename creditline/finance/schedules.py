"""Repayment schedules for one loan, exact to the cent in Decimal.

The rules (the batch path in :mod:`creditline.finance.schedules_batch` takes the very same step,
:func:`period_cents`, over int64 arrays):

- the tenor is split into periods of 1, 3, 6 or 12 months; the first ``grace_months`` are
  interest-only installments (no principal);
- the periodic rate is ``annual_rate / periods per year`` and is never rounded; each period's
  interest is ``balance x annual_rate / periods per year`` rounded half-up to the cent;
- ``annuity``: a level payment (principal + interest) from ``npf.pmt``, rounded half-up to the
  cent; ``equal_principal``: the principal divided by the number of amortizing installments,
  rounded half-up to the cent;
- the last installment repays whatever principal is left, so the rounding residue lands there
  and the principal parts sum to the principal exactly; an installment never repays more than
  the balance nor a negative amount (this only bites on loans of a few cents, or near a 100%
  rate where the rounded interest can reach the level payment);
- due dates are the start date plus k periods, clamped to the month end (31 Jan + 1 month is
  28 or 29 Feb, + 2 months is 31 Mar);
- a first installment whose period saw a later tranche paid out may be given its interest
  (``first_interest``, from :func:`tranche_period_interest`); the rest of the schedule follows
  the rules above from it.

Rates may have at most eight decimal places: the batch path works in integer cents with the rate
scaled by 10^8, and the scalar path refuses what the batch path could not reproduce exactly.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import numpy as np
import numpy_financial as npf
from dateutil.relativedelta import relativedelta

from creditline.finance.array_ops import SCALAR, Ops
from creditline.finance.scalar_form import scalar_form
from creditline.finance.money import CENT, cents_to_money, money_to_cents, to_decimal

# Months per period for each repayment frequency.
FREQUENCIES: dict[str, int] = {"monthly": 1, "quarterly": 3, "semiannual": 6, "annual": 12}
METHODS = ("annuity", "equal_principal")
RESCHEDULE_MODES = ("shorten", "lower_installment")
RATE_PLACES = 8
RATE_SCALE = 10**RATE_PLACES
# Keeps every intermediate of the integer-cent batch kernel well inside int64 and every
# principal exactly representable as a float of cents for npf.pmt.
MAX_PRINCIPAL = Decimal(10) ** 15
ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Installment:
    """One scheduled installment; every amount is a Decimal quantized to the cent."""

    number: int
    due_date: dt.date
    principal: Decimal
    interest: Decimal
    fee: Decimal
    total: Decimal
    balance_after: Decimal


@dataclass(frozen=True)
class LoanTerms:
    """Validated, normalised schedule inputs."""

    principal: Decimal
    annual_rate: Decimal
    months_per_period: int
    periods: int
    grace_periods: int
    method: str
    start: dt.date
    fee: Decimal

    @property
    def periods_per_year(self) -> int:
        return 12 // self.months_per_period


def _number(value: Any, name: str) -> Decimal:
    try:
        return to_decimal(value)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {value!r}") from None


def _whole_cents(value: Any, name: str) -> Decimal:
    amount = _number(value, name)
    if not amount.is_finite() or amount != amount.quantize(CENT):
        raise ValueError(f"{name} must be a whole number of cents, got {value!r}")
    return amount.quantize(CENT)


def check_rate(annual_rate: Any) -> Decimal:
    """Validate an annual rate: 0 <= rate < 1 with at most eight decimal places."""
    rate = _number(annual_rate, "annual_rate")
    if not rate.is_finite() or rate < 0 or rate >= 1:
        raise ValueError(f"annual_rate must be at least 0 and below 1 (0.12 for 12%), "
                         f"got {annual_rate!r}")
    if rate * RATE_SCALE != (rate * RATE_SCALE).to_integral_value():
        raise ValueError(f"annual_rate may have at most {RATE_PLACES} decimal places, "
                         f"got {annual_rate!r}")
    return rate


def months_per_period(frequency: str) -> int:
    """Months in one period of a repayment frequency; ValueError naming the choices."""
    if frequency not in FREQUENCIES:
        raise ValueError(f"frequency must be one of {', '.join(FREQUENCIES)}, got {frequency!r}")
    return FREQUENCIES[frequency]


def check_method(method: str) -> str:
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    return method


def validate_terms(principal: Any, annual_rate: Any, tenor_months: Any, grace_months: Any,
                   frequency: str, method: str, start: dt.date,
                   fee_per_installment: Any = 0) -> LoanTerms:
    """Check schedule inputs and return them normalised; ValueError names the bad argument."""
    amount = _whole_cents(principal, "principal")
    if amount <= 0:
        raise ValueError(f"principal must be above zero, got {principal!r}")
    if amount > MAX_PRINCIPAL:
        raise ValueError(f"principal must be at most {MAX_PRINCIPAL:,}, got {principal!r}")
    rate = check_rate(annual_rate)
    step = months_per_period(frequency)
    check_method(method)
    months = []
    for name, value in (("tenor_months", tenor_months), ("grace_months", grace_months)):
        try:
            whole = int(value)
        except (TypeError, ValueError):
            whole = None
        if isinstance(value, bool) or whole is None or whole != value:
            raise ValueError(f"{name} must be a whole number of months, got {value!r}")
        months.append(whole)
    tenor, grace = months
    if tenor <= 0 or tenor % step:
        raise ValueError(f"tenor_months must be a positive multiple of {step} for {frequency} "
                         f"installments, got {tenor_months!r}")
    if grace < 0 or grace % step:
        raise ValueError(f"grace_months must be zero or a multiple of {step} for {frequency} "
                         f"installments, got {grace_months!r}")
    if grace >= tenor:
        raise ValueError(f"grace_months ({grace}) must be shorter than tenor_months ({tenor})")
    fee = _whole_cents(fee_per_installment, "fee_per_installment")
    if fee < 0:
        raise ValueError(f"fee_per_installment must not be negative, got {fee_per_installment!r}")
    if not isinstance(start, dt.date):
        raise ValueError(f"start must be a date, got {start!r}")
    if isinstance(start, dt.datetime):
        start = start.date()
    return LoanTerms(amount, rate, step, tenor // step, grace // step, method, start, fee)


def check_first_interest(value: Any) -> Decimal:
    """Validate a given first-installment interest: whole cents, not negative."""
    amount = _whole_cents(value, "first_interest")
    if amount < 0:
        raise ValueError(f"first_interest must not be negative, got {value!r}")
    return amount


def add_months(start: dt.date, months: int) -> dt.date:
    """``start`` plus a number of months, clamped to the end of a shorter month."""
    return start + relativedelta(months=months)


def periodic_interest(balance: Decimal, annual_rate: Decimal, periods_per_year: int) -> Decimal:
    """One period's interest on a balance, rounded half-up to the cent."""
    # Enough digits that balance x rate / 12 is exact or provably off a half-cent boundary.
    with localcontext() as ctx:
        ctx.prec = 60
        return (balance * annual_rate / periods_per_year).quantize(CENT, rounding=ROUND_HALF_UP)


def annuity_payment_cents(principal_cents: Any, annual_rate: Any, periods_per_year: Any,
                          periods: Any) -> np.ndarray:
    """Level annuity payment in whole cents from ``npf.pmt``, for arrays or scalars.

    Both paths call this one function so the float maths inside ``npf.pmt`` and the rounding
    of its result are the same bits for a single loan and for a hundred thousand.
    """
    rate = np.asarray(annual_rate, dtype=np.float64) / np.asarray(periods_per_year, np.float64)
    pay = -npf.pmt(rate, np.asarray(periods, np.float64),
                   np.asarray(principal_cents, np.float64))
    return np.floor(pay + 0.5).astype(np.int64)


def annuity_payment(balance: Decimal, annual_rate: Decimal, periods_per_year: int,
                    periods: int) -> Decimal:
    """Level annuity payment (principal + interest) to the cent."""
    cents = annuity_payment_cents([money_to_cents(balance)], [float(annual_rate)],
                                  periods_per_year, [periods])
    return cents_to_money(int(cents[0]))


def equal_principal_step(balance: Decimal, periods: int) -> Decimal:
    """Principal per installment for equal-principal repayment, half-up to the cent."""
    return (balance / periods).quantize(CENT, rounding=ROUND_HALF_UP)


def period_cents(o: Ops, balance: Any, rate: Any, denominator: Any, level: Any, annuity: Any, in_grace: Any,
                 last: Any, first_interest: Any = None) -> tuple[Any, Any]:
    """One period of a schedule in whole cents: ``(principal part, interest)``, for one loan or many.

    The one step both the loan's schedule (:func:`_amortize`, Python ints) and the batch
    (:mod:`.schedules_batch`, int64 arrays of the loans still repaying) take. ``rate`` is the
    annual rate times 10^8 and ``denominator`` is 10^8 x periods per year, so the interest
    ``round_half_up(balance x rate / denominator)`` is exact: with ``balance = q x D + r`` it is
    ``q x R + floor((2 r R + D) / 2D)``, whose terms stay far below 2^63 for principals up to
    :data:`MAX_PRINCIPAL`. ``first_interest`` (cents, -1 for none) replaces the computed interest.
    A part never exceeds the balance nor falls below zero; the last installment repays the rest.
    """
    q, rem = divmod(balance, denominator)
    interest = q * rate + (2 * rem * rate + denominator) // (2 * denominator)
    if first_interest is not None:
        interest = o.where(first_interest >= 0, first_interest, interest)
    part = o.clip(o.where(annuity, level - interest, level), 0, balance)
    return o.where(last, balance, o.where(in_grace, 0, part)), interest


def _amortize(balance: Decimal, annual_rate: Decimal, periods_per_year: int, grace: int,
              due_dates: Sequence[dt.date], fees: Sequence[Decimal], method: str,
              level: Decimal, first_number: int, stop_when_repaid: bool,
              first_interest: Decimal | None = None) -> list[Installment]:
    """Walk the balance down period by period; ``level`` is the annuity payment or the
    equal-principal step; ``first_interest`` overrides the first period's interest."""
    rows: list[Installment] = []
    last = len(due_dates) - 1
    # Whole cents and the rate scaled to an integer (validated: at most eight decimals), as the batch.
    cents, level_cents = money_to_cents(balance), money_to_cents(level)
    rate, denominator = int(annual_rate * RATE_SCALE), RATE_SCALE * periods_per_year
    annuity = method == "annuity"
    period = scalar_form(period_cents)
    for i, (due, fee) in enumerate(zip(due_dates, fees)):
        first = (money_to_cents(first_interest) if i == 0 and first_interest is not None else None)
        part, interest = period(SCALAR, cents, rate, denominator, level_cents, annuity, i < grace, i == last, first)
        cents -= part
        principal, charged = cents_to_money(part), cents_to_money(interest)
        rows.append(Installment(first_number + i, due, principal, charged, fee, principal + charged + fee,
                                cents_to_money(cents)))
        if stop_when_repaid and i >= grace and cents == 0:
            break
    return rows


def build_schedule(principal: Decimal, annual_rate: Decimal, tenor_months: int,
                   grace_months: int, frequency: str, method: str, start: dt.date,
                   fee_per_installment: Decimal = ZERO,
                   first_interest: Decimal | None = None) -> list[Installment]:
    """Build the full repayment schedule of one loan.

    ``first_interest`` (whole cents, not negative) replaces the first installment's interest,
    for a period in which not all of ``principal`` was out (see
    :func:`tranche_period_interest`); an annuity keeps its level payment, so a lower interest
    repays more principal in that installment.

    >>> s = build_schedule(Decimal("100000"), Decimal("0.12"), 12, 0, "monthly", "annuity",
    ...                    dt.date(2025, 1, 15))
    >>> s[0].total, s[-1].balance_after
    (Decimal('8884.88'), Decimal('0.00'))
    """
    t = validate_terms(principal, annual_rate, tenor_months, grace_months, frequency, method,
                       start, fee_per_installment)
    if first_interest is not None:
        first_interest = check_first_interest(first_interest)
    ppy = t.periods_per_year
    amortizing = t.periods - t.grace_periods
    if method == "annuity":
        level = annuity_payment(t.principal, t.annual_rate, ppy, amortizing)
    else:
        level = equal_principal_step(t.principal, amortizing)
    dates = [add_months(t.start, k * t.months_per_period) for k in range(1, t.periods + 1)]
    return _amortize(t.principal, t.annual_rate, ppy, t.grace_periods, dates,
                     [t.fee] * t.periods, method, level, 1, stop_when_repaid=False,
                     first_interest=first_interest)


def tranche_period_interest(start: dt.date, end: dt.date, opening: Decimal,
                            tranches: Sequence[tuple[dt.date, Decimal]], annual_rate: Decimal,
                            periods_per_year: int) -> Decimal:
    """Interest of one installment period [start, end) in which tranches were paid out.

    ``opening`` is the balance out from ``start``; each tranche ``(value_date, amount)`` adds
    to it from its value date (start <= value_date < end). Day count: a whole period earns
    ``annual_rate / periods_per_year`` whatever its length, as everywhere in the schedule, so
    each part of the period earns that periodic rate times its share of the period's actual
    days. The sum of the parts is rounded once, half-up to the cent.
    """
    days = (end - start).days
    if days <= 0:
        raise ValueError(f"the period must end after it starts, got {start} to {end}")
    money_days = _whole_cents(opening, "opening") * days
    for value_date, amount in tranches:
        if not start <= value_date < end:
            raise ValueError(f"a tranche on {value_date} is outside the period {start} to {end}")
        money_days += _whole_cents(amount, "amount") * (end - value_date).days
    rate = check_rate(annual_rate)
    with localcontext() as ctx:
        ctx.prec = 60
        return (money_days * rate / (periods_per_year * days)).quantize(CENT, rounding=ROUND_HALF_UP)


def reschedule_after_prepayment(remaining: Sequence[Installment], new_balance: Decimal,
                                annual_rate: Decimal, frequency: str, method: str,
                                mode: str) -> list[Installment]:
    """Recompute the installments still to come after a principal prepayment.

    ``remaining`` are the not-yet-paid installments of the current schedule, oldest first;
    ``new_balance`` is the principal outstanding after the prepayment. The prepayment is taken
    to land on a due date: the first remaining installment charges interest on the new balance
    for its whole period (interest for a broken period is settled when the prepayment is paid).

    - ``lower_installment`` keeps every remaining due date and recomputes a lower annuity
      payment (or equal-principal step) over them;
    - ``shorten`` keeps the annuity payment (or the equal-principal step) and drops the due
      dates no longer needed.

    Leading interest-only installments (principal 0.00) stay interest-only: a prepayment during
    the grace period does not end it. Fees, due dates and numbering of the remaining
    installments are kept. A ``new_balance`` of zero leaves nothing to pay: ``[]``.
    """
    if mode not in RESCHEDULE_MODES:
        raise ValueError(f"mode must be one of {', '.join(RESCHEDULE_MODES)}, got {mode!r}")
    if not remaining:
        raise ValueError("remaining must hold at least one installment")
    rate = check_rate(annual_rate)
    ppy = 12 // months_per_period(frequency)
    check_method(method)
    balance = _whole_cents(new_balance, "new_balance")
    before = remaining[0].balance_after + remaining[0].principal
    if balance < 0 or balance > before:
        raise ValueError(f"new_balance must be between 0.00 and the balance before the "
                         f"remaining installments ({before}), got {new_balance!r}")
    if balance == 0:
        return []
    grace = 0
    while grace < len(remaining) - 1 and remaining[grace].principal == 0:
        grace += 1
    amortizing = len(remaining) - grace
    first = remaining[grace]
    if mode == "shorten":
        level = first.principal + first.interest if method == "annuity" else first.principal
    elif method == "annuity":
        level = annuity_payment(balance, rate, ppy, amortizing)
    else:
        level = equal_principal_step(balance, amortizing)
    return _amortize(balance, rate, ppy, grace, [r.due_date for r in remaining],
                     [r.fee for r in remaining], method, level, remaining[0].number,
                     stop_when_repaid=mode == "shorten")


def schedule_totals(schedule: Sequence[Installment]) -> dict[str, Decimal]:
    """Sums of the principal, interest, fee and total columns of a schedule."""
    return {name: sum((getattr(row, name) for row in schedule), ZERO)
            for name in ("principal", "interest", "fee", "total")}

"""The balances stored on a loan (loans.balances) stay equal to a from-scratch recomputation from
its installments, tranches and payments after any sequence of the real operations."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from creditline import clock
from creditline.auth.models import User
from creditline.auth.permissions import Actor
from creditline.errors import DomainError
from creditline.extensions import db
from creditline.loans.arrears_batch import update_all_arrears
from creditline.loans.balances import balances_of
from creditline.loans.models import Loan
from creditline.loans.repayments import record_payment, update_arrears
from creditline.loans.services import disburse
from creditline.unit_of_work import transaction

from .test_loans import START, approved, proposal_id  # noqa: F401  (fixtures)
from .test_races import twin_proposal

STORED = ("principal_outstanding", "principal_in_arrears", "oldest_unpaid_due", "disbursed_total", "paid_total",
          "last_payment_on")


def stored(loan: Loan) -> dict:
    return {k: getattr(loan, k) for k in STORED}


def recomputed(loan: Loan) -> dict:
    b = balances_of(loan, loan.balances_as_of or clock.today())
    return {k: getattr(b, k) for k in STORED}


# (operation, days after the previous one, share of the principal or of what is due)
STEPS = st.lists(st.tuples(st.sampled_from(["tranche", "pay", "prepay", "arrears", "daily_job"]),
                           st.integers(0, 75), st.integers(1, 100)), min_size=1, max_size=8)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=STEPS)
def test_stored_balances_equal_a_recomputation_after_any_operations(app, approved, steps):  # noqa: F811
    with app.app_context():
        officer = Actor.of(db.session.scalar(select(User).where(User.email == "officer@bank.example")))
        with transaction():
            loan_id = twin_proposal(db.session.get(Loan, approved), 2).id
        day, applied = START, 0
        for kind, gap, share in steps:
            day = min(day + dt.timedelta(days=gap), clock.today())
            loan = db.session.get(Loan, loan_id)
            try:
                if kind == "tranche":
                    amount = (loan.undisbursed * share / 100).quantize(Decimal("0.01"))
                    disburse(officer, loan_id, {"amount": max(amount, Decimal("0.01")), "value_date": day})
                elif kind in ("pay", "prepay"):
                    due = sum((r.unpaid for r in loan.installments if r.due_date <= day), Decimal(0))
                    extra = loan.outstanding_principal * share / 200 if kind == "prepay" else 0
                    amount = (due * share / 100 + extra).quantize(Decimal("0.01"))
                    record_payment(officer, loan_id, {"amount": max(amount, Decimal("0.01")), "currency": "USD",
                                                      "value_date": day, "mode": "shorten"})
                elif kind == "arrears":
                    update_arrears(loan, day)
                else:
                    with transaction():
                        update_all_arrears(day)
                applied += 1
            except DomainError:
                db.session.rollback()  # refused (over the principal, nothing due...): nothing changed
            db.session.expire_all()
            loan = db.session.get(Loan, loan_id)
            assert stored(loan) == recomputed(loan), (kind, day)
        db.session.remove()


def test_migration_0025_back_fills_the_balances_the_operations_would_have_stored(app, story):
    """The demo story's loans (repaid, in arrears, a grant paid off a loan) with their balances
    wiped, then back-filled by the migration's SQL: equal to the recomputation."""
    import importlib.util
    from pathlib import Path

    from sqlalchemy import text, update
    path = Path(__file__).resolve().parents[2] / "migrations" / "versions" / "0025_loan_balances.py"
    spec = importlib.util.spec_from_file_location("migration_0025", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    with app.app_context():
        with transaction():
            db.session.execute(update(Loan).values(principal_outstanding=0, principal_in_arrears=0, disbursed_total=0,
                                                   paid_total=0, oldest_unpaid_due=None, last_payment_on=None))
            db.session.execute(text(migration.BACKFILL))
        db.session.expire_all()
        loans = db.session.scalars(select(Loan)).all()
        assert any(loan.paid_total > 0 for loan in loans) and any(loan.principal_in_arrears > 0 for loan in loans)
        for loan in loans:
            assert stored(loan) == recomputed(loan), loan.id
        db.session.remove()

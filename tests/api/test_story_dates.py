"""The demo story played to many days: on each, the books balance, nothing is dated in the future,
events are in order, and every person's home page shows their waiting work.

A few days run by default; ``CREDITLINE_STORY_ALL_DAYS=1`` plays every month end of 2027,
29 February 2028, 31 December, 1 January and the real today (about 4 s a day on SQLite).
"""
from __future__ import annotations

import calendar
import os
import re
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from creditline import clock
from creditline.audit.services import verify_chain
from creditline.creditlines.models import CreditLine
from creditline.demo import DEMO_PASSWORD, seed_demo
from creditline.demo_story import seed_story
from creditline.extensions import db
from creditline.grants.models import Grant
from creditline.guarantees.models import Guarantee
from creditline.guarantees.services import exposure
from creditline.loans.models import Loan
from creditline.monitoring.models import MonitoringReport
from creditline.verifications.models import Verification

from ..conftest import TEST_TODAY
from .test_home_steps import WAITING, next_steps_text

REAL_TODAY = "real today"
MONTH_ENDS = [date(2027, m, calendar.monthrange(2027, m)[1]) for m in range(1, 13)]
ALL_DAYS = [*MONTH_ENDS, date(2028, 2, 29), date(2028, 1, 1), REAL_TODAY]  # 2027-12-31 is a month end
DEFAULT_DAYS = [date(2027, 1, 31), date(2027, 12, 31), date(2028, 1, 1), date(2028, 2, 29), REAL_TODAY]
DAYS = ALL_DAYS if os.environ.get("CREDITLINE_STORY_ALL_DAYS") else DEFAULT_DAYS
ZERO = Decimal("0.00")


def _books_balance(loan: Loan) -> None:
    """Disbursed = principal repaid + outstanding + principal reductions (grants) + written off."""
    reductions = sum((p.prepayment for p in loan.payments if p.allocation.get("grant_id")), ZERO)
    repaid = sum((Decimal(p.allocation["principal"]) + (ZERO if p.allocation.get("grant_id") else p.prepayment)
                  for p in loan.payments), ZERO)
    written_off = loan.outstanding_principal if loan.status == "written_off" else ZERO
    outstanding = loan.outstanding_principal - written_off
    assert loan.disbursed == repaid + outstanding + reductions + written_off, loan
    # The installments' ledger says the same of what was repaid on schedule.
    assert sum((r.principal_paid for r in loan.installments), ZERO) == \
        sum((Decimal(p.allocation["principal"]) for p in loan.payments), ZERO)
    assert all(r.balance_after >= 0 for r in loan.installments) and loan.installments[-1].balance_after == 0


def _events_in_order(loan: Loan, day: date) -> None:
    """Submitted <= approved <= disbursed <= paid, and nothing after ``day``."""
    submitted, decided = loan.proposal.submitted_on, loan.decided_on
    first_out = min(d.value_date for d in loan.disbursements)
    assert submitted <= decided <= first_out <= day, (submitted, decided, first_out, day)
    assert all(first_out <= p.value_date <= day for p in loan.payments)
    assert [p.value_date for p in loan.payments] == sorted(p.value_date for p in loan.payments)
    g = db.session.scalar(select(Guarantee).where(Guarantee.loan_id == loan.id))
    assert g is None or g.issued_on is None or decided <= g.issued_on <= day


def _evidence_from_the_past(day: date) -> None:
    """Reports of ended periods only, sent after they ended; verifications and grants after them."""
    for report in db.session.scalars(select(MonitoringReport)):
        assert report.period.end < report.reported_on <= day, (report.period.label, report.reported_on, day)
    for v in db.session.scalars(select(Verification).where(Verification.status == "confirmed")):
        ends = [r.period.end for r in db.session.scalars(select(MonitoringReport).where(
            MonitoringReport.plan_id == v.plan_id)) if r.period.label in v.periods]
        assert ends and max(ends) < v.proposed_on <= v.confirmed_on <= day  # ended periods only, proposed first
    for g in db.session.scalars(select(Grant).where(Grant.status == "paid")):
        assert g.verification.confirmed_on <= g.approved_on <= g.paid_on <= day


def _paid_once_and_within_capacity() -> None:
    paid = db.session.execute(select(Grant.proposal_id, func.count()).where(Grant.status == "paid")
                              .group_by(Grant.proposal_id)).all()
    assert paid and all(n == 1 for _, n in paid)
    for loan in db.session.scalars(select(Loan)):
        grant_ids = [p.allocation["grant_id"] for p in loan.payments if p.allocation.get("grant_id")]
        assert len(grant_ids) == len(set(grant_ids))  # a grant comes off a loan at most once
    for line in db.session.scalars(select(CreditLine)):
        ex = exposure(line)
        assert ZERO <= ex["outstanding_exposure"] <= ex["committed"] <= ex["capacity"], ex


def _home_pages(app) -> None:
    for email, patterns in WAITING.items():
        browser = app.test_client()
        assert browser.post("/login", data={"email": email, "password": DEMO_PASSWORD}).status_code == 302
        page = browser.get("/")
        assert page.status_code == 200
        text = next_steps_text(page.get_data(as_text=True))
        for pattern in patterns:
            assert re.search(pattern, text), f"{email} on {clock.today()}: {pattern!r} not in {text}"


@pytest.mark.parametrize("day", DAYS, ids=str)
def test_the_story_holds_on_every_day(request, app, day):
    if day == REAL_TODAY:
        clock.set_today(None)  # the suite's fixed day is put back after the test
        day = clock.today()
    if day >= TEST_TODAY:
        # The fixtures' fast path: the demo seeded once on the suite's day, copied in. Its
        # proposals were submitted then, before anything the story dates from a later day.
        request.getfixturevalue("demo")
    with clock.today_is(day):
        with app.app_context():
            if day < TEST_TODAY:
                seed_demo()
            story = seed_story(day)
            assert story["coconut_loan_status"] == "in_arrears"
            loans = list(db.session.scalars(select(Loan)))
            assert len(loans) == 3
            for loan in loans:
                _books_balance(loan)
                _events_in_order(loan, day)
            _evidence_from_the_past(day)
            _paid_once_and_within_capacity()
            report = verify_chain()
            assert report.ok, report
            db.session.remove()
        _home_pages(app)  # outside the app context: each request has its own (and its own signed-in person)

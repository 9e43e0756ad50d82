"""Home-page next steps for loans: what each role has waiting."""
from __future__ import annotations

from datetime import date

from flask import url_for
from sqlalchemy import select

from ..auth.permissions import Actor, visible
from ..extensions import db
from ..home import NextStep, visible_count
from ..finance.money import format_money
from .models import SERVICING_STATES, Installment, Loan
from .services import applications_waiting
from .write_offs import waiting_for
from .. import clock

# (status, title, detail): each count is exactly the list its link opens.
BANK_LOAN_STEPS = [
    ("approved", "Loans to disburse", "Approved loans with nothing paid out yet: record the first tranche."),
    ("disbursed", "Tranches still to pay out", "Loans partly paid out: record the next tranche, or cancel the rest."),
    ("in_arrears", "Loans in arrears", "Follow up with the borrowers before the default threshold."),
    ("defaulted", "Defaulted loans", "Call the guarantee where it is still issued; record recoveries."),
]

# An SME with many loans gets the first few; the loans page lists the rest.
MAX_LOANS_SHOWN = 5


def _next_installment(loan: Loan, today: date) -> Installment | None:
    unpaid = (Installment.principal + Installment.interest + Installment.fee
              - Installment.principal_paid - Installment.interest_paid - Installment.fee_paid)
    return db.session.scalars(select(Installment).where(Installment.loan_id == loan.id, unpaid > 0,
                                                        Installment.due_date >= today)
                              .order_by(Installment.due_date).limit(1)).first()


def _sme_loan_step(loan: Loan, today: date) -> NextStep:
    url = url_for("loans.detail", loan_id=loan.id)
    if loan.status in ("in_arrears", "defaulted"):
        return NextStep(f"Loan {loan.id} is {loan.status.replace('_', ' ')}",
                        f"{loan.days_past_due} days past due: pay what is due to cure it.", url)
    nxt = _next_installment(loan, today)
    if nxt is None:
        return NextStep(f"Loan {loan.id} is {loan.status}", "No installment falls due any more.", url)
    due = nxt.principal + nxt.interest + nxt.fee - nxt.principal_paid - nxt.interest_paid - nxt.fee_paid
    return NextStep(f"Loan {loan.id}: next installment {format_money(due, loan.currency)}",
                    f"Installment {nxt.number} is due on {nxt.due_date.isoformat()}.", url)


def loan_steps(actor: Actor) -> list[NextStep]:
    """Tell SMEs about their loans, banks about decisions and servicing."""
    steps: list[NextStep] = []
    today = clock.today()
    if actor.has("sme"):
        loans = db.session.scalars(visible(Loan, actor).where(Loan.status.in_(SERVICING_STATES))
                                   .order_by(Loan.id).limit(MAX_LOANS_SHOWN)).all()
        steps.extend(_sme_loan_step(loan, today) for loan in loans)
    if actor.has("credit_committee"):
        waiting = visible_count(Loan, actor, Loan.status == "applied", Loan.proposed_by != actor.user_id)
        steps.append(NextStep("Loan decisions waiting", "Approve or decline terms another officer proposed.",
                              url_for("loans.decisions"), waiting or None))
        write_offs = visible_count(Loan, actor, *waiting_for(actor))
        if write_offs:
            steps.append(NextStep("Write-offs to confirm", "Confirm or decline write-offs another officer proposed.",
                                  url_for("loans.write_off_queue"), write_offs))
    if actor.has("bank_officer"):
        # The same rows the loans page lists under "Applications waiting for loan terms".
        to_lend = len(applications_waiting(actor))
        steps.append(NextStep("Applications waiting for loan terms", "Eligible proposals sent to your bank with no "
                              "loan yet: read the assessment, propose terms.", url_for("loans.index"), to_lend or None))
        for status, title, detail in BANK_LOAN_STEPS:
            count = visible_count(Loan, actor, Loan.status == status)
            if count:
                steps.append(NextStep(title, detail, url_for("loans.index", status=status), count))
    return steps

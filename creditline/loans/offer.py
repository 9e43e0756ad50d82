"""The loan offer the bank files and hands the borrower: the terms, the tranche plan and the schedule, as a PDF."""
from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from ..finance.schedules import Installment, schedule_totals
from ..pdf_layout import heading, labelled, new_document, output, paragraphs, table


def _amount(currency: str, value: Any) -> str:
    return f"{currency} {Decimal(value):,.2f}" if value is not None else "none"


def offer_data(loan: Any, schedule: Sequence[Installment], bank: str, decided_by: str | None) -> dict[str, Any]:
    """What the offer shows, read from an approved loan and its schedule (as recorded or pro forma)."""
    p = loan.proposal
    return {"number": f"L{loan.id}", "bank": bank, "borrower": p.enterprise.legal_name, "investment": p.title,
            "credit_line": p.credit_line.name, "currency": loan.currency, "principal": loan.principal,
            "rate": f"{Decimal(loan.annual_rate) * 100:.2f}% a year", "tenor": f"{loan.tenor_months} months",
            "grace": f"{loan.grace_months} months (interest only)", "frequency": loan.frequency,
            "method": loan.method.replace("_", " "), "fee_per_installment": loan.fee_per_installment,
            "upfront_fee": loan.upfront_fee, "decided_on": str(loan.decided_on or ""), "decided_by": decided_by or "",
            "status": loan.status, "plan": list(loan.disbursement_plan or []), "schedule": list(schedule)}


def loan_offer_pdf(d: dict[str, Any]) -> bytes:
    """Render the offer from ``offer_data``."""
    cur = d["currency"]
    pdf = new_document("Loan offer", f"Loan {d['number']}, approved on {d['decided_on']}")
    labelled(pdf, (("Lender", d["bank"]), ("Borrower", d["borrower"]), ("Investment", d["investment"]),
                   ("Credit line", d["credit_line"]), ("Principal", _amount(cur, d["principal"])),
                   ("Interest", d["rate"]), ("Tenor", d["tenor"]), ("Grace", d["grace"]),
                   ("Installments", f"{d['frequency']}, {d['method']}"),
                   ("Fee per installment", _amount(cur, d["fee_per_installment"])),
                   ("Upfront fee", _amount(cur, d["upfront_fee"])), ("Approved by", d["decided_by"]),
                   ("Status", d["status"])))
    heading(pdf, "Tranche plan")
    if d["plan"]:
        table(pdf, (15, 50, 50), ("#", "Planned date", "Amount"),
              ((n, t.get("date") or "to agree", _amount(cur, t.get("amount"))) for n, t in enumerate(d["plan"], 1)))
    else:
        paragraphs(pdf, ["The whole principal in one disbursement."])
    heading(pdf, "Repayment schedule")
    rows = d["schedule"]
    table(pdf, (10, 26, 31, 31, 22, 31, 33), ("#", "Due", "Principal", "Interest", "Fee", "Total", "Balance after"),
          ((i.number, i.due_date.isoformat(), f"{i.principal:,.2f}", f"{i.interest:,.2f}", f"{i.fee:,.2f}",
            f"{i.total:,.2f}", f"{i.balance_after:,.2f}") for i in rows))
    totals = schedule_totals(rows)
    paragraphs(pdf, [f"Repaid in all {_amount(cur, totals['total'])}: interest {_amount(cur, totals['interest'])}, "
                     f"fees {_amount(cur, totals['fee'])}.",
                     "The schedule runs from the first tranche's value date; a later tranche is charged interest "
                     "from its own value date, and the installments after it are re-spread over the same due dates."])
    return output(pdf)

"""The guarantee letter the fund issues to the bank, as a PDF the bank files with the loan."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from ..pdf_layout import labelled, new_document, output, paragraphs


def _amount(currency: str, value: Decimal | None) -> str:
    return "n/a" if value is None else f"{currency} {value:,.2f}"


def letter_data(g: Any) -> dict[str, Any]:
    """The letter's content as plain data, read from an issued guarantee and its loan."""
    loan, p = g.loan, g.loan.proposal
    line = p.credit_line
    return {"number": g.reference, "issued_on": g.issued_on.isoformat() if g.issued_on else "",
            "fund": line.fund.name, "credit_line": line.name,
            "bank": next((b.name for b in line.banks if b.id == p.bank_id), "the lending bank"),
            "enterprise": p.enterprise.legal_name, "investment": p.title, "loan": f"L{loan.id}",
            "principal": _amount(loan.currency, loan.principal),
            "terms": f"{Decimal(loan.annual_rate) * 100:.2f}% a year over {loan.tenor_months} months",
            "cover": f"{Decimal(g.coverage_share) * 100:.0f}% of the outstanding principal",
            "covered_amount": _amount(g.currency, g.covered_amount), "cap": _amount(g.currency, g.cap) if g.cap else None,
            "fee": _amount(g.currency, g.fee), "valid_until": g.valid_until.isoformat() if g.valid_until else "the loan's end",
            "status": g.status}


def guarantee_letter_pdf(d: dict[str, Any]) -> bytes:
    """Render the letter from ``letter_data``."""
    pdf = new_document("Guarantee letter", f"No. {d['number']} issued on {d['issued_on']}")
    rows = [("Guarantor", d["fund"]), ("Credit line", d["credit_line"]), ("Beneficiary", d["bank"]),
            ("Borrower", d["enterprise"]), ("Investment", d["investment"]), ("Loan", f"{d['loan']}, {d['principal']}, {d['terms']}"),
            ("Cover", d["cover"]), ("Covered amount", d["covered_amount"]), ("Fee", d["fee"]), ("Valid until", d["valid_until"])]
    if d["cap"]:
        rows.append(("Cap", d["cap"]))
    labelled(pdf, rows)
    paragraphs(pdf, [
        f"{d['fund']} guarantees to {d['bank']} the payment of {d['cover']} of loan {d['loan']} to {d['enterprise']}, "
        f"up to {d['covered_amount']}, should the loan default while this guarantee is in force.",
        "The bank calls the guarantee once the loan is in default; the claim is the covered share of the principal "
        "outstanding on that day. Recoveries after the payment are shared in the same proportion.",
        f"This guarantee ends on {d['valid_until']}, when the loan is repaid, or when it is called and paid.",
        f"Status on printing: {d['status']}."])
    return output(pdf)

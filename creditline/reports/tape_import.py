"""Bringing an existing book in: a loan tape (CSV or Excel, the export's columns) becomes loans.

The whole file is checked first (:mod:`creditline.reports.tape_rows`); then every row is created
in ONE unit of work through the services a loan made here goes through (the loan is proposed,
guaranteed, disbursed and repaid by :mod:`creditline.loans` and :mod:`creditline.guarantees`), so
an imported loan has the same schedule, balances, arrears and audit trail. Two steps did not
happen in this system and are recorded for what they are: the proposal was never scored by a
rulebook (it is created ``eligible`` with no assessment, and says it was imported), and the credit
committee's four-eyes approval was the bank's own (the approval carries the tape's date, by the
fund admin who imported it). The bank's steps are entered by the admin on the bank's behalf.
Each object gets one ``import`` audit event naming the file, its SHA-256 and the admin, and the
import itself one more; a file already imported (same SHA-256) is refused, so the book is never
doubled. A verified project comes in with its grant (:mod:`creditline.reports.tape_grants`):
its verification confirmed on the tape's day, the grant calculated, approved and paid by the
grants service as the tape says.
"""
from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from collections import Counter
from dataclasses import dataclass
from functools import cache
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select, text

from .. import clock
from ..audit.models import AuditEvent
from ..audit.services import chained_together, record
from ..auth.models import Organisation
from ..auth.permissions import Actor, require_role
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..enterprises.models import Enterprise
from ..errors import Conflict, DomainError, ValidationFailed
from ..extensions import db
from ..files.tabular_limits import MAX_ERRORS_SHOWN, TableLimits, capped
from ..grants.services import remaining_budget
from ..guarantees.services import exposure, issue_guarantee, request_guarantee
from ..loans.repayments import record_payment, update_arrears
from ..loans.services import disburse, propose_loan, transition
from ..monitoring.tabular import RowError, read_table
from ..proposals.models import Proposal
from ..scoring.services import rulebook_of, rulebooks_held
from ..unit_of_work import transaction
from .loan_tape import COLUMNS
from .tape_grants import import_grant
from .tape_rows import LineRef, References, TapeRow, check

# Each loan goes through the services (bench/tape_import.py: 30 to 45 ms of CPU a loan on SQLite,
# 50 to 80 on PostgreSQL, for the check and again for the import), so one upload holds at most 2,000
# loans; a larger book comes in several files.
LIMITS = TableLimits(max_rows=2_000)
ZERO = Decimal("0.00")
# Actions are "<entity>.import" ("loan.import", "loan_tape.import"), as every audited action is named.
IMPORT = "import"
_HEADERS = dict(COLUMNS)
# A service's field, as the tape's column that holds it, by step (a tranche's amount is the amount
# disbursed, a payment's the total paid).
_TRANCHE = {"amount": "disbursed", "value_date": "first_disbursed"}
_PAYMENT = {"amount": "paid", "value_date": "last_payment", "mode": "maturity"}
_GUARANTEE = {"covered_amount": "guarantee_covered", "issued_on": "guarantee_issued_on"}


@dataclass(frozen=True)
class Source:
    """The uploaded file as the audit trail names it."""

    filename: str
    sha256: str

    def note(self, actor: Actor) -> str:
        return f"imported from loan tape {self.filename} (sha256 {self.sha256}) by {actor.email}"


class _DryRun(Exception):
    """Raised at the end of a dry run so its unit of work rolls everything back."""

    def __init__(self, summary: dict[str, Any]):
        super().__init__("dry run")
        self.summary = summary


def references() -> References:
    """The names a tape may cite: credit lines (with guarantee room left), banks and enterprises."""
    lines = {}
    for line in db.session.scalars(select(CreditLine)):
        lines[line.name] = LineRef(line.id, line.currency, frozenset(b.id for b in line.banks),
                                   exposure(line)["remaining_capacity"], remaining_budget(line), line.ncpc.name)
    banks = dict(db.session.execute(select(Organisation.name, Organisation.id).where(Organisation.kind == "bank")).all())
    named = db.session.execute(select(Enterprise.legal_name, Enterprise.id)).all()
    # A name two enterprises share cannot say which one is meant: it is left unresolved.
    counts = Counter(name for name, _ in named)
    # Rows share lines and days: each line's bands on a day are read once for the file.
    return References(lines, banks, {name: i for name, i in named if counts[name] == 1}, cache(_bands_on))


def _bands_on(line_id: int, day: date) -> tuple[str, dict[str, Any]]:
    """The grant bands of the rulebook a line applies on ``day``, and that rulebook's name."""
    book = rulebook_of(db.session.get(CreditLine, line_id), day)
    return f"rulebook {book.id} {book.version}", book.grant_bands


class TapeRefused(ValidationFailed):
    """The tape's problems, already by row and column."""


def _refuse(errors: list[RowError]) -> ValidationFailed:
    grouped: dict[str, list[str]] = {}
    for e in errors:
        grouped.setdefault(f"row {e.row}: {e.column}" if e.row else e.column, []).append(e.reason)
    shown, total = capped(grouped)
    return TapeRefused(f"the loan tape was not imported: {total} problem(s)"
                            + (f"; the first {MAX_ERRORS_SHOWN} are listed" if total > MAX_ERRORS_SHOWN else ""),
                            shown, error_count=total)


def _already_imported(sha256: str) -> AuditEvent | None:
    if db.session.get_bind().dialect.name == "postgresql":
        # The audit chain's lock: two imports of one file queue here, and the second sees the first.
        db.session.execute(text("SELECT pg_advisory_xact_lock(7261001)"))
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == f"loan_tape.{IMPORT}",
                                                         AuditEvent.entity_type == "loan_tape"))
    return next((e for e in events if (e.after or {}).get("sha256") == sha256), None)


def require_importer(actor: Actor) -> None:
    """Only the fund's administrators bring a book in."""
    require_role(actor, "fund_admin", action="import a loan tape")


def import_tape(actor: Actor, data: bytes | None, filename: str, dry_run: bool = False) -> dict[str, Any]:
    """Check a loan tape as a whole and create its loans in one transaction (nothing on any problem)."""
    require_importer(actor)
    if not data:
        raise ValidationFailed("the upload is empty", {"file": ["choose a CSV or Excel loan tape"]})
    source = Source(filename or "loan-tape.csv", hashlib.sha256(data).hexdigest())
    try:
        frame = read_table(data, source.filename, LIMITS)
    except ValueError as exc:
        raise ValidationFailed(str(exc), {"file": [str(exc)]}) from None
    try:
        with transaction():
            earlier = _already_imported(source.sha256)
            if earlier is not None:
                raise Conflict(f"{source.filename} was already imported on {earlier.occurred_at:%Y-%m-%d} by "
                               f"{earlier.actor_email} (same SHA-256); importing it again would double the book",
                               sha256=source.sha256)
            checked = check(frame, references(), clock.today())
            if checked.errors:
                raise _refuse(checked.errors)
            # Thousands of loans' events are chained once, at the end (the chain verifies the same).
            # Each proposal is created here unscored and no rulebook is published meanwhile: its rulebook
            # is looked up once.
            with chained_together(), rulebooks_held():
                known = _Known()
                created = [_create(actor, row, source, known) for row in checked.rows]
                differing = [e for row, made in zip(checked.rows, created) for e in _differences(row, made)]
                if differing:
                    raise _refuse(differing)
                summary = _summary(source, created, dry_run)
                record(actor, f"loan_tape.{IMPORT}", "loan_tape", None, None,
                       {"filename": source.filename, "sha256": source.sha256, "note": source.note(actor),
                        "rows": len(created), "loan_ids": [c["loan_id"] for c in created]})
            if dry_run:
                raise _DryRun(summary)
            return summary
    except _DryRun as done:
        return done.summary


def _summary(source: Source, created: list[dict[str, Any]], dry_run: bool) -> dict[str, Any]:
    guaranteed = [c for c in created if c["guarantee_id"]]
    return {"filename": source.filename, "sha256": source.sha256, "dry_run": dry_run, "rows": len(created),
            "created": {"proposals": len(created), "loans": len(created), "guarantees": len(guaranteed),
                        "disbursements": sum(1 for c in created if c["disbursement_id"]),
                        "payments": sum(1 for c in created if c["payment_id"]),
                        "verifications": sum(1 for c in created if c["verification_id"]),
                        "grants": sum(1 for c in created if c["grant_id"])},
            "principal": str(sum((Decimal(c["principal"]) for c in created), Decimal("0.00"))),
            "loans": [] if dry_run else created}


def _differences(row: TapeRow, made: dict[str, Any]) -> list[RowError]:
    """Where the loan rebuilt from the row's terms, tranche and payments is not the tape's loan.

    A tape whose payments were not those of the schedule (late, partial, irregular) rebuilds to
    another balance or status: it is refused with the system's figure rather than stored wrong.
    A blank outstanding cell takes the system's figure.
    """
    v, out = row.values, []
    if made["status"] != v["status"]:
        out.append(RowError(row.row, _HEADERS["status"], f"the tape says {v['status']}; its terms, disbursement "
                                                          f"and payments make the loan {made['status']}"))
    if v.get("outstanding") is not None and Decimal(made["outstanding"]) != v["outstanding"]:
        out.append(RowError(row.row, _HEADERS["outstanding"], f"the tape says {v['outstanding']}; its terms, "
                                                               f"disbursement and payments leave {made['outstanding']}"))
    return out


def _on_behalf_of_bank(actor: Actor, bank_id: int) -> Actor:
    """The admin entering the bank's steps (proposal of terms, tranche, payments) for that bank."""
    return Actor(actor.user_id, actor.email, frozenset({"bank_officer"}), bank_id, "bank")


@contextmanager
def _columns(row: TapeRow, fields: dict[str, str] | None = None) -> Iterator[None]:
    """Report a service's refusal inside the block against the row and the tape's column.

    A service's own rules (a rate out of range, a tenor not a multiple of the period, cover the
    rulebook does not give) name its fields; the admin needs the cell to fix.
    """
    try:
        yield
    except TapeRefused:
        raise
    except DomainError as exc:
        names = fields or {}
        problems = [RowError(row.row, _HEADERS.get(names.get(f, f), f), "; ".join(map(str, msgs)))
                    for f, msgs in (exc.errors or {}).items()] or [RowError(row.row, "row", exc.message)]
        raise _refuse(problems) from None


class _Known:
    """The credit lines, banks and enterprises a file names, each looked up once for all its rows."""

    def __init__(self) -> None:
        self._found: dict[tuple[str, str], Any] = {}
        # The objects made, held until their events are chained: the session keeps objects only
        # while referenced, and the audit listeners read them again (else one reload each).
        self.made: list[Any] = []

    def _once(self, kind: str, name: str, stmt: Any) -> Any:
        key = (kind, name)
        if key not in self._found:
            self._found[key] = db.session.scalar(stmt)
        return self._found[key]

    def line(self, name: str) -> CreditLine | None:
        return self._once("line", name, select(CreditLine).where(CreditLine.name == name))

    def bank_id(self, name: str) -> int | None:
        return self._once("bank", name, select(Organisation.id).where(Organisation.name == name,
                                                                        Organisation.kind == "bank"))

    def enterprise(self, name: str) -> Enterprise | None:
        return self._once("enterprise", name, select(Enterprise).where(Enterprise.legal_name == name))


def _create(actor: Actor, row: TapeRow, source: Source, known: _Known) -> dict[str, Any]:
    with _columns(row):
        return _create_row(actor, row, source, known)


def _create_row(actor: Actor, row: TapeRow, source: Source, known: _Known) -> dict[str, Any]:
    v = row.values
    note = source.note(actor)
    refs_line = known.line(v["credit_line"])
    bank_id = known.bank_id(v["bank"])
    enterprise = known.enterprise(v["enterprise"])
    assert refs_line is not None and bank_id is not None and enterprise is not None  # checked by tape_rows
    tape_id = v["loan_id"] or None
    proposal = Proposal(enterprise_id=enterprise.id, credit_line_id=refs_line.id, bank_id=bank_id, status="eligible",
                        title=f"Imported loan {tape_id or f'row {row.row}'}"[:200],
                        description=f"{note}. Not scored in this system: the loan was made before the fund used it.",
                        cp_options=[o for o in str(v["cp_options"] or "").split() if o], currency=refs_line.currency,
                        investment=v["principal"], loan_amount=v["principal"], created_by=actor.user_id,
                        submitted_at=utcnow(), submitted_on=v["decided_on"])
    db.session.add(proposal)
    db.session.flush()
    bank = _on_behalf_of_bank(actor, bank_id)
    loan = propose_loan(bank, {"proposal_id": proposal.id, "principal": v["principal"], "currency": refs_line.currency,
                               "annual_rate": v["annual_rate"], "tenor_months": v["tenor_months"],
                               "grace_months": v["grace_months"] or 0, "frequency": v["frequency"],
                               "method": v["method"]})
    # The bank's committee approved it before the fund used this system: no four-eyes step here.
    loan.decided_by, loan.decided_at, loan.decided_on = actor.user_id, utcnow(), v["decided_on"]
    transition(actor, loan, "approved", decided_on=v["decided_on"], comment=note)
    guarantee = None
    if v["guarantee_status"] == "issued":
        with _columns(row, _GUARANTEE):
            guarantee = request_guarantee(bank, loan.id, {"coverage_share": v["coverage_share"]})
            if guarantee.covered_amount != v["guarantee_covered"]:
                raise ValidationFailed("the guarantee cover differs", {"covered_amount": [
                    f"the tape says {v['guarantee_covered']}; {v['coverage_share']} of the principal under the "
                    f"line's rulebook is {guarantee.covered_amount}"]})
            issue_guarantee(actor, guarantee.id, on=v["guarantee_issued_on"])
    tranche = payment = None
    if v["disbursed"]:
        with _columns(row, _TRANCHE):
            tranche = disburse(bank, loan.id, {"amount": v["disbursed"], "value_date": v["first_disbursed"],
                                               "reference": f"loan tape {tape_id or ''}".strip()})
    verification = grant = None
    if v["grant_status"]:
        # Before the borrower's payment: a grant paid off the principal is dated on or before the
        # last payment, and a loan repaid by that payment could no longer be granted.
        verification, grant = import_grant(actor, proposal, loan, v, note, lambda fields: _columns(row, fields))
    borrower_paid = (v["paid"] or ZERO) - (v["grant_amount"] if grant is not None and grant.status == "paid"
                                           and grant.paid_as == "principal_reduction" else ZERO)
    if borrower_paid:
        # The tape holds the total paid to the last payment's day: one payment of it on that day
        # settles the same installments; what is more than was due prepays principal and lowers
        # the installments left, so the loan keeps the maturity it was contracted with.
        with _columns(row, _PAYMENT):
            payment = record_payment(bank, loan.id, {"amount": borrower_paid, "currency": loan.currency,
                                                     "value_date": v["last_payment"], "mode": "lower_installment",
                                                     "reference": f"loan tape {tape_id or ''}".strip()})
    if loan.installments:
        update_arrears(loan, clock.today(), actor=actor)
    audit = {"note": note, "tape_loan_id": tape_id, "row": row.row}
    known.made.extend((proposal, loan, guarantee, tranche, payment, verification, grant))
    for kind, obj in (("proposal", proposal), ("loan", loan), ("guarantee", guarantee), ("disbursement", tranche),
                      ("payment", payment), ("verification", verification), ("grant", grant)):
        if obj is not None:
            record(actor, f"{kind}.{IMPORT}", kind, obj.id, None, audit)
    made = {"row": row.row, "tape_loan_id": tape_id, "proposal_id": proposal.id, "loan_id": loan.id,
            "status": loan.status, "currency": loan.currency, "principal": str(loan.principal),
            "outstanding": str(loan.outstanding_principal),
            "guarantee_id": guarantee.id if guarantee else None,
            "disbursement_id": tranche.id if tranche else None, "payment_id": payment.id if payment else None,
            "verification_id": verification.id if verification else None, "grant_id": grant.id if grant else None,
            "grant_status": grant.status if grant else None}
    # Its schedule and payments are stored and no later row reads them: let them go from memory.
    db.session.flush()
    db.session.expire(loan, ["installments", "disbursements", "payments"])
    return made

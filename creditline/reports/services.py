"""The reports, as their readers ask for them: scoped, filtered, computed in one pass (read only)."""
from __future__ import annotations

from typing import Any

from .. import clock
from ..auth.permissions import Actor, get_visible
from ..creditlines.models import CreditLine
from ..extensions import db
from ..rulebooks import registry
from . import impact, loan_tape, portfolio
from .dashboard_frames import read_dashboard
from .frames import Filters, Frames, read_all

REPORT_ROLES = ("fund_admin", "auditor", "bank_officer", "credit_committee", "sme", "verifier", "senior_verifier")


def filters_from(args: dict[str, Any], actor: Actor) -> Filters:
    """The filters of a request; a credit line the caller cannot see answers 404 as if missing."""
    line_id = args.get("credit_line_id")
    if line_id is not None:
        get_visible(CreditLine, line_id, actor, what="credit line")
    return Filters(credit_line_id=line_id, bank_id=args.get("bank_id"), isic=args.get("isic") or None,
                   cp_option=args.get("cp_option") or None)


def _frames(actor: Actor, filters: Filters, impact_tables: bool, tape: bool = False) -> Frames:
    try:
        return read_all(actor, filters, clock.today(), impact=impact_tables, tape=tape)
    finally:
        # Reports only read: end the read transaction so no lock or snapshot outlives the request.
        db.session.rollback()


def portfolio_report(actor: Actor, args: dict[str, Any]) -> dict[str, Any]:
    """The portfolio dashboard's data in the caller's scope (the fund's positions for its own people)."""
    filters = filters_from(args, actor)
    try:
        frames = read_dashboard(actor, filters, clock.today())
    finally:
        db.session.rollback()  # read only: no lock or snapshot outlives the request
    report = portfolio.portfolio(frames, show_lines=actor.sees_portfolio)
    report["filters"] = filters.as_dict()
    return report


def emission_factors(frames: Frames) -> dict[int, dict[str, float]]:
    """Each credit line's emission factors (t CO2e per unit), from its rulebook."""
    out = {}
    for rec in frames.lines.to_dict("records"):
        book = registry().get(rec["rulebook_id"], rec["rulebook_version"])
        out[int(rec["credit_line_id"])] = dict(book.emission_factors) if book else {}
    return out


def impact_report(actor: Actor, args: dict[str, Any]) -> dict[str, Any]:
    """Verified against projected savings, CO2e, and the financed emissions of the loans in view."""
    filters = filters_from(args, actor)
    frames = _frames(actor, filters, True)
    report = impact.impact(frames, emission_factors(frames))
    report["filters"] = filters.as_dict()
    return report


def tape_report(actor: Actor, args: dict[str, Any]) -> Any:
    """The loan tape (a DataFrame, one row per loan in view) as of today."""
    filters = filters_from(args, actor)
    return loan_tape.tape(_frames(actor, filters, False, tape=True))


DEFINITIONS = [
    "Outstanding principal: the unpaid principal of the schedule of loans being repaid (disbursed, active, "
    "in arrears, defaulted).",
    "Days past due: from the oldest due date with a cent or more unpaid, as of the report's day.",
    "PAR30 / PAR90: outstanding principal of loans more than 30 / 90 days past due over all outstanding principal.",
    "Approval rate: loan applications approved over those decided (approved or declined).",
    "Guarantee capacity used: live cover, plus claims called or paid, less the fund's share of recoveries.",
    "Month: when it happened (proposal submitted, loan first paid out or else approved, guarantee issued, "
    "grant paid or else approved).",
    "A proposal with several CP options counts under each of them.",
]
IMPACT_NOTES = [
    "Savings are a year's worth: projected from the proposal's indicator table, verified from the confirmed "
    "verification (baseline minus reporting specific consumption, times the annualised output).",
    "t CO2e: saving times the credit line's rulebook emission factor; cumulative: the verified rate times the "
    "years since its first reporting period began.",
    "Verified money saved is an estimate: net annual savings scaled by verified over projected improvement of "
    "the main indicator.",
    "Financed emissions (PCAF): borrower emissions times outstanding principal over the borrower's debt and "
    "equity (total assets). Data quality 1: verified reported quantities; 3: the measured baseline (physical "
    "activity data); 5: no physical data. Scores 2 and 4 are not produced.",
]


def flows_of(actor: Actor, proposal_id: int) -> dict[str, Any]:
    """A proposal's flows before and after (its indicator table, and the verification in force)."""
    from sqlalchemy import select

    from ..proposals.models import Proposal
    from ..verifications.models import Verification
    from .flows import flows

    proposal = get_visible(Proposal, proposal_id, actor, what="proposal")
    superseded = select(Verification.supersedes_id).where(Verification.supersedes_id.is_not(None),
                                                          Verification.status == "confirmed")
    verification = db.session.scalars(
        select(Verification).where(Verification.proposal_id == proposal.id, Verification.status == "confirmed",
                                   Verification.id.not_in(superseded)).order_by(Verification.id.desc())).first()
    line = proposal.credit_line
    book = registry().get(line.rulebook_id, line.rulebook_version)
    indicators = [{"stream": i.stream, "unit": i.unit, "baseline_quantity": i.baseline_quantity,
                   "baseline_output": i.baseline_output, "projected_quantity": i.projected_quantity,
                   "projected_output": i.projected_output} for i in proposal.indicators]
    return {"proposal": proposal, "verification": verification, "output_unit": proposal.output_unit,
            "flows": flows(indicators, verification.result if verification else None,
                           dict(book.emission_factors) if book else {})}

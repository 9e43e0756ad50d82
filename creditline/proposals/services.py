"""Draft, submit, withdraw and review proposals; each function is one transaction."""
from __future__ import annotations

from collections.abc import Callable
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..creditlines.models import CreditLine
from ..database import utcnow
from ..enterprises.models import Enterprise
from ..event_dates import check_event_day
from ..errors import Conflict, NotFound, ValidationFailed, require_id
from ..extensions import db
from ..lifecycle_moves import move
from ..unit_of_work import unit_of_work
from ..listing import page_rows
from ..pagination import Page
from ..rulebooks import registry
from ..rules.costs import disagreement, split_costs
from .models import PROPOSAL_LIFECYCLE, Assessment, Proposal, ProposalIndicator, TechnicalReview
from .lists import PROPOSALS
from .submission import submission_problems

SCALAR_FIELDS = ("title", "description", "cp_options", "currency", "investment", "eligible_cost",
                 "loan_amount", "own_contribution", "economic_life_years", "annual_savings",
                 "annual_extra_operating_cost", "implementation_months", "technology",
                 "output_unit", "main_indicator", "other_incentives", "cost_items", "bank_id")
INDICATOR_FIELDS = ("stream", "unit", "baseline_quantity", "baseline_output",
                    "projected_quantity", "projected_output")
# Row lists kept in JSON columns: their Decimal amounts are stored as strings.
JSON_ROWS = ("cost_items", "other_incentives")
EDITABLE_STATES = ("draft",)
REVIEWER_ROLES = ("verifier", "senior_verifier")

# Packages further down the lifecycle (loans) say what fixes a proposal for good (an approved loan
# rests on its figures): it can then be neither withdrawn nor reopened for revision.
FIXED_BY: list[Callable[[Proposal], str | None]] = []
# Called after a withdrawal or a reopening, in its transaction, with the reason (the loans package
# withdraws the loan application that rested on the old figures).
LET_GO_HOOKS: list[Callable[[Actor, Proposal, str], None]] = []
# Called after every lifecycle move, in its transaction: (actor, proposal, before, target).
# The referral desk opens its tasks on 'referred' and closes the moot ones when the proposal leaves.
MOVE_HOOKS: list[Callable[[Actor | None, Proposal, str, str], None]] = []


def to_body(p: Proposal) -> dict[str, Any]:
    """Return the proposal as the design §5 body (what the rules engine scores)."""
    body = {f: getattr(p, f) for f in SCALAR_FIELDS}
    body.update(id=p.id, credit_line_id=p.credit_line_id, enterprise_id=p.enterprise_id,
                indicators=[{f: getattr(i, f) for f in INDICATOR_FIELDS} for i in p.indicators],
                documents=sorted({d.kind for d in p.documents}))
    return body


def snapshot(p: Proposal) -> dict[str, Any]:
    """Return the audited state of a proposal."""
    state = to_body(p)
    state["status"] = p.status
    return state


def transition(actor: Actor | None, p: Proposal, target: str, **extra: Any) -> None:
    """Move a proposal along its lifecycle and audit the step (in the caller's unit of work)."""
    before = p.status
    move(actor, p, PROPOSAL_LIFECYCLE, target, after={"status": target, **extra})
    for hook in MOVE_HOOKS:
        hook(actor, p, before, target)


def _own_enterprise(actor: Actor, enterprise_id: int, errors: dict[str, list[str]]) -> Enterprise | None:
    ent = db.session.execute(visible(Enterprise, actor).where(Enterprise.id == enterprise_id)).scalar_one_or_none()
    if ent is None or (actor.organisation_kind == "sme" and ent.organisation_id != actor.organisation_id):
        errors["enterprise_id"] = [f"enterprise {enterprise_id} is not one of yours"]
        return None
    return ent


def _open_line(actor: Actor, line_id: int, errors: dict[str, list[str]]) -> CreditLine | None:
    line = db.session.execute(visible(CreditLine, actor).where(CreditLine.id == line_id)).scalar_one_or_none()
    if line is None:
        errors["credit_line_id"] = [f"credit line {line_id} does not exist"]
    elif line.status != "open":
        errors["credit_line_id"] = [f"the credit line '{line.name}' is closed to new proposals"]
    return line


def _apply(p: Proposal, data: dict[str, Any]) -> None:
    for key in SCALAR_FIELDS:
        if key in data:
            setattr(p, key, _jsonable(data[key]) if key in JSON_ROWS and data[key] is not None else data[key])
    if "indicators" in data:
        p.indicators = _merge_indicators(p.indicators, data["indicators"])


def _merge_indicators(current: list[ProposalIndicator], rows: list[dict[str, Any]]) -> list[ProposalIndicator]:
    """Update the rows whose stream stays, so only streams that really come or go are inserted or deleted.

    The unit of work inserts new rows before it deletes orphans: replacing a stream's row with a
    new object would collide with the old one on the (proposal, stream) unique constraint.
    """
    by_stream = {i.stream: i for i in current}
    merged = []
    for row in rows:
        indicator = by_stream.pop(row["stream"], None) or ProposalIndicator()
        for f in INDICATOR_FIELDS:
            setattr(indicator, f, row[f])
        merged.append(indicator)
    return merged


def _check_currency(line: CreditLine | None, data: dict[str, Any], errors: dict[str, list[str]]) -> None:
    currency = data.get("currency")
    if line is not None and currency and currency != line.currency:
        errors["currency"] = [f"the credit line '{line.name}' lends in {line.currency}, not {currency}"]


def _derive_eligible_cost(line: CreditLine | None, data: dict[str, Any], items: list[dict[str, Any]] | None,
                          errors: dict[str, list[str]]) -> None:
    """With cost items, the eligible cost is the sum of the items the line's rulebook finances."""
    book = registry().get(line.rulebook_id, line.rulebook_version) if line is not None else None
    if not items or book is None:
        return
    split = split_costs(items, book.eligible_costs, f"{book.id} {book.version}")
    reason = disagreement(data.get("eligible_cost"), split)
    if reason:
        errors["eligible_cost"] = [reason]
    else:
        data["eligible_cost"] = split.eligible_total


@unit_of_work
def create_proposal(actor: Actor, data: dict[str, Any]) -> Proposal:
    """Save a new draft for one of the caller's enterprises."""
    require_role(actor, "sme", action="draft proposals")
    errors: dict[str, list[str]] = {}
    _own_enterprise(actor, data["enterprise_id"], errors)
    line = _open_line(actor, data["credit_line_id"], errors)
    _check_currency(line, data, errors)
    _derive_eligible_cost(line, data, data.get("cost_items"), errors)
    if errors:
        raise ValidationFailed("the proposal cannot be saved", errors)
    p = Proposal(enterprise_id=data["enterprise_id"], credit_line_id=data["credit_line_id"],
                 title=data["title"], created_by=actor.user_id, status=PROPOSAL_LIFECYCLE.initial,
                 cp_options=[], technology={}, other_incentives=[])
    if not data.get("currency") and line is not None:
        p.currency = line.currency
    _apply(p, data)
    db.session.add(p)
    db.session.flush()
    record(actor, "proposal.drafted", "proposal", p.id, None, snapshot(p))
    return p


@unit_of_work
def update_proposal(actor: Actor, proposal_id: int, data: dict[str, Any]) -> Proposal:
    """Change a draft; anything else must be reopened first."""
    require_role(actor, "sme", action="edit proposals")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    if p.status not in EDITABLE_STATES:
        raise Conflict(f"only a draft can be edited; this proposal is {p.status}",
                       current_state=p.status, allowed=PROPOSAL_LIFECYCLE.allowed(p.status))
    errors: dict[str, list[str]] = {}
    if "enterprise_id" in data and data["enterprise_id"] != p.enterprise_id:
        _own_enterprise(actor, data["enterprise_id"], errors)
    line = p.credit_line
    if "credit_line_id" in data and data["credit_line_id"] != p.credit_line_id:
        line = _open_line(actor, data["credit_line_id"], errors)
    _check_currency(line, data, errors)
    _derive_eligible_cost(line, data, data["cost_items"] if "cost_items" in data else p.cost_items, errors)
    if errors:
        raise ValidationFailed("the proposal cannot be saved", errors)
    before = snapshot(p)
    for key in ("enterprise_id", "credit_line_id"):
        if key in data:
            setattr(p, key, data[key])
    _apply(p, data)
    record(actor, "proposal.updated", "proposal", p.id, before, snapshot(p))
    return p


@unit_of_work
def reopen_proposal(actor: Actor, proposal_id: int) -> Proposal:
    """Turn a scored proposal back into a draft so the SME can revise and resubmit it."""
    require_role(actor, "sme", action="reopen proposals")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    _refuse_if_fixed(p, "revised")
    transition(actor, p, "draft")
    for hook in LET_GO_HOOKS:
        hook(actor, p, "the proposal was reopened for revision")
    return p


def fixed_reason(p: Proposal) -> str | None:
    """Why the proposal can no longer be withdrawn or revised, or None (the page hides those actions)."""
    for guard in FIXED_BY:
        reason = guard(p)
        if reason:
            return reason
    return None


def _refuse_if_fixed(p: Proposal, what: str) -> None:
    reason = fixed_reason(p)
    if reason:
        raise Conflict(f"{reason}: a proposal whose loan is approved cannot be {what}",
                       current_state=p.status, allowed=[])


@unit_of_work
def submit_proposal(actor: Actor, proposal_id: int, bank_id: int | None, scorer: Callable[..., Assessment],
                    submitted_on: date | None = None) -> Proposal:
    """Validate fully, submit, score against the line's rulebook and record the decision.

    ``submitted_on`` is the day it was submitted (today by default; an older application brought
    into the system keeps its own day).
    """
    require_role(actor, "sme", action="submit proposals")
    require_id(bank_id, "bank_id")
    day = check_event_day("submitted_on", submitted_on)
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    PROPOSAL_LIFECYCLE.check(p.status, "submitted")
    if bank_id is not None:
        p.bank_id = bank_id
    elif p.bank_id is None and len(p.credit_line.banks) == 1:
        p.bank_id = p.credit_line.banks[0].id
    problems = submission_problems(p)
    if problems:
        raise ValidationFailed(f"the proposal is not ready to submit: {len(problems)} problems", problems)
    p.submitted_at, p.submitted_on = utcnow(), day
    transition(actor, p, "submitted", submitted_on=day)
    assessment = scorer(actor, p)
    transition(actor, p, "scored", assessment_id=assessment.id)
    transition(actor, p, assessment.decision, assessment_id=assessment.id)
    return p


@unit_of_work
def withdraw_proposal(actor: Actor, proposal_id: int, reason: str) -> Proposal:
    """Withdraw a proposal at any state before its loan is approved."""
    require_role(actor, "sme", action="withdraw proposals")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    _refuse_if_fixed(p, "withdrawn")
    transition(actor, p, "withdrawn", reason=reason)
    p.withdrawn_reason = reason
    for hook in LET_GO_HOOKS:
        hook(actor, p, reason or "the proposal was withdrawn")
    return p


@unit_of_work
def review_proposal(actor: Actor, proposal_id: int, data: dict[str, Any],
                    scorer: Callable[..., Assessment]) -> TechnicalReview:
    """Record the NCPC's technical review; corrections to the baseline re-score the proposal."""
    require_role(actor, *REVIEWER_ROLES, action="review proposals")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    PROPOSAL_LIFECYCLE.check(p.status, "technically_reviewed")
    if data["outcome"] == "corrected":
        # A correction re-scores the figures an approved loan (and its grant) rest on; a
        # confirmation only records the NCPC's check and stays possible.
        _refuse_if_fixed(p, "corrected")
    errors: dict[str, list[str]] = {}
    by_stream = {i.stream: i for i in p.indicators}
    for n, fix in enumerate(data["corrections"]):
        if fix["stream"] not in by_stream:
            errors[f"corrections.{n}.stream"] = [f"the proposal has no {fix['stream']} indicator"]
    main = data.get("main_indicator") or p.main_indicator
    if main not in by_stream:
        errors["main_indicator"] = [f"the proposal has no {main} indicator"]
    if data["outcome"] == "corrected" and not data["corrections"] and main == p.main_indicator:
        errors["corrections"] = ["a correction must change the baseline or the main indicator"]
    if data["outcome"] == "confirmed":
        # A confirmation keeps the scored baseline; a change must go through 'corrected', which re-scores.
        if data["corrections"]:
            errors["corrections"] = ["a confirmation cannot carry corrections; record the outcome 'corrected'"]
        if main != p.main_indicator:
            errors["main_indicator"] = [f"a confirmation keeps the main indicator {p.main_indicator}; "
                                        "record the outcome 'corrected' to change it"]
    if errors:
        raise ValidationFailed("the review cannot be recorded", errors)
    before = snapshot(p)
    for fix in data["corrections"]:
        row = by_stream[fix["stream"]]
        for key in ("baseline_quantity", "baseline_output"):
            if fix.get(key) is not None:
                setattr(row, key, fix[key])
    p.main_indicator = main
    review = TechnicalReview(proposal_id=p.id, reviewer_id=actor.user_id, outcome=data["outcome"],
                             main_indicator=main, corrections=_jsonable(data["corrections"]),
                             comments=data["comments"])
    db.session.add(review)
    db.session.flush()
    target = "technically_reviewed"
    if data["outcome"] == "corrected":
        assessment = scorer(actor, p)
        if assessment.decision != "eligible":
            target = assessment.decision
    record(actor, "proposal.reviewed", "proposal", p.id, before, snapshot(p))
    transition(actor, p, target, review_id=review.id)
    return review


def _jsonable(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Rows with Decimals as strings, for a JSON column."""
    return [{k: (str(v) if isinstance(v, Decimal) else v) for k, v in row.items()} for row in rows]


def line_has_proposals(line_id: int) -> bool:
    """Tell whether any proposal was made on the credit line (they are priced in its currency)."""
    return db.session.scalar(select(Proposal.id).where(Proposal.credit_line_id == line_id).limit(1)) is not None


def proposals_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """The proposals the caller may see, narrowed by the API's id filters (the list spec does the rest)."""
    stmt = visible(Proposal, actor)
    for key in ("credit_line_id", "enterprise_id"):
        if args.get(key) is not None:
            stmt = stmt.where(getattr(Proposal, key) == args[key])
    return stmt


def list_proposals(actor: Actor, args: dict[str, Any]) -> Page:
    """List the proposals the caller may see, filtered and sorted."""
    return page_rows(PROPOSALS, proposals_query(actor, args), args)


def get_proposal(actor: Actor, proposal_id: int) -> Proposal:
    """Load one proposal in the caller's scope."""
    return get_visible(Proposal, proposal_id, actor, what="proposal")


def latest_assessment(actor: Actor, proposal_id: int) -> Assessment:
    """Return the newest assessment of a proposal the caller may see."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    found = db.session.execute(select(Assessment).where(Assessment.proposal_id == p.id)
                               .order_by(Assessment.id.desc()).limit(1)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"proposal {proposal_id} has not been scored yet; submit it first")
    return found


def assessment_of(actor: Actor, proposal_id: int, assessment_id: int) -> Assessment:
    """Return one assessment of a proposal the caller may see."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    found = db.session.execute(select(Assessment).where(Assessment.proposal_id == p.id,
                                                        Assessment.id == assessment_id)).scalar_one_or_none()
    if found is None:
        raise NotFound(f"assessment {assessment_id} of proposal {proposal_id} not found")
    return found



def review_form(actor: Actor, proposal_id: int) -> Proposal:
    """Open a proposal for technical review (NCPC verifiers only)."""
    require_role(actor, *REVIEWER_ROLES, action="review proposals")
    return get_visible(Proposal, proposal_id, actor, what="proposal")


def review_queue(actor: Actor, page: int) -> Page:
    """Eligible proposals waiting for the NCPC's technical review, oldest first."""
    require_role(actor, *REVIEWER_ROLES, action="review proposals")
    return list_proposals(actor, {"status": "eligible", "sort": "created_at", "page": page})


def reviews_of(actor: Actor, proposal_id: int) -> list[TechnicalReview]:
    """List the technical reviews of a proposal, newest first."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    return list(db.session.execute(select(TechnicalReview).where(TechnicalReview.proposal_id == p.id)
                                   .order_by(TechnicalReview.id.desc())).scalars())

"""Verify a proposal's reported benefit and take the four-eyes decision on it."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import Select, select

from ..audit.services import record
from ..auth.permissions import Actor, check_four_eyes, get_visible, require_role, visible
from ..database import utcnow
from .. import clock
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..event_dates import check_event_day
from ..extensions import db
from ..lifecycle_moves import move
from ..unit_of_work import unit_of_work
from ..monitoring.models import MonitoringReport, ReportEvidence
from ..monitoring.services import plan_of, report_day
from ..listing import page_rows
from ..pagination import Page
from ..proposals.models import Proposal
from ..scoring.services import rulebook_for
from ..measurement.calc import verify
from ..measurement.model_choice import apply_models
from .modelling import choose_models, settings_of
from .models import DECISIONS, VERIFICATION_LIFECYCLE, Verification
from .lists import VERIFICATIONS

# What a grant calculation needs once a verification is confirmed; set by the grants package,
# which sits above this one, so verifying does not import paying.
ON_CONFIRMED: list[Any] = []


def verification_settings(book: Any, plan: Any) -> dict[str, Any]:
    """The data-sufficiency settings: the rulebook's, with the plan's offset method."""
    own = {k: v for k, v in (book.monitoring.get("verification") or {}).items() if k != "baseline_model"}
    return {**own, "offset_method": plan.offset_method}


def _inputs(plan: Any, reports: list[MonitoringReport]) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    days = (plan.baseline_end - plan.baseline_start).days + 1
    plan_dict = {"main_indicator": plan.main_indicator, "output_unit": plan.output_unit,
                 "indicators": [{**i, "baseline_days": days} for i in plan.indicators],
                 "reporting_start": min(r.period.start for r in reports).isoformat(),
                 "reporting_end": max(r.period.end for r in reports).isoformat()}
    periods = [{"period": n, "start": r.period.start.isoformat(), "end": r.period.end.isoformat(),
                "output": r.production_output, "quantities": {q.stream: q.quantity for q in r.quantities}}
               for n, r in enumerate(reports, start=1)]
    return plan_dict, periods


@unit_of_work
def create_verification(actor: Actor, proposal_id: int, data: dict[str, Any]) -> Verification:
    """Compute the verification figures from the plan's reports (verifiers)."""
    require_role(actor, "verifier", "senior_verifier", action="verify benefits")
    plan = plan_of(actor, proposal_id)
    p = plan.proposal
    ensure_no_open_verification(p)
    current = current_confirmed(p.id)
    if current is not None and data.get("supersedes_id") is None:
        # Two confirmed verifications side by side would each earn a grant for one investment.
        raise Conflict(f"verification {current.id} of this proposal is confirmed; a new verification must "
                       f"correct it (supersedes_id {current.id})", current_state="confirmed", allowed=[],
                       errors={"supersedes_id": [f"required: verification {current.id} is confirmed"]})
    wanted = data.get("periods")
    # Only what the NCPC accepted counts (a submitted or returned report is not evidence yet), and
    # only of ended periods: a certificate never covers days to come.
    today = clock.today()
    reports = [q.accepted_report for q in plan.periods
               if q.accepted_report is not None and q.end < today and (not wanted or q.label in wanted)]
    errors: dict[str, list[str]] = {}
    if wanted:
        unknown = sorted(set(wanted) - {r.period.label for r in reports})
        if unknown:
            errors["periods"] = [f"no accepted report of an ended period for period(s) {', '.join(unknown)}"]
    if not reports:
        errors.setdefault("periods", []).append("there are no accepted monitoring reports to verify yet")
    old = None
    if data.get("supersedes_id") is not None:
        old = db.session.get(Verification, data["supersedes_id"])
        if old is None or old.proposal_id != p.id:
            errors["supersedes_id"] = [f"verification {data['supersedes_id']} is not one of this proposal's"]
        elif old.status != "confirmed":
            errors["supersedes_id"] = ["only a confirmed verification is corrected by a new one"]
        elif db.session.scalar(select(Verification.id).where(Verification.supersedes_id == old.id)):
            errors["supersedes_id"] = [f"verification {old.id} has already been corrected"]
    if errors:
        raise ValidationFailed("the verification cannot be made", errors)
    book = rulebook_for(p)
    plan_dict, periods = _inputs(plan, reports)
    result = verify(plan_dict, periods, verification_settings(book, plan), book.emission_factors)
    settings = settings_of(book)
    models = choose_models(plan, reports, data.get("models"), settings, actor.user_id)
    result = apply_models(result, models, book.emission_factors, settings["band_basis"])
    # Evidence is numbered in the certificate (its download URL is /evidence/<n>): in report order,
    # then in the order uploaded, read in one query (without ORDER BY, PostgreSQL may return any order).
    files: dict[int, list[ReportEvidence]] = {}
    for e in db.session.scalars(select(ReportEvidence).where(ReportEvidence.report_id.in_([r.id for r in reports]))
                                .order_by(ReportEvidence.id)):
        files.setdefault(e.report_id, []).append(e)
    evidence = [{"report_period": r.period.label, "report_id": r.id, "evidence_id": e.id,
                 "filename": e.file.filename, "sha256": e.file.sha256, "content_type": e.file.content_type,
                 "uploaded_by": e.file.uploaded_by, "uploaded_at": e.file.uploaded_at.isoformat(),
                 "description": e.description}
                for r in reports for e in files.get(r.id, [])]
    v = Verification(proposal_id=p.id, plan_id=plan.id, supersedes_id=old.id if old else None,
                     ipmvp_option=data.get("ipmvp_option") or plan.ipmvp_option,
                     periods=[r.period.label for r in reports], result=result, evidence=evidence,
                     rulebook_id=book.id, rulebook_version=book.version, rulebook_hash=book.hash,
                     created_by=actor.user_id)
    db.session.add(v)
    db.session.flush()
    record(actor, "verification.computed", "verification", v.id, None,
           {"proposal_id": p.id, "periods": v.periods, "main_improvement": result["main_improvement"],
            "net_improvement": result["net_improvement"], "sufficient": result["sufficient"],
            "models": {k: {"method": m["method"], "accepted": not m["failures"], "reason": m["reason"]}
                       for k, m in models.items()},
            "supersedes_id": v.supersedes_id})
    return v


def _move(actor: Actor, v: Verification, target: str, event: str | None = None, note: str | None = None,
          **values: Any) -> None:
    """Change status only if nobody else changed it first: of racing requests exactly one wins, the rest get 409."""
    after = {k: (val.isoformat() if hasattr(val, "isoformat") else val) for k, val in values.items()}
    if note:
        after["comment"] = note
    move(actor, v, VERIFICATION_LIFECYCLE, target, action=event, values=values, after={"status": target, **after})


@unit_of_work
def propose(actor: Actor, verification_id: int, decision: str, comment: str, on: date | None = None) -> Verification:
    """The verifier proposes verified, rejected or more data needed, with a comment, on ``on`` (today by default)."""
    require_role(actor, "verifier", "senior_verifier", action="propose verification decisions")
    v = get_visible(Verification, verification_id, actor, what="verification")
    if decision not in DECISIONS:
        raise ValidationFailed("unknown decision", {"decision": [f"one of {', '.join(DECISIONS)}"]})
    if decision == "verified" and not v.result.get("sufficient", False):
        blocking = [f["message"] for f in v.result.get("sufficiency", []) if f.get("blocking")]
        raise ValidationFailed("the data are not sufficient to verify the benefit",
                               {"decision": blocking or ["the data are not sufficient"]})
    day = check_event_day("proposed_on", on, [(last_report_day(v), "the last report it covers was sent")])
    _move(actor, v, "proposed", decision=decision, proposal_comment=comment, proposed_by=actor.user_id,
          proposed_at=utcnow(), proposed_on=day)
    return v


@unit_of_work
def confirm(actor: Actor, verification_id: int, comment: str | None, on: date | None = None) -> Verification:
    """A senior verifier who did not propose it confirms on ``on`` (today by default); the result is then immutable."""
    require_role(actor, "senior_verifier", action="confirm verifications")
    v = get_visible(Verification, verification_id, actor, what="verification")
    check_four_eyes(actor, v.proposed_by, "verification")
    day = check_event_day("confirmed_on", on, [(last_report_day(v), "the last report it covers was sent"),
                                               (proposed_day(v), "the decision was proposed")])
    _move(actor, v, "confirmed", confirmed_by=actor.user_id, confirmed_at=utcnow(), confirmed_on=day,
          confirm_comment=comment)
    for hook in ON_CONFIRMED:
        hook(actor, v)
    return v


def last_report_day(v: Verification) -> date | None:
    """The day the latest (accepted) report the verification covers was sent."""
    reports = db.session.scalars(select(MonitoringReport).where(MonitoringReport.plan_id == v.plan_id,
                                                                MonitoringReport.status == "accepted"))
    days = [report_day(r) for r in reports if r.period.label in (v.periods or [])]
    return max(days, default=None)


def proposed_day(v: Verification) -> date | None:
    """The day the decision was proposed (rows from before event dates: the day it was entered)."""
    return v.proposed_on or (v.proposed_at.date() if v.proposed_at else None)


def confirmed_day(v: Verification) -> date | None:
    """The day the verification was confirmed (rows from before event dates: the day it was entered)."""
    return v.confirmed_on or (v.confirmed_at.date() if v.confirmed_at else None)


@unit_of_work
def reject(actor: Actor, verification_id: int, comment: str) -> Verification:
    """A senior verifier returns the proposed decision to the verifier, with the reason."""
    require_role(actor, "senior_verifier", action="reject verification decisions")
    v = get_visible(Verification, verification_id, actor, what="verification")
    check_four_eyes(actor, v.proposed_by, "verification")
    if not comment or len(comment.strip()) < 3:
        raise ValidationFailed("say why the decision is returned", {"comment": ["required"]})
    _move(actor, v, "returned", confirm_comment=comment)
    return v


@unit_of_work
def withdraw(actor: Actor, verification_id: int, comment: str | None) -> Verification:
    """The verifier who proposed a decision takes it back (another verifier may then propose)."""
    require_role(actor, "verifier", "senior_verifier", action="withdraw verification decisions")
    v = get_visible(Verification, verification_id, actor, what="verification")
    if v.status == "proposed" and v.proposed_by != actor.user_id:
        raise Forbidden("only the verifier who proposed this decision can withdraw it")
    _move(actor, v, "computed", event="verification.withdrawn", note=comment, decision=None, proposed_by=None,
          proposed_at=None, proposed_on=None, proposal_comment=None)
    return v


def get_verification(actor: Actor, verification_id: int) -> Verification:
    return get_visible(Verification, verification_id, actor, what="verification")


def verifications_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """Verifications in scope, of one proposal if asked (the list spec does the rest)."""
    stmt = visible(Verification, actor)
    if args.get("proposal_id"):
        stmt = stmt.where(Verification.proposal_id == args["proposal_id"])
    return stmt


def list_verifications(actor: Actor, args: dict[str, Any]) -> Page:
    """Verifications in scope, newest first; filter by status (the senior's queue is 'proposed')."""
    return page_rows(VERIFICATIONS, verifications_query(actor, args), args)


def current_confirmed(proposal_id: int) -> Verification | None:
    """The proposal's confirmed verification that no later one corrects, if any."""
    corrected = select(Verification.supersedes_id).where(Verification.supersedes_id.is_not(None))
    return db.session.scalar(select(Verification).where(
        Verification.proposal_id == proposal_id, Verification.status == "confirmed",
        Verification.id.notin_(corrected)).order_by(Verification.id.desc()).limit(1))


def grant_summary(v: Verification) -> dict[str, Any]:
    """Design §5 ``grant``: rate, amount and reason, from the grant row or the reason there is none."""
    g = v.grant
    if g is not None:
        return {"id": g.id, "status": g.status, "rate": float(g.rate), "amount": f"{g.amount:.2f}",
                "currency": g.currency, "basis": g.basis, "basis_amount": f"{g.basis_amount:.2f}", "reason": g.reason}
    if v.status != "confirmed":
        reason = "no grant until the decision is confirmed"
    else:
        reason = f"no grant: the confirmed decision is '{v.decision}', not 'verified'"
    return {"id": None, "status": None, "rate": None, "amount": None, "currency": None, "basis": None,
            "basis_amount": None, "reason": reason}


def evidence_file(actor: Actor, verification_id: int, number: int) -> tuple[bytes, str, str]:
    """An evidence file of a verification (1-based), checked against its SHA-256: bytes, name and type."""
    from ..files.models import StoredFile
    from ..files.services import read_file

    v = get_visible(Verification, verification_id, actor, what="verification")
    if not 1 <= number <= len(v.evidence or []):
        raise NotFound(f"verification {verification_id} has no evidence file {number}")
    entry = v.evidence[number - 1]
    row = db.session.scalar(select(StoredFile).where(StoredFile.sha256 == entry["sha256"]).order_by(StoredFile.id)
                            .limit(1))
    if row is None:
        raise NotFound(f"evidence file {entry['filename']} is not stored")
    return read_file(row), entry["filename"], entry.get("content_type") or row.content_type


def uploaders(v: Verification) -> dict[int, str]:
    """Names of the people who uploaded the verification's evidence, by user id."""
    from ..auth.models import User

    ids = {e["uploaded_by"] for e in v.evidence or [] if e.get("uploaded_by")}
    users = db.session.scalars(select(User).where(User.id.in_(ids))).all() if ids else []
    return {u.id: f"{u.name} <{u.email}>" for u in users}


def verification_on_baseline(proposal_id: int) -> str | None:
    """The proposal's first verification, in words, or None: each was computed on its baseline months."""
    first = db.session.scalar(select(Verification.id).where(Verification.proposal_id == proposal_id)
                              .order_by(Verification.id).limit(1))
    return f"verification {first} of this proposal" if first is not None else None


def ensure_no_open_verification(p: Proposal) -> None:
    """Refuse a second unconfirmed verification of the same proposal."""
    open_one = db.session.scalar(select(Verification.id).where(
        Verification.proposal_id == p.id, Verification.status.in_(("computed", "proposed", "returned"))))
    if open_one:
        raise Conflict(f"verification {open_one} of this proposal is still open", current_state="open", allowed=[])


def ready_to_verify(actor: Actor) -> list[Proposal]:
    """Proposals in scope with reports received and no verification open or confirmed: the verifier's to-do list."""
    from ..monitoring.models import MonitoringPlan, ReportingPeriod

    has_reports = select(MonitoringPlan.proposal_id).join(ReportingPeriod, ReportingPeriod.plan_id == MonitoringPlan.id) \
        .join(MonitoringReport, MonitoringReport.period_id == ReportingPeriod.id) \
        .where(MonitoringReport.status == "accepted")
    # A confirmed one means done: a correction is started from the monitoring page, naming it.
    started = select(Verification.proposal_id).where(
        Verification.status.in_(("computed", "proposed", "returned", "confirmed")))
    stmt = visible(Proposal, actor).where(Proposal.id.in_(has_reports), Proposal.id.notin_(started))
    return list(db.session.scalars(stmt.order_by(Proposal.id)).all())


def people_of(v: Verification) -> dict[str, Any]:
    """Names of the verifier who proposed and the senior verifier who confirmed."""
    from ..auth.models import User

    def name(user_id: int | None) -> str | None:
        user = db.session.get(User, user_id) if user_id else None
        return f"{user.name} <{user.email}>" if user else None
    return {"proposed_by": name(v.proposed_by), "confirmed_by": name(v.confirmed_by)}


def certificate_number(v: Verification) -> str:
    """A stable, human-readable certificate number."""
    return f"{v.rulebook_id.upper()}-V{v.id:06d}"


def certificate_data(v: Verification, grant: Any | None) -> dict[str, Any]:
    """Everything the certificate shows, as plain values."""
    r = v.result
    people = people_of(v)
    if grant is None and v.status == "confirmed":
        grant_text = grant_summary(v)["reason"]
    elif grant is None:
        grant_text = "none (the decision is not 'verified')"
    elif grant.status == "blocked":
        grant_text = f"none: {grant.reason}"
    else:
        grant_text = (f"{float(grant.rate) * 100:.0f}% of {grant.currency} {grant.basis_amount:,.2f} = "
                      f"{grant.currency} {grant.amount:,.2f} ({grant.status})")
    return {"number": certificate_number(v), "enterprise": v.proposal.enterprise.legal_name,
            "proposal": v.proposal.title, "credit_line": v.proposal.credit_line.name,
            "rulebook": {"id": v.rulebook_id, "version": v.rulebook_version, "hash": v.rulebook_hash},
            "periods": f"{', '.join(v.periods)} ({r['window']['start']} to {r['window']['end']})",
            "ipmvp_option": v.ipmvp_option, "output_unit": r.get("output_unit", ""), "indicators": r["indicators"],
            "main_improvement": r.get("main_improvement"), "net_improvement": r.get("net_improvement"),
            "offset_method": r.get("offset_method", ""), "co2e": r.get("co2e_avoided_t_per_year"),
            "worse": [w["message"] for w in r.get("worse", [])], "sufficient": r.get("sufficient"),
            "flags": [f["message"] for f in r.get("sufficiency", [])], "decision": v.decision, "grant": grant_text,
            "proposed_by": people["proposed_by"], "proposed_at": proposed_day(v).isoformat() if v.proposed_at else "",
            "confirmed_by": people["confirmed_by"], "models": r.get("models") or {},
            "confirmed_at": confirmed_day(v).isoformat() if v.confirmed_at else ""}

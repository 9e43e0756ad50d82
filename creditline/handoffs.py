"""Hand-offs: when a change leaves work waiting on someone else, tell them.

Every state change is audited (``creditline.audit.services.record``), so the audit trail is the
one place that sees them all: creditline.wiring registers :func:`on_events` as an audit listener.
It runs inside the service's unit of work, so an action rolled back notifies no one, and the
notification's key carries the audit event's sequence number, so each change notifies once.
The person who acted is never told about their own action. A hand-off is marked handled (and
read) once its object has left the state it asked someone to act on (:data:`AWAITS`), so an
inbox's unread count is only what still waits.

Hand-offs notified elsewhere, with their own wording, are not repeated here: a declined loan
(loans.services), a monitoring report submitted or returned (monitoring.review), reports due,
installments due, arrears and verifications waiting (the daily job).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from sqlalchemy import func, select

from .audit.models import AuditEvent
from .auth.permissions import Actor
from .creditlines.models import CreditLine
from .database import utcnow
from .extensions import db
from .grants.models import Grant
from .guarantees.models import Guarantee
from .loans.models import Loan
from .monitoring.models import MonitoringPlan, MonitoringReport, ReportingPeriod
from .notifications.services import Message, people_once, queue_many, resolve_many, users_of
from .proposals.models import Proposal
from .referrals.models import ReferralTask
from .referrals.reasons import OWNER_ROLES
from .verifications.models import Verification

NCPC_ROLES = ("verifier", "senior_verifier")


def _sme(p: Proposal) -> list[int]:
    return users_of(p.enterprise.organisation_id, "sme")


def _bank(bank_id: int | None, *roles: str) -> list[int]:
    return users_of(bank_id, *(roles or ("bank_officer",))) if bank_id else []


def _line(line_id: int) -> CreditLine:
    return db.session.get(CreditLine, line_id)


def _fund(line_id: int) -> list[int]:
    return users_of(_line(line_id).fund_id, "fund_admin")


def _ncpc(line_id: int, *roles: str) -> list[int]:
    return users_of(_line(line_id).ncpc_id, *(roles or NCPC_ROLES))


def _proposal(event: AuditEvent) -> list[Message]:
    p = db.session.get(Proposal, event.entity_id)
    url, name = f"/proposals/{p.id}", f"'{p.title}' (P{p.id})"
    status = event.action.split(".", 1)[1]
    if status == "eligible":
        return [Message(_sme(p), "proposal_eligible", f"Proposal P{p.id} is eligible",
                        f"{name} passed the rulebook's checks; the bank you chose screens it next.", "", url),
                Message(_bank(p.bank_id), "proposal_to_screen", f"Proposal P{p.id} waits for screening",
                        f"{name} is eligible: read its assessment and propose loan terms.", "", url)]
    if status == "ineligible":
        return [Message(_sme(p), "proposal_ineligible", f"Proposal P{p.id} is not eligible",
                        f"{name}: read the assessment for the rules it failed.", "", f"{url}/assessment")]
    if status == "referred":
        return [Message(_sme(p), "proposal_referred", f"Proposal P{p.id} was referred",
                        f"{name} needs a person's judgement (the NCPC or the fund); you are told when it is decided.",
                        "", url)]
    if status == "draft" and event.before and event.before.get("status") == "referred":
        return [Message(_sme(p), "proposal_returned", f"Proposal P{p.id} was returned to you",
                        f"{name}: the reason is on the proposal page; revise it and submit it again.", "", url)]
    return []


def _referral(event: AuditEvent) -> list[Message]:
    task = db.session.get(ReferralTask, event.entity_id)
    p = task.proposal
    url, name = f"/referrals/{task.id}", f"'{p.title}' (P{p.id})"
    if event.action == "referral.opened":
        owners = {"ncpc": _ncpc(p.credit_line_id), "fund": _fund(p.credit_line_id)}
        people = owners.get(task.owner)
        if people is None:  # a second opinion: whoever gives it, at the NCPC, the lending bank or the fund
            people = (_ncpc(p.credit_line_id) + _fund(p.credit_line_id)
                      + _bank(p.bank_id, *OWNER_ROLES["second_opinion"]))
        return [Message(people, "referral_opened", f"Referral R{task.id} to decide",
                        f"{name}: {task.message}", "", url)]
    if event.action == "referral.cleared":
        return [Message(_bank(p.bank_id), "referral_cleared", f"Referral R{task.id} was cleared",
                        f"{name}: {task.reason.replace('_', ' ')} cleared by the {task.owner.replace('_', ' ')}.",
                        "", f"/proposals/{p.id}")]
    return []


def _loan(event: AuditEvent) -> list[Message]:
    loan = db.session.get(Loan, event.entity_id)
    p = loan.proposal
    url, name = f"/loans/{loan.id}", f"'{p.title}'"
    if event.action == "loan.applied":
        committee = [u for u in _bank(loan.bank_id, "credit_committee") if u != loan.proposed_by]
        return [Message(committee, "loan_to_decide", f"Loan L{loan.id} waits for your decision",
                        f"{name}: approve or decline the terms another officer proposed.", "", "/loans/decisions")]
    if event.action == "loan.approved":
        return [Message(_sme(p), "loan_approved", f"Loan L{loan.id} was approved",
                        f"{name}: the bank's credit committee approved the loan; the bank disburses it next.", "", url),
                Message(_bank(loan.bank_id), "loan_to_disburse", f"Loan L{loan.id} is approved: disburse it",
                        f"{name}: record the first tranche when it is paid out.", "", url)]
    if event.action == "loan.write_off_proposed":
        committee = [u for u in _bank(loan.bank_id, "credit_committee") if u != loan.write_off_proposed_by]
        return [Message(committee, "write_off_to_confirm", f"Write-off of loan L{loan.id} waits for your decision",
                        f"{name}: confirm or decline the write-off another officer proposed.", "", url)]
    proposer = (event.after or {}).get("proposed_by")
    if event.action == "loan.write_off_declined" and proposer:
        return [Message([proposer], "write_off_declined", f"Write-off of loan L{loan.id} was declined",
                        f"{name}: the credit committee declined the write-off: {(event.after or {}).get('reason')}",
                        "", url)]
    if event.action == "loan.written_off" and proposer:
        return [Message([proposer], "written_off", f"Loan L{loan.id} was written off",
                        f"{name}: the credit committee confirmed the write-off you proposed.", "", url)]
    return []


def _guarantee(event: AuditEvent) -> list[Message]:
    g = db.session.get(Guarantee, event.entity_id)
    loan = db.session.get(Loan, g.loan_id)
    status = event.action.split(".", 1)[1]
    if status == "requested":
        return [Message(_fund(g.credit_line_id), "guarantee_requested", f"Guarantee for loan L{loan.id} requested",
                        "Issue it within the remaining capacity, or decline it with a reason.", "",
                        "/guarantees?status=requested")]
    told = {"issued": "was issued", "declined": "was declined", "paid": "claim was paid"}
    if status in told:
        return [Message(_bank(loan.bank_id), f"guarantee_{status}", f"Guarantee of loan L{loan.id} {told[status]}",
                        "See the guarantee on the loan page.", "", f"/loans/{loan.id}")]
    return []


def _verification(event: AuditEvent) -> list[Message]:
    v = db.session.get(Verification, event.entity_id)
    p = db.session.get(Proposal, v.proposal_id)
    url, name = f"/verifications/{v.id}", f"'{p.title}' (P{p.id})"
    status = event.action.split(".", 1)[1]
    if status == "proposed":
        seniors = [u for u in _ncpc(p.credit_line_id, "senior_verifier") if u != v.proposed_by]
        return [Message(seniors, "verification_to_confirm", f"Verification V{v.id} waits for your confirmation",
                        f"{name}: a second pair of eyes on the proposed result.", "", url)]
    if status == "returned" and v.proposed_by:
        return [Message([v.proposed_by], "verification_returned", f"Verification V{v.id} was returned to you",
                        f"{name}: the reason is on the verification page.", "", url)]
    if status == "confirmed":
        return [Message(_sme(p), "verification_confirmed", f"Verification V{v.id} was confirmed",
                        f"{name}: the NCPC confirmed the benefit; the fund calculates your grant.", "", url)]
    return []


def _report(event: AuditEvent) -> list[Message]:
    """The last period's report accepted: every figure is in, so the verification is due."""
    if event.action != "monitoring_report.accepted":
        return []
    report = db.session.get(MonitoringReport, event.entity_id)
    plan = db.session.get(MonitoringPlan, report.plan_id)
    accepted = select(MonitoringReport.period_id).where(MonitoringReport.plan_id == plan.id,
                                                        MonitoringReport.status == "accepted")
    missing = db.session.scalar(select(func.count(ReportingPeriod.id)).where(
        ReportingPeriod.plan_id == plan.id, ReportingPeriod.id.not_in(accepted)))
    if missing:
        return []
    p = db.session.get(Proposal, plan.proposal_id)
    return [Message(_ncpc(p.credit_line_id), "verification_due", f"Verification due for P{p.id}",
                    f"'{p.title}': every monitoring report is accepted; compute and propose the verification.",
                    "", "/verifications")]


def _grant(event: AuditEvent) -> list[Message]:
    g = db.session.get(Grant, event.entity_id)
    p = db.session.get(Proposal, g.proposal_id)
    name = f"'{p.title}' (P{p.id})"
    status = event.action.split(".", 1)[1]
    if status == "calculated":
        return [Message(_fund(g.credit_line_id), "grant_to_approve", f"Grant {g.reference} to approve",
                        f"{name}: approve it within the remaining grant budget.", "",
                        "/grants?status=calculated")]
    if status == "approved":
        return [Message(_fund(g.credit_line_id), "grant_to_pay", f"Grant {g.reference} approved: pay it",
                        f"{name}: record the payment once it is made.", "", "/grants?status=approved")]
    if status == "paid":
        return [Message(_sme(p), "grant_paid", f"Your grant {g.reference} was paid",
                        f"{name}: the incentive grant was paid ({g.paid_as.replace('_', ' ')}).", "",
                        "/grants?status=paid")]
    return []


# A hand-off asks for the next step on an object in one state; once the object has left that state
# (whoever moved it, whichever way), the step is taken and the notification is handled.
AWAITS: dict[str, tuple[str, str]] = {
    "proposal_to_screen": ("proposal", "eligible"), "referral_opened": ("referral_task", "open"),
    "loan_to_decide": ("loan", "applied"), "loan_to_disburse": ("loan", "approved"),
    "guarantee_requested": ("guarantee", "requested"), "verification_to_confirm": ("verification", "proposed"),
    "verification_returned": ("verification", "returned"), "grant_to_approve": ("grant", "calculated"),
    "grant_to_pay": ("grant", "approved"),
}
# A write-off waits on a defaulted loan, whose state does not say so: its hand-off is handled by the
# steps that end the proposal, not by every step of every loan (one UPDATE each).
WRITE_OFF_DECIDED = ("loan.written_off", "loan.write_off_declined", "loan.write_off_withdrawn")
MODELS: dict[str, type] = {"proposal": Proposal, "referral_task": ReferralTask, "loan": Loan, "guarantee": Guarantee,
                           "verification": Verification, "grant": Grant}


def _handled(event: AuditEvent) -> list[tuple[str, int, tuple[str, ...]]]:
    """The hand-offs about the event's object whose step has now been taken: (entity, id, kinds)."""
    model = MODELS.get(event.entity_type)
    obj = db.session.get(model, event.entity_id) if model is not None else None
    if obj is None:
        return []
    out = []
    done = tuple(kind for kind, (entity, state) in AWAITS.items() if entity == event.entity_type and obj.status != state)
    if done:
        out.append((event.entity_type, obj.id, done))
    if event.entity_type == "loan":
        # Screening ends when the bank proposes terms: the proposal stays eligible, a loan now exists.
        out.append(("proposal", obj.proposal_id, ("proposal_to_screen",)))
        if event.action in WRITE_OFF_DECIDED:
            out.append(("loan", obj.id, ("write_off_to_confirm",)))
    return out


HANDLERS: dict[str, Callable[[AuditEvent], list[Message]]] = {
    "proposal": _proposal, "referral_task": _referral, "loan": _loan, "guarantee": _guarantee,
    "verification": _verification, "grant": _grant, "monitoring_report": _report,
}


def on_events(events: Sequence[tuple[Actor | None, AuditEvent]]) -> None:
    """Queue the notifications audited changes hand off, in their order (an audit listener).

    One change at a time, or a whole chained block's (a loan tape: thousands) at once: each event
    first marks handled what its object's new state has answered, then queues what it hands off,
    exactly as one call per event would, but with one UPDATE per kind of object for what was
    queued before this batch, and one INSERT for what it queues (a notification queued and then
    handled inside the batch is stored handled).
    """
    moves = [(actor, event) for actor, event in events
             # Hand-offs follow moves, named "<entity>.<state>"; an action without that shape hands nothing off.
             if event.entity_type in HANDLERS and event.entity_id is not None and "." in event.action]
    if not moves:
        return
    db.session.flush()  # the moved rows' new states, and the events' relationships, readable
    messages: list[Message] = []
    # (entity, id, kind) -> where in ``messages`` it was last marked handled: what was queued before is handled.
    handled_at: dict[tuple[str, int, str], int] = {}
    with people_once():
        for actor, event in moves:
            for entity, entity_id, kinds in _handled(event):
                for kind in kinds:
                    handled_at[(entity, entity_id, kind)] = len(messages)
            key = f"handoff:{event.action}:{event.entity_id}:{event.seq}"
            for m in HANDLERS[event.entity_type](event):
                people = [u for u in m.user_ids if actor is None or u != actor.user_id]
                if people:
                    messages.append(Message(people, m.kind, m.subject, m.body, key, m.url,
                                            (event.entity_type, event.entity_id)))
    now = utcnow()
    # The hand-offs queued before this batch first (an UPDATE after the INSERT would touch this batch's too).
    resolve_many(handled_at, now)
    for i, m in enumerate(messages):
        assert m.entity is not None
        if handled_at.get((*m.entity, m.kind), -1) > i:
            m.resolved_at = now
    queue_many(messages)

"""The referral desk: open a task per reason when a proposal is referred, decide it, move the proposal on.

Deciding is one unit of work, audited. It is safe when two people decide at once: the proposal
row is locked first (PostgreSQL; on SQLite the unit holds the write lock) and the task is closed
by a conditional update, so exactly one decision wins and the other gets 409.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..database import utcnow
from ..errors import Conflict, ValidationFailed
from ..extensions import db
from ..unit_of_work import lock, unit_of_work
from ..files import content
from ..files.services import store_file
from ..lifecycle_moves import move
from ..pagination import Page, paginate
from ..proposals.models import PROPOSAL_LIFECYCLE, Assessment, Proposal
from ..proposals.services import transition
from ..rulebooks import registry
from .models import DECISIONS, REFERRAL_LIFECYCLE, ReferralDecision, ReferralTask
from .reasons import OWNER_ROLES, REASON_LABELS, offset_of, tasks_for

# Where each decision sends the proposal; a clear moves it only once nothing blocking is left.
DECISION_TARGET = {"reject": "ineligible", "return": "draft"}
# A proposal leaving for one of these makes its open tasks moot.
SUPERSEDING_STATES = ("draft", "withdrawn", "ineligible", "referred")
MIN_COMMENT = 10


# -- opening and superseding (called inside the proposal's own transaction) --------------------

def on_proposal_move(actor: Actor | None, p: Proposal, before: str, target: str) -> None:
    """Keep the tasks in step with the proposal: a new referral opens tasks, leaving it closes them."""
    if target in SUPERSEDING_STATES:
        _supersede(actor, p, f"the proposal moved from {before} to {target}")
    if target == "referred":
        _open_tasks(actor, p)


def _supersede(actor: Actor | None, p: Proposal, why: str) -> None:
    for task in list(db.session.scalars(select(ReferralTask).where(ReferralTask.proposal_id == p.id,
                                                                  ReferralTask.status == "open"))):
        move(actor, task, REFERRAL_LIFECYCLE, "superseded", entity_type="referral_task",
             values={"closed_at": utcnow()}, after={"status": "superseded", "reason": why})


def _open_tasks(actor: Actor | None, p: Proposal) -> None:
    db.session.flush()
    a = db.session.scalars(select(Assessment).where(Assessment.proposal_id == p.id)
                           .order_by(Assessment.id.desc()).limit(1)).first()
    if a is None:
        return
    for spec in tasks_for(a.decision, a.result.get("trace") or []):
        task = ReferralTask(proposal_id=p.id, assessment_id=a.id, reason=spec.reason, rule=spec.rule,
                            message=spec.message, owner=spec.owner, blocking=spec.blocking, status="open")
        db.session.add(task)
        db.session.flush()
        record(actor, "referral.opened", "referral_task", task.id, None,
               {"proposal_id": p.id, "assessment_id": a.id, "reason": spec.reason, "rule": spec.rule,
                "owner": spec.owner, "blocking": spec.blocking})


def open_second_opinion(proposal_id: int) -> ReferralTask | None:
    """The open second-opinion task of a proposal, if any (loan approval waits for it)."""
    return db.session.scalars(select(ReferralTask).where(
        ReferralTask.proposal_id == proposal_id, ReferralTask.reason == "second_opinion",
        ReferralTask.status == "open")).first()


def second_opinion_guard(loan: Any) -> str | None:
    """Refuse a loan approval while the proposal's second opinion is open."""
    task = open_second_opinion(loan.proposal_id)
    if task is None:
        return None
    return (f"the second opinion on proposal {loan.proposal_id} is still open (referral task {task.id}): "
            f"{task.message}; the loan can be approved once it is recorded")


# -- deciding -------------------------------------------------------------------------------

def _problems(task: ReferralTask, data: dict[str, Any], upload: bytes | None,
              filename: str) -> tuple[dict[str, list[str]], dict]:
    """Every reason the decision cannot be recorded, and the details it will keep."""
    errors: dict[str, list[str]] = {}
    details: dict[str, Any] = {}
    decision = data.get("decision")
    if decision not in DECISIONS:
        errors["decision"] = [f"choose one of {', '.join(DECISIONS)}"]
    comment = (data.get("comment") or "").strip()
    if len(comment) < MIN_COMMENT:
        errors["comment"] = [f"say why in at least {MIN_COMMENT} characters (the SME and the auditors read it)"]
    if task.reason == "worse_indicator":
        method = data.get("offset_method")
        if not method and decision == "clear":
            errors["offset_method"] = ["fix how the worse indicators offset the main gain before clearing"]
        elif method:
            try:
                offset = offset_of(*_offset_context(task), method)
            except ValueError as exc:
                errors["offset_method"] = [str(exc)]
            else:
                details["offset"] = offset.as_dict()
                if decision == "clear" and (offset.net is None or offset.net <= 0):
                    net = "cannot be computed" if offset.net is None else f"is {offset.net:.1%}"
                    errors["offset_method"] = [f"under {method} the net improvement {net}: the losses outweigh "
                                               "the gain, so the referral cannot be cleared (reject or return it)"]
    if task.reason == "second_opinion":
        giver = (data.get("given_by") or "").strip()
        if len(giver) < 3:
            errors["given_by"] = ["name the reference centre that gave the second opinion"]
        details["given_by"] = giver
        if upload is None:
            errors["file"] = ["attach the second opinion (the reference centre's signed document)"]
        elif content.detect(upload, filename) is None:
            # The same allow-list as proposal documents: the file reaches the SME's and the bank's machines.
            errors["file"] = [f"{filename or 'the file'}: its content is not {content.ALLOWED_TEXT}"]
    return errors, details


def _offset_context(task: ReferralTask) -> tuple[dict[str, Any], str, dict[str, float]]:
    """What the offset reads: the assessment's metrics and main indicator as scored, the rulebook's factors."""
    a = db.session.get(Assessment, task.assessment_id)
    book = registry().by_hash(a.rulebook_hash)
    main = (a.result.get("input") or {}).get("main_indicator") or task.proposal.main_indicator
    return a.result.get("metrics") or {}, main, (book.emission_factors if book else {})


def _refuse(task: ReferralTask, message: str) -> Conflict:
    return Conflict(message, current_state=task.status, allowed=REFERRAL_LIFECYCLE.allowed(task.status))


@unit_of_work
def decide(actor: Actor, task_id: int, data: dict[str, Any], upload: bytes | None = None,
           filename: str = "", content_type: str = "") -> ReferralTask:
    """Clear, reject or return one referral task; the proposal moves on when the decision settles it."""
    task = get_visible(ReferralTask, task_id, actor, what="referral task")
    require_role(actor, *OWNER_ROLES[task.owner], action=f"decide {task.reason.replace('_', ' ')} referrals")
    if task.status != "open":
        raise _refuse(task, f"referral task {task.id} is already {task.status}")
    errors, details = _problems(task, data, upload, filename)
    if errors:
        raise ValidationFailed("the decision cannot be recorded", errors)
    decision = data["decision"]
    # Lock the proposal before the task so two deciders of one proposal queue here (PostgreSQL;
    # SQLite's write lock does the same at the first update), never deadlock on each other's tasks.
    p = lock(Proposal, task.proposal_id)
    target = DECISION_TARGET.get(decision)
    if target and p.status != target:
        PROPOSAL_LIFECYCLE.check(p.status, target)
    detected = content.detect(upload, filename) if upload else None
    stored = store_file(actor, upload, filename, detected.content_type if detected else content_type,
                        kind="referral:second_opinion") if upload else None
    comment = data["comment"].strip()
    # The one conditional move: of two deciders of this task exactly one gets past it (409 for the other).
    move(actor, task, REFERRAL_LIFECYCLE, DECISIONS[decision], entity_type="referral_task",
         values={"closed_at": utcnow()},
         after={"status": DECISIONS[decision], "proposal_id": p.id, "assessment_id": task.assessment_id,
                "reason": task.reason, "comment": comment, "details": details,
                "file_sha256": stored.sha256 if stored else None})
    db.session.add(ReferralDecision(task_id=task.id, assessment_id=task.assessment_id, decision=decision,
                                    comment=comment, details=details, file_id=stored.id if stored else None,
                                    decided_by=actor.user_id))
    db.session.flush()
    db.session.refresh(p)
    if target and p.status != target:
        transition(actor, p, target, referral_task_id=task.id, comment=comment)
    elif decision == "clear" and p.status == "referred" and not _blocking_left(p.id):
        transition(actor, p, "eligible", referral_task_id=task.id)
    db.session.flush()
    db.session.refresh(task)
    return task


def _blocking_left(proposal_id: int) -> int:
    return db.session.scalar(select(func.count(ReferralTask.id)).where(
        ReferralTask.proposal_id == proposal_id, ReferralTask.blocking.is_(True),
        ReferralTask.status == "open")) or 0


def fixed_offset_method(proposal_id: int) -> str | None:
    """The offset method the NCPC fixed when it last cleared a worse-indicator referral of the proposal."""
    details = db.session.scalars(select(ReferralDecision.details).join(ReferralTask).where(
        ReferralTask.proposal_id == proposal_id, ReferralTask.reason == "worse_indicator",
        ReferralDecision.decision == "clear").order_by(ReferralDecision.id.desc()).limit(1)).first()
    return ((details or {}).get("offset") or {}).get("method")


# -- reading --------------------------------------------------------------------------------

def owners_of(actor: Actor) -> list[str]:
    """The task owners whose tasks this actor may decide."""
    return [owner for owner, roles in OWNER_ROLES.items() if actor.has(*roles)]


SORTS = {"created_at": ReferralTask.created_at, "reason": ReferralTask.reason, "proposal": Proposal.title,
         "status": ReferralTask.status}


def list_tasks(actor: Actor, args: dict[str, Any]) -> Page:
    """Tasks in scope: by default the open ones the caller's roles own (everything in scope for readers)."""
    stmt = visible(ReferralTask, actor).join(Proposal, Proposal.id == ReferralTask.proposal_id)
    owners = owners_of(actor)
    if owners and not args.get("all_owners"):
        stmt = stmt.where(ReferralTask.owner.in_(owners))
    status = args.get("status", "open")
    if status:
        stmt = stmt.where(ReferralTask.status == status)
    for key in ("reason", "proposal_id"):
        if args.get(key):
            stmt = stmt.where(getattr(ReferralTask, key) == args[key])
    sort = args.get("sort") or "created_at"
    column = SORTS[sort.lstrip("-")]
    stmt = stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), ReferralTask.id)
    return paginate(stmt, args.get("page", 1), args.get("per_page", 25))


def count_to_decide(actor: Actor) -> int:
    """How many open tasks in scope this actor's roles own (the home page's count)."""
    owners = owners_of(actor)
    if not owners:
        return 0
    stmt = visible(ReferralTask, actor, select(func.count(ReferralTask.id))).where(
        ReferralTask.status == "open", ReferralTask.owner.in_(owners))
    return db.session.scalar(stmt) or 0


def get_task(actor: Actor, task_id: int) -> ReferralTask:
    """One task in scope (404 otherwise)."""
    return get_visible(ReferralTask, task_id, actor, what="referral task")


def can_decide(actor: Actor, task: ReferralTask) -> bool:
    """Tell whether the actor holds a role that decides this task (the scope was checked on load)."""
    return task.status == "open" and actor.has(*OWNER_ROLES[task.owner])


def evidence(task: ReferralTask) -> list[dict[str, Any]]:
    """The assessment's trace lines behind the task: its own rule, the worse indicators' metrics."""
    a = db.session.get(Assessment, task.assessment_id)
    return [t for t in a.result.get("trace") or [] if t.get("rule") == task.rule
            or (task.reason == "worse_indicator" and t.get("rule") == "side-effects")]


def tasks_of_proposal(actor: Actor, proposal_id: int) -> list[ReferralTask]:
    """Every task of a proposal in scope, newest first, with its decision (the SME reads the outcome)."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    order = case((ReferralTask.status == "open", 0), else_=1)
    return list(db.session.scalars(visible(ReferralTask, actor).where(ReferralTask.proposal_id == p.id)
                                   .order_by(order, ReferralTask.id.desc())))


OUTCOME = {"clear": "pass", "reject": "fail", "return": "info"}


def decision_lines(assessment_id: int) -> list[dict[str, Any]]:
    """The referral decisions on an assessment, as trace lines after the rules' own."""
    rows = db.session.scalars(select(ReferralDecision).where(ReferralDecision.assessment_id == assessment_id)
                              .order_by(ReferralDecision.id))
    lines = []
    for d in rows:
        verb = {"clear": "cleared", "reject": "rejected", "return": "returned to the SME to revise"}[d.decision]
        extra = ""
        offset = (d.details or {}).get("offset")
        if offset:
            net = offset["net_improvement"]
            extra = f" Offset {offset['method']}: {offset['basis']}; net improvement " + \
                    (f"{net:.1%}." if net is not None else "undefined.")
        if (d.details or {}).get("given_by"):
            extra += f" Second opinion by {d.details['given_by']}."
        lines.append({"rule": f"referral:{d.task.rule}", "kind": "referral", "outcome": OUTCOME[d.decision],
                      "points": 0, "message": f"{REASON_LABELS[d.task.reason]}: {verb} on "
                                              f"{d.decided_at:%Y-%m-%d}: {d.comment}{extra}",
                      "inputs": {"task_id": d.task_id, "decision": d.decision, "decided_by": d.decided_by,
                                 "decided_at": d.decided_at.isoformat(),
                                 "file_sha256": d.file.sha256 if d.file else None}})
    return lines

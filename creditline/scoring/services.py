"""Score proposals: stored assessments on submission, the what-if, batches and simulations."""
from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select

from ..auth.permissions import Actor, get_visible, require_role, visible
from ..creditlines.models import CreditLine
from ..enterprises.models import Enterprise
from ..enterprises.services import snapshot as enterprise_facts
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..proposals.models import Assessment, Proposal
from ..proposals.services import to_body
from ..rulebooks import registry
from ..rules import engine, simulate as simulation
from ..rules.loader import Rulebook, RulebookError, parse_rulebook


def rulebook_of(line: CreditLine):  # type: ignore[no-untyped-def]
    """Return the engine's rulebook a credit line uses."""
    book = registry().get(line.rulebook_id, line.rulebook_version)
    if book is None:
        raise NotFound(f"rulebook {line.rulebook_id} {line.rulebook_version} is not installed")
    return book


def engine_input(body: dict[str, Any], enterprise: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    """Add the enterprise and the evaluation date to a proposal body, as the engine expects."""
    return {**body, "enterprise": enterprise, "as_of": (as_of or date.today()).isoformat()}


def assessment_view(a: Assessment) -> dict[str, Any]:
    """Return a stored assessment in the design §5 shape, with its id and time."""
    return {**a.result, "id": a.id, "proposal_id": a.proposal_id, "created_at": a.created_at}


def score_and_store(actor: Actor | None, p: Proposal) -> Assessment:
    """Score a proposal against its line's rulebook and add an immutable assessment (caller commits)."""
    book = rulebook_of(p.credit_line)
    result = engine.assess(book, engine_input(to_body(p), enterprise_facts(p.enterprise)))
    scores = result["scores"]
    a = Assessment(proposal_id=p.id, rulebook_id=result["rulebook"]["id"],
                   rulebook_version=result["rulebook"]["version"], rulebook_hash=result["rulebook"]["hash"],
                   decision=result["decision"], score_technical=scores["technical"],
                   score_economic=scores["economic"], score_environmental=scores["environmental"],
                   score_total=scores["total"], result=engine.to_json(result),
                   created_by=actor.user_id if actor else None)
    db.session.add(a)
    db.session.flush()
    return a


def what_if(actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """Score a proposal body without saving anything."""
    line = get_visible(CreditLine, body["credit_line_id"], actor, what="credit line")
    errors: dict[str, list[str]] = {}
    if body.get("enterprise") is not None:
        enterprise = body.pop("enterprise")
    elif body.get("enterprise_id") is not None:
        ent = db.session.execute(visible(Enterprise, actor).where(Enterprise.id == body["enterprise_id"])).scalar_one_or_none()
        if ent is None:
            errors["enterprise_id"] = [f"enterprise {body['enterprise_id']} not found"]
            enterprise = {}
        else:
            enterprise = enterprise_facts(ent)
    else:
        errors["enterprise"] = ["give enterprise_id or an enterprise object"]
        enterprise = {}
    if body.get("currency") and body["currency"] != line.currency:
        errors["currency"] = [f"the credit line lends in {line.currency}, not {body['currency']}"]
    body.setdefault("currency", line.currency)
    problems = engine.validate_proposal_row(engine_input(body, enterprise))
    errors.update({k: v for k, v in problems.items() if k not in errors})
    if errors:
        raise ValidationFailed("the proposal cannot be scored yet", errors)
    return engine.to_json(engine.assess(rulebook_of(line), engine_input(body, enterprise)))


def score_batch(actor: Actor, rulebook_id: str, version: str | None, rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Score many proposal rows at once; bad rows are reported by number and do not stop the others."""
    require_role(actor, "bank_officer", "credit_committee", "fund_admin", action="score in batch")
    book = registry().get(rulebook_id, version) if version else registry().latest(rulebook_id)
    if book is None:
        raise ValidationFailed("unknown rulebook", {"rulebook": [f"no rulebook {rulebook_id} {version or ''}".strip()]})
    return engine.score_rows(book, rows)


def _book_view(book: Rulebook, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {"id": book.id, "version": book.version, "name": book.name, "hash": book.hash,
                            "currency": book.currency, "effective_from": book.effective_from,
                            "sources": book.sources}
    if full:
        view.update(rules=book.rules(), decision=book.decision, weights=book.weights,
                    grant_bands=book.grant_bands, guarantee=book.guarantee, finance=book.finance,
                    documents=book.documents, fast_track=[{"class": c.name, "description": c.description,
                                                           "when": c.when.text} for c in book.fast_track],
                    emission_factors=book.emission_factors, sensitivity=book.sensitivity,
                    arrears=book.arrears, monitoring=book.monitoring, text=book.text)
    return view


def list_rulebooks(actor: Actor) -> list[dict[str, Any]]:
    """Every installed rulebook (the rules of the lines are public to every signed-in user)."""
    return [_book_view(b) for b in registry().all()]


def get_rulebook(actor: Actor, rulebook_id: str, version: str) -> dict[str, Any]:
    """One rulebook as data, with its rules and its text."""
    book = registry().get(rulebook_id, version)
    if book is None:
        raise NotFound(f"no rulebook {rulebook_id} version {version}")
    return _book_view(book, full=True)


def rulebook_text(actor: Actor, rulebook_id: str, version: str) -> str:
    """The YAML of a rulebook, as the starting point of a draft."""
    require_simulation_role(actor)
    book = registry().get(rulebook_id, version)
    return book.text if book else ""


def require_simulation_role(actor: Actor) -> None:
    """Only fund admins simulate rule changes."""
    require_role(actor, "fund_admin", action="simulate rulebooks")


def simulate_draft(actor: Actor, draft_yaml: str, credit_line_id: int | None) -> dict[str, Any]:
    """Compare a draft rulebook with the current ones over the existing proposals."""
    require_simulation_role(actor)
    try:
        draft = parse_rulebook(draft_yaml, "draft")
    except RulebookError as exc:
        raise ValidationFailed("the draft rulebook is not valid", {"rulebook_yaml": exc.problems}) from exc
    stmt = select(Proposal).where(Proposal.status.notin_(("draft", "withdrawn")))
    if credit_line_id is not None:
        stmt = stmt.where(Proposal.credit_line_id == credit_line_id)
    else:
        # Without a line, the draft is compared on the lines that use the same rulebook id.
        stmt = stmt.join(CreditLine, CreditLine.id == Proposal.credit_line_id).where(CreditLine.rulebook_id == draft.id)
    proposals = db.session.execute(stmt.order_by(Proposal.id)).scalars().all()
    by_book: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for p in proposals:
        key = (p.credit_line.rulebook_id, p.credit_line.rulebook_version)
        by_book.setdefault(key, []).append(engine_input({**to_body(p), "title": p.title}, enterprise_facts(p.enterprise)))
    return simulation.compare_portfolio(
        [(registry().get(*key), rows) for key, rows in by_book.items()], draft)

"""Score proposals: stored assessments on submission, the what-if, batches and simulations."""
from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Any

import pyarrow as pa
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import lazyload

from ..auth.permissions import Actor, require_role, visible
from ..creditlines.models import CreditLine
from ..enterprises.models import Enterprise
from ..enterprises.services import snapshot as enterprise_facts
from ..errors import Conflict, NotFound, ValidationFailed, require_id
from ..extensions import db
from ..proposals.models import Assessment, Proposal, RulebookSnapshot
from ..proposals.services import assessment_of, to_body
from ..rulebooks import registry
from ..rulebooks.registry import version_key
from ..rules import engine, simulate as simulation
from . import batch
from .batch_table import csv_bytes
from ..rules.loader import Rulebook, RulebookError, parse_rulebook
from .. import clock
from ..unit_of_work import remember, remembered


# Where rulebooks_held keeps each proposal's rulebook.
_BOOKS_FOR = "rulebook_for_proposal"


def rulebook_of(line: CreditLine, on: date | None = None):  # type: ignore[no-untyped-def]
    """The rulebook a credit line applies on a day (today by default).

    The line names the version it opened with; a version of the same rulebook published later
    takes over from its effective date, so a publish changes the next scoring without a restart.
    """
    pinned = registry().get(line.rulebook_id, line.rulebook_version)
    current = registry().in_force(line.rulebook_id, on or clock.today())
    if pinned is None and current is None:
        raise NotFound(f"rulebook {line.rulebook_id} {line.rulebook_version} is not installed")
    if pinned is None or (current is not None and version_key(current.version) > version_key(pinned.version)):
        return current
    return pinned


def rulebook_for(p: Proposal) -> Rulebook:
    """The rulebook that judged a proposal: the version of its latest assessment, else the one in force
    on its submission day. Its grant, guarantee, monitoring and arrears terms follow that version, so a
    version published later never changes what an assessed proposal was promised."""
    return remember(_BOOKS_FOR, p.id, lambda: _judged_by(p))


def _judged_by(p: Proposal) -> Rulebook:
    judged = db.session.scalar(select(Assessment.rulebook_hash).where(Assessment.proposal_id == p.id)
                               .order_by(Assessment.id.desc()).limit(1))
    return book_for_hash(judged) if judged else rulebook_of(p.credit_line, p.submitted_on)


def rulebooks_held() -> AbstractContextManager[None]:
    """Inside the block, :func:`rulebook_for` looks each proposal's rulebook up once.

    For a block that neither scores proposals nor publishes rulebooks (a loan tape import: each
    loan's services ask for its proposal's rulebook eight times).
    """
    return remembered(_BOOKS_FOR)


def engine_input(body: dict[str, Any], enterprise: dict[str, Any], as_of: date | None = None) -> dict[str, Any]:
    """Add the enterprise and the evaluation date to a proposal body, as the engine expects."""
    return {**body, "enterprise": enterprise, "as_of": (as_of or clock.today()).isoformat()}


def assessment_view(a: Assessment) -> dict[str, Any]:
    """Return a stored assessment in the design §5 shape, with its id and time.

    The stored result never changes; the referral decisions taken on it follow its rules in the trace.
    """
    from ..referrals.services import decision_lines

    view = {**a.result, "id": a.id, "proposal_id": a.proposal_id, "created_at": a.created_at}
    view["trace"] = [*(a.result.get("trace") or []), *decision_lines(a.id)]
    return view


def _snapshots(rulebook_id: str, version: str) -> list[RulebookSnapshot]:
    return list(db.session.execute(select(RulebookSnapshot).where(
        RulebookSnapshot.rulebook_id == rulebook_id, RulebookSnapshot.version == str(version))
        .order_by(RulebookSnapshot.created_at)).scalars())


def changed_rulebooks(books: list[Rulebook]) -> list[str]:
    """Why each rulebook whose id and version already scored with other text must not be used."""
    problems = []
    for book in books:
        known = [s.hash for s in _snapshots(book.id, book.version)]
        if known and book.hash not in known:
            problems.append(f"{book.path or book.id}: {book.id} {book.version} scored proposals as {known[0]}, "
                            f"but its text now hashes to {book.hash}; publish changes under a new version")
    return problems


def keep_snapshot(book: Rulebook) -> None:
    """Keep the rulebook's text by hash; refuse a changed text under a version that already scored."""
    problems = changed_rulebooks([book])
    if problems:
        raise Conflict(problems[0])
    if db.session.get(RulebookSnapshot, book.hash) is not None:
        return
    try:
        with db.session.begin_nested():
            db.session.add(RulebookSnapshot(hash=book.hash, rulebook_id=book.id, version=book.version, text=book.text))
    except IntegrityError:
        pass  # another request kept the same text first


def book_for_hash(content_hash: str) -> Rulebook:
    """The exact rulebook that made a decision: from memory, else from its stored snapshot."""
    book = registry().by_hash(content_hash)
    if book is not None:
        return book
    snap = db.session.get(RulebookSnapshot, content_hash)
    if snap is None:
        raise NotFound(f"no rulebook with content hash {content_hash}")
    return parse_rulebook(snap.text, f"snapshot {snap.rulebook_id} {snap.version}")


def score_and_store(actor: Actor | None, p: Proposal) -> Assessment:
    """Score a proposal against its line's rulebook and add an immutable assessment (caller commits)."""
    book = rulebook_of(p.credit_line, p.submitted_on)
    keep_snapshot(book)
    row = engine_input(to_body(p), enterprise_facts(p.enterprise))
    result = engine.assess(book, row)
    # The inputs as scored, so the decision can be re-run later with the snapshot of the rulebook.
    result["input"] = row
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


def replay_assessment(actor: Actor, proposal_id: int, assessment_id: int) -> dict[str, Any]:
    """Re-run a stored assessment on its stored inputs with the exact rulebook text that made it."""
    a = assessment_of(actor, proposal_id, assessment_id)
    row = a.result.get("input")
    if row is None:
        raise NotFound(f"assessment {assessment_id} was stored without its inputs and cannot be re-run")
    again = engine.to_json(engine.assess(book_for_hash(a.rulebook_hash), row))
    return {**again, "id": a.id, "proposal_id": a.proposal_id, "created_at": a.created_at}


def what_if(actor: Actor, body: dict[str, Any]) -> dict[str, Any]:
    """Score a proposal body without saving anything."""
    # The line's partner banks (loaded eagerly everywhere else) play no part in a score: one query
    # fewer on the what-if, the busiest request.
    line = db.session.execute(visible(CreditLine, actor).where(CreditLine.id == body["credit_line_id"])
                              .options(lazyload(CreditLine.banks))).scalars().first()
    if line is None:
        raise NotFound(f"credit line {body['credit_line_id']} not found")
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
    if line.status != "open":
        errors["credit_line_id"] = [f"the credit line '{line.name}' is closed to new proposals"]
    if body.get("currency") and body["currency"] != line.currency:
        errors["currency"] = [f"the credit line lends in {line.currency}, not {body['currency']}"]
    body.setdefault("currency", line.currency)
    book = rulebook_of(line)
    problems = engine.validate_proposal_row(engine_input(body, enterprise))
    problems.update(engine.cost_problems(book, body))
    errors.update({k: v for k, v in problems.items() if k not in errors})
    if errors:
        raise ValidationFailed("the proposal cannot be scored yet", errors)
    return engine.to_json(engine.assess(book, engine_input(body, enterprise)))


def score_batch(actor: Actor, rulebook_id: str, version: str | None,
                rows: list[Any] | pa.Table, as_csv: bool = False) -> dict[str, Any]:
    """Score many proposal rows (objects, or a table of text cells) at once; bad rows are reported by number.

    ``as_csv`` answers the results as ``flask score`` writes them (one line per row, the rejected
    ones with their problems) under ``"csv"``, instead of one object per row.
    """
    require_role(actor, "bank_officer", "credit_committee", "fund_admin", action="score in batch")
    book = registry().get(rulebook_id, version) if version else registry().latest(rulebook_id)
    if book is None:
        raise ValidationFailed("unknown rulebook", {"rulebook": [f"no rulebook {rulebook_id} {version or ''}".strip()]})
    if as_csv:
        out = batch.score_table(book, rows) if isinstance(rows, pa.Table) else batch.score_rows(book, rows, table=True)
        return {**{k: v for k, v in out.items() if k != "table"}, "csv": csv_bytes(out["table"])}
    if isinstance(rows, pa.Table):
        return batch.score_frame(book, rows)
    return batch.score_rows(book, rows)


def _book_view(book: Rulebook, full: bool = False, source: str = "file") -> dict[str, Any]:
    view: dict[str, Any] = {"id": book.id, "version": book.version, "name": book.name, "hash": book.hash,
                            "currency": book.currency, "effective_from": book.effective_from,
                            "sources": book.sources}
    if full:
        view.update(rules=book.rules(), decision=book.decision, weights=book.weights,
                    grant_bands=book.grant_bands, guarantee=book.guarantee, finance=book.finance,
                    documents=book.documents, fast_track=[{"class": c.name, "description": c.description,
                                                           "when": c.when.text} for c in book.fast_track],
                    emission_factors=book.emission_factors, sensitivity=book.sensitivity,
                    arrears=book.arrears, monitoring=book.monitoring, text=book.text,
                    eligible_costs=list(book.eligible_costs), source=source)
    return view


def list_rulebooks(actor: Actor) -> list[dict[str, Any]]:
    """Every installed rulebook (the rules of the lines are public to every signed-in user)."""
    return [_book_view(b) for b in registry().all()]


def get_rulebook(actor: Actor, rulebook_id: str, version: str, content_hash: str | None = None) -> dict[str, Any]:
    """One rulebook as data; the text that scored under this id and version wins over a changed file."""
    book = registry().get(rulebook_id, version)
    if content_hash is None and book is not None and not changed_rulebooks([book]):
        return _book_view(book, full=True)
    snaps = _snapshots(rulebook_id, version)
    wanted = content_hash or (snaps[0].hash if snaps else None)
    if wanted is None or (book is None or book.hash != wanted) and wanted not in {s.hash for s in snaps}:
        raise NotFound(f"no rulebook {rulebook_id} version {version}" + (f" with hash {content_hash}" if content_hash else ""))
    if book is not None and book.hash == wanted:
        return _book_view(book, full=True)
    return _book_view(book_for_hash(wanted), full=True, source="snapshot")


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
    require_id(credit_line_id, "credit_line_id")
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
    # Each proposal is compared with the version its line applies today (the one the draft would replace).
    books: dict[str, Rulebook] = {}
    by_book: dict[str, list[dict[str, Any]]] = {}
    for p in proposals:
        book = rulebook_of(p.credit_line)
        books[book.hash] = book
        by_book.setdefault(book.hash, []).append(engine_input({**to_body(p), "title": p.title},
                                                              enterprise_facts(p.enterprise)))
    return simulation.compare_portfolio([(books[h], rows) for h, rows in by_book.items()], draft)

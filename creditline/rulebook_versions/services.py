"""Draft, check and publish rulebook versions: the fund changes its rules without a software release.

A fund admin drafts a new version (the strict schema checks it, with the line of each problem), sees
the difference from the version in force and simulates it over the line's proposals; a second fund
admin publishes it from an effective date. Publishing is a conditional move, and the database keeps
one published version per rulebook and effective date, so two publishers at once cannot both win.
"""
from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from .. import clock
from ..audit.services import record
from ..auth.permissions import Actor, require_role
from ..database import utcnow
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..extensions import db
from ..lifecycle_moves import move
from ..rules.cases import case_problems
from ..rules.loader import Rulebook, RulebookError, parse_rulebook
from ..unit_of_work import unit_of_work
from ..rulebooks.models import RULEBOOK_LIFECYCLE, RulebookVersion
from ..rulebooks.registry import registry


def parse_draft(text: str) -> Rulebook:
    """The draft as a rulebook, or 422 listing every problem with its path and line."""
    if not isinstance(text, str) or not text.strip():
        raise ValidationFailed("the draft is empty", {"rulebook_yaml": ["paste or type the rulebook's YAML"]})
    try:
        return parse_rulebook(text, "draft")
    except RulebookError as exc:
        raise ValidationFailed("the draft rulebook is not valid", {"rulebook_yaml": exc.problems}) from exc


def version_view(v: RulebookVersion, full: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": v.id, "rulebook_id": v.rulebook_id, "version": v.version, "hash": v.hash, "status": v.status,
        "effective_from": v.effective_from, "drafted_by": v.drafted_by, "published_by": v.published_by,
        "created_at": v.created_at, "updated_at": v.updated_at, "published_at": v.published_at}
    if full:
        view["text"] = v.text
        base = registry().in_force(v.rulebook_id, clock.today())
        view["in_force"] = base.ref if base is not None else None
        view["diff"] = diff_lines(base.text if base is not None else "", v.text)
        book = _parsed_or_none(v.text)
        view["case_problems"] = case_problems(book) if book is not None else []
    return view


def _parsed_or_none(text: str) -> Rulebook | None:
    try:
        return parse_rulebook(text, "draft")
    except RulebookError:
        return None


def diff_lines(before: str, after: str) -> list[str]:
    """The unified difference between the version in force and this one, line by line."""
    return list(difflib.unified_diff(before.splitlines(), after.splitlines(), "in force", "this version",
                                     lineterm="", n=2))


def list_versions(actor: Actor, rulebook_id: str | None = None) -> list[dict[str, Any]]:
    """Every published version (everyone reads the rules); drafts too for the fund's admins and auditors."""
    stmt = select(RulebookVersion).order_by(RulebookVersion.rulebook_id, RulebookVersion.created_at.desc())
    if rulebook_id:
        stmt = stmt.where(RulebookVersion.rulebook_id == rulebook_id)
    if not actor.has("fund_admin", "auditor"):
        stmt = stmt.where(RulebookVersion.status != "draft")
    return [version_view(v) for v in db.session.execute(stmt).scalars()]


def lines_using(actor: Actor, rulebook_id: str) -> list[tuple[int, str]]:
    """The credit lines the actor sees that score with this rulebook: where a draft can be simulated."""
    from ..auth.permissions import visible
    from ..creditlines.models import CreditLine

    stmt = visible(CreditLine, actor).where(CreditLine.rulebook_id == rulebook_id).order_by(CreditLine.name)
    return [(line.id, line.name) for line in db.session.execute(stmt).scalars()]


def get_version(actor: Actor, version_id: int) -> RulebookVersion:
    v = db.session.get(RulebookVersion, version_id)
    if v is None or (v.status == "draft" and not actor.has("fund_admin", "auditor")):
        raise NotFound(f"rulebook version {version_id} not found")
    return v


def _check_new(book: Rulebook, version_id: int | None = None) -> None:
    taken = db.session.execute(select(RulebookVersion.id).where(
        RulebookVersion.rulebook_id == book.id, RulebookVersion.version == book.version)).scalar_one_or_none()
    if (taken is not None and taken != version_id) or (book.id, book.version) in {(b.id, b.version) for b in
                                                                                  registry().all()}:
        raise ValidationFailed("that version exists", {"rulebook_yaml": [
            f"{book.id} version {book.version} already exists; a draft changes the rules under a new 'version:'"]})


@unit_of_work
def create_draft(actor: Actor, text: str) -> RulebookVersion:
    """Keep a new draft version (fund admins); it applies to nothing until another admin publishes it."""
    require_role(actor, "fund_admin", action="draft rulebooks")
    book = parse_draft(text)
    _check_new(book)
    v = RulebookVersion(rulebook_id=book.id, version=book.version, text=text, hash=book.hash, status="draft",
                        drafted_by=actor.user_id)
    try:
        with db.session.begin_nested():
            db.session.add(v)
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"{book.id} version {book.version} was just drafted by someone else") from None
    record(actor, "rulebook_version.drafted", "rulebook_version", v.id, None,
           {"rulebook_id": v.rulebook_id, "version": v.version, "hash": v.hash})
    return v


@unit_of_work
def update_draft(actor: Actor, version_id: int, text: str) -> RulebookVersion:
    """Replace a draft's text; a published text never changes."""
    require_role(actor, "fund_admin", action="edit rulebook drafts")
    v = get_version(actor, version_id)
    if v.status != "draft":
        raise Conflict(f"{v.rulebook_id} {v.version} is {v.status}: its text is fixed; draft a new version",
                       state=v.status)
    book = parse_draft(text)
    if book.id != v.rulebook_id:
        raise ValidationFailed("a draft keeps its rulebook", {"rulebook_yaml": [
            f"this draft belongs to rulebook '{v.rulebook_id}', not '{book.id}'"]})
    _check_new(book, v.id)
    before = {"version": v.version, "hash": v.hash}
    try:
        with db.session.begin_nested():
            v.text, v.hash, v.version, v.drafted_by = text, book.hash, book.version, actor.user_id
            db.session.flush()
    except IntegrityError:
        raise Conflict(f"{book.id} version {book.version} was just drafted by someone else") from None
    record(actor, "rulebook_version.edited", "rulebook_version", v.id, before, {"version": v.version, "hash": v.hash})
    return v


@unit_of_work
def publish(actor: Actor, version_id: int, effective_from: date | None) -> RulebookVersion:
    """Put a draft in force from a day; the publisher must not be the person who last drafted it."""
    require_role(actor, "fund_admin", action="publish rulebooks")
    v = get_version(actor, version_id)
    if v.drafted_by == actor.user_id:
        raise Forbidden("a second fund admin must publish this version: you drafted it (four-eyes)")
    day = effective_from or clock.today()
    if day < clock.today():
        raise ValidationFailed("a rulebook cannot apply to the past", {"effective_from": [
            f"{day.isoformat()} is before today; decisions already taken keep the rules they were made with"]})
    book = parse_draft(v.text)
    failing = case_problems(book)
    if failing:
        raise ValidationFailed("the draft's cases do not hold", {"cases": failing})
    later = db.session.execute(select(func.max(RulebookVersion.effective_from)).where(
        RulebookVersion.rulebook_id == v.rulebook_id, RulebookVersion.status == "published")).scalar()
    if later is not None and later > day:
        raise ValidationFailed("a later version is already published", {"effective_from": [
            f"{v.rulebook_id} already has a version in force from {later.isoformat()}; choose that day or later"]})
    from ..scoring.services import keep_snapshot

    try:
        with db.session.begin_nested():
            move(actor, v, RULEBOOK_LIFECYCLE, "published", after={
                "status": "published", "version": v.version, "hash": v.hash, "effective_from": day.isoformat()},
                values={"effective_from": day, "published_by": actor.user_id, "published_at": utcnow()})
    except IntegrityError:
        raise Conflict(f"another version of {v.rulebook_id} is already in force from {day.isoformat()}; "
                       f"exactly one version applies per day", state="draft") from None
    keep_snapshot(book)
    return v


@unit_of_work
def import_files(actor: Actor | None = None) -> list[str]:
    """Store every shipped rulebook file not yet in the database as its first published version."""
    added = []
    for book in registry().all():
        if not book.path:
            continue
        exists = db.session.execute(select(RulebookVersion.id).where(
            RulebookVersion.rulebook_id == book.id, RulebookVersion.version == book.version)).scalar_one_or_none()
        if exists is not None:
            continue
        day = book.effective_from or date(2000, 1, 1)
        v = RulebookVersion(rulebook_id=book.id, version=book.version, text=book.text, hash=book.hash,
                            status="published", effective_from=day, published_at=utcnow())
        db.session.add(v)
        db.session.flush()
        record(actor, "rulebook_version.imported", "rulebook_version", v.id, None,
               {"rulebook_id": book.id, "version": book.version, "hash": book.hash, "file": book.path})
        added.append(f"{book.id} {book.version}")
    return added

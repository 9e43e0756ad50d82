"""Create, change and list credit lines (fund admins own them)."""
from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from ..audit.services import record
from ..auth.models import Organisation
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..errors import ValidationFailed
from ..extensions import db
from ..unit_of_work import lock, unit_of_work
from ..pagination import Page, paginate
from ..rulebooks import registry
from .models import CreditLine

# Whether anything is already priced in a line's currency (creditline.wiring fills it: proposals
# depend on credit lines, not the reverse).
PRICED_IN_LINE: list[Callable[[int], bool]] = []
# Packages that commit a line's money (guarantees, grants) say, for a new capacity or budget in
# ``data``, what it would fall below: {field: [problem]} (wiring.py fills this).
COMMITMENT_FLOORS: list[Callable[[CreditLine, dict[str, Decimal]], dict[str, list[str]]]] = []

SNAPSHOT_FIELDS = ("name", "country", "currency", "rulebook_id", "rulebook_version", "ncpc_id",
                   "fund_id", "guarantee_capacity", "grant_budget", "status")


def snapshot(line: CreditLine) -> dict[str, Any]:
    """Return the audited state of a credit line."""
    state = {f: getattr(line, f) for f in SNAPSHOT_FIELDS}
    state["bank_ids"] = sorted(b.id for b in line.banks)
    return state


def _orgs_of_kind(ids: list[int], kind: str, field: str, errors: dict[str, list[str]]) -> list[Organisation]:
    orgs = db.session.execute(select(Organisation).where(Organisation.id.in_(ids))).scalars().all()
    found = {o.id: o for o in orgs}
    for ident in ids:
        org = found.get(ident)
        if org is None:
            errors.setdefault(field, []).append(f"organisation {ident} does not exist")
        elif org.kind != kind:
            errors.setdefault(field, []).append(f"organisation {ident} is a {org.kind}, not a {kind}")
    return [found[i] for i in ids if i in found]


def _name_taken(name: str, other_than: int | None = None) -> bool:
    stmt = select(CreditLine.id).where(CreditLine.name == name)
    if other_than is not None:
        stmt = stmt.where(CreditLine.id != other_than)
    return db.session.scalar(stmt) is not None


def _check_rulebook(rulebook_id: str, version: str, currency: str | None, errors: dict[str, list[str]]) -> None:
    book = registry().find(rulebook_id, version)
    if book is None:
        errors.setdefault("rulebook_version", []).append(
            f"no rulebook {rulebook_id} version {version} in rules/")
    elif currency and book.currency != currency:
        # The rulebook's thresholds and grant bands are amounts in its own currency.
        errors.setdefault("rulebook_id", []).append(
            f"rulebook {rulebook_id} {version} is written in {book.currency}; the credit line lends in {currency}")


@unit_of_work
def create_credit_line(actor: Actor | None, data: dict[str, Any]) -> CreditLine:
    """Create a credit line after checking its banks, NCPC, fund and rulebook."""
    if actor is not None:
        require_role(actor, "fund_admin", action="create credit lines")
    errors: dict[str, list[str]] = {}
    if _name_taken(data["name"]):
        errors["name"] = [f"a credit line named '{data['name']}' already exists"]
    banks = _orgs_of_kind(data.get("bank_ids", []), "bank", "bank_ids", errors)
    _orgs_of_kind([data["ncpc_id"]], "ncpc", "ncpc_id", errors)
    _orgs_of_kind([data["fund_id"]], "fund", "fund_id", errors)
    _check_rulebook(data["rulebook_id"], data["rulebook_version"], data["currency"], errors)
    if errors:
        raise ValidationFailed("the credit line cannot be created", errors)
    fields = {k: v for k, v in data.items() if k != "bank_ids"}
    line = CreditLine(**fields)
    line.banks = banks
    db.session.add(line)
    db.session.flush()
    record(actor, "credit_line.created", "credit_line", line.id, None, snapshot(line))
    return line


@unit_of_work
def update_credit_line(actor: Actor, line_id: int, data: dict[str, Any]) -> CreditLine:
    """Change a credit line's name, terms, banks, NCPC, rulebook, currency or status."""
    require_role(actor, "fund_admin", action="change credit lines")
    line = get_visible(CreditLine, line_id, actor, what="credit line")
    before = snapshot(line)
    data = dict(data)
    errors: dict[str, list[str]] = {}
    name = data.get("name")
    if name is not None and _name_taken(name, line.id):
        errors["name"] = [f"a credit line named '{name}' already exists"]
    banks = _orgs_of_kind(data.pop("bank_ids"), "bank", "bank_ids", errors) if "bank_ids" in data else None
    if "ncpc_id" in data:
        _orgs_of_kind([data["ncpc_id"]], "ncpc", "ncpc_id", errors)
    if {"rulebook_id", "rulebook_version", "currency"} & data.keys():
        _check_rulebook(data.get("rulebook_id", line.rulebook_id),
                        data.get("rulebook_version", line.rulebook_version),
                        data.get("currency", line.currency), errors)
    if data.get("currency", line.currency) != line.currency and _has_proposals(line.id):
        # Proposals, loans and grants were priced in the old currency.
        errors["currency"] = [f"proposals already use {line.currency}; the currency can no longer change"]
    money = {k: data[k] for k in ("guarantee_capacity", "grant_budget") if data.get(k) is not None}
    if money:
        # Under the line's lock, as issuing a guarantee and approving a grant take it: nothing is
        # committed between this check and the write.
        lock(CreditLine, line.id)
        for floor in COMMITMENT_FLOORS:
            errors.update(floor(line, money))
    if errors:
        raise ValidationFailed("the credit line cannot be changed", errors)
    if banks is not None:
        line.banks = banks
    for key, value in data.items():
        setattr(line, key, value)
    after = snapshot(line)
    if after != before:
        record(actor, "credit_line.updated", "credit_line", line.id, before, after)
    return line


def _has_proposals(line_id: int) -> bool:
    return any(priced(line_id) for priced in PRICED_IN_LINE)


def list_credit_lines(actor: Actor, args: dict[str, Any]) -> Page:
    """List the credit lines the caller may see."""
    # The lists show each line's NCPC (banks load eagerly already): one query, not one per row.
    stmt = visible(CreditLine, actor).options(selectinload(CreditLine.ncpc)).order_by(CreditLine.name)
    if args.get("status"):
        stmt = stmt.where(CreditLine.status == args["status"])
    if args.get("country"):
        stmt = stmt.where(CreditLine.country == args["country"])
    return paginate(stmt, args.get("page", 1), args.get("per_page", 25))


def manage_credit_lines(actor: Actor, args: dict[str, Any]) -> Page:
    """List every credit line for the fund admins' management page."""
    require_role(actor, "fund_admin", action="manage credit lines")
    return list_credit_lines(actor, args)


def line_for_edit(actor: Actor, line_id: int) -> CreditLine:
    """Load a credit line a fund admin is about to change."""
    require_role(actor, "fund_admin", action="change credit lines")
    return get_visible(CreditLine, line_id, actor, what="credit line")


def line_choices(actor: Actor) -> dict[str, list[Organisation]]:
    """Return the banks, NCPCs and funds a credit line form offers (fund admins)."""
    require_role(actor, "fund_admin", action="manage credit lines")
    orgs = db.session.execute(select(Organisation).where(Organisation.kind.in_(("bank", "ncpc", "fund")))
                              .order_by(Organisation.name)).scalars().all()
    return {kind: [o for o in orgs if o.kind == kind] for kind in ("bank", "ncpc", "fund")}


def get_credit_line(actor: Actor, line_id: int) -> CreditLine:
    """Load one credit line in the caller's scope."""
    return get_visible(CreditLine, line_id, actor, what="credit line")

"""Create, change and list credit lines (fund admins own them)."""
from __future__ import annotations

from typing import Any

from sqlalchemy import select

from ..audit.services import record
from ..auth.models import Organisation
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..errors import ValidationFailed
from ..extensions import db
from ..pagination import Page, paginate
from ..rulebooks import registry
from .models import CreditLine

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


def _check_rulebook(rulebook_id: str, version: str, errors: dict[str, list[str]]) -> None:
    if registry().find(rulebook_id, version) is None:
        errors.setdefault("rulebook_version", []).append(
            f"no rulebook {rulebook_id} version {version} in rules/")


def create_credit_line(actor: Actor | None, data: dict[str, Any]) -> CreditLine:
    """Create a credit line after checking its banks, NCPC, fund and rulebook."""
    if actor is not None:
        require_role(actor, "fund_admin", action="create credit lines")
    errors: dict[str, list[str]] = {}
    if db.session.scalar(select(CreditLine.id).where(CreditLine.name == data["name"])):
        errors["name"] = [f"a credit line named '{data['name']}' already exists"]
    banks = _orgs_of_kind(data.get("bank_ids", []), "bank", "bank_ids", errors)
    _orgs_of_kind([data["ncpc_id"]], "ncpc", "ncpc_id", errors)
    _orgs_of_kind([data["fund_id"]], "fund", "fund_id", errors)
    _check_rulebook(data["rulebook_id"], data["rulebook_version"], errors)
    if errors:
        raise ValidationFailed("the credit line cannot be created", errors)
    fields = {k: v for k, v in data.items() if k != "bank_ids"}
    line = CreditLine(**fields)
    line.banks = banks
    db.session.add(line)
    db.session.flush()
    record(actor, "credit_line.created", "credit_line", line.id, None, snapshot(line))
    db.session.commit()
    return line


def update_credit_line(actor: Actor, line_id: int, data: dict[str, Any]) -> CreditLine:
    """Change a credit line's terms, banks, rulebook or status."""
    require_role(actor, "fund_admin", action="change credit lines")
    line = get_visible(CreditLine, line_id, actor, what="credit line")
    before = snapshot(line)
    errors: dict[str, list[str]] = {}
    if "bank_ids" in data:
        line.banks = _orgs_of_kind(data.pop("bank_ids"), "bank", "bank_ids", errors)
    if "rulebook_id" in data or "rulebook_version" in data:
        _check_rulebook(data.get("rulebook_id", line.rulebook_id),
                        data.get("rulebook_version", line.rulebook_version), errors)
    if errors:
        raise ValidationFailed("the credit line cannot be changed", errors)
    for key, value in data.items():
        setattr(line, key, value)
    record(actor, "credit_line.updated", "credit_line", line.id, before, snapshot(line))
    db.session.commit()
    return line


def list_credit_lines(actor: Actor, args: dict[str, Any]) -> Page:
    """List the credit lines the caller may see."""
    stmt = visible(CreditLine, actor).order_by(CreditLine.name)
    if args.get("status"):
        stmt = stmt.where(CreditLine.status == args["status"])
    if args.get("country"):
        stmt = stmt.where(CreditLine.country == args["country"])
    return paginate(stmt, args.get("page", 1), args.get("per_page", 25))


def get_credit_line(actor: Actor, line_id: int) -> CreditLine:
    """Load one credit line in the caller's scope."""
    return get_visible(CreditLine, line_id, actor, what="credit line")

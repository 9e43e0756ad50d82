"""Register and maintain enterprises; an SME manages only its own."""
from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..audit.services import record
from ..auth.models import Organisation
from ..auth.permissions import Actor, get_visible, require_role, visible
from ..errors import ValidationFailed
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..listing import page_rows
from ..pagination import Page
from .models import Enterprise
from .lists import ENTERPRISES

FIELDS = ("legal_name", "tax_id", "country", "isic_code", "employees", "annual_turnover",
          "total_assets", "domestic_ownership_share", "operating_since")


def snapshot(ent: Enterprise) -> dict[str, Any]:
    """Return the audited state of an enterprise."""
    return {f: getattr(ent, f) for f in FIELDS}


# Said whenever the holder is outside the caller's scope: naming it (or saying "already
# registered") would tell an SME that another company it may not see is registered here.
TAX_ID_UNUSABLE = "this tax id cannot be used; contact the fund if it is yours"


def _check_tax_id(actor: Actor, tax_id: str, own_id: int | None, errors: dict[str, list[str]]) -> None:
    stmt = select(Enterprise.id).where(Enterprise.tax_id == tax_id)
    if own_id is not None:
        stmt = stmt.where(Enterprise.id != own_id)
    holder = db.session.scalar(stmt)
    if holder is None:
        return
    if db.session.scalar(visible(Enterprise, actor, select(Enterprise.id)).where(Enterprise.id == holder)):
        errors["tax_id"] = [f"enterprise {holder}, which you manage, is already registered with tax id {tax_id}"]
    else:
        errors["tax_id"] = [TAX_ID_UNUSABLE]


@unit_of_work
def register_enterprise(actor: Actor, data: dict[str, Any]) -> Enterprise:
    """Register an enterprise for the caller's SME (or, for fund admins, a named SME)."""
    require_role(actor, "sme", "fund_admin", action="register enterprises")
    data = dict(data)
    org_id = data.pop("organisation_id", None)
    errors: dict[str, list[str]] = {}
    if actor.has("sme") and actor.organisation_kind == "sme":
        org_id = actor.organisation_id
    elif org_id is None:
        errors["organisation_id"] = ["name the SME organisation the enterprise belongs to"]
    else:
        org = db.session.get(Organisation, org_id)
        if org is None or org.kind != "sme":
            errors["organisation_id"] = [f"organisation {org_id} is not an SME"]
    _check_tax_id(actor, data["tax_id"], None, errors)
    if errors:
        raise ValidationFailed("the enterprise cannot be registered", errors)
    ent = Enterprise(organisation_id=org_id, **data)
    db.session.add(ent)
    db.session.flush()
    record(actor, "enterprise.registered", "enterprise", ent.id, None, snapshot(ent))
    return ent


@unit_of_work
def update_enterprise(actor: Actor, ent_id: int, data: dict[str, Any]) -> Enterprise:
    """Correct an enterprise's facts; the change is audited."""
    require_role(actor, "sme", "fund_admin", action="change enterprises")
    ent = get_visible(Enterprise, ent_id, actor, what="enterprise")
    errors: dict[str, list[str]] = {}
    if "tax_id" in data:
        _check_tax_id(actor, data["tax_id"], ent.id, errors)
    if errors:
        raise ValidationFailed("the enterprise cannot be changed", errors)
    before = snapshot(ent)
    for key, value in data.items():
        setattr(ent, key, value)
    record(actor, "enterprise.updated", "enterprise", ent.id, before, snapshot(ent))
    return ent


def enterprises_query(actor: Actor, args: dict[str, Any]) -> Select[Any]:
    """The enterprises the caller may see, of one country if asked (the list spec does the rest)."""
    stmt = visible(Enterprise, actor)
    if args.get("country"):
        stmt = stmt.where(Enterprise.country == args["country"])
    return stmt


def list_enterprises(actor: Actor, args: dict[str, Any]) -> Page:
    """List the enterprises the caller may see, by name unless asked otherwise."""
    return page_rows(ENTERPRISES, enterprises_query(actor, args), args)


def get_enterprise(actor: Actor, ent_id: int) -> Enterprise:
    """Load one enterprise in the caller's scope."""
    return get_visible(Enterprise, ent_id, actor, what="enterprise")

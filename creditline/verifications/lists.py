"""The verifications list: what it shows and how people find, sort and download it."""
from __future__ import annotations

from typing import Any

from flask import url_for
from sqlalchemy import Select
from sqlalchemy.orm import selectinload

from ..enterprises.models import Enterprise
from ..listing import CHOICE, DATES, SEARCH, Column, Filter, ListSpec
from ..proposals.models import Proposal
from .models import DECISIONS, VERIFICATION_LIFECYCLE, Verification

VProposal = Proposal.__table__.alias("verification_proposal")
VEnterprise = Enterprise.__table__.alias("verification_enterprise")


def _joins(stmt: Select[Any]) -> Select[Any]:
    return (stmt.join(VProposal, VProposal.c.id == Verification.proposal_id)
            .join(VEnterprise, VEnterprise.c.id == VProposal.c.enterprise_id)
            .options(selectinload(Verification.proposal).selectinload(Proposal.enterprise)))


def _result(key: str) -> Any:
    return lambda v: (v.result or {}).get(key)


VERIFICATIONS = ListSpec(
    name="verifications", title="Verifications", noun="verification",
    columns=(
        Column("id", "Verification", lambda v: f"V{v.id}", Verification.id,
               link=lambda v: url_for("verifications.detail", verification_id=v.id)),
        Column("proposal", "Proposal", lambda v: v.proposal.title, VProposal.c.title),
        Column("enterprise", "Enterprise", lambda v: v.proposal.enterprise.legal_name, VEnterprise.c.legal_name),
        Column("status", "Status", lambda v: v.status, Verification.status, kind="code"),
        Column("decision", "Decision", lambda v: v.decision, Verification.decision, kind="code"),
        Column("main_improvement", "Main improvement", _result("main_improvement"), kind="percent"),
        Column("sufficient", "Data", lambda v: "sufficient" if (v.result or {}).get("sufficient") else "insufficient"),
        Column("created_at", "Computed", lambda v: v.created_at.date(), Verification.created_at, kind="date"),
        Column("confirmed_on", "Confirmed", lambda v: v.confirmed_on, Verification.confirmed_on, kind="date"),
    ),
    filters=(
        Filter("q", "Proposal or enterprise", SEARCH, (VProposal.c.title, VEnterprise.c.legal_name)),
        Filter("status", "Status", CHOICE, (Verification.status,), VERIFICATION_LIFECYCLE.states),
        Filter("decision", "Decision", CHOICE, (Verification.decision,), DECISIONS),
        Filter("confirmed", "Confirmed", DATES, (Verification.confirmed_on,)),
    ),
    default_sort="-id", tiebreak=Verification.id, joins=_joins,
    empty="No verifications in your scope yet: the NCPC verifies once the monitoring reports are accepted.",
)

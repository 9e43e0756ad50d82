"""Other incentives an enterprise declares for a financed investment, at any time: double funding blocks the grant."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from ..audit.services import record
from ..auth.permissions import Actor, get_visible, require_role
from ..database import utcnow
from ..errors import Conflict
from ..extensions import db
from ..unit_of_work import unit_of_work
from ..monitoring.services import is_financed
from ..proposals.models import Proposal
from . import services
from .models import Grant


def incentives_of(actor: Actor, proposal_id: int) -> dict[str, Any]:
    """The incentives declared for a proposal, and the status of its grants."""
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    return _view(p)


def _view(p: Proposal) -> dict[str, Any]:
    grants = db.session.scalars(select(Grant).where(Grant.proposal_id == p.id).order_by(Grant.id))
    return {"proposal_id": p.id, "other_incentives": list(p.other_incentives or []),
            "grants": [{"id": g.id, "status": g.status, "reason": g.reason} for g in grants]}


@unit_of_work
def declare_other_incentive(actor: Actor, proposal_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Record another grant or incentive for a financed investment; grants not yet paid are blocked."""
    require_role(actor, "sme", "fund_admin", action="declare other incentives")
    p = get_visible(Proposal, proposal_id, actor, what="proposal")
    # Lock the row: two declarations at once must both land in the list.
    db.session.refresh(p, with_for_update=True)
    if not is_financed(p):
        raise Conflict("declare other incentives on the draft proposal; this route is for financed investments",
                       current_state=p.status, allowed=[])
    amount: Decimal = data["amount"]
    when: date = data["date"]
    entry = {"source": data["source"].strip(), "amount": f"{amount:.2f}",
             "currency": data.get("currency") or p.credit_line.currency, "date": when.isoformat(),
             "declared_by": actor.user_id, "declared_at": utcnow().isoformat()}
    before = list(p.other_incentives or [])
    # A new list, so the JSON column is seen as changed.
    p.other_incentives = [*before, entry]
    db.session.flush()
    record(actor, "proposal.other_incentive_declared", "proposal", p.id, {"other_incentives": before},
           {"other_incentives": p.other_incentives})
    reason = (f"double funding: the enterprise declared another incentive for this investment "
              f"({entry['source']}, {entry['currency']} {entry['amount']} on {entry['date']})")
    services.block_open_grants(actor, p, reason)
    return _view(p)

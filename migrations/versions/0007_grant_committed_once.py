"""at most one committed grant per proposal

Older code could commit two grants (approved or paid) for the same proposal, and the partial
unique index below cannot be built while such pairs exist (PostgreSQL refuses it). So before
creating it, for every proposal with more than one committed grant, the upgrade keeps one and
blocks the others:

- it keeps the paid grant (the money went out), else the oldest (created first, lowest id);
- the others become ``blocked``, their amount kept, with the reason "blocked by migration 0007:
  a second committed grant for the same proposal" (any earlier reason is kept after it).

A blocked grant that had been paid keeps its ``paid_at`` and ``payment_reference``: that money
was paid twice and is for the fund to recover by hand. The downgrade drops the index only; it
cannot know which grants to unblock.

Revision ID: 0007_grant_committed_once
Revises: 0006_loan_lifecycle
Create Date: 2026-11-23 07:30:00

"""
import logging

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_grant_committed_once'
down_revision = '0006_loan_lifecycle'
branch_labels = None
depends_on = None

COMMITTED = sa.text("status IN ('approved', 'paid')")
BLOCK_REASON = "blocked by migration 0007: a second committed grant for the same proposal"


def _block_duplicate_commitments() -> int:
    """Block all but one committed grant per proposal; return how many were blocked."""
    conn = op.get_bind()
    has_reason = any(c["name"] == "reason" for c in sa.inspect(conn).get_columns("incentive_grant"))
    rows = conn.execute(sa.text(
        "SELECT id, proposal_id, reason FROM incentive_grant"
        " WHERE status IN ('approved', 'paid') AND proposal_id IN ("
        "   SELECT proposal_id FROM incentive_grant WHERE status IN ('approved', 'paid')"
        "   GROUP BY proposal_id HAVING count(*) > 1)"
        # The one to keep comes first: paid before approved, then the oldest.
        " ORDER BY proposal_id, CASE WHEN status = 'paid' THEN 0 ELSE 1 END, created_at, id")).all()
    kept: set[int] = set()
    blocked = 0
    for grant_id, proposal_id, reason in rows:
        if proposal_id not in kept:
            kept.add(proposal_id)
            continue
        if has_reason:
            text = BLOCK_REASON if not reason else f"{BLOCK_REASON}; before: {reason}"
            conn.execute(sa.text("UPDATE incentive_grant SET status = 'blocked', reason = :reason WHERE id = :id"),
                         {"reason": text, "id": grant_id})
        else:
            conn.execute(sa.text("UPDATE incentive_grant SET status = 'blocked' WHERE id = :id"), {"id": grant_id})
        blocked += 1
    return blocked


def upgrade():
    blocked = _block_duplicate_commitments()
    if blocked:
        logging.getLogger("alembic.runtime.migration").warning(
            "0007: blocked %d duplicate committed grant(s); see incentive_grant.reason", blocked)
    with op.batch_alter_table('incentive_grant', schema=None) as batch_op:
        batch_op.create_index('uq_incentive_grant_committed_proposal', ['proposal_id'], unique=True,
                              sqlite_where=COMMITTED, postgresql_where=COMMITTED)


def downgrade():
    with op.batch_alter_table('incentive_grant', schema=None) as batch_op:
        batch_op.drop_index('uq_incentive_grant_committed_proposal')

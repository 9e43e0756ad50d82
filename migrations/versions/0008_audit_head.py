"""audit trail: the one-row head anchor, and actor_email inside each event's hash

Revision ID: 0008_audit_head
Revises: 0007_grant_committed_once
Create Date: 2026-11-23 07:30:00

Existing events were hashed without ``actor_email``. The chain is first checked with the old
formula; only if it is intact is it re-sealed with the new one (so tampering from before the
upgrade is never laundered: a broken chain is left as it is and ``flask audit verify`` keeps
reporting it). The head then records the newest event.
"""
import hashlib
import json
from datetime import timezone

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_audit_head'
down_revision = '0007_grant_committed_once'
branch_labels = None
depends_on = None

GENESIS = "0" * 64

events = sa.table(
    'audit_event',
    sa.column('id', sa.Integer), sa.column('seq', sa.Integer),
    sa.column('occurred_at', sa.DateTime(timezone=True)), sa.column('actor_id', sa.Integer),
    sa.column('actor_email', sa.String), sa.column('action', sa.String),
    sa.column('entity_type', sa.String), sa.column('entity_id', sa.Integer),
    sa.column('before', sa.JSON), sa.column('after', sa.JSON),
    sa.column('prev_hash', sa.String), sa.column('hash', sa.String),
)


def _timestamp(value):
    if value.tzinfo is not None:
        value = value.astimezone(timezone.utc).replace(tzinfo=None)
    return value.isoformat(timespec="microseconds")


def _hash(row, prev, with_email):
    # A frozen copy of audit.services.event_hash, old (without) and new (with actor_email).
    payload = {"seq": row.seq, "at": _timestamp(row.occurred_at), "actor": row.actor_id,
               "action": row.action, "entity": [row.entity_type, row.entity_id],
               "before": row.before, "after": row.after, "prev": prev}
    if with_email:
        payload["actor_email"] = row.actor_email
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def _reseal(conn, old_with_email, new_with_email):
    """Re-hash the chain with the new formula if it is intact under the old one; return its tail."""
    rows = conn.execute(sa.select(events).order_by(events.c.seq)).fetchall()
    if not rows:
        return None
    prev = GENESIS
    for expected, row in enumerate(rows, start=1):
        if row.seq != expected or row.prev_hash != prev or _hash(row, prev, old_with_email) != row.hash:
            print("audit trail already broken before this migration: left as it is for `flask audit verify`")
            return rows[-1].seq, rows[-1].hash
        prev = row.hash
    prev = GENESIS
    for row in rows:
        new = _hash(row, prev, new_with_email)
        conn.execute(events.update().where(events.c.id == row.id).values(prev_hash=prev, hash=new))
        prev = new
    return rows[-1].seq, prev


def upgrade():
    op.create_table('audit_head',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_head'))
    )
    tail = _reseal(op.get_bind(), False, True)
    if tail is not None:
        head = sa.table('audit_head', sa.column('id'), sa.column('seq'), sa.column('hash'))
        op.get_bind().execute(head.insert().values(id=1, seq=tail[0], hash=tail[1]))


def downgrade():
    _reseal(op.get_bind(), True, False)
    op.drop_table('audit_head')

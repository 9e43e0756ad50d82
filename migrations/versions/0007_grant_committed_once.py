"""at most one committed grant per proposal

Revision ID: 0007_grant_committed_once
Revises: 0006_loan_lifecycle
Create Date: 2026-11-23 07:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007_grant_committed_once'
down_revision = '0006_loan_lifecycle'
branch_labels = None
depends_on = None

COMMITTED = sa.text("status IN ('approved', 'paid')")


def upgrade():
    with op.batch_alter_table('incentive_grant', schema=None) as batch_op:
        batch_op.create_index('uq_incentive_grant_committed_proposal', ['proposal_id'], unique=True,
                              sqlite_where=COMMITTED, postgresql_where=COMMITTED)


def downgrade():
    with op.batch_alter_table('incentive_grant', schema=None) as batch_op:
        batch_op.drop_index('uq_incentive_grant_committed_proposal')

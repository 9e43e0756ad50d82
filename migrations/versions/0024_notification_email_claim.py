"""notification e-mail claim: a sender claims an unsent notice before mailing it, so it is mailed once

Revision ID: 0024_notification_email_claim
Revises: 0023_notification_resolved
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0024_notification_email_claim'
down_revision = '0023_notification_resolved'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_claimed_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('email_claimed_at')

"""notification e-mail attempts: a failed send is counted and retried by the daily job

Revision ID: 0018_notification_email_attempts
Revises: 0017_event_dates
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018_notification_email_attempts'
down_revision = '0017_event_dates'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_attempts', sa.Integer(), nullable=False, server_default='0'))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('email_attempts')

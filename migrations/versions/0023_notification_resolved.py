"""notification resolved: a hand-off is marked done once the step it points at has been taken

Revision ID: 0023_notification_resolved
Revises: 0020_rulebook_versions
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0023_notification_resolved'
down_revision = '0020_rulebook_versions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_column('resolved_at')

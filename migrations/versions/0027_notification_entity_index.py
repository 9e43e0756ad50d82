"""notification entity index: resolving the hand-offs about one object reads only its notifications

Revision ID: 0027_notification_entity_index
Revises: 0026_claim_payment_day
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0027_notification_entity_index'
down_revision = '0026_claim_payment_day'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.create_index('ix_notification_entity', ['entity_type', 'entity_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification', schema=None) as batch_op:
        batch_op.drop_index('ix_notification_entity')

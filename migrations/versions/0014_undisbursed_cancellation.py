"""loan: the undisbursed rest of the approved principal can be cancelled, with who, when and why

Revision ID: 0014_undisbursed_cancellation
Revises: 0013_web_sessions

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0014_undisbursed_cancellation'
down_revision = '0013_web_sessions'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_amount', sa.Numeric(14, 2), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('cancelled_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancellation_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_loan_cancelled_by_user_account'), 'user_account', ['cancelled_by'], ['id'])


def downgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loan_cancelled_by_user_account'), type_='foreignkey')
        batch_op.drop_column('cancellation_reason')
        batch_op.drop_column('cancelled_at')
        batch_op.drop_column('cancelled_by')
        batch_op.drop_column('cancelled_amount')

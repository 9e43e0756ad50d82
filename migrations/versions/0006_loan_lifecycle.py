"""loan lifecycle of design §2 (applied, disbursed, written_off) and guarantee requests

Revision ID: 0006_loan_lifecycle
Revises: 0005_guarantees
Create Date: 2026-11-24 09:00:00

Renames the loan state ``proposed`` to ``applied``; an existing guarantee (all were issued
directly) counts as requested by whoever issued it.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006_loan_lifecycle'
down_revision = '0005_guarantees'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('written_off_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('written_off_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('write_off_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_loan_written_off_by_user_account'), 'user_account',
                                    ['written_off_by'], ['id'])

    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('requested_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('requested_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('declined_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('declined_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decline_reason', sa.Text(), nullable=True))
        batch_op.alter_column('issued_by', existing_type=sa.Integer(), nullable=True)
        batch_op.alter_column('issued_at', existing_type=sa.DateTime(timezone=True), nullable=True)
        batch_op.create_foreign_key(batch_op.f('fk_guarantee_requested_by_user_account'), 'user_account',
                                    ['requested_by'], ['id'])
        batch_op.create_foreign_key(batch_op.f('fk_guarantee_declined_by_user_account'), 'user_account',
                                    ['declined_by'], ['id'])

    with op.batch_alter_table('recovery', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_recovery_payment_id_payment'), 'payment', ['payment_id'], ['id'])

    # Data: the state names of design §2.
    op.execute("UPDATE loan SET status = 'applied' WHERE status = 'proposed'")
    op.execute("UPDATE guarantee SET requested_by = issued_by, requested_at = issued_at")


def downgrade():
    op.execute("UPDATE loan SET status = 'proposed' WHERE status = 'applied'")
    # The old lifecycle had no `disbursed` or `written_off`: map them to their nearest old state.
    op.execute("UPDATE loan SET status = 'active' WHERE status = 'disbursed'")
    op.execute("UPDATE loan SET status = 'defaulted' WHERE status = 'written_off'")
    op.execute("UPDATE guarantee SET status = 'paid' WHERE status = 'recovered'")
    op.execute("DELETE FROM guarantee WHERE status IN ('requested', 'declined')")
    with op.batch_alter_table('recovery', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_recovery_payment_id_payment'), type_='foreignkey')
        batch_op.drop_column('payment_id')
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_guarantee_declined_by_user_account'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_guarantee_requested_by_user_account'), type_='foreignkey')
        batch_op.alter_column('issued_at', existing_type=sa.DateTime(timezone=True), nullable=False)
        batch_op.alter_column('issued_by', existing_type=sa.Integer(), nullable=False)
        batch_op.drop_column('decline_reason')
        batch_op.drop_column('declined_at')
        batch_op.drop_column('declined_by')
        batch_op.drop_column('requested_at')
        batch_op.drop_column('requested_by')
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loan_written_off_by_user_account'), type_='foreignkey')
        batch_op.drop_column('write_off_reason')
        batch_op.drop_column('written_off_at')
        batch_op.drop_column('written_off_by')

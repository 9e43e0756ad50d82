"""write-off four eyes: a bank officer proposes the write-off, the credit committee confirms it

Revision ID: 0029_write_off_four_eyes
Revises: 0028_verification_proposed_on

``write_off_reason`` is now the proposer's reason, given when the write-off is proposed;
``written_off_by``/``written_off_at`` stay the person who confirmed it and when. Loans written
off before this were written off by one officer in one step: that officer is recorded as the
proposer too, at the same moment, so the history says what happened.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0029_write_off_four_eyes'
down_revision = '0028_verification_proposed_on'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.add_column(sa.Column('write_off_proposed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('write_off_proposed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_loan_write_off_proposed_by_user_account'), 'user_account',
                                    ['write_off_proposed_by'], ['id'])
    op.execute("UPDATE loan SET write_off_proposed_by = written_off_by, write_off_proposed_at = written_off_at "
               "WHERE written_off_by IS NOT NULL")


def downgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_loan_write_off_proposed_by_user_account'), type_='foreignkey')
        batch_op.drop_column('write_off_proposed_at')
        batch_op.drop_column('write_off_proposed_by')

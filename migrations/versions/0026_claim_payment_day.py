"""claim payment day and reference: the fund's claim payment carries its value date and bank reference

Revision ID: 0026_claim_payment_day
Revises: 0025_loan_balances

Claims paid before this took the day they were entered and no reference, which is what the app assumed until now.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0026_claim_payment_day'
down_revision = '0025_loan_balances'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.add_column(sa.Column('paid_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('payment_reference', sa.String(length=64), nullable=True))
    # CAST(... AS DATE) reads the day on PostgreSQL; SQLite stores text, whose first 10 characters are the day.
    day = "CAST(paid_at AS DATE)" if op.get_bind().dialect.name != "sqlite" else "substr(paid_at, 1, 10)"
    op.execute(f"UPDATE guarantee SET paid_on = {day} WHERE paid_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('guarantee', schema=None) as batch_op:
        batch_op.drop_column('payment_reference')
        batch_op.drop_column('paid_on')

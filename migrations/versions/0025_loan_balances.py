"""loan balances: outstanding principal, principal in arrears, oldest unpaid due date and totals
stored on each loan (kept by the loan services), back-filled from installments, tranches and payments

Revision ID: 0025_loan_balances
Revises: 0024_notification_email_claim
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0025_loan_balances'
down_revision = '0024_notification_email_claim'
branch_labels = None
depends_on = None

MONEY = ('principal_outstanding', 'principal_in_arrears', 'disbursed_total', 'paid_total')
DATES = ('oldest_unpaid_due', 'last_payment_on', 'balances_as_of')

# The same rules as creditline.finance.balances.loan_balances, in SQL that SQLite and PostgreSQL
# both run. Arrears are judged as of the day of the migration (the daily job moves them on).
BACKFILL = """
UPDATE loan SET
  principal_outstanding = CASE
    WHEN EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = loan.id)
      THEN (SELECT ROUND(SUM(i.principal - i.principal_paid), 2) FROM installment i WHERE i.loan_id = loan.id)
    WHEN EXISTS (SELECT 1 FROM payment p WHERE p.loan_id = loan.id) THEN 0
    ELSE COALESCE((SELECT ROUND(SUM(d.amount), 2) FROM disbursement d WHERE d.loan_id = loan.id), 0) END,
  principal_in_arrears = COALESCE((SELECT ROUND(SUM(i.principal - i.principal_paid), 2) FROM installment i
                                   WHERE i.loan_id = loan.id AND i.due_date < CURRENT_DATE), 0),
  oldest_unpaid_due = (SELECT MIN(i.due_date) FROM installment i WHERE i.loan_id = loan.id
                       AND i.principal + i.interest + i.fee - i.principal_paid - i.interest_paid - i.fee_paid >= 0.01),
  disbursed_total = COALESCE((SELECT ROUND(SUM(d.amount), 2) FROM disbursement d WHERE d.loan_id = loan.id), 0),
  paid_total = COALESCE((SELECT ROUND(SUM(p.amount), 2) FROM payment p WHERE p.loan_id = loan.id), 0),
  last_payment_on = (SELECT MAX(p.value_date) FROM payment p WHERE p.loan_id = loan.id),
  balances_as_of = CURRENT_DATE
"""


def upgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        for name in MONEY:
            batch_op.add_column(sa.Column(name, sa.Numeric(14, 2), server_default='0', nullable=False))
        for name in DATES:
            batch_op.add_column(sa.Column(name, sa.Date(), nullable=True))
    op.execute(BACKFILL)


def downgrade():
    with op.batch_alter_table('loan', schema=None) as batch_op:
        for name in reversed(MONEY + DATES):
            batch_op.drop_column(name)

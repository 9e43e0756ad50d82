"""event dates: the day each decision, report and payment happened, next to when it was entered

Revision ID: 0017_event_dates
Revises: 0016_referrals

Existing rows take the day they were entered, which is what the app assumed until now.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_event_dates'
down_revision = '0016_referrals'
branch_labels = None
depends_on = None

# table, new date column, the timestamp it is filled from
COLUMNS = [
    ('proposal', 'submitted_on', 'submitted_at'),
    ('loan', 'decided_on', 'decided_at'),
    ('guarantee', 'issued_on', 'issued_at'),
    ('verification', 'confirmed_on', 'confirmed_at'),
    ('incentive_grant', 'approved_on', 'approved_at'),
    ('incentive_grant', 'paid_on', 'paid_at'),
    ('monitoring_report', 'reported_on', 'submitted_at'),
]


def upgrade():
    for table, column, _ in COLUMNS:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column(column, sa.Date(), nullable=True))
    for table, column, stamp in COLUMNS:
        # CAST(... AS DATE) reads the day on PostgreSQL; SQLite stores text, whose first 10 characters are the day.
        day = f"CAST({stamp} AS DATE)" if op.get_bind().dialect.name != "sqlite" else f"substr({stamp}, 1, 10)"
        op.execute(f"UPDATE {table} SET {column} = {day} WHERE {stamp} IS NOT NULL")


def downgrade():
    for table, column, _ in reversed(COLUMNS):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column(column)

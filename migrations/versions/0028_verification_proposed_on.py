"""verification proposed_on: the day the verifier proposed the decision, as entered (an event date)

Revision ID: 0028_verification_proposed_on
Revises: 0027_notification_entity_index

Verifications proposed before this took the day they were entered; where the confirmation was
dated earlier than that (confirmations carry their event day since 0017), the proposal is dated
the confirmation's day, so no certificate reads "proposed" after "confirmed".
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0028_verification_proposed_on'
down_revision = '0027_notification_entity_index'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.add_column(sa.Column('proposed_on', sa.Date(), nullable=True))
    # CAST(... AS DATE) reads the day on PostgreSQL; SQLite stores text, whose first 10 characters are the day.
    day = "CAST(proposed_at AS DATE)" if op.get_bind().dialect.name != "sqlite" else "substr(proposed_at, 1, 10)"
    op.execute(f"UPDATE verification SET proposed_on = CASE WHEN confirmed_on IS NOT NULL AND confirmed_on < {day} "
               f"THEN confirmed_on ELSE {day} END WHERE proposed_at IS NOT NULL")


def downgrade():
    with op.batch_alter_table('verification', schema=None) as batch_op:
        batch_op.drop_column('proposed_on')

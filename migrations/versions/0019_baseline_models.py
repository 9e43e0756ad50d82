"""baseline models: monthly baseline readings, reporting drivers and non-routine adjustments

Revision ID: 0019_baseline_models
Revises: 0018_notification_email_attempts

The proposal's annual baseline stays the projection; the monthly readings feed the regression
baseline a verifier may choose per indicator.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0019_baseline_models'
down_revision = '0018_notification_email_attempts'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'baseline_month',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('start', sa.Date(), nullable=False),
        sa.Column('end', sa.Date(), nullable=False),
        sa.Column('production_output', sa.Numeric(20, 4), nullable=False),
        sa.Column('drivers', sa.JSON(), nullable=False),
        sa.Column('quantities', sa.JSON(), nullable=False),
        sa.Column('source', sa.String(length=8), nullable=False),
        sa.Column('entered_by', sa.Integer(), nullable=False),
        sa.Column('entered_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['plan_id'], ['monitoring_plan.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['entered_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('plan_id', 'start'),
    )
    op.create_index('ix_baseline_month_plan_id', 'baseline_month', ['plan_id'])
    op.create_table(
        'baseline_adjustment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('plan_id', sa.Integer(), nullable=False),
        sa.Column('indicator', sa.String(length=32), nullable=False),
        sa.Column('amount', sa.Numeric(20, 4), nullable=False),
        sa.Column('reason', sa.Text(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('proposed_by', sa.Integer(), nullable=False),
        sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('decision_note', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(['plan_id'], ['monitoring_plan.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['proposed_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['decided_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_baseline_adjustment_plan_id', 'baseline_adjustment', ['plan_id'])
    with op.batch_alter_table('monitoring_report') as batch:
        batch.add_column(sa.Column('drivers', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('monitoring_report') as batch:
        batch.drop_column('drivers')
    op.drop_index('ix_baseline_adjustment_plan_id', 'baseline_adjustment')
    op.drop_table('baseline_adjustment')
    op.drop_index('ix_baseline_month_plan_id', 'baseline_month')
    op.drop_table('baseline_month')

"""monitoring report review: versions of a period's report, submitted -> accepted | returned

Revision ID: 0012_report_review
Revises: 0011_document_checks

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_report_review'
down_revision = '0011_document_checks'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('monitoring_report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))
        # Reports stored before the review existed were used in verifications: they count as accepted.
        batch_op.add_column(sa.Column('status', sa.String(length=16), server_default='accepted', nullable=False))
        batch_op.add_column(sa.Column('review_note', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_by', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_monitoring_report_reviewed_by_user_account'), 'user_account',
                                    ['reviewed_by'], ['id'])
        batch_op.drop_constraint('uq_monitoring_report_period_id', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_monitoring_report_period_id'), ['period_id', 'version'])
        batch_op.create_index(batch_op.f('ix_monitoring_report_period_id'), ['period_id'], unique=False)
    with op.batch_alter_table('monitoring_report', schema=None) as batch_op:
        batch_op.alter_column('version', server_default=None)
        batch_op.alter_column('status', server_default=None)


def downgrade():
    op.execute("DELETE FROM monitoring_report WHERE version > 1")
    with op.batch_alter_table('monitoring_report', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_monitoring_report_period_id'))
        batch_op.drop_constraint(batch_op.f('uq_monitoring_report_period_id'), type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_monitoring_report_period_id'), ['period_id'])
        batch_op.drop_constraint(batch_op.f('fk_monitoring_report_reviewed_by_user_account'), type_='foreignkey')
        batch_op.drop_column('reviewed_at')
        batch_op.drop_column('reviewed_by')
        batch_op.drop_column('review_note')
        batch_op.drop_column('status')
        batch_op.drop_column('version')

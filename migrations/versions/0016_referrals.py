"""referral desk: a task per referral reason, and the decisions on them

Revision ID: 0016_referrals
Revises: 0015_idempotency_keys

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_referrals'
down_revision = '0015_idempotency_keys'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'referral_task',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('proposal_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('reason', sa.String(length=32), nullable=False),
        sa.Column('rule', sa.String(length=64), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('owner', sa.String(length=16), nullable=False),
        sa.Column('blocking', sa.Boolean(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_referral_task_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_referral_task_proposal_id_proposal')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_task')),
    )
    with op.batch_alter_table('referral_task', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_task_assessment_id'), ['assessment_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_task_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_referral_task_status'), ['status'], unique=False)
    op.create_table(
        'referral_decision',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('task_id', sa.Integer(), nullable=False),
        sa.Column('assessment_id', sa.Integer(), nullable=False),
        sa.Column('decision', sa.String(length=16), nullable=False),
        sa.Column('comment', sa.Text(), nullable=False),
        sa.Column('details', sa.JSON(), nullable=False),
        sa.Column('file_id', sa.Integer(), nullable=True),
        sa.Column('decided_by', sa.Integer(), nullable=False),
        sa.Column('decided_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_referral_decision_assessment_id_assessment')),
        sa.ForeignKeyConstraint(['decided_by'], ['user_account.id'], name=op.f('fk_referral_decision_decided_by_user_account')),
        sa.ForeignKeyConstraint(['file_id'], ['stored_file.id'], name=op.f('fk_referral_decision_file_id_stored_file')),
        sa.ForeignKeyConstraint(['task_id'], ['referral_task.id'], name=op.f('fk_referral_decision_task_id_referral_task')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_referral_decision')),
        sa.UniqueConstraint('task_id', name=op.f('uq_referral_decision_task_id')),
    )
    with op.batch_alter_table('referral_decision', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_referral_decision_assessment_id'), ['assessment_id'], unique=False)


def downgrade():
    op.drop_table('referral_decision')
    op.drop_table('referral_task')

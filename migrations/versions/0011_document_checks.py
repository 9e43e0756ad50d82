"""document checks: the bank's verdict per required document type of a proposal

Revision ID: 0011_document_checks
Revises: 0010_session_version

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_document_checks'
down_revision = '0010_session_version'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('document_check',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('checked_by', sa.Integer(), nullable=False),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['checked_by'], ['user_account.id'], name=op.f('fk_document_check_checked_by_user_account')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposal.id'], name=op.f('fk_document_check_proposal_id_proposal'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_document_check')),
    sa.UniqueConstraint('proposal_id', 'kind', name=op.f('uq_document_check_proposal_id'))
    )
    with op.batch_alter_table('document_check', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_document_check_proposal_id'), ['proposal_id'], unique=False)


def downgrade():
    with op.batch_alter_table('document_check', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_document_check_proposal_id'))
    op.drop_table('document_check')

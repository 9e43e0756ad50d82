"""rulebook snapshots by content hash; proposal cost items

Revision ID: 0009_snapshots_cost_items
Revises: 0008_audit_head

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_snapshots_cost_items'
down_revision = '0008_audit_head'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('rulebook_snapshot',
    sa.Column('hash', sa.String(length=80), nullable=False),
    sa.Column('rulebook_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_rulebook_snapshot'))
    )
    with op.batch_alter_table('rulebook_snapshot', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rulebook_snapshot_rulebook_id'), ['rulebook_id'], unique=False)
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cost_items', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('proposal', schema=None) as batch_op:
        batch_op.drop_column('cost_items')
    with op.batch_alter_table('rulebook_snapshot', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rulebook_snapshot_rulebook_id'))
    op.drop_table('rulebook_snapshot')

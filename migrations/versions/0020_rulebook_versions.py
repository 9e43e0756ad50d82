"""rulebook versions: drafts and published texts of each rulebook, one in force per id and effective date

Revision ID: 0020_rulebook_versions
Revises: 0019_baseline_models
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0020_rulebook_versions'
down_revision = '0019_baseline_models'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'rulebook_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('rulebook_id', sa.String(length=64), nullable=False),
        sa.Column('version', sa.String(length=32), nullable=False),
        sa.Column('text', sa.Text(), nullable=False),
        sa.Column('hash', sa.String(length=80), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('effective_from', sa.Date(), nullable=True),
        sa.Column('drafted_by', sa.Integer(), nullable=True),
        sa.Column('published_by', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['drafted_by'], ['user_account.id']),
        sa.ForeignKeyConstraint(['published_by'], ['user_account.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('rulebook_id', 'version', name='uq_rulebook_version_id_version'),
    )
    op.create_index('ix_rulebook_version_rulebook_id', 'rulebook_version', ['rulebook_id'])
    op.create_index('ix_rulebook_version_hash', 'rulebook_version', ['hash'])
    op.create_index('uq_rulebook_version_in_force', 'rulebook_version', ['rulebook_id', 'effective_from'],
                    unique=True, sqlite_where=sa.text("status = 'published'"),
                    postgresql_where=sa.text("status = 'published'"))


def downgrade():
    op.drop_table('rulebook_version')

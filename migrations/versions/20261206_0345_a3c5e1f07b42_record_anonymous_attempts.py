"""Attempts to open a record by someone not logged in: counted per record and day in
`record_anonymous_attempts` instead of one journal row each (a flood of them pushed the team's
real attempts out of the member's view).

Revision ID: a3c5e1f07b42
Revises: 8f712d491627
Create Date: 2026-12-06 03:45:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a3c5e1f07b42'
down_revision = '8f712d491627'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('record_anonymous_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('counted_on', sa.Date(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.CheckConstraint('attempts > 0', name=op.f('ck_record_anonymous_attempts_positive')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_record_anonymous_attempts_pathway_id_pathways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_anonymous_attempts')),
    sa.UniqueConstraint('pathway_id', 'counted_on', name=op.f('uq_record_anonymous_attempts_pathway_id_counted_on'))
    )


def downgrade():
    op.drop_table('record_anonymous_attempts')

"""What approved minutes show, kept as it was at the approval (`minutes_records`): version 1 at
the approval, one more for each correction of the attendance, with its reason.

Minutes approved before this revision have no record yet: they keep showing live data until
their first correction, which keeps them as they then were before correcting them.

Revision ID: 4557c819e8ba
Revises: a3c5e1f07b42
Create Date: 2026-12-06 04:30:00.000000+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4557c819e8ba'
down_revision = 'a3c5e1f07b42'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('minutes_records',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('data', sa.JSON(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('version >= 1', name=op.f('ck_minutes_records_version_positive')),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_records_minutes_id_minutes'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_minutes_records_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_records')),
    sa.UniqueConstraint('minutes_id', 'version', name=op.f('uq_minutes_records_minutes_id_version'))
    )


def downgrade():
    op.drop_table('minutes_records')

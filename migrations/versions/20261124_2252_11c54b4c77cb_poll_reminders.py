"""Polls remember when the "closes soon" reminder was sent (it is sent once).

Revision ID: 11c54b4c77cb
Revises: 7efb581c0045
Create Date: 2026-11-24 22:52:17.043689+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '11c54b4c77cb'
down_revision = '7efb581c0045'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_column('reminded_at')

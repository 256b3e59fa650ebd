"""Proposals (plain-words summary, what changes, Markdown text, workflow) and their supports.

`proposals.poll_id` links a proposal to the poll that decides it (the poll's subject_key says
the same from the other side); `proposal_supports` is unique per proposal and member, so the
database refuses a second support.

Revision ID: d00da6c27db9
Revises: 11c54b4c77cb
Create Date: 2026-11-24 22:58:23.010874+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd00da6c27db9'
down_revision = '11c54b4c77cb'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('proposals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('summary', sa.String(length=300), nullable=False),
    sa.Column('what_changes', sa.Text(), nullable=False),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=30), nullable=False),
    sa.Column('security_path', sa.String(length=80), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('support_threshold', sa.Integer(), nullable=True),
    sa.Column('poll_id', sa.Integer(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'support', 'vote', 'adopted', 'rejected', 'withdrawn', 'archived')", name=op.f('ck_proposals_known_state')),
    sa.CheckConstraint('support_threshold IS NULL OR support_threshold >= 1', name=op.f('ck_proposals_threshold_positive')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_proposals_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_proposals_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_proposals_poll_id_polls'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposals'))
    )
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposals_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_poll_id'), ['poll_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposals_state'), ['state'], unique=False)

    op.create_table('proposal_supports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_proposal_supports_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_supports_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_supports')),
    sa.UniqueConstraint('proposal_id', 'member_id', name=op.f('uq_proposal_supports_proposal_id_member_id'))
    )
    with op.batch_alter_table('proposal_supports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_supports_member_id'), ['member_id'], unique=False)



def downgrade():
    with op.batch_alter_table('proposal_supports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_supports_member_id'))
    op.drop_table('proposal_supports')
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposals_state'))
        batch_op.drop_index(batch_op.f('ix_proposals_poll_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_owner_id'))
        batch_op.drop_index(batch_op.f('ix_proposals_body_id'))

    op.drop_table('proposals')

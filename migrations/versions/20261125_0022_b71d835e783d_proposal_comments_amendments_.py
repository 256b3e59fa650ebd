"""Proposal comments (hidden with a reason, never deleted), amendments, attachments, the board's
answer and the follow-up of adopted proposals; each body's support threshold; in-room polls.

`bodies.support_percent` / `support_minimum` replace the constants proposals used (10 %, at
least 3): existing bodies get exactly those values. `polls.in_room` says the counts were entered
by the secretary; `present_count` bounds them. Attachments keep their bytes in the database
(deferred column), so a backup of the database is a backup of the files.

Revision ID: b71d835e783d
Revises: d00da6c27db9
Create Date: 2026-11-25 00:22:40.156092+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b71d835e783d'
down_revision = 'd00da6c27db9'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('proposal_amendments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('field', sa.String(length=20), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('reason', sa.Text(), server_default='', nullable=False),
    sa.Column('base_version', sa.Integer(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_comment', sa.Text(), server_default='', nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("field IN ('summary', 'what_changes', 'body')", name=op.f('ck_proposal_amendments_known_field')),
    sa.CheckConstraint("state IN ('proposed', 'accepted', 'declined', 'withdrawn', 'vote', 'adopted', 'rejected', 'outdated')", name=op.f('ck_proposal_amendments_known_state')),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_amendments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by_id'], ['users.id'], name=op.f('fk_proposal_amendments_decided_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_proposal_amendments_poll_id_polls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_amendments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_amendments'))
    )
    with op.batch_alter_table('proposal_amendments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_amendments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_amendments_poll_id'), ['poll_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_amendments_proposal_id'), ['proposal_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_amendments_state'), ['state'], unique=False)

    op.create_table('proposal_attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('size >= 0', name=op.f('ck_proposal_attachments_size_positive')),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_attachments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'], name=op.f('fk_proposal_attachments_uploaded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_attachments'))
    )
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_attachments_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('proposal_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('proposal_id', sa.Integer(), nullable=False),
    sa.Column('parent_id', sa.Integer(), nullable=True),
    sa.Column('author_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('hidden_by_id', sa.Integer(), nullable=True),
    sa.Column('hidden_reason', sa.String(length=500), server_default='', nullable=False),
    sa.ForeignKeyConstraint(['author_id'], ['users.id'], name=op.f('fk_proposal_comments_author_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['hidden_by_id'], ['users.id'], name=op.f('fk_proposal_comments_hidden_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['parent_id'], ['proposal_comments.id'], name=op.f('fk_proposal_comments_parent_id_proposal_comments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_proposal_comments_proposal_id_proposals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proposal_comments'))
    )
    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proposal_comments_author_id'), ['author_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_comments_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_proposal_comments_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('support_percent', sa.Integer(), server_default='10', nullable=False))
        batch_op.add_column(sa.Column('support_minimum', sa.Integer(), server_default='3', nullable=False))
        batch_op.create_check_constraint(op.f('ck_bodies_support_percent_range'), 'support_percent BETWEEN 0 AND 100')
        batch_op.create_check_constraint(op.f('ck_bodies_support_minimum_range'), 'support_minimum BETWEEN 1 AND 10000')

    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.add_column(sa.Column('in_room', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('present_count', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(op.f('ck_polls_present_count_positive'), 'present_count IS NULL OR present_count >= 0')

    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('board_answer', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('board_answer_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('board_answer_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('follow_responsible_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('follow_due', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('follow_note', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('follow_updated_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_check_constraint(op.f('ck_proposals_known_follow_status'), "follow_status IS NULL OR follow_status IN ('to_do', 'in_progress', 'done', 'abandoned')")
        batch_op.create_index(batch_op.f('ix_proposals_follow_responsible_id'), ['follow_responsible_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_proposals_board_answer_by_id_users'), 'users', ['board_answer_by_id'], ['id'], ondelete='SET NULL')
        batch_op.create_foreign_key(batch_op.f('fk_proposals_follow_responsible_id_members'), 'members', ['follow_responsible_id'], ['id'], ondelete='SET NULL')



def downgrade():
    # Reviewed by hand.
    with op.batch_alter_table('proposals', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_proposals_follow_responsible_id_members'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_proposals_board_answer_by_id_users'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_proposals_follow_responsible_id'))
        batch_op.drop_constraint(op.f('ck_proposals_known_follow_status'), type_='check')
        batch_op.drop_column('follow_updated_at')
        batch_op.drop_column('follow_note')
        batch_op.drop_column('follow_due')
        batch_op.drop_column('follow_responsible_id')
        batch_op.drop_column('follow_status')
        batch_op.drop_column('board_answer_by_id')
        batch_op.drop_column('board_answer_at')
        batch_op.drop_column('board_answer')

    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_polls_present_count_positive'), type_='check')
        batch_op.drop_column('present_count')
        batch_op.drop_column('in_room')

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_bodies_support_minimum_range'), type_='check')
        batch_op.drop_constraint(op.f('ck_bodies_support_percent_range'), type_='check')
        batch_op.drop_column('support_minimum')
        batch_op.drop_column('support_percent')

    with op.batch_alter_table('proposal_comments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_comments_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_comments_parent_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_comments_author_id'))

    op.drop_table('proposal_comments')
    with op.batch_alter_table('proposal_attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_attachments_proposal_id'))

    op.drop_table('proposal_attachments')
    with op.batch_alter_table('proposal_amendments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_proposal_amendments_state'))
        batch_op.drop_index(batch_op.f('ix_proposal_amendments_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_amendments_poll_id'))
        batch_op.drop_index(batch_op.f('ix_proposal_amendments_author_id'))

    op.drop_table('proposal_amendments')

"""Meetings of the bodies (convocation, agenda, attendance, speaking queue), minutes and their
sections, the decisions register, members' calendar feeds; each body's register prefix and its
meeting rules (proxies count for the quorum; meeting votes for those present only).

`meetings.current_item_id` and `agenda_items.meeting_id` point at each other: the first is
created after both tables (use_alter). `decisions` is unique per body, year and number, so two
concurrent approvals can never get the same number.

Revision ID: 4c2da0317a24
Revises: b71d835e783d
Create Date: 2026-11-25 01:22:54.488413+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c2da0317a24'
down_revision = 'b71d835e783d'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('calendar_tokens',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_calendar_tokens_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_calendar_tokens_token_hash'))
    )
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_calendar_tokens_member_id'), ['member_id'], unique=False)

    op.create_table('meetings',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('place', sa.String(length=300), server_default='', nullable=False),
    sa.Column('online_link', sa.String(length=500), server_default='', nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('security_path', sa.String(length=80), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('chair_id', sa.Integer(), nullable=True),
    sa.Column('secretary_id', sa.Integer(), nullable=True),
    sa.Column('convened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('convened_by_id', sa.Integer(), nullable=True),
    sa.Column('notice_override_reason', sa.Text(), server_default='', nullable=False),
    sa.Column('check_in_code', sa.String(length=12), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('current_item_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('ordinary_ga', 'extraordinary_ga', 'board', 'workers_council', 'committee')", name=op.f('ck_meetings_known_kind')),
    sa.CheckConstraint("state IN ('planned', 'convened', 'in_session', 'closed', 'cancelled')", name=op.f('ck_meetings_known_state')),
    sa.CheckConstraint('ends_at IS NULL OR ends_at >= starts_at', name=op.f('ck_meetings_ends_after_start')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_meetings_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['chair_id'], ['members.id'], name=op.f('fk_meetings_chair_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['convened_by_id'], ['users.id'], name=op.f('fk_meetings_convened_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_meetings_owner_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['secretary_id'], ['members.id'], name=op.f('fk_meetings_secretary_id_members'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_meetings'))
    )
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_meetings_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_starts_at'), ['starts_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_meetings_state'), ['state'], unique=False)

    op.create_table('agenda_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), server_default='', nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('presenter_id', sa.Integer(), nullable=True),
    sa.Column('planned_minutes', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('information', 'discussion', 'decision')", name=op.f('ck_agenda_items_known_kind')),
    sa.CheckConstraint('planned_minutes IS NULL OR planned_minutes BETWEEN 1 AND 600', name=op.f('ck_agenda_items_planned_minutes_range')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_agenda_items_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['presenter_id'], ['members.id'], name=op.f('fk_agenda_items_presenter_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_agenda_items_proposal_id_proposals'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_agenda_items'))
    )
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_agenda_items_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_agenda_items_proposal_id'), ['proposal_id'], unique=False)

    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.create_foreign_key('fk_meetings_current_item', 'agenda_items', ['current_item_id'], ['id'], ondelete='SET NULL')

    op.create_table('attendances',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('proxy_holder_id', sa.Integer(), nullable=True),
    sa.Column('arrived_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('left_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('self_checked_in', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'represented') = (proxy_holder_id IS NOT NULL)", name=op.f('ck_attendances_holder_when_represented')),
    sa.CheckConstraint("status IN ('present', 'excused', 'absent', 'represented')", name=op.f('ck_attendances_known_status')),
    sa.CheckConstraint('left_at IS NULL OR arrived_at IS NULL OR left_at >= arrived_at', name=op.f('ck_attendances_leaves_after_arriving')),
    sa.CheckConstraint('proxy_holder_id IS NULL OR proxy_holder_id <> member_id', name=op.f('ck_attendances_not_to_oneself')),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_attendances_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_attendances_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proxy_holder_id'], ['members.id'], name=op.f('fk_attendances_proxy_holder_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_attendances_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attendances')),
    sa.UniqueConstraint('meeting_id', 'member_id', name=op.f('uq_attendances_meeting_id_member_id'))
    )
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attendances_member_id'), ['member_id'], unique=False)

    op.create_table('minutes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), server_default='', nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('security_path', sa.String(length=80), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.Column('approval_poll_id', sa.Integer(), nullable=True),
    sa.Column('approval_item_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'submitted', 'approved', 'published')", name=op.f('ck_minutes_known_state')),
    sa.ForeignKeyConstraint(['approval_item_id'], ['agenda_items.id'], name=op.f('fk_minutes_approval_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['approval_poll_id'], ['polls.id'], name=op.f('fk_minutes_approval_poll_id_polls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_minutes_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_minutes_meeting_id_meetings'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_minutes_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes')),
    sa.UniqueConstraint('meeting_id', name=op.f('uq_minutes_meeting_id'))
    )
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_minutes_state'), ['state'], unique=False)

    op.create_table('speaking_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('requested_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('withdrawn', sa.Boolean(), server_default=sa.false(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_speaking_requests_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_speaking_requests_meeting_id_meetings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_speaking_requests_member_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_speaking_requests'))
    )
    with op.batch_alter_table('speaking_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_speaking_requests_meeting_id'), ['meeting_id'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('reference', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('text', sa.Text(), server_default='', nullable=False),
    sa.Column('decided_on', sa.Date(), nullable=False),
    sa.Column('meeting_id', sa.Integer(), nullable=True),
    sa.Column('agenda_item_id', sa.Integer(), nullable=True),
    sa.Column('minutes_id', sa.Integer(), nullable=True),
    sa.Column('poll_id', sa.Integer(), nullable=True),
    sa.Column('proposal_id', sa.Integer(), nullable=True),
    sa.Column('follow_status', sa.String(length=20), server_default='to_do', nullable=False),
    sa.Column('follow_responsible_id', sa.Integer(), nullable=True),
    sa.Column('follow_due', sa.Date(), nullable=True),
    sa.Column('follow_note', sa.Text(), server_default='', nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("follow_status IN ('to_do', 'in_progress', 'done', 'abandoned')", name=op.f('ck_decisions_known_follow_status')),
    sa.CheckConstraint('number >= 1', name=op.f('ck_decisions_number_positive')),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_decisions_agenda_item_id_agenda_items'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_decisions_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['follow_responsible_id'], ['members.id'], name=op.f('fk_decisions_follow_responsible_id_members'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['meeting_id'], ['meetings.id'], name=op.f('fk_decisions_meeting_id_meetings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_decisions_minutes_id_minutes'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_decisions_poll_id_polls'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['proposal_id'], ['proposals.id'], name=op.f('fk_decisions_proposal_id_proposals'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_decisions_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions')),
    sa.UniqueConstraint('body_id', 'year', 'number', name=op.f('uq_decisions_body_id_year_number')),
    sa.UniqueConstraint('poll_id', name=op.f('uq_decisions_poll_id')),
    sa.UniqueConstraint('reference', name=op.f('uq_decisions_reference'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_body_id'), ['body_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_decided_on'), ['decided_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_meeting_id'), ['meeting_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_minutes_id'), ['minutes_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_decisions_proposal_id'), ['proposal_id'], unique=False)

    op.create_table('minutes_sections',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('minutes_id', sa.Integer(), nullable=False),
    sa.Column('agenda_item_id', sa.Integer(), nullable=False),
    sa.Column('discussion', sa.Text(), server_default='', nullable=False),
    sa.Column('decision_text', sa.Text(), server_default='', nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['agenda_item_id'], ['agenda_items.id'], name=op.f('fk_minutes_sections_agenda_item_id_agenda_items'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['minutes_id'], ['minutes.id'], name=op.f('fk_minutes_sections_minutes_id_minutes'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_minutes_sections')),
    sa.UniqueConstraint('minutes_id', 'agenda_item_id', name=op.f('uq_minutes_sections_minutes_id_agenda_item_id'))
    )
    with op.batch_alter_table('minutes_sections', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_minutes_sections_agenda_item_id'), ['agenda_item_id'], unique=False)

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.add_column(sa.Column('code', sa.String(length=12), nullable=True))
        batch_op.add_column(sa.Column('proxies_count_for_quorum', sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column('meeting_votes_present_only', sa.Boolean(), server_default=sa.true(), nullable=False))



def downgrade():
    # Reviewed by hand.
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_constraint('fk_meetings_current_item', type_='foreignkey')

    with op.batch_alter_table('bodies', schema=None) as batch_op:
        batch_op.drop_column('meeting_votes_present_only')
        batch_op.drop_column('proxies_count_for_quorum')
        batch_op.drop_column('code')

    with op.batch_alter_table('minutes_sections', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_sections_agenda_item_id'))

    op.drop_table('minutes_sections')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_minutes_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_meeting_id'))
        batch_op.drop_index(batch_op.f('ix_decisions_decided_on'))
        batch_op.drop_index(batch_op.f('ix_decisions_body_id'))

    op.drop_table('decisions')
    with op.batch_alter_table('speaking_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_speaking_requests_meeting_id'))

    op.drop_table('speaking_requests')
    with op.batch_alter_table('minutes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_minutes_state'))
        batch_op.drop_index(batch_op.f('ix_minutes_owner_id'))

    op.drop_table('minutes')
    with op.batch_alter_table('attendances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attendances_member_id'))

    op.drop_table('attendances')
    with op.batch_alter_table('agenda_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_agenda_items_proposal_id'))
        batch_op.drop_index(batch_op.f('ix_agenda_items_meeting_id'))

    op.drop_table('agenda_items')
    with op.batch_alter_table('meetings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_meetings_state'))
        batch_op.drop_index(batch_op.f('ix_meetings_starts_at'))
        batch_op.drop_index(batch_op.f('ix_meetings_owner_id'))
        batch_op.drop_index(batch_op.f('ix_meetings_body_id'))

    op.drop_table('meetings')
    with op.batch_alter_table('calendar_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_calendar_tokens_member_id'))

    op.drop_table('calendar_tokens')

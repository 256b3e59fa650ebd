"""Voting: polls, their options and frozen electorate, participations, ballots, proxies.

The ballots table holds no member, user or time column and no key to participations; on
SQLite it is created WITHOUT ROWID, so not even an implicit sequence tells the order of votes.

Revision ID: 7efb581c0045
Revises: 87d05762807f
Create Date: 2026-11-24 22:39:45.779419+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7efb581c0045'
down_revision = '87d05762807f'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('polls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('question', sa.Text(), nullable=False),
    sa.Column('subject_key', sa.String(length=80), nullable=True),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('method', sa.String(length=30), nullable=False),
    sa.Column('secret', sa.Boolean(), nullable=False),
    sa.Column('practice', sa.Boolean(), nullable=False),
    sa.Column('majority', sa.String(length=20), nullable=False),
    sa.Column('abstentions_count', sa.Boolean(), nullable=False),
    sa.Column('quorum_percent', sa.Integer(), nullable=True),
    sa.Column('seats', sa.Integer(), nullable=False),
    sa.Column('min_choices', sa.Integer(), nullable=True),
    sa.Column('max_choices', sa.Integer(), nullable=True),
    sa.Column('proxy_cap', sa.Integer(), nullable=False),
    sa.Column('closes_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('electorate_count', sa.Integer(), nullable=False),
    sa.Column('electorate_weight', sa.Integer(), nullable=False),
    sa.Column('result', sa.JSON(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('security_path', sa.String(length=80), nullable=False),
    sa.Column('owner_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('draft', 'open', 'closed', 'cancelled')", name=op.f('ck_polls_known_state')),
    sa.CheckConstraint('proxy_cap BETWEEN 0 AND 20', name=op.f('ck_polls_proxy_cap_range')),
    sa.CheckConstraint('quorum_percent IS NULL OR quorum_percent BETWEEN 0 AND 100', name=op.f('ck_polls_quorum_range')),
    sa.CheckConstraint('seats BETWEEN 1 AND 50', name=op.f('ck_polls_seats_range')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_polls_body_id_bodies'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_polls_owner_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_polls'))
    )
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_polls_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_polls_state'), ['state'], unique=False)
        batch_op.create_index(batch_op.f('ix_polls_subject_key'), ['subject_key'], unique=False)

    op.create_table('ballots',
    sa.Column('key', sa.String(length=32), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.Column('receipt_fingerprint', sa.String(length=64), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_ballots_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_ballots')),
    sqlite_with_rowid=False
    )
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_ballots_poll_id'), ['poll_id'], unique=False)

    op.create_table('participations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.String(length=20), nullable=False),
    sa.Column('cast_by_id', sa.Integer(), nullable=True),
    sa.Column('assisted_by_id', sa.Integer(), nullable=True),
    sa.Column('named_choice', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("mode IN ('self', 'proxy', 'assisted')", name=op.f('ck_participations_known_mode')),
    sa.ForeignKeyConstraint(['assisted_by_id'], ['users.id'], name=op.f('fk_participations_assisted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cast_by_id'], ['users.id'], name=op.f('fk_participations_cast_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_participations_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_participations_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_participations')),
    sa.UniqueConstraint('poll_id', 'member_id', name=op.f('uq_participations_poll_id_member_id'))
    )
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_participations_member_id'), ['member_id'], unique=False)

    op.create_table('poll_electors',
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('weight', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_poll_electors_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_electors_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('poll_id', 'member_id', name=op.f('pk_poll_electors'))
    )
    with op.batch_alter_table('poll_electors', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_poll_electors_member_id'), ['member_id'], unique=False)

    op.create_table('poll_options',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('label', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_poll_options_poll_id_polls'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_poll_options')),
    sa.UniqueConstraint('poll_id', 'label', name=op.f('uq_poll_options_poll_id_label')),
    sa.UniqueConstraint('poll_id', 'position', name=op.f('uq_poll_options_poll_id_position'))
    )
    op.create_table('proxies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('poll_id', sa.Integer(), nullable=False),
    sa.Column('principal_id', sa.Integer(), nullable=False),
    sa.Column('holder_id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('principal_id <> holder_id', name=op.f('ck_proxies_not_to_oneself')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_proxies_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['holder_id'], ['members.id'], name=op.f('fk_proxies_holder_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['poll_id'], ['polls.id'], name=op.f('fk_proxies_poll_id_polls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['principal_id'], ['members.id'], name=op.f('fk_proxies_principal_id_members'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_proxies'))
    )
    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_proxies_holder_id'), ['holder_id'], unique=False)
        batch_op.create_index('uq_proxies_poll_id_principal_id_in_force', ['poll_id', 'principal_id'], unique=True, sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))



def downgrade():
    with op.batch_alter_table('proxies', schema=None) as batch_op:
        batch_op.drop_index('uq_proxies_poll_id_principal_id_in_force', sqlite_where=sa.text('revoked_at IS NULL'), postgresql_where=sa.text('revoked_at IS NULL'))
        batch_op.drop_index(batch_op.f('ix_proxies_holder_id'))

    op.drop_table('proxies')
    op.drop_table('poll_options')
    with op.batch_alter_table('poll_electors', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_poll_electors_member_id'))

    op.drop_table('poll_electors')
    with op.batch_alter_table('participations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_participations_member_id'))

    op.drop_table('participations')
    with op.batch_alter_table('ballots', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_ballots_poll_id'))

    op.drop_table('ballots')
    with op.batch_alter_table('polls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_polls_subject_key'))
        batch_op.drop_index(batch_op.f('ix_polls_state'))
        batch_op.drop_index(batch_op.f('ix_polls_owner_id'))

    op.drop_table('polls')

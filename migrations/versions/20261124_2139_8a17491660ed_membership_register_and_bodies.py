"""Membership register and governing bodies: colleges, members, lifecycle events, bodies, mandates.

Starts a new register with the four default colleges and the two bodies every WISE has (the
general assembly, where every college votes, and the board). Their names stay empty so that the
portal shows them translated until an administrator renames them.

Revision ID: 8a17491660ed
Revises: e2025c2e1ddb
Create Date: 2026-11-24 21:39:48.694344+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8a17491660ed'
down_revision = 'e2025c2e1ddb'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('bodies',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('quorum_percent', sa.Integer(), nullable=False),
    sa.Column('notice_days', sa.Integer(), nullable=False),
    sa.Column('default_majority', sa.String(length=20), nullable=False),
    sa.Column('proxy_cap', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("default_majority IN ('simple', 'absolute', 'two_thirds', 'three_quarters', 'unanimity')", name=op.f('ck_bodies_known_majority')),
    sa.CheckConstraint("kind IN ('general_assembly', 'board', 'workers_council', 'committee')", name=op.f('ck_bodies_known_kind')),
    sa.CheckConstraint('notice_days BETWEEN 0 AND 365', name=op.f('ck_bodies_notice_range')),
    sa.CheckConstraint('proxy_cap BETWEEN 0 AND 20', name=op.f('ck_bodies_proxy_cap_range')),
    sa.CheckConstraint('quorum_percent BETWEEN 0 AND 100', name=op.f('ck_bodies_quorum_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bodies'))
    )
    op.create_table('member_categories',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('vote_weight', sa.Integer(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.CheckConstraint('vote_weight BETWEEN 1 AND 100', name=op.f('ck_member_categories_weight_range')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_categories')),
    sa.UniqueConstraint('code', name=op.f('uq_member_categories_code'))
    )
    op.create_table('category_bodies',
    sa.Column('category_id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_category_bodies_body_id_bodies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['category_id'], ['member_categories.id'], name=op.f('fk_category_bodies_category_id_member_categories'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('category_id', 'body_id', name=op.f('pk_category_bodies'))
    )
    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_number', sa.String(length=20), nullable=False),
    sa.Column('given_name', sa.String(length=80), nullable=False),
    sa.Column('family_name', sa.String(length=80), nullable=False),
    sa.Column('preferred_language', sa.String(length=8), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('contact_consent', sa.Boolean(), nullable=False),
    sa.Column('team', sa.String(length=80), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('security_path', sa.String(length=80), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('applied_on', sa.Date(), nullable=False),
    sa.Column('admitted_on', sa.Date(), nullable=True),
    sa.Column('ended_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("state IN ('applicant', 'active', 'suspended', 'ended')", name=op.f('ck_members_known_state')),
    sa.ForeignKeyConstraint(['category_id'], ['member_categories.id'], name=op.f('fk_members_category_id_member_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_members_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('member_number', name=op.f('uq_members_member_number')),
    sa.UniqueConstraint('user_id', name=op.f('uq_members_user_id'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_category_id'), ['category_id'], unique=False)
        batch_op.create_index('ix_members_family_name_given_name', ['family_name', 'given_name'], unique=False)
        batch_op.create_index(batch_op.f('ix_members_state'), ['state'], unique=False)

    op.create_table('mandates',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('body_id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("position IN ('chair', 'vice_chair', 'secretary', 'treasurer', 'member')", name=op.f('ck_mandates_known_position')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_mandates_ends_after_start')),
    sa.ForeignKeyConstraint(['body_id'], ['bodies.id'], name=op.f('fk_mandates_body_id_bodies'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_mandates_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_mandates_member_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_mandates'))
    )
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.create_index('ix_mandates_body_id_starts_on', ['body_id', 'starts_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_mandates_member_id'), ['member_id'], unique=False)

    op.create_table('membership_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('transition', sa.String(length=40), nullable=True),
    sa.Column('effective_on', sa.Date(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('category_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('applied', 'transition', 'category')", name=op.f('ck_membership_events_known_kind')),
    sa.CheckConstraint("state IN ('applicant', 'active', 'suspended', 'ended')", name=op.f('ck_membership_events_known_state')),
    sa.ForeignKeyConstraint(['category_id'], ['member_categories.id'], name=op.f('fk_membership_events_category_id_member_categories'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_membership_events_member_id_members'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_membership_events_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_membership_events'))
    )
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.create_index('ix_membership_events_member_id_effective_on', ['member_id', 'effective_on'], unique=False)

    categories = sa.table(
        'member_categories',
        sa.column('id', sa.Integer), sa.column('code', sa.String), sa.column('name', sa.String),
        sa.column('description', sa.String), sa.column('vote_weight', sa.Integer),
        sa.column('sort_order', sa.Integer),
    )
    op.bulk_insert(categories, [
        {'id': 1, 'code': 'worker', 'name': None, 'description': '', 'vote_weight': 1, 'sort_order': 1},
        {'id': 2, 'code': 'staff', 'name': None, 'description': '', 'vote_weight': 1, 'sort_order': 2},
        {'id': 3, 'code': 'volunteer', 'name': None, 'description': '', 'vote_weight': 1, 'sort_order': 3},
        {'id': 4, 'code': 'supporter', 'name': None, 'description': '', 'vote_weight': 1, 'sort_order': 4},
    ])
    now = sa.func.current_timestamp()
    bodies = sa.table(
        'bodies',
        sa.column('id', sa.Integer), sa.column('kind', sa.String), sa.column('name', sa.String),
        sa.column('description', sa.Text), sa.column('quorum_percent', sa.Integer),
        sa.column('notice_days', sa.Integer), sa.column('default_majority', sa.String),
        sa.column('proxy_cap', sa.Integer), sa.column('active', sa.Boolean),
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('updated_at', sa.DateTime(timezone=True)),
    )
    for row in (
        {'id': 1, 'kind': 'general_assembly', 'quorum_percent': 25, 'notice_days': 15},
        {'id': 2, 'kind': 'board', 'quorum_percent': 50, 'notice_days': 7},
    ):
        op.execute(bodies.insert().values(
            name=None, description='', default_majority='simple', proxy_cap=1, active=True,
            created_at=now, updated_at=now, **row,
        ))
    links = sa.table('category_bodies', sa.column('category_id', sa.Integer), sa.column('body_id', sa.Integer))
    op.bulk_insert(links, [{'category_id': c, 'body_id': 1} for c in (1, 2, 3, 4)])
    if op.get_bind().dialect.name == 'postgresql':
        # Rows inserted with their ids: move the sequences past them.
        op.execute("SELECT setval(pg_get_serial_sequence('member_categories', 'id'), 4)")
        op.execute("SELECT setval(pg_get_serial_sequence('bodies', 'id'), 2)")


def downgrade():
    with op.batch_alter_table('membership_events', schema=None) as batch_op:
        batch_op.drop_index('ix_membership_events_member_id_effective_on')

    op.drop_table('membership_events')
    with op.batch_alter_table('mandates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_mandates_member_id'))
        batch_op.drop_index('ix_mandates_body_id_starts_on')

    op.drop_table('mandates')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_state'))
        batch_op.drop_index('ix_members_family_name_given_name')
        batch_op.drop_index(batch_op.f('ix_members_category_id'))

    op.drop_table('members')
    op.drop_table('category_bodies')
    op.drop_table('member_categories')
    op.drop_table('bodies')

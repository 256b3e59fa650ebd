"""Integration records: pathways of members, eligibility, suspensions and extensions, the
follow-up team, goals and their history, support actions, the skills referential and
assessments, barriers, exit outcomes (the seven default categories are inserted), rectification
requests and the read journal.

`record_reads` is append-only: triggers refuse UPDATE, and DELETE except of the rows of an
anonymised record (the purge deletes them with it), on both databases (written by hand below);
the member's own reads carry no user id, and break-glass reasons live in `record_read_reasons`. `pathways.member_id` may be
NULL: an anonymised pathway is linked to nobody.

Revision ID: 8f712d491627
Revises: 4c2da0317a24
Create Date: 2026-11-25 02:56:26.020087+00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '8f712d491627'
down_revision = '4c2da0317a24'
branch_labels = None
depends_on = None


def upgrade():
    # Reviewed by hand.
    op.create_table('integration_outcomes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=80), nullable=True),
    sa.Column('positive', sa.Boolean(), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_outcomes')),
    sa.UniqueConstraint('code', name=op.f('uq_integration_outcomes_code'))
    )
    op.create_table('integration_skills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('area', sa.String(length=80), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=False),
    sa.Column('sort_order', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_integration_skills')),
    sa.UniqueConstraint('area', 'name', name=op.f('uq_integration_skills_area_name'))
    )
    op.create_table('record_reads',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.BigInteger(), nullable=True),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('by_member', sa.Boolean(), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('what', sa.String(length=60), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.CheckConstraint("kind IN ('page', 'fragment', 'pdf', 'export')", name=op.f('ck_record_reads_known_kind')),
    sa.CheckConstraint("outcome IN ('allowed', 'refused', 'break_glass')", name=op.f('ck_record_reads_known_outcome')),
    sa.CheckConstraint('NOT by_member OR user_id IS NULL', name=op.f('ck_record_reads_member_unnamed')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_record_reads_user_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_record_reads'))
    )
    with op.batch_alter_table('record_reads', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_reads_pathway_id'), ['pathway_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_record_reads_user_id'), ['user_id'], unique=False)

    op.create_table('record_read_reasons',
    sa.Column('read_id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.BigInteger(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.CheckConstraint('length(reason) > 0', name=op.f('ck_record_read_reasons_not_empty')),
    sa.ForeignKeyConstraint(['read_id'], ['record_reads.id'], name=op.f('fk_record_read_reasons_read_id_record_reads'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('read_id', name=op.f('pk_record_read_reasons'))
    )
    with op.batch_alter_table('record_read_reasons', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_record_read_reasons_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('pathways',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_id', sa.Integer(), nullable=True),
    sa.Column('entry_on', sa.Date(), nullable=False),
    sa.Column('planned_end_on', sa.Date(), nullable=True),
    sa.Column('contract_type', sa.String(length=20), nullable=False),
    sa.Column('weekly_hours', sa.Numeric(precision=4, scale=1), nullable=True),
    sa.Column('team', sa.String(length=80), nullable=False),
    sa.Column('referrer', sa.String(length=200), nullable=False),
    sa.Column('exit_on', sa.Date(), nullable=True),
    sa.Column('outcome_id', sa.Integer(), nullable=True),
    sa.Column('exit_note', sa.Text(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('purge_warned_on', sa.Date(), nullable=True),
    sa.Column('anonymised_on', sa.Date(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("contract_type IN ('integration', 'fixed_term', 'permanent', 'subsidised', 'apprenticeship', 'traineeship', 'other')", name=op.f('ck_pathways_known_contract')),
    sa.CheckConstraint('(exit_on IS NULL) = (outcome_id IS NULL)', name=op.f('ck_pathways_exit_with_outcome')),
    sa.CheckConstraint('anonymised_on IS NULL OR member_id IS NULL', name=op.f('ck_pathways_anonymised_unlinked')),
    sa.CheckConstraint('exit_on IS NULL OR exit_on >= entry_on', name=op.f('ck_pathways_exit_after_entry')),
    sa.CheckConstraint('planned_end_on IS NULL OR planned_end_on >= entry_on', name=op.f('ck_pathways_end_after_entry')),
    sa.CheckConstraint('weekly_hours IS NULL OR (weekly_hours > 0 AND weekly_hours <= 48)', name=op.f('ck_pathways_weekly_hours_range')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pathways_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['member_id'], ['members.id'], name=op.f('fk_pathways_member_id_members'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['outcome_id'], ['integration_outcomes.id'], name=op.f('fk_pathways_outcome_id_integration_outcomes'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathways'))
    )
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathways_exit_on'), ['exit_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_pathways_member_id'), ['member_id'], unique=False)

    op.create_table('pathway_assignments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('personal_data', sa.Boolean(), nullable=False),
    sa.Column('assigned_by_id', sa.Integer(), nullable=True),
    sa.Column('assigned_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("role IN ('counsellor', 'trainer')", name=op.f('ck_pathway_assignments_known_role')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_pathway_assignments_ends_after_start')),
    sa.ForeignKeyConstraint(['assigned_by_id'], ['users.id'], name=op.f('fk_pathway_assignments_assigned_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_assignments_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_pathway_assignments_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_assignments'))
    )
    with op.batch_alter_table('pathway_assignments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_assignments_pathway_id'), ['pathway_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_pathway_assignments_user_id'), ['user_id'], unique=False)

    op.create_table('pathway_barriers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('noted_on', sa.Date(), nullable=False),
    sa.Column('updated_by_id', sa.Integer(), nullable=True),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('housing', 'mobility', 'health', 'childcare', 'money', 'language', 'digital')", name=op.f('ck_pathway_barriers_known_kind')),
    sa.CheckConstraint("status IN ('present', 'working', 'solved')", name=op.f('ck_pathway_barriers_known_status')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_barriers_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['updated_by_id'], ['users.id'], name=op.f('fk_pathway_barriers_updated_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_barriers')),
    sa.UniqueConstraint('pathway_id', 'kind', name=op.f('uq_pathway_barriers_pathway_id_kind'))
    )
    with op.batch_alter_table('pathway_barriers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_barriers_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('pathway_eligibility',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('criterion', sa.String(length=30), nullable=False),
    sa.Column('detail', sa.String(length=300), nullable=False),
    sa.Column('checked_on', sa.Date(), nullable=False),
    sa.Column('expires_on', sa.Date(), nullable=True),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("criterion IN ('long_term_unemployed', 'minimum_income', 'disability', 'young_no_qualification', 'over_50', 'refugee', 'priority_area', 'justice', 'other')", name=op.f('ck_pathway_eligibility_known_criterion')),
    sa.CheckConstraint('expires_on IS NULL OR expires_on >= checked_on', name=op.f('ck_pathway_eligibility_expires_after_check')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_eligibility_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_pathway_eligibility_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_eligibility'))
    )
    with op.batch_alter_table('pathway_eligibility', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_eligibility_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('pathway_goals',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('detail', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('target_on', sa.Date(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'reached', 'dropped')", name=op.f('ck_pathway_goals_known_status')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_pathway_goals_created_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_goals_pathway_id_pathways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_goals'))
    )
    with op.batch_alter_table('pathway_goals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_goals_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('pathway_periods',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=True),
    sa.Column('previous_end_on', sa.Date(), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind <> 'extension' OR ends_on IS NOT NULL", name=op.f('ck_pathway_periods_extension_has_end')),
    sa.CheckConstraint("kind IN ('suspension', 'extension', 'reopening')", name=op.f('ck_pathway_periods_known_kind')),
    sa.CheckConstraint('ends_on IS NULL OR ends_on >= starts_on', name=op.f('ck_pathway_periods_ends_after_start')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_pathway_periods_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_pathway_periods_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_periods'))
    )
    with op.batch_alter_table('pathway_periods', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_periods_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('rectification_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('answer', sa.Text(), nullable=False),
    sa.Column('asked_by_id', sa.Integer(), nullable=True),
    sa.Column('asked_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('answered_by_id', sa.Integer(), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'open') = (answered_at IS NULL)", name=op.f('ck_rectification_requests_answered_when_closed')),
    sa.CheckConstraint("status IN ('open', 'corrected', 'refused')", name=op.f('ck_rectification_requests_known_status')),
    sa.ForeignKeyConstraint(['answered_by_id'], ['users.id'], name=op.f('fk_rectification_requests_answered_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['asked_by_id'], ['users.id'], name=op.f('fk_rectification_requests_asked_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_rectification_requests_pathway_id_pathways'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_rectification_requests'))
    )
    with op.batch_alter_table('rectification_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rectification_requests_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('skill_assessments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('skill_id', sa.Integer(), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('assessed_on', sa.Date(), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('assessed_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('level BETWEEN 1 AND 4', name=op.f('ck_skill_assessments_level_range')),
    sa.ForeignKeyConstraint(['assessed_by_id'], ['users.id'], name=op.f('fk_skill_assessments_assessed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_skill_assessments_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['skill_id'], ['integration_skills.id'], name=op.f('fk_skill_assessments_skill_id_integration_skills'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skill_assessments'))
    )
    with op.batch_alter_table('skill_assessments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skill_assessments_pathway_id'), ['pathway_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_skill_assessments_skill_id'), ['skill_id'], unique=False)

    op.create_table('support_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('pathway_id', sa.Integer(), nullable=False),
    sa.Column('happened_on', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('minutes', sa.Integer(), nullable=False),
    sa.Column('notes', sa.Text(), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('interview', 'coaching', 'training', 'paperwork', 'job_search', 'referral', 'workshop', 'other')", name=op.f('ck_support_actions_known_kind')),
    sa.CheckConstraint('minutes > 0 AND minutes <= 1440', name=op.f('ck_support_actions_minutes_range')),
    sa.ForeignKeyConstraint(['pathway_id'], ['pathways.id'], name=op.f('fk_support_actions_pathway_id_pathways'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_support_actions_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_support_actions'))
    )
    with op.batch_alter_table('support_actions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_support_actions_happened_on'), ['happened_on'], unique=False)
        batch_op.create_index(batch_op.f('ix_support_actions_pathway_id'), ['pathway_id'], unique=False)

    op.create_table('pathway_goal_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('goal_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('note', sa.String(length=500), nullable=False),
    sa.Column('changed_by_id', sa.Integer(), nullable=True),
    sa.Column('changed_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('planned', 'in_progress', 'reached', 'dropped')", name=op.f('ck_pathway_goal_events_known_status')),
    sa.ForeignKeyConstraint(['changed_by_id'], ['users.id'], name=op.f('fk_pathway_goal_events_changed_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['goal_id'], ['pathway_goals.id'], name=op.f('fk_pathway_goal_events_goal_id_pathway_goals'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pathway_goal_events'))
    )
    with op.batch_alter_table('pathway_goal_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_pathway_goal_events_goal_id'), ['goal_id'], unique=False)

    _seed_outcomes()
    _create_append_only_triggers()


def downgrade():
    # Reviewed by hand.
    _drop_append_only_triggers()
    with op.batch_alter_table('pathway_goal_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_goal_events_goal_id'))

    op.drop_table('pathway_goal_events')
    with op.batch_alter_table('support_actions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_support_actions_pathway_id'))
        batch_op.drop_index(batch_op.f('ix_support_actions_happened_on'))

    op.drop_table('support_actions')
    with op.batch_alter_table('skill_assessments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skill_assessments_skill_id'))
        batch_op.drop_index(batch_op.f('ix_skill_assessments_pathway_id'))

    op.drop_table('skill_assessments')
    with op.batch_alter_table('rectification_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rectification_requests_pathway_id'))

    op.drop_table('rectification_requests')
    with op.batch_alter_table('pathway_periods', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_periods_pathway_id'))

    op.drop_table('pathway_periods')
    with op.batch_alter_table('pathway_goals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_goals_pathway_id'))

    op.drop_table('pathway_goals')
    with op.batch_alter_table('pathway_eligibility', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_eligibility_pathway_id'))

    op.drop_table('pathway_eligibility')
    with op.batch_alter_table('pathway_barriers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_barriers_pathway_id'))

    op.drop_table('pathway_barriers')
    with op.batch_alter_table('pathway_assignments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathway_assignments_user_id'))
        batch_op.drop_index(batch_op.f('ix_pathway_assignments_pathway_id'))

    op.drop_table('pathway_assignments')
    with op.batch_alter_table('pathways', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_pathways_member_id'))
        batch_op.drop_index(batch_op.f('ix_pathways_exit_on'))

    op.drop_table('pathways')
    with op.batch_alter_table('record_read_reasons', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_read_reasons_pathway_id'))

    op.drop_table('record_read_reasons')
    with op.batch_alter_table('record_reads', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_record_reads_user_id'))
        batch_op.drop_index(batch_op.f('ix_record_reads_pathway_id'))

    op.drop_table('record_reads')
    op.drop_table('integration_skills')
    op.drop_table('integration_outcomes')


OUTCOMES = [
    # code, positive, sort order (names are the application's translated defaults)
    ("long_term_job", True, 10),
    ("short_term_job", True, 20),
    ("training", True, 30),
    ("other_structure", True, 40),
    ("job_seeking", False, 50),
    ("inactive", False, 60),
    ("unknown", False, 70),
]


def _seed_outcomes():
    table = sa.table(
        "integration_outcomes",
        sa.column("code", sa.String),
        sa.column("name", sa.String),
        sa.column("positive", sa.Boolean),
        sa.column("sort_order", sa.Integer),
        sa.column("active", sa.Boolean),
    )
    op.bulk_insert(
        table,
        [
            {"code": code, "name": None, "positive": positive, "sort_order": order, "active": True}
            for code, positive, order in OUTCOMES
        ],
    )


def _create_append_only_triggers():
    """The journal is never changed. Its rows are deleted only together with their record once
    it is anonymised (by `flask integration purge`): deleting a row of a record that is not
    anonymised is refused, and so is any UPDATE."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            """
            CREATE FUNCTION record_reads_append_only() RETURNS trigger AS $$
            BEGIN
                IF TG_OP = 'DELETE' AND EXISTS (
                    SELECT 1 FROM pathways
                    WHERE pathways.id = OLD.pathway_id AND pathways.anonymised_on IS NOT NULL
                ) THEN
                    RETURN OLD;
                END IF;
                RAISE EXCEPTION 'record_reads is append-only';
            END;
            $$ LANGUAGE plpgsql
            """
        )
        op.execute(
            "CREATE TRIGGER record_reads_no_change BEFORE UPDATE OR DELETE ON record_reads "
            "FOR EACH ROW EXECUTE FUNCTION record_reads_append_only()"
        )
        op.execute(
            "CREATE TRIGGER record_reads_no_truncate BEFORE TRUNCATE ON record_reads "
            "FOR EACH STATEMENT EXECUTE FUNCTION record_reads_append_only()"
        )
    else:
        op.execute(
            "CREATE TRIGGER record_reads_no_update BEFORE UPDATE ON record_reads "
            "BEGIN SELECT RAISE(ABORT, 'record_reads is append-only'); END"
        )
        op.execute(
            "CREATE TRIGGER record_reads_no_delete BEFORE DELETE ON record_reads "
            "WHEN NOT EXISTS (SELECT 1 FROM pathways "
            "WHERE pathways.id = OLD.pathway_id AND pathways.anonymised_on IS NOT NULL) "
            "BEGIN SELECT RAISE(ABORT, 'record_reads is append-only'); END"
        )


def _drop_append_only_triggers():
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS record_reads_no_truncate ON record_reads")
        op.execute("DROP TRIGGER IF EXISTS record_reads_no_change ON record_reads")
        op.execute("DROP FUNCTION IF EXISTS record_reads_append_only()")
    else:
        op.execute("DROP TRIGGER IF EXISTS record_reads_no_update")
        op.execute("DROP TRIGGER IF EXISTS record_reads_no_delete")

"""Programmes and sessions: the trainer's side.

Programmes (kind, outcomes on integration's skills, trainers, participants), their sessions in
half-day slots (trainers, materials), attendance per participant and slot with its signature,
corrections of signed slots with their reason, apologies, anonymous feedback (who answered is
kept apart from what was answered), evidence of the learning outcomes, roles in practice
meetings, and the alerts sent to counsellors about repeated absences.

Revision ID: 7c77c0649ff4
Revises: 4557c819e8ba
Create Date: 2026-12-06 09:10:09.296599+00:00

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "7c77c0649ff4"
down_revision = "4557c819e8ba"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("team", sa.String(length=80), nullable=False),
        sa.Column("body_id", sa.Integer(), nullable=True),
        sa.Column("planned_hours", sa.Numeric(precision=6, scale=1), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=True),
        sa.Column("funder", sa.String(length=200), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "kind IN ('socialization', 'training', 'workplace', 'citizenship')",
            name=op.f("ck_programmes_known_kind"),
        ),
        sa.CheckConstraint(
            "state IN ('planned', 'running', 'finished', 'cancelled')",
            name=op.f("ck_programmes_known_state"),
        ),
        sa.CheckConstraint(
            "ends_on IS NULL OR ends_on >= starts_on", name=op.f("ck_programmes_end_after_start")
        ),
        sa.CheckConstraint(
            "planned_hours IS NULL OR (planned_hours > 0 AND planned_hours <= 5000)",
            name=op.f("ck_programmes_planned_hours_range"),
        ),
        sa.ForeignKeyConstraint(
            ["body_id"],
            ["bodies.id"],
            name=op.f("fk_programmes_body_id_bodies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["users.id"],
            name=op.f("fk_programmes_owner_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
    )
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programmes_state"), ["state"], unique=False)

    op.create_table(
        "programme_enrolments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=10), nullable=False),
        sa.Column("enrolled_on", sa.Date(), nullable=False),
        sa.Column("enrolled_by_id", sa.Integer(), nullable=True),
        sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("withdrawn_on", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('person', 'team', 'body')",
            name=op.f("ck_programme_enrolments_known_source"),
        ),
        sa.CheckConstraint(
            "withdrawn_on IS NULL OR withdrawn_on >= enrolled_on",
            name=op.f("ck_programme_enrolments_withdrawn_after"),
        ),
        sa.ForeignKeyConstraint(
            ["enrolled_by_id"],
            ["users.id"],
            name=op.f("fk_programme_enrolments_enrolled_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_programme_enrolments_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_enrolments_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_enrolments")),
        sa.UniqueConstraint(
            "programme_id", "member_id", name=op.f("uq_programme_enrolments_programme_id_member_id")
        ),
    )
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_enrolments_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "programme_outcomes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("wording", sa.String(length=300), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_outcomes_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["integration_skills.id"],
            name=op.f("fk_programme_outcomes_skill_id_integration_skills"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_outcomes")),
        sa.UniqueConstraint(
            "programme_id", "skill_id", name=op.f("uq_programme_outcomes_programme_id_skill_id")
        ),
    )
    with op.batch_alter_table("programme_outcomes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_outcomes_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "programme_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("topic", sa.String(length=200), nullable=False),
        sa.Column("covered", sa.Text(), nullable=False),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=False),
        sa.Column("trainer_signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("trainer_signed_by_id", sa.Integer(), nullable=True),
        sa.Column("trainer_signature", sa.LargeBinary(), nullable=True),
        sa.Column("code_secret", sa.String(length=64), nullable=False),
        sa.Column("practice_poll_id", sa.Integer(), nullable=True),
        sa.Column("roll_version", sa.Integer(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_programme_sessions_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["practice_poll_id"],
            ["polls.id"],
            name=op.f("fk_programme_sessions_practice_poll_id_polls"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_sessions_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["trainer_signed_by_id"],
            ["users.id"],
            name=op.f("fk_programme_sessions_trainer_signed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_sessions")),
    )
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_sessions_day"), ["day"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_programme_sessions_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "programme_trainers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_trainers_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_programme_trainers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_trainers")),
        sa.UniqueConstraint(
            "programme_id", "user_id", name=op.f("uq_programme_trainers_programme_id_user_id")
        ),
    )
    with op.batch_alter_table("programme_trainers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_trainers_programme_id"), ["programme_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_trainers_user_id"), ["user_id"], unique=False
        )

    op.create_table(
        "programme_absence_alerts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("missed", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_programme_absence_alerts_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["programme_id"],
            ["programmes.id"],
            name=op.f("fk_programme_absence_alerts_programme_id_programmes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_programme_absence_alerts_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_absence_alerts")),
        sa.UniqueConstraint(
            "programme_id",
            "member_id",
            "session_id",
            name=op.f("uq_programme_absence_alerts_programme_id_member_id_session_id"),
        ),
    )
    with op.batch_alter_table("programme_absence_alerts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_absence_alerts_programme_id"), ["programme_id"], unique=False
        )

    op.create_table(
        "session_apologies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "reason IN ('illness', 'childcare', 'appointment', 'transport', 'work', 'other')",
            name=op.f("ck_session_apologies_known_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_apologies_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_apologies_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_apologies")),
        sa.UniqueConstraint(
            "session_id", "member_id", name=op.f("uq_session_apologies_session_id_member_id")
        ),
    )
    with op.batch_alter_table("session_apologies", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_apologies_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_apologies_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_feedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("mood", sa.String(length=10), nullable=False),
        sa.Column("sentence", sa.String(length=280), nullable=False),
        sa.CheckConstraint(
            "mood IN ('good', 'so_so', 'not_good')", name=op.f("ck_session_feedback_known_mood")
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_feedback_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_feedback")),
    )
    with op.batch_alter_table("session_feedback", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_feedback_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_feedback_given",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_feedback_given_member_id_members"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_feedback_given_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_feedback_given")),
        sa.UniqueConstraint(
            "session_id", "member_id", name=op.f("uq_session_feedback_given_session_id_member_id")
        ),
    )
    with op.batch_alter_table("session_feedback_given", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_feedback_given_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_materials",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("paper_sheet", sa.Boolean(), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("size >= 0", name=op.f("ck_session_materials_size_positive")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_materials_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uploaded_by_id"],
            ["users.id"],
            name=op.f("fk_session_materials_uploaded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_materials")),
    )
    with op.batch_alter_table("session_materials", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_materials_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_practice_roles",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("turn", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.CheckConstraint(
            "role IN ('chair', 'secretary', 'teller')",
            name=op.f("ck_session_practice_roles_known_role"),
        ),
        sa.CheckConstraint(
            "turn BETWEEN 1 AND 20", name=op.f("ck_session_practice_roles_turn_range")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_practice_roles_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_practice_roles_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_practice_roles")),
        sa.UniqueConstraint(
            "session_id",
            "turn",
            "role",
            name=op.f("uq_session_practice_roles_session_id_turn_role"),
        ),
    )
    with op.batch_alter_table("session_practice_roles", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_practice_roles_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("half", sa.String(length=10), nullable=False),
        sa.Column("starts_at", sa.Time(), nullable=False),
        sa.Column("ends_at", sa.Time(), nullable=False),
        sa.CheckConstraint(
            "half IN ('morning', 'afternoon')", name=op.f("ck_session_slots_known_half")
        ),
        sa.CheckConstraint("ends_at > starts_at", name=op.f("ck_session_slots_ends_after_start")),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_slots_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_slots")),
        sa.UniqueConstraint("session_id", "half", name=op.f("uq_session_slots_session_id_half")),
    )
    with op.batch_alter_table("session_slots", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_slots_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_trainers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_session_trainers_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_session_trainers_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_trainers")),
        sa.UniqueConstraint(
            "session_id", "user_id", name=op.f("uq_session_trainers_session_id_user_id")
        ),
    )
    with op.batch_alter_table("session_trainers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_trainers_session_id"), ["session_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_session_trainers_user_id"), ["user_id"], unique=False)

    op.create_table(
        "programme_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("skill_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=False),
        sa.Column("assessment_id", sa.Integer(), nullable=True),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "level IS NULL OR level BETWEEN 1 AND 4", name=op.f("ck_programme_evidence_level_range")
        ),
        sa.ForeignKeyConstraint(
            ["assessment_id"],
            ["skill_assessments.id"],
            name=op.f("fk_programme_evidence_assessment_id_skill_assessments"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"],
            ["users.id"],
            name=op.f("fk_programme_evidence_decided_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_programme_evidence_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["programme_sessions.id"],
            name=op.f("fk_programme_evidence_session_id_programme_sessions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["skill_id"],
            ["integration_skills.id"],
            name=op.f("fk_programme_evidence_skill_id_integration_skills"),
            ondelete="RESTRICT",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_evidence")),
        sa.UniqueConstraint(
            "session_id",
            "member_id",
            "skill_id",
            name=op.f("uq_programme_evidence_session_id_member_id_skill_id"),
        ),
    )
    with op.batch_alter_table("programme_evidence", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_programme_evidence_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_programme_evidence_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "session_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("member_id", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=True),
        sa.Column("arrived_at", sa.Time(), nullable=True),
        sa.Column("left_at", sa.Time(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("signed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("signed_on_paper", sa.Boolean(), nullable=False),
        sa.Column("signature_removed_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "status IS NULL OR status IN ('present', 'late', 'left_early', 'excused', 'absent')",
            name=op.f("ck_session_attendance_known_status"),
        ),
        sa.CheckConstraint(
            "arrived_at IS NULL OR left_at IS NULL OR left_at >= arrived_at",
            name=op.f("ck_session_attendance_left_after_arrival"),
        ),
        sa.CheckConstraint(
            "minutes >= 0 AND minutes <= 720", name=op.f("ck_session_attendance_minutes_range")
        ),
        sa.ForeignKeyConstraint(
            ["member_id"],
            ["members.id"],
            name=op.f("fk_session_attendance_member_id_members"),
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"],
            ["users.id"],
            name=op.f("fk_session_attendance_recorded_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["session_slots.id"],
            name=op.f("fk_session_attendance_slot_id_session_slots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_attendance")),
        sa.UniqueConstraint(
            "slot_id", "member_id", name=op.f("uq_session_attendance_slot_id_member_id")
        ),
    )
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_attendance_member_id"), ["member_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_session_attendance_slot_id"), ["slot_id"], unique=False
        )

    op.create_table(
        "attendance_corrections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attendance_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=500), nullable=False),
        sa.Column("before", sa.JSON(), nullable=False),
        sa.Column("after", sa.JSON(), nullable=False),
        sa.Column("changed_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["attendance_id"],
            ["session_attendance.id"],
            name=op.f("fk_attendance_corrections_attendance_id_session_attendance"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["changed_by_id"],
            ["users.id"],
            name=op.f("fk_attendance_corrections_changed_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attendance_corrections")),
    )
    with op.batch_alter_table("attendance_corrections", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_attendance_corrections_attendance_id"), ["attendance_id"], unique=False
        )


def downgrade():
    with op.batch_alter_table("attendance_corrections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attendance_corrections_attendance_id"))

    op.drop_table("attendance_corrections")
    with op.batch_alter_table("session_attendance", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_attendance_slot_id"))
        batch_op.drop_index(batch_op.f("ix_session_attendance_member_id"))

    op.drop_table("session_attendance")
    with op.batch_alter_table("programme_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_evidence_session_id"))
        batch_op.drop_index(batch_op.f("ix_programme_evidence_member_id"))

    op.drop_table("programme_evidence")
    with op.batch_alter_table("session_trainers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_trainers_user_id"))
        batch_op.drop_index(batch_op.f("ix_session_trainers_session_id"))

    op.drop_table("session_trainers")
    with op.batch_alter_table("session_slots", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_slots_session_id"))

    op.drop_table("session_slots")
    with op.batch_alter_table("session_practice_roles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_practice_roles_session_id"))

    op.drop_table("session_practice_roles")
    with op.batch_alter_table("session_materials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_materials_session_id"))

    op.drop_table("session_materials")
    with op.batch_alter_table("session_feedback_given", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_feedback_given_session_id"))

    op.drop_table("session_feedback_given")
    with op.batch_alter_table("session_feedback", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_feedback_session_id"))

    op.drop_table("session_feedback")
    with op.batch_alter_table("session_apologies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_apologies_session_id"))
        batch_op.drop_index(batch_op.f("ix_session_apologies_member_id"))

    op.drop_table("session_apologies")
    with op.batch_alter_table("programme_absence_alerts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_absence_alerts_programme_id"))

    op.drop_table("programme_absence_alerts")
    with op.batch_alter_table("programme_trainers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_trainers_user_id"))
        batch_op.drop_index(batch_op.f("ix_programme_trainers_programme_id"))

    op.drop_table("programme_trainers")
    with op.batch_alter_table("programme_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_sessions_programme_id"))
        batch_op.drop_index(batch_op.f("ix_programme_sessions_day"))

    op.drop_table("programme_sessions")
    with op.batch_alter_table("programme_outcomes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_outcomes_programme_id"))

    op.drop_table("programme_outcomes")
    with op.batch_alter_table("programme_enrolments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_programme_id"))
        batch_op.drop_index(batch_op.f("ix_programme_enrolments_member_id"))

    op.drop_table("programme_enrolments")
    with op.batch_alter_table("programmes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programmes_state"))

    op.drop_table("programmes")

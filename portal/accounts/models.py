"""Accounts: users (logins), their global roles, setup codes, reset tokens, login attempts."""

from __future__ import annotations

import secrets
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.accounts.workflow import ACCOUNT_WORKFLOW, PLAIN, WITH_RIGHTS
from portal.core.db import TimestampMixin, UTCDateTime, utcnow
from portal.core.security import GlobalRole, Securable, register_content_type
from portal.extensions import db

# The global roles are part of the security vocabulary of the core.
Role = GlobalRole


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


@register_content_type
class User(UserMixin, Securable, TimestampMixin, db.Model):
    """A login. Distinct from a member of the register: a member may have no account yet.

    Who may manage it and print its setup codes: `workflow.py` (its state follows from its roles).
    """

    __tablename__ = "users"
    content_type = "account"
    workflow = ACCOUNT_WORKFLOW
    shareable = False
    matrix_by_role = True

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(120))
    email: Mapped[str | None] = mapped_column(sa.String(254), index=True)
    password_hash: Mapped[str | None] = mapped_column(sa.String(255))
    locale: Mapped[str | None] = mapped_column(sa.String(8))
    active: Mapped[bool] = mapped_column(default=True)
    # Every session cookie carries this token; changing it ends every session at once.
    session_token: Mapped[str] = mapped_column(sa.String(64), default=new_session_token)
    password_changed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    role_grants: Mapped[list[UserRole]] = relationship(
        back_populates="user",
        cascade="all, delete-orphan",
        lazy="selectin",
        foreign_keys="UserRole.user_id",
    )

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r} roles={sorted(self.roles)}>"

    @property
    def roles(self) -> set[Role]:
        return {Role(grant.role) for grant in self.role_grants}

    def has_role(self, *roles: Role) -> bool:
        return bool(self.roles.intersection(roles))

    @hybrid_property
    def state(self) -> str:
        """ "plain" with the member role only, "with_rights" with any other role."""
        return PLAIN if self.roles <= {Role.MEMBER} else WITH_RIGHTS

    @state.inplace.expression
    @classmethod
    def _state_expression(cls) -> sa.ColumnElement[str]:
        others = cls.role_grants.any(UserRole.role != Role.MEMBER.value)
        return sa.case((others, WITH_RIGHTS), else_=PLAIN)

    @property
    def is_active(self) -> bool:  # Flask-Login: a disabled account cannot log in
        return self.active

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def end_all_sessions(self) -> None:
        self.session_token = new_session_token()


class UserRole(db.Model):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    role: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    granted_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL")
    )

    user: Mapped[User] = relationship(back_populates="role_grants", foreign_keys=[user_id])

    __table_args__ = (
        sa.CheckConstraint(
            "role IN ('member', 'board', 'trainer', 'counsellor', 'admin')", name="known_role"
        ),
    )

    def __repr__(self) -> str:
        return f"<UserRole user={self.user_id} {self.role}>"


class SetupCode(db.Model):
    """A one-time code printed for a person without e-mail, to choose their password."""

    __tablename__ = "setup_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<SetupCode {self.id} user={self.user_id} expires={self.expires_at:%Y-%m-%d}>"

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.revoked_at is None and self.expires_at > now


class PasswordResetToken(db.Model):
    """A single-use link sent by e-mail to choose a new password."""

    __tablename__ = "password_reset_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<PasswordResetToken {self.id} user={self.user_id}>"

    def usable(self, now: datetime) -> bool:
        return self.used_at is None and self.expires_at > now


class LoginAttempt(db.Model):
    """One try to log in (or to use a code). Counted in the database so all workers agree."""

    __tablename__ = "login_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(64))
    ip_address: Mapped[str] = mapped_column(sa.String(45))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    succeeded: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (
        sa.Index("ix_login_attempts_username_created_at", "username", "created_at"),
        sa.Index("ix_login_attempts_ip_address_created_at", "ip_address", "created_at"),
    )

    def __repr__(self) -> str:
        outcome = "ok" if self.succeeded else "failed"
        return f"<LoginAttempt {self.username!r} from {self.ip_address} {outcome}>"

"""Account services: create and edit accounts, log in, passwords, setup codes, resets.

Services take the acting user explicitly, never commit, and raise `DomainError` subclasses.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from portal.accounts import policies
from portal.accounts.models import (
    LoginAttempt,
    PasswordResetToken,
    Role,
    SetupCode,
    User,
    UserRole,
)
from portal.accounts.passwords import (
    hash_password,
    needs_rehash,
    password_problem,
    verify_password,
)
from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed, TooManyAttempts
from portal.core.outbox import queue_mail
from portal.extensions import db

USERNAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9._-]{1,38}[a-z0-9]$")
# No 0/O, 1/I/L, 2/Z, 5/S, 8/B: easy to read aloud and to type from paper.
SETUP_CODE_ALPHABET = "ACDEFGHJKMNPQRTUVWXY34679"
SETUP_CODE_LENGTH = 12
# Attempts that are not logins are counted under a key per address, never under a username.
SETUP_CODE_KEY = "#setup-code:"
RESET_REQUEST_KEY = "#password-reset:"


class LoginFailed(DomainError):
    status_code = 422


class Paced(TooManyAttempts):
    """A login from a busy address came sooner than the address's pace allows: it was not
    checked (nor counted); the person tries again in a few seconds."""


@dataclass(frozen=True)
class AccountData:
    username: str
    display_name: str
    email: str | None = None
    locale: str | None = None
    roles: frozenset[Role] = frozenset({Role.MEMBER})


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def normalise_username(username: str) -> str:
    return (username or "").strip().lower()


def _check_account_data(data: AccountData, user: User | None = None) -> AccountData:
    username = normalise_username(data.username)
    if not USERNAME_PATTERN.match(username):
        raise DomainError(
            _l("A username has 3 to 40 letters, digits, dots, dashes or underscores."),
            field="username",
        )
    taken = db.session.scalar(
        sa.select(User.id).where(User.username == username, User.id != (user.id if user else -1))
    )
    if taken:
        raise DomainError(
            _l("This username is already taken. Choose another one."), field="username"
        )
    display_name = " ".join((data.display_name or "").split())
    if not display_name or len(display_name) > 120:
        raise DomainError(_l("Give a name of 1 to 120 characters."), field="display_name")
    email = (data.email or "").strip() or None
    if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        raise DomainError(_l("This e-mail address is not valid."), field="email")
    roles = frozenset(Role(r) for r in data.roles)
    if not roles:
        raise DomainError(_l("Choose at least one role."), field="roles")
    return AccountData(username, display_name, email, data.locale or None, roles)


def _set_roles(actor: User | None, user: User, roles: frozenset[Role]) -> None:
    current = {grant.role: grant for grant in user.role_grants}
    for role in roles - {Role(r) for r in current}:
        user.role_grants.append(
            UserRole(role=role.value, granted_by_id=actor.id if actor else None)
        )
    for name, grant in current.items():
        if Role(name) not in roles:
            user.role_grants.remove(grant)


def _role_list(user: User) -> str:
    return ", ".join(sorted(str(r) for r in user.roles))


def _active_admin_count() -> int:
    return db.session.scalar(
        sa.select(sa.func.count(sa.distinct(User.id)))
        .join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN.value, User.active.is_(True))
    )


def create_user(
    actor: User | None,
    data: AccountData,
    password: str | None = None,
    *,
    member_policy_checked: bool = False,
) -> User:
    """Create an account. `actor` None means the command line.

    Raises NotAllowed when the actor may not manage accounts; DomainError on invalid data.
    `member_policy_checked`: the caller applied a policy of its own (the member register creates
    a plain member login for a member it may print a welcome sheet for); only the member role
    can then be given.
    """
    if member_policy_checked:
        if frozenset(data.roles) != {Role.MEMBER}:
            raise NotAllowed(_l("Only an administrator can create accounts."))
    elif actor is not None and not policies.can_manage_accounts(actor):
        raise NotAllowed(_l("Only an administrator can create accounts."))
    data = _check_account_data(data)
    user = User(
        username=data.username,
        display_name=data.display_name,
        email=data.email,
        locale=data.locale,
    )
    if password is not None:
        problem = password_problem(password, data.username)
        if problem:
            raise DomainError(problem, field="password")
        user.password_hash = hash_password(password)
        user.password_changed_at = utcnow()
    db.session.add(user)
    _set_roles(actor, user, data.roles)
    db.session.flush()
    audit.record(
        actor,
        "account.created",
        f"account {user.username} created with roles {_role_list(user)}",
        object_key=f"user:{user.id}",
        roles=_role_list(user),
    )
    return user


def update_user(actor: User, user: User, data: AccountData) -> User:
    """Change an account's details and roles.

    Raises NotAllowed for non-admins, and when the change would leave no active administrator.
    """
    if not policies.can_manage_accounts(actor):
        raise NotAllowed(_l("Only an administrator can change accounts."))
    data = _check_account_data(data, user)
    removes_admin = Role.ADMIN in user.roles and Role.ADMIN not in data.roles
    if removes_admin and user.active and _active_admin_count() <= 1:
        raise DomainError(
            _l("This is the last administrator. Name another administrator first."),
            field="roles",
        )
    roles_before = _role_list(user)
    user.username = data.username
    user.display_name = data.display_name
    user.email = data.email
    user.locale = data.locale
    _set_roles(actor, user, data.roles)
    db.session.flush()
    if _role_list(user) != roles_before:
        audit.record(
            actor,
            "account.roles_changed",
            f"roles of {user.username}: {roles_before} -> {_role_list(user)}",
            object_key=f"user:{user.id}",
            before=roles_before,
            after=_role_list(user),
        )
    else:
        audit.record(
            actor,
            "account.updated",
            f"account {user.username} updated",
            object_key=f"user:{user.id}",
        )
    return user


def set_user_active(actor: User, user: User, active: bool) -> User:
    """Enable or disable an account. Disabling ends every session of that user at once."""
    if not policies.can_manage_accounts(actor):
        raise NotAllowed(_l("Only an administrator can enable or disable accounts."))
    if not active:
        if user.id == actor.id:
            raise DomainError(_l("You cannot disable your own account."))
        if Role.ADMIN in user.roles and user.active and _active_admin_count() <= 1:
            raise DomainError(
                _l("This is the last administrator. Name another administrator first.")
            )
        user.end_all_sessions()
    user.active = active
    db.session.flush()
    audit.record(
        actor,
        "account.enabled" if active else "account.disabled",
        f"account {user.username} {'enabled' if active else 'disabled'}",
        object_key=f"user:{user.id}",
    )
    return user


def update_preferences(actor: User, locale: str | None, email: str | None) -> User:
    """A user's own language and e-mail (both optional)."""
    email = (email or "").strip() or None
    if email and (len(email) > 254 or not re.match(r"^[^@\s]+@[^@\s]+\.[^@\s]+$", email)):
        raise DomainError(_l("This e-mail address is not valid."), field="email")
    actor.locale = locale or None
    actor.email = email
    db.session.flush()
    return actor


# --- Logging in -------------------------------------------------------------------------------


def _window_start(config) -> datetime:
    return utcnow() - timedelta(seconds=config["LOGIN_WINDOW_SECONDS"])


def _serialise(*keys: str) -> None:
    """Make concurrent attempts on the same keys take turns (PostgreSQL advisory locks).

    On SQLite every write transaction already starts with BEGIN IMMEDIATE, which serialises
    them all. Keys are always locked in the same order (account, then address): no deadlock.
    """
    if db.session.get_bind().dialect.name == "postgresql":
        for key in keys:
            db.session.execute(
                sa.text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": key}
            )


def record_attempt(username: str, ip_address: str, config) -> LoginAttempt:
    """Record an attempt and decide, in the same serialised transaction, whether it is throttled.

    The caller commits right after, then checks the password with no transaction open (so
    SQLite's write lock is not held while argon2 works). Because attempts on one account or
    address are recorded and counted one at a time, the N-th attempt counts exactly N, whatever
    worker it runs in: exactly the documented number of passwords is ever checked.
    The decisions (`throttled`: the account waits; `slowed`: the address is busy; `paced`: the
    address is busy and had a password checked less than LOGIN_SLOWDOWN_SECONDS ago, so this
    attempt is not checked, and not stored either) and the candidate account are kept on the
    attempt (not stored).
    """
    ip_address = (ip_address or "-")[:45]
    if username in (SETUP_CODE_KEY, RESET_REQUEST_KEY):
        key = username + ip_address
    else:
        key = normalise_username(username)[:64] or "-"
    _serialise(f"login:{key}", f"login-ip:{ip_address}")
    attempt = LoginAttempt(username=key, ip_address=ip_address)
    if username not in (SETUP_CODE_KEY, RESET_REQUEST_KEY) and _paced(ip_address, config):
        attempt.throttled, attempt.slowed, attempt.paced = False, True, True
        attempt.candidate_id = attempt.candidate_hash = None
        return attempt
    attempt.paced = False
    db.session.add(attempt)
    db.session.flush()
    attempt.throttled = _account_over_limit(attempt, config)
    attempt.slowed = _address_over_limit(attempt, config)
    candidate = db.session.execute(
        sa.select(User.id, User.password_hash, User.active).where(User.username == key)
    ).first()
    attempt.candidate_id = candidate.id if candidate and candidate.active else None
    attempt.candidate_hash = candidate.password_hash if candidate and candidate.active else None
    return attempt


def _failures_for(key_column, key: str, config) -> int:
    last_success = (
        sa.select(sa.func.max(LoginAttempt.created_at))
        .where(key_column == key, LoginAttempt.succeeded.is_(True))
        .scalar_subquery()
    )
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            key_column == key,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at >= _window_start(config),
            sa.or_(last_success.is_(None), LoginAttempt.created_at > last_success),
        )
    )


def _account_over_limit(attempt: LoginAttempt, config) -> bool:
    # The count includes this attempt, which is not (yet) a success.
    by_user = _failures_for(LoginAttempt.username, attempt.username, config)
    return by_user > config["LOGIN_MAX_FAILURES"]


def _address_failures(ip_address: str, config) -> int:
    return db.session.scalar(
        sa.select(sa.func.count(LoginAttempt.id)).where(
            LoginAttempt.ip_address == ip_address,
            LoginAttempt.succeeded.is_(False),
            LoginAttempt.created_at >= _window_start(config),
        )
    )


def _address_over_limit(attempt: LoginAttempt, config) -> bool:
    """Too many failures from this address (this attempt included): it is slowed down, never
    locked out.

    A workplace's workers share one public address: forty people logging in for a general
    assembly must not be locked out by the typos of the room. The per-account limit still
    stops guessing on any one account; the pace (`_paced`) makes guessing over many accounts
    slow. Nothing sleeps in a worker: a try that comes too soon is answered at once.
    """
    return _address_failures(attempt.ip_address, config) > config["LOGIN_MAX_FAILURES_PER_IP"]


def _paced(ip_address: str, config) -> bool:
    """The address is busy (its failures reached the limit) and a password from it was checked
    less than LOGIN_SLOWDOWN_SECONDS ago: one check every few seconds, for the whole address."""
    seconds = config["LOGIN_SLOWDOWN_SECONDS"]
    if seconds <= 0 or _address_failures(ip_address, config) < config["LOGIN_MAX_FAILURES_PER_IP"]:
        return False
    return bool(
        db.session.scalar(
            sa.select(LoginAttempt.id)
            .where(
                LoginAttempt.ip_address == ip_address,
                LoginAttempt.created_at > utcnow() - timedelta(seconds=seconds),
            )
            .limit(1)
        )
    )


def slow_down_notice() -> str:
    """What a person is told when their address is slowed down."""
    return _(
        "Many wrong passwords were typed from this internet connection in the last minutes."
        " To keep accounts safe, passwords from it are checked a few seconds apart."
        " Your account is not blocked: you can still log in."
    )


def check_throttle(attempt: LoginAttempt, config) -> None:
    """Raise TooManyAttempts when the attempt was over a limit when it was recorded."""
    if getattr(attempt, "throttled", False):
        minutes = max(config["LOGIN_WINDOW_SECONDS"] // 60, 1)
        raise TooManyAttempts(
            _l(
                "Too many tries. For your safety, wait %(minutes)d minutes and try again,"
                " or ask your counsellor for help.",
                minutes=minutes,
            ),
            retry_after=config["LOGIN_WINDOW_SECONDS"],
        )


def authenticate(attempt: LoginAttempt, password: str, config) -> User:
    """Check the password for a recorded attempt.

    The password is checked against the hash read when the attempt was recorded, before any
    new database statement, so no transaction is open meanwhile when the caller has committed.
    Raises TooManyAttempts when the account is throttled (the password is then not even
    checked), LoginFailed when the username or password is wrong or the account is disabled.
    From a busy address (too many failures), passwords are checked a few seconds apart: one that
    comes too soon raises Paced (try again in a few seconds); a right password is never refused
    for longer than that because of the address.
    """
    check_throttle(attempt, config)
    if getattr(attempt, "paced", False):
        seconds = config["LOGIN_SLOWDOWN_SECONDS"]
        wait = ngettext(
            "Wait %(num)d second, then try again.", "Wait %(num)d seconds, then try again.", seconds
        )
        raise Paced(f"{wait} {slow_down_notice()}", retry_after=seconds)
    valid = verify_password(attempt.candidate_hash, password)
    user = db.session.get(User, attempt.candidate_id) if valid and attempt.candidate_id else None
    if user is None or not user.active:
        message = _("Wrong username or password. Check them and try again.")
        if getattr(attempt, "slowed", False):
            message = f"{message} {slow_down_notice()}"
        raise LoginFailed(message)
    attempt.succeeded = True
    user.last_login_at = utcnow()
    audit.record(user, "auth.login", f"{user.username} logged in", object_key=f"user:{user.id}")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    db.session.flush()
    return user


def logout_everywhere(user: User) -> None:
    """End every session of this user (the cookie of each session carries the old token)."""
    user.end_all_sessions()
    audit.record(
        user, "auth.logout", f"{user.username} logged out everywhere", object_key=f"user:{user.id}"
    )
    db.session.flush()


def record_throttled(attempt: LoginAttempt) -> None:
    """Audit an attempt refused by throttling."""
    audit.record(None, "auth.throttled", f"throttled: {attempt.username}", key=attempt.username)


def record_failed_login(attempt: LoginAttempt) -> None:
    """Audit a refused password (the attempt row itself is already committed)."""
    audit.record(
        None, "auth.login_failed", f"failed login for {attempt.username}", username=attempt.username
    )


def _set_password(user: User, new_password: str, confirm: str) -> None:
    if new_password != confirm:
        raise DomainError(_l("The two passwords are not the same."), field="confirm")
    problem = password_problem(new_password, user.username)
    if problem:
        raise DomainError(problem, field="new_password")
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    user.end_all_sessions()


def change_password(actor: User, current: str, new_password: str, confirm: str) -> User:
    """Change one's own password; every other session of the user ends."""
    if not verify_password(actor.password_hash, current):
        raise DomainError(_l("Your current password is not right."), field="current_password")
    _set_password(actor, new_password, confirm)
    audit.record(
        actor,
        "auth.password_changed",
        f"{actor.username} changed their password",
        object_key=f"user:{actor.id}",
    )
    db.session.flush()
    return actor


# --- Setup codes ------------------------------------------------------------------------------


def _new_setup_code() -> str:
    return "".join(secrets.choice(SETUP_CODE_ALPHABET) for _ in range(SETUP_CODE_LENGTH))


def format_setup_code(code: str) -> str:
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def normalise_setup_code(text: str) -> str:
    return re.sub(r"[\s-]", "", (text or "").upper())


def issue_setup_code(
    actor: User, user: User, config, *, policy_checked: bool = False
) -> tuple[SetupCode, str]:
    """Issue a one-time setup code for `user`; earlier unused codes stop working.

    Returns the stored code and the plain code (shown once, on the printed sheet).
    Raises NotAllowed when the actor may not issue a code for this user. `policy_checked`: the
    caller applied a policy of its own (the member register's welcome sheet does).
    """
    if not policy_checked and not policies.can_issue_setup_code(actor, user):
        raise NotAllowed(_l("You cannot print a setup code for this account."))
    if not user.active:
        raise DomainError(_l("This account is disabled. Enable it first."))
    now = utcnow()
    db.session.execute(
        sa.update(SetupCode)
        .where(
            SetupCode.user_id == user.id,
            SetupCode.used_at.is_(None),
            SetupCode.revoked_at.is_(None),
        )
        .values(revoked_at=now)
    )
    plain = _new_setup_code()
    code = SetupCode(
        user_id=user.id,
        code_hash=_digest(plain),
        issued_by_id=actor.id,
        expires_at=now + timedelta(days=config["SETUP_CODE_VALID_DAYS"]),
    )
    db.session.add(code)
    db.session.flush()
    audit.record(
        actor,
        "export.setup_code",
        f"setup code sheet printed for {user.username}",
        object_key=f"user:{user.id}",
        expires_at=code.expires_at.isoformat(),
    )
    return code, plain


def find_setup_code(plain: str) -> SetupCode | None:
    """The usable code matching this text, or None."""
    normalised = normalise_setup_code(plain)
    if len(normalised) != SETUP_CODE_LENGTH:
        return None
    code = db.session.scalar(sa.select(SetupCode).where(SetupCode.code_hash == _digest(normalised)))
    if code is None or not code.usable(utcnow()) or not code.user.active:
        return None
    return code


def redeem_setup_code(
    attempt: LoginAttempt, plain: str, new_password: str, confirm: str, config
) -> User:
    """Use a setup code to choose a password. The code then stops working.

    Raises TooManyAttempts after too many wrong codes from one address, DomainError when the
    code is unknown, used or expired, or the password is refused.
    """
    check_throttle(attempt, config)
    code = find_setup_code(plain)
    if code is None:
        raise DomainError(
            _l("This code does not work. It may be used or too old. Ask for a new code."),
            field="code",
        )
    _set_password(code.user, new_password, confirm)
    code.used_at = utcnow()
    attempt.succeeded = True
    audit.record(
        code.user,
        "auth.setup_code_used",
        f"{code.user.username} chose a password with a setup code",
        object_key=f"user:{code.user_id}",
    )
    db.session.flush()
    return code.user


# --- Password reset by e-mail -----------------------------------------------------------------


def request_password_reset(attempt: LoginAttempt, identifier: str, reset_url_for, config) -> int:
    """Queue a reset link to every active account with this username or e-mail.

    Always behaves the same whether or not an account matches, so it reveals nothing.
    `reset_url_for(token)` builds the absolute link. Returns the number of messages queued.
    """
    check_throttle(attempt, config)
    identifier = (identifier or "").strip()
    if not identifier:
        raise DomainError(_l("Write your username or your e-mail address."), field="identifier")
    users = db.session.scalars(
        sa.select(User).where(
            User.active.is_(True),
            User.email.is_not(None),
            sa.or_(
                User.username == normalise_username(identifier),
                sa.func.lower(User.email) == identifier.lower(),
            ),
        )
    ).all()
    now = utcnow()
    for user in users:
        token = secrets.token_urlsafe(32)
        db.session.add(
            PasswordResetToken(
                user_id=user.id,
                token_hash=_digest(token),
                expires_at=now + timedelta(minutes=config["PASSWORD_RESET_VALID_MINUTES"]),
            )
        )
        with force_locale(user.locale or config["BABEL_DEFAULT_LOCALE"]):
            subject = _("Choose a new password for %(portal)s", portal=config["PORTAL_NAME"])
            body = _(
                "Hello %(name)s,\n\n"
                'Someone asked to change the password of your account "%(username)s".\n'
                "To choose a new password, open this link within %(minutes)d minutes:\n\n"
                "%(link)s\n\n"
                "If you did not ask for this, you can ignore this message."
                " Your password stays the same.\n",
                name=user.display_name,
                username=user.username,
                minutes=config["PASSWORD_RESET_VALID_MINUTES"],
                link=reset_url_for(token),
            )
        queue_mail(user.email, subject, body)
    db.session.flush()
    return len(users)


def find_reset_token(token: str) -> PasswordResetToken | None:
    if not token or len(token) > 100:
        return None
    found = db.session.scalar(
        sa.select(PasswordResetToken).where(PasswordResetToken.token_hash == _digest(token))
    )
    if found is None or not found.usable(utcnow()) or not found.user.active:
        return None
    return found


def reset_password(token: str, new_password: str, confirm: str) -> User:
    """Choose a new password with a reset link; the link then stops working.

    Raises DomainError when the link is unknown, used or expired, or the password is refused.
    """
    found = find_reset_token(token)
    if found is None:
        raise DomainError(_l("This link does not work any more. Ask for a new one."))
    _set_password(found.user, new_password, confirm)
    found.used_at = utcnow()
    audit.record(
        found.user,
        "auth.password_reset",
        f"{found.user.username} reset their password by e-mail",
        object_key=f"user:{found.user_id}",
    )
    db.session.execute(
        sa.update(PasswordResetToken)
        .where(PasswordResetToken.user_id == found.user_id, PasswordResetToken.used_at.is_(None))
        .values(used_at=found.used_at)
    )
    db.session.flush()
    return found.user

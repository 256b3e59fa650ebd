"""Account pages: log in and out, passwords, setup codes, preferences, account management."""

from __future__ import annotations

import sqlalchemy as sa
from flask import abort, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from portal.accounts import bp, policies, services
from portal.accounts.forms import (
    AccountForm,
    ConfirmForm,
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    PasswordChangeForm,
    PreferencesForm,
    SetupCodeForm,
)
from portal.accounts.models import Role, User
from portal.accounts.pdf import setup_sheet_pdf
from portal.core.errors import DomainError, TooManyAttempts
from portal.core.htmx import hx_redirect, is_htmx, render
from portal.core.lifecycle import FORM_STATUSES, REFUSED, attempt, keep_even_if_refused
from portal.core.paging import paginate
from portal.core.urls import public_url, safe_next
from portal.core.viewhelpers import acting_user, form_error, int_arg, like_pattern, row_or_404
from portal.extensions import db, login_manager

PAGE_SIZE = 25


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Server-side session check: the cookie's token must match the user's current token."""
    user_id, _sep, token = (session_id or "").partition(":")
    if not user_id.isdigit() or not token:
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_token != token:
        return None
    return user


def _client_ip() -> str:
    return request.remote_addr or "-"


def _record_attempt(key: str):
    """Record and count a login (or setup code, or reset request) attempt, and store it now.

    The one commit in the views, on purpose (the lifecycle cannot do it): the attempt must be
    stored, and its account's and address's counts released to the other workers, BEFORE the
    password is checked. Stored after the check (keep_even_if_refused), parallel attempts would
    each count without the others and more than the documented number of passwords would be
    tried (QUALITY.md R13); kept open during the check, SQLite's write lock would be held while
    argon2 works, and everyone's writes would queue behind each login.
    """
    login_try = services.record_attempt(key, _client_ip(), current_app.config)
    db.session.commit()
    return login_try


def _start_session(user: User) -> None:
    session.clear()  # a fresh session (and CSRF token) after logging in: no session fixation
    login_user(user)
    session.permanent = True
    if user.locale:
        session["locale"] = user.locale


# --- Log in and out ---------------------------------------------------------------------------


@bp.route("/login", methods=["GET", "POST"])
def login():
    next_url = safe_next(request.values.get("next"), url_for("home.index"))
    if current_user.is_authenticated:
        return redirect(next_url)
    form = LoginForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            login_try = _record_attempt(form.username.data)
            # Not through attempt(): its savepoint would open a transaction (and, on SQLite,
            # take the write lock) before argon2 checks the password.
            try:
                user = services.authenticate(login_try, form.password.data, current_app.config)
            except services.Paced as error:  # a busy address: checked a few seconds apart
                form_error(form, error)
                # 429; to htmx a 422, the status it swaps in (htmx leaves other 4xx unshown)
                response = _login_page(form, next_url, 422 if is_htmx() else 429)
                response.headers["Retry-After"] = str(error.retry_after)
                return response
            except TooManyAttempts:
                keep_even_if_refused(lambda: services.record_throttled(login_try))
                raise
            except services.LoginFailed as error:
                keep_even_if_refused(lambda: services.record_failed_login(login_try))
                form_error(form, error)
            else:
                _start_session(user)
                current_app.logger.info("User %s logged in", user.id)
                return hx_redirect(next_url)
    return _login_page(form, next_url, status)


def _login_page(form, next_url: str, status: int):
    return render(
        "accounts/login.html",
        fragment="accounts/_login_form.html",
        status=status,
        form=form,
        next_url=next_url,
    )


@bp.route("/logout", methods=["POST"])
def logout():
    if current_user.is_authenticated:
        services.logout_everywhere(acting_user())
    locale = session.get("locale") or getattr(current_user, "locale", None)
    logout_user()
    session.clear()
    if locale:  # the person keeps their language on the way out
        session["locale"] = locale
    flash(_("You are logged out. See you soon."), "success")
    return hx_redirect(url_for("accounts.login"))


# --- Own account ------------------------------------------------------------------------------


@bp.route("/account", methods=["GET", "POST"])
@login_required
def account():
    form = PreferencesForm(obj=current_user if request.method == "GET" else None)
    if request.method == "GET":
        form.locale.data = current_user.locale or ""
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            done = attempt(
                form, services.update_preferences, acting_user(), form.locale.data, form.email.data
            )
            if done is not REFUSED:
                session["locale"] = current_user.locale
                flash(_("Your choices are saved."), "success")
                return redirect(url_for("accounts.account"))
    return render("accounts/account.html", status=status, form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password():
    form = PasswordChangeForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            user = attempt(
                form,
                services.change_password,
                acting_user(),
                form.current_password.data,
                form.new_password.data,
                form.confirm.data,
            )
            if user is not REFUSED:
                _start_session(user)  # this device stays logged in; every other one is out
                flash(
                    _("Your password is changed. You are logged out on your other devices."),
                    "success",
                )
                return redirect(url_for("accounts.account"))
    return render("accounts/password.html", status=status, form=form)


# --- Setup codes and password reset -----------------------------------------------------------


@bp.route("/setup", methods=["GET", "POST"])
def redeem_setup_code():
    form = SetupCodeForm()
    if request.method == "GET" and request.args.get("code"):
        form.code.data = request.args["code"][:40]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            code_try = _record_attempt(services.SETUP_CODE_KEY)
            try:
                user = attempt(
                    form,
                    services.redeem_setup_code,
                    code_try,
                    form.code.data,
                    form.new_password.data,
                    form.confirm.data,
                    current_app.config,
                )
            except TooManyAttempts:
                keep_even_if_refused(lambda: services.record_throttled(code_try))
                raise
            if user is not REFUSED:
                _start_session(user)
                flash(
                    _(
                        "Welcome, %(name)s! Your password is ready. You are logged in.",
                        name=user.display_name,
                    ),
                    "success",
                )
                return redirect(url_for("home.index"))
    return render("accounts/setup.html", status=status, form=form)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    form = ForgotPasswordForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            reset_try = _record_attempt(services.RESET_REQUEST_KEY)
            queued = attempt(
                form,
                services.request_password_reset,
                reset_try,
                form.identifier.data,
                # Never from the request's Host header: see core.urls.public_base_url.
                lambda token: public_url("accounts.reset_password", token=token),
                current_app.config,
            )
            if queued is not REFUSED:
                return render("accounts/forgot_sent.html")
    return render("accounts/forgot.html", status=status, form=form)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token: str):
    if services.find_reset_token(token) is None:
        return render("accounts/reset_invalid.html", status=404)
    form = NewPasswordForm()
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            done = attempt(
                form, services.reset_password, token, form.new_password.data, form.confirm.data
            )
            if done is not REFUSED:
                flash(_("Your password is changed. You can log in now."), "success")
                return redirect(url_for("accounts.login"))
    return render("accounts/reset.html", status=status, form=form, token=token)


# --- Managing accounts (administrators; setup codes also counsellors) -------------------------


def _require(allowed: bool) -> None:
    if not allowed:
        abort(403)


def _user_or_404(user_id: int) -> User:
    return row_or_404(User, user_id)


def _account_query(search: str, role: str | None):
    query = sa.select(User)
    if search:
        like = like_pattern(search)
        query = query.where(
            sa.or_(
                User.username.like(like, escape="\\"),
                sa.func.lower(User.display_name).like(like, escape="\\"),
                sa.func.lower(User.email).like(like, escape="\\"),
            )
        )
    if role:
        query = query.where(User.role_grants.any(role=role))
    return query


def _paginate(query):
    page = paginate(query, int_arg("page"), PAGE_SIZE, sa.func.lower(User.display_name), User.id)
    return page.items, page.number, page.pages, page.total


@bp.route("/accounts")
@login_required
def list_accounts():
    _require(policies.can_manage_accounts(current_user))
    search = request.args.get("q", "").strip()[:100]
    role = request.args.get("role", "")
    role = role if role in {r.value for r in Role} else None
    users, page, pages, total = _paginate(_account_query(search, role))
    return render(
        "accounts/manage/index.html",
        fragment="accounts/manage/_results.html",
        users=users,
        page=page,
        pages=pages,
        total=total,
        search=search,
        role=role,
    )


@bp.route("/accounts/new", methods=["GET", "POST"])
@login_required
def create_account():
    _require(policies.can_manage_accounts(current_user))
    form = AccountForm()
    if request.method == "GET":
        form.roles.data = [Role.MEMBER.value]
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            user = attempt(form, services.create_user, acting_user(), _account_data(form))
            if user is not REFUSED:
                flash(
                    _(
                        "The account of %(name)s is created. Print a setup code so they can choose a password.",
                        name=user.display_name,
                    ),
                    "success",
                )
                return redirect(url_for("accounts.edit_account", user_id=user.id))
    return render("accounts/manage/edit.html", status=status, form=form, user=None)


def _account_data(form: AccountForm) -> services.AccountData:
    return services.AccountData(
        username=form.username.data,
        display_name=form.display_name.data,
        email=form.email.data,
        locale=form.locale.data,
        roles=frozenset(Role(r) for r in form.roles.data),
    )


@bp.route("/accounts/<int:user_id>", methods=["GET", "POST"])
@login_required
def edit_account(user_id: int):
    _require(policies.can_manage_accounts(current_user))  # first: 403 says nothing about the id
    user = _user_or_404(user_id)
    form = AccountForm(obj=user if request.method == "GET" else None)
    if request.method == "GET":
        form.roles.data = sorted(r.value for r in user.roles)
        form.locale.data = user.locale or ""
    status = 200
    if form.is_submitted():
        status = 422
        if form.validate():
            done = attempt(form, services.update_user, acting_user(), user, _account_data(form))
            if done is not REFUSED:
                flash(_("The changes are saved."), "success")
                return redirect(url_for("accounts.edit_account", user_id=user.id))
    return render(
        "accounts/manage/edit.html", status=status, form=form, user=user, confirm_form=ConfirmForm()
    )


@bp.route("/accounts/<int:user_id>/disable", methods=["POST"])
@login_required
def disable_account(user_id: int):
    return _set_active(user_id, False)


@bp.route("/accounts/<int:user_id>/enable", methods=["POST"])
@login_required
def enable_account(user_id: int):
    return _set_active(user_id, True)


def _set_active(user_id: int, active: bool):
    _require(policies.can_manage_accounts(current_user))
    user = _user_or_404(user_id)
    try:
        # In a savepoint: a refusal keeps nothing of the call, though the redirect commits.
        attempt(None, services.set_user_active, acting_user(), user, active)
    except DomainError as error:
        if error.status_code not in FORM_STATUSES:
            raise
        flash(str(error.message), "error")
    else:
        if active:
            flash(_("The account of %(name)s is enabled.", name=user.display_name), "success")
        else:
            flash(
                _(
                    "The account of %(name)s is disabled. All their sessions are ended.",
                    name=user.display_name,
                ),
                "success",
            )
    return redirect(url_for("accounts.edit_account", user_id=user.id))


@bp.route("/setup-codes")
@login_required
def list_setup_codes():
    _require(policies.can_issue_setup_codes(current_user))
    search = request.args.get("q", "").strip()[:100]
    # Counsellors see plain member accounts only (see policies.can_issue_setup_code).
    query = _account_query(search, None).where(
        User.active.is_(True), policies.setup_code_accounts_clause(current_user)
    )
    users, page, pages, total = _paginate(query)
    return render(
        "accounts/setup_codes.html",
        fragment="accounts/_setup_code_results.html",
        users=users,
        page=page,
        pages=pages,
        total=total,
        search=search,
        confirm_form=ConfirmForm(),
    )


@bp.route("/accounts/<int:user_id>/setup-code", methods=["POST"])
@login_required
def issue_setup_code(user_id: int):
    _require(policies.can_issue_setup_codes(current_user))
    user = _user_or_404(user_id)
    _require(policies.can_issue_setup_code(current_user, user))
    form = ConfirmForm()
    if not form.validate():
        abort(400)
    try:
        # In a savepoint: a refusal keeps nothing of the call, though the redirect commits.
        code, plain = attempt(
            None, services.issue_setup_code, acting_user(), user, current_app.config
        )
    except DomainError as error:
        if error.status_code not in FORM_STATUSES:
            raise
        flash(str(error.message), "error")
        return redirect(url_for("accounts.list_setup_codes"))
    # The code is kept only once the sheet exists (the lifecycle commits after the response):
    # a failed PDF leaves no orphan code.
    pdf = setup_sheet_pdf(user, code, plain, public_url("accounts.redeem_setup_code"))
    current_app.logger.info("User %s printed a setup code for user %s", current_user.id, user.id)
    response = current_app.response_class(pdf, mimetype="application/pdf")
    response.headers["Content-Disposition"] = (
        f'attachment; filename="setup-code-{user.username}.pdf"'
    )
    return response

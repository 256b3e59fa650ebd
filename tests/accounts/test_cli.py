"""Command line: `flask portal create-user` and `flask portal demo`."""

from __future__ import annotations

import sqlalchemy as sa

from portal.accounts.models import Role, User
from portal.accounts.passwords import verify_password
from portal.demo import DEMO_LOGINS, DEMO_PASSWORD, PEOPLE


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["portal", *args], input=input)


def user_named(db, username):
    return db.session.scalar(sa.select(User).where(User.username == username))


def test_create_user_with_password_and_roles(app, db):
    result = run(
        app,
        "create-user",
        "Chair.Person",
        "--role",
        "member",
        "--role",
        "board",
        "--password",
        "a good long phrase",
        "--name",
        "Chair Person",
    )
    assert result.exit_code == 0, result.output
    user = user_named(db, "chair.person")
    assert user.roles == {Role.MEMBER, Role.BOARD}
    assert user.display_name == "Chair Person"
    assert verify_password(user.password_hash, "a good long phrase")


def test_create_user_prompts_for_the_password(app, db):
    result = run(
        app,
        "create-user",
        "prompted",
        "--role",
        "admin",
        input="typed long phrase\ntyped long phrase\n",
    )
    assert result.exit_code == 0, result.output
    assert "typed long phrase" not in result.output
    assert verify_password(user_named(db, "prompted").password_hash, "typed long phrase")


def test_create_user_refuses_bad_input(app, db):
    assert run(app, "create-user", "weak", "--password", "password").exit_code != 0
    assert user_named(db, "weak") is None
    result = run(
        app, "create-user", "someone", "--role", "king", "--password", "a good long phrase"
    )
    assert result.exit_code != 0 and "king" in result.output
    run(app, "create-user", "twice", "--password", "a good long phrase")
    result = run(app, "create-user", "twice", "--password", "a good long phrase")
    assert result.exit_code != 0 and "already taken" in result.output


def test_demo_creates_a_believable_wise_once(app, db):
    result = run(app, "demo", "--if-empty")
    assert result.exit_code == 0, result.output
    users = db.session.scalars(sa.select(User)).all()
    assert len(users) == len(PEOPLE) >= 40
    assert sum(1 for u in users if u.email is None) >= 10
    assert sum(1 for u in users if not u.has_password) >= 1
    for role in Role:
        assert any(role in u.roles for u in users), role
    assert {u.locale for u in users} == {"en", "fr"}
    for username, _what in DEMO_LOGINS:
        assert username in result.output
        assert verify_password(user_named(db, username).password_hash, DEMO_PASSWORD)
    again = run(app, "demo", "--if-empty")
    assert "already has accounts" in again.output
    assert "admin" in again.output  # the logins are printed again for `make run`
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == len(PEOPLE)

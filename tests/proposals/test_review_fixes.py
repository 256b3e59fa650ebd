"""Inputs that used to give a 500, and forms that must come back fresh after another POST."""

from __future__ import annotations

import re

from tests.conftest import csrf_token
from tests.factories import PASSWORD
from tests.factories_members import board_user, member_user
from tests.factories_proposals import make_proposal

HX = {"HX-Request": "true"}


def login(app, user):
    client = app.test_client()
    response = client.post(
        "/login",
        data={"username": user.username, "password": PASSWORD,
              "csrf_token": csrf_token(client, "/login")},
    )  # fmt: skip
    assert response.status_code == 303
    return client


def test_a_huge_version_on_the_change_form_is_a_clear_refusal(app, client, db):
    proposal = make_proposal(member_user(), state="submitted")
    client = login(app, member_user())
    response = client.post(
        f"/proposals/{proposal.id}/amendments/new",
        data={"field": "summary", "version": "1" + "0" * 20, "text": "Shorter.",
              "csrf_token": csrf_token(client, f"/proposals/{proposal.id}")},
    )  # fmt: skip
    assert response.status_code == 422
    assert "Reload the page and try again." in response.get_data(as_text=True)


def test_digits_that_are_not_ascii_are_not_ids(app, client, db):
    board = board_user()
    client = login(app, board)
    token = csrf_token(client, "/polls/new")
    for value in ("²", "①", "9" * 5000):
        response = client.post(
            "/polls/new",
            data={"title": "Delegates", "body_id": value, "method": "single",
                  "options": "A\nB", "majority": "simple", "seats": "1",
                  "candidates": value, "csrf_token": token},
        )  # fmt: skip
        assert response.status_code == 422, value
    assert client.get("/proposals/?page=²").status_code == 200


def test_the_secret_box_is_ticked_again_after_another_sections_post(app, client, db):
    proposal = make_proposal(member_user(), state="submitted")
    client = login(app, board_user())
    token = csrf_token(client, f"/proposals/{proposal.id}")
    response = client.post(
        f"/proposals/{proposal.id}/answer",
        data={"answer": "x" * 6000, "csrf_token": token},
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    secret = re.search(r'<input[^>]*name="secret"[^>]*>', page)
    assert secret is not None and "checked" in secret.group(0)

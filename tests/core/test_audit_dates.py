"""The audit log's date filters: a date out of range or malformed is said, never a 500."""

from __future__ import annotations

import pytest

from portal.core import audit
from portal.extensions import db

HX = {"HX-Request": "true"}
PROBLEM = "is not right, so it is not used"


@pytest.mark.parametrize(
    "query",
    [
        "until=9999-12-31",  # the day after it overflows: was a 500 (OverflowError)
        "since=9999-12-31",
        "since=0001-01-01",
        "until=0001-01-01",
        "since=2026-02-30",
        "until=31/12/2026",
        "since=1899-12-31&until=3000-01-01",
    ],
)
def test_a_date_the_filter_cannot_use_is_said_plainly(client, login_as, admin, query):
    login_as(admin)
    audit.record(None, "test.dated", "an entry to find")
    db.session.flush()
    for headers in ({}, HX):
        response = client.get("/audit?" + query, headers=headers)
        assert response.status_code == 422, response.status_code
        html = response.get_data(as_text=True)
        assert PROBLEM in html
        assert "between the years 1900 and 2999" in html
        assert "an entry to find" in html  # the unusable date is left out of the filter


def test_the_message_is_translated(client, login_as, admin):
    login_as(admin)
    client.post("/language", data={"locale": "fr", "csrf_token": _token(client)})
    html = client.get("/audit?until=9999-12-31").get_data(as_text=True)
    assert PROBLEM not in html
    assert "pas juste, elle" in html  # needs the compiled catalogue (the lead recompiles)


def test_dates_at_the_edges_of_the_range_work(client, login_as, admin):
    login_as(admin)
    html = client.get("/audit?since=1900-01-01&until=2999-12-31").get_data(as_text=True)
    assert PROBLEM not in html


def _token(client) -> str:
    from tests.conftest import csrf_token

    return csrf_token(client, "/")

"""The suite's fixtures (tests/conftest.py) on top of pytest-flask: what every other test relies on."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask import g, has_request_context

from portal.extensions import db as _db
from tests.conftest import IsolatedClient


def test_tests_run_outside_any_request(app, db):
    # pytest-flask's autouse request context is switched off: per-request caches stay per call.
    assert not has_request_context()


def test_the_client_is_isolated_and_inside_the_test_transaction(app, client):
    """Asking only for `client` also gives the rolled-back transaction; `app.test_client()`
    makes more clients of the same class."""
    assert isinstance(client, IsolatedClient)
    assert isinstance(app.test_client(), IsolatedClient)
    assert isinstance(_db._app_engines[app][None], sa.Connection)  # the test's connection


def test_requests_have_their_own_context_and_keep_none(app, client, db):
    g.marker = "the test's g"
    for _ in range(2):  # a second request must not trip over what the first left behind
        assert client.get("/login").status_code == 200
        assert not has_request_context()  # pytest-flask's `with client` preserves nothing
    assert g.marker == "the test's g"  # the requests had a `g` of their own


@pytest.mark.options(login_max_failures_per_ip=5)
def test_the_options_marker_sets_the_configuration(config):
    assert config["LOGIN_MAX_FAILURES_PER_IP"] == 5

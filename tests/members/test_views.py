"""The register in the browser's terms: directory, register, a member's page, lifecycle,
preferences, accounts, welcome sheet, bodies, mandates and colleges."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import SetupCode
from portal.core.audit import AuditEntry
from portal.core.db import local_today
from portal.extensions import db
from portal.members import bodies
from portal.members.models import Body, Mandate, Member, MemberCategory, MembershipEvent
from tests.conftest import csrf_token
from tests.factories_members import (
    board_user,
    category,
    counsellor_user,
    general_assembly,
    make_mandate,
    make_member,
    member_user,
    member_with_login,
    membership_step,
)

ADMITTED = date(2025, 2, 3)


def post(client, path, data, **headers):
    return client.post(path, data={"csrf_token": csrf_token(client, "/"), **data}, headers=headers)


def relogin(client, login_as, user):
    """Log out the current user, then log in as `user`."""
    assert post(client, "/logout", {}).status_code in (302, 303)
    login_as(user)


def audit_actions() -> list[str]:
    return list(db.session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


# --- directory and profiles --------------------------------------------------------------------


def test_directory_lists_active_members_with_team_and_positions_only(client, login_as):
    ada = make_member(given="Ada", family="Lovelace", team="Kitchen", admitted_on=ADMITTED)
    make_mandate(ada, position="chair", starts_on=date(2025, 3, 1))
    make_member(given="Applicant", family="Waiting")
    suspended = make_member(given="Paused", family="Person", admitted_on=ADMITTED)
    membership_step(suspended, "suspend", on=date(2025, 5, 1))
    make_member(
        given="Secret",
        family="Phone",
        admitted_on=ADMITTED,
        phone="+33 6 11 22 33 44",
        email="secret@example.org",
    )
    make_member(
        given="Open",
        family="Phone",
        admitted_on=ADMITTED,
        phone="+33 6 55 66 77 88",
        contact_consent=True,
    )
    login_as(member_user())
    page = client.get("/members/").get_data(as_text=True)
    assert "Ada Lovelace" in page and "Kitchen" in page and "Chair" in page
    assert "Waiting" not in page and "Paused" not in page
    assert "+33 6 55 66 77 88" in page  # consented
    assert "+33 6 11 22 33 44" not in page and "secret@example.org" not in page


def test_directory_search_and_htmx_fragment(client, login_as):
    make_member(given="Zélie", family="Durand", team="Furniture", admitted_on=ADMITTED)
    make_member(given="Bob", family="Martin", team="Kitchen", admitted_on=ADMITTED)
    login_as(member_user())
    response = client.get("/members/?q=zelie", headers={"HX-Request": "true"})
    fragment = response.get_data(as_text=True)
    assert response.status_code == 200 and "<html" not in fragment
    assert "Bob" not in fragment
    response = client.get("/members/?q=Furn")
    assert "Zélie Durand" in response.get_data(as_text=True)
    assert "Bob Martin" not in response.get_data(as_text=True)


def test_profile_shows_register_data_only_to_keepers_and_self(client, login_as):
    ada = member_with_login(given="Ada", family="Byron", email="ada@example.org", team="Office")
    other = member_user()
    login_as(other)
    page = client.get(f"/members/{ada.id}").get_data(as_text=True)
    assert "Ada Byron" in page and "Office" in page
    assert ada.member_number not in page and "ada@example.org" not in page
    assert "Membership history" not in page
    relogin(client, login_as, ada.user)
    page = client.get(f"/members/{ada.id}").get_data(as_text=True)
    assert ada.member_number in page and "ada@example.org" in page
    assert "Membership history" in page
    assert 'name="transition"' not in page  # the board decides, not the member


def test_applicants_and_suspended_members_are_not_found_by_other_members(client, login_as):
    applicant = make_member(given="New", family="Person")
    login_as(member_user())
    assert client.get(f"/members/{applicant.id}").status_code == 404
    relogin(client, login_as, counsellor_user())
    assert client.get(f"/members/{applicant.id}").status_code == 200


def test_my_page_redirects_to_my_record_or_explains(client, login_as):
    ada = member_with_login(given="Ada")
    login_as(ada.user)
    response = client.get("/members/me")
    assert response.status_code == 302 and response.headers["Location"].endswith(
        f"/members/{ada.id}"
    )
    relogin(client, login_as, member_user())
    assert "not linked" in client.get("/members/me").get_data(as_text=True)


# --- the register, adding and editing ----------------------------------------------------------


def test_register_is_for_the_board_admins_and_counsellors(client, login_as):
    make_member(given="Listed", family="Applicant")
    login_as(member_user())
    assert client.get("/members/register").status_code == 403
    relogin(client, login_as, board_user())
    page = client.get("/members/register?state=applicant").get_data(as_text=True)
    assert "Applicant Listed" in page


def test_board_adds_a_person_as_applicant(client, login_as):
    login_as(board_user())
    response = post(
        client,
        "/members/new",
        {
            "given_name": "Fatou",
            "family_name": "Ndiaye",
            "member_number": "",
            "category_id": str(category("worker").id),
            "team": "Cleaning",
            "preferred_language": "fr",
            "applied_on": "2026-01-05",
        },
    )
    assert response.status_code == 302
    member = db.session.scalar(sa.select(Member).where(Member.family_name == "Ndiaye"))
    assert member.state == "applicant" and member.applied_on == date(2026, 1, 5)
    assert member.member_number.isdigit()
    assert "member.created" in audit_actions()


def test_bad_input_keeps_what_was_typed_and_says_why(client, login_as):
    login_as(board_user())
    response = post(
        client,
        "/members/new",
        {
            "given_name": '=HYPERLINK("http://x")',
            "family_name": "Typed Name",
            "preferred_language": "fr",
            "email": "not-an-address",
            "applied_on": "31.03.2026",
        },
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Typed Name"' in page
    assert "Give a date" in page
    assert db.session.scalar(sa.select(sa.func.count()).select_from(Member)) == 0


def test_future_application_date_is_refused_with_a_message(client, login_as):
    login_as(board_user())
    tomorrow = (local_today() + timedelta(days=1)).isoformat()
    response = post(
        client,
        "/members/new",
        {"given_name": "A", "family_name": "B", "preferred_language": "en", "applied_on": tomorrow},
    )
    assert response.status_code == 422
    assert "cannot be in the future" in response.get_data(as_text=True)


def test_a_plain_member_cannot_add_or_edit(client, login_as):
    target = make_member(admitted_on=ADMITTED)
    login_as(member_user())
    assert client.get("/members/new").status_code == 403
    assert client.get(f"/members/{target.id}/edit").status_code == 403


def test_edit_member_corrects_details(client, login_as):
    member = make_member(given="Jon", family="Smith", admitted_on=ADMITTED)
    login_as(board_user())
    response = post(
        client,
        f"/members/{member.id}/edit",
        {
            "given_name": "John",
            "family_name": "Smith",
            "member_number": member.member_number,
            "team": "Office",
            "preferred_language": "en",
        },
    )
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.given_name == "John" and member.team == "Office"
    assert member.category.code == "worker"  # the college changes only through a dated step


# --- lifecycle ------------------------------------------------------------------------------------


def test_board_admits_an_applicant_with_a_date_and_a_reason_via_htmx(client, login_as):
    applicant = make_member(given="New", family="Comer", applied_on=date(2026, 1, 5))
    login_as(board_user())
    response = post(
        client,
        f"/members/{applicant.id}/transition",
        {"transition": "admit", "effective_on": "2026-02-02", "reason": "Board meeting"},
        **{"HX-Request": "true"},
    )
    assert response.status_code == 200
    assert response.headers["HX-Trigger"] == "member-state-changed"
    assert "<html" not in response.get_data(as_text=True)
    db.session.refresh(applicant)
    assert applicant.state == "active" and applicant.admitted_on == date(2026, 2, 2)
    assert bodies.electorate(general_assembly(), date(2026, 2, 2))[-1].member_id == applicant.id


def test_lifecycle_step_without_reason_is_refused_in_the_fragment(client, login_as):
    applicant = make_member(given="New", family="Comer", applied_on=date(2026, 1, 5))
    login_as(board_user())
    response = post(
        client,
        f"/members/{applicant.id}/transition",
        {"transition": "admit", "effective_on": "2026-02-02", "reason": ""},
        **{"HX-Request": "true"},
    )
    assert response.status_code == 422
    assert "Please say why" in response.get_data(as_text=True)
    db.session.refresh(applicant)
    assert applicant.state == "applicant"


def test_lifecycle_date_before_the_last_change_is_refused(client, login_as):
    member = make_member(admitted_on=date(2026, 3, 1), applied_on=date(2026, 1, 5))
    login_as(board_user())
    response = post(
        client,
        f"/members/{member.id}/transition",
        {"transition": "suspend", "effective_on": "2026-02-01", "reason": "x"},
    )
    assert response.status_code == 422
    assert "cannot be before the last change" in response.get_data(as_text=True)


def test_only_the_board_decides_membership(client, login_as):
    applicant = make_member()
    for person in (member_user(), counsellor_user()):
        relogin(client, login_as, person)
        response = post(
            client,
            f"/members/{applicant.id}/transition",
            {"transition": "admit", "effective_on": "2026-02-02", "reason": "I say so"},
        )
        assert response.status_code in (403, 404)
    db.session.refresh(applicant)
    assert applicant.state == "applicant"


def test_unknown_transition_is_a_clear_refusal_not_a_500(client, login_as):
    member = make_member(admitted_on=ADMITTED)
    login_as(board_user())
    response = post(
        client,
        f"/members/{member.id}/transition",
        {"transition": "admit", "effective_on": "2026-02-02", "reason": "again"},
    )
    assert response.status_code == 422
    assert "not possible now" in response.get_data(as_text=True)


def test_history_shows_dated_steps_with_reasons(client, login_as):
    member = make_member(admitted_on=date(2025, 2, 3))
    membership_step(member, "suspend", on=date(2025, 6, 1), reason="Unpaid share, reminded twice")
    login_as(board_user())
    page = client.get(f"/members/{member.id}").get_data(as_text=True)
    assert "Unpaid share, reminded twice" in page
    assert "Suspend" in page and 'value="reinstate"' in page


def test_change_of_college_is_dated(client, login_as):
    member = make_member(category="volunteer", admitted_on=date(2025, 2, 3))
    login_as(board_user())
    response = post(
        client,
        f"/members/{member.id}/college",
        {
            "category_id": str(category("worker").id),
            "effective_on": "2026-01-01",
            "reason": "Hired on an integration contract",
        },
    )
    assert response.status_code == 302
    event = db.session.scalars(
        sa.select(MembershipEvent)
        .where(MembershipEvent.member_id == member.id)
        .order_by(MembershipEvent.id)
    ).all()[-1]
    assert event.kind == "category" and event.effective_on == date(2026, 1, 1)


# --- preferences, accounts, welcome sheet -------------------------------------------------------


def test_member_changes_own_language_and_consent(client, login_as):
    ada = member_with_login(given="Ada", preferred_language="en")
    login_as(ada.user)
    response = post(
        client,
        f"/members/{ada.id}/preferences",
        {"preferred_language": "fr", "phone": "06 12 34 56 78", "contact_consent": "y"},
    )
    assert response.status_code == 302
    db.session.refresh(ada)
    assert ada.preferred_language == "fr" and ada.contact_consent and ada.user.locale == "fr"


def test_member_cannot_change_someone_elses_preferences(client, login_as):
    ada = member_with_login(given="Ada")
    login_as(member_user())
    assert client.get(f"/members/{ada.id}/preferences").status_code == 403


def test_bad_phone_number_is_explained(client, login_as):
    ada = member_with_login(given="Ada")
    login_as(ada.user)
    response = post(
        client, f"/members/{ada.id}/preferences", {"preferred_language": "en", "phone": "call me"}
    )
    assert response.status_code == 422
    assert "phone number has digits" in response.get_data(as_text=True)


def test_link_and_unlink_an_account_are_audited(client, login_as):
    member = make_member(admitted_on=ADMITTED)
    account = member_user()
    login_as(board_user())
    response = post(client, f"/members/{member.id}/account/link", {"username": account.username})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.user_id == account.id
    response = post(client, f"/members/{member.id}/account/unlink", {"confirm": "y"})
    assert response.status_code == 302
    db.session.refresh(member)
    assert member.user_id is None
    actions = audit_actions()
    assert "member.account_linked" in actions and "member.account_unlinked" in actions


def test_link_to_unknown_account_says_so(client, login_as):
    member = make_member(admitted_on=ADMITTED)
    login_as(board_user())
    response = post(client, f"/members/{member.id}/account/link", {"username": "nobody.here"})
    assert response.status_code == 422
    assert "no account with this username" in response.get_data(as_text=True)


@pytest.mark.parametrize("who", [board_user, counsellor_user])
def test_welcome_sheet_creates_the_account_and_a_setup_code(client, login_as, who):
    member = make_member(
        given="Aïssatou", family="Ba", admitted_on=ADMITTED, preferred_language="fr"
    )
    login_as(who())
    response = post(client, f"/members/{member.id}/welcome-sheet", {})
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/pdf"
    assert response.data.startswith(b"%PDF")
    db.session.refresh(member)
    assert member.user is not None and member.user.username == "aissatou.ba"
    assert member.user.password_hash is None and member.user.locale == "fr"
    assert (
        db.session.scalar(
            sa.select(sa.func.count())
            .select_from(SetupCode)
            .where(SetupCode.user_id == member.user_id)
        )
        == 1
    )


def test_plain_member_cannot_print_a_welcome_sheet(client, login_as):
    member = make_member(admitted_on=ADMITTED)
    login_as(member_user())
    assert post(client, f"/members/{member.id}/welcome-sheet", {}).status_code == 403
    assert db.session.scalar(sa.select(sa.func.count()).select_from(SetupCode)) == 0


# --- bodies, mandates, colleges ----------------------------------------------------------------


def test_bodies_list_and_body_page_show_electorate_and_positions(client, login_as):
    ada = make_member(given="Ada", family="Chair", admitted_on=ADMITTED)
    make_mandate(ada, position="chair", starts_on=date(2025, 3, 1))
    login_as(member_user())
    listing = client.get("/bodies/").get_data(as_text=True)
    assert "General assembly" in listing and "Board" in listing
    board = db.session.scalar(sa.select(Body).where(Body.kind == "board"))
    page = client.get(f"/bodies/{board.id}").get_data(as_text=True)
    assert "Ada Chair" in page and "Chair" in page
    assert "1 person votes" in page


def test_electorate_on_another_day_as_htmx_fragment(client, login_as):
    make_member(given="Early", family="Member", admitted_on=date(2025, 2, 3))
    login_as(member_user())
    ga = general_assembly()
    before = client.get(f"/bodies/{ga.id}?on=2025-01-01", headers={"HX-Request": "true"})
    assert before.status_code == 200 and "<html" not in before.get_data(as_text=True)
    assert "0 people vote" in before.get_data(as_text=True)
    after = client.get(f"/bodies/{ga.id}?on=2025-02-03", headers={"HX-Request": "true"})
    assert "Early Member" in after.get_data(as_text=True)
    bad = client.get(f"/bodies/{ga.id}?on=yesterday")
    assert bad.status_code == 200 and "This is not a date" in bad.get_data(as_text=True)


def test_board_adds_and_ends_a_mandate(client, login_as):
    ada = make_member(given="Ada", family="Treasurer", admitted_on=ADMITTED)
    board = db.session.scalar(sa.select(Body).where(Body.kind == "board"))
    login_as(board_user())
    response = post(
        client,
        f"/bodies/{board.id}/mandates/new",
        {"member_id": str(ada.id), "position": "treasurer", "starts_on": "2025-06-20"},
    )
    assert response.status_code == 302
    mandate = db.session.scalar(sa.select(Mandate).where(Mandate.member_id == ada.id))
    response = post(
        client, f"/bodies/{board.id}/mandates/{mandate.id}/end", {"ends_on": "2026-06-19"}
    )
    assert response.status_code == 302
    db.session.refresh(mandate)
    assert mandate.ends_on == date(2026, 6, 19)
    assert {"mandate.added", "mandate.ended"} <= set(audit_actions())


def test_second_chair_at_the_same_time_is_refused_with_a_message(client, login_as):
    first = make_member(given="First", family="Chair", admitted_on=ADMITTED)
    second = make_member(given="Second", family="Chair", admitted_on=ADMITTED)
    make_mandate(first, position="chair", starts_on=date(2025, 3, 1))
    board = db.session.scalar(sa.select(Body).where(Body.kind == "board"))
    login_as(board_user())
    response = post(
        client,
        f"/bodies/{board.id}/mandates/new",
        {"member_id": str(second.id), "position": "chair", "starts_on": "2025-06-20"},
    )
    assert response.status_code == 422
    assert "holds this position at that time" in response.get_data(as_text=True)


def test_mandate_of_another_body_is_not_found(client, login_as):
    ada = make_member(admitted_on=ADMITTED)
    mandate = make_mandate(ada, position="member", starts_on=date(2025, 3, 1))
    login_as(board_user())
    ga = general_assembly()
    response = post(client, f"/bodies/{ga.id}/mandates/{mandate.id}/end", {"ends_on": "2026-01-01"})
    assert response.status_code == 404


def test_board_changes_body_rules_and_it_is_audited(client, login_as):
    ga = general_assembly()
    login_as(board_user())
    response = post(
        client,
        f"/bodies/{ga.id}/edit",
        {
            "kind": "general_assembly",
            "name": ga.title,
            "description": "All of us.",
            "quorum_percent": "33",
            "notice_days": "21",
            "default_majority": "two_thirds",
            "proxy_cap": "2",
            "support_percent": "10",
            "support_minimum": "3",
            "active": "y",
        },
    )
    assert response.status_code == 302
    db.session.refresh(ga)
    assert (ga.quorum_percent, ga.notice_days, ga.default_majority, ga.proxy_cap) == (
        33,
        21,
        "two_thirds",
        2,
    )
    assert ga.name is None  # the translated default name was kept
    assert "body.updated" in audit_actions()


def test_body_rules_out_of_range_are_explained(client, login_as):
    ga = general_assembly()
    login_as(board_user())
    response = post(
        client,
        f"/bodies/{ga.id}/edit",
        {
            "kind": "general_assembly",
            "quorum_percent": "150",
            "notice_days": "x",
            "default_majority": "simple",
            "proxy_cap": "1",
        },
    )
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "from 0 to 100" in page and "from 0 to 365" in page


def test_plain_member_cannot_change_bodies_or_colleges(client, login_as):
    ga = general_assembly()
    login_as(member_user())
    assert client.get(f"/bodies/{ga.id}/edit").status_code == 403
    assert client.get("/bodies/new").status_code == 403
    assert client.get(f"/bodies/colleges/{category('worker').id}/edit").status_code == 403


def test_college_weight_changes_the_general_assembly_total(client, login_as):
    make_member(category="staff", admitted_on=ADMITTED)
    make_member(category="worker", admitted_on=ADMITTED)
    staff = category("staff")
    login_as(board_user())
    response = post(
        client,
        f"/bodies/colleges/{staff.id}/edit",
        {"name": staff.title, "vote_weight": "3", "body_ids": [str(general_assembly().id)]},
    )
    assert response.status_code == 302
    summary = bodies.electorate_summary(general_assembly(), local_today())
    assert (summary.voters, summary.total_weight) == (2, 4)
    assert "category.updated" in audit_actions()


def test_new_college_that_votes_nowhere(client, login_as):
    login_as(board_user())
    response = post(
        client, "/bodies/colleges/new", {"name": "Honorary members", "vote_weight": "1"}
    )
    assert response.status_code == 302
    college = db.session.scalar(
        sa.select(MemberCategory).where(MemberCategory.name == "Honorary members")
    )
    assert college.voting_bodies == []
    page = client.get("/bodies/colleges").get_data(as_text=True)
    assert "Honorary members" in page and "nowhere" in page


def test_welcome_sheet_is_in_the_members_language(client, login_as, monkeypatch):
    """The sheet's HTML (before WeasyPrint) speaks the member's language, not the printer's."""
    import weasyprint

    rendered = []

    class FakeHTML:
        def __init__(self, string, base_url):
            rendered.append(string)

        def write_pdf(self):
            return b"%PDF-fake"

    monkeypatch.setattr(weasyprint, "HTML", FakeHTML)
    member = make_member(
        given="Léa", family="Martin", admitted_on=ADMITTED, preferred_language="fr"
    )
    make_mandate(member, position="secretary", starts_on=date(2025, 3, 1))
    login_as(board_user())  # an English-speaking board member prints it
    response = post(client, f"/members/{member.id}/welcome-sheet", {})
    assert response.data == b"%PDF-fake"
    sheet = rendered[0]
    assert 'lang="fr"' in sheet and "Bienvenue" in sheet
    assert member.member_number in sheet and "lea.martin" in sheet
    assert "Secrétariat" in sheet  # the position, translated
    assert "/setup?code=" not in sheet  # the code is in the QR image and the box, not a link

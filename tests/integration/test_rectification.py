"""Correction requests: only the member asks, only an assigned counsellor answers; bad input gives
a message and saves nothing; the audit log never holds the words; the journal counts the reads."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest
import sqlalchemy as sa

from portal.core.audit import AuditEntry
from portal.core.errors import DomainError, NotAllowed
from portal.integration.models import RecordRead, RectificationRequest
from portal.integration.rectification import answer_rectification, ask_rectification
from portal.integration.sections import PAGE_SECTIONS
from tests.conftest import csrf_token
from tests.factories_integration import assign, make_pathway
from tests.factories_members import (
    admin_user,
    board_user,
    counsellor_user,
    member_with_login,
    trainer_user,
)

TEXT = "My entry date is wrong: I started on 12 January."
ANSWER = "You are right, the date is now 12 January."


@pytest.fixture()
def record(db):
    ada = member_with_login(given="Ada")
    pathway = make_pathway(ada)
    counsellor = counsellor_user(display_name="Chloé Counsellor")
    assign(pathway, counsellor, "counsellor", personal_data=True)
    return ada, pathway, counsellor


def requests(db):
    return db.session.scalars(sa.select(RectificationRequest)).all()


def reads(db):
    return db.session.scalar(sa.select(sa.func.count(RecordRead.id)))


# --- Services ------------------------------------------------------------------------------------


def test_the_member_asks_and_the_counsellor_answers(db, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, f"  {TEXT}  ")
    assert request.text == TEXT and request.status == "open" and request.answered_at is None
    answer_rectification(counsellor, request, "corrected", ANSWER)
    assert request.status == "corrected" and request.answer == ANSWER
    assert request.answered_by_id == counsellor.id and request.answered_at is not None
    entries = db.session.scalars(
        sa.select(AuditEntry).where(AuditEntry.action.like("integration.%_rectification"))
    ).all()
    assert [e.action for e in entries] == [
        "integration.ask_rectification",
        "integration.answer_rectification",
    ]
    asked, answered = entries
    # The member asked: the hash-chained audit log must not link them to their pathway.
    assert asked.actor_id == ada.user.id and asked.object_key is None
    assert asked.summary == "A correction was asked for"
    # Not even the request's number: the answer's entry names it with the pathway.
    assert json.loads(asked.details) == {}
    assert answered.object_key == f"pathway:{pathway.id}"
    assert json.loads(answered.details) == {
        "request_id": request.id,
        "fields": ["status", "answer"],
    }
    for entry in entries:
        assert "January" not in entry.summary + entry.details  # no words of the request


def test_corrected_needs_no_answer_but_refused_does(db, record):
    ada, pathway, counsellor = record
    first = ask_rectification(ada.user, pathway, TEXT)
    answer_rectification(counsellor, first, "corrected", "")
    assert first.status == "corrected" and first.answer == ""
    second = ask_rectification(ada.user, pathway, TEXT)
    with pytest.raises(DomainError) as error:
        answer_rectification(counsellor, second, "refused", "  ")
    assert error.value.field == "answer"
    assert second.status == "open"
    answer_rectification(counsellor, second, "refused", "The date on your contract is 5 January.")
    assert second.status == "refused"


def test_only_the_member_asks(db, record):
    _ada, pathway, counsellor = record
    for someone in (counsellor, admin_user(), board_user(), member_with_login().user, None):
        with pytest.raises(NotAllowed):
            ask_rectification(someone, pathway, TEXT)
    assert requests(db) == []


def test_only_an_assigned_counsellor_answers(db, record):
    ada, pathway, _counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    trainer, ended, plain = trainer_user(), counsellor_user(), counsellor_user()
    assign(pathway, trainer, "trainer", personal_data=True)
    assign(pathway, ended, starts_on=date(2026, 1, 5), ends_on=date(2026, 1, 31))
    assign(pathway, plain, "counsellor")  # keeps the record, without personal data
    for someone in (ada.user, trainer, ended, plain, counsellor_user(), admin_user(), board_user()):
        with pytest.raises(NotAllowed):
            answer_rectification(someone, request, "corrected", ANSWER)
    assert request.status == "open"


def test_an_answered_request_is_not_answered_again(db, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    answer_rectification(counsellor, request, "corrected", ANSWER)
    with pytest.raises(DomainError):
        answer_rectification(counsellor, request, "refused", "No, after all.")
    assert request.status == "corrected" and request.answer == ANSWER


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "too short",
        "x" * 2001,
        "<script>alert(1)</script> my date is wrong",
        "<b>bold</b>!!",
    ],
)
def test_bad_request_texts_are_refused(db, record, text):
    ada, pathway, _counsellor = record
    with pytest.raises(DomainError) as error:
        ask_rectification(ada.user, pathway, text)
    assert error.value.field == "text"
    assert requests(db) == []


def test_plain_signs_are_fine(db, record):
    ada, pathway, _counsellor = record
    request = ask_rectification(ada.user, pathway, "My hours are < 26 a week, not 26 > 20.")
    assert request.id


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        ("open", ANSWER),
        ("maybe", ANSWER),
        ("refused", "no"),
        ("refused", "y" * 2001),
        ("corrected", "<script>x</script>"),
    ],
)
def test_bad_answers_are_refused(db, record, status, answer):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    with pytest.raises(DomainError):
        answer_rectification(counsellor, request, status, answer)
    assert request.status == "open" and request.answer == "" and request.answered_at is None


def test_an_anonymised_record_takes_no_request(db):
    pathway = make_pathway(None, entry_on=date(2025, 1, 6))
    with pytest.raises(NotAllowed):
        ask_rectification(member_with_login().user, pathway, TEXT)


# --- The record page's section and the answer route ---------------------------------------------


def answer_url(pathway, request):
    return f"/integration/{pathway.id}/requests/{request.id}/answer"


def post_answer(client, pathway, request, status="corrected", answer=ANSWER, htmx=False, **extra):
    prefix = f"request-{request.id}"
    token = csrf_token(client, "/")
    headers = {"HX-Request": "true"} if htmx else {}
    return client.post(
        answer_url(pathway, request),
        data={
            f"{prefix}-csrf_token": token,
            f"{prefix}-status": status,
            f"{prefix}-answer": answer,
            **extra,
        },
        headers=headers,
    )


def test_the_section_is_registered_for_the_member_and_the_counsellors(db, record):
    ada, pathway, counsellor = record
    section = next(s for s in PAGE_SECTIONS if s.name == "requests")
    assert section.order == 85 and section.template == "integration/_requests.html"
    trainer, flagged, plain = trainer_user(), trainer_user(), counsellor_user()
    assign(pathway, trainer, "trainer")
    assign(pathway, flagged, "trainer", personal_data=True)
    assign(pathway, plain, "counsellor")  # keeps the record, without personal data
    assert section.visible(ada.user, pathway) and section.visible(counsellor, pathway)
    assert section.visible(flagged, pathway)
    assert not section.visible(trainer, pathway) and not section.visible(plain, pathway)


def test_the_counsellor_sees_and_answers_on_the_record_page(db, client, login_as, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    login_as(counsellor)
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert TEXT in page and "Send the answer" in page
    before = reads(db)
    response = post_answer(client, pathway, request)
    assert response.status_code == 303
    assert response.headers["Location"].endswith(
        f"/integration/{pathway.id}#pathway-{pathway.id}-requests"
    )
    db.session.refresh(request)
    assert request.status == "corrected" and request.answer == ANSWER
    assert reads(db) == before + 1  # the answer read the record once


def test_htmx_answer_returns_the_section(db, client, login_as, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    login_as(counsellor)
    response = post_answer(client, pathway, request, htmx=True)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.lstrip().startswith(f'<section id="pathway-{pathway.id}-requests"')
    assert ANSWER in html and "Send the answer" not in html
    row = db.session.scalars(sa.select(RecordRead).order_by(RecordRead.id.desc())).first()
    assert row.kind == "fragment" and row.outcome == "allowed" and row.user_id == counsellor.id


@pytest.mark.parametrize(
    ("status", "answer", "message"),
    [
        ("refused", "", "Please write something here."),
        ("refused", "ok", "Please write at least 3 characters."),
        ("refused", "z" * 2001, "This is too long"),
        ("refused", "<script>alert(1)</script>", "Please write plain words"),
        ("maybe", ANSWER, "Choose one of the answers in the list."),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_bad_answers_are_shown_again(db, client, login_as, record, status, answer, message, htmx):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    login_as(counsellor)
    before = reads(db)
    response = post_answer(client, pathway, request, status, answer, htmx=htmx)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert "<script>alert(1)</script>" not in html
    assert ("<html" in html) is (not htmx)
    db.session.refresh(request)
    assert request.status == "open" and request.answer == ""
    assert reads(db) == before + 1


def test_who_may_not_answer(db, client, login_as, record):
    ada, pathway, _counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    trainer, plain = trainer_user(), counsellor_user()
    assign(pathway, trainer, "trainer")
    assign(pathway, plain, "counsellor")  # keeps the record, without personal data
    login_as(plain)
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert TEXT not in page and f'id="pathway-{pathway.id}-requests"' not in page
    # Answering needs access to personal data (the answer route's own `need` is in views_mine).
    assert post_answer(client, pathway, request).status_code == 403
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    for someone, status in (
        (trainer, 403),
        (ada.user, 403),
        (counsellor_user(), 404),
        (board_user(), 404),
    ):
        login_as(someone)
        before = reads(db)
        assert post_answer(client, pathway, request).status_code == status
        last = db.session.scalars(sa.select(RecordRead).order_by(RecordRead.id.desc())).first()
        assert reads(db) == before + 1 and last.outcome == "refused"
        client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    db.session.refresh(request)
    assert request.status == "open"


def test_a_request_of_another_record_is_not_found(db, client, login_as, record):
    _ada, pathway, counsellor = record
    other = make_pathway(member_with_login())
    assign(other, counsellor_user())
    foreign = ask_rectification(other.member.user, other, TEXT)
    login_as(counsellor)
    prefix = f"request-{foreign.id}"
    token = csrf_token(client, "/")
    response = client.post(
        f"/integration/{pathway.id}/requests/{foreign.id}/answer",
        data={f"{prefix}-csrf_token": token, f"{prefix}-status": "corrected"},
    )
    assert response.status_code == 404
    assert (
        client.post(
            f"/integration/{pathway.id}/requests/999999/answer",
            data={"request-999999-csrf_token": token, "request-999999-status": "corrected"},
        ).status_code
        == 404
    )
    db.session.refresh(foreign)
    assert foreign.status == "open"


def test_an_answer_without_csrf_is_refused(db, client, login_as, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    login_as(counsellor)
    prefix = f"request-{request.id}"
    response = client.post(
        answer_url(pathway, request),
        data={f"{prefix}-status": "corrected", f"{prefix}-answer": ANSWER},
    )
    assert response.status_code == 400
    db.session.refresh(request)
    assert request.status == "open"


def test_answered_requests_show_who_answered(db, client, login_as, record):
    ada, pathway, counsellor = record
    request = ask_rectification(ada.user, pathway, TEXT)
    answer_rectification(counsellor, request, "refused", "Your contract says 5 January.")
    login_as(counsellor)
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    section = page.split(f'id="pathway-{pathway.id}-requests"')[1].split("</section>")[0]
    assert "Not changed" in section and "Chloé Counsellor" in section
    assert "Your contract says 5 January." in section
    assert not re.search(r"<form[^>]*answer", section)

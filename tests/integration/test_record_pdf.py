"""The printed record: for the team as they see it on screen, journaled as a PDF read."""

from __future__ import annotations

import io
from datetime import date

import sqlalchemy as sa
from pypdf import PdfReader

from portal.extensions import db
from portal.integration.models import (
    Barrier,
    Eligibility,
    Goal,
    PathwayPeriod,
    RecordRead,
    SupportAction,
)
from tests.factories_integration import assign, make_pathway
from tests.factories_members import counsellor_user, member_with_login, trainer_user


def _text(response) -> str:
    reader = PdfReader(io.BytesIO(response.data))
    return " ".join(page.extract_text() for page in reader.pages).replace("\n", " ")


def _record():
    ada = member_with_login(given="Ada", family="Printed")
    pathway = make_pathway(ada, team="Kitchen")
    db.session.add_all(
        [
            Goal(pathway_id=pathway.id, title="Get the forklift licence"),
            SupportAction(
                pathway_id=pathway.id,
                happened_on=date(2026, 2, 2),
                kind="interview",
                minutes=45,
                notes="Talked about the training",
            ),
            Barrier(
                pathway_id=pathway.id, kind="health", note="Back pain", noted_on=date(2026, 1, 5)
            ),
            Eligibility(
                pathway_id=pathway.id,
                criterion="disability",
                detail="Recognised in 2019",
                checked_on=date(2026, 1, 5),
            ),
            PathwayPeriod(
                pathway_id=pathway.id,
                kind="suspension",
                starts_on=date(2026, 3, 2),
                ends_on=date(2026, 3, 9),
                reason="In hospital",
            ),
        ]
    )
    db.session.flush()
    return pathway


def test_the_counsellor_prints_everything_and_it_is_journaled(db, client, login_as):
    pathway = _record()
    counsellor = counsellor_user(display_name="Cleo Counsellor")
    assign(pathway, counsellor, "counsellor", personal_data=True)
    login_as(counsellor)
    page = client.get(f"/integration/{pathway.id}").get_data(as_text=True)
    assert f"/integration/{pathway.id}/record.pdf" in page
    response = client.get(f"/integration/{pathway.id}/record.pdf")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert "no-store" in response.headers["Cache-Control"]
    text = _text(response)
    for expected in (
        "Ada Printed",
        "Cleo Counsellor",
        "Get the forklift licence",
        "Talked about the training",
        "Back pain",
        "Recognised in 2019",
        "In hospital",
    ):
        assert expected in text, expected
    (read,) = db.session.scalars(
        sa.select(RecordRead).where(RecordRead.pathway_id == pathway.id, RecordRead.kind == "pdf")
    ).all()
    assert (read.user_id, read.what, read.outcome) == (counsellor.id, "record", "allowed")


def test_without_the_flag_the_personal_parts_stay_out(db, client, login_as):
    pathway = _record()
    trainer = trainer_user()
    assign(pathway, trainer, "trainer")
    login_as(trainer)
    text = _text(client.get(f"/integration/{pathway.id}/record.pdf"))
    assert "Get the forklift licence" in text and "Talked about the training" in text
    for hidden in ("Back pain", "Recognised in 2019", "In hospital"):
        assert hidden not in text, hidden


def test_outsiders_get_404_and_are_journaled(db, client, login_as):
    pathway = _record()
    stranger = counsellor_user()
    login_as(stranger)
    assert client.get(f"/integration/{pathway.id}/record.pdf").status_code == 404
    refused = db.session.scalar(
        sa.select(sa.func.count(RecordRead.id)).where(
            RecordRead.pathway_id == pathway.id,
            RecordRead.user_id == stranger.id,
            RecordRead.outcome == "refused",
        )
    )
    assert refused == 1

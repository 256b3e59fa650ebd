"""Requests to correct a record: the member asks, an assigned counsellor with access to personal
data answers (corrected, or not changed with the reason). Audited with ids and statuses only —
never the words. The member's own request is audited without the pathway: the audit log is
hash-chained and outlives the purge, so an entry whose actor is the member must not name their
pathway.

Also the record page's "requests" section: open and answered requests, with an answer form for
those who may answer.
"""

from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from portal.core import audit
from portal.core.db import utcnow
from portal.core.errors import DomainError, NotAllowed
from portal.extensions import db
from portal.integration import policies
from portal.integration.models import (
    REQUEST_STATUS_TITLES,
    Pathway,
    RectificationRequest,
    RequestStatus,
)
from portal.integration.sections import page_section

TEXT_MIN, TEXT_MAX = 10, 2000
ANSWER_MIN, ANSWER_MAX = 3, 2000
ANSWER_STATUSES = (RequestStatus.CORRECTED, RequestStatus.REFUSED)

# Markup: "<" followed by a letter, "/" or "!" (a tag or a comment). "a < b" is fine.
_MARKUP = re.compile(r"<\s*[a-zA-Z/!]")


def _plain_text(text: str | None, field: str, low: int, high: int, *, required: bool) -> str:
    text = (text or "").strip()
    if not text:
        if required:
            raise DomainError(_l("Please write something here."), field=field)
        return ""
    if len(text) < low:
        raise DomainError(_l("Please write at least %(n)d characters.", n=low), field=field)
    if len(text) > high:
        raise DomainError(_l("This is too long (at most %(n)d characters).", n=high), field=field)
    if _MARKUP.search(text):
        raise DomainError(
            _l("Please write plain words, without signs like < and > around them."), field=field
        )
    return text


def ask_rectification(actor, pathway: Pathway, text: str) -> RectificationRequest:
    """The member asks for something in their record to be corrected.

    Raises NotAllowed for anyone but the member (or an anonymised record); DomainError(field
    "text") when the text is missing, shorter than 10 or longer than 2000 characters, or holds
    markup."""
    if not policies.can_request_rectification(actor, pathway):
        raise NotAllowed(_l("Only the person themself can ask to correct their record."))
    text = _plain_text(text, "text", TEXT_MIN, TEXT_MAX, required=True)
    request = RectificationRequest(
        pathway_id=pathway.id, text=text, status=RequestStatus.OPEN.value, asked_by_id=actor.id
    )
    db.session.add(request)
    db.session.flush()
    audit.record(
        actor,
        "integration.ask_rectification",
        "A correction was asked for",
        # The actor is the member: nothing in the entry may lead from them to the record (the
        # request's number would, through the answer's entry), since the audit log outlives
        # the record's anonymisation.
        object_key=None,
    )
    return request


def may_answer(user, pathway: Pathway) -> bool:
    """A counsellor who keeps the record and sees personal difficulties (requests may quote
    them)."""
    return policies.can_edit(user, pathway) and policies.can_read_barriers(user, pathway)


def answer_rectification(
    actor, request: RectificationRequest, status: str, answer: str = ""
) -> RectificationRequest:
    """An assigned counsellor answers a request: corrected, or refused (not changed) with the
    reason.

    Raises NotAllowed unless `may_answer`; DomainError when the request was already
    answered, for an unknown status (field "status"), or when the answer is missing for a
    refusal, shorter than 3 or longer than 2000 characters, or holds markup (field "answer")."""
    pathway = db.session.get(Pathway, request.pathway_id)
    if pathway is None or not may_answer(actor, pathway):
        raise NotAllowed(_l("Only a counsellor who follows this person can answer."))
    if request.status != RequestStatus.OPEN.value:
        raise DomainError(_l("This request has already been answered."))
    if status not in {s.value for s in ANSWER_STATUSES}:
        raise DomainError(_l("Choose an answer from the list."), field="status")
    answer = _plain_text(
        answer,
        "answer",
        ANSWER_MIN,
        ANSWER_MAX,
        required=status == RequestStatus.REFUSED.value,
    )
    request.status = status
    request.answer = answer
    request.answered_by_id = actor.id
    request.answered_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "integration.answer_rectification",
        f"correction request {request.id} answered",
        object_key=f"pathway:{pathway.id}",
        request_id=request.id,
        fields=["status", "answer"] if answer else ["status"],
    )
    return request


def requests_of(pathway_ids: list[int]) -> list[RectificationRequest]:
    """Requests of these pathways: open ones first, then the newest (one statement)."""
    if not pathway_ids:
        return []
    return list(
        db.session.scalars(
            sa.select(RectificationRequest)
            .where(RectificationRequest.pathway_id.in_(pathway_ids))
            .order_by(
                sa.case((RectificationRequest.status == RequestStatus.OPEN.value, 0), else_=1),
                RectificationRequest.asked_at.desc(),
                RectificationRequest.id.desc(),
            )
        )
    )


# --- The record page's section -------------------------------------------------------------------


def _may_see_requests(user, pathway: Pathway) -> bool:
    """The member, and people assigned with access to personal data (the words may quote
    personal difficulties)."""
    return policies.can_read_barriers(user, pathway)


def requests_context(user, pathway: Pathway, failed=None) -> dict:
    """The section's context; `failed` is an answer form that did not pass, shown again."""
    from portal.integration.forms_mine import AnswerForm, answer_prefix

    requests = requests_of([pathway.id])
    can_answer = may_answer(user, pathway)
    forms = {}
    if can_answer:
        for request in requests:
            if request.status != RequestStatus.OPEN.value:
                continue
            if failed is not None and failed.request_id == request.id:
                forms[request.id] = failed
            else:
                forms[request.id] = AnswerForm(formdata=None, prefix=answer_prefix(request.id))
    return {
        "rect_requests": requests,
        "rect_forms": forms,
        "rect_status_titles": REQUEST_STATUS_TITLES,
    }


@page_section("requests", "integration/_requests.html", order=85, visible=_may_see_requests)
def requests_section(user, pathway: Pathway) -> dict:
    return requests_context(user, pathway)

"""R8: every route that takes an id, for every role, with an object the role may not see.

Generated from the URL map: a new route is covered the day it is added. Each argument of each
rule must be known below, in ID_ARGUMENTS (how to name an object the role may not see, and an
object that does not exist) or in NOT_IDS (with the reason); every POST route with an id needs
plausible form data in FORM_DATA (what an attacker would send, so a missing check would show as
a success). Otherwise `test_every_route_argument_is_known` fails and says what to add.

The answer must be 404 or 403 (a redirect to the login page for visitors): never 2xx, never 3xx
elsewhere, never 5xx. And nothing may change in the database.

The programmes' routes are also walked around one running programme
(`test_programme_routes_follow_the_workflow`): 404 for those who may not see it (a plain
member, a trainer of other programmes, a trainer who lost the role, a withdrawn participant),
403 for those who see it without the right the route needs (PROGRAMME_NEEDS: a participant on
the trainer's pages, the board on the roll-call, an administrator on the sheets, ...).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
import sqlalchemy as sa

from portal.accounts.models import Role, SetupCode, User
from portal.content.models import Page
from portal.content.services import PageData, update_page
from portal.core.history import Revision
from portal.core.security import LocalRole, LocalRoleGrant, grant_local_role, shareable_roles
from portal.core.workflow import WorkflowHistory
from portal.extensions import db
from portal.integration.models import (
    Assignment,
    Eligibility,
    Goal,
    Pathway,
    PathwayPeriod,
    RecordRead,
    RectificationRequest,
    Skill,
    SupportAction,
)
from portal.meetings import decisions, minutes
from portal.meetings.models import (
    AgendaItem,
    Attendance,
    Decision,
    Meeting,
    Minutes,
    MinutesSection,
    SpeakingRequest,
)
from portal.members.bodies import BodyData, create_body
from portal.members.models import Body, Mandate, Member, MemberCategory, MembershipEvent
from portal.programmes.models import (
    Apology,
    AttendanceCorrection,
    Enrolment,
    Evidence,
    FeedbackAnswer,
    FeedbackGiven,
    PracticeRole,
    Programme,
    ProgrammeTrainer,
    SessionMaterial,
    SessionTrainer,
    Slot,
)
from portal.programmes.models import Attendance as SessionAttendance
from portal.programmes.models import Session as ProgrammeSession
from portal.proposals import amendments, attachments, comments
from portal.proposals.models import (
    Proposal,
    ProposalAmendment,
    ProposalAttachment,
    ProposalComment,
    ProposalSupport,
)
from portal.voting import services as voting
from portal.voting.models import Ballot, Participation, Poll, Proxy
from tests.conftest import csrf_token
from tests.factories import PASSWORD, make_user
from tests.factories_content import make_page
from tests.factories_integration import assign, make_pathway
from tests.factories_meetings import add_item, make_meeting
from tests.factories_members import (
    board_body,
    make_mandate,
    make_member,
    member_with_login,
    membership_step,
)
from tests.factories_programmes import enrol
from tests.factories_proposals import make_proposal
from tests.factories_voting import make_poll, open_poll_for, voter
from tests.programme_world import (
    PROGRAMME_FORM_ENDPOINTS,
    ProgrammeWorld,
    programme_form_data,
    programme_world,
)

ROLES = ["anonymous", "member", "board", "trainer", "counsellor", "admin", "local"]
GLOBAL_ROLES = {
    "member": {Role.MEMBER},
    "board": {Role.MEMBER, Role.BOARD},
    "trainer": {Role.MEMBER, Role.TRAINER},
    "counsellor": {Role.MEMBER, Role.COUNSELLOR},
    "admin": {Role.MEMBER, Role.ADMIN},
    "local": {Role.MEMBER},  # plus every local role, on a different page (see World)
}
MISSING_ID = 2_000_000_000  # a valid database integer that no row has


@dataclass
class World:
    owner: User  # owns the pages below; none of the tested roles
    target: User  # an administrator account: only administrators may touch it
    hidden: Page  # private, two versions, shared with `bystander`: seen by owner and admins
    grant: LocalRoleGrant  # a grant on `hidden`
    elsewhere: Page  # the page on which the "local" user holds every local role
    actor: User | None  # the user of the role under test (None for visitors)
    former: Member  # an ended membership: only the board, admins (and the person) see it
    closed_body: Body  # a body no longer in use: only those who manage bodies see it
    closed_mandate: Mandate  # a mandate in that body
    draft_poll: Poll  # a poll being prepared: only the board and admins see it
    proxy: Proxy  # a proxy between two other members in an open poll
    draft_proposal: Proposal  # a draft of `owner`: only its author and administrators see it
    draft_comment: ProposalComment  # on the draft proposal
    draft_attachment: ProposalAttachment  # on the draft proposal
    amendment: ProposalAmendment  # on a submitted proposal of `owner` (tried under the draft's id)
    planned_meeting: Meeting  # planned by `owner`: only the board and administrators see it
    planned_item: AgendaItem  # on its agenda
    draft_minutes: Minutes  # of a closed meeting, being written: the board and administrators
    draft_section: MinutesSection  # a section of those minutes
    decision: Decision  # in the register: every member reads it, visitors do not
    pathway: Pathway  # the integration record of someone none of the roles follows
    assignment: Assignment  # its counsellor (someone else)
    eligibility: Eligibility  # and one row of each kind on it
    period: PathwayPeriod
    goal: Goal
    action: SupportAction
    correction: RectificationRequest
    skill: Skill  # of the referential: only administrators and counsellors change it
    # A running programme of a trainer none of the roles is, with a participant who is none of
    # them: the board, counsellors and administrators see every programme, nobody else sees it.
    programmes: ProgrammeWorld


@dataclass(frozen=True)
class IdArgument:
    what: str
    # The id of an object the role may not see or touch; None when the role may reach every
    # object of this kind (administrators): then only a missing id is tried.
    hidden: Callable[[World, str], int | None]
    missing: int


PROGRAMME_READERS = ("admin", "board", "counsellor")

ID_ARGUMENTS: dict[str, IdArgument] = {
    "page_id": IdArgument(
        "a private page owned by someone else",
        lambda w, role: None if role == "admin" else w.hidden.id,
        MISSING_ID,
    ),
    "user_id": IdArgument(
        "another person's account (an administrator's: counsellors may not print their code)",
        lambda w, role: None if role == "admin" else w.target.id,
        MISSING_ID,
    ),
    "member_id": IdArgument(
        "a former member (ended membership) of someone else",
        lambda w, role: None if role in ("admin", "board") else w.former.id,
        MISSING_ID,
    ),
    "body_id": IdArgument(
        "a body no longer in use",
        lambda w, role: None if role in ("admin", "board") else w.closed_body.id,
        MISSING_ID,
    ),
    "mandate_id": IdArgument(
        "a mandate in a body no longer in use",
        lambda w, role: None if role in ("admin", "board") else w.closed_mandate.id,
        MISSING_ID,
    ),
    "category_id": IdArgument(
        "a college (only those who manage bodies may change one)",
        lambda w, role: None if role in ("admin", "board") else 1,
        MISSING_ID,
    ),
    "poll_id": IdArgument(
        "a poll being prepared by the board",
        lambda w, role: None if role in ("admin", "board") else w.draft_poll.id,
        MISSING_ID,
    ),
    "proxy_id": IdArgument(
        "a proxy between two other members",
        lambda w, role: None if role in ("admin", "board") else w.proxy.id,
        MISSING_ID,
    ),
    "proposal_id": IdArgument(
        "a draft proposal of someone else",
        lambda w, role: None if role == "admin" else w.draft_proposal.id,
        MISSING_ID,
    ),
    "comment_id": IdArgument(
        "a comment on a draft proposal of someone else",
        lambda w, role: None if role == "admin" else w.draft_comment.id,
        MISSING_ID,
    ),
    "attachment_id": IdArgument(
        "a file attached to a draft proposal of someone else",
        lambda w, role: None if role == "admin" else w.draft_attachment.id,
        MISSING_ID,
    ),
    "amendment_id": IdArgument(
        "a change proposed to another proposal (asked for under the hidden draft's address)",
        lambda w, role: None if role == "admin" else w.amendment.id,
        MISSING_ID,
    ),
    "meeting_id": IdArgument(
        "a meeting the board is still planning",
        lambda w, role: None if role in ("admin", "board") else w.planned_meeting.id,
        MISSING_ID,
    ),
    "item_id": IdArgument(
        "an item on the agenda of that meeting",
        lambda w, role: None if role in ("admin", "board") else w.planned_item.id,
        MISSING_ID,
    ),
    "minutes_id": IdArgument(
        "minutes the secretary is still writing",
        lambda w, role: None if role in ("admin", "board") else w.draft_minutes.id,
        MISSING_ID,
    ),
    "section_id": IdArgument(
        "a section of those minutes",
        lambda w, role: None if role in ("admin", "board") else w.draft_section.id,
        MISSING_ID,
    ),
    "decision_id": IdArgument(
        "a decision in the register (members read it; a visitor does not)",
        lambda w, role: w.decision.id if role == "anonymous" else None,
        MISSING_ID,
    ),
    # An integration record is hidden from every role that is not assigned to it, administrators
    # included (they read only with a written reason: see EXPECTED_ACCESS).
    "pathway_id": IdArgument(
        "the integration record of someone the role does not follow",
        lambda w, role: w.pathway.id,
        MISSING_ID,
    ),
    "assignment_id": IdArgument(
        "an assignment to that record", lambda w, role: w.assignment.id, MISSING_ID
    ),
    "eligibility_id": IdArgument(
        "an eligibility criterion on that record", lambda w, role: w.eligibility.id, MISSING_ID
    ),
    "period_id": IdArgument("a pause of that record", lambda w, role: w.period.id, MISSING_ID),
    "goal_id": IdArgument("a goal on that record", lambda w, role: w.goal.id, MISSING_ID),
    "action_id": IdArgument(
        "a support action on that record", lambda w, role: w.action.id, MISSING_ID
    ),
    "request_id": IdArgument(
        "a correction asked for on that record", lambda w, role: w.correction.id, MISSING_ID
    ),
    "skill_id": IdArgument(
        "a skill of the referential (administrators and counsellors keep it)",
        lambda w, role: None if role in ("admin", "counsellor") else w.skill.id,
        MISSING_ID,
    ),
    "outcome_id": IdArgument(
        "an exit outcome (administrators and counsellors keep them)",
        lambda w, role: None if role in ("admin", "counsellor") else 1,
        MISSING_ID,
    ),
    # Every programme is seen by the board, counsellors and administrators (what they may do
    # with it is walked in `test_programme_routes_follow_the_workflow`); nobody else sees a
    # programme they neither run nor take part in.
    "programme_id": IdArgument(
        "a programme the role neither runs nor takes part in",
        lambda w, role: None if role in PROGRAMME_READERS else w.programmes.programme.id,
        MISSING_ID,
    ),
    "session_id": IdArgument(
        "a session of that programme, today",
        lambda w, role: None if role in PROGRAMME_READERS else w.programmes.session.id,
        MISSING_ID,
    ),
    "material_id": IdArgument(
        "the scanned paper sheet of that session",
        lambda w, role: None if role in PROGRAMME_READERS else w.programmes.paper.id,
        MISSING_ID,
    ),
    "version": IdArgument(
        "a version of the page given with it (the page decides who may see it)",
        lambda w, role: 1,
        MISSING_ID,
    ),
}

# (role, endpoint) that reach any object of their kind by design: only a missing id is tried.
EXPECTED_ACCESS = {
    ("admin", "integration.break_glass"),  # asks for the written reason first
    ("admin", "integration.assign_team"),  # administrators choose teams without reading records
    ("admin", "integration.end_assignment"),
}

NOT_IDS = {
    "filename": "static files are public by design",
    "token": "a password-reset token is a secret, not an id (see the account tests)",
}


def _form_data(endpoint: str, world: World) -> dict[str, str]:
    if endpoint.startswith("programmes."):
        return programme_form_data(
            endpoint, world.programmes, world.programmes.enrolments[0].member_id
        )
    me = str(world.actor.id) if world.actor else "1"
    return {
        "content.edit_page": {
            "title": "Defaced",
            "summary": "",
            "body": "Defaced.",
            "kind": "page",
            "is_public": "y",
            "version": "2",
        },
        "content.transition_page": {"transition": "submit", "comment": "let me"},
        "content.revert_page": {},
        "content.share_page": {"q": world.owner.username},
        "content.grant_role": {"user_id": me, "role": LocalRole.EDITOR.value},
        "content.revoke_role": {"grant_id": str(world.grant.id)},
        "accounts.edit_account": {
            "username": world.target.username,
            "display_name": "Defaced",
            "email": "",
            "locale": "",
            "roles": "member",
        },
        "accounts.disable_account": {},
        "accounts.enable_account": {},
        "accounts.issue_setup_code": {"confirm": "y"},
        "members.edit_member": {
            "given_name": "Defaced",
            "family_name": "Defaced",
            "member_number": "666",
            "preferred_language": "en",
            "team": "Defaced",
        },
        "members.transition_member": {
            "transition": "readmit",
            "effective_on": "2026-01-01",
            "reason": "let me",
        },
        "members.change_college": {
            "category_id": "2",
            "effective_on": "2026-01-01",
            "reason": "let me",
        },
        "members.edit_preferences": {
            "preferred_language": "en",
            "email": "attacker@example.org",
            "contact_consent": "y",
        },
        "members.link_account": {"username": world.actor.username if world.actor else "x"},
        "members.unlink_account": {"confirm": "y"},
        "members.welcome_sheet": {"confirm": "y"},
        "bodies.edit_body": {
            "kind": "committee",
            "name": "Defaced",
            "quorum_percent": "1",
            "notice_days": "0",
            "default_majority": "simple",
            "proxy_cap": "20",
            "active": "y",
        },
        "bodies.add_mandate": {
            "member_id": str(world.former.id),
            "position": "chair",
            "starts_on": "2025-01-01",
        },
        "bodies.end_mandate": {"ends_on": "2025-12-31"},
        "bodies.remove_mandate": {"reason": "let me"},
        "bodies.edit_college": {"name": "Defaced", "vote_weight": "100", "body_ids": "1"},
        "voting.edit_poll": {
            "title": "Defaced",
            "body_id": "1",
            "method": "yes_no_abstain",
            "majority": "simple",
            "seats": "1",
        },
        "voting.vote": {"vote": "yes"},
        "voting.step": {"transition": "open"},
        "voting.give_proxy": {"holder_id": str(world.proxy.holder_id)},
        "voting.revoke_proxy": {},
        "voting.record_room_count": {"present": "1", "count-0": "1"},
        "proposals.edit_proposal": {
            "title": "Defaced",
            "summary": "Defaced.",
            "what_changes": "",
            "body": "Defaced.",
            "body_id": "1",
            "version": "1",
        },
        "proposals.transition_proposal": {"transition": "submit", "comment": "let me"},
        "proposals.support_proposal": {},
        "proposals.start_vote": {"majority": "simple", "secret": "y"},
        "proposals.settle_vote": {},
        "proposals.revert_proposal": {},
        "proposals.grant_role": {"user_id": me, "role": LocalRole.EDITOR.value},
        "proposals.revoke_role": {"grant_id": str(world.grant.id)},
        "proposals.withdraw_support": {},
        "proposals.answer_proposal": {"answer": "Defaced."},
        "proposals.follow_up_proposal": {
            "follow_status": "done",
            "follow_responsible": "",
            "follow_due": "",
            "follow_note": "Defaced.",
        },
        "proposals.add_comment": {"text": "Defaced."},
        "proposals.answer_comment": {"text": "Defaced."},
        "proposals.edit_comment": {"text": "Defaced."},
        "proposals.hide_comment": {"reason": "let me"},
        "proposals.show_comment": {},
        "proposals.add_attachment": {"attachment": (io.BytesIO(b"%PDF-1.4 x"), "x.pdf")},
        "proposals.remove_attachment": {},
        "proposals.propose_amendment": {
            "field": "summary",
            "version": "1",
            "text": "Defaced.",
            "reason": "let me",
        },
        "proposals.accept_amendment": {},
        "proposals.decline_amendment": {"reason": "let me"},
        "proposals.withdraw_amendment": {},
        "proposals.start_amendment_vote": {"majority": "simple", "secret": "y"},
        "proposals.settle_amendment_vote": {},
        "meetings.edit_meeting": {
            "title": "Defaced",
            "body_id": "1",
            "kind": "ordinary_ga",
            "day": "2030-01-01",
            "start": "18:00",
            "place": "Elsewhere",
        },
        "meetings.transition_meeting": {"transition": "cancel", "comment": "let me"},
        "meetings.convene_meeting": {"override_reason": "let me"},
        "meetings.add_agenda_item": {"title": "Defaced", "kind": "decision"},
        "meetings.edit_agenda_item": {"title": "Defaced", "kind": "decision"},
        "meetings.move_agenda_item": {"direction": "up"},
        "meetings.remove_agenda_item": {},
        "meetings.set_attendance_status": {"status": "present"},
        "meetings.record_arrival": {},
        "meetings.record_departure": {},
        "meetings.check_in": {"code": "KM4P7Q"},
        "meetings.set_current_item": {"item_id": str(world.planned_item.id)},
        "meetings.next_item": {},
        "meetings.give_floor": {},
        "meetings.ask_to_speak": {},
        "meetings.withdraw_from_speaking": {},
        "meetings.open_item_poll": {"where": "room"},
        "meetings.record_item_count": {"count:yes": "1"},
        "meetings.start_minutes": {},
        "meetings.edit_minutes": {"version": "1", "notes": "Defaced."},
        "meetings.edit_minutes_section": {
            "version": "1",
            "discussion": "Defaced.",
            "decision_text": "Defaced.",
        },
        "meetings.add_minutes_sections": {},
        "meetings.revert_minutes": {},
        "meetings.revert_minutes_section": {},
        "meetings.transition_minutes": {"transition": "submit"},
        "meetings.approve_minutes": {"poll_id": str(world.draft_poll.id), "item_id": ""},
        "meetings.publish_minutes": {"public": "y"},
        "meetings.put_minutes_to_vote": {},
        "meetings.delete_meeting": {},
        "meetings.follow_up_decision": {
            "status": "done",
            "responsible": "",
            "due": "",
            "note": "Defaced.",
        },
        **_integration_form_data(world, me),
    }.get(endpoint)


def _integration_form_data(world: World, me: str) -> dict[str, dict]:
    goal, action, request = world.goal.id, world.action.id, world.correction.id
    skill = world.skill.id
    return {
        "integration.edit_details": {
            "entry_on": "2026-01-05",
            "planned_end_on": "2027-01-05",
            "contract_type": "integration",
            "weekly_hours": "26",
            "team": "Defaced",
            "referrer": "Defaced",
        },
        "integration.add_eligibility": {
            "criterion": "other",
            "detail": "Defaced",
            "checked_on": "2026-01-05",
            "expires_on": "",
        },
        "integration.remove_eligibility": {},
        "integration.suspend_pathway": {
            "starts_on": "2026-02-02",
            "ends_on": "",
            "reason": "let me",
        },
        "integration.end_suspension": {"ends_on": "2026-02-03"},
        "integration.extend_pathway": {"new_end": "2030-01-01", "reason": "let me"},
        "integration.assign_team": {
            "user": me,
            "role": "counsellor",
            "starts_on": "2026-01-05",
            "ends_on": "",
            "personal_data": "y",
        },
        "integration.end_assignment": {"ends_on": "2026-01-06"},
        "integration.record_exit": {"exit_on": "2026-02-02", "outcome": "1", "note": "let me"},
        "integration.reopen_pathway": {"reason": "let me"},
        "integration.break_glass": {"reason": "Let me read it, please."},
        "integration.add_goal": {"title": "Defaced", "detail": "", "target_on": ""},
        "integration.edit_goal": {f"goal-{goal}-edit-title": "Defaced"},
        "integration.change_goal_status": {f"goal-{goal}-status-status": "dropped"},
        "integration.add_support_action": {
            "happened_on": "2026-02-02",
            "kind": "interview",
            "hours": "1",
            "minutes": "0",
            "notes": "Defaced",
        },
        "integration.correct_support_action": {
            f"action-{action}-happened_on": "2026-02-02",
            f"action-{action}-kind": "other",
            f"action-{action}-hours": "9",
            f"action-{action}-minutes": "0",
            f"action-{action}-notes": "Defaced",
        },
        "integration.assess_skill": {
            "skill": str(skill),
            "level": "4",
            "assessed_on": "2026-02-02",
            "note": "",
        },
        "integration.set_barrier": {
            "barrier-kind": "health",
            "barrier-status": "present",
            "barrier-note": "Defaced",
        },
        "integration.answer_request": {
            f"request-{request}-status": "refused",
            f"request-{request}-answer": "Defaced.",
        },
        "integration.member_data": {"reason": "Asked at the desk for a copy", "format": "json"},
        "integration.edit_skill": {f"skill-{skill}-area": "X", f"skill-{skill}-name": "Defaced"},
        "integration.move_skill": {"direction": "up"},
        "integration.toggle_skill": {},
        "integration.delete_skill": {},
        "integration.edit_outcome": {"outcome-1-name": "Defaced", "outcome-1-positive": "y"},
        "integration.move_outcome": {"direction": "down"},
        "integration.toggle_outcome": {},
    }


FORM_DATA_ENDPOINTS = {
    "content.edit_page",
    "content.transition_page",
    "content.revert_page",
    "content.share_page",
    "content.grant_role",
    "content.revoke_role",
    "accounts.edit_account",
    "accounts.disable_account",
    "accounts.enable_account",
    "accounts.issue_setup_code",
    "members.edit_member",
    "members.transition_member",
    "members.change_college",
    "members.edit_preferences",
    "members.link_account",
    "members.unlink_account",
    "members.welcome_sheet",
    "bodies.edit_body",
    "bodies.add_mandate",
    "bodies.end_mandate",
    "bodies.remove_mandate",
    "bodies.edit_college",
    "voting.edit_poll",
    "voting.vote",
    "voting.step",
    "voting.give_proxy",
    "voting.revoke_proxy",
    "voting.record_room_count",
    "proposals.edit_proposal",
    "proposals.transition_proposal",
    "proposals.support_proposal",
    "proposals.start_vote",
    "proposals.settle_vote",
    "proposals.revert_proposal",
    "proposals.grant_role",
    "proposals.revoke_role",
    "proposals.withdraw_support",
    "proposals.answer_proposal",
    "proposals.follow_up_proposal",
    "proposals.add_comment",
    "proposals.answer_comment",
    "proposals.edit_comment",
    "proposals.hide_comment",
    "proposals.show_comment",
    "proposals.add_attachment",
    "proposals.remove_attachment",
    "proposals.propose_amendment",
    "proposals.accept_amendment",
    "proposals.decline_amendment",
    "proposals.withdraw_amendment",
    "proposals.start_amendment_vote",
    "proposals.settle_amendment_vote",
    "meetings.edit_meeting",
    "meetings.transition_meeting",
    "meetings.convene_meeting",
    "meetings.add_agenda_item",
    "meetings.edit_agenda_item",
    "meetings.move_agenda_item",
    "meetings.remove_agenda_item",
    "meetings.set_attendance_status",
    "meetings.record_arrival",
    "meetings.record_departure",
    "meetings.check_in",
    "meetings.set_current_item",
    "meetings.next_item",
    "meetings.give_floor",
    "meetings.ask_to_speak",
    "meetings.withdraw_from_speaking",
    "meetings.open_item_poll",
    "meetings.record_item_count",
    "meetings.start_minutes",
    "meetings.edit_minutes",
    "meetings.edit_minutes_section",
    "meetings.add_minutes_sections",
    "meetings.revert_minutes",
    "meetings.revert_minutes_section",
    "meetings.transition_minutes",
    "meetings.approve_minutes",
    "meetings.publish_minutes",
    "meetings.put_minutes_to_vote",
    "meetings.delete_meeting",
    "meetings.follow_up_decision",
    "integration.edit_details",
    "integration.add_eligibility",
    "integration.remove_eligibility",
    "integration.suspend_pathway",
    "integration.end_suspension",
    "integration.extend_pathway",
    "integration.assign_team",
    "integration.end_assignment",
    "integration.record_exit",
    "integration.reopen_pathway",
    "integration.break_glass",
    "integration.add_goal",
    "integration.edit_goal",
    "integration.change_goal_status",
    "integration.add_support_action",
    "integration.correct_support_action",
    "integration.assess_skill",
    "integration.set_barrier",
    "integration.answer_request",
    "integration.member_data",
    "integration.edit_skill",
    "integration.move_skill",
    "integration.toggle_skill",
    "integration.delete_skill",
    "integration.edit_outcome",
    "integration.move_outcome",
    "integration.toggle_outcome",
    *PROGRAMME_FORM_ENDPOINTS,
}


def id_rules(app):
    """(rule, method) for every rule with an id argument, GET and POST separately."""
    for rule in app.url_map.iter_rules():
        if not set(rule.arguments) & set(ID_ARGUMENTS):
            continue
        for method in sorted(rule.methods & {"GET", "POST", "PUT", "PATCH", "DELETE"}):
            yield rule, method


def path_for(rule, values: dict[str, int]) -> str:
    path = rule.rule
    for name, value in values.items():
        path = re.sub(rf"<(?:[a-z]+(?:\([^)]*\))?:)?{name}>", str(value), path)
    assert "<" not in path, path
    return path


def test_every_route_argument_is_known(app):
    problems = []
    for rule in app.url_map.iter_rules():
        for name in sorted(rule.arguments):
            if name not in ID_ARGUMENTS and name not in NOT_IDS:
                problems.append(
                    f"{rule.rule} ({rule.endpoint}): argument <{name}> is unknown to the R8 test. "
                    f"Add it to ID_ARGUMENTS in {__name__} (how to name an object each role may "
                    "not see, and a missing one), or to NOT_IDS with the reason it is not an id."
                )
            converter = type(rule._converters.get(name)).__name__
            if name in NOT_IDS and converter in ("IntegerConverter", "UUIDConverter"):
                problems.append(f"{rule.rule}: <{name}> looks like an id ({converter})")
    for rule, method in id_rules(app):
        if method != "GET" and rule.endpoint not in FORM_DATA_ENDPOINTS:
            problems.append(
                f"{method} {rule.rule} ({rule.endpoint}) has no entry in FORM_DATA of {__name__}: "
                "give the form data an attacker would send, so a missing check shows as a success."
            )
    assert not problems, "\n".join(problems)
    assert len(list(id_rules(app))) >= 14  # the walk below really covers routes


def build_world(role: str) -> World:
    owner = make_user("pat.owner", display_name="Pat Owner", roles={Role.MEMBER, Role.BOARD})
    target = make_user("tess.target", display_name="Tess Target", roles={Role.MEMBER, Role.ADMIN})
    bystander = make_user("ben.bystander")
    hidden = make_page(owner, "Hidden page", "Version one.")
    update_page(owner, hidden, 1, PageData("Hidden page", "", "Version two."))
    grant = grant_local_role(owner, hidden, bystander, LocalRole.READER.value)
    elsewhere = make_page(owner, "Elsewhere")
    actor = None
    if role != "anonymous":
        actor = make_user(f"role.{role}", roles=GLOBAL_ROLES[role])
        if role == "local":
            for local_role in shareable_roles(elsewhere):
                grant_local_role(owner, elsewhere, actor, local_role.value)
    former = make_member(given="Former", family="Member", admitted_on=date(2025, 2, 3))
    closed_body = create_body(None, BodyData(kind="committee", name="Old committee", active=False))
    closed_mandate = make_mandate(former, closed_body, "member", starts_on=date(2025, 3, 1))
    principal, holder = voter(given="Principal"), voter(given="Holder")
    open_poll = open_poll_for(principal, holder)
    proxy = voting.give_proxy(principal.user, open_poll, principal, holder)
    draft_poll = make_poll(by=owner, title="Draft poll")
    draft_proposal = make_proposal(owner, title="Draft proposal")
    draft_comment = comments.add_comment(owner, draft_proposal, "A note on the draft")
    draft_attachment = attachments.add_attachment(
        owner, draft_proposal, "plan.pdf", b"%PDF-1.4 the plan"
    )
    submitted = make_proposal(owner, title="Submitted proposal", state="submitted")
    planned_meeting = make_meeting(board_body(), owner=owner, title="Planned board meeting")
    planned_item = add_item(planned_meeting, "Secret budget", kind="decision")
    closed_meeting = make_meeting(board_body(), owner=owner, state="closed", days_ahead=-3)
    add_item(closed_meeting, "Accounts", kind="decision")
    draft_minutes = minutes.start_minutes(owner, closed_meeting)
    draft_section = draft_minutes.sections[0]
    decision = decisions.record_decision(
        owner, board_body(), "Buy a van", "The board buys a van.", date(2026, 3, 2)
    )
    amendment = amendments.propose_amendment(
        bystander,
        submitted,
        amendments.AmendmentData(field="summary", text="A shorter summary."),
    )
    membership_step(former, "end", on=date(2025, 9, 1), reason="Left for a job elsewhere")
    pia = member_with_login(given="Pia", family="Pathway")
    pathway = make_pathway(pia, planned_end_on=date(2027, 1, 5))
    followed_by = make_user("cora.counsellor", roles={Role.MEMBER, Role.COUNSELLOR})
    assignment = assign(pathway, followed_by, "counsellor", personal_data=True)
    eligibility = Eligibility(pathway_id=pathway.id, criterion="other", checked_on=date(2026, 1, 5))
    period = PathwayPeriod(
        pathway_id=pathway.id, kind="suspension", starts_on=date(2026, 2, 2), reason="Ill"
    )
    goal = Goal(pathway_id=pathway.id, title="Learn to drive")
    action = SupportAction(
        pathway_id=pathway.id,
        happened_on=date(2026, 1, 20),
        kind="interview",
        minutes=30,
        recorded_by_id=followed_by.id,
    )
    correction = RectificationRequest(pathway_id=pathway.id, text="My team is wrong.")
    skill = Skill(area="Work", name="Arrives on time")
    db.session.add_all([eligibility, period, goal, action, correction, skill])
    db.session.flush()
    programmes = programme_world(
        make_user("tara.trainer", roles={Role.MEMBER, Role.TRAINER}),
        member_with_login(given="Paco", family="Participant"),
    )
    return World(
        owner,
        target,
        hidden,
        grant,
        elsewhere,
        actor,
        former,
        closed_body,
        closed_mandate,
        draft_poll,
        proxy,
        draft_proposal,
        draft_comment,
        draft_attachment,
        amendment,
        planned_meeting,
        planned_item,
        draft_minutes,
        draft_section,
        decision,
        pathway,
        assignment,
        eligibility,
        period,
        goal,
        action,
        correction,
        skill,
        programmes,
    )


def login(browser, user: User):
    response = browser.post(
        "/login",
        data={
            "username": user.username,
            "password": PASSWORD,
            "csrf_token": csrf_token(browser, "/login"),
        },
    )
    assert response.status_code == 303
    return browser


def snapshot(world: World) -> dict:
    db.session.expire_all()
    page, target = db.session.get(Page, world.hidden.id), db.session.get(User, world.target.id)

    def count(model, *where):
        return db.session.scalar(sa.select(sa.func.count()).select_from(model).where(*where))

    return {
        "page": (page.title, page.body, page.state, page.version, page.is_public, page.kind),
        "target": (target.username, target.display_name, target.active, sorted(target.roles)),
        "pages": count(Page),
        "revisions": count(Revision),
        "steps": count(WorkflowHistory),
        "grants": sorted(
            (g.object_key, g.user_id, g.role) for g in db.session.scalars(sa.select(LocalRoleGrant))
        ),
        "setup codes": count(SetupCode),
        "members": sorted(
            (
                m.id,
                m.member_number,
                m.given_name,
                m.team,
                m.state,
                m.user_id,
                m.category_id,
                m.preferred_language,
                m.email,
                m.contact_consent,
            )
            for m in db.session.scalars(sa.select(Member))
        ),
        "events": count(MembershipEvent),
        "mandates": sorted(
            (m.id, m.body_id, m.member_id, m.position, m.starts_on, m.ends_on)
            for m in db.session.scalars(sa.select(Mandate))
        ),
        "bodies": sorted(
            (b.id, b.kind, b.name, b.quorum_percent, b.proxy_cap, b.active)
            for b in db.session.scalars(sa.select(Body))
        ),
        "colleges": sorted(
            (c.id, c.name, c.vote_weight, tuple(sorted(b.id for b in c.voting_bodies)))
            for c in db.session.scalars(sa.select(MemberCategory))
        ),
        "users": count(User),
        "polls": sorted(
            (p.id, p.title, p.state, p.method, tuple(p.option_labels))
            for p in db.session.scalars(sa.select(Poll))
        ),
        "proposals": sorted(
            (
                p.id,
                p.title,
                p.summary,
                p.body,
                p.state,
                p.version,
                p.poll_id,
                p.board_answer,
                p.follow_status,
                p.follow_note,
            )
            for p in db.session.scalars(sa.select(Proposal))
        ),
        "comments": sorted(
            (c.id, c.text, c.hidden_at is None, c.edited_at is None)
            for c in db.session.scalars(sa.select(ProposalComment))
        ),
        "attachments": sorted(
            (a.id, a.filename, a.size) for a in db.session.scalars(sa.select(ProposalAttachment))
        ),
        "amendments": sorted(
            (a.id, a.state, a.text) for a in db.session.scalars(sa.select(ProposalAmendment))
        ),
        "meetings": sorted(
            (m.id, m.title, m.state, m.place, m.starts_at, m.current_item_id, m.check_in_code)
            for m in db.session.scalars(sa.select(Meeting))
        ),
        "agenda": sorted(
            (i.id, i.meeting_id, i.title, i.position, i.kind)
            for i in db.session.scalars(sa.select(AgendaItem))
        ),
        "attendance": sorted(
            (a.meeting_id, a.member_id, a.status, a.arrived_at, a.left_at)
            for a in db.session.scalars(sa.select(Attendance))
        ),
        "speakers": count(SpeakingRequest),
        "minutes": sorted(
            (m.id, m.state, m.notes, m.version, m.is_public, m.approval_poll_id)
            for m in db.session.scalars(sa.select(Minutes))
        ),
        "sections": sorted(
            (s.id, s.discussion, s.decision_text, s.version)
            for s in db.session.scalars(sa.select(MinutesSection))
        ),
        "decisions": sorted(
            (d.id, d.reference, d.follow_status, d.follow_note)
            for d in db.session.scalars(sa.select(Decision))
        ),
        "supports": count(ProposalSupport),
        "participations": count(Participation),
        "ballots": count(Ballot),
        "proxies": sorted(
            (p.id, p.holder_id, p.revoked_at is None, p.used_at is None)
            for p in db.session.scalars(sa.select(Proxy))
        ),
        "pathways": sorted(
            (p.id, p.team, p.referrer, p.planned_end_on, p.exit_on, p.outcome_id)
            for p in db.session.scalars(sa.select(Pathway))
        ),
        "assignments": sorted(
            (a.id, a.user_id, a.role, a.ends_on, a.personal_data)
            for a in db.session.scalars(sa.select(Assignment))
        ),
        "eligibility": count(Eligibility),
        "periods": sorted((p.id, p.ends_on) for p in db.session.scalars(sa.select(PathwayPeriod))),
        "goals": sorted((g.id, g.title, g.status) for g in db.session.scalars(sa.select(Goal))),
        "actions": sorted(
            (a.id, a.kind, a.minutes, a.notes) for a in db.session.scalars(sa.select(SupportAction))
        ),
        "corrections": sorted(
            (r.id, r.status, r.answer) for r in db.session.scalars(sa.select(RectificationRequest))
        ),
        "skills": sorted(
            (k.id, k.name, k.active, k.sort_order) for k in db.session.scalars(sa.select(Skill))
        ),
        "integration other rows": [
            count(model) for model in (Goal, SupportAction, Eligibility, RectificationRequest)
        ],
        **programme_rows(count),
    }


def programme_rows(count) -> dict:
    """What a refused request on a programme could have changed."""
    rows = db.session.scalars
    return {
        "programmes": sorted(
            (p.id, p.title, p.summary, p.state, p.funder, p.planned_hours, p.starts_on)
            for p in rows(sa.select(Programme))
        ),
        "enrolments": sorted(
            (e.id, e.programme_id, e.member_id, e.withdrawn_on) for e in rows(sa.select(Enrolment))
        ),
        "programme sessions": sorted(
            (
                s.id,
                s.day,
                s.topic,
                s.place,
                s.covered,
                s.cancelled_at,
                s.trainer_signed_at,
                s.roll_version,
                s.practice_poll_id,
            )
            for s in rows(sa.select(ProgrammeSession))
        ),
        "slots": sorted(
            (s.id, s.session_id, s.half, s.starts_at, s.ends_at) for s in rows(sa.select(Slot))
        ),
        "session trainers": count(SessionTrainer),
        "session attendance": sorted(
            (
                a.slot_id,
                a.member_id,
                a.status,
                a.arrived_at,
                a.left_at,
                a.minutes,
                a.checked_in_at,
                a.signed_at,
                a.signed_on_paper,
            )
            for a in rows(sa.select(SessionAttendance))
        ),
        "materials": sorted(
            (m.id, m.filename, m.size, m.paper_sheet) for m in rows(sa.select(SessionMaterial))
        ),
        "programme other rows": [
            count(model)
            for model in (
                AttendanceCorrection,
                Apology,
                FeedbackGiven,
                FeedbackAnswer,
                Evidence,
                PracticeRole,
            )
        ],
    }


def acceptable(role: str, response) -> bool:
    if response.status_code in (403, 404):
        return True
    if role == "anonymous" and response.status_code in (301, 302, 303):
        return response.headers.get("Location", "").startswith("/login")
    return False


@pytest.mark.parametrize("role", ROLES)
def test_no_role_reaches_an_object_it_may_not_see(app, client, role):
    world = build_world(role)
    browser = app.test_client()
    if world.actor is not None:
        login(browser, world.actor)
    token = csrf_token(browser, "/")
    before = snapshot(world)
    failures, tried = [], 0
    for rule, method in id_rules(app):
        variants = {
            "missing": {name: ID_ARGUMENTS[name].missing for name in rule.arguments},
        }
        hidden = {name: ID_ARGUMENTS[name].hidden(world, role) for name in rule.arguments}
        if (role, rule.endpoint) in EXPECTED_ACCESS:
            hidden = {}
        if hidden and all(value is not None for value in hidden.values()):
            variants["hidden"] = hidden
        for variant, values in variants.items():
            path = path_for(rule, values)
            for headers in ({}, {"HX-Request": "true"}):
                if method == "GET":
                    response = browser.get(path, headers=headers)
                else:
                    data = {"csrf_token": token, **_form_data(rule.endpoint, world)}
                    response = browser.open(path, method=method, data=data, headers=headers)
                tried += 1
                if not acceptable(role, response):
                    failures.append(
                        f"{role}: {method} {path} ({variant}: "
                        f"{', '.join(ID_ARGUMENTS[n].what for n in values)}) "
                        f"{'as htmx ' if headers else ''}answered {response.status_code}"
                        f" {response.headers.get('Location', '')}"
                    )
    assert not failures, "\n".join(failures)
    assert tried >= 2 * len(list(id_rules(app)))
    assert snapshot(world) == before, "a refused request changed the database"
    # Every attempt on the hidden record was journaled as refused, and nothing was read.
    reads = db.session.scalars(
        sa.select(RecordRead).where(RecordRead.pathway_id == world.pathway.id)
    )
    outcomes = {read.outcome for read in reads}
    if role != "anonymous":
        assert outcomes == {"refused"}, outcomes
    else:
        assert outcomes <= {"refused"}, outcomes


def test_ids_beyond_the_database_range_are_not_found(app, client):
    """As an administrator (who passes every check), ids no row can have: 404, not a 500."""
    world = build_world("admin")
    browser = login(app.test_client(), world.actor)
    token = csrf_token(browser, "/")
    failures = []
    for rule, method in id_rules(app):
        for value in (0, 2**31, 2**63, 10**20):
            path = path_for(rule, dict.fromkeys(rule.arguments, value))
            if method == "GET":
                response = browser.get(path)
            else:
                data = {"csrf_token": token, **_form_data(rule.endpoint, world)}
                response = browser.open(path, method=method, data=data)
            # 405: a GET route shares the address; Werkzeug checks the method before the id
            # (which no row can have), so nothing about any object is revealed.
            if response.status_code not in (400, 404, 405):
                failures.append(f"{method} {path} answered {response.status_code}")
    assert not failures, "\n".join(failures)


# --- Programmes: 404 for who may not see the programme, 403 for who sees it without the right ---

# The right each programme route needs (per method when GET and POST differ).
RUN, VIEW, EDIT, ENROL, SHEETS, ATTEND, EVIDENCE = (
    "run",
    "view",
    "edit",
    "enrol",
    "sheets",
    "attend",
    "evidence",
)
RUN_OR_TAKE_PART, FEEDBACK_READ = "run or take part", "run, or came"
PROGRAMME_NEEDS: dict[str, str | dict[str, str]] = {
    "programmes.view": VIEW,
    "programmes.edit": EDIT,
    "programmes.transition": EDIT,  # "cancel", with a reason
    "programmes.enrol": ENROL,
    "programmes.withdraw": ENROL,
    "programmes.convocation": ENROL,
    "programmes.session_new": RUN,
    "programmes.attestation": SHEETS,  # of another participant: sheets' readers only
    "programmes.session": VIEW,
    "programmes.session_edit": RUN,
    "programmes.session_cancel": RUN,
    "programmes.session_covered": RUN,
    "programmes.material_add": RUN,
    "programmes.material": SHEETS,  # the scanned paper sheet
    "programmes.material_delete": RUN,
    "programmes.rollcall": RUN,
    "programmes.code_screen": RUN,
    "programmes.sign": ATTEND,
    "programmes.sign_for": RUN,
    "programmes.sheet": SHEETS,
    "programmes.sheet_pdf": SHEETS,
    "programmes.sheet_file": SHEETS,
    "programmes.sheet_paper": RUN,
    "programmes.sheet_correct": RUN,
    "programmes.sheet_upload": RUN,
    "programmes.sheet_sign": RUN,
    "programmes.apologise": ATTEND,
    "programmes.withdraw_apology": ATTEND,
    "programmes.feedback": {"GET": FEEDBACK_READ, "POST": ATTEND},
    "programmes.evidence": EVIDENCE,
    "programmes.practice": {"GET": RUN_OR_TAKE_PART, "POST": RUN},
    "programmes.practice_poll": RUN,
    "programmes.practice_poll_count": RUN,
    "programmes.practice_poll_close": RUN,
}
# Who holds each right on a running programme, among the viewers below (its own trainer, who
# holds them all, is not walked: nothing is refused to them).
PROGRAMME_SEERS = {"participant", "board", "counsellor", "admin"}
PROGRAMME_MAY = {
    VIEW: PROGRAMME_SEERS,
    EDIT: {"board", "admin"},
    ENROL: {"board", "admin"},
    RUN: set(),
    SHEETS: {"board", "counsellor"},
    ATTEND: {"participant"},
    EVIDENCE: set(),
    RUN_OR_TAKE_PART: {"participant"},
    FEEDBACK_READ: {"participant"},  # once they came (not walked)
}
PROGRAMME_VIEWERS = [
    "anonymous",
    "member",  # not enrolled
    "other trainer",  # a trainer, not of this programme
    "former trainer",  # named on it, but the account lost the trainer role
    "withdrawn",  # was enrolled, withdrawn
    "participant",
    "board",
    "counsellor",
    "admin",
]


def programme_need(endpoint: str, method: str) -> str:
    need = PROGRAMME_NEEDS[endpoint]
    return need[method] if isinstance(need, dict) else need


def test_every_programme_route_has_its_right(app):
    """A new programme route must say which right it needs (and so what each role gets)."""
    missing = sorted(
        {
            rule.endpoint
            for rule, _method in id_rules(app)
            if rule.endpoint.startswith("programmes.") and rule.endpoint not in PROGRAMME_NEEDS
        }
    )
    assert not missing, (
        f"add these programme routes to PROGRAMME_NEEDS in {__name__}: {', '.join(missing)}"
    )


def _programme_viewer(kind: str, world: ProgrammeWorld, participant: Member) -> User | None:
    roles = {
        "member": {Role.MEMBER},
        "other trainer": {Role.MEMBER, Role.TRAINER},
        "former trainer": {Role.MEMBER},
        "board": {Role.MEMBER, Role.BOARD},
        "counsellor": {Role.MEMBER, Role.COUNSELLOR},
        "admin": {Role.MEMBER, Role.ADMIN},
    }
    if kind == "anonymous":
        return None
    if kind == "participant":
        return participant.user
    if kind == "withdrawn":
        member = member_with_login(given="Wanda", family="Withdrawn")
        row = enrol(world.programme, member)
        row.withdrawn_on = world.programme.starts_on + timedelta(days=1)
        db.session.flush()
        return member.user
    user = make_user(f"viewer.{kind.replace(' ', '.')}", roles=roles[kind])
    if kind == "former trainer":
        db.session.add(ProgrammeTrainer(programme_id=world.programme.id, user_id=user.id))
        db.session.add(SessionTrainer(session_id=world.session.id, user_id=user.id))
        db.session.flush()
        db.session.expire(world.programme, ["trainers"])
    return user


def _count(model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.mark.parametrize("kind", PROGRAMME_VIEWERS)
def test_programme_routes_follow_the_workflow(app, client, kind):
    """Every programme route, for viewers around one running programme: 404 for who may not
    see it, 403 for who sees it without the right the route needs (a login page for
    visitors); the routes they may use are not walked. Nothing changes in the database."""
    trainer = make_user("tom.trainer", roles={Role.MEMBER, Role.TRAINER})
    anna = member_with_login(given="Anna", family="Enrolled")
    bruno = member_with_login(given="Bruno", family="Enrolled")
    world = programme_world(trainer, bruno, anna, title="Citizenship in the garden")
    viewer = _programme_viewer(kind, world, anna)
    browser = app.test_client()
    if viewer is not None:
        login(browser, viewer)
    token = csrf_token(browser, "/")
    values = {
        "programme_id": world.programme.id,
        "session_id": world.session.id,
        "member_id": bruno.id,  # another participant
        "material_id": world.paper.id,
    }
    db.session.expire_all()
    before = programme_rows(_count)
    failures, tried = [], 0
    for rule, method in id_rules(app):
        if not rule.endpoint.startswith("programmes."):
            continue
        need = programme_need(rule.endpoint, method)
        if kind == "anonymous":
            expected = "login"
        elif kind not in PROGRAMME_SEERS:
            expected = 404
        elif kind not in PROGRAMME_MAY[need]:
            expected = 403
        else:
            continue
        path = path_for(rule, {name: values[name] for name in rule.arguments})
        for headers in ({}, {"HX-Request": "true"}):
            if method == "GET":
                response = browser.get(path, headers=headers)
            else:
                data = {"csrf_token": token, **programme_form_data(rule.endpoint, world, anna.id)}
                response = browser.open(path, method=method, data=data, headers=headers)
            tried += 1
            if expected == "login":
                ok = response.status_code in (302, 303) and response.headers.get(
                    "Location", ""
                ).startswith("/login")
            else:
                ok = response.status_code == expected
            if not ok:
                failures.append(
                    f"{kind}: {method} {path} ({rule.endpoint}, needs {need})"
                    f"{' as htmx' if headers else ''} answered {response.status_code},"
                    f" expected {expected}"
                )
    assert not failures, "\n".join(failures)
    assert tried >= 2 * 5
    db.session.expire_all()
    assert programme_rows(_count) == before, "a refused request changed the programme"
    # Control: those who see the programme do reach its page and its session's.
    if kind in PROGRAMME_SEERS:
        assert browser.get(f"/programmes/{world.programme.id}").status_code == 200
        assert browser.get(f"/programmes/sessions/{world.session.id}").status_code == 200


def test_the_programme_trainer_reaches_what_the_walk_refuses(app, client):
    """Control for the walk above: the same world is really reachable by its trainer."""
    trainer = make_user("tom.trainer", roles={Role.MEMBER, Role.TRAINER})
    bruno = member_with_login(given="Bruno", family="Enrolled")
    world = programme_world(trainer, bruno, title="Citizenship in the garden")
    browser = login(app.test_client(), trainer)
    session = world.session.id
    for path in (
        f"/programmes/{world.programme.id}/edit",
        f"/programmes/sessions/{session}/roll",
        f"/programmes/sessions/{session}/code",
        f"/programmes/sessions/{session}/sheet",
        f"/programmes/sessions/{session}/sign/{bruno.id}",
        f"/programmes/sessions/{session}/evidence",
        f"/programmes/sessions/{session}/practice",
        f"/programmes/sessions/{session}/materials/{world.paper.id}",
        f"/programmes/{world.programme.id}/attestation/{bruno.id}.pdf",
    ):
        assert browser.get(path).status_code == 200, path
